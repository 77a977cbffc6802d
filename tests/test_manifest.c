/*
 * Tests for format/manifest_fmt.c and format/catalogue_fmt.c: manifest header, frame AD, refs frames,
 * summary frames and manifest_fmt_name_check.  test_vectors rebuilds the two
 * manifests of spec/vectors/records.hex (written by the independent Python
 * implementation spec/vectors/gen_records.py), including the sealed and the
 * check-summed frames, byte for byte.
 *
 * Tests named test_regression_* pin bugs that were found in the code under
 * test and fixed; each fails on the code before its fix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/checksum.h"
#include "format/endian.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"

#include "testlib.h"

/* ---- helpers ------------------------------------------------------- */

static void
sample_header(struct manifest_header *h)
{

	memset(h, 0, sizeof(*h));
	h->version = MANIFEST_VERSION;
	h->key_id = 0xbeef;
	fill_pattern(h->store_id, 16, 0x21);
	fill_pattern(h->file_id, 16, 0x61);
	h->summary_offset = 0x1122334455667788ULL;
	h->frame_count = 0x0f0e0d0c0b0a0903ULL;
}

static void
sample_summary(struct manifest_summary *s)
{

	memset(s, 0, sizeof(*s));
	s->created = -987654321012LL;
	s->length = 0x0102030405060708ULL;
	s->chunk_count = 0x1112131415161718ULL;
	s->new_chunks = 0x2122232425262728ULL;
	s->new_raw_bytes = 0x3132333435363738ULL;
	s->new_stored_bytes = 0x4142434445464748ULL;
	fill_pattern(s->stream_hash, 32, 0x66);
	s->features = 0;
	snprintf(s->name, sizeof(s->name), "db01:pg_dump@2024-06-30T02.00");
}

static void
check_summary_equal(const struct manifest_summary *a,
    const struct manifest_summary *b)
{

	assert_true(a->created == b->created);
	assert_true(a->length == b->length);
	assert_true(a->chunk_count == b->chunk_count);
	assert_true(a->new_chunks == b->new_chunks);
	assert_true(a->new_raw_bytes == b->new_raw_bytes);
	assert_true(a->new_stored_bytes == b->new_stored_bytes);
	assert_memory_equal(a->stream_hash, b->stream_hash, 32);
	assert_int_equal(a->features, b->features);
	assert_string_equal(a->name, b->name);
}

/* ---- header ------------------------------------------------------- */

static void
test_header_roundtrip(void **state)
{
	struct manifest_header h, d;
	uint8_t buf[MANIFEST_HEADER_SIZE + 4];

	(void)state;
	sample_header(&h);
	memset(buf, 0xee, sizeof(buf));
	manifest_fmt_header_encode(&h, buf);
	for (size_t i = MANIFEST_HEADER_SIZE; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xee);
	assert_memory_equal(buf, "QSARCMAN", 8);
	assert_int_equal(le16dec(buf + 8), MANIFEST_VERSION);
	assert_int_equal(le16dec(buf + 10), 0);
	assert_int_equal(le16dec(buf + 12), 0xbeef);
	assert_int_equal(le16dec(buf + 14), 0);
	assert_memory_equal(buf + 16, h.store_id, 16);
	assert_true(le64dec(buf + 32) == h.summary_offset);
	assert_true(le64dec(buf + 40) == h.frame_count);
	assert_memory_equal(buf + 48, h.file_id, 16);
	memset(&d, 0, sizeof(d));
	assert_int_equal(manifest_fmt_header_decode(buf, MANIFEST_HEADER_SIZE, &d),
	    QS_OK);
	assert_int_equal(d.version, MANIFEST_VERSION);
	assert_memory_equal(d.file_id, h.file_id, 16);
	assert_int_equal(d.key_id, h.key_id);
	assert_memory_equal(d.store_id, h.store_id, 16);
	assert_true(d.summary_offset == h.summary_offset);
	assert_true(d.frame_count == h.frame_count);
	/* The smallest legal values. */
	h.key_id = 0;
	h.summary_offset = MANIFEST_HEADER_SIZE;
	h.frame_count = 1;
	manifest_fmt_header_encode(&h, buf);
	assert_int_equal(manifest_fmt_header_decode(buf, MANIFEST_HEADER_SIZE, &d),
	    QS_OK);
	assert_int_equal(d.key_id, 0);
	assert_true(d.summary_offset == MANIFEST_HEADER_SIZE);
	assert_true(d.frame_count == 1);
}

static void
expect_header(const uint8_t *buf, size_t len, int want)
{
	struct manifest_header d, sentinel;

	memset(&sentinel, 0xa5, sizeof(sentinel));
	d = sentinel;
	assert_int_equal(manifest_fmt_header_decode(buf, len, &d), want);
	assert_memory_equal(&d, &sentinel, sizeof(d));
}

static void
test_header_reject(void **state)
{
	struct manifest_header h;
	uint8_t good[MANIFEST_HEADER_SIZE], buf[MANIFEST_HEADER_SIZE];
	static const uint16_t versions[] = { 0, 4, 0x0100, 0x0200, 0xffff };

	(void)state;
	sample_header(&h);
	manifest_fmt_header_encode(&h, good);
	for (size_t len = 0; len < MANIFEST_HEADER_SIZE; len++)
		expect_header(good, len, QS_ECORRUPT);
	for (size_t i = 0; i < 8; i++) {
		memcpy(buf, good, sizeof(buf));
		buf[i] ^= 0x04;
		expect_header(buf, sizeof(buf), QS_ECORRUPT);
	}
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		memcpy(buf, good, sizeof(buf));
		le16enc(buf + 8, versions[i]);
		expect_header(buf, sizeof(buf), QS_EVERSION);
	}
	for (int bit = 0; bit < 16; bit++) {
		memcpy(buf, good, sizeof(buf));
		le16enc(buf + 10, (uint16_t)(1U << bit));
		expect_header(buf, sizeof(buf), QS_EVERSION);
	}
	for (size_t i = 14; i < 16; i++) {
		memcpy(buf, good, sizeof(buf));
		buf[i] = 0x10;
		expect_header(buf, sizeof(buf), QS_ECORRUPT);
	}
	/* Version 2: an all-zero file id is never written. */
	memcpy(buf, good, sizeof(buf));
	memset(buf + 48, 0, 16);
	expect_header(buf, sizeof(buf), QS_ECORRUPT);
	/* Version 1: bytes 48..63 are reserved. */
	for (size_t i = 48; i < MANIFEST_HEADER_SIZE; i++) {
		memcpy(buf, good, sizeof(buf));
		le16enc(buf + 8, MANIFEST_VERSION_UNBOUND);
		memset(buf + 48, 0, 16);
		buf[i] = 0x10;
		expect_header(buf, sizeof(buf), QS_ECORRUPT);
	}
}

/* A version 1 header (0.1.0) still decodes, with a zero file id. */
static void
test_header_version1(void **state)
{
	struct manifest_header h, d;
	uint8_t buf[MANIFEST_HEADER_SIZE];

	(void)state;
	sample_header(&h);
	h.version = MANIFEST_VERSION_UNBOUND;
	manifest_fmt_header_encode(&h, buf);
	assert_int_equal(le16dec(buf + 8), 1);
	for (size_t i = 48; i < 64; i++)
		assert_int_equal(buf[i], 0);
	memset(&d, 0xa5, sizeof(d));
	assert_int_equal(manifest_fmt_header_decode(buf, sizeof(buf), &d),
	    QS_OK);
	assert_int_equal(d.version, MANIFEST_VERSION_UNBOUND);
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(d.file_id[i], 0);
	assert_int_equal(d.key_id, h.key_id);
}

/* frame_count 0 and summary_offset < 64 are refused (value checks). */
static void
test_header_impossible_values(void **state)
{
	struct manifest_header h, d;
	uint8_t buf[MANIFEST_HEADER_SIZE];

	(void)state;
	sample_header(&h);
	h.frame_count = 0;
	manifest_fmt_header_encode(&h, buf);
	assert_int_equal(manifest_fmt_header_decode(buf, sizeof(buf), &d),
	    QS_ECORRUPT);
	sample_header(&h);
	for (uint64_t off = 0; off < MANIFEST_HEADER_SIZE; off++) {
		h.summary_offset = off;
		manifest_fmt_header_encode(&h, buf);
		assert_int_equal(manifest_fmt_header_decode(buf, sizeof(buf), &d),
		    QS_ECORRUPT);
	}
}

/*
 * Bug: manifest_fmt_header_decode's contract says "${h} is untouched on
 * failure", but for frame_count == 0 or summary_offset < 64 it fills ${h}
 * before refusing.
 */
static void
test_regression_header_untouched(void **state)
{
	struct manifest_header h;
	uint8_t buf[MANIFEST_HEADER_SIZE];

	(void)state;
	sample_header(&h);
	h.frame_count = 0;
	manifest_fmt_header_encode(&h, buf);
	expect_header(buf, sizeof(buf), QS_ECORRUPT);
	sample_header(&h);
	h.summary_offset = 8;
	manifest_fmt_header_encode(&h, buf);
	expect_header(buf, sizeof(buf), QS_ECORRUPT);
}

static void
test_header_bitflips(void **state)
{
	struct manifest_header h, d;
	uint8_t good[MANIFEST_HEADER_SIZE], buf[MANIFEST_HEADER_SIZE];
	int rc;

	(void)state;
	sample_header(&h);
	manifest_fmt_header_encode(&h, good);
	for (size_t bit = 0; bit < 8 * sizeof(buf); bit++) {
		size_t byte = bit / 8;

		memcpy(buf, good, sizeof(buf));
		buf[byte] ^= (uint8_t)(1U << (bit % 8));
		rc = manifest_fmt_header_decode(buf, sizeof(buf), &d);
		/*
		 * Version 2 -> 3 is one bit (8.0): a valid header, which the
		 * frames' AD (holding the version) then refuses.
		 */
		if ((byte >= 12 && byte < 14) || byte >= 16 ||
		    (byte == 8 && bit % 8 == 0)) {
			assert_int_equal(rc, QS_OK);
			assert_true(d.version != h.version ||
			    d.key_id != h.key_id ||
			    memcmp(d.store_id, h.store_id, 16) != 0 ||
			    memcmp(d.file_id, h.file_id, 16) != 0 ||
			    d.summary_offset != h.summary_offset ||
			    d.frame_count != h.frame_count);
		} else {
			assert_int_not_equal(rc, QS_OK);
		}
	}
}

/* ---- frame AD ----------------------------------------------------- */

static void
test_frame_ad(void **state)
{
	struct manifest_header h;
	uint8_t hdr[MANIFEST_HEADER_SIZE], ad[MANIFEST_FRAME_AD_SIZE + 4];
	uint8_t ad2[MANIFEST_FRAME_AD_SIZE];

	(void)state;
	sample_header(&h);
	manifest_fmt_header_encode(&h, hdr);
	memset(ad, 0xee, sizeof(ad));
	assert_int_equal(manifest_fmt_frame_ad(hdr, 0x0102030405060708ULL, 0,
	    ad), MANIFEST_FRAME_AD_SIZE);
	for (size_t i = MANIFEST_FRAME_AD_SIZE; i < sizeof(ad); i++)
		assert_int_equal(ad[i], 0xee);
	assert_memory_equal(ad, hdr, 32);
	assert_memory_equal(ad + 32, h.file_id, 16);
	assert_true(le64dec(ad + 48) == 0x0102030405060708ULL);
	assert_int_equal(ad[56], 0);
	manifest_fmt_frame_ad(hdr, 0x0102030405060708ULL, 7, ad2);
	assert_int_equal(ad2[56], 1);
	assert_memory_equal(ad, ad2, 56);
	/* Header bytes 32..47 (rewritten at commit) are not in the AD ... */
	hdr[32] ^= 0xff;
	hdr[47] ^= 0xff;
	manifest_fmt_frame_ad(hdr, 0x0102030405060708ULL, 0, ad2);
	assert_memory_equal(ad, ad2, MANIFEST_FRAME_AD_SIZE);
	/* ... but the key id, the store id and the file id are. */
	hdr[12] ^= 1;
	manifest_fmt_frame_ad(hdr, 0x0102030405060708ULL, 0, ad2);
	assert_memory_not_equal(ad, ad2, MANIFEST_FRAME_AD_SIZE);
	hdr[12] ^= 1;
	hdr[31] ^= 1;
	manifest_fmt_frame_ad(hdr, 0x0102030405060708ULL, 0, ad2);
	assert_memory_not_equal(ad, ad2, MANIFEST_FRAME_AD_SIZE);
	hdr[31] ^= 1;
	for (size_t i = 48; i < 64; i++) {
		hdr[i] ^= 1;
		manifest_fmt_frame_ad(hdr, 0x0102030405060708ULL, 0, ad2);
		assert_memory_not_equal(ad, ad2, MANIFEST_FRAME_AD_SIZE);
		hdr[i] ^= 1;
	}
	manifest_fmt_frame_ad(hdr, 0x0102030405060709ULL, 0, ad2);
	assert_memory_not_equal(ad, ad2, MANIFEST_FRAME_AD_SIZE);
}

/*
 * Regression (issue 14 item 1): two version 2 files differing only in
 * their file id give frame 0 different ADs, so a frame copied from one
 * file into the other does not authenticate; version 1 files (0.1.0) had
 * the same 41-byte AD for every manifest of a store under one key.
 */
static void
test_regression_frame_ad_binds_file(void **state)
{
	struct manifest_header h;
	uint8_t hdr1[MANIFEST_HEADER_SIZE], hdr2[MANIFEST_HEADER_SIZE];
	uint8_t ad1[MANIFEST_FRAME_AD_SIZE], ad2[MANIFEST_FRAME_AD_SIZE];

	(void)state;
	sample_header(&h);
	manifest_fmt_header_encode(&h, hdr1);
	h.file_id[5] ^= 0x80;
	h.summary_offset = 999;
	h.frame_count = 7;
	manifest_fmt_header_encode(&h, hdr2);
	manifest_fmt_frame_ad(hdr1, 0, 0, ad1);
	manifest_fmt_frame_ad(hdr2, 0, 0, ad2);
	assert_memory_not_equal(ad1, ad2, MANIFEST_FRAME_AD_SIZE);
	/* Version 1: the same AD, whatever else differs (the old hole). */
	h.version = MANIFEST_VERSION_UNBOUND;
	manifest_fmt_header_encode(&h, hdr1);
	h.summary_offset = 64;
	manifest_fmt_header_encode(&h, hdr2);
	assert_int_equal(manifest_fmt_frame_ad(hdr1, 0, 0, ad1),
	    MANIFEST_FRAME_AD_SIZE_V1);
	assert_int_equal(manifest_fmt_frame_ad(hdr2, 0, 0, ad2),
	    MANIFEST_FRAME_AD_SIZE_V1);
	assert_memory_equal(ad1, ad2, MANIFEST_FRAME_AD_SIZE_V1);
	assert_true(le64dec(ad1 + 32) == 0);
}

/* ---- refs frames --------------------------------------------------- */

static void
test_refs_roundtrip(void **state)
{
	static const uint32_t counts[] = { 1, 2, 3, 1000,
	    MANIFEST_REFS_PER_FRAME };
	uint8_t *pt;
	uint32_t n;

	(void)state;
	assert_true(MANIFEST_REFS_HEADER + (size_t)MANIFEST_REFS_PER_FRAME *
	    MANIFEST_REF_SIZE <= MANIFEST_FRAME_MAX);
	assert_non_null(pt = malloc(MANIFEST_FRAME_MAX));
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		size_t len = MANIFEST_REFS_HEADER +
		    (size_t)counts[i] * MANIFEST_REF_SIZE;

		memset(pt, 0xcc, MANIFEST_FRAME_MAX);
		manifest_fmt_refs_begin(pt, counts[i]);
		assert_int_equal(pt[0], MANIFEST_FRAME_REFS);
		assert_int_equal(pt[1] | pt[2] | pt[3], 0);
		assert_int_equal(le32dec(pt + 4), counts[i]);
		assert_int_equal(pt[8], 0xcc);	/* only 8 bytes written */
		n = 0;
		assert_int_equal(manifest_fmt_refs_decode(pt, len, &n), QS_OK);
		assert_int_equal(n, counts[i]);
		/* Any other length is refused. */
		n = 77;
		assert_int_equal(manifest_fmt_refs_decode(pt, len - 1, &n),
		    QS_ECORRUPT);
		if (len < MANIFEST_FRAME_MAX)
			assert_int_equal(manifest_fmt_refs_decode(pt, len + 1, &n),
			    QS_ECORRUPT);
		assert_int_equal(manifest_fmt_refs_decode(pt,
		    len - MANIFEST_REF_SIZE, &n), QS_ECORRUPT);
		if (len + MANIFEST_REF_SIZE <= MANIFEST_FRAME_MAX)
			assert_int_equal(manifest_fmt_refs_decode(pt,
			    len + MANIFEST_REF_SIZE, &n), QS_ECORRUPT);
		assert_int_equal(n, 77);
	}
	free(pt);
}

static void
test_refs_reject(void **state)
{
	uint8_t pt[MANIFEST_REFS_HEADER + 3 * MANIFEST_REF_SIZE];
	uint8_t buf[sizeof(pt)];
	uint8_t *big;
	uint32_t n = 55;

	(void)state;
	fill_pattern(pt, sizeof(pt), 1);
	manifest_fmt_refs_begin(pt, 3);
	for (size_t len = 0; len < MANIFEST_REFS_HEADER; len++)
		assert_int_equal(manifest_fmt_refs_decode(pt, len, &n),
		    QS_ECORRUPT);
	/* Wrong type. */
	for (unsigned t = 0; t < 256; t++) {
		if (t == MANIFEST_FRAME_REFS)
			continue;
		memcpy(buf, pt, sizeof(buf));
		buf[0] = (uint8_t)t;
		assert_int_equal(manifest_fmt_refs_decode(buf, sizeof(buf), &n),
		    QS_ECORRUPT);
	}
	/* Reserved bytes. */
	for (size_t i = 1; i < 4; i++) {
		memcpy(buf, pt, sizeof(buf));
		buf[i] = 1;
		assert_int_equal(manifest_fmt_refs_decode(buf, sizeof(buf), &n),
		    QS_ECORRUPT);
	}
	/* A count of zero (an empty refs frame is never written). */
	manifest_fmt_refs_begin(buf, 0);
	assert_int_equal(manifest_fmt_refs_decode(buf, MANIFEST_REFS_HEADER, &n),
	    QS_ECORRUPT);
	/* Counts whose size would overflow 32 bits or exceed a frame. */
	memcpy(buf, pt, sizeof(buf));
	le32enc(buf + 4, 0xffffffffU);
	assert_int_equal(manifest_fmt_refs_decode(buf, sizeof(buf), &n),
	    QS_ECORRUPT);
	assert_non_null(big = calloc(1, MANIFEST_FRAME_MAX + 64));
	manifest_fmt_refs_begin(big, MANIFEST_REFS_PER_FRAME + 1);
	assert_int_equal(manifest_fmt_refs_decode(big, MANIFEST_REFS_HEADER +
	    (size_t)(MANIFEST_REFS_PER_FRAME + 1) * MANIFEST_REF_SIZE, &n),
	    QS_ECORRUPT);
	free(big);
	assert_int_equal(n, 55);
}

/* ---- summary ------------------------------------------------------- */

static void
test_summary_roundtrip(void **state)
{
	struct manifest_summary s, d;
	uint8_t buf[MANIFEST_SUMMARY_FIXED + STREAM_NAME_MAX + 8];
	size_t len = 0, nl;

	(void)state;
	sample_summary(&s);
	nl = strlen(s.name);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(manifest_fmt_summary_encode(&s, buf, sizeof(buf), &len),
	    QS_OK);
	assert_int_equal(len, MANIFEST_SUMMARY_FIXED + nl);
	assert_int_equal(buf[len], 0xee);
	/* Layout. */
	assert_int_equal(buf[0], MANIFEST_FRAME_SUMMARY);
	assert_int_equal(buf[1] | buf[2] | buf[3] | buf[6] | buf[7], 0);
	assert_int_equal(le16dec(buf + 4), nl);
	assert_true((int64_t)le64dec(buf + 8) == s.created);
	assert_true(le64dec(buf + 16) == s.length);
	assert_true(le64dec(buf + 24) == s.chunk_count);
	assert_true(le64dec(buf + 32) == s.new_chunks);
	assert_true(le64dec(buf + 40) == s.new_raw_bytes);
	assert_true(le64dec(buf + 48) == s.new_stored_bytes);
	assert_memory_equal(buf + 56, s.stream_hash, 32);
	assert_int_equal(le32dec(buf + 88), 0);
	assert_int_equal(le32dec(buf + 92), 0);
	/* No catalogue and no origin: their fields are zero. */
	for (size_t i = 96; i < 192; i++)
		assert_int_equal(buf[i], 0);
	assert_memory_equal(buf + 192, s.name, nl);
	memset(&d, 0x5a, sizeof(d));
	assert_int_equal(manifest_fmt_summary_decode(buf, len, &d), QS_OK);
	check_summary_equal(&s, &d);

	/* The longest name, exactly fitting the buffer. */
	memset(s.name, 'n', STREAM_NAME_MAX);
	s.name[STREAM_NAME_MAX] = '\0';
	assert_int_equal(manifest_fmt_summary_encode(&s, buf,
	    MANIFEST_SUMMARY_FIXED + STREAM_NAME_MAX, &len), QS_OK);
	assert_int_equal(len, MANIFEST_SUMMARY_FIXED + STREAM_NAME_MAX);
	assert_int_equal(manifest_fmt_summary_decode(buf, len, &d), QS_OK);
	check_summary_equal(&s, &d);
	/* One byte short of room. */
	len = 12345;
	assert_int_equal(manifest_fmt_summary_encode(&s, buf,
	    MANIFEST_SUMMARY_FIXED + STREAM_NAME_MAX - 1, &len), QS_EINVAL);
	assert_int_equal(len, 12345);
}

static void
test_summary_catalogue(void **state)
{
	struct manifest_summary s, d;
	uint8_t buf[MANIFEST_SUMMARY_FIXED + STREAM_NAME_MAX + 8];
	size_t len;

	(void)state;
	sample_summary(&s);
	s.features = MANIFEST_FEATURE_CATALOGUE;
	for (int i = 0; i < 16; i++)
		s.catalogue_id[i] = (uint8_t)(0xa0 + i);
	for (int i = 0; i < 32; i++)
		s.catalogue_hash[i] = (uint8_t)(0x10 + i);
	assert_int_equal(manifest_fmt_summary_encode(&s, buf, sizeof(buf), &len),
	    QS_OK);
	assert_memory_equal(buf + 96, s.catalogue_id, 16);
	assert_memory_equal(buf + 112, s.catalogue_hash, 32);
	assert_int_equal(manifest_fmt_summary_decode(buf, len, &d), QS_OK);
	assert_int_equal(d.features, MANIFEST_FEATURE_CATALOGUE);
	assert_memory_equal(d.catalogue_id, s.catalogue_id, 16);
	assert_memory_equal(d.catalogue_hash, s.catalogue_hash, 32);
	/* Without the feature bit the fields must be zero. */
	le32enc(buf + 88, 0);
	assert_int_equal(manifest_fmt_summary_decode(buf, len, &d), QS_ECORRUPT);

	/* The origin of a replicated stream, at 144 and 160. */
	sample_summary(&s);
	s.features = MANIFEST_FEATURE_ORIGIN;
	for (int i = 0; i < 16; i++)
		s.origin_store_id[i] = (uint8_t)(0x30 + i);
	for (int i = 0; i < 32; i++)
		s.origin_hash[i] = (uint8_t)(0x70 + i);
	assert_int_equal(manifest_fmt_summary_encode(&s, buf, sizeof(buf), &len),
	    QS_OK);
	assert_memory_equal(buf + 144, s.origin_store_id, 16);
	assert_memory_equal(buf + 160, s.origin_hash, 32);
	assert_int_equal(manifest_fmt_summary_decode(buf, len, &d), QS_OK);
	assert_memory_equal(d.origin_store_id, s.origin_store_id, 16);
	assert_memory_equal(d.origin_hash, s.origin_hash, 32);
	le32enc(buf + 88, 0);
	assert_int_equal(manifest_fmt_summary_decode(buf, len, &d), QS_ECORRUPT);
}

static void
expect_summary(const uint8_t *buf, size_t len, int want)
{
	struct manifest_summary d;

	memset(&d, 0x5a, sizeof(d));
	assert_int_equal(manifest_fmt_summary_decode(buf, len, &d), want);
}

static void
test_summary_reject(void **state)
{
	struct manifest_summary s;
	uint8_t good[MANIFEST_SUMMARY_FIXED + STREAM_NAME_MAX + 8];
	uint8_t buf[sizeof(good)];
	size_t len;

	(void)state;
	sample_summary(&s);
	assert_int_equal(manifest_fmt_summary_encode(&s, good, sizeof(good),
	    &len), QS_OK);
	for (size_t l = 0; l < len; l++)
		expect_summary(good, l, QS_ECORRUPT);
	expect_summary(good, len + 1, QS_ECORRUPT);
	for (unsigned t = 0; t < 256; t++) {
		if (t == MANIFEST_FRAME_SUMMARY)
			continue;
		memcpy(buf, good, len);
		buf[0] = (uint8_t)t;
		expect_summary(buf, len, QS_ECORRUPT);
	}
	/* Reserved bytes, and catalogue fields without the feature bit. */
	for (size_t i = 0; i < MANIFEST_SUMMARY_FIXED; i++) {
		if (!((i >= 1 && i < 4) || i == 6 || i == 7 || i >= 92))
			continue;
		memcpy(buf, good, len);
		buf[i] = 0x40;
		expect_summary(buf, len, QS_ECORRUPT);
	}
	/* name_len 0, too long, or disagreeing with the length. */
	memcpy(buf, good, len);
	le16enc(buf + 4, 0);
	expect_summary(buf, MANIFEST_SUMMARY_FIXED, QS_ECORRUPT);
	le16enc(buf + 4, STREAM_NAME_MAX + 1);
	expect_summary(buf, MANIFEST_SUMMARY_FIXED + STREAM_NAME_MAX + 1,
	    QS_ECORRUPT);
	le16enc(buf + 4, 0xffff);
	expect_summary(buf, len, QS_ECORRUPT);
	memcpy(buf, good, len);
	le16enc(buf + 4, (uint16_t)(le16dec(good + 4) - 1));
	expect_summary(buf, len, QS_ECORRUPT);
	/* Any unknown feature bit: a newer writer. */
	for (int bit = 2; bit < 32; bit++) {
		memcpy(buf, good, len);
		le32enc(buf + 88, 1U << bit);
		expect_summary(buf, len, QS_EVERSION);
	}
}

static void
test_summary_bitflips(void **state)
{
	struct manifest_summary s, d;
	uint8_t good[MANIFEST_SUMMARY_FIXED + STREAM_NAME_MAX];
	uint8_t buf[sizeof(good)];
	size_t len;
	int rc;

	(void)state;
	sample_summary(&s);
	assert_int_equal(manifest_fmt_summary_encode(&s, good, sizeof(good),
	    &len), QS_OK);
	for (size_t bit = 0; bit < 8 * len; bit++) {
		size_t byte = bit / 8;

		memcpy(buf, good, len);
		buf[byte] ^= (uint8_t)(1U << (bit % 8));
		rc = manifest_fmt_summary_decode(buf, len, &d);
		if (byte >= 8 && byte < 88) {
			assert_int_equal(rc, QS_OK);
			assert_memory_not_equal(&d, &s, offsetof(
			    struct manifest_summary, features));
		} else if (byte == 88 && bit % 8 < 2) {
			/*
			 * The catalogue feature bit: accepted only with a
			 * catalogue id and hash, which are zero here...
			 * zero is a valid id, so the decode succeeds and
			 * the feature differs.
			 */
			if (rc == QS_OK)
				assert_int_not_equal(d.features, s.features);
		} else if (byte >= MANIFEST_SUMMARY_FIXED) {
			/* A name byte: accepted, the name differs. */
			if (rc == QS_OK)
				assert_string_not_equal(d.name, s.name);
		} else {
			assert_int_not_equal(rc, QS_OK);
		}
	}
}

/*
 * Bug: manifest_fmt_summary_encode accepts an empty name (and returns QS_OK)
 * although manifest_fmt_summary_decode refuses name_len == 0, so a writer can
 * produce a manifest no reader accepts.
 */
static void
test_regression_summary_empty_name(void **state)
{
	struct manifest_summary s;
	uint8_t buf[MANIFEST_SUMMARY_FIXED + STREAM_NAME_MAX];
	size_t len;

	(void)state;
	sample_summary(&s);
	s.name[0] = '\0';
	assert_int_equal(manifest_fmt_summary_encode(&s, buf, sizeof(buf), &len),
	    QS_EINVAL);
}

/*
 * Bug: manifest_fmt_summary_decode accepts a name that is not a valid stream
 * name, including one with an embedded NUL, which it silently truncates:
 * "ok\0evil" decodes as "ok".
 */
static void
test_regression_summary_name_checked(void **state)
{
	struct manifest_summary s, d;
	uint8_t buf[MANIFEST_SUMMARY_FIXED + STREAM_NAME_MAX];
	size_t len;

	(void)state;
	sample_summary(&s);
	snprintf(s.name, sizeof(s.name), "ok-evil");
	assert_int_equal(manifest_fmt_summary_encode(&s, buf, sizeof(buf), &len),
	    QS_OK);
	buf[MANIFEST_SUMMARY_FIXED + 2] = '\0';
	assert_int_equal(manifest_fmt_summary_decode(buf, len, &d), QS_ECORRUPT);
	buf[MANIFEST_SUMMARY_FIXED + 2] = '/';
	assert_int_equal(manifest_fmt_summary_decode(buf, len, &d), QS_ECORRUPT);
}

/* ---- stream names -------------------------------------------------- */

static void
test_stream_name_check(void **state)
{
	static const char *good[] = { "a", "Z", "0", "x.", "a-", "a.b",
	    "A-b_c.d+e@f:g=h,i~j", "host1:etc", "2024-01-01T00:00:00Z",
	    "a..b", "_", "+", "@", "~x", "x~" };
	static const struct {
		const char *name;
		const char *why;
	} bad[] = {
		{ "", "empty" },
		{ ".", "must not start with '.'" },
		{ "..", "must not start with '.'" },
		{ ".tmp-x", "must not start with '.'" },
		{ "-rf", "must not start with '-'" },
		{ "a/b", "must not contain '/'" },
		{ "a b", "0x20" },
		{ "a\tb", "0x09" },
		{ "caf\xc3\xa9", "0xc3" },
		{ "a*", "0x2a" },
		{ "a\\b", "0x5c" },
		{ "a\"b", "0x22" },
		{ "a\x7f", "0x7f" },
		{ "a\n", "0x0a" },
	};
	char name[STREAM_NAME_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (manifest_fmt_name_check(good[i]) != QS_OK)
			fail_msg("\"%s\" refused: %s", good[i],
			    qs_error_message());
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		qs_error_clear();
		assert_int_equal(manifest_fmt_name_check(bad[i].name), QS_EINVAL);
		if (strstr(qs_error_message(), bad[i].why) == NULL)
			fail_msg("\"%s\": detail \"%s\" lacks \"%s\"",
			    bad[i].name, qs_error_message(), bad[i].why);
	}
	/* Every byte value in the middle of a name. */
	for (unsigned c = 1; c < 256; c++) {
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != 0 &&
		    strchr("._+@:=,~-", (int)c) != NULL);

		snprintf(name, sizeof(name), "x%cy", (char)c);
		assert_int_equal(manifest_fmt_name_check(name),
		    ok ? QS_OK : QS_EINVAL);
	}
	/* Length limits. */
	memset(name, 'k', STREAM_NAME_MAX);
	name[STREAM_NAME_MAX] = '\0';
	assert_int_equal(manifest_fmt_name_check(name), QS_OK);
	name[STREAM_NAME_MAX] = 'k';
	name[STREAM_NAME_MAX + 1] = '\0';
	assert_int_equal(manifest_fmt_name_check(name), QS_EINVAL);
	assert_non_null(strstr(qs_error_message(), "at most 200"));
}

/* ---- spec/vectors/records.hex --------------------------------------- */

/* Seal or check-sum one frame like index/store/manifest.c, into ${out}. */
static size_t
build_frame(const uint8_t *key, const uint8_t *nonce, const uint8_t *ad,
    size_t adlen, const uint8_t *pt, size_t len, uint8_t *out)
{
	struct checksum_state st;
	uint8_t sum[CHECKSUM_BYTES];
	size_t body;

	if (key != NULL) {
		memcpy(out + 4, nonce, AEAD_NONCEBYTES);
		aead_seal(key, nonce, ad, adlen, pt, len,
		    out + 4 + AEAD_NONCEBYTES);
		body = AEAD_NONCEBYTES + len + AEAD_TAGBYTES;
	} else {
		memcpy(out + 4, pt, len);
		checksum_init(&st);
		checksum_update(&st, ad, adlen);
		checksum_update(&st, pt, len);
		checksum_final(&st, sum);
		memcpy(out + 4 + len, sum, 16);
		body = len + 16;
	}
	le32enc(out, (uint32_t)body);
	return (4 + body);
}

static void
check_manifest_vector(const struct vec *v)
{
	struct manifest_header h, hd;
	struct manifest_summary s, sd;
	struct checksum_state st;
	uint8_t key[32], n0[24], n1[24], want_hash[32];
	uint8_t hdr[MANIFEST_HEADER_SIZE], ad0[MANIFEST_FRAME_AD_SIZE];
	uint8_t ad1[MANIFEST_FRAME_AD_SIZE], want_ad[MANIFEST_FRAME_AD_SIZE];
	uint8_t rpt[MANIFEST_REFS_HEADER + 16 * MANIFEST_REF_SIZE];
	uint8_t spt[MANIFEST_SUMMARY_FIXED + STREAM_NAME_MAX];
	uint8_t prpt[2048], pspt[2048];
	uint8_t file[8192], *want, *tmp;
	size_t wantlen, len, slen, f0len, f1len, keylen, namelen, adlen, fidlen;
	uint32_t nrefs = 0, count;
	int sealed;

	tmp = vec_hex(v, "content_key", &keylen);
	sealed = keylen != 0;
	if (sealed) {
		assert_int_equal(keylen, 32);
		memcpy(key, tmp, 32);
		vec_fixed(v, "nonce0", n0, 24);
		vec_fixed(v, "nonce1", n1, 24);
	}
	free(tmp);

	/* Refs plaintext and the stream hash. */
	checksum_init(&st);
	for (size_t i = 0; i < v->nf; i++) {
		uint8_t *ref;
		unsigned long raw;
		char idhex[65];

		if (strcmp(v->f[i].key, "ref") != 0)
			continue;
		assert_true(nrefs < 16);
		assert_int_equal(sscanf(v->f[i].val, "%64s %lu", idhex, &raw),
		    2);
		ref = rpt + MANIFEST_REFS_HEADER + nrefs * MANIFEST_REF_SIZE;
		for (size_t j = 0; j < 32; j++)
			ref[j] = (uint8_t)(hexval(idhex[2 * j]) << 4 |
			    hexval(idhex[2 * j + 1]));
		le32enc(ref + 32, (uint32_t)raw);
		checksum_update(&st, ref, MANIFEST_REF_SIZE);
		nrefs++;
	}
	assert_true(nrefs > 0);
	manifest_fmt_refs_begin(rpt, nrefs);
	len = MANIFEST_REFS_HEADER + nrefs * MANIFEST_REF_SIZE;
	want = vec_hex(v, "refs_plaintext", &wantlen);
	assert_int_equal(wantlen, len);
	assert_memory_equal(rpt, want, len);
	free(want);
	assert_int_equal(manifest_fmt_refs_decode(rpt, len, &count), QS_OK);
	assert_int_equal(count, nrefs);

	/* Summary plaintext. */
	memset(&s, 0, sizeof(s));
	s.created = (int64_t)vec_int(v, "created");
	s.length = vec_int(v, "length");
	s.chunk_count = vec_int(v, "chunk_count");
	s.new_chunks = vec_int(v, "new_chunks");
	s.new_raw_bytes = vec_int(v, "new_raw_bytes");
	s.new_stored_bytes = vec_int(v, "new_stored_bytes");
	checksum_final(&st, s.stream_hash);
	vec_fixed(v, "stream_hash", want_hash, 32);
	assert_memory_equal(s.stream_hash, want_hash, 32);
	tmp = vec_hex(v, "stream_name", &namelen);
	assert_true(namelen <= STREAM_NAME_MAX);
	memcpy(s.name, tmp, namelen);
	free(tmp);
	assert_int_equal(manifest_fmt_name_check(s.name), QS_OK);
	assert_int_equal(manifest_fmt_summary_encode(&s, spt, sizeof(spt), &slen),
	    QS_OK);
	want = vec_hex(v, "summary_plaintext", &wantlen);
	assert_int_equal(wantlen, slen);
	assert_memory_equal(spt, want, slen);
	free(want);
	assert_int_equal(manifest_fmt_summary_decode(spt, slen, &sd), QS_OK);
	check_summary_equal(&s, &sd);

	/* Header and frames. */
	/* Version 1 vectors (0.1.0, still read), version 2 and 3 ones. */
	memset(&h, 0, sizeof(h));
	h.version = (uint16_t)vec_int(v, "version");
	assert_true(h.version == MANIFEST_VERSION ||
	    h.version == MANIFEST_VERSION_PADDED ||
	    h.version == MANIFEST_VERSION_UNBOUND);
	assert_true(h.version != MANIFEST_VERSION_PADDED || sealed);
	tmp = vec_hex(v, "file_id", &fidlen);
	if (h.version != MANIFEST_VERSION_UNBOUND) {
		assert_int_equal(fidlen, 16);
		memcpy(h.file_id, tmp, 16);
	} else
		assert_int_equal(fidlen, 0);
	free(tmp);
	h.key_id = (uint16_t)vec_int(v, "key_id");
	assert_int_equal(h.key_id != 0, sealed);
	vec_fixed(v, "store_id", h.store_id, 16);
	h.summary_offset = MANIFEST_HEADER_SIZE;	/* fixed up below */
	h.frame_count = 2;
	manifest_fmt_header_encode(&h, hdr);
	adlen = manifest_fmt_frame_ad(hdr, 0, 0, ad0);
	assert_int_equal(manifest_fmt_frame_ad(hdr, 1, 1, ad1), adlen);
	assert_int_equal(adlen, h.version != MANIFEST_VERSION_UNBOUND ?
	    MANIFEST_FRAME_AD_SIZE : MANIFEST_FRAME_AD_SIZE_V1);
	/* Version 3 seals the padded plaintexts (FORMAT.md 6.2). */
	if (h.version == MANIFEST_VERSION_PADDED) {
		assert_int_equal(manifest_fmt_pad_encode(rpt, len, prpt),
		    manifest_fmt_pad_len(len));
		assert_int_equal(manifest_fmt_pad_encode(spt, slen, pspt),
		    manifest_fmt_pad_len(slen));
	}
	vec_fixed(v, "frame0_ad", want_ad, adlen);
	assert_memory_equal(ad0, want_ad, adlen);
	vec_fixed(v, "frame1_ad", want_ad, adlen);
	assert_memory_equal(ad1, want_ad, adlen);
	if (h.version == MANIFEST_VERSION_PADDED) {
		f0len = build_frame(key, n0, ad0, adlen, prpt,
		    manifest_fmt_pad_len(len), file + MANIFEST_HEADER_SIZE);
		f1len = build_frame(key, n1, ad1, adlen, pspt,
		    manifest_fmt_pad_len(slen),
		    file + MANIFEST_HEADER_SIZE + f0len);
	} else {
		f0len = build_frame(sealed ? key : NULL, n0, ad0, adlen, rpt,
		    len, file + MANIFEST_HEADER_SIZE);
		f1len = build_frame(sealed ? key : NULL, n1, ad1, adlen, spt,
		    slen, file + MANIFEST_HEADER_SIZE + f0len);
	}
	want = vec_hex(v, "frame0", &wantlen);
	assert_int_equal(wantlen, f0len);
	assert_memory_equal(file + MANIFEST_HEADER_SIZE, want, f0len);
	free(want);
	want = vec_hex(v, "frame1", &wantlen);
	assert_int_equal(wantlen, f1len);
	assert_memory_equal(file + MANIFEST_HEADER_SIZE + f0len, want, f1len);
	free(want);
	h.summary_offset = MANIFEST_HEADER_SIZE + f0len;
	manifest_fmt_header_encode(&h, file);
	want = vec_hex(v, "header", &wantlen);
	assert_int_equal(wantlen, MANIFEST_HEADER_SIZE);
	assert_memory_equal(file, want, MANIFEST_HEADER_SIZE);
	free(want);
	assert_int_equal(manifest_fmt_header_decode(file, MANIFEST_HEADER_SIZE,
	    &hd), QS_OK);
	assert_true(hd.summary_offset == h.summary_offset);
	want = vec_hex(v, "file", &wantlen);
	assert_int_equal(wantlen, MANIFEST_HEADER_SIZE + f0len + f1len);
	if (memcmp(file, want, wantlen) != 0)
		fail_msg("vector %s: manifest bytes differ", v->name);
	/* The sealed refs frame opens with the vector's own bytes. */
	if (sealed) {
		uint8_t out[sizeof(prpt)];
		size_t inner;

		assert_int_equal(aead_open(key, want + MANIFEST_HEADER_SIZE + 4,
		    ad0, adlen, want + MANIFEST_HEADER_SIZE + 4 + 24,
		    f0len - 4 - 24, out), QS_OK);
		if (h.version == MANIFEST_VERSION_PADDED) {
			assert_int_equal(manifest_fmt_pad_decode(out,
			    f0len - 4 - 24 - 16, &inner), QS_OK);
			assert_int_equal(inner, len);
			assert_memory_equal(out + MANIFEST_PAD_HEADER, rpt, len);
		} else
			assert_memory_equal(out, rpt, len);
		/* As frame 1 (swapped order) it does not. */
		assert_int_equal(aead_open(key, want + MANIFEST_HEADER_SIZE + 4,
		    ad1, adlen, want + MANIFEST_HEADER_SIZE + 4 + 24,
		    f0len - 4 - 24, out), QS_EAUTH);
		/* Version 2, 3: nor in a file with another file id. */
		if (h.version != MANIFEST_VERSION_UNBOUND) {
			hdr[48] ^= 1;
			manifest_fmt_frame_ad(hdr, 0, 0, ad1);
			hdr[48] ^= 1;
			assert_int_equal(aead_open(key,
			    want + MANIFEST_HEADER_SIZE + 4, ad1, adlen,
			    want + MANIFEST_HEADER_SIZE + 4 + 24,
			    f0len - 4 - 24, out), QS_EAUTH);
		}
	}
	free(want);
}

static void
test_vectors(void **state)
{
	FILE *f = open_vector("records.hex");
	struct vec *v;
	int sealed = 0, plain = 0, v2 = 0, v3 = 0;

	(void)state;
	assert_non_null(v = calloc(1, sizeof(*v)));
	while (vec_next(f, v)) {
		if (strcmp(v->kind, "manifest") != 0)
			continue;
		check_manifest_vector(v);
		if (vec_int(v, "version") == MANIFEST_VERSION)
			v2++;
		if (vec_int(v, "version") == MANIFEST_VERSION_PADDED)
			v3++;
		if (vec_int(v, "key_id") != 0)
			sealed++;
		else
			plain++;
	}
	vec_clear(v);
	free(v);
	fclose(f);
	assert_true(sealed >= 3 && plain >= 2 && v2 >= 2 && v3 >= 1);
}

/* Version 3 padding: the one padded length per plaintext length, zeros. */
static void
test_padding(void **state)
{
	static uint8_t pt[MANIFEST_FRAME_MAX], buf[MANIFEST_FRAME_PADDED_MAX];
	static const size_t lens[] = { 0, 1, 192, 508, 509, 600, 4096, 99999,
	    MANIFEST_FRAME_MAX };
	size_t i, n, total, got;
	struct manifest_header h;
	uint8_t hdr[MANIFEST_HEADER_SIZE];

	(void)state;
	for (i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 7 + 1);
	/* Small frames, a summary with any name, take exactly 512. */
	assert_int_equal(manifest_fmt_pad_len(0), MANIFEST_PAD_MIN);
	assert_int_equal(manifest_fmt_pad_len(MANIFEST_SUMMARY_FIXED + 1),
	    MANIFEST_PAD_MIN);
	assert_int_equal(manifest_fmt_pad_len(MANIFEST_SUMMARY_FIXED +
	    STREAM_NAME_MAX), MANIFEST_PAD_MIN);
	assert_int_equal(manifest_fmt_pad_len(MANIFEST_FRAME_MAX),
	    MANIFEST_FRAME_PADDED_MAX);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = lens[i];
		total = manifest_fmt_pad_encode(pt, n, buf);
		assert_int_equal(total, manifest_fmt_pad_len(n));
		assert_true(total >= n + MANIFEST_PAD_HEADER);
		/* PADME with one more bit: at most ~6% more past 512. */
		assert_true(total <= MANIFEST_PAD_MIN ||
		    total * 100 <= (n + MANIFEST_PAD_HEADER) * 106);
		assert_int_equal(manifest_fmt_pad_decode(buf, total, &got),
		    QS_OK);
		assert_int_equal(got, n);
		assert_memory_equal(buf + MANIFEST_PAD_HEADER, pt, n);
		/* A non-zero padding byte, a shorter or longer total. */
		if (total > n + MANIFEST_PAD_HEADER) {
			buf[total - 1] = 1;
			assert_int_equal(manifest_fmt_pad_decode(buf, total,
			    &got), QS_ECORRUPT);
			buf[total - 1] = 0;
		}
		assert_int_equal(manifest_fmt_pad_decode(buf, total - 1, &got),
		    QS_ECORRUPT);
		/* A length field claiming more than the frame holds. */
		le32enc(buf, (uint32_t)(total));
		assert_int_equal(manifest_fmt_pad_decode(buf, total, &got),
		    QS_ECORRUPT);
	}
	le32enc(buf, MANIFEST_FRAME_MAX + 1);
	assert_int_equal(manifest_fmt_pad_decode(buf, MANIFEST_FRAME_PADDED_MAX,
	    &got), QS_ECORRUPT);

	/* Version 3 is for sealed files only. */
	memset(&h, 0, sizeof(h));
	h.version = MANIFEST_VERSION_PADDED;
	h.key_id = 1;
	memset(h.store_id, 3, 16);
	memset(h.file_id, 4, 16);
	h.summary_offset = MANIFEST_HEADER_SIZE;
	h.frame_count = 1;
	manifest_fmt_header_encode(&h, hdr);
	assert_int_equal(manifest_fmt_header_decode(hdr, sizeof(hdr), &h),
	    QS_OK);
	assert_int_equal(h.version, MANIFEST_VERSION_PADDED);
	h.key_id = 0;
	manifest_fmt_header_encode(&h, hdr);
	assert_int_equal(manifest_fmt_header_decode(hdr, sizeof(hdr), &h),
	    QS_ECORRUPT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_roundtrip),
		cmocka_unit_test(test_header_reject),
		cmocka_unit_test(test_header_impossible_values),
		cmocka_unit_test(test_regression_header_untouched),
		cmocka_unit_test(test_header_bitflips),
		cmocka_unit_test(test_frame_ad),
		cmocka_unit_test(test_regression_frame_ad_binds_file),
		cmocka_unit_test(test_header_version1),
		cmocka_unit_test(test_refs_roundtrip),
		cmocka_unit_test(test_refs_reject),
		cmocka_unit_test(test_summary_roundtrip),
		cmocka_unit_test(test_summary_reject),
		cmocka_unit_test(test_summary_bitflips),
		cmocka_unit_test(test_regression_summary_empty_name),
		cmocka_unit_test(test_regression_summary_name_checked),
		cmocka_unit_test(test_summary_catalogue),
		cmocka_unit_test(test_stream_name_check),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_padding),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
