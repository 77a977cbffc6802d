/*
 * Tests for format/container_fmt.c: container header and trailer, record header,
 * record associated data and container paths.  test_vectors rebuilds the
 * records of spec/vectors/records.hex (written by the independent Python
 * implementation spec/vectors/gen_records.py) byte for byte.
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
#include "crypto/chunkid.h"
#include "format/endian.h"
#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/store/store.h"

#include "testlib.h"

/* ---- helpers ------------------------------------------------------- */

static void
sample_header(struct container_header *h)
{

	h->version = CONTAINER_VERSION;
	fill_pattern(h->store_id, 16, 0x11);
	h->container_id = 0x8877665544332211ULL;
	h->created = -1234567890123LL;
}

static void
sample_trailer(struct container_trailer *t)
{

	t->record_count = 0xa1b2c3d4U;
	t->records_end = 0x0102030405060708ULL;
	t->raw_bytes = 0xf0e0d0c0b0a09080ULL;
	fill_pattern(t->headers_hash, 32, 0x5a);
}

static void
sample_sealed(struct record_header *h)
{

	memset(h, 0, sizeof(*h));
	h->type = RECORD_TYPE_CHUNK;
	h->flags = RECORD_FLAG_ZSTD;
	h->key_id = 0xa55a;
	h->raw_len = 0x00c0ffee;
	h->stored_len = 0x00beef01;
	fill_pattern(h->chunk_id, 32, 0x77);
	fill_pattern(h->nonce, 24, 0x99);
}

static void
sample_plain(struct record_header *h)
{

	memset(h, 0, sizeof(*h));
	h->type = RECORD_TYPE_CHUNK;
	h->flags = 0;
	h->key_id = 0;
	h->raw_len = 123457;
	h->stored_len = 123457;
	fill_pattern(h->chunk_id, 32, 0x3c);
}

/* ---- container header ------------------------------------------------ */

static void
test_container_header_roundtrip(void **state)
{
	struct container_header h, d;
	uint8_t buf[CONTAINER_HEADER_SIZE + 8];

	(void)state;
	sample_header(&h);
	memset(buf, 0xee, sizeof(buf));
	container_fmt_header_encode(&h, buf);
	/* Exactly CONTAINER_HEADER_SIZE bytes are written. */
	for (size_t i = CONTAINER_HEADER_SIZE; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xee);
	assert_memory_equal(buf, "QSARCCTR", 8);
	assert_int_equal(le16dec(buf + 8), CONTAINER_VERSION);
	assert_int_equal(le16dec(buf + 10), 0);
	assert_memory_equal(buf + 16, h.store_id, 16);
	assert_true(le64dec(buf + 32) == h.container_id);
	assert_true((int64_t)le64dec(buf + 40) == h.created);
	memset(&d, 0, sizeof(d));
	assert_int_equal(container_fmt_header_decode(buf, CONTAINER_HEADER_SIZE,
	    &d), QS_OK);
	assert_memory_equal(d.store_id, h.store_id, 16);
	assert_true(d.container_id == h.container_id);
	assert_true(d.created == h.created);
	/* Longer buffers are fine: only the first 64 bytes are read. */
	assert_int_equal(container_fmt_header_decode(buf, sizeof(buf), &d), QS_OK);
}

static void
test_container_header_reject(void **state)
{
	struct container_header h, d, sentinel;
	uint8_t good[CONTAINER_HEADER_SIZE], buf[CONTAINER_HEADER_SIZE];
	static const uint16_t versions[] = { 0, 3, 4, 0x0100, 0xffff };

	(void)state;
	sample_header(&h);
	container_fmt_header_encode(&h, good);
	memset(&sentinel, 0xa5, sizeof(sentinel));

	/* Every truncation is QS_ECORRUPT and leaves ${h} untouched. */
	for (size_t len = 0; len < CONTAINER_HEADER_SIZE; len++) {
		d = sentinel;
		assert_int_equal(container_fmt_header_decode(good, len, &d),
		    QS_ECORRUPT);
		assert_memory_equal(&d, &sentinel, sizeof(d));
	}
	for (size_t i = 0; i < 8; i++) {
		memcpy(buf, good, sizeof(buf));
		buf[i] ^= 0x20;
		d = sentinel;
		assert_int_equal(container_fmt_header_decode(buf, sizeof(buf), &d),
		    QS_ECORRUPT);
		assert_memory_equal(&d, &sentinel, sizeof(d));
	}
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		memcpy(buf, good, sizeof(buf));
		le16enc(buf + 8, versions[i]);
		d = sentinel;
		assert_int_equal(container_fmt_header_decode(buf, sizeof(buf), &d),
		    QS_EVERSION);
		assert_memory_equal(&d, &sentinel, sizeof(d));
	}
	for (int bit = 0; bit < 16; bit++) {
		memcpy(buf, good, sizeof(buf));
		le16enc(buf + 10, (uint16_t)(1U << bit));
		assert_int_equal(container_fmt_header_decode(buf, sizeof(buf), &d),
		    QS_EVERSION);
	}
	/* Reserved: bytes 12..15 and 48..63. */
	for (size_t i = 0; i < CONTAINER_HEADER_SIZE; i++) {
		if (!((i >= 12 && i < 16) || i >= 48))
			continue;
		memcpy(buf, good, sizeof(buf));
		buf[i] = 0x01;
		d = sentinel;
		assert_int_equal(container_fmt_header_decode(buf, sizeof(buf), &d),
		    QS_ECORRUPT);
		assert_memory_equal(&d, &sentinel, sizeof(d));
	}
}

static void
test_container_header_bitflips(void **state)
{
	struct container_header h, d;
	uint8_t good[CONTAINER_HEADER_SIZE], buf[CONTAINER_HEADER_SIZE];
	int rc;

	(void)state;
	sample_header(&h);
	container_fmt_header_encode(&h, good);
	for (size_t bit = 0; bit < 8 * sizeof(buf); bit++) {
		size_t byte = bit / 8;

		memcpy(buf, good, sizeof(buf));
		buf[byte] ^= (uint8_t)(1U << (bit % 8));
		rc = container_fmt_header_decode(buf, sizeof(buf), &d);
		if (byte >= 16 && byte < 48) {
			/* A data field: accepted, and the change shows. */
			assert_int_equal(rc, QS_OK);
			assert_true(memcmp(d.store_id, h.store_id, 16) != 0 ||
			    d.container_id != h.container_id ||
			    d.created != h.created);
		} else {
			/* Magic, version, flags, reserved: refused. */
			assert_int_not_equal(rc, QS_OK);
		}
	}
}

/* ---- container trailer ----------------------------------------------- */

static void
test_container_trailer_roundtrip(void **state)
{
	struct container_trailer t, d;
	uint8_t buf[CONTAINER_TRAILER_SIZE + 4];

	(void)state;
	sample_trailer(&t);
	memset(buf, 0xee, sizeof(buf));
	container_fmt_trailer_encode(&t, buf);
	for (size_t i = CONTAINER_TRAILER_SIZE; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xee);
	assert_memory_equal(buf, "QSARCEND", 8);
	assert_int_equal(le32dec(buf + 8), t.record_count);
	assert_true(le64dec(buf + 16) == t.records_end);
	assert_true(le64dec(buf + 24) == t.raw_bytes);
	assert_memory_equal(buf + 32, t.headers_hash, 32);
	memset(&d, 0, sizeof(d));
	assert_int_equal(container_fmt_trailer_decode(buf, CONTAINER_TRAILER_SIZE,
	    &d), QS_OK);
	assert_int_equal(d.record_count, t.record_count);
	assert_true(d.records_end == t.records_end);
	assert_true(d.raw_bytes == t.raw_bytes);
	assert_memory_equal(d.headers_hash, t.headers_hash, 32);
}

static void
test_container_trailer_reject(void **state)
{
	struct container_trailer t, d, sentinel;
	uint8_t good[CONTAINER_TRAILER_SIZE], buf[CONTAINER_TRAILER_SIZE];
	int rc;

	(void)state;
	sample_trailer(&t);
	container_fmt_trailer_encode(&t, good);
	memset(&sentinel, 0xa5, sizeof(sentinel));
	for (size_t len = 0; len < CONTAINER_TRAILER_SIZE; len++) {
		d = sentinel;
		assert_int_equal(container_fmt_trailer_decode(good, len, &d),
		    QS_ECORRUPT);
		assert_memory_equal(&d, &sentinel, sizeof(d));
	}
	for (size_t bit = 0; bit < 8 * sizeof(buf); bit++) {
		size_t byte = bit / 8;

		memcpy(buf, good, sizeof(buf));
		buf[byte] ^= (uint8_t)(1U << (bit % 8));
		d = sentinel;
		rc = container_fmt_trailer_decode(buf, sizeof(buf), &d);
		if (byte < 8 || (byte >= 12 && byte < 16)) {
			/* Magic or reserved. */
			assert_int_equal(rc, QS_ECORRUPT);
			assert_memory_equal(&d, &sentinel, sizeof(d));
		} else {
			assert_int_equal(rc, QS_OK);
			assert_true(d.record_count != t.record_count ||
			    d.records_end != t.records_end ||
			    d.raw_bytes != t.raw_bytes ||
			    memcmp(d.headers_hash, t.headers_hash, 32) != 0);
		}
	}
}

/* ---- record header --------------------------------------------------- */

static void
check_record_equal(const struct record_header *a,
    const struct record_header *b)
{

	assert_int_equal(a->type, b->type);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->key_id, b->key_id);
	assert_int_equal(a->raw_len, b->raw_len);
	assert_int_equal(a->stored_len, b->stored_len);
	assert_memory_equal(a->chunk_id, b->chunk_id, 32);
	assert_memory_equal(a->nonce, b->nonce, 24);
}

static void
test_record_header_roundtrip(void **state)
{
	struct record_header h, d;
	uint8_t buf[RECORD_HEADER_SIZE + 4];

	(void)state;
	sample_sealed(&h);
	memset(buf, 0xee, sizeof(buf));
	container_fmt_record_encode(&h, buf);
	for (size_t i = RECORD_HEADER_SIZE; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xee);
	/* The layout the AD and the spec rely on. */
	assert_memory_equal(buf, "QSRC", 4);
	assert_int_equal(buf[4], RECORD_TYPE_CHUNK);
	assert_int_equal(buf[5], RECORD_FLAG_ZSTD);
	assert_int_equal(le16dec(buf + 6), 0xa55a);
	assert_int_equal(le32dec(buf + 8), h.raw_len);
	assert_int_equal(le32dec(buf + 12), h.stored_len);
	assert_memory_equal(buf + 16, h.chunk_id, 32);
	assert_memory_equal(buf + 48, h.nonce, 24);
	for (size_t i = 72; i < 80; i++)
		assert_int_equal(buf[i], 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(container_fmt_record_decode(buf, RECORD_HEADER_SIZE, &d),
	    QS_OK);
	check_record_equal(&h, &d);

	sample_plain(&h);
	container_fmt_record_encode(&h, buf);
	memset(&d, 0xff, sizeof(d));
	assert_int_equal(container_fmt_record_decode(buf, RECORD_HEADER_SIZE, &d),
	    QS_OK);
	check_record_equal(&h, &d);

	/* The limits themselves are accepted. */
	sample_sealed(&h);
	h.raw_len = RECORD_MAX_RAW;
	h.stored_len = RECORD_MAX_STORED;
	container_fmt_record_encode(&h, buf);
	assert_int_equal(container_fmt_record_decode(buf, RECORD_HEADER_SIZE, &d),
	    QS_OK);
	check_record_equal(&h, &d);
	/* An empty chunk is representable. */
	sample_plain(&h);
	h.raw_len = h.stored_len = 0;
	container_fmt_record_encode(&h, buf);
	assert_int_equal(container_fmt_record_decode(buf, RECORD_HEADER_SIZE, &d),
	    QS_OK);
	check_record_equal(&h, &d);
}

/* Decode ${buf} expecting QS_ECORRUPT and ${d} untouched. */
static void
expect_record_corrupt(const uint8_t *buf, size_t len)
{
	struct record_header d, sentinel;

	memset(&sentinel, 0xa5, sizeof(sentinel));
	d = sentinel;
	assert_int_equal(container_fmt_record_decode(buf, len, &d), QS_ECORRUPT);
	assert_memory_equal(&d, &sentinel, sizeof(d));
}

static void
test_record_header_reject(void **state)
{
	struct record_header h;
	uint8_t sealed[RECORD_HEADER_SIZE], plain[RECORD_HEADER_SIZE];
	uint8_t buf[RECORD_HEADER_SIZE];
	static const uint8_t types[] = { 0, 2, 3, 0x7f, 0x80, 0xff };

	(void)state;
	sample_sealed(&h);
	container_fmt_record_encode(&h, sealed);
	sample_plain(&h);
	container_fmt_record_encode(&h, plain);

	for (size_t len = 0; len < RECORD_HEADER_SIZE; len++) {
		expect_record_corrupt(sealed, len);
		expect_record_corrupt(plain, len);
	}
	for (size_t i = 0; i < 4; i++) {
		memcpy(buf, sealed, sizeof(buf));
		buf[i] ^= 0x01;
		expect_record_corrupt(buf, sizeof(buf));
	}
	for (size_t i = 0; i < sizeof(types); i++) {
		memcpy(buf, sealed, sizeof(buf));
		buf[4] = types[i];
		expect_record_corrupt(buf, sizeof(buf));
	}
	/* Unknown flags, alone or with the known one. */
	for (int bit = 1; bit < 8; bit++) {
		memcpy(buf, sealed, sizeof(buf));
		buf[5] = (uint8_t)(1U << bit);
		expect_record_corrupt(buf, sizeof(buf));
		buf[5] |= RECORD_FLAG_ZSTD;
		expect_record_corrupt(buf, sizeof(buf));
	}
	for (size_t i = 72; i < 80; i++) {
		memcpy(buf, sealed, sizeof(buf));
		buf[i] = 0x80;
		expect_record_corrupt(buf, sizeof(buf));
		memcpy(buf, plain, sizeof(buf));
		buf[i] = 0x01;
		expect_record_corrupt(buf, sizeof(buf));
	}
	/* Impossible lengths. */
	memcpy(buf, sealed, sizeof(buf));
	le32enc(buf + 8, RECORD_MAX_RAW + 1);
	expect_record_corrupt(buf, sizeof(buf));
	le32enc(buf + 8, 0xffffffffU);
	expect_record_corrupt(buf, sizeof(buf));
	memcpy(buf, sealed, sizeof(buf));
	le32enc(buf + 12, RECORD_MAX_STORED + 1);
	expect_record_corrupt(buf, sizeof(buf));
	le32enc(buf + 12, 0xffffffffU);
	expect_record_corrupt(buf, sizeof(buf));
	/* A plain record with any non-zero nonce byte. */
	for (size_t i = 48; i < 72; i++) {
		memcpy(buf, plain, sizeof(buf));
		buf[i] = 0x01;
		expect_record_corrupt(buf, sizeof(buf));
	}
	/* A plain uncompressed record whose lengths disagree. */
	memcpy(buf, plain, sizeof(buf));
	le32enc(buf + 12, le32dec(plain + 8) - 1);
	expect_record_corrupt(buf, sizeof(buf));
	le32enc(buf + 12, le32dec(plain + 8) + 16);
	expect_record_corrupt(buf, sizeof(buf));
}

static void
test_record_header_bitflips(void **state)
{
	struct record_header h, d;
	uint8_t good[2][RECORD_HEADER_SIZE], buf[RECORD_HEADER_SIZE];
	int rc;

	(void)state;
	sample_sealed(&h);
	container_fmt_record_encode(&h, good[0]);
	sample_plain(&h);
	container_fmt_record_encode(&h, good[1]);
	for (int which = 0; which < 2; which++) {
		struct record_header orig;

		assert_int_equal(container_fmt_record_decode(good[which],
		    RECORD_HEADER_SIZE, &orig), QS_OK);
		for (size_t bit = 0; bit < 8 * RECORD_HEADER_SIZE; bit++) {
			size_t byte = bit / 8;
			uint8_t mask = (uint8_t)(1U << (bit % 8));

			memcpy(buf, good[which], sizeof(buf));
			buf[byte] ^= mask;
			rc = container_fmt_record_decode(buf, sizeof(buf), &d);
			if (byte < 5 || (byte == 5 && mask != 1) ||
			    byte >= 72) {
				/* Magic, type, unknown flag, reserved. */
				assert_int_equal(rc, QS_ECORRUPT);
				continue;
			}
			if (which == 1 && byte >= 48 && byte < 72) {
				/* Plain record: the nonce must stay zero. */
				assert_int_equal(rc, QS_ECORRUPT);
				continue;
			}
			if (which == 1 && byte >= 8 && byte < 16) {
				/* Plain raw: stored_len must equal raw_len. */
				assert_int_equal(rc, QS_ECORRUPT);
				continue;
			}
			if (rc == QS_OK) {
				/* Accepted only with the change visible. */
				assert_true(memcmp(&d, &orig, sizeof(d)) !=
				    0);
				/*
				 * Every such field is inside the AD or is
				 * the nonce, so a sealed record cannot be
				 * relabelled undetected.
				 */
				assert_true(byte < 72);
			} else {
				assert_int_equal(rc, QS_ECORRUPT);
			}
		}
	}
}

/* ---- record AD and paths -------------------------------------------- */

static void
test_record_ad(void **state)
{
	struct record_header h;
	uint8_t hbuf[RECORD_HEADER_SIZE], ad[RECORD_AD_SIZE + 4];
	uint8_t ad2[RECORD_AD_SIZE];
	uint8_t sid[16];

	(void)state;
	assert_int_equal(RECORD_AD_SIZE, 80);
	sample_sealed(&h);
	container_fmt_record_encode(&h, hbuf);
	fill_pattern(sid, 16, 0xd1);
	memset(ad, 0xee, sizeof(ad));
	container_fmt_record_ad(sid, 0x1122334455667788ULL, 0x0000000abcdef012ULL, hbuf, ad);
	for (size_t i = RECORD_AD_SIZE; i < sizeof(ad); i++)
		assert_int_equal(ad[i], 0xee);
	assert_memory_equal(ad, sid, 16);
	assert_true(le64dec(ad + 16) == 0x1122334455667788ULL);
	assert_true(le64dec(ad + 24) == 0x0000000abcdef012ULL);
	assert_memory_equal(ad + 32, hbuf, 48);
	/* Each input changes the AD. */
	container_fmt_record_ad(sid, 0x1122334455667788ULL, 0x0000000abcdef013ULL, hbuf,
	    ad2);
	assert_memory_not_equal(ad, ad2, RECORD_AD_SIZE);
	container_fmt_record_ad(sid, 0x1122334455667789ULL, 0x0000000abcdef012ULL, hbuf,
	    ad2);
	assert_memory_not_equal(ad, ad2, RECORD_AD_SIZE);
	sid[15] ^= 1;
	container_fmt_record_ad(sid, 0x1122334455667788ULL, 0x0000000abcdef012ULL, hbuf,
	    ad2);
	assert_memory_not_equal(ad, ad2, RECORD_AD_SIZE);
	sid[15] ^= 1;
	hbuf[6] ^= 1;		/* key id */
	container_fmt_record_ad(sid, 0x1122334455667788ULL, 0x0000000abcdef012ULL, hbuf,
	    ad2);
	assert_memory_not_equal(ad, ad2, RECORD_AD_SIZE);
}

static void
test_container_path(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(store_container_path("/st", 0xab00000000000001ULL, buf,
	    sizeof(buf)), QS_OK);
	assert_string_equal(buf, "/st/data/ab/ab00000000000001.qsc");
	assert_int_equal(store_container_path("r", 0x0123456789abcdefULL, buf,
	    sizeof(buf)), QS_OK);
	assert_string_equal(buf, "r/data/01/0123456789abcdef.qsc");
	/* Exactly fitting, then one byte short. */
	assert_int_equal(store_container_path("r", 1, buf,
	    strlen("r/data/00/0000000000000001.qsc") + 1), QS_OK);
	assert_int_equal(store_container_path("r", 1, buf,
	    strlen("r/data/00/0000000000000001.qsc")), QS_EINVAL);
}

/* ---- spec/vectors/records.hex ---------------------------------------- */

static void
check_record_vector(const struct vec *v)
{
	struct record_header h, d;
	uint8_t key[32], idkey[32], sid[16], nonce[24], cid[32], id[32];
	uint8_t ad[RECORD_AD_SIZE], wantad[RECORD_AD_SIZE];
	uint8_t *chunk, *payload, *rec, *built, *pt;
	size_t chunklen, plen, reclen;
	uint64_t container_id = vec_int(v, "container_id");
	uint64_t offset = vec_int(v, "offset");

	vec_fixed(v, "content_key", key, 32);
	vec_fixed(v, "id_key", idkey, 32);
	vec_fixed(v, "store_id", sid, 16);
	vec_fixed(v, "nonce", nonce, 24);
	vec_fixed(v, "chunk_id", cid, 32);
	vec_fixed(v, "ad", wantad, RECORD_AD_SIZE);
	chunk = vec_hex(v, "chunk", &chunklen);
	payload = vec_hex(v, "payload", &plen);
	rec = vec_hex(v, "record", &reclen);

	chunkid_compute(idkey, chunk, chunklen, id);
	assert_memory_equal(id, cid, 32);

	memset(&h, 0, sizeof(h));
	h.type = RECORD_TYPE_CHUNK;
	h.flags = (uint8_t)vec_int(v, "flags");
	h.key_id = (uint16_t)vec_int(v, "key_id");
	h.raw_len = (uint32_t)chunklen;
	h.stored_len = (uint32_t)(plen + (h.key_id ? AEAD_TAGBYTES : 0));
	memcpy(h.chunk_id, id, 32);
	memcpy(h.nonce, nonce, 24);
	assert_non_null(built = malloc(RECORD_HEADER_SIZE + h.stored_len));
	container_fmt_record_encode(&h, built);
	container_fmt_record_ad(sid, container_id, offset, built, ad);
	assert_memory_equal(ad, wantad, RECORD_AD_SIZE);
	if (h.key_id != 0)
		aead_seal(key, nonce, ad, sizeof(ad), payload, plen,
		    built + RECORD_HEADER_SIZE);
	else
		memcpy(built + RECORD_HEADER_SIZE, payload, plen);
	assert_int_equal(reclen, RECORD_HEADER_SIZE + h.stored_len);
	if (memcmp(built, rec, reclen) != 0)
		fail_msg("vector %s: record bytes differ", v->name);

	/* And the other way: decode and open the vector's bytes. */
	assert_int_equal(container_fmt_record_decode(rec, reclen, &d), QS_OK);
	check_record_equal(&h, &d);
	if (h.key_id != 0) {
		assert_non_null(pt = malloc(h.stored_len));
		assert_int_equal(aead_open(key, d.nonce, ad, sizeof(ad),
		    rec + RECORD_HEADER_SIZE, d.stored_len, pt), QS_OK);
		assert_memory_equal(pt, payload, plen);
		/* Moved by one byte: the AD no longer matches. */
		container_fmt_record_ad(sid, container_id, offset + 1, rec, ad);
		assert_int_equal(aead_open(key, d.nonce, ad, sizeof(ad),
		    rec + RECORD_HEADER_SIZE, d.stored_len, pt), QS_EAUTH);
		free(pt);
	}
	free(built);
	free(chunk);
	free(payload);
	free(rec);
}

/* A sealed record of container version 2 (flags 0x02, lengths inside). */
static void
check_record_v2_vector(const struct vec *v)
{
	struct record_header h, d;
	uint8_t key[32], idkey[32], sid[16], nonce[24], cid[32], id[32];
	uint8_t ad[RECORD_AD_SIZE], wantad[RECORD_AD_SIZE];
	uint8_t *chunk, *payload, *rec, *built, *pt, *wantpt, *opened;
	const uint8_t *ip;
	size_t chunklen, plen, reclen, ptlen, wantptlen, ilen;
	uint32_t raw_len;
	uint8_t iflags;

	vec_fixed(v, "content_key", key, 32);
	vec_fixed(v, "id_key", idkey, 32);
	vec_fixed(v, "store_id", sid, 16);
	vec_fixed(v, "nonce", nonce, 24);
	vec_fixed(v, "chunk_id", cid, 32);
	vec_fixed(v, "ad", wantad, RECORD_AD_SIZE);
	chunk = vec_hex(v, "chunk", &chunklen);
	payload = vec_hex(v, "payload", &plen);
	wantpt = vec_hex(v, "plaintext", &wantptlen);
	rec = vec_hex(v, "record", &reclen);
	chunkid_compute(idkey, chunk, chunklen, id);
	assert_memory_equal(id, cid, 32);

	/* Build it as the writer does. */
	assert_non_null(pt = malloc(RECORD_INNER_SIZE + plen + plen / 8 + 64));
	ptlen = container_fmt_inner_encode((uint32_t)chunklen,
	    (uint8_t)vec_int(v, "flags"), payload, plen, pt);
	assert_int_equal(ptlen, wantptlen);
	assert_memory_equal(pt, wantpt, ptlen);
	memset(&h, 0, sizeof(h));
	h.type = RECORD_TYPE_CHUNK;
	h.flags = RECORD_FLAG_SEALED;
	h.key_id = (uint16_t)vec_int(v, "key_id");
	h.stored_len = (uint32_t)(ptlen + AEAD_TAGBYTES);
	memcpy(h.chunk_id, id, 32);
	memcpy(h.nonce, nonce, 24);
	assert_non_null(built = malloc(RECORD_HEADER_SIZE + h.stored_len));
	container_fmt_record_encode(&h, built);
	container_fmt_record_ad(sid, vec_int(v, "container_id"),
	    vec_int(v, "offset"), built, ad);
	assert_memory_equal(ad, wantad, RECORD_AD_SIZE);
	aead_seal(key, nonce, ad, sizeof(ad), pt, ptlen,
	    built + RECORD_HEADER_SIZE);
	assert_int_equal(reclen, RECORD_HEADER_SIZE + h.stored_len);
	if (memcmp(built, rec, reclen) != 0)
		fail_msg("vector %s: record bytes differ", v->name);

	/* And read it back as the reader does. */
	assert_int_equal(container_fmt_record_decode(rec, reclen, &d), QS_OK);
	assert_int_equal(d.flags, RECORD_FLAG_SEALED);
	assert_int_equal(d.raw_len, 0);
	assert_non_null(opened = malloc(d.stored_len));
	assert_int_equal(aead_open(key, d.nonce, ad, sizeof(ad),
	    rec + RECORD_HEADER_SIZE, d.stored_len, opened), QS_OK);
	assert_int_equal(container_fmt_inner_decode(opened, d.stored_len -
	    AEAD_TAGBYTES, &raw_len, &iflags, &ip, &ilen), QS_OK);
	assert_int_equal(raw_len, chunklen);
	assert_int_equal(iflags, vec_int(v, "flags"));
	assert_int_equal(ilen, plen);
	assert_memory_equal(ip, payload, plen);
	free(opened);
	free(built);
	free(pt);
	free(wantpt);
	free(chunk);
	free(payload);
	free(rec);
}

static void
test_vectors(void **state)
{
	FILE *f = open_vector("records.hex");
	struct vec *v;
	int nrec = 0, nsealed = 0, nhdr = 0, ntrl = 0, nv2 = 0;

	(void)state;
	assert_non_null(v = calloc(1, sizeof(*v)));
	while (vec_next(f, v)) {
		if (strcmp(v->kind, "record") == 0) {
			check_record_vector(v);
			nrec++;
			nsealed += vec_int(v, "key_id") != 0;
		} else if (strcmp(v->kind, "record_v2") == 0) {
			check_record_v2_vector(v);
			nv2++;
		} else if (strcmp(v->kind, "container_header") == 0) {
			struct container_header h, d;
			uint8_t want[CONTAINER_HEADER_SIZE];
			uint8_t got[CONTAINER_HEADER_SIZE];

			h.version = CONTAINER_VERSION;
			vec_fixed(v, "store_id", h.store_id, 16);
			h.container_id = vec_int(v, "container_id");
			h.created = (int64_t)vec_int(v, "created");
			vec_fixed(v, "bytes", want, sizeof(want));
			container_fmt_header_encode(&h, got);
			assert_memory_equal(got, want, sizeof(want));
			assert_int_equal(container_fmt_header_decode(want,
			    sizeof(want), &d), QS_OK);
			assert_true(d.container_id == h.container_id);
			assert_true(d.created == h.created);
			nhdr++;
		} else if (strcmp(v->kind, "container_trailer") == 0) {
			struct container_trailer t, d;
			uint8_t want[CONTAINER_TRAILER_SIZE];
			uint8_t got[CONTAINER_TRAILER_SIZE];

			t.record_count = (uint32_t)vec_int(v, "record_count");
			t.records_end = vec_int(v, "records_end");
			t.raw_bytes = vec_int(v, "raw_bytes");
			vec_fixed(v, "headers_hash", t.headers_hash, 32);
			vec_fixed(v, "bytes", want, sizeof(want));
			container_fmt_trailer_encode(&t, got);
			assert_memory_equal(got, want, sizeof(want));
			assert_int_equal(container_fmt_trailer_decode(want,
			    sizeof(want), &d), QS_OK);
			assert_true(d.records_end == t.records_end);
			ntrl++;
		}
	}
	vec_clear(v);
	free(v);
	fclose(f);
	/* The file must hold what the brief promises. */
	assert_true(nrec >= 2 && nsealed >= 1 && nsealed < nrec);
	assert_int_equal(nhdr, 1);
	assert_int_equal(ntrl, 1);
	assert_int_equal(nv2, 2);
}

/* Padding: known values, the ~6 % bound, and it never shrinks. */
static void
test_padme(void **state)
{
	static const uint32_t known[][2] = {
		{ 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 3 }, { 17, 17 }, { 100, 100 },
		{ 1000, 1008 }, { 4097, 4224 }, { 65548, 66560 },
		{ 16777228, 17039360 },
	};
	uint64_t in = 0, out = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		assert_int_equal(container_fmt_padme(known[i][0]), known[i][1]);
	for (uint32_t n = 1; n < (1U << 25); n += 1 + n / 64) {
		uint32_t p = container_fmt_padme(n);

		assert_true(p >= n);
		assert_true((uint64_t)p * 100 <= (uint64_t)n * 106 + 100);
		in += n;
		out += p;
	}
	/* Far less on average. */
	assert_true(out * 1000 < in * 1015);
}

/* The sealed plaintext of version 2 refuses any malformed byte. */
static void
test_inner_reject(void **state)
{
	uint8_t buf[256], payload[100];
	const uint8_t *p;
	uint32_t raw_len;
	uint8_t flags;
	size_t n, len;

	(void)state;
	fill_pattern(payload, sizeof(payload), 0x33);
	n = container_fmt_inner_encode(100, 0, payload, 100, buf);
	assert_int_equal(n, container_fmt_padme(112));
	assert_int_equal(container_fmt_inner_decode(buf, n, &raw_len, &flags,
	    &p, &len), QS_OK);
	assert_int_equal(raw_len, 100);
	assert_int_equal(len, 100);
	assert_memory_equal(p, payload, 100);
	for (size_t i = 0; i < n; i++) {
		/* Flipping any byte but the payload's must be refused. */
		if (i >= RECORD_INNER_SIZE && i < RECORD_INNER_SIZE + 100)
			continue;
		buf[i] ^= 0x80;
		assert_int_equal(container_fmt_inner_decode(buf, n, &raw_len,
		    &flags, &p, &len), QS_ECORRUPT);
		buf[i] ^= 0x80;
	}
	/* Short, or padded to another length. */
	assert_int_equal(container_fmt_inner_decode(buf, 11, &raw_len, &flags,
	    &p, &len), QS_ECORRUPT);
	assert_int_equal(container_fmt_inner_decode(buf, n - 1, &raw_len,
	    &flags, &p, &len), QS_ECORRUPT);
	/* A sealed-length header must carry nothing else in the clear. */
	{
		struct record_header h, d;
		uint8_t hb[RECORD_HEADER_SIZE];

		memset(&h, 0, sizeof(h));
		h.type = RECORD_TYPE_CHUNK;
		h.flags = RECORD_FLAG_SEALED;
		h.key_id = 1;
		h.stored_len = 64;
		container_fmt_record_encode(&h, hb);
		assert_int_equal(container_fmt_record_decode(hb, sizeof(hb), &d),
		    QS_OK);
		h.raw_len = 5;
		container_fmt_record_encode(&h, hb);
		assert_int_equal(container_fmt_record_decode(hb, sizeof(hb), &d),
		    QS_ECORRUPT);
		h.raw_len = 0;
		h.flags = RECORD_FLAG_SEALED | RECORD_FLAG_ZSTD;
		container_fmt_record_encode(&h, hb);
		assert_int_equal(container_fmt_record_decode(hb, sizeof(hb), &d),
		    QS_ECORRUPT);
		h.flags = RECORD_FLAG_SEALED;
		h.key_id = 0;
		container_fmt_record_encode(&h, hb);
		assert_int_equal(container_fmt_record_decode(hb, sizeof(hb), &d),
		    QS_ECORRUPT);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_header_roundtrip),
		cmocka_unit_test(test_container_header_reject),
		cmocka_unit_test(test_container_header_bitflips),
		cmocka_unit_test(test_container_trailer_roundtrip),
		cmocka_unit_test(test_container_trailer_reject),
		cmocka_unit_test(test_record_header_roundtrip),
		cmocka_unit_test(test_record_header_reject),
		cmocka_unit_test(test_record_header_bitflips),
		cmocka_unit_test(test_record_ad),
		cmocka_unit_test(test_container_path),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_padme),
		cmocka_unit_test(test_inner_reject),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
