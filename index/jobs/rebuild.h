#ifndef QS_REBUILD_H
#define QS_REBUILD_H

/*
 * Rebuilding the chunk index from the containers, for a store whose index
 * is damaged or lost ('qsarc verify --rebuild-index').  Containers are the
 * truth: every valid record they hold gets an entry again.
 */

#include <stdint.h>

struct store;
struct verify_finding;

/**
 * rebuild_index_damaged(root):
 * Return non-zero if the chunk index of the store at ${root} cannot be
 * opened because a segment is damaged (QS_ECORRUPT or QS_EVERSION), with
 * the detail recorded; 0 otherwise (the detail is cleared).
 */
int rebuild_index_damaged(const char *);

struct rebuild_result {
	uint64_t containers;		/* container files found */
	uint64_t containers_damaged;	/* of which damaged */
	uint64_t records;		/* valid records found */
	uint64_t salvaged;		/* of which in damaged containers */
	uint64_t duplicates;		/* records of a chunk already seen */
	uint64_t entries;		/* entries in the new index */
	uint64_t segments_quarantined;	/* unreadable segments set aside */
};

/**
 * rebuild_open(root, timeout_ms, s, res):
 * Open the store at ${root} exclusively, without its keys, for
 * rebuild_index.  If the index cannot be opened because a segment
 * file is damaged, first take the store lock (waiting at most
 * ${timeout_ms}; QS_EBUSY after that) and rename every segment file to
 * "damaged-NAME", which the index ignores, counting them in
 * ${res->segments_quarantined}; rebuild_index deletes them once
 * the new index is durable.  A missing index directory is created.
 */
int rebuild_open(const char *, int, struct store **,
    struct rebuild_result *);

/**
 * rebuild_index(s, on_warning, ctx, res):
 * Rebuild the chunk index of ${s} (opened exclusively) from its
 * containers: scan every container (container_scan) and collect an entry
 * for each valid record; a damaged container is reported through
 * ${on_warning} (a finding of kind "container" naming the file and
 * offset), and the records read before the damage are kept (each is
 * checked in full whenever it is read, so a bad one can only fail, never
 * return wrong data).  A chunk stored more than once keeps the copy in an
 * undamaged container, then the newest container.  The entries replace
 * the whole index (chunkindex_replace_all), then quarantined segment files
 * are removed.  Memory: 56 bytes per record.  Return QS_OK (even if
 * containers were damaged; see ${res}), or an error, in which case the old
 * index is unchanged.
 */
int rebuild_index(struct store *,
    void (*)(void *, const struct verify_finding *), void *,
    struct rebuild_result *);

#endif /* !QS_REBUILD_H */
