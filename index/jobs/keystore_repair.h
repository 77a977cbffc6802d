#ifndef QS_KEYSTORE_REPAIR_H
#define QS_KEYSTORE_REPAIR_H

/*
 * The two keystore copies of an encrypted store (primary and backup):
 * checking them, rebuilding one from the other, and bringing a backup
 * that a crash left a generation behind up to date.
 */

#include <stddef.h>
#include <stdint.h>

struct store;

struct keystore_copy_status {
	char path[4096];
	int present;		/* the file exists */
	int unlocks;		/* and opens with the passphrase */
	int rc;			/* why not (QS_OK if it unlocks) */
	int config_ok;		/* it authenticates the config */
	uint64_t generation;	/* from its header, if present */
	int header_ok;		/* the header reads, naming this store */
	int ahead;		/* locked, a save ahead of the other copy */
	int behind;		/* locked, older than the other copy */
};

/**
 * keystore_repair_state(cs):
 * A few words ("ok", "missing", "damaged", ...) for the state of one copy
 * as keystore_repair_check found it.
 */
const char *keystore_repair_state(const struct keystore_copy_status *);

/**
 * keystore_repair_hint(root, primary, backup, buf, buflen):
 * Put into ${buf} the one advice for the pair of copies as
 * keystore_repair_check found them (the same for every command and every
 * passphrase that opens a copy); return 1, or 0 if there is none (in
 * step, or neither copy opens).
 */
int keystore_repair_hint(const char *, const struct keystore_copy_status *,
    const struct keystore_copy_status *, char *, size_t);

/**
 * keystore_repair_check(s, pass, passlen, primary, backup):
 * Examine both keystore copies of an encrypted store opened with
 * STORE_OPEN_NOKEYS.  Return QS_OK if both are present, unlock with
 * ${pass} and have the same generation, else QS_ECORRUPT (the statuses
 * say what is wrong).  A copy that fails where the other unlocks is
 * reported as damaged (rc QS_ECORRUPT) unless its header says it is a
 * save ahead or older under another passphrase (ahead, behind).
 */
int keystore_repair_check(struct store *, const uint8_t *, size_t,
    struct keystore_copy_status *, struct keystore_copy_status *);

/**
 * keystore_repair_restore(s, from_backup, pass, passlen):
 * Rebuild one keystore copy from the other: the source must unlock with
 * ${pass}; its bytes are written atomically (mode 0600) over the other.
 * A primary older than the backup is not written over it (QS_ECORRUPT:
 * it is what a replayed primary would ask for; spec/keystore.md 6.2).
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

#endif /* !QS_KEYSTORE_REPAIR_H */
