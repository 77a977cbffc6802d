#ifndef QS_CONTENTS_H
#define QS_CONTENTS_H

/*
 * Comparing the bytes of members of two streams without a format change:
 * first through the chunk ids under each member's byte range (the same ids
 * at the same places are the same bytes, nothing read), and where they
 * differ, which may still be equal bytes (a member's first chunk also
 * holds its header, and chunks written before encryption was enabled have
 * other ids), by hashing the bytes themselves.
 */

#include <stddef.h>
#include <stdint.h>

struct store;
struct byte_range;
struct contents_refs;

/**
 * contents_refs_load(s, name, expired, refs):
 * Read the chunk references of stream ${name} (in expired/ if ${expired})
 * into a new ${refs}: each chunk's offset in the stream, length and id
 * (40 bytes a chunk).  QS_ENOENT if there is no such stream; QS_ECORRUPT
 * or QS_EAUTH if its manifest is damaged.
 */
int contents_refs_load(struct store *, const char *, int,
    struct contents_refs **);

/**
 * contents_refs_free(refs):
 * Free ${refs}; NULL is allowed.
 */
void contents_refs_free(struct contents_refs *);

/**
 * contents_diff_span(a, astart, b, bstart, len, lo, hi):
 * 1 if the ${len} bytes at ${astart} of stream ${a} lie in chunks with the
 * same ids, at the same places in them, as the ${len} bytes at ${bstart}
 * of ${b} (so they are the same bytes).  Else 0, with [${lo}, ${hi})
 * (offsets from the starts) the span outside which they do: the bytes
 * that must be read to tell (all of them if no chunk at either end lines
 * up).  A range beyond the end of a stream is never the same.
 */
int contents_diff_span(const struct contents_refs *, uint64_t,
    const struct contents_refs *, uint64_t, uint64_t, uint64_t *,
    uint64_t *);

/**
 * contents_digests(s, name, expired, ranges, n, digests):
 * The BLAKE2b-256 of the bytes of each of the ${n} ranges (not empty, not
 * overlapping, in any order) of stream ${name} into ${digests}[i], reading
 * only the chunks that hold them, each checked against its id.  QS_OK, or
 * what reading the stream returns (QS_ECORRUPT / QS_EAUTH on damage).
 */
int contents_digests(struct store *, const char *, int,
    const struct byte_range *, size_t, uint8_t (*)[32]);

#endif /* !QS_CONTENTS_H */
