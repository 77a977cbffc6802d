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

struct store;
struct tarscan;
struct put_opts;

/* tarscan_attach flags. */
#define TARSCAN_ALLOW_TRUNCATED	1	/* store a tar cut inside a member */
#define TARSCAN_REFUSE_EMPTY	2	/* refuse a tar with no member */

/**
 * tarscan_attach(s, po, flags, ts):
 * Start a scan for a put into ${s} and point ${po}->scanner at it, so that
 * put_stream feeds it, cuts chunks at member starts and has it commit the
 * stream's catalogue (none if the stream is not tar) before the manifest.
 * The scan goes into ${ts}.  After put_stream, call tarscan_detach (it
 * cleans up if the put failed before finishing the scan).  Unless ${flags}
 * has TARSCAN_ALLOW_TRUNCATED, a tar stream that ends inside a member makes
 * the put fail (QS_EINPUT): its producer was probably killed.  With
 * TARSCAN_REFUSE_EMPTY a stream of at most 64 KiB of zero bytes (a tar
 * with no member: tar found nothing to archive) fails the same way.
 */
int tarscan_attach(struct store *, struct put_opts *, int, struct tarscan **);

/**
 * tarscan_detach(ts):
 * Stop the scan if the put did not finish it and free ${ts}.  The
 * put_opts it was attached to must not be used for another put with its
 * scanner still set.  NULL is allowed.
 */
void tarscan_detach(struct tarscan *);

#endif /* !QS_TARSCAN_H */
