#ifndef QS_ALERTS_STATE_H
#define QS_ALERTS_STATE_H

/*
 * What alert events are computed from, besides the command's own exit
 * code: the state of the store (keystore backup copy, content keys,
 * rotation) and how full its file system is.  Nothing here changes the
 * store or needs its passphrase.
 */

#include <stddef.h>
#include <stdint.h>

struct store;

/* Content keys: warn at this many. */
#define ALERTS_KEYS_WARN	1000

/* The keystore backup copy, as alerts_state_store finds it. */
enum {
	ALERTS_STATE_BACKUP_OK = 0,
	ALERTS_STATE_BACKUP_MISSING = 1,
	ALERTS_STATE_BACKUP_UNREADABLE = 2,
	ALERTS_STATE_BACKUP_OLDER = 3
};

struct alerts_state {
	int encrypted;
	int keys_known;			/* the keystore was unlocked */
	/* Keystore copies (encrypted stores). */
	int backup;			/* ALERTS_STATE_BACKUP_* */
	char backup_path[4096];
	uint64_t primary_generation, backup_generation;
	/* Content keys (keys_known). */
	size_t key_count;
	int rotation_overdue;		/* internal mode, > 2 periods */
	int64_t last_rotation;
	uint64_t rotation_secs;
};

/**
 * alerts_state_store(s, now, st):
 * Examine the open store ${s}: for an encrypted store, the keystore
 * backup copy (missing, unreadable, or an older generation than the
 * primary: keystore headers only, no passphrase needed) and, if the
 * keystore is unlocked, the content key count and whether rotation is
 * overdue (internal mode and no rotation for two periods at ${now}).
 * Return QS_OK (${st} filled) or QS_EINVAL for a NULL store.
 */
int alerts_state_store(struct store *, int64_t, struct alerts_state *);

/**
 * alerts_state_fs_usage(root, used_pct, avail):
 * The share of the file system holding ${root} that is used, in percent
 * as df(1) computes it (used / (used + available to unprivileged users)),
 * and the bytes available.  Return QS_OK or QS_EIO.
 */
int alerts_state_fs_usage(const char *, double *, uint64_t *);

#endif /* !QS_ALERTS_STATE_H */
