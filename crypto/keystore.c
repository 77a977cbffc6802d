#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "crypto/keystore.h"
#include "crypto/secmem.h"
#include "format/fileio.h"
#include "format/keystore_fmt.h"
#include "format/qs_err.h"

_Static_assert(KEYSTORE_FMT_TAGBYTES == AEAD_TAGBYTES, "tag size");
_Static_assert(KEYSTORE_FMT_MAX_KEYS == KEYSTORE_MAX_KEYS, "key limit");
_Static_assert(sizeof(((struct keystore_fmt_header *)0)->nonce) ==
    AEAD_NONCEBYTES, "nonce size");
_Static_assert(sizeof(((struct keystore_fmt_header *)0)->salt) ==
    KDF_SALTBYTES, "salt size");
_Static_assert(KDF_KEKBYTES == AEAD_KEYBYTES, "KEK size");

/* The check value: BLAKE2b-256 keyed with the KEK, first 16 bytes. */
#define CHECK_MSG	"qsarc-kek-check"
#define CHECK_BYTES	16

/*
 * Secret area (one sodium_malloc block): the chunk-id secret, the gear
 * secret, then one 32-byte slot per possible key id (slot id - 1).  Slots
 * of absent keys are all zero, so two keystores holding the same keys have
 * byte-identical secret areas.
 */
#define SEC_IDKEY	0
#define SEC_GEARKEY	32
#define SEC_KEYS	64
#define SEC_SIZE	(SEC_KEYS + KEYSTORE_MAX_KEYS * KEYSTORE_KEYBYTES)

struct keystore {
	int mode;
	uint64_t rotation;
	int64_t last_rotation;
	uint64_t generation;
	uint8_t store_id[KEYSTORE_STOREIDBYTES];
	uint16_t current;			/* id of the active key */
	uint16_t pending;			/* mode change target; 0 none */
	struct kdf_params kdf;			/* as authenticated / saved */
	size_t nkeys;
	uint8_t state[KEYSTORE_MAX_KEYS + 1];	/* by id; 0 = no such key */
	int64_t created[KEYSTORE_MAX_KEYS + 1];	/* by id */
	uint8_t *sec;				/* SEC_SIZE bytes, secmem */
};

static uint8_t *
key_slot(const struct keystore *ks, uint16_t id)
{

	return (ks->sec + SEC_KEYS + (size_t)(id - 1) * KEYSTORE_KEYBYTES);
}

static int
rotation_check(uint64_t *rotation)
{

	if (*rotation == 0)
		*rotation = KEYSTORE_ROTATION_DEFAULT;
	if (*rotation < KEYSTORE_ROTATION_MIN ||
	    *rotation > KEYSTORE_ROTATION_MAX)
		return (qs_error_set(QS_EINVAL,
		    "rotation period %llu s outside %llu..%llu s",
		    (unsigned long long)*rotation,
		    (unsigned long long)KEYSTORE_ROTATION_MIN,
		    (unsigned long long)KEYSTORE_ROTATION_MAX));
	return (QS_OK);
}

static int
mode_check(int mode)
{

	if (mode != KEYSTORE_MODE_STATIC && mode != KEYSTORE_MODE_INTERNAL)
		return (qs_error_set(QS_EINVAL, "unknown key mode %d", mode));
	return (QS_OK);
}

static int
passlen_check(const uint8_t *pass, size_t passlen)
{

	if (pass == NULL || passlen < KDF_PASS_MIN || passlen > KDF_PASS_MAX)
		return (qs_error_set(QS_EINVAL,
		    "passphrase must be %d to %d bytes", KDF_PASS_MIN,
		    KDF_PASS_MAX));
	return (QS_OK);
}

/* Allocate an empty keystore (no keys, zeroed secrets). */
static struct keystore *
ks_alloc(void)
{
	struct keystore *ks;

	if ((ks = calloc(1, sizeof(*ks))) == NULL) {
		qs_error_set(QS_ENOMEM, "out of memory");
		return (NULL);
	}
	if ((ks->sec = secmem_alloc(SEC_SIZE)) == NULL) {
		free(ks);
		return (NULL);
	}
	memset(ks->sec, 0, SEC_SIZE);
	return (ks);
}

/**
 * keystore_free(ks):
 * Wipe and free ${ks}.  ${ks} may be NULL.
 */
void
keystore_free(struct keystore *ks)
{

	if (ks == NULL)
		return;
	secmem_free(ks->sec, SEC_SIZE);
	secmem_wipe(ks, sizeof(*ks));
	free(ks);
}

/*
 * Add a fresh random key created ${now}, make it active, demote the old
 * active key to retained, and set the last rotation to ${now}.
 */
static int
add_key(struct keystore *ks, int64_t now)
{
	uint16_t id, hi = 0;

	if (ks->nkeys >= KEYSTORE_MAX_KEYS)
		return (qs_error_set(QS_ELIMIT,
		    "the keystore already holds %d keys", KEYSTORE_MAX_KEYS));
	for (id = KEYSTORE_MAX_KEYS; id >= 1; id--) {
		if (ks->state[id] != 0) {
			hi = id;
			break;
		}
	}
	if (hi < KEYSTORE_MAX_KEYS) {
		id = (uint16_t)(hi + 1);
	} else {
		/* Ids are exhausted at the top: reuse the lowest free one. */
		for (id = 1; ks->state[id] != 0; id++)
			continue;
	}
	randombytes_buf(key_slot(ks, id), KEYSTORE_KEYBYTES);
	if (ks->current != 0)
		ks->state[ks->current] = KEYSTORE_KEY_RETAINED;
	ks->state[id] = KEYSTORE_KEY_ACTIVE;
	ks->created[id] = now;
	ks->current = id;
	ks->last_rotation = now;
	ks->nkeys++;
	return (QS_OK);
}

/**
 * keystore_create(store_id, mode, rotation_secs, now, ks):
 * Make a new in-memory keystore with fresh secrets and key 1.  Return
 * QS_OK, QS_EINVAL or QS_ENOMEM.
 */
int
keystore_create(const uint8_t store_id[KEYSTORE_STOREIDBYTES], int mode,
    uint64_t rotation_secs, int64_t now, struct keystore **ksp)
{
	struct keystore *ks;
	int rc;

	if (store_id == NULL)
		return (qs_error_set(QS_EINVAL, "no store id"));
	if ((rc = mode_check(mode)) != QS_OK ||
	    (rc = rotation_check(&rotation_secs)) != QS_OK)
		return (rc);
	if ((ks = ks_alloc()) == NULL)
		return (QS_ENOMEM);
	ks->mode = mode;
	ks->rotation = rotation_secs;
	ks->generation = 0;
	memcpy(ks->store_id, store_id, KEYSTORE_STOREIDBYTES);
	randombytes_buf(ks->sec + SEC_IDKEY, 32);
	randombytes_buf(ks->sec + SEC_GEARKEY, 32);
	if ((rc = add_key(ks, now)) != QS_OK) {
		keystore_free(ks);
		return (rc);
	}
	*ksp = ks;
	return (QS_OK);
}

/* Compute the 16-byte passphrase check value for ${kek}. */
static void
check_value(const uint8_t kek[KDF_KEKBYTES], uint8_t out[CHECK_BYTES])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof(h), (const uint8_t *)CHECK_MSG,
	    sizeof(CHECK_MSG) - 1, kek, KDF_KEKBYTES);
	memcpy(out, h, CHECK_BYTES);
	secmem_wipe(h, sizeof(h));
}

/*
 * Decode the header of the ${len}-byte file ${buf} read from ${path},
 * check the KDF parameters and (if ${store_id} is not NULL) the store id.
 */
static int
parse_header(const uint8_t *buf, size_t len, const char *path,
    const uint8_t *store_id, struct keystore_fmt_header *hdr,
    struct kdf_params *kdf)
{
	int rc;

	if ((rc = keystore_fmt_header_decode(buf, len, hdr)) != QS_OK)
		return (qs_error_prefix(rc, path));
	kdf->t_cost = hdr->t_cost;
	kdf->m_cost_kib = hdr->m_cost_kib;
	kdf->parallelism = hdr->parallelism;
	/* Unauthenticated yet: refuse a hostile cost before paying it. */
	if (kdf_params_check(kdf) != QS_OK)
		return (qs_error_prefix(QS_ECORRUPT, path));
	if (store_id != NULL &&
	    memcmp(store_id, hdr->store_id, KEYSTORE_STOREIDBYTES) != 0)
		return (qs_error_set(QS_ECORRUPT,
		    "%s: keystore belongs to a different store", path));
	return (QS_OK);
}

/* Check the meaning of a decoded body and copy it into a new keystore. */
static int
body_to_keystore(const struct keystore_fmt_body *body,
    const struct keystore_fmt_header *hdr, const char *path,
    struct keystore **ksp)
{
	struct keystore_fmt_key k;
	struct keystore *ks;
	uint16_t prev = 0;
	uint64_t rotation = body->rotation;
	int rc;

	if (mode_check(body->mode) != QS_OK ||
	    body->rotation == 0 || rotation_check(&rotation) != QS_OK)
		return (qs_error_prefix(QS_ECORRUPT, path));
	if (body->generation != hdr->generation ||
	    memcmp(body->store_id, hdr->store_id, KEYSTORE_STOREIDBYTES) != 0)
		return (qs_error_set(QS_ECORRUPT,
		    "%s: keystore body does not match its header", path));
	if ((ks = ks_alloc()) == NULL)
		return (QS_ENOMEM);
	ks->mode = body->mode;
	ks->rotation = body->rotation;
	ks->last_rotation = body->last_rotation;
	ks->generation = body->generation;
	memcpy(ks->store_id, body->store_id, KEYSTORE_STOREIDBYTES);
	memcpy(ks->sec + SEC_IDKEY, body->idkey, 32);
	memcpy(ks->sec + SEC_GEARKEY, body->gearkey, 32);
	for (size_t i = 0; i < body->nkeys; i++) {
		if ((rc = keystore_fmt_key_decode(body, i, &k)) != QS_OK)
			goto bad;
		if (k.id <= prev || k.id > KEYSTORE_MAX_KEYS) {
			rc = qs_error_set(QS_ECORRUPT,
			    "key entry %zu: id %u out of order or range", i,
			    k.id);
			goto bad;
		}
		if (k.state != KEYSTORE_KEY_ACTIVE &&
		    k.state != KEYSTORE_KEY_RETAINED) {
			rc = qs_error_set(QS_ECORRUPT,
			    "key %u: unknown state %u", k.id, k.state);
			goto bad;
		}
		if (k.state == KEYSTORE_KEY_ACTIVE) {
			if (ks->current != 0) {
				rc = qs_error_set(QS_ECORRUPT,
				    "keys %u and %u are both active",
				    ks->current, k.id);
				goto bad;
			}
			ks->current = k.id;
		}
		ks->state[k.id] = k.state;
		ks->created[k.id] = k.created;
		memcpy(key_slot(ks, k.id), k.key, KEYSTORE_KEYBYTES);
		ks->nkeys++;
		prev = k.id;
	}
	if (ks->current == 0) {
		rc = qs_error_set(QS_ECORRUPT, "no active key");
		goto bad;
	}
	/* A pending mode change always targets the active key. */
	if (body->pending_key != 0 && body->pending_key != ks->current) {
		rc = qs_error_set(QS_ECORRUPT, "a mode change to key %u is "
		    "pending but key %u is active", body->pending_key,
		    ks->current);
		goto bad;
	}
	ks->pending = body->pending_key;
	/* The header is the AEAD's associated data: these are genuine. */
	ks->kdf.t_cost = hdr->t_cost;
	ks->kdf.m_cost_kib = hdr->m_cost_kib;
	ks->kdf.parallelism = hdr->parallelism;
	*ksp = ks;
	return (QS_OK);

bad:
	keystore_free(ks);
	return (qs_error_prefix(QS_ECORRUPT, path));
}

/*
 * Unlock the file ${buf} (header already decoded into ${hdr}) with ${kek}:
 * check value, AEAD, body.  QS_EPASS, QS_ECORRUPT, QS_EVERSION or QS_OK.
 */
static int
unlock_with_kek(const uint8_t *buf, const struct keystore_fmt_header *hdr,
    const uint8_t kek[KDF_KEKBYTES], const char *path, struct keystore **ksp)
{
	struct keystore_fmt_body body;
	uint8_t check[CHECK_BYTES];
	uint8_t *plain;
	int rc;

	check_value(kek, check);
	if (sodium_memcmp(check, hdr->check, CHECK_BYTES) != 0) {
		rc = qs_error_set(QS_EPASS, "%s: wrong passphrase", path);
		goto err0;
	}
	if ((plain = secmem_alloc(hdr->body_len)) == NULL) {
		rc = QS_ENOMEM;
		goto err0;
	}
	/* The whole header, check value and nonce included, is the AD. */
	if (aead_open(kek, hdr->nonce, buf, KEYSTORE_FMT_HEADER_SIZE,
	    buf + KEYSTORE_FMT_HEADER_SIZE,
	    (size_t)hdr->body_len + AEAD_TAGBYTES, plain) != QS_OK) {
		rc = qs_error_set(QS_ECORRUPT,
		    "%s: keystore is damaged (authentication failed although "
		    "the passphrase is right)", path);
		goto err1;
	}
	if ((rc = keystore_fmt_body_decode(plain, hdr->body_len, &body)) !=
	    QS_OK) {
		rc = qs_error_prefix(rc, path);
		goto err1;
	}
	rc = body_to_keystore(&body, hdr, path, ksp);

err1:
	secmem_free(plain, hdr->body_len);
err0:
	secmem_wipe(check, sizeof(check));
	return (rc);
}

/**
 * keystore_load(path, store_id, pass, passlen, ks):
 * Read and unlock the keystore file ${path}.  Return QS_OK, QS_ENOENT,
 * QS_EINVAL, QS_EVERSION, QS_EPASS, QS_ECORRUPT, QS_ENOMEM or QS_EIO.
 */
int
keystore_load(const char *path,
    const uint8_t store_id[KEYSTORE_STOREIDBYTES], const uint8_t *pass,
    size_t passlen, struct keystore **ksp)
{
	struct keystore_fmt_header hdr;
	struct kdf_params kdf;
	uint8_t kek[KDF_KEKBYTES];
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = passlen_check(pass, passlen)) != QS_OK)
		return (rc);
	if ((rc = secmem_init()) != QS_OK)
		return (rc);
	if ((rc = fileio_read_all(path, &buf, &len, KEYSTORE_FMT_MAX_FILE))
	    != QS_OK)
		return (rc);
	if ((rc = parse_header(buf, len, path, store_id, &hdr, &kdf)) !=
	    QS_OK)
		goto err1;
	if ((rc = kdf_derive(pass, passlen, hdr.salt, &kdf, kek)) != QS_OK)
		goto err2;
	rc = unlock_with_kek(buf, &hdr, kek, path, ksp);

err2:
	secmem_wipe(kek, sizeof(kek));
err1:
	free(buf);
	return (rc);
}

/**
 * keystore_peek(path, info):
 * Decode only the plaintext header of ${path}.  Return QS_OK, QS_ENOENT,
 * QS_EVERSION, QS_ECORRUPT or QS_EIO.
 */
int
keystore_peek(const char *path, struct keystore_header_info *info)
{
	struct keystore_fmt_header hdr;
	struct kdf_params kdf;
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = fileio_read_all(path, &buf, &len, KEYSTORE_FMT_MAX_FILE))
	    != QS_OK)
		return (rc);
	if ((rc = parse_header(buf, len, path, NULL, &hdr, &kdf)) == QS_OK) {
		info->generation = hdr.generation;
		memcpy(info->store_id, hdr.store_id, KEYSTORE_STOREIDBYTES);
		info->kdf = kdf;
	}
	free(buf);
	return (rc);
}

/* Return non-zero if ${a} and ${b} hold exactly the same contents. */
static int
ks_same(const struct keystore *a, const struct keystore *b)
{

	return (a->mode == b->mode && a->rotation == b->rotation &&
	    a->last_rotation == b->last_rotation &&
	    a->generation == b->generation && a->current == b->current &&
	    a->pending == b->pending &&
	    a->kdf.t_cost == b->kdf.t_cost &&
	    a->kdf.m_cost_kib == b->kdf.m_cost_kib &&
	    a->kdf.parallelism == b->kdf.parallelism &&
	    a->nkeys == b->nkeys &&
	    memcmp(a->store_id, b->store_id, KEYSTORE_STOREIDBYTES) == 0 &&
	    memcmp(a->state, b->state, sizeof(a->state)) == 0 &&
	    memcmp(a->created, b->created, sizeof(a->created)) == 0 &&
	    sodium_memcmp(a->sec, b->sec, SEC_SIZE) == 0);
}

/* Seal ${ks} into a new malloc'd file image ${filep} / ${lenp}. */
static int
seal(const struct keystore *ks, const uint8_t kek[KDF_KEKBYTES],
    const uint8_t salt[KDF_SALTBYTES], const struct kdf_params *kdf,
    uint8_t **filep, size_t *lenp)
{
	struct keystore_fmt_header hdr;
	struct keystore_fmt_body body;
	struct keystore_fmt_key k;
	uint8_t *plain, *file;
	size_t blen, flen, i;
	uint16_t id;
	int rc;

	/* The header: KDF parameters, salt, key check, a fresh nonce. */
	blen = keystore_fmt_body_size(ks->nkeys);
	flen = KEYSTORE_FMT_HEADER_SIZE + blen + AEAD_TAGBYTES;
	memset(&hdr, 0, sizeof(hdr));
	hdr.version = KEYSTORE_FMT_VERSION;
	hdr.flags = 0;
	hdr.kdf_id = KEYSTORE_FMT_KDF_ARGON2ID13;
	hdr.t_cost = kdf->t_cost;
	hdr.m_cost_kib = kdf->m_cost_kib;
	hdr.parallelism = kdf->parallelism;
	memcpy(hdr.salt, salt, KDF_SALTBYTES);
	memcpy(hdr.store_id, ks->store_id, KEYSTORE_STOREIDBYTES);
	hdr.generation = ks->generation;
	check_value(kek, hdr.check);
	aead_random_nonce(hdr.nonce);
	hdr.body_len = (uint32_t)blen;

	if ((file = malloc(flen)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((plain = secmem_alloc(blen)) == NULL) {
		rc = QS_ENOMEM;
		goto err1;
	}
	keystore_fmt_header_encode(&hdr, file);

	/* The body in secure memory: settings, secrets, then every key. */
	memset(&body, 0, sizeof(body));
	body.mode = (uint8_t)ks->mode;
	body.rotation = ks->rotation;
	body.last_rotation = ks->last_rotation;
	body.generation = ks->generation;
	memcpy(body.store_id, ks->store_id, KEYSTORE_STOREIDBYTES);
	body.idkey = ks->sec + SEC_IDKEY;
	body.gearkey = ks->sec + SEC_GEARKEY;
	body.nkeys = (uint16_t)ks->nkeys;
	body.pending_key = ks->pending;
	if ((rc = keystore_fmt_body_encode(&body, plain, blen)) != QS_OK)
		goto err2;
	for (i = 0, id = 1; id <= KEYSTORE_MAX_KEYS; id++) {
		if (ks->state[id] == 0)
			continue;
		k.id = id;
		k.state = ks->state[id];
		k.created = ks->created[id];
		k.key = key_slot(ks, id);
		keystore_fmt_key_encode(plain, i++, &k);
	}
	/* Sealed under the KEK, the header as associated data. */
	aead_seal(kek, hdr.nonce, file, KEYSTORE_FMT_HEADER_SIZE, plain, blen,
	    file + KEYSTORE_FMT_HEADER_SIZE);
	secmem_free(plain, blen);
	*filep = file;
	*lenp = flen;
	return (QS_OK);

err2:
	secmem_free(plain, blen);
err1:
	free(file);
	return (rc);
}

/* Write ${file} to ${path} durably with mode 0600. */
static int
write_copy(const char *path, const uint8_t *file, size_t len)
{
	struct fileio_tmp *t;
	int rc;

	if ((rc = fileio_tmp_open(path, 0600, &t)) != QS_OK)
		return (rc);
	if ((rc = fileio_tmp_write(t, file, len)) != QS_OK) {
		fileio_tmp_abort(t);
		return (rc);
	}
	return (fileio_tmp_commit(t, 0));
}

/*
 * Read ${path} back: it must hold exactly ${file} and decrypt with ${kek}
 * to exactly ${ks}.  The KEK is reused rather than re-derived: Argon2 is
 * deterministic, and what can go wrong here is the file system.
 */
static int
verify_copy(const char *path, const uint8_t *file, size_t len,
    const uint8_t kek[KDF_KEKBYTES], const struct keystore *ks)
{
	struct keystore_fmt_header hdr;
	struct kdf_params kdf;
	struct keystore *back = NULL;
	uint8_t *buf;
	size_t blen;
	int rc;

	if ((rc = fileio_read_all(path, &buf, &blen, KEYSTORE_FMT_MAX_FILE))
	    != QS_OK)
		return (rc);
	if (blen != len || memcmp(buf, file, len) != 0) {
		rc = qs_error_set(QS_ECORRUPT,
		    "%s: keystore read back differs from what was written",
		    path);
		goto done;
	}
	if ((rc = parse_header(buf, blen, path, ks->store_id, &hdr, &kdf)) !=
	    QS_OK)
		goto done;
	if ((rc = unlock_with_kek(buf, &hdr, kek, path, &back)) != QS_OK)
		goto done;
	if (!ks_same(ks, back))
		rc = qs_error_set(QS_ECORRUPT,
		    "%s: keystore read back does not match", path);

done:
	keystore_free(back);
	free(buf);
	return (rc);
}

/**
 * keystore_save(ks, primary, backup, pass, passlen, kdf):
 * Increment the generation, seal, write and verify ${primary}, then write
 * and verify ${backup} (if not NULL).  Return QS_OK, QS_EINVAL,
 * QS_ECORRUPT, QS_ENOMEM, QS_EIO or QS_ENOSPC.
 */
int
keystore_save(struct keystore *ks, const char *primary, const char *backup,
    const uint8_t *pass, size_t passlen, const struct kdf_params *kdfp)
{
	struct kdf_params kdf;
	uint8_t salt[KDF_SALTBYTES];
	uint8_t kek[KDF_KEKBYTES];
	uint8_t *file = NULL;
	size_t len = 0;
	int rc;

	if (kdfp == NULL && ks->kdf.t_cost != 0)
		kdf = ks->kdf;
	else if (kdfp == NULL)
		kdf_params_default(&kdf);
	else
		kdf = *kdfp;
	if ((rc = passlen_check(pass, passlen)) != QS_OK ||
	    (rc = kdf_params_check(&kdf)) != QS_OK)
		return (rc);
	if (primary == NULL)
		return (qs_error_set(QS_EINVAL, "no keystore path"));
	if (ks->generation == UINT64_MAX)
		return (qs_error_set(QS_ELIMIT, "keystore generation limit"));

	ks->generation++;
	ks->kdf = kdf;
	randombytes_buf(salt, sizeof(salt));
	if ((rc = kdf_derive(pass, passlen, salt, &kdf, kek)) != QS_OK)
		goto done;
	if ((rc = seal(ks, kek, salt, &kdf, &file, &len)) != QS_OK)
		goto done;
	if ((rc = write_copy(primary, file, len)) != QS_OK ||
	    (rc = verify_copy(primary, file, len, kek, ks)) != QS_OK)
		goto done;
	if (backup != NULL) {
		if ((rc = write_copy(backup, file, len)) != QS_OK ||
		    (rc = verify_copy(backup, file, len, kek, ks)) != QS_OK)
			goto done;
	}

done:
	free(file);
	secmem_wipe(kek, sizeof(kek));
	return (rc);
}

/**
 * keystore_mode(ks):
 * Return the key mode.
 */
int
keystore_mode(const struct keystore *ks)
{

	return (ks->mode);
}

/**
 * keystore_rotation(ks):
 * Return the rotation period in seconds.
 */
uint64_t
keystore_rotation(const struct keystore *ks)
{

	return (ks->rotation);
}

/**
 * keystore_last_rotation(ks):
 * Return the time the current key was made.
 */
int64_t
keystore_last_rotation(const struct keystore *ks)
{

	return (ks->last_rotation);
}

/**
 * keystore_generation(ks):
 * Return the generation.
 */
uint64_t
keystore_generation(const struct keystore *ks)
{

	return (ks->generation);
}

/**
 * keystore_generation_at_least(ks, gen):
 * Raise the generation to ${gen} if it is lower.
 */
void
keystore_generation_at_least(struct keystore *ks, uint64_t gen)
{

	if (ks->generation < gen)
		ks->generation = gen;
}

/**
 * keystore_store_id(ks):
 * Return the 16-byte store id.
 */
const uint8_t *
keystore_store_id(const struct keystore *ks)
{

	return (ks->store_id);
}

/**
 * keystore_idkey(ks):
 * Return the 32-byte chunk-id secret.
 */
const uint8_t *
keystore_idkey(const struct keystore *ks)
{

	return (ks->sec + SEC_IDKEY);
}

/**
 * keystore_gearkey(ks):
 * Return the 32-byte chunker (gear) secret.
 */
const uint8_t *
keystore_gearkey(const struct keystore *ks)
{

	return (ks->sec + SEC_GEARKEY);
}

/**
 * keystore_current_id(ks):
 * Return the id of the active key.
 */
uint16_t
keystore_current_id(const struct keystore *ks)
{

	return (ks->current);
}

/**
 * keystore_key(ks, id):
 * Return content key ${id}, or NULL if there is no such key.
 */
const uint8_t *
keystore_key(const struct keystore *ks, uint16_t id)
{

	if (id < 1 || id > KEYSTORE_MAX_KEYS || ks->state[id] == 0)
		return (NULL);
	return (key_slot(ks, id));
}

/**
 * keystore_key_count(ks):
 * Return the number of content keys.
 */
size_t
keystore_key_count(const struct keystore *ks)
{

	return (ks->nkeys);
}

/**
 * keystore_key_info(ks, i, info):
 * Describe the ${i}-th key in increasing id order.  QS_OK or QS_EINVAL.
 */
int
keystore_key_info(const struct keystore *ks, size_t i,
    struct keystore_key_info *info)
{
	size_t n = 0;

	for (uint16_t id = 1; id <= KEYSTORE_MAX_KEYS; id++) {
		if (ks->state[id] == 0)
			continue;
		if (n++ == i) {
			info->id = id;
			info->created = ks->created[id];
			info->state = ks->state[id];
			return (QS_OK);
		}
	}
	return (qs_error_set(QS_EINVAL, "key index %zu of %zu", i, ks->nkeys));
}

/**
 * keystore_rotate_if_due(ks, now):
 * In internal mode add one new key if a period has passed.  Return QS_OK
 * (rotated), 1 (not due / static), QS_ELIMIT.
 */
int
keystore_rotate_if_due(struct keystore *ks, int64_t now)
{

	if (ks->mode != KEYSTORE_MODE_INTERNAL)
		return (1);
	/* rotation <= 70 years, so it fits an int64_t; avoid overflow. */
	if (ks->last_rotation > INT64_MAX - (int64_t)ks->rotation ||
	    now < ks->last_rotation + (int64_t)ks->rotation)
		return (1);
	return (add_key(ks, now));
}

/**
 * keystore_new_key(ks, now):
 * Add a fresh active key.  QS_OK or QS_ELIMIT.
 */
int
keystore_new_key(struct keystore *ks, int64_t now)
{

	return (add_key(ks, now));
}

/**
 * keystore_set_mode(ks, mode, rotation_secs):
 * Set the key mode and rotation period.  QS_OK or QS_EINVAL.
 */
int
keystore_set_mode(struct keystore *ks, int mode, uint64_t rotation_secs)
{
	int rc;

	if ((rc = mode_check(mode)) != QS_OK ||
	    (rc = rotation_check(&rotation_secs)) != QS_OK)
		return (rc);
	ks->mode = mode;
	ks->rotation = rotation_secs;
	return (QS_OK);
}

/**
 * keystore_retire(ks, id):
 * Remove and wipe key ${id}.  QS_OK, QS_EINVAL (active key), QS_ENOENT.
 */
int
keystore_retire(struct keystore *ks, uint16_t id)
{

	if (id < 1 || id > KEYSTORE_MAX_KEYS || ks->state[id] == 0)
		return (qs_error_set(QS_ENOENT, "no key with id %u", id));
	if (id == ks->current)
		return (qs_error_set(QS_EINVAL,
		    "key %u is the active key and cannot be retired", id));
	secmem_wipe(key_slot(ks, id), KEYSTORE_KEYBYTES);
	ks->state[id] = 0;
	ks->created[id] = 0;
	ks->nkeys--;
	return (QS_OK);
}

/**
 * keystore_kdf(ks, kdf):
 * The KDF parameters of the copy ${ks} was loaded from or last saved to.
 */
void
keystore_kdf(const struct keystore *ks, struct kdf_params *kdf)
{

	if (ks->kdf.t_cost == 0)
		kdf_params_default(kdf);
	else
		*kdf = ks->kdf;
}

/**
 * keystore_pending(ks):
 * The target key id of an unfinished mode change, 0 if none.
 */
uint16_t
keystore_pending(const struct keystore *ks)
{

	return (ks->pending);
}

/**
 * keystore_set_pending(ks, on):
 * Mark (or clear) a mode change to the active key as pending.
 */
void
keystore_set_pending(struct keystore *ks, int on)
{

	ks->pending = on ? ks->current : 0;
}
