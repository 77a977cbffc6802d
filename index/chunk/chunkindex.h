#ifndef QS_CHUNKINDEX_H
#define QS_CHUNKINDEX_H

/*
 * The on-disk chunk index: chunk id (32 bytes, uniformly distributed) ->
 * location (container id, offset, length).  It is a directory of immutable
 * segment files (format/segment.h, spec/index.md), each a sorted table with
 * a blocked Bloom filter, mapped read-only; nothing proportional to the
 * index size is ever loaded into the heap.  New entries are staged in
 * memory, then flushed as one new segment; compaction merges segments so
 * their number stays logarithmic in the index size.
 *
 * A handle is not thread-safe: one thread at a time, and one writing
 * process per directory (the caller holds the store lock).
 */

#include <stddef.h>
#include <stdint.h>

struct chunk_loc {
	uint64_t container_id;
	uint32_t offset;
	uint32_t length;
};

struct chunkindex;

/**
 * chunkindex_open(dir, idx):
 * Map every segment file in the existing directory ${dir} (read-only,
 * MAP_SHARED) and validate its header and size; store a new handle in
 * ${idx}.  Temporary files (".tmp-*") and names that are not segment names
 * are ignored; segments made obsolete by a newer segment's base sequence
 * number are not mapped (chunkindex_compact removes them).  Return QS_OK,
 * QS_ENOENT if ${dir} does not exist, QS_ECORRUPT naming the file for a
 * damaged segment (bad magic, non-zero reserved bytes, size not matching
 * the header, name not matching the header), QS_EVERSION for an unknown
 * version or flag, or QS_EIO / QS_ENOMEM.
 */
int chunkindex_open(const char *, struct chunkindex **);

/**
 * chunkindex_close(idx):
 * Unmap the segments and free ${idx}, including entries still staged (they
 * are lost).  ${idx} may be NULL.
 */
void chunkindex_close(struct chunkindex *);

/**
 * chunkindex_lookup(idx, id, loc):
 * Look ${id} up, in the staged entries first, then in the segments newest
 * first.  Return QS_OK and store the location in ${loc}, or QS_ENOENT.
 */
int chunkindex_lookup(struct chunkindex *, const uint8_t[32],
    struct chunk_loc *);

/**
 * chunkindex_stage(idx, id, loc):
 * Remember ${id} -> ${loc} in memory; it is visible to lookup at once and
 * replaces an earlier staged location of ${id}.  Return QS_OK, QS_EINVAL
 * if ${loc} has length 0 or offset + length > 2^32, QS_ELIMIT beyond
 * 2^32 - 2 staged entries, or QS_ENOMEM.
 */
int chunkindex_stage(struct chunkindex *, const uint8_t[32],
    const struct chunk_loc *);

/**
 * chunkindex_staged_count(idx):
 * Return the number of staged (not yet flushed) entries.  Staged memory is
 * 48 bytes per entry in an array grown by doubling, plus a 4-byte hash slot
 * per 0.7 entries (also doubling): 56 MiB for 1M entries; a flush or
 * foreach adds 8 bytes per entry while it runs.
 */
size_t chunkindex_staged_count(const struct chunkindex *);

/**
 * chunkindex_flush(idx):
 * Write the staged entries as one new segment (sorted; temporary file,
 * fsync, rename, directory fsync), map it and clear the stage.  The caller
 * guarantees the containers these entries point into are already durable.
 * Nothing staged: no-op.  On failure the stage is kept.
 */
int chunkindex_flush(struct chunkindex *);

/**
 * chunkindex_compact(idx):
 * Remove obsolete segments, then merge segments while the newest group is
 * at least half the size (in entries) of the next older segment (see
 * spec/index.md): the number of segments stays O(log n) and each entry is
 * rewritten O(log n) times.  Each merged segment is written durably before
 * its inputs are unlinked; a crash in between leaves duplicates, which are
 * harmless.  Memory use does not depend on the segment sizes (three
 * streaming passes over the mapped inputs).  Staged entries are untouched.
 */
int chunkindex_compact(struct chunkindex *);

/**
 * chunkindex_foreach(idx, cb, ctx):
 * Call ${cb}(${ctx}, id, loc) for every live entry, staged ones included,
 * in increasing id order; for an id present more than once only the newest
 * location is passed.  A k-way merge over the mapped segments: memory grows
 * only with the number of staged entries.  Return QS_OK, QS_ECORRUPT if a
 * segment is not sorted, or the first non-zero value returned by ${cb}
 * (which stops the iteration).
 */
int chunkindex_foreach(struct chunkindex *,
    int (*)(void *, const uint8_t[32], const struct chunk_loc *), void *);

/**
 * chunkindex_replace_all(idx, gen, ctx):
 * Call ${gen}(${ctx}, emit, emit_ctx) once; ${gen} calls emit(emit_ctx, id,
 * loc) for each entry of the new index in strictly increasing id order and
 * returns QS_OK or an error.  The entries become one new segment with a
 * sequence number above all existing ones whose base sequence number makes
 * every older segment obsolete; then the older segments are unlinked.
 * Memory: a run buffer of chunkindex_set_run_entries() entries; longer
 * inputs are written as runs (segments of their own) and merged.  The
 * containers the entries point into must be durable before the call.  On
 * failure the runs written so far are removed and the index is unchanged;
 * after a crash the runs may remain, which is harmless (they are newer and
 * point into durable containers).  Return QS_OK, QS_EINVAL if entries are
 * staged, ids are out of order or a location is invalid (the error emit
 * returned), ${gen}'s error, or an I/O error.
 */
int chunkindex_replace_all(struct chunkindex *,
    int (*)(void *, int (*)(void *, const uint8_t[32],
    const struct chunk_loc *), void *), void *);

/**
 * chunkindex_count(idx):
 * Return the sum of the entry counts of the live segments (staged entries
 * excluded).  An id present in several segments is counted once per
 * segment, so this is an upper bound of the distinct ids, exact when there
 * is one segment (after replace_all) or no id was ever written twice.
 */
uint64_t chunkindex_count(const struct chunkindex *);

/**
 * chunkindex_segment_count(idx):
 * Return the number of live (mapped) segments.
 */
size_t chunkindex_segment_count(const struct chunkindex *);

/**
 * chunkindex_verify(idx):
 * Re-read every live segment: check that its entries are strictly sorted
 * and sane (length non-zero, offset + length <= 2^32), that its Bloom
 * filter holds every entry, and that its trailer checksum matches.  Return
 * QS_OK or QS_ECORRUPT naming the first bad file and offset.
 */
int chunkindex_verify(struct chunkindex *);

/**
 * chunkindex_set_run_entries(idx, n):
 * Set the number of entries chunkindex_replace_all buffers in memory before
 * writing a run (default 1048576, i.e. 48 MiB; minimum 1).  For tuning and
 * tests.
 */
void chunkindex_set_run_entries(struct chunkindex *, size_t);

#endif /* !QS_CHUNKINDEX_H */
