#ifndef QS_REKEY_H
#define QS_REKEY_H

/*
 * Key management of an encrypted store: rotation when due, and a mode
 * change that re-encrypts every record and manifest under a fresh key.
 *
 * A mode change is resumable: it first saves the keystore with the new
 * key as current and marked pending (inside the sealed keystore body, so
 * nobody without the passphrase can make a run resume; a legacy or
 * planted "STORE/rekey-pending" file is refused as damage);
 * then it rewrites, one container at a time and under the exclusive lock
 * taken afresh for each (so readers get in between), every container that
 * holds a record under another key, then every manifest; finally it
 * removes the now unused keys from both keystore copies and clears the
 * pending mark in the same save.  Run again after a crash, it continues where it stopped.
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

#endif /* !QS_REKEY_H */
