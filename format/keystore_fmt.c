#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format/endian.h"
#include "format/keystore_fmt.h"
#include "format/qs_err.h"

/* Header on disk; offsets are in spec/keystore.md, table "Header". */
struct keystore_fmt_header_disk {
	uint8_t magic[8];
	uint8_t version[2];
	uint8_t flags[2];
	uint8_t kdf_id[1];
	uint8_t reserved[3];
	uint8_t t_cost[4];
	uint8_t m_cost_kib[4];
	uint8_t parallelism[4];
	uint8_t salt[16];
	uint8_t store_id[16];
	uint8_t generation[8];
	uint8_t check[16];
	uint8_t nonce[24];
	uint8_t body_len[4];
};
_Static_assert(sizeof(struct keystore_fmt_header_disk) ==
    KEYSTORE_FMT_HEADER_SIZE, "keystore header size");

/* Fixed part of the body; table "Body". */
struct keystore_fmt_body_disk {
	uint8_t version[2];
	uint8_t mode[1];
	uint8_t reserved0[1];
	uint8_t rotation[8];
	uint8_t last_rotation[8];
	uint8_t generation[8];
	uint8_t store_id[16];
	uint8_t idkey[32];
	uint8_t gearkey[32];
	uint8_t nkeys[2];
	uint8_t pending_key[2];	/* body version 1: reserved, zero */
};
_Static_assert(sizeof(struct keystore_fmt_body_disk) ==
    KEYSTORE_FMT_BODY_FIXED, "keystore body size");

/* One key entry; table "Key entry". */
struct keystore_fmt_key_disk {
	uint8_t id[2];
	uint8_t state[1];
	uint8_t reserved[1];
	uint8_t created[8];
	uint8_t key[32];
};
_Static_assert(sizeof(struct keystore_fmt_key_disk) == KEYSTORE_FMT_KEY_SIZE,
    "keystore key entry size");

_Static_assert(sizeof(KEYSTORE_FMT_MAGIC) - 1 == 8, "magic size");

/**
 * keystore_fmt_header_encode(hdr, out):
 * Write the 112-byte header for ${hdr} into ${out}.
 */
void
keystore_fmt_header_encode(const struct keystore_fmt_header *hdr,
    uint8_t out[KEYSTORE_FMT_HEADER_SIZE])
{
	struct keystore_fmt_header_disk d;

	memcpy(d.magic, KEYSTORE_FMT_MAGIC, sizeof(d.magic));
	le16enc(d.version, hdr->version);
	le16enc(d.flags, hdr->flags);
	d.kdf_id[0] = hdr->kdf_id;
	memset(d.reserved, 0, sizeof(d.reserved));
	le32enc(d.t_cost, hdr->t_cost);
	le32enc(d.m_cost_kib, hdr->m_cost_kib);
	le32enc(d.parallelism, hdr->parallelism);
	memcpy(d.salt, hdr->salt, sizeof(d.salt));
	memcpy(d.store_id, hdr->store_id, sizeof(d.store_id));
	le64enc(d.generation, hdr->generation);
	memcpy(d.check, hdr->check, sizeof(d.check));
	memcpy(d.nonce, hdr->nonce, sizeof(d.nonce));
	le32enc(d.body_len, hdr->body_len);
	memcpy(out, &d, sizeof(d));
}

/**
 * keystore_fmt_header_decode(buf, filelen, hdr):
 * Decode and structurally check the header of a ${filelen}-byte keystore
 * file.  Return QS_OK, QS_EVERSION or QS_ECORRUPT; ${hdr} untouched on
 * failure.
 */
int
keystore_fmt_header_decode(const uint8_t *buf, size_t filelen,
    struct keystore_fmt_header *hdr)
{
	struct keystore_fmt_header_disk d;
	struct keystore_fmt_header h;

	/*
	 * Magic, version and flags come first and are checked first: a
	 * future version may have a different header size, so "unknown
	 * version" must win over "too short".
	 */
	if (filelen < 12)
		return (qs_error_set(QS_ECORRUPT,
		    "keystore: file is %zu bytes, too short for a header",
		    filelen));
	if (memcmp(buf, KEYSTORE_FMT_MAGIC, 8) != 0)
		return (qs_error_set(QS_ECORRUPT,
		    "keystore: bad magic (not a qsarc keystore)"));
	h.version = le16dec(buf + 8);
	h.flags = le16dec(buf + 10);
	if (h.version != KEYSTORE_FMT_VERSION)
		return (qs_error_set(QS_EVERSION,
		    "keystore: format version %u is not supported (this "
		    "program reads version %u)", h.version,
		    KEYSTORE_FMT_VERSION));
	if (h.flags != 0)
		return (qs_error_set(QS_EVERSION,
		    "keystore: unknown flags 0x%04x", h.flags));
	if (filelen < KEYSTORE_FMT_HEADER_SIZE)
		return (qs_error_set(QS_ECORRUPT,
		    "keystore: file is %zu bytes, header needs %d", filelen,
		    KEYSTORE_FMT_HEADER_SIZE));
	memcpy(&d, buf, sizeof(d));

	h.kdf_id = d.kdf_id[0];
	if (h.kdf_id != KEYSTORE_FMT_KDF_ARGON2ID13)
		return (qs_error_set(QS_EVERSION,
		    "keystore: unknown KDF id %u", h.kdf_id));
	if (!bytes_zero(d.reserved, sizeof(d.reserved)))
		return (qs_error_set(QS_ECORRUPT,
		    "keystore: reserved header bytes are not zero"));
	h.t_cost = le32dec(d.t_cost);
	h.m_cost_kib = le32dec(d.m_cost_kib);
	h.parallelism = le32dec(d.parallelism);
	memcpy(h.salt, d.salt, sizeof(h.salt));
	memcpy(h.store_id, d.store_id, sizeof(h.store_id));
	h.generation = le64dec(d.generation);
	memcpy(h.check, d.check, sizeof(h.check));
	memcpy(h.nonce, d.nonce, sizeof(h.nonce));
	h.body_len = le32dec(d.body_len);

	/* Both sides are bounded, so the sum cannot overflow. */
	if (h.body_len < KEYSTORE_FMT_BODY_FIXED + KEYSTORE_FMT_KEY_SIZE ||
	    h.body_len > KEYSTORE_FMT_MAX_BODY)
		return (qs_error_set(QS_ECORRUPT,
		    "keystore: body length %u outside %d..%d", h.body_len,
		    KEYSTORE_FMT_BODY_FIXED + KEYSTORE_FMT_KEY_SIZE,
		    KEYSTORE_FMT_MAX_BODY));
	if (filelen != (size_t)KEYSTORE_FMT_HEADER_SIZE + h.body_len +
	    KEYSTORE_FMT_TAGBYTES)
		return (qs_error_set(QS_ECORRUPT,
		    "keystore: file is %zu bytes but the header says %zu",
		    filelen, (size_t)KEYSTORE_FMT_HEADER_SIZE + h.body_len +
		    KEYSTORE_FMT_TAGBYTES));
	*hdr = h;
	return (QS_OK);
}

/**
 * keystore_fmt_body_size(nkeys):
 * Return the plaintext body length for ${nkeys} keys.
 */
size_t
keystore_fmt_body_size(size_t nkeys)
{

	return (KEYSTORE_FMT_BODY_FIXED + nkeys * KEYSTORE_FMT_KEY_SIZE);
}

/**
 * keystore_fmt_body_encode(body, out, outlen):
 * Write the fixed part of ${body} into ${out}; QS_OK or QS_EINVAL.
 */
int
keystore_fmt_body_encode(const struct keystore_fmt_body *body, uint8_t *out,
    size_t outlen)
{
	struct keystore_fmt_body_disk *d;

	if (outlen != keystore_fmt_body_size(body->nkeys))
		return (qs_error_set(QS_EINVAL,
		    "keystore: body buffer is %zu bytes, need %zu", outlen,
		    keystore_fmt_body_size(body->nkeys)));

	/*
	 * Written in place through a byte-array struct (alignment 1), so the
	 * secrets are never copied into a stack temporary.
	 */
	d = (struct keystore_fmt_body_disk *)out;
	le16enc(d->version, KEYSTORE_FMT_BODY_VERSION);
	d->mode[0] = body->mode;
	d->reserved0[0] = 0;
	le64enc(d->rotation, body->rotation);
	le64enc(d->last_rotation, (uint64_t)body->last_rotation);
	le64enc(d->generation, body->generation);
	memcpy(d->store_id, body->store_id, sizeof(d->store_id));
	memcpy(d->idkey, body->idkey, sizeof(d->idkey));
	memcpy(d->gearkey, body->gearkey, sizeof(d->gearkey));
	le16enc(d->nkeys, body->nkeys);
	le16enc(d->pending_key, body->pending_key);
	return (QS_OK);
}

/**
 * keystore_fmt_key_encode(out, i, key):
 * Write key entry ${i} into the body buffer ${out}.
 */
void
keystore_fmt_key_encode(uint8_t *out, size_t i,
    const struct keystore_fmt_key *key)
{
	struct keystore_fmt_key_disk *d;

	d = (struct keystore_fmt_key_disk *)(out + KEYSTORE_FMT_BODY_FIXED +
	    i * KEYSTORE_FMT_KEY_SIZE);
	le16enc(d->id, key->id);
	d->state[0] = key->state;
	d->reserved[0] = 0;
	le64enc(d->created, (uint64_t)key->created);
	memcpy(d->key, key->key, sizeof(d->key));
}

/**
 * keystore_fmt_body_decode(buf, len, body):
 * Decode the fixed part of a plaintext body.  Return QS_OK, QS_EVERSION or
 * QS_ECORRUPT; ${body} untouched on failure.
 */
int
keystore_fmt_body_decode(const uint8_t *buf, size_t len,
    struct keystore_fmt_body *body)
{
	const struct keystore_fmt_body_disk *d;
	struct keystore_fmt_body b;
	uint16_t version;

	if (len < 2)
		return (qs_error_set(QS_ECORRUPT,
		    "keystore: body is %zu bytes", len));
	if ((version = le16dec(buf)) != KEYSTORE_FMT_BODY_VERSION &&
	    version != KEYSTORE_FMT_BODY_VERSION_OLD)
		return (qs_error_set(QS_EVERSION,
		    "keystore: body version %u is not supported", version));
	if (len < KEYSTORE_FMT_BODY_FIXED)
		return (qs_error_set(QS_ECORRUPT,
		    "keystore: body is %zu bytes, need at least %d", len,
		    KEYSTORE_FMT_BODY_FIXED));
	d = (const struct keystore_fmt_body_disk *)buf;
	/* Version 1 has reserved bytes where version 2 has pending_key. */
	if (d->reserved0[0] != 0 || (version == KEYSTORE_FMT_BODY_VERSION_OLD &&
	    !bytes_zero(d->pending_key, sizeof(d->pending_key))))
		return (qs_error_set(QS_ECORRUPT,
		    "keystore: reserved body bytes are not zero"));
	b.mode = d->mode[0];
	b.rotation = le64dec(d->rotation);
	b.last_rotation = (int64_t)le64dec(d->last_rotation);
	b.generation = le64dec(d->generation);
	memcpy(b.store_id, d->store_id, sizeof(b.store_id));
	b.idkey = d->idkey;
	b.gearkey = d->gearkey;
	b.nkeys = le16dec(d->nkeys);
	b.pending_key = le16dec(d->pending_key);
	b.keys = buf + KEYSTORE_FMT_BODY_FIXED;
	if (b.nkeys < 1 || b.nkeys > KEYSTORE_FMT_MAX_KEYS)
		return (qs_error_set(QS_ECORRUPT,
		    "keystore: key count %u outside 1..%d", b.nkeys,
		    KEYSTORE_FMT_MAX_KEYS));
	if (len != keystore_fmt_body_size(b.nkeys))
		return (qs_error_set(QS_ECORRUPT,
		    "keystore: body is %zu bytes, %u keys need %zu", len,
		    b.nkeys, keystore_fmt_body_size(b.nkeys)));
	*body = b;
	return (QS_OK);
}

/**
 * keystore_fmt_key_decode(body, i, key):
 * Decode key entry ${i}.  Return QS_OK, QS_EINVAL or QS_ECORRUPT.
 */
int
keystore_fmt_key_decode(const struct keystore_fmt_body *body, size_t i,
    struct keystore_fmt_key *key)
{
	const struct keystore_fmt_key_disk *d;

	if (i >= body->nkeys)
		return (qs_error_set(QS_EINVAL,
		    "keystore: key entry %zu of %u", i, body->nkeys));
	d = (const struct keystore_fmt_key_disk *)(body->keys +
	    i * KEYSTORE_FMT_KEY_SIZE);
	if (d->reserved[0] != 0)
		return (qs_error_set(QS_ECORRUPT,
		    "keystore: key entry %zu: reserved byte is not zero", i));
	key->id = le16dec(d->id);
	key->state = d->state[0];
	key->created = (int64_t)le64dec(d->created);
	key->key = d->key;
	return (QS_OK);
}
