/*
 * Tests for format/config.c: the store config TLV codec.  Bodies are built
 * by hand here (tag u16, length u16, value; header "QSARCCFG" version u16
 * flags u16 body_len u32) so the decoder is tested against the layout, not
 * only against its own encoder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/config.h"
#include "format/endian.h"
#include "format/qs_err.h"

/* Where config_encode put the MAC value (encrypted configs). */
static size_t mac_at;

/* Tag values of config.c (spec: "Config"). */
#define T_STORE_ID	0x0001
#define T_CREATED	0x0002
#define T_CHUNKING	0x0003
#define T_ZSTD_LEVEL	0x0004
#define T_CONTAINER	0x0005
#define T_IDKEY		0x0006
#define T_GEARKEY	0x0007
#define T_ENCRYPTION	0x8008
#define T_MAC		0x8009

struct body {
	uint8_t b[CONFIG_MAX_SIZE];
	size_t len;
};

static void
body_start(struct body *b)
{

	memset(b, 0, sizeof(*b));
	memcpy(b->b, "QSARCCFG", 8);
	le16enc(b->b + 8, CONFIG_VERSION);
	le16enc(b->b + 10, 0);
	b->len = CONFIG_HEADER_SIZE;
}

static void
body_tlv(struct body *b, uint16_t tag, const void *val, size_t len)
{

	assert_true(b->len + 4 + len <= sizeof(b->b));
	le16enc(b->b + b->len, tag);
	le16enc(b->b + b->len + 2, (uint16_t)len);
	if (len > 0)
		memcpy(b->b + b->len + 4, val, len);
	b->len += 4 + len;
}

static void
body_end(struct body *b)
{

	le32enc(b->b + 12, (uint32_t)(b->len - CONFIG_HEADER_SIZE));
}

static void
put_u32(uint8_t *p, uint32_t a, uint32_t b, uint32_t c)
{

	le32enc(p, a);
	le32enc(p + 4, b);
	le32enc(p + 8, c);
}

/* The required fields of a plain store, optionally without some. */
#define OMIT_ID		0x01
#define OMIT_CHUNKING	0x02
#define OMIT_IDKEY	0x04
#define OMIT_GEARKEY	0x08
#define OMIT_CREATED	0x10
#define OMIT_ZSTD	0x20
#define OMIT_CONTAINER	0x40
#define OMIT_KEYS	(OMIT_IDKEY | OMIT_GEARKEY)
static void
body_plain(struct body *b, unsigned omit)
{
	uint8_t v[32];

	body_start(b);
	if (!(omit & OMIT_ID))
		body_tlv(b, T_STORE_ID, "0123456789abcdef", 16);
	le64enc(v, 1700000000);
	if (!(omit & OMIT_CREATED))
		body_tlv(b, T_CREATED, v, 8);
	if (!(omit & OMIT_CHUNKING)) {
		put_u32(v, 4096, 65536, 1 << 20);
		body_tlv(b, T_CHUNKING, v, 12);
	}
	le32enc(v, 3);
	if (!(omit & OMIT_ZSTD))
		body_tlv(b, T_ZSTD_LEVEL, v, 4);
	le32enc(v, 32U << 20);
	if (!(omit & OMIT_CONTAINER))
		body_tlv(b, T_CONTAINER, v, 4);
	memset(v, 0x11, 32);
	if (!(omit & OMIT_IDKEY))
		body_tlv(b, T_IDKEY, v, 32);
	memset(v, 0x22, 32);
	if (!(omit & OMIT_GEARKEY))
		body_tlv(b, T_GEARKEY, v, 32);
	body_end(b);
}

/* The MAC field: 32 bytes c0 c1 .. df (not checked by the decoder). */
static void
body_mac(struct body *b)
{
	uint8_t m[32];

	for (int i = 0; i < 32; i++)
		m[i] = (uint8_t)(0xc0 + i);
	body_tlv(b, T_MAC, m, 32);
}

/* The encryption field, scheme 1, backup path "/k". */
static void
body_encryption(struct body *b)
{

	body_tlv(b, T_ENCRYPTION, "\x01/k", 3);
}

/*
 * An encrypted store's config: body_plain(omit) (OMIT_KEYS for one
 * created encrypted), the encryption field, and the MAC last.
 */
static void
body_encrypted(struct body *b, unsigned omit)
{

	body_plain(b, omit);
	body_encryption(b);
	body_mac(b);
	body_end(b);
}

static void
sample_config(struct store_config *c)
{

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 16; i++)
		c->store_id[i] = (uint8_t)(0xa0 + i);
	c->created = -1234567890123LL;
	c->chunk_min = 0x00010203;
	c->chunk_avg = 0x00040506;
	c->chunk_max = 0x00070809;
	c->zstd_level = -7;
	c->container_size = 0x0badcafe;
	c->has_plain_keys = 1;
	for (int i = 0; i < 32; i++) {
		c->plain_idkey[i] = (uint8_t)(i * 3 + 1);
		c->plain_gearkey[i] = (uint8_t)(0xff - i);
	}
	c->encrypted = 1;
	snprintf(c->keystore_backup, sizeof(c->keystore_backup),
	    "/var/lib/qsarc/keys/a0a1a2.qsk");
	for (int i = 0; i < 32; i++)
		c->mac[i] = (uint8_t)(0x5a ^ (i * 7));
}

static void
check_config_equal(const struct store_config *a,
    const struct store_config *b)
{

	assert_memory_equal(a->store_id, b->store_id, 16);
	assert_true(a->created == b->created);
	assert_int_equal(a->chunk_min, b->chunk_min);
	assert_int_equal(a->chunk_avg, b->chunk_avg);
	assert_int_equal(a->chunk_max, b->chunk_max);
	assert_int_equal(a->zstd_level, b->zstd_level);
	assert_int_equal(a->container_size, b->container_size);
	assert_int_equal(!!a->has_plain_keys, !!b->has_plain_keys);
	if (a->has_plain_keys) {
		assert_memory_equal(a->plain_idkey, b->plain_idkey, 32);
		assert_memory_equal(a->plain_gearkey, b->plain_gearkey, 32);
	}
	assert_int_equal(!!a->encrypted, !!b->encrypted);
	if (a->encrypted) {
		assert_string_equal(a->keystore_backup, b->keystore_backup);
		assert_memory_equal(a->mac, b->mac, 32);
	}
	assert_int_equal(a->unknown_len, b->unknown_len);
	assert_memory_equal(a->unknown, b->unknown, a->unknown_len);
}

/*
 * After config_encode(c) gave ${buf}/${len} and mac_at, and config_decode
 * gave ${d}: the MAC field is the last one, where mac_at says.
 */
static void
check_mac_at(const uint8_t *buf, size_t len, const struct store_config *c,
    const struct store_config *d)
{

	if (!c->encrypted) {
		assert_int_equal(mac_at, 0);
		return;
	}
	assert_int_equal(mac_at, len - 32);
	assert_int_equal(le16dec(buf + mac_at - 4), T_MAC);
	assert_int_equal(le16dec(buf + mac_at - 2), 32);
	assert_memory_equal(buf + mac_at, c->mac, 32);
	assert_int_equal(d->mac_input_end, mac_at - 4);
	assert_memory_equal(d->mac, c->mac, 32);
}

static int
decode(const struct body *b, struct store_config *c)
{

	return (config_decode(b->b, b->len, c));
}

/* ---- tests --------------------------------------------------------- */

static void
test_roundtrip(void **state)
{
	struct store_config *c, *d;
	static uint8_t buf[CONFIG_MAX_SIZE];
	size_t len;

	(void)state;
	assert_non_null(c = malloc(sizeof(*c)));
	assert_non_null(d = malloc(sizeof(*d)));
	/* Plain keys and encryption (a store that was encrypted later). */
	sample_config(c);
	assert_int_equal(config_encode(c, buf, sizeof(buf), &len,
	    &mac_at), QS_OK);
	assert_memory_equal(buf, "QSARCCFG", 8);
	assert_int_equal(le16dec(buf + 8), CONFIG_VERSION);
	assert_int_equal(le16dec(buf + 10), 0);
	assert_int_equal(le32dec(buf + 12), len - CONFIG_HEADER_SIZE);
	memset(d, 0x77, sizeof(*d));
	assert_int_equal(config_decode(buf, len, d), QS_OK);
	check_config_equal(c, d);
	check_mac_at(buf, len, c, d);
	/* Plain only. */
	c->encrypted = 0;
	assert_int_equal(config_encode(c, buf, sizeof(buf), &len,
	    &mac_at), QS_OK);
	assert_int_equal(config_decode(buf, len, d), QS_OK);
	check_config_equal(c, d);
	check_mac_at(buf, len, c, d);
	/* Encrypted only, with the longest backup path. */
	c->encrypted = 1;
	c->has_plain_keys = 0;
	memset(c->keystore_backup, 'p', CONFIG_PATH_MAX);
	c->keystore_backup[0] = '/';
	c->keystore_backup[CONFIG_PATH_MAX] = '\0';
	assert_int_equal(config_encode(c, buf, sizeof(buf), &len,
	    &mac_at), QS_OK);
	assert_int_equal(config_decode(buf, len, d), QS_OK);
	check_config_equal(c, d);
	check_mac_at(buf, len, c, d);
	assert_int_equal(strlen(d->keystore_backup), CONFIG_PATH_MAX);
	/* An empty backup path is encodable and decodes as empty. */
	c->keystore_backup[0] = '\0';
	assert_int_equal(config_encode(c, buf, sizeof(buf), &len,
	    &mac_at), QS_OK);
	assert_int_equal(config_decode(buf, len, d), QS_OK);
	check_config_equal(c, d);
	check_mac_at(buf, len, c, d);
	free(c);
	free(d);
}

static void
test_hand_built(void **state)
{
	struct body b;
	struct store_config c;

	(void)state;
	body_plain(&b, 0);
	assert_int_equal(decode(&b, &c), QS_OK);
	assert_memory_equal(c.store_id, "0123456789abcdef", 16);
	assert_true(c.created == 1700000000);
	assert_int_equal(c.chunk_min, 4096);
	assert_int_equal(c.chunk_avg, 65536);
	assert_int_equal(c.chunk_max, 1 << 20);
	assert_int_equal(c.zstd_level, 3);
	assert_int_equal(c.container_size, 32U << 20);
	assert_int_equal(c.has_plain_keys, 1);
	assert_int_equal(c.plain_idkey[31], 0x11);
	assert_int_equal(c.plain_gearkey[0], 0x22);
	assert_int_equal(c.encrypted, 0);
	assert_int_equal(c.unknown_len, 0);
}

static void
test_header_reject(void **state)
{
	struct body b, t;
	struct store_config c;

	(void)state;
	body_plain(&b, 0);
	for (size_t len = 0; len < CONFIG_HEADER_SIZE; len++)
		assert_int_equal(config_decode(b.b, len, &c), QS_ECORRUPT);
	for (size_t i = 0; i < 8; i++) {
		t = b;
		t.b[i] ^= 0x01;
		assert_int_equal(decode(&t, &c), QS_ECORRUPT);
	}
	t = b;
	le16enc(t.b + 8, 2);
	assert_int_equal(decode(&t, &c), QS_EVERSION);
	le16enc(t.b + 8, 0);
	assert_int_equal(decode(&t, &c), QS_EVERSION);
	for (int bit = 0; bit < 16; bit++) {
		t = b;
		le16enc(t.b + 10, (uint16_t)(1U << bit));
		assert_int_equal(decode(&t, &c), QS_EVERSION);
	}
	/* body_len disagreeing with the length, both ways. */
	t = b;
	le32enc(t.b + 12, (uint32_t)(b.len - CONFIG_HEADER_SIZE + 1));
	assert_int_equal(decode(&t, &c), QS_ECORRUPT);
	le32enc(t.b + 12, (uint32_t)(b.len - CONFIG_HEADER_SIZE - 1));
	assert_int_equal(decode(&t, &c), QS_ECORRUPT);
	le32enc(t.b + 12, 0xffffffffU);
	assert_int_equal(decode(&t, &c), QS_ECORRUPT);
}

static void
test_truncations(void **state)
{
	struct body b;
	struct store_config c;
	size_t boundaries[32], nb = 0;
	int rc;

	(void)state;
	body_plain(&b, 0);
	/* TLV boundaries of the body. */
	for (size_t pos = CONFIG_HEADER_SIZE; pos < b.len;
	    pos += 4 + le16dec(b.b + pos + 2))
		boundaries[nb++] = pos;
	for (size_t len = CONFIG_HEADER_SIZE; len < b.len; len++) {
		int at_boundary = 0;

		for (size_t i = 0; i < nb; i++)
			at_boundary |= boundaries[i] == len;
		/* Unchanged body_len: always refused. */
		assert_int_equal(config_decode(b.b, len, &c), QS_ECORRUPT);
		/* body_len fixed up: only whole TLVs can be accepted. */
		le32enc(b.b + 12, (uint32_t)(len - CONFIG_HEADER_SIZE));
		rc = config_decode(b.b, len, &c);
		if (!at_boundary)
			assert_int_equal(rc, QS_ECORRUPT);
		/* Dropping the gear key (the last TLV) leaves half a pair. */
		assert_int_not_equal(rc, QS_OK);
	}
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_OK);
}

static void
test_bad_value_lengths(void **state)
{
	static const struct {
		uint16_t tag;
		size_t good;
	} tags[] = {
		{ T_STORE_ID, 16 }, { T_CREATED, 8 }, { T_CHUNKING, 12 },
		{ T_ZSTD_LEVEL, 4 }, { T_CONTAINER, 4 }, { T_IDKEY, 32 },
		{ T_GEARKEY, 32 },
	};
	static const uint8_t zeros[64];
	struct body b;
	struct store_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		const size_t lens[] = { 0, tags[i].good - 1, tags[i].good + 1,
		    2 * tags[i].good };

		for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			body_plain(&b, 0);
			body_tlv(&b, tags[i].tag, zeros, lens[j]);
			body_end(&b);
			if (decode(&b, &c) != QS_ECORRUPT)
				fail_msg("tag 0x%04x with %zu bytes accepted",
				    tags[i].tag, lens[j]);
		}
	}
}

static void
test_tlv_overrun(void **state)
{
	struct body b;
	struct store_config c;

	(void)state;
	/* A TLV whose length runs past the body. */
	body_plain(&b, 0);
	le16enc(b.b + b.len, 0x0042);
	le16enc(b.b + b.len + 2, 5);
	memset(b.b + b.len + 4, 0x33, 4);
	b.len += 8;
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	/* 1, 2 or 3 trailing bytes: half a TLV header. */
	for (size_t extra = 1; extra < 4; extra++) {
		body_plain(&b, 0);
		b.len += extra;
		body_end(&b);
		assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	}
	/* The largest length field. */
	body_plain(&b, 0);
	le16enc(b.b + b.len, 0x0042);
	le16enc(b.b + b.len + 2, 0xffff);
	b.len += 4;
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
}

static void
test_required_fields(void **state)
{
	static const unsigned required[] = { OMIT_ID, OMIT_CREATED,
	    OMIT_CHUNKING, OMIT_ZSTD, OMIT_CONTAINER };
	struct body b;
	struct store_config c;

	(void)state;
	body_plain(&b, 0);
	assert_int_equal(decode(&b, &c), QS_OK);
	body_encrypted(&b, OMIT_KEYS);
	assert_int_equal(decode(&b, &c), QS_OK);
	body_encrypted(&b, 0);
	assert_int_equal(decode(&b, &c), QS_OK);
	/* Each core field is required, in plain and encrypted configs. */
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		body_plain(&b, required[i]);
		if (decode(&b, &c) != QS_ECORRUPT)
			fail_msg("plain config without field %#x accepted",
			    required[i]);
		body_encrypted(&b, required[i] | OMIT_KEYS);
		if (decode(&b, &c) != QS_ECORRUPT)
			fail_msg("encrypted config without field %#x accepted",
			    required[i]);
		body_encrypted(&b, required[i]);
		if (decode(&b, &c) != QS_ECORRUPT)
			fail_msg("converted config without field %#x accepted",
			    required[i]);
	}
	/* Both plain keys or neither. */
	body_plain(&b, OMIT_IDKEY);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	body_plain(&b, OMIT_GEARKEY);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	/* Neither plain keys nor a keystore: no way to read the data. */
	body_plain(&b, OMIT_KEYS);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	/* ... which an encryption field (and its MAC) fixes. */
	body_encrypted(&b, OMIT_KEYS);
	memset(&c, 0x77, sizeof(c));
	assert_int_equal(decode(&b, &c), QS_OK);
	assert_int_equal(c.encrypted, 1);
	assert_int_equal(c.has_plain_keys, 0);
	assert_string_equal(c.keystore_backup, "/k");
	assert_int_equal(c.unknown_len, 0);
	/* Half a pair still fails, encrypted or not. */
	body_encrypted(&b, OMIT_GEARKEY);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	body_encrypted(&b, OMIT_IDKEY);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
}

static void
test_encryption_field(void **state)
{
	struct body b;
	struct store_config c;
	static uint8_t v[CONFIG_PATH_MAX + 2];

	(void)state;
	/*
	 * Empty value or an unknown encryption scheme: a newer writer.  The
	 * MAC is there, so nothing but the field itself is wrong.
	 */
	body_plain(&b, 0);
	body_tlv(&b, T_ENCRYPTION, v, 0);
	body_mac(&b);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_EVERSION);
	for (unsigned scheme = 0; scheme < 256; scheme++) {
		v[0] = (uint8_t)scheme;
		memcpy(v + 1, "/k", 2);
		body_plain(&b, 0);
		body_tlv(&b, T_ENCRYPTION, v, 3);
		body_mac(&b);
		body_end(&b);
		if (decode(&b, &c) != (scheme == 1 ? QS_OK : QS_EVERSION))
			fail_msg("encryption scheme %u: wrong answer", scheme);
	}
	/* Longest path, then one byte more. */
	v[0] = 1;
	memset(v + 1, 'q', CONFIG_PATH_MAX + 1);
	body_plain(&b, OMIT_KEYS);
	body_tlv(&b, T_ENCRYPTION, v, CONFIG_PATH_MAX + 1);
	body_mac(&b);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_OK);
	assert_int_equal(strlen(c.keystore_backup), CONFIG_PATH_MAX);
	assert_int_equal(c.keystore_backup[CONFIG_PATH_MAX - 1], 'q');
	body_plain(&b, OMIT_KEYS);
	body_tlv(&b, T_ENCRYPTION, v, CONFIG_PATH_MAX + 2);
	body_mac(&b);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_EVERSION);
	/* A NUL inside the path. */
	memcpy(v + 1, "/a\0b", 4);
	body_plain(&b, 0);
	body_tlv(&b, T_ENCRYPTION, v, 5);
	body_mac(&b);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
}

static void
test_critical_unknown(void **state)
{
	/*
	 * 0x8008 and 0x8009 are known; 0x800a and 0x8088 share their low
	 * bits with known tags, 0x8001/0x8007 with the non-critical ones.
	 */
	static const uint16_t crit[] = { 0x8000, 0x8001, 0x8007, 0x800a,
	    0x800f, 0x8010, 0x8088, 0x8089, 0x8100, 0xfffe, 0xffff };
	struct body b;
	struct store_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(crit) / sizeof(crit[0]); i++) {
		body_plain(&b, 0);
		body_tlv(&b, crit[i], "xyz", 3);
		body_end(&b);
		if (decode(&b, &c) != QS_EVERSION)
			fail_msg("critical tag 0x%04x (plain) not refused",
			    crit[i]);
		/* Also first, and with an empty value. */
		body_start(&b);
		body_tlv(&b, crit[i], NULL, 0);
		body_end(&b);
		assert_int_equal(decode(&b, &c), QS_EVERSION);
		/* In an encrypted config, before the MAC. */
		body_plain(&b, OMIT_KEYS);
		body_encryption(&b);
		body_tlv(&b, crit[i], "xyz", 3);
		body_mac(&b);
		body_end(&b);
		if (decode(&b, &c) != QS_EVERSION)
			fail_msg("critical tag 0x%04x (encrypted) not refused",
			    crit[i]);
	}
}

static void
test_unknown_preserved(void **state)
{
	struct body b;
	struct store_config *c, *d;
	static uint8_t out[CONFIG_MAX_SIZE];
	uint8_t unk[128];
	size_t len, ulen;

	(void)state;
	assert_non_null(c = malloc(sizeof(*c)));
	assert_non_null(d = malloc(sizeof(*d)));
	/* Three unknown non-critical TLVs between and after known ones. */
	body_start(&b);
	body_tlv(&b, 0x7fff, "seven", 5);
	body_tlv(&b, T_STORE_ID, "0123456789abcdef", 16);
	body_tlv(&b, 0x0100, NULL, 0);
	{
		uint8_t v[32];

		put_u32(v, 4096, 65536, 1 << 20);
		body_tlv(&b, T_CHUNKING, v, 12);
		le64enc(v, 1700000000);
		body_tlv(&b, T_CREATED, v, 8);
		le32enc(v, 3);
		body_tlv(&b, T_ZSTD_LEVEL, v, 4);
		le32enc(v, 32U << 20);
		body_tlv(&b, T_CONTAINER, v, 4);
		memset(v, 0x11, 32);
		body_tlv(&b, T_IDKEY, v, 32);
		memset(v, 0x22, 32);
		body_tlv(&b, T_GEARKEY, v, 32);
	}
	memset(unk, 0xab, sizeof(unk));
	body_tlv(&b, 0x0009, unk, 64);
	body_end(&b);
	assert_int_equal(config_decode(b.b, b.len, c), QS_OK);
	/* Kept verbatim, in order. */
	ulen = 0;
	le16enc(unk + ulen, 0x7fff);
	le16enc(unk + ulen + 2, 5);
	memcpy(unk + ulen + 4, "seven", 5);
	ulen += 9;
	le16enc(unk + ulen, 0x0100);
	le16enc(unk + ulen + 2, 0);
	ulen += 4;
	le16enc(unk + ulen, 0x0009);
	le16enc(unk + ulen + 2, 64);
	memset(unk + ulen + 4, 0xab, 64);
	ulen += 68;
	assert_int_equal(c->unknown_len, ulen);
	assert_memory_equal(c->unknown, unk, ulen);
	/* Written back unchanged, and read again the same. */
	assert_int_equal(config_encode(c, out, sizeof(out), &len,
	    &mac_at), QS_OK);
	assert_true(len >= ulen);
	assert_memory_equal(out + len - ulen, unk, ulen);
	assert_int_equal(config_decode(out, len, d), QS_OK);
	check_config_equal(c, d);
	free(c);
	free(d);
}

static void
test_unknown_limit(void **state)
{
	struct body b;
	struct store_config c;
	static uint8_t v[CONFIG_UNKNOWN_MAX];
	size_t room;

	(void)state;
	/* Exactly CONFIG_UNKNOWN_MAX bytes of unknown TLVs fit ... */
	room = CONFIG_UNKNOWN_MAX - 4;
	body_plain(&b, 0);
	body_tlv(&b, 0x0123, v, room);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_OK);
	assert_int_equal(c.unknown_len, CONFIG_UNKNOWN_MAX);
	/* ... one more byte does not. */
	body_plain(&b, 0);
	body_tlv(&b, 0x0123, v, room - 4);
	body_tlv(&b, 0x0124, v, 1);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
}

/* spec/FORMAT.md 3.2: each tag appears at most once. */
static void
test_duplicate_tags(void **state)
{
	static const uint16_t tags[] = { T_STORE_ID, T_CHUNKING, T_IDKEY,
	    T_GEARKEY, T_CREATED, T_ZSTD_LEVEL, T_CONTAINER };
	struct body b;
	struct store_config c;
	uint8_t v[32];

	(void)state;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t len = tags[i] == T_STORE_ID ? 16 :
		    tags[i] == T_CREATED ? 8 : tags[i] == T_CHUNKING ? 12 :
		    tags[i] <= T_CONTAINER ? 4 : 32;

		body_plain(&b, 0);
		memset(v, 0x5c, sizeof(v));
		if (tags[i] == T_CHUNKING)
			put_u32(v, 4096, 65536, 1 << 20);
		body_tlv(&b, tags[i], v, len);
		body_end(&b);
		if (decode(&b, &c) != QS_ECORRUPT)
			fail_msg("tag 0x%04x twice accepted", tags[i]);
	}
	v[0] = 1;
	body_plain(&b, 0);
	body_tlv(&b, T_ENCRYPTION, v, 3);
	body_tlv(&b, T_ENCRYPTION, v, 3);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	/* Unknown non-critical tags may repeat; both are kept. */
	body_plain(&b, 0);
	body_tlv(&b, 0x0042, "a", 1);
	body_tlv(&b, 0x0042, "b", 1);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_OK);
	assert_int_equal(c.unknown_len, 10);
}

static void
test_encode_small_buffer(void **state)
{
	/* Static: a failed assertion must not look like a leak too. */
	static struct store_config cfg;
	struct store_config *c = &cfg;
	static uint8_t buf[CONFIG_MAX_SIZE + 64];
	size_t need, len;

	(void)state;
	sample_config(c);
	memcpy(c->unknown, "\x42\x00\x03\x00xyz", 7);
	c->unknown_len = 7;
	assert_int_equal(config_encode(c, buf, sizeof(buf), &need,
	    &mac_at), QS_OK);
	for (size_t n = 0; n < need; n++) {
		memset(buf, 0xee, sizeof(buf));
		len = 999999;
		mac_at = 888888;
		assert_int_equal(config_encode(c, buf, n, &len, &mac_at),
		    QS_EINVAL);
		/* Out-parameters are written only on success (STYLE.md). */
		assert_int_equal(len, 999999);
		assert_int_equal(mac_at, 888888);
		for (size_t i = n; i < sizeof(buf); i++)
			if (buf[i] != 0xee)
				fail_msg("buflen %zu: byte %zu written", n, i);
	}
	assert_int_equal(config_encode(c, buf, need, &len, &mac_at), QS_OK);
	assert_int_equal(len, need);
	assert_int_equal(mac_at, need - 32);
}

static void
test_bitflips(void **state)
{
	struct store_config *c, *d;
	static uint8_t good[CONFIG_MAX_SIZE], buf[CONFIG_MAX_SIZE];
	size_t len;
	int rc;

	(void)state;
	assert_non_null(c = malloc(sizeof(*c)));
	assert_non_null(d = malloc(sizeof(*d)));
	/* Converted (keys and encryption), encrypted only, plain only. */
	for (int kind = 0; kind < 3; kind++) {
		sample_config(c);
		c->has_plain_keys = kind != 1;
		c->encrypted = kind != 2;
		assert_int_equal(config_encode(c, good, sizeof(good), &len,
		    &mac_at), QS_OK);
		assert_int_equal(mac_at, c->encrypted ? len - 32 : 0);
		for (size_t bit = 0; bit < 8 * len; bit++) {
			size_t byte = bit / 8;

			memcpy(buf, good, len);
			buf[byte] ^= (uint8_t)(1U << (bit % 8));
			rc = config_decode(buf, len, d);
			if (byte < CONFIG_HEADER_SIZE)
				assert_int_not_equal(rc, QS_OK);
			else if (rc == QS_OK)
				/* Then it must be seen in some field. */
				assert_true(memcmp(c->store_id, d->store_id,
				    16) || c->created != d->created ||
				    c->chunk_min != d->chunk_min ||
				    c->chunk_avg != d->chunk_avg ||
				    c->chunk_max != d->chunk_max ||
				    c->zstd_level != d->zstd_level ||
				    c->container_size != d->container_size ||
				    (c->has_plain_keys &&
				    (memcmp(c->plain_idkey, d->plain_idkey,
				    32) || memcmp(c->plain_gearkey,
				    d->plain_gearkey, 32))) ||
				    (c->encrypted &&
				    (strcmp(c->keystore_backup,
				    d->keystore_backup) ||
				    memcmp(c->mac, d->mac, 32) ||
				    d->mac_input_end != mac_at - 4)) ||
				    c->has_plain_keys != d->has_plain_keys ||
				    c->encrypted != d->encrypted ||
				    d->unknown_len != 0);
		}
	}
	free(c);
	free(d);
}

/*
 * The config MAC (tag 0x8009, spec/FORMAT.md 3.2): required iff 0x8008 is
 * present, 32 bytes, the last field; the decoder records it and where its
 * field starts, without checking it (index/store/store*.c does, with the key).
 */
static void
test_mac_decode(void **state)
{
	struct body b;
	struct store_config c;
	uint8_t want[32];
	size_t at;

	(void)state;
	for (int i = 0; i < 32; i++)
		want[i] = (uint8_t)(0xc0 + i);
	/* Created encrypted, with kept unknown fields before the MAC. */
	body_plain(&b, OMIT_KEYS);
	body_tlv(&b, 0x0042, "unknown", 7);
	body_encryption(&b);
	body_tlv(&b, 0x7000, NULL, 0);
	at = b.len;
	body_mac(&b);
	body_end(&b);
	memset(&c, 0x77, sizeof(c));
	assert_int_equal(decode(&b, &c), QS_OK);
	assert_int_equal(c.encrypted, 1);
	assert_int_equal(c.has_plain_keys, 0);
	assert_memory_equal(c.mac, want, 32);
	assert_int_equal(c.mac_input_end, at);
	assert_int_equal(c.mac_input_end, b.len - 36);
	assert_int_equal(c.unknown_len, 11 + 4);
	/* Converted: plain keys and encryption. */
	body_encrypted(&b, 0);
	memset(&c, 0x77, sizeof(c));
	assert_int_equal(decode(&b, &c), QS_OK);
	assert_int_equal(c.encrypted, 1);
	assert_int_equal(c.has_plain_keys, 1);
	assert_memory_equal(c.mac, want, 32);
	assert_int_equal(c.mac_input_end, b.len - 36);
	/* The decoder does not check the MAC: any value decodes. */
	memset(b.b + b.len - 32, 0, 32);
	assert_int_equal(decode(&b, &c), QS_OK);
	assert_int_equal(c.mac[0], 0);
}

/* An encrypted config without its MAC: refused. */
static void
test_mac_missing(void **state)
{
	struct body b;
	struct store_config c;

	(void)state;
	/* Created encrypted, and converted. */
	for (unsigned omit = 0; omit <= OMIT_KEYS; omit += OMIT_KEYS) {
		body_plain(&b, omit);
		body_encryption(&b);
		body_end(&b);
		assert_int_equal(decode(&b, &c), QS_ECORRUPT);
		/* A non-critical field in the MAC's place does not count. */
		body_plain(&b, omit);
		body_encryption(&b);
		body_tlv(&b, 0x0009, b.b + 16, 32);
		body_end(&b);
		assert_int_equal(decode(&b, &c), QS_ECORRUPT);
		/* Control: with the MAC it is accepted. */
		body_encrypted(&b, omit);
		assert_int_equal(decode(&b, &c), QS_OK);
	}
}

/* The MAC must be the last field: anything after it is refused. */
static void
test_mac_not_last(void **state)
{
	static const uint16_t after[] = { 0x0042, 0x7fff, 0x0009 };
	struct body b;
	struct store_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		/* An unknown non-critical field after it, empty or not. */
		body_plain(&b, OMIT_KEYS);
		body_encryption(&b);
		body_mac(&b);
		body_tlv(&b, after[i], NULL, 0);
		body_end(&b);
		if (decode(&b, &c) != QS_ECORRUPT)
			fail_msg("0x%04x after the MAC accepted", after[i]);
		body_plain(&b, 0);
		body_encryption(&b);
		body_mac(&b);
		body_tlv(&b, after[i], "abc", 3);
		body_end(&b);
		if (decode(&b, &c) != QS_ECORRUPT)
			fail_msg("0x%04x after the MAC accepted", after[i]);
	}
	/* The encryption field after it. */
	body_plain(&b, OMIT_KEYS);
	body_mac(&b);
	body_encryption(&b);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	/* A known field after it. */
	body_plain(&b, OMIT_KEYS | OMIT_CONTAINER);
	body_encryption(&b);
	body_mac(&b);
	{
		uint8_t v[4];

		le32enc(v, 32U << 20);
		body_tlv(&b, T_CONTAINER, v, 4);
	}
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	/* First. */
	body_start(&b);
	body_mac(&b);
	{
		struct body rest;

		body_plain(&rest, OMIT_KEYS);
		body_encryption(&rest);
		memcpy(b.b + b.len, rest.b + CONFIG_HEADER_SIZE,
		    rest.len - CONFIG_HEADER_SIZE);
		b.len += rest.len - CONFIG_HEADER_SIZE;
	}
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	/* Last but followed by 1..3 stray bytes. */
	for (size_t extra = 1; extra < 4; extra++) {
		body_encrypted(&b, OMIT_KEYS);
		b.len += extra;
		body_end(&b);
		assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	}
}

/* A plain config with a MAC: refused, wherever it is. */
static void
test_mac_in_plain(void **state)
{
	struct body b;
	struct store_config c;

	(void)state;
	body_plain(&b, 0);
	body_mac(&b);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	body_start(&b);
	body_mac(&b);
	{
		struct body rest;

		body_plain(&rest, 0);
		memcpy(b.b + b.len, rest.b + CONFIG_HEADER_SIZE,
		    rest.len - CONFIG_HEADER_SIZE);
		b.len += rest.len - CONFIG_HEADER_SIZE;
	}
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	/* With an empty value (the length is wrong too). */
	body_plain(&b, 0);
	body_tlv(&b, T_MAC, NULL, 0);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
}

/* Two MAC fields: refused (however they are placed). */
static void
test_mac_duplicate(void **state)
{
	struct body b;
	struct store_config c;

	(void)state;
	body_plain(&b, OMIT_KEYS);
	body_encryption(&b);
	body_mac(&b);
	body_mac(&b);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	body_plain(&b, 0);
	body_mac(&b);
	body_encryption(&b);
	body_mac(&b);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
	/* And a duplicate encryption field with a MAC. */
	body_plain(&b, OMIT_KEYS);
	body_encryption(&b);
	body_encryption(&b);
	body_mac(&b);
	body_end(&b);
	assert_int_equal(decode(&b, &c), QS_ECORRUPT);
}

/* A MAC value of any length but 32, in the last place: refused. */
static void
test_mac_bad_length(void **state)
{
	static const size_t lens[] = { 0, 1, 16, 31, 33, 64, 1000 };
	static const uint8_t v[1000];
	struct body b;
	struct store_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		body_plain(&b, OMIT_KEYS);
		body_encryption(&b);
		body_tlv(&b, T_MAC, v, lens[i]);
		body_end(&b);
		if (decode(&b, &c) != QS_ECORRUPT)
			fail_msg("a MAC of %zu bytes accepted", lens[i]);
	}
}

/*
 * config_encode of an encrypted config ends with the MAC field holding
 * c->mac and gives its offset, len - 32; of a plain one, no MAC and 0.
 */
static void
test_encode_mac_at(void **state)
{
	struct store_config *c, *d;
	static uint8_t buf[CONFIG_MAX_SIZE];
	size_t len, pos, nmac, last;

	(void)state;
	assert_non_null(c = malloc(sizeof(*c)));
	assert_non_null(d = malloc(sizeof(*d)));
	for (int kind = 0; kind < 3; kind++) {
		sample_config(c);
		c->has_plain_keys = kind != 1;
		c->encrypted = kind != 2;
		/* Kept unknown fields go before the MAC. */
		memcpy(c->unknown, "\x42\x00\x03\x00xyz\x43\x00\x00\x00", 11);
		c->unknown_len = 11;
		mac_at = 12345;
		assert_int_equal(config_encode(c, buf, sizeof(buf), &len,
		    &mac_at), QS_OK);
		/* Walk the fields: where is 0x8009, and which is last? */
		nmac = 0;
		last = 0;
		for (pos = CONFIG_HEADER_SIZE; pos < len;
		    pos += 4 + le16dec(buf + pos + 2)) {
			assert_true(len - pos >= 4);
			last = pos;
			if (le16dec(buf + pos) == T_MAC)
				nmac++;
		}
		assert_int_equal(pos, len);
		if (c->encrypted) {
			assert_int_equal(nmac, 1);
			assert_int_equal(mac_at, len - 32);
			assert_int_equal(last, mac_at - 4);
			assert_int_equal(le16dec(buf + last), T_MAC);
			assert_int_equal(le16dec(buf + last + 2), 32);
			assert_memory_equal(buf + mac_at, c->mac, 32);
			/* The unknown fields just before it. */
			assert_memory_equal(buf + last - 11, c->unknown, 11);
		} else {
			assert_int_equal(nmac, 0);
			assert_int_equal(mac_at, 0);
			assert_memory_equal(buf + len - 11, c->unknown, 11);
		}
		memset(d, 0x77, sizeof(*d));
		assert_int_equal(config_decode(buf, len, d), QS_OK);
		check_config_equal(c, d);
		check_mac_at(buf, len, c, d);
		/* What the caller does: a new MAC at mac_at decodes as such. */
		if (c->encrypted) {
			memset(buf + mac_at, 0xe7, 32);
			assert_int_equal(config_decode(buf, len, d), QS_OK);
			assert_int_equal(d->mac[0], 0xe7);
			assert_int_equal(d->mac[31], 0xe7);
		}
	}
	free(c);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hand_built),
		cmocka_unit_test(test_header_reject),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_bad_value_lengths),
		cmocka_unit_test(test_tlv_overrun),
		cmocka_unit_test(test_required_fields),
		cmocka_unit_test(test_encryption_field),
		cmocka_unit_test(test_critical_unknown),
		cmocka_unit_test(test_unknown_preserved),
		cmocka_unit_test(test_unknown_limit),
		cmocka_unit_test(test_duplicate_tags),
		cmocka_unit_test(test_encode_small_buffer),
		cmocka_unit_test(test_bitflips),
		cmocka_unit_test(test_mac_decode),
		cmocka_unit_test(test_mac_missing),
		cmocka_unit_test(test_mac_not_last),
		cmocka_unit_test(test_mac_in_plain),
		cmocka_unit_test(test_mac_duplicate),
		cmocka_unit_test(test_mac_bad_length),
		cmocka_unit_test(test_encode_mac_at),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
