#ifndef QS_STORE_INTERNAL_H
#define QS_STORE_INTERNAL_H

/*
 * What index/store/store*.c share and nobody else sees: the definition of
 * struct store and the helpers one of them defines for the others.
 *
 *	store.c		open, close, relock, second handles, accessors, keys,
 *			the container descriptor cache and statistics
 *	store_init.c	a new store, the config file and its MAC, keystore
 *			saves, turning encryption on
 *	store_lock.c	the lock file and the text naming its holder
 *	store_paths.c	every path of a store
 *	store_streams.c	stream names: list, state, expire, unexpire
 *	store_streamset.c the stream set: changes, settling, the check
 */

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "format/config.h"

struct chunkindex;
struct keystore;

#define STORE_FD_CACHE_SIZE	64

struct store_fd_slot {
	uint64_t container_id;
	int fd;
	uint64_t last_use;
};

struct store {
	char *root;
	struct store_config cfg;
	int lock_fd;
	int lock_readonly;	/* lock_fd is read-only: a store we may only read */
	struct chunkindex *idx;
	struct keystore *ks;
	uint64_t gear[256];
	uint8_t *pass;			/* secure memory, for keystore saves */
	size_t passlen;
	pthread_mutex_t fd_mutex;
	struct store_fd_slot fds[STORE_FD_CACHE_SIZE];
	uint64_t fd_clock;
	/*
	 * Set when the primary keystore is older than the backup copy (a
	 * replayed or rolled-back primary): nothing may be sealed under its
	 * keys.  The message names both files and generations.
	 */
	int ks_stale;
	char *ks_stale_msg;
	/*
	 * What opening the keystore pair did or found that the user should
	 * hear (store_warning): the backup brought up to an interrupted save,
	 * or the keys taken from the backup copy.  ks_damaged: the primary
	 * failed its checks (worth an alert).
	 */
	char *ks_note;
	int ks_damaged;
};

/**
 * store_config_read(root, cfg, raw):
 * Read and check the config of the store at ${root} into ${cfg}.  If
 * ${raw} is not NULL, hand the file's bytes over to the caller in ${raw}
 * (for the MAC check; free() them).  QS_ENOENT says "no qsarc store here".
 */
int store_config_read(const char *, struct store_config *, uint8_t **);

/**
 * store_config_mac(idkey, fields, len, mac):
 * The MAC of an encrypted store's config fields ${fields} (${len} bytes)
 * under a key derived from the chunk-id secret ${idkey}.
 */
void store_config_mac(const uint8_t *, const uint8_t *, size_t,
    uint8_t[32]);

/**
 * store_lock_take(s, lockmode, timeout_ms):
 * Open the lock file of ${s} if needed and take the lock in ${lockmode}
 * (STORE_LOCK_SHARED or STORE_LOCK_EXCLUSIVE, other bits ignored), waiting
 * up to ${timeout_ms}; QS_EBUSY names the holder.  Then write who holds it.
 */
int store_lock_take(struct store *, int, int);

/**
 * store_root_check(root):
 * QS_OK if ${root} names a store this engine can open: a local directory.
 * An "s3://" address is QS_EINVAL with a message saying so; without this a
 * local directory "s3:" would be made (the S3 back end exists in
 * storage_s3.c, but the engine is not on it yet: see README.md).
 */
int store_root_check(const char *);

#endif /* !QS_STORE_INTERNAL_H */
