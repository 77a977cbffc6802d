#ifndef QS_TARSCAN_H
#define QS_TARSCAN_H

/*
 * The tar scan of put: libarchive reads the same bytes put stores, in a
 * thread of its own, fed block by block from put's reading thread, and
 * reports each member (name, type, owner, times, and its byte range in the
 * stream) to a catalogue writer.  It also tells put where members start,
 * so that chunks can be cut there.  Whatever libarchive makes of the
 * input, the stored bytes are the input: the scan only describes them,
 * and stops describing (saying where and why) when libarchive gives up.
 */

#include <stddef.h>
#include <stdint.h>

struct store;
struct tarscan;
struct manifest_summary;

/**
 * tarscan_new(s, ts):
 * Start a scan thread for a put into store ${s}; its catalogue goes into a
 * new catalogue file of ${s}.
 */
int tarscan_new(struct store *, struct tarscan **);

/**
 * tarscan_feed(ts, buf, len):
 * Hand the scan the next ${len} bytes of the stream (copied).
 */
int tarscan_feed(struct tarscan *, const uint8_t *, size_t);

/**
 * tarscan_next_cut(ts, pos, limit):
 * The first member start in (${pos}, ${limit}), or UINT64_MAX.  Waits until
 * the scan has seen enough of the stream to know (or has stopped).
 */
uint64_t tarscan_next_cut(struct tarscan *, uint64_t, uint64_t);

/**
 * tarscan_lookahead():
 * How far past a chunk's end put should have fed the scan before asking
 * for cut points.
 */
size_t tarscan_lookahead(void);

/**
 * tarscan_finish(ts, ok, sum):
 * End of input: wait for the scan, and if ${ok} commit the catalogue and
 * record it in ${sum} (features, id, hash).  A stream that is not tar gets
 * no catalogue.  Frees ${ts} in every case.
 */
int tarscan_finish(struct tarscan *, int, struct manifest_summary *);

struct put_opts;

/**
 * tarscan_attach(allow_truncated, s, po, handle):
 * Start a scan for a put into ${s} and set the scan hooks of ${po}; the
 * handle goes into ${handle}.  After put_stream, call tarscan_detach (it
 * cleans up if the put failed before finishing the scan).  Unless
 * ${allow_truncated} is non-NULL, a tar stream that ends inside a member
 * makes the put fail (QS_EINPUT): its producer was probably killed.  The
 * signature fits clean_opts.scan_attach.
 */
int tarscan_attach(void *, struct store *, struct put_opts *, void **);

/**
 * tarscan_detach(handle):
 * Release what tarscan_attach made.  NULL is allowed.
 */
void tarscan_detach(void *);

#endif /* !QS_TARSCAN_H */
