#ifndef QS_KEYSTORE_H
#define QS_KEYSTORE_H

/*
 * The passphrase-wrapped keystore of an encrypted store (spec/keystore.md).
 *
 * A keystore holds every secret of a store: the content keys (each with an
 * id 1..1023, a creation time and a state), the 32-byte chunk-id secret,
 * the 32-byte chunker (gear) secret, and the key-management settings (key
 * mode, rotation period, last rotation time).  On disk it is sealed with
 * XChaCha20-Poly1305 under a key-encryption key derived from a passphrase
 * with Argon2id.  A primary copy lives in the store and a backup copy
 * elsewhere; keystore_save writes both, primary first.
 *
 * All secrets are held in sodium_malloc memory and wiped by keystore_free.
 * The passphrase is always owned (and wiped) by the caller.
 *
 * Key ids: a new key gets (highest id present) + 1.  When that would pass
 * 1023 but lower ids are free (their keys were retired), the lowest free id
 * is reused.  A reused id names a different key, so a caller must retire a
 * key only once no data refers to it (data sealed under a retired key is
 * gone by design: that is the crypto-shred).
 */

#include <stddef.h>
#include <stdint.h>

#include "crypto/kdf.h"

#define KEYSTORE_MAX_KEYS	1023
#define KEYSTORE_KEYBYTES	32
#define KEYSTORE_STOREIDBYTES	16

enum {
	KEYSTORE_MODE_STATIC = 1,	/* keys change only by hand */
	KEYSTORE_MODE_INTERNAL = 2	/* a new key every rotation period */
};

enum {
	KEYSTORE_KEY_ACTIVE = 1,	/* the current key: new data uses it */
	KEYSTORE_KEY_RETAINED = 2	/* older key still protecting data */
};

#define KEYSTORE_ROTATION_MIN		(7 * 86400ULL)
#define KEYSTORE_ROTATION_DEFAULT	(30 * 86400ULL)
#define KEYSTORE_ROTATION_MAX		(70 * 365 * 86400ULL)

struct keystore;

struct keystore_key_info {
	uint16_t id;
	int64_t created;	/* unix seconds */
	uint8_t state;		/* KEYSTORE_KEY_ACTIVE or _RETAINED */
};

struct keystore_header_info {
	uint64_t generation;
	uint8_t store_id[KEYSTORE_STOREIDBYTES];
	struct kdf_params kdf;
};

/**
 * keystore_create(store_id, mode, rotation_secs, now, ks):
 * Make a new in-memory keystore for the store ${store_id}: fresh random
 * chunk-id and gear secrets, one content key (id 1, created ${now},
 * active), mode ${mode}, rotation period ${rotation_secs} (0 means
 * KEYSTORE_ROTATION_DEFAULT; else KEYSTORE_ROTATION_MIN..MAX), last
 * rotation ${now}, generation 0.  Nothing is written to disk.  Return
 * QS_OK and the new keystore in ${ks} (caller frees with keystore_free),
 * QS_EINVAL or QS_ENOMEM.
 */
int keystore_create(const uint8_t[KEYSTORE_STOREIDBYTES], int, uint64_t,
    int64_t, struct keystore **);

/**
 * keystore_load(path, store_id, pass, passlen, ks):
 * Read and unlock the keystore file ${path} with the passphrase ${pass}.
 * If ${store_id} is not NULL the file must belong to that store.  Return
 * QS_OK and a new keystore in ${ks} (caller frees); QS_ENOENT if the file
 * does not exist; QS_EINVAL if ${passlen} is not 1..255; QS_EVERSION for
 * an unknown format version, flags or KDF; QS_EPASS if the passphrase
 * check value does not match (wrong passphrase, or a damaged salt, KDF
 * parameter or check value: the two cannot be told apart); QS_ECORRUPT
 * for anything else (bad magic or lengths, KDF parameters out of bounds
 * (checked before any derivation: "KDF parameters out of range"), wrong
 * store id, AEAD failure with a matching check value, invalid
 * body); QS_ENOMEM, QS_EIO.
 */
int keystore_load(const char *, const uint8_t[KEYSTORE_STOREIDBYTES],
    const uint8_t *, size_t, struct keystore **);

/**
 * keystore_peek(path, info):
 * Decode only the plaintext header of the keystore file ${path} (no
 * passphrase; nothing in it is authenticated yet).  Return QS_OK,
 * QS_ENOENT, QS_EVERSION, QS_ECORRUPT (including KDF parameters out of
 * bounds) or QS_EIO.
 */
int keystore_peek(const char *, struct keystore_header_info *);

/**
 * keystore_save(ks, primary, backup, pass, passlen, kdf):
 * Increment the generation of ${ks}, seal it under a KEK derived from
 * ${pass} with the parameters ${kdf} (NULL: keystore_kdf(ks)) and a
 * fresh salt and nonce, and write it to ${primary} (temporary file with
 * mode 0600, fsync, rename, directory fsync).  Then read ${primary} back
 * and decrypt it to check it holds exactly ${ks}.  Only then write the
 * same bytes to ${backup} the same way and read them back (${backup} may
 * be NULL to skip it).  If anything fails before the primary is renamed
 * into place, neither file changes; if the primary changed but a later
 * step fails, the backup is untouched.  The generation stays incremented
 * even on failure, so a generation number that may have reached a disk is
 * never used for different contents.  A new passphrase is simply a save
 * with that passphrase.  Return QS_OK, QS_EINVAL (passphrase length or KDF
 * parameters), QS_ECORRUPT (read-back mismatch), QS_ENOMEM, QS_EIO,
 * QS_ENOSPC.
 */
int keystore_save(struct keystore *, const char *, const char *,
    const uint8_t *, size_t, const struct kdf_params *);

/**
 * keystore_free(ks):
 * Wipe and free ${ks}.  ${ks} may be NULL.
 */
void keystore_free(struct keystore *);

/**
 * keystore_mode(ks):
 * Return the key mode (KEYSTORE_MODE_STATIC or KEYSTORE_MODE_INTERNAL).
 */
int keystore_mode(const struct keystore *);

/**
 * keystore_rotation(ks):
 * Return the rotation period in seconds.
 */
uint64_t keystore_rotation(const struct keystore *);

/**
 * keystore_last_rotation(ks):
 * Return the time (unix seconds) the current key was made.
 */
int64_t keystore_last_rotation(const struct keystore *);

/**
 * keystore_generation(ks):
 * Return the generation: 0 for a keystore never saved, else the value
 * written by the last save (or read by keystore_load).
 */
uint64_t keystore_generation(const struct keystore *);

/**
 * keystore_generation_at_least(ks, gen):
 * Raise the generation of ${ks} to ${gen} if it is lower, so that its next
 * save is newer than a copy of generation ${gen} it replaces.
 */
void keystore_generation_at_least(struct keystore *, uint64_t);

/**
 * keystore_store_id(ks):
 * Return the 16-byte store id.
 */
const uint8_t *keystore_store_id(const struct keystore *);

/**
 * keystore_idkey(ks):
 * Return the 32-byte chunk-id secret (valid until keystore_free).
 */
const uint8_t *keystore_idkey(const struct keystore *);

/**
 * keystore_gearkey(ks):
 * Return the 32-byte chunker (gear) secret (valid until keystore_free).
 */
const uint8_t *keystore_gearkey(const struct keystore *);

/**
 * keystore_current_id(ks):
 * Return the id of the active key.
 */
uint16_t keystore_current_id(const struct keystore *);

/**
 * keystore_key(ks, id):
 * Return the 32-byte content key ${id}, or NULL if there is no such key
 * (never created, or retired).  Valid until the key is retired or
 * ${ks} is freed.
 */
const uint8_t *keystore_key(const struct keystore *, uint16_t);

/**
 * keystore_key_count(ks):
 * Return the number of content keys (1..1023).
 */
size_t keystore_key_count(const struct keystore *);

/**
 * keystore_key_info(ks, i, info):
 * Describe the ${i}-th key in increasing id order (0-based).  Return
 * QS_OK, or QS_EINVAL if ${i} >= keystore_key_count(ks).
 */
int keystore_key_info(const struct keystore *, size_t,
    struct keystore_key_info *);

/**
 * keystore_rotate_if_due(ks, now):
 * In internal mode, if ${now} >= last rotation + period, add ONE new key
 * (however many periods have passed), make it active, mark the previous
 * key retained and set the last rotation to ${now}.  Return QS_OK
 * (rotated), 1 (not due, or static mode), QS_ELIMIT (1023 keys already),
 * QS_ENOMEM.
 */
int keystore_rotate_if_due(struct keystore *, int64_t);

/**
 * keystore_new_key(ks, now):
 * Unconditionally add a fresh active key created ${now}; the previous one
 * becomes retained and the last rotation becomes ${now}.  Return QS_OK or
 * QS_ELIMIT (1023 keys already).
 */
int keystore_new_key(struct keystore *, int64_t);

/**
 * keystore_set_mode(ks, mode, rotation_secs):
 * Set the key mode and rotation period (0 means the default; else
 * KEYSTORE_ROTATION_MIN..MAX).  Adds no key: a caller changing mode
 * usually calls keystore_new_key too.  Return QS_OK or QS_EINVAL (nothing
 * changed).
 */
int keystore_set_mode(struct keystore *, int, uint64_t);

/**
 * keystore_retire(ks, id):
 * Remove key ${id} and wipe it (crypto-shred: data sealed under it can no
 * longer be read once every copy of the keystore is saved).  Return QS_OK,
 * QS_EINVAL for the active key, QS_ENOENT if there is no such key.
 */
int keystore_retire(struct keystore *, uint16_t);

/**
 * keystore_kdf(ks, kdf):
 * Set ${kdf} to the KDF parameters of the copy ${ks} was loaded from
 * (taken from its header, which the AEAD authenticated) or last saved to;
 * the defaults for a keystore never saved.  A save with a NULL ${kdf}
 * uses these.
 */
void keystore_kdf(const struct keystore *, struct kdf_params *);

/**
 * keystore_pending(ks):
 * Return the id of the target key of an unfinished key mode change (kept
 * in the sealed body, so only a passphrase holder can set it), or 0 if
 * none.  A pending target is always the active key.
 */
uint16_t keystore_pending(const struct keystore *);

/**
 * keystore_set_pending(ks, on):
 * If ${on}, mark a key mode change to the active key as pending; else
 * clear it.  Takes effect on disk with the next keystore_save.
 */
void keystore_set_pending(struct keystore *, int);

#endif /* !QS_KEYSTORE_H */
