#ifndef QS_REKEY_H
#define QS_REKEY_H

/*
 * Key management of an encrypted store: rotation when due, and a mode
 * change that re-encrypts every record and manifest under a fresh key.
 *
 * A mode change is resumable: it first saves the keystore with the new
 * key as current and writes "STORE/rekey-pending" (the target key id);
 * then it rewrites, one container at a time and under the exclusive lock
 * taken afresh for each (so readers get in between), every container that
 * holds a record under another key, then every manifest; finally it
 * removes the now unused keys from both keystore copies and the pending
 * file.  Run again after a crash, it continues where it stopped.
 */

#include <stddef.h>
#include <stdint.h>

struct store;

struct rekey_progress {
	uint64_t containers_done;
	uint64_t containers_total;
};

struct rekey_result {
	uint16_t new_key_id;
	uint64_t containers_rewritten;
	uint64_t records_rewritten;
	uint64_t bytes_rewritten;
	uint64_t manifests_rewritten;
	uint64_t keys_retired;
	int resumed;
};

/**
 * rekey_rotate(s, now, rotated):
 * Internal mode: if the rotation period has elapsed since the last
 * rotation, add one new content key (however many periods were missed),
 * make it current and save both keystore copies; ${rotated} says whether
 * it happened.  Static mode: nothing, ${rotated} 0.  QS_ELIMIT at 1023
 * keys.
 */
int rekey_rotate(struct store *, int64_t, int *);

/**
 * rekey_change_mode(s, mode, rotation_secs, now, lock_timeout_ms,
 *     progress, ctx, res):
 * Switch to key mode ${mode} with a fresh key and re-encrypt all data
 * under it (see above).  ${s} must be opened exclusively.
 */
int rekey_change_mode(struct store *, int, uint64_t, int64_t, int,
    void (*)(void *, const struct rekey_progress *), void *,
    struct rekey_result *);

/**
 * key_usage_collect(s, bytes, records, count):
 * For each key id 0..1023, the record bytes and records sealed under it
 * in all containers (arrays of 1024 entries; id 0 is unencrypted data),
 * and the number of manifests per key in ${count}.
 */
int key_usage_collect(struct store *, uint64_t *, uint64_t *, uint64_t *);

struct keystore_copy_status {
	char path[4096];
	int present;		/* the file exists */
	int unlocks;		/* and opens with the passphrase */
	int rc;			/* why not (QS_OK if it unlocks) */
	int config_ok;		/* it authenticates the config */
	uint64_t generation;	/* from its header, if present */
};

/**
 * keystore_repair_check(s, pass, passlen, primary, backup):
 * Examine both keystore copies of an encrypted store opened with
 * STORE_OPEN_NOKEYS.  Return QS_OK if both are present, unlock with
 * ${pass} and have the same generation, else QS_ECORRUPT (the statuses
 * say what is wrong).
 */
int keystore_repair_check(struct store *, const uint8_t *, size_t,
    struct keystore_copy_status *, struct keystore_copy_status *);

/**
 * keystore_repair_restore(s, from_backup, pass, passlen):
 * Rebuild one keystore copy from the other: the source must unlock with
 * ${pass}; its bytes are written atomically (mode 0600) over the other.
 */
int keystore_repair_restore(struct store *, int, const uint8_t *, size_t);

/**
 * keystore_repair_sync_backup(s, synced):
 * If the backup keystore copy is missing, damaged or of an older
 * generation than the primary this store was opened with, save the
 * keystore again (both copies) and set ${synced}.  A crash between the
 * two writes of a save leaves the backup one generation behind; the next
 * rekey (daily from cron) repairs it this way.
 */
int keystore_repair_sync_backup(struct store *, int *);

#endif /* !QS_REKEY_H */
