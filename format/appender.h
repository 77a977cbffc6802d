#ifndef QS_APPENDER_H
#define QS_APPENDER_H

/*
 * A buffered appender: bytes collect in a caller-owned buffer and go to a
 * fileio temporary file in writes of exactly the buffer's size, plus one
 * last shorter write on the final drain.  A full buffer is written only
 * when more bytes arrive (or on drain), so the writes, and with them the
 * fault-injection points of fileio, depend only on the byte count.  For the
 * container writer and the chunk index's segment writer.
 */

#include <stddef.h>
#include <stdint.h>

struct fileio_tmp;

struct appender {
	struct fileio_tmp *tmp;
	uint8_t *buf;
	size_t cap;
	size_t used;
	void (*on_drain)(void *, const uint8_t *, size_t);
	void *ctx;
};

/**
 * appender_init(a, tmp, buf, cap, on_drain, ctx):
 * Start ${a} empty, appending to ${tmp} through the ${cap} bytes at ${buf}
 * (both stay the caller's).  If ${on_drain} is not NULL it is called as
 * ${on_drain}(${ctx}, bytes, len) with every run of bytes just before it
 * is written (for a running checksum).
 */
void appender_init(struct appender *, struct fileio_tmp *, uint8_t *,
    size_t, void (*)(void *, const uint8_t *, size_t), void *);

/**
 * appender_put(a, p, len):
 * Append ${len} bytes from ${p}, writing the buffer out each time it is
 * full and more bytes follow.  Return QS_OK or fileio's error.
 */
int appender_put(struct appender *, const void *, size_t);

/**
 * appender_drain(a):
 * Write out what is buffered (nothing to write: no write).  The buffer is
 * empty afterwards, also on failure.  Return QS_OK or fileio's error.
 */
int appender_drain(struct appender *);

#endif /* !QS_APPENDER_H */
