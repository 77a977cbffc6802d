#ifndef QS_TARFIND_H
#define QS_TARFIND_H

/*
 * Tar headers found by their content, wherever they are in a stream.
 *
 * put cuts a chunk where a tar member starts, so a file dedups against its
 * earlier copy.  libarchive finds members only in a stream that is a tar
 * from its first byte: with 100 bytes in front, or a tar concatenated after
 * other data, it finds none, the chunks fall elsewhere and the two streams
 * share almost nothing (issue 17: 81% new for a 100-byte prefix).  This
 * finder recognises a header by its bytes alone (the "ustar" magic at
 * offset 257 and a checksum that verifies), so two streams holding the same
 * tar at different offsets get the same cuts.  A header that continues an
 * extension header (pax 'x'/'g', GNU 'L'/'K', Solaris 'X') is not a member
 * start: the member starts at its first extension header, as libarchive's
 * header position says.
 *
 * The finder is fed every byte of the stream in order, in blocks of any
 * size, and keeps only the last 511 bytes; it is deterministic in the
 * bytes (not in how they were split into blocks).
 */

#include <stddef.h>
#include <stdint.h>

struct tarfind;

/**
 * tarfind_new():
 * A finder at stream offset 0, or NULL if out of memory.
 */
struct tarfind *tarfind_new(void);

/**
 * tarfind_feed(tf, buf, len):
 * Scan the next ${len} bytes of the stream.  Return 0, or -1 if out of
 * memory (the cut points found so far stay valid).
 */
int tarfind_feed(struct tarfind *, const uint8_t *, size_t);

/**
 * tarfind_next(tf, pos, limit):
 * The first member start found in (${pos}, ${limit}), or UINT64_MAX.
 * Starts at or before ${pos} are forgotten: calls must come with ${pos}
 * never decreasing.  Only headers whose 512 bytes have all been fed are
 * known.
 */
uint64_t tarfind_next(struct tarfind *, uint64_t, uint64_t);

/**
 * tarfind_free(tf):
 * Free ${tf} (NULL is fine).
 */
void tarfind_free(struct tarfind *);

#endif /* !QS_TARFIND_H */
