#ifndef QS_STORE_H
#define QS_STORE_H

/*
 * A store on disk (spec/FORMAT.md, "Store layout"):
 *
 *   STORE/config                 format version, store id, parameters
 *   STORE/lock                   flock(2) target; who holds it, for messages
 *   STORE/keystore               primary keystore (encrypted stores)
 *   STORE/data/XX/ID.qsc         immutable containers of chunk records
 *   STORE/index/seg-*.qsi        immutable chunk index segments
 *   STORE/streams/NAME.qsm       one manifest per stream
 *   STORE/expired/NAME.qsm       manifests of expired streams (until clean)
 *
 * This module opens a store, takes its lock, reads its config and keys,
 * and manages stream names.  Writers order their files data -> index ->
 * manifest, so a stream is visible only when everything it needs is durable.
 */

#include <stddef.h>
#include <stdint.h>

#include "format/config.h"

struct kdf_params;

struct chunkindex;
struct keystore;
struct store;

/* Lock modes: readers and put share; clean, rekey and encrypt exclude. */
/*
 * Modes of what qsarc creates in a store: private to the owner, as a store
 * holds the data of everything backed up (a plain store in the clear).
 * Containers are also read-only: nothing rewrites them in place.  The
 * program also runs under umask 077 (cmd/main.c).
 */
#define STORE_MODE_DIR		0700
#define STORE_MODE_FILE		0600
#define STORE_MODE_CONTAINER	0400

#define STORE_LOCK_SHARED	1
#define STORE_LOCK_EXCLUSIVE	2
/* Or'd into the lock mode: do not unlock the keystore (keystore repair). */
#define STORE_OPEN_NOKEYS	0x100
/* Internal (store_open_reader): the caller already holds the lock. */
#define STORE_OPEN_NOLOCK	0x200
/*
 * The passphrase given is the new one of `qsarc encrypt`: the store may be
 * plain.  Without it, a passphrase for a store whose config (read under
 * the lock) is plain is refused with QS_EPASS (exit 5).
 */
#define STORE_OPEN_TO_ENCRYPT	0x400

#define STORE_DEFAULT_ZSTD_LEVEL	3
#define STORE_DEFAULT_CONTAINER_SIZE	(32U << 20)

struct store_init_opts {
	uint32_t chunk_min, chunk_avg, chunk_max;
	int zstd_level;
	uint32_t container_size;
	/* Encryption (all zero for a plain store). */
	int encrypt;
	int key_mode;
	uint64_t rotation_secs;
	const char *keystore_backup;	/* NULL: the default path */
	const uint8_t *pass;
	size_t passlen;
	uint32_t kdf_t_cost, kdf_m_cost_kib;	/* 0: defaults */
};

struct store_stream_info {
	char name[256];
	int64_t created;
	uint64_t length;
	uint64_t chunk_count;
	uint64_t new_raw_bytes;
	uint64_t new_stored_bytes;
	int expired;
};

/**
 * store_init_opts_default(o):
 * Fill ${o} with the defaults: the chunker's sizes, zstd level 3, 32 MiB
 * containers, no encryption.
 */
void store_init_opts_default(struct store_init_opts *);

/**
 * store_init(root, opts, now):
 * Create a new store at ${root}, which must not exist or be an empty
 * directory.  The config is written last, so a store without one was
 * never initialised.  Return QS_OK, QS_EEXIST, QS_EINVAL, or an I/O error.
 */
int store_init(const char *, const struct store_init_opts *, int64_t);

/**
 * store_peek_encrypted(root, encrypted):
 * Read only the config of the store at ${root} and set ${encrypted}.
 */
int store_peek_encrypted(const char *, int *);

/**
 * store_peek_id(root, id):
 * Read only the config of the store at ${root} and copy its store id into
 * ${id} (16 bytes).  Return QS_OK or what reading the config returns.
 */
int store_peek_id(const char *, uint8_t[16]);

/**
 * store_open(root, lockmode, timeout_ms, pass, passlen, s):
 * (Encrypted stores: the primary keystore's generation is compared with
 * the backup copy's; a primary older than the backup is refused with
 * QS_ECORRUPT under STORE_LOCK_EXCLUSIVE, and under a shared lock makes
 * store_write_check fail, so a reader may go on with store_warning.
 * A primary that fails its checks where the backup copy unlocks is not
 * fatal: the keys come from the backup (spec/keystore.md 6.3, with
 * store_warning saying why, store_keystore_damaged if it is damage); an
 * exclusive open writes the backup over a damaged primary.  A backup
 * behind the primary is brought up to it (store_keystore_complete).)
 * Open the store at ${root}: take its lock in ${lockmode}, waiting at most
 * ${timeout_ms} (then QS_EBUSY), read and check its config, unlock its
 * keystore with ${pass} if it is encrypted (QS_EPASS if wrong; QS_EINVAL if
 * ${pass} is NULL for an encrypted store), and open its chunk index.
 * A plain config next to a keystore of the store (STORE/keystore, or a
 * backup copy naming its store id at the default path) is refused with
 * QS_ECORRUPT, naming the keystore and `qsarc encrypt` (an interrupted
 * encrypt leaves that state), unless STORE_OPEN_TO_ENCRYPT is given.
 * Under STORE_LOCK_EXCLUSIVE the stream set is created if missing and
 * its pending entries settled (store_streamset_settle).
 */
int store_open(const char *, int, int, const uint8_t *, size_t,
    struct store **);

/**
 * store_keystore_save(s, newpass, newlen):
 * Save the store's keystore (primary, verified, then backup) under
 * ${newpass}, or under the passphrase the store was opened with if
 * ${newpass} is NULL.  The Argon2id parameters stay those of the primary.
 */
int store_keystore_save(struct store *, const uint8_t *, size_t);

/**
 * store_enable_encryption(s, mode, rotation_secs, backup, now):
 * Turn a plain store (opened exclusively, with the new passphrase given
 * to store_open) into an encrypted one: fresh chunk-id and gear secrets
 * and a first content key in a new keystore (primary and backup ${backup},
 * NULL for the default), then the config.  Irreversible.  Data written
 * before stays readable with the config's plain keys until clean encrypts
 * it.  QS_EEXIST if the store is already encrypted.
 */
int store_enable_encryption(struct store *, int, uint64_t, const char *,
    const struct kdf_params *, int64_t);

/**
 * store_check_config_mac(s, idkey):
 * Check the config of an encrypted store (opened with STORE_OPEN_NOKEYS)
 * against the chunk-id secret of a keystore copy: QS_OK, or QS_EAUTH if
 * someone without the passphrase changed it.
 */
int store_check_config_mac(struct store *, const uint8_t *);

/**
 * store_drop_plain_keys(s):
 * Remove the plain id and gear keys from the config of an encrypted store
 * once no unencrypted record or manifest is left (clean's last step of
 * encrypting old data).
 */
int store_drop_plain_keys(struct store *);

/**
 * store_relock(s, lockmode, timeout_ms):
 * Release the store lock and take it again in ${lockmode} (so long jobs
 * can let others in between steps), then reopen the chunk index.
 */
int store_relock(struct store *, int, int);

/**
 * store_open_reader(s, copy):
 * Open a second handle on the same store for reading in another thread,
 * without taking the lock again (${s} holds it) and with the same keys.
 * Close it with store_close before ${s}.
 */
int store_open_reader(struct store *, struct store **);

/**
 * store_close(s):
 * Release everything, the lock last.  ${s} may be NULL.
 */
void store_close(struct store *);

/**
 * store_root(s), store_config(s), store_index(s), store_keystore(s):
 * Accessors.  store_keystore() is NULL for a plain store.
 */
const char *store_root(const struct store *);
const struct store_config *store_config(const struct store *);
struct chunkindex *store_index(struct store *);
struct keystore *store_keystore(struct store *);

/**
 * store_write_check(s):
 * Return QS_OK if new data may be sealed under the keys of ${s}, or
 * QS_ECORRUPT (detail set, naming both keystore copies and their
 * generations) if the primary keystore is older than the backup copy:
 * the primary was replaced by an old copy, whose keys may have been
 * revoked since.  Every writer of containers and manifests calls it.
 */
int store_write_check(const struct store *);

/**
 * store_keystore_complete(s, pass, passlen, msg, msglen):
 * If the backup keystore copy of the encrypted store ${s} (any open mode,
 * STORE_OPEN_NOKEYS too) names a generation older than the primary,
 * which ${pass} unlocks, write the primary's bytes over it: a save cut
 * between its two writes, completed (spec/keystore.md 6.3).  Return 1 if
 * it did, else 0; ${msg} gets what to tell the user (empty: nothing,
 * also when completing failed, which it then says).
 */
int store_keystore_complete(struct store *, const uint8_t *, size_t, char *,
    size_t);

/**
 * store_keystore_damaged(s):
 * Non-zero if opening ${s} found the primary keystore damaged (missing,
 * unreadable, or not unlocking where its backup copy of the same
 * generation does) and took the keys from the backup copy.
 */
int store_keystore_damaged(const struct store *);

/**
 * store_warning(s):
 * A warning about ${s} for the user (the stale primary keystore of
 * store_write_check, which a read-only command may ignore, or what
 * opening the keystore pair repaired or fell back to), or NULL.
 */
const char *store_warning(const struct store *);

/**
 * store_write_keys(s, key_id, key, idkey):
 * The keys new data is written with: ${key_id} 0 and ${key} NULL for a
 * plain store, else the current content key; ${idkey} the chunk-id key.
 */
void store_write_keys(const struct store *, uint16_t *, const uint8_t **,
    const uint8_t **);

/**
 * store_gear_table(s, table):
 * Fill ${table} with the gear table new data is chunked with.
 */
void store_gear_table(const struct store *, uint64_t[256]);

/**
 * store_read_keys(s, key_id, key, idkey):
 * For a record sealed under ${key_id}, return the content key (NULL for 0)
 * and the id key its chunk id was computed with.  QS_EAUTH if the key id
 * is unknown (retired, or a damaged record).
 */
int store_read_keys(const struct store *, uint16_t, const uint8_t **,
    const uint8_t **);

/**
 * store_stream_state(s, name):
 * Return 1 if ${name} is a live stream, 2 if it is expired, 0 if neither,
 * or a negative error.  A name in both streams/ and expired/ is live
 * (spec/FORMAT.md 2: streams/ wins).
 */
int store_stream_state(const struct store *, const char *);

#define STORE_STREAMS_LIVE	1
#define STORE_STREAMS_EXPIRED	2
#define STORE_STREAMS_ALL	(STORE_STREAMS_LIVE | STORE_STREAMS_EXPIRED)

/**
 * store_foreach_stream(s, which, fn, ctx):
 * Call ${fn}(${ctx}, name, expired) for each live stream in name order if
 * ${which} has STORE_STREAMS_LIVE, then for each expired one if it has
 * STORE_STREAMS_EXPIRED.  Stop at the first non-zero return of ${fn} and
 * return that; else QS_OK or the error of listing a directory.
 */
int store_foreach_stream(const struct store *, int,
    int (*)(void *, const char *, int), void *);

/**
 * store_list_streams(s, expired, names, count):
 * Return the sorted names of the live (or, with ${expired}, expired)
 * streams in a new array of new strings; free with store_names_free().
 * An expired/ name that is also in streams/ is left out (it is live).
 */
int store_list_streams(const struct store *, int, char ***, size_t *);

/**
 * store_names_free(names, count):
 * Free what store_list_streams returned.
 */
void store_names_free(char **, size_t);

/**
 * store_expire(s, name) / store_unexpire(s, name):
 * Move the manifest of ${name} to expired/ (or back).  QS_ENOENT if it is
 * not there; QS_EEXIST if the destination name is taken.
 */
int store_expire(struct store *, const char *);
int store_unexpire(struct store *, const char *);

/**
 * store_container_fd(s, container_id, fd):
 * Return a read-only descriptor of the container (cached; do not close).
 * QS_ENOENT (with a detail naming the file) if it does not exist.
 * Thread-safe.
 */
int store_container_fd(struct store *, uint64_t, int *);

/**
 * store_lock_holder(root, buf, buflen):
 * Describe who holds the store lock (pid, command, since) from the lock
 * file, for a "store busy" message: "pid 42, put x, since
 * 2026-12-02T10:00:00Z (3 min 5 s ago)"; "" if unknown.
 */
void store_lock_holder(const char *, char *, size_t);

struct store_container_stats {
	uint64_t containers;
	uint64_t stored_bytes;		/* bytes of container files */
	uint64_t records;		/* chunk records in containers */
	uint64_t raw_bytes;		/* their bytes before compression */
	uint64_t sealed_records;	/* records of version 2 containers:
					   not in raw_bytes (sealed) */
};

/**
 * store_container_stats(s, st):
 * Walk data/ and sum the container trailers.  Records that no stream
 * references any more are counted until clean removes them.
 */
int store_container_stats(struct store *, struct store_container_stats *);

/**
 * store_backup_dir_prepare(backup):
 * Create the missing directories leading to the file ${backup}, with mode
 * 0700 (they hold a copy of the keystore).
 */
int store_backup_dir_prepare(const char *);

/**
 * store_set_command(cmd):
 * Name the running command for the lock file ("put NAME", ...).
 */
void store_set_command(const char *);

/*
 * The reserve (store_reserve.c; spec/FORMAT.md 2 and 8.3): STORE/reserve,
 * a file of allocated space that only clean gives back, so that clean can
 * reclaim on a file system that is 100% full: it deletes the reserve
 * first, writes what it must write before it can delete anything into the
 * space that frees, and makes the reserve again at its end.  A store
 * without one (older stores, or one that had no room) works as before.
 */

/* The smallest reserve: what clean writes first in a small store. */
#define STORE_RESERVE_MIN	(1ULL << 20)

/**
 * store_reserve_target(root, bytes):
 * Set ${bytes} to the size the reserve of the store at ${root} should
 * have: enough for what clean writes before it deletes anything (the new
 * index, which may take twice the index's bytes while it is merged, and
 * the stream set, written as expired streams go), rounded up to 64 KiB,
 * at least STORE_RESERVE_MIN.
 */
int store_reserve_target(const char *, uint64_t *);

/**
 * store_reserve_size(root, bytes):
 * Set ${bytes} to the size of the reserve of the store at ${root}, 0 if
 * it has none.
 */
int store_reserve_size(const char *, uint64_t *);

/**
 * store_reserve_release(root):
 * Delete the reserve of the store at ${root} (under the exclusive lock);
 * QS_OK also if there was none.
 */
int store_reserve_release(const char *);

/**
 * store_reserve_make(root, bytes, room):
 * Make the reserve of the store at ${root} ${bytes} long (allocated, not
 * sparse), replacing one of another size, if the file system has
 * ${bytes} + ${room} bytes free.  Return QS_OK once the reserve has that
 * size, 1 if there was not room for it (nothing changed), or an error.
 */
int store_reserve_make(const char *, uint64_t, uint64_t);

/**
 * store_reserve_keep(root):
 * Make the reserve of the store at ${root} if it is missing and the file
 * system keeps at least three times its size free besides (init, put):
 * a best effort, so a failure is not an error.
 */
void store_reserve_keep(const char *);

/**
 * store_reserve_borrow(root, bytes):
 * Shorten the reserve of the store at ${root} by ${bytes} (at most all of
 * it), for a small write that must not fail on a full disk (the stream
 * set of rm, expire, unexpire); clean gives it its size back.  Return
 * QS_OK, 1 if there is no reserve to borrow from, or an error.
 */
int store_reserve_borrow(const char *, uint64_t);

/*
 * Paths (store_paths.c: every path of a store is built there).  The
 * builders returning int give QS_OK, or QS_EINVAL ("ROOT: path too long")
 * if the path does not fit in ${buflen} bytes.
 */

/**
 * store_path_config(root, buf, buflen):
 * "${root}/config".
 */
int store_path_config(const char *, char *, size_t);

/**
 * store_path_lock(root, buf, buflen):
 * "${root}/lock".
 */
int store_path_lock(const char *, char *, size_t);

/**
 * store_path_index(root, buf, buflen):
 * "${root}/index", the chunk index's directory.
 */
int store_path_index(const char *, char *, size_t);

/**
 * store_path_data(root, buf, buflen):
 * "${root}/data", the directory of the container subdirectories.
 */
int store_path_data(const char *, char *, size_t);

/**
 * store_path_container_dir(root, container_id, buf, buflen):
 * "${root}/data/XX": the subdirectory of container ${container_id} (XX:
 * the first byte of the id in hex).
 */
int store_path_container_dir(const char *, uint64_t, char *, size_t);

/**
 * store_container_path(root, container_id, buf, buflen):
 * Write "${root}/data/XX/XXXXXXXXXXXXXXXX.qsc" (hex of the id, first byte
 * as the subdirectory) into ${buf}.  Return QS_OK or QS_EINVAL if it does
 * not fit.
 */
int store_container_path(const char *, uint64_t, char *, size_t);

/**
 * store_path_streams(root, expired, buf, buflen):
 * "${root}/streams", or "${root}/expired" if ${expired}.
 */
int store_path_streams(const char *, int, char *, size_t);

/**
 * store_stream_path(s, name, expired, buf, buflen):
 * Write the manifest path of stream ${name} into ${buf}.
 */
int store_stream_path(const struct store *, const char *, int, char *,
    size_t);

/**
 * store_path_catalogues(root, buf, buflen):
 * "${root}/catalogs", the catalogue directory (the on-disk name keeps its
 * spelling).
 */
int store_path_catalogues(const char *, char *, size_t);

/**
 * store_path_catalogue(root, id, buf, buflen):
 * "${root}/catalogs/HEX.qct" for catalogue ${id}.
 */
int store_path_catalogue(const char *, const uint8_t[16], char *, size_t);

/**
 * store_path_keystore(root, buf, buflen):
 * "${root}/keystore", the primary keystore.
 */
int store_path_keystore(const char *, char *, size_t);

/**
 * store_keystore_paths(s, primary, plen, backup, blen):
 * The primary and backup keystore paths of an encrypted store.
 */
void store_keystore_paths(const struct store *, char *, size_t, char *,
    size_t);

/**
 * store_default_keystore_backup(store_id, buf, buflen):
 * The default backup path: $QSARC_STATE_DIR (default /var/lib/qsarc)
 * "/keys/" hex(store id) ".qsk".
 */
void store_default_keystore_backup(const uint8_t[16], char *, size_t);

/**
 * store_keystore_backup_in(dir, store_id, buf, buflen):
 * "${dir}/<store id in hex>.qsk", for a backup copy kept in the directory
 * ${dir} the operator named.  QS_EINVAL if it does not fit.
 */
int store_keystore_backup_in(const char *, const uint8_t[16], char *, size_t);

/**
 * store_path_rekey_pending(root, buf, buflen):
 * "${root}/rekey-pending", the marker of an unfinished rekey.
 */
int store_path_rekey_pending(const char *, char *, size_t);

/**
 * store_path_reserve(root, buf, buflen):
 * "${root}/reserve", the space kept for clean (store_reserve_*).
 */
int store_path_reserve(const char *, char *, size_t);

/**
 * store_path_alerts_conf(root, buf, buflen):
 * "${root}/alerts.conf".
 */
int store_path_alerts_conf(const char *, char *, size_t);

/**
 * store_path_alerts_log(root, buf, buflen):
 * "${root}/alerts.log".
 */
int store_path_alerts_log(const char *, char *, size_t);

/**
 * store_path_streamset(root, buf, buflen):
 * "${root}/streamset", the stream set record (spec/FORMAT.md 14).
 */
int store_path_streamset(const char *, char *, size_t);

/**
 * store_streamset_record_path(s, buf, buflen):
 * Where the generation record of the stream set lives, outside the
 * store: the backup keystore path (for a plain store, the default one
 * for its store id) with ".streams" appended.
 */
int store_streamset_record_path(const struct store *, char *, size_t);

/*
 * The stream set (store_streamset.c; spec/FORMAT.md 14, SECURITY.md 5.2):
 * an authenticated, generation-numbered record of every stream's name,
 * manifest file id and state, updated by every change of the set and
 * checked by verify and ls.
 */

/**
 * store_streamset_change(s, name, new_state, file_id, op, ctx):
 * Change stream ${name} to ${new_state} (STREAMSET_LIVE, _EXPIRED or
 * _ABSENT) with manifest file id ${file_id} (16 bytes; ignored for
 * _ABSENT) by calling ${op}(${ctx}), which does the file operation
 * (commit, rename, unlink).  Under the set lock (an flock on streams/):
 * the set is created from the directories if missing, the entry is
 * checked against the disk (QS_ECORRUPT if it disagrees), written as a
 * pending change (old and new side), ${op} runs, and the entry is
 * settled to the side the disk now shows.  Return ${op}'s error, the
 * set's, or QS_OK.  In an encrypted store opened without keys, only
 * ${op} runs.
 */
int store_streamset_change(struct store *, const char *, int,
    const uint8_t *, int (*)(void *), void *);

/**
 * store_streamset_settle(s):
 * Under the exclusive store lock: create the set if missing and settle
 * every pending entry (a change a crash interrupted) to the side the disk
 * shows.  Entries matching neither side are left for verify to report.
 */
int store_streamset_settle(struct store *);

/**
 * store_streamset_check(s, fn, ctx):
 * Compare the set with the streams/ and expired/ directories and the
 * generation record, calling ${fn}(${ctx}, name, path, message) for
 * each problem (a missing, resurrected, moved or replaced manifest; a
 * set that is damaged, fails its MAC, or is older than the record).
 * ${name} is the stream or NULL.  A store without a set and without a
 * record (not yet written by this version) has no problem.  Return QS_OK
 * whatever was found, or an I/O error.
 */
int store_streamset_check(struct store *,
    void (*)(void *, const char *, const char *, const char *), void *);

#endif /* !QS_STORE_H */
