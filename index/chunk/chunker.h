#ifndef QS_CHUNKER_H
#define QS_CHUNKER_H

/*
 * Content-defined chunking: FastCDC (Xia et al., USENIX ATC 2016) with
 * normalised chunking level 2 and cut-point skipping, over a keyed gear
 * table (crypto/gear.h).  Pure and deterministic: the cut points depend only
 * on the parameters, the gear table and the bytes.  The exact algorithm,
 * masks and vectors are in spec/chunker.md; any change to cut points is a
 * format change (it breaks deduplication against existing stores).
 */

#include <stddef.h>
#include <stdint.h>

/* Defaults: 16 KiB / 64 KiB / 256 KiB. */
#define CHUNKER_DEFAULT_MIN (16U * 1024)
#define CHUNKER_DEFAULT_AVG (64U * 1024)
#define CHUNKER_DEFAULT_MAX (256U * 1024)

/* Limits enforced by chunker_params_check(). */
#define CHUNKER_MIN_LIMIT (1U * 1024)
#define CHUNKER_MAX_LIMIT (16U * 1024 * 1024)

struct chunker_params {
	uint32_t min_size, avg_size, max_size;
};

struct chunker;

/**
 * chunker_params_check(p):
 * Return QS_OK if ${p}->avg_size is a power of two, 1 KiB <= min_size <
 * avg_size < max_size <= 16 MiB and max_size >= 2 * avg_size; otherwise
 * record a detail with qs_error_set() and return QS_EINVAL.
 */
int chunker_params_check(const struct chunker_params *);

/**
 * chunker_new(p, table):
 * Return a chunker holding copies of the parameters ${p} and the 256-entry
 * gear ${table}, or NULL on ENOMEM or if chunker_params_check(${p}) fails
 * (the error detail is recorded).  Free it with chunker_free().
 */
struct chunker *chunker_new(const struct chunker_params *,
    const uint64_t[256]);

/**
 * chunker_free(c):
 * Wipe the gear table copy in ${c} and free ${c}.  ${c} may be NULL.
 */
void chunker_free(struct chunker *);

/**
 * chunker_find_cut(c, buf, len, final):
 * ${buf} starts at a chunk boundary.  Return the length of the first chunk
 * in ${buf}: the end of the first cut point found in ${buf}[0 .. min(${len},
 * max_size)), or max_size if ${len} >= max_size and there is no cut point.
 * If there is no cut point and ${len} < max_size, return ${len} when
 * ${final} is non-zero (the remaining bytes are the last chunk, even when
 * shorter than min_size), else 0 meaning "give me more bytes".  Never
 * returns 0 when ${final} != 0 and ${len} > 0.  The result does not depend
 * on how the stream was split into calls, so callers may feed any amount;
 * since the scan restarts at min_size on every call, feeding at least
 * max_size bytes per call (when available) avoids rescanning.
 */
size_t chunker_find_cut(const struct chunker *, const uint8_t *, size_t, int);

#endif /* !QS_CHUNKER_H */
