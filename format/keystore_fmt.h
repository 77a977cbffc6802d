#ifndef QS_KEYSTORE_FMT_H
#define QS_KEYSTORE_FMT_H

/*
 * Byte codec for the keystore file (spec/keystore.md).  This layer only
 * moves bytes: it knows offsets, sizes, the magic, the version rules and
 * the structural length checks.  It does no cryptography; the caller
 * (crypto/keystore.c) derives the KEK, checks the check value, opens the
 * AEAD and validates the meaning of the decoded fields.
 *
 * File = header (112 bytes, plaintext) || AEAD ciphertext of the body ||
 * 16-byte tag.  All integers are little-endian.
 */

#include <stddef.h>
#include <stdint.h>

#define KEYSTORE_FMT_MAGIC		"QSARCKEY"
#define KEYSTORE_FMT_VERSION		1
#define KEYSTORE_FMT_KDF_ARGON2ID13	1
#define KEYSTORE_FMT_HEADER_SIZE	112
#define KEYSTORE_FMT_TAGBYTES		16
#define KEYSTORE_FMT_BODY_VERSION	2	/* written; 1 is still read */
#define KEYSTORE_FMT_BODY_VERSION_OLD	1	/* no pending_key field */
#define KEYSTORE_FMT_BODY_FIXED		112
#define KEYSTORE_FMT_KEY_SIZE		44
#define KEYSTORE_FMT_MAX_KEYS		1023
#define KEYSTORE_FMT_MAX_BODY	\
	(KEYSTORE_FMT_BODY_FIXED + KEYSTORE_FMT_MAX_KEYS * KEYSTORE_FMT_KEY_SIZE)
#define KEYSTORE_FMT_MAX_FILE	\
	(KEYSTORE_FMT_HEADER_SIZE + KEYSTORE_FMT_MAX_BODY + KEYSTORE_FMT_TAGBYTES)

/* Decoded header (the plaintext part of the file). */
struct keystore_fmt_header {
	uint16_t version;	/* KEYSTORE_FMT_VERSION */
	uint16_t flags;		/* 0 */
	uint8_t kdf_id;		/* KEYSTORE_FMT_KDF_ARGON2ID13 */
	uint32_t t_cost;
	uint32_t m_cost_kib;
	uint32_t parallelism;
	uint8_t salt[16];
	uint8_t store_id[16];
	uint64_t generation;
	uint8_t check[16];
	uint8_t nonce[24];
	uint32_t body_len;	/* plaintext body bytes (tag not included) */
};

/*
 * Decoded body.  The secret fields are pointers into the caller's buffer
 * (which the caller keeps in secure memory), so no secret is copied into
 * this struct.
 */
struct keystore_fmt_body {
	uint8_t mode;
	uint64_t rotation;
	int64_t last_rotation;
	uint64_t generation;
	uint8_t store_id[16];
	const uint8_t *idkey;	/* 32 bytes */
	const uint8_t *gearkey;	/* 32 bytes */
	uint16_t nkeys;
	uint16_t pending_key;	/* target of an unfinished mode change; 0 none */
	const uint8_t *keys;	/* nkeys entries of KEYSTORE_FMT_KEY_SIZE */
};

/* One decoded key entry; ${key} points into the body buffer. */
struct keystore_fmt_key {
	uint16_t id;
	uint8_t state;
	int64_t created;
	const uint8_t *key;	/* 32 bytes */
};

/**
 * keystore_fmt_header_encode(hdr, out):
 * Write the 112-byte header for ${hdr} into ${out} (magic and reserved
 * bytes are filled in here).
 */
void keystore_fmt_header_encode(const struct keystore_fmt_header *,
    uint8_t[KEYSTORE_FMT_HEADER_SIZE]);

/**
 * keystore_fmt_header_decode(buf, filelen, hdr):
 * Decode the header at the start of a ${filelen}-byte keystore file
 * ${buf}.  Return QS_OK; QS_EVERSION if the version, the flags or the KDF
 * id is not one this code knows; QS_ECORRUPT if the file is shorter than
 * the fields read, the magic is wrong, a reserved byte is non-zero, or
 * body_len is not 156..KEYSTORE_FMT_MAX_BODY (one to 1023 keys) or
 * ${filelen} is not exactly header + body_len + tag.  ${hdr} is
 * untouched on failure.  KDF parameter ranges are not checked here
 * (kdf_params_check does that).
 */
int keystore_fmt_header_decode(const uint8_t *, size_t,
    struct keystore_fmt_header *);

/**
 * keystore_fmt_body_size(nkeys):
 * Return the plaintext body length for ${nkeys} keys.
 */
size_t keystore_fmt_body_size(size_t);

/**
 * keystore_fmt_body_encode(body, out, outlen):
 * Write the fixed part of ${body} (including the id and gear secrets and
 * the key count) into ${out}.  ${outlen} must be
 * keystore_fmt_body_size(body->nkeys), else QS_EINVAL.  The key entries
 * are written with keystore_fmt_key_encode; ${body->keys} is ignored.
 */
int keystore_fmt_body_encode(const struct keystore_fmt_body *, uint8_t *,
    size_t);

/**
 * keystore_fmt_key_encode(out, i, key):
 * Write key entry ${i} of a body being encoded into ${out} (the body
 * buffer; the caller guarantees room for entry ${i}).
 */
void keystore_fmt_key_encode(uint8_t *, size_t,
    const struct keystore_fmt_key *);

/**
 * keystore_fmt_body_decode(buf, len, body):
 * Decode the fixed part of the ${len}-byte plaintext body ${buf}.  Return
 * QS_OK; QS_EVERSION for an unknown body version; QS_ECORRUPT if ${len} is
 * short, a reserved byte is non-zero, the key count is not 1..1023 or
 * ${len} is not exactly keystore_fmt_body_size(count).  Pointers in
 * ${body} point into ${buf}.  ${body} is untouched on failure.
 */
int keystore_fmt_body_decode(const uint8_t *, size_t,
    struct keystore_fmt_body *);

/**
 * keystore_fmt_key_decode(body, i, key):
 * Decode key entry ${i} of a body decoded by keystore_fmt_body_decode.
 * Return QS_OK; QS_EINVAL if ${i} >= body->nkeys; QS_ECORRUPT if the
 * entry's reserved byte is non-zero.  No range checks on id or state.
 */
int keystore_fmt_key_decode(const struct keystore_fmt_body *, size_t,
    struct keystore_fmt_key *);

#endif /* !QS_KEYSTORE_FMT_H */
