#ifndef QS_REWRITE_H
#define QS_REWRITE_H

/*
 * Moving live records out of a container into new ones (under the
 * writer's key), then deleting the old container: the step shared by a key
 * mode change (re-encrypt everything) and clean (drop dead records).
 *
 * Order, so that a crash at any point loses nothing: new containers are
 * committed, then an index segment pointing at them (newer segments win),
 * and only then is the old container unlinked.  A record is live if the
 * index points at it and, when given, the keep callback agrees.
 */

#include <stdint.h>

struct store;
struct chunk_reader;
struct container_writer;

struct rewrite_stats {
	uint64_t records_kept;
	uint64_t records_dropped;
	uint64_t bytes_in;		/* container file size */
	uint64_t bytes_kept;		/* record bytes copied */
};

/**
 * rewrite_container(s, container_id, r, cw, cw_plain, keep, ctx, unlink_old,
 *     st):
 * Copy the live records of the container into ${cw} (re-sealed under its
 * key; payloads are not recompressed), commit, publish their new index
 * entries, and, if ${unlink_old}, unlink the container.  Leave it (and
 * delete it after an index that no longer names it) when ${keep} drops
 * records: their entries still lead into it until then.  Unencrypted records go to
 * ${cw_plain} instead (their ids are under the plain id key, so they
 * cannot simply be sealed); if it is NULL they are an error.  ${keep}
 * (called with the chunk id and the record's key id) may be NULL.  Adds to
 * ${st}.
 */
int rewrite_container(struct store *, uint64_t, struct chunk_reader *,
    struct container_writer *, struct container_writer *,
    int (*)(void *, const uint8_t[32], uint16_t), void *, int,
    struct rewrite_stats *);

#endif /* !QS_REWRITE_H */
