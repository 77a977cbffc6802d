#ifndef QS_EXPIRE_H
#define QS_EXPIRE_H

/*
 * Expiry: a stream is expired by moving its manifest to expired/ (it can
 * still be read with --expired, and its chunks stay live for verify) and
 * deleted for good when clean purges expired/; only then do its chunks
 * become dead and reclaimable.
 */

#include <stddef.h>
#include <stdint.h>

struct store;

/**
 * expire_rule(s, prefix, keep_last, older_than, now, dry_run,
 *     names, count):
 * Expire the streams whose names start with ${prefix} (NULL: all) that are
 * not among the ${keep_last} newest (by ingest time; -1: no such rule) and
 * that were ingested more than ${older_than} seconds before ${now} (-1: no
 * such rule).  Return the expired names (free with store_names_free).
 */
int expire_rule(struct store *, const char *, long, int64_t, int64_t,
    int, char ***, size_t *);

/**
 * expire_purge(s, dry_run, removed):
 * Delete the manifests of all expired streams (none with ${dry_run}) and add
 * their number to ${removed}.  Clean's step, under the exclusive lock.
 */
int expire_purge(struct store *, int, uint64_t *);

#endif /* !QS_EXPIRE_H */
