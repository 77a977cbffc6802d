#ifndef QS_PUMP_H
#define QS_PUMP_H

/*
 * Putting a stream read from another store (clean's re-put of data written
 * before encryption, replicate): a thread reads the stream with every check
 * of get_stream into a pipe, put_stream reads the other end, and the new
 * stream is committed only if the read succeeded.
 */

#include <stdint.h>

struct store;
struct put_opts;
struct put_result;

struct pump;

/**
 * pump_start(s, name, fd, pump):
 * Start a thread that writes stream ${name} of ${s} into a pipe (with
 * every check of get_stream); return its read end in ${fd}.  ${s} must not
 * be used by another thread meanwhile (open a second handle with
 * store_open_reader).
 */
int pump_start(struct store *, const char *, int *,
    struct pump **);

/**
 * pump_join(pump):
 * Wait for the thread and return get_stream's result (with its detail);
 * frees ${pump}.  Close the read end first if you stopped reading, so the
 * thread does not wait on a full pipe.
 */
int pump_join(struct pump *);

/**
 * pump_copy(dst, src, name, opts, created, result):
 * Put stream ${name} of ${src} (a handle no other thread uses: see
 * store_open_reader) into ${dst} under the same name, read with every
 * check of get_stream in a thread of its own; the new stream is committed
 * only if that read succeeded.  ${opts} (not NULL) is used as given, its
 * before_commit hook excepted.  For clean's re-put of old data and for
 * replicate.
 */
int pump_copy(struct store *, struct store *, const char *,
    struct put_opts *, int64_t, struct put_result *);

#endif /* !QS_PUMP_H */
