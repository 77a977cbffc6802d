#ifndef QS_GET_H
#define QS_GET_H

/*
 * Restore: read a stream's manifest and write its bytes, checking every
 * chunk against its id and the reference list against the stream hash.
 * Worker threads read, authenticate and decompress chunks ahead; the
 * calling thread writes them in order.
 */

#include <stddef.h>
#include <stdint.h>

struct store;

struct get_progress {
	uint64_t bytes_out;
	uint64_t total;
};

struct get_opts {
	int threads;		/* 0: one per core */
	int expired;		/* read an expired stream */
	void (*progress)(void *, const struct get_progress *);
	void *progress_ctx;
};

struct get_result {
	uint64_t length;
	uint64_t chunks;
	uint64_t bytes_read;	/* bytes read from containers */
};

/**
 * get_stream(s, name, fd, opts, result):
 * Write stream ${name} to ${fd}.  QS_ENOENT if there is no such stream;
 * QS_ECORRUPT or QS_EAUTH (naming the file and offset) on damage, after
 * which nothing more is written; QS_EIO if writing fails.  What was
 * written before an error is exactly the stream's first bytes.
 */
int get_stream(struct store *, const char *, int, const struct get_opts *,
    struct get_result *);

struct byte_range {
	uint64_t start, end;		/* [start, end) of the stream */
};

/**
 * get_ranges(s, name, expired, ranges, n, sink, ctx, result):
 * Hand the bytes of stream ${name} in ${ranges} (sorted, not overlapping)
 * to ${sink}(${ctx}, range index, bytes, length) in order, reading only
 * the chunks that cover them, each checked against its id.  A non-zero
 * return of ${sink} stops and is returned.  ${result}->bytes_read says how
 * much was read from containers.
 */
int get_ranges(struct store *, const char *, int,
    const struct byte_range *, size_t,
    int (*)(void *, size_t, const uint8_t *, size_t), void *,
    struct get_result *);

#endif /* !QS_GET_H */
