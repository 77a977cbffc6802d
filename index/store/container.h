#ifndef QS_CONTAINER_H
#define QS_CONTAINER_H

/*
 * Writing and reading chunk records in containers (layout in
 * format/container_fmt.h and spec/FORMAT.md).
 *
 * A container_writer fills one container at a time under a temporary name
 * and commits it (trailer, fsync, rename) when it reaches the store's target
 * size or when the caller asks; only then may index entries pointing into
 * it be published.  A chunk_reader reads one record, authenticates it
 * (encrypted records) or checks it, decompresses it and re-computes its
 * chunk id, so a chunk handed back is exactly what was stored.
 */

#include <stddef.h>
#include <stdint.h>

#include "index/chunk/chunkindex.h"

struct store;
struct container_writer;
struct chunk_reader;
struct chunk_compressor;

/**
 * container_writer_new(s, key_id, key, cw):
 * Make a writer for store ${s} that seals records under content key ${key}
 * with id ${key_id} (0 and NULL: plain records).
 */
int container_writer_new(struct store *, uint16_t, const uint8_t *,
    struct container_writer **);

/**
 * container_writer_append(cw, id, raw_len, flags, payload, len, loc):
 * Append a chunk record: ${payload} is the chunk compressed (flags
 * RECORD_FLAG_ZSTD) or raw (flags 0), ${raw_len} the chunk's length.  It is
 * sealed if the writer has a key.  On success ${loc} says where it is; it is
 * durable only after the container is committed (see
 * container_writer_committed).  A full container is committed first.
 */
int container_writer_append(struct container_writer *, const uint8_t[32],
    uint32_t, uint8_t, const uint8_t *, size_t, struct chunk_loc *);

/**
 * container_writer_finish(cw):
 * Commit the open container, if any.
 */
int container_writer_finish(struct container_writer *);

/**
 * container_writer_key_id(cw):
 * The key id records are sealed under (0: plain).
 */
uint16_t container_writer_key_id(const struct container_writer *);

/**
 * container_writer_pending(cw):
 * Return non-zero if records were appended since the last commit.
 */
int container_writer_pending(const struct container_writer *);

/**
 * container_writer_stored_bytes(cw):
 * Total bytes written into committed and open containers.
 */
uint64_t container_writer_stored_bytes(const struct container_writer *);

/**
 * container_writer_free(cw):
 * Abandon an uncommitted container (its temporary file is removed) and
 * free ${cw}.  NULL is allowed.
 */
void container_writer_free(struct container_writer *);

/**
 * chunk_reader_new(s, r):
 * Make a reader (one per thread) for store ${s}.
 */
int chunk_reader_new(struct store *, struct chunk_reader **);

/**
 * chunk_reader_free(r):
 * Free ${r}; NULL is allowed.
 */
void chunk_reader_free(struct chunk_reader *);

/**
 * chunk_reader_read(r, id, loc, out, outcap, outlen):
 * Read the record at ${loc}, which the index says holds chunk ${id}, into
 * ${out} (room for ${outcap} bytes).  Checks: the header is valid and names
 * ${id}; the lengths agree with ${loc}; an encrypted record authenticates
 * (QS_EAUTH otherwise); the payload decompresses to exactly raw_len bytes;
 * the keyed hash of the result is ${id}.  Failures are QS_ECORRUPT or
 * QS_EAUTH with a detail naming the container file and the offset.
 */
int chunk_reader_read(struct chunk_reader *, const uint8_t[32],
    const struct chunk_loc *, uint8_t *, size_t, size_t *);

/**
 * chunk_reader_payload(r, id, loc, out, outcap, outlen, payload, plen,
 *     flags):
 * As chunk_reader_read, and also point ${payload} at the record's payload after
 * decryption (compressed or raw, as ${flags} says; ${plen} bytes), which
 * stays valid until the reader's next use: for moving a record into
 * another container without compressing it again.
 */
int chunk_reader_payload(struct chunk_reader *, const uint8_t[32],
    const struct chunk_loc *, uint8_t *, size_t, size_t *, const uint8_t **,
    size_t *, uint8_t *);

/**
 * chunk_reader_bytes(r):
 * Bytes this reader has read from containers so far.
 */
uint64_t chunk_reader_bytes(const struct chunk_reader *);

/**
 * chunk_compressor_new(level, cc):
 * A zstd compressor (one per thread) at ${level}.
 */
int chunk_compressor_new(int, struct chunk_compressor **);

/**
 * chunk_compressor_free(cc):
 * Free ${cc}; NULL is allowed.
 */
void chunk_compressor_free(struct chunk_compressor *);

/**
 * chunk_compressor_run(cc, in, len, out, outcap, outlen, flags):
 * Compress ${len} bytes of ${in} into ${out}.  If the result is not
 * smaller, copy the chunk raw instead.  ${outcap} must be at least
 * chunk_compressor_bound(${len}).  Sets ${flags} to RECORD_FLAG_ZSTD or 0.
 */
int chunk_compressor_run(struct chunk_compressor *, const uint8_t *, size_t,
    uint8_t *, size_t, size_t *, uint8_t *);

/**
 * chunk_compressor_bound(len):
 * The output room chunk_compressor_run needs for ${len} bytes.
 */
size_t chunk_compressor_bound(size_t);

#endif /* !QS_CONTAINER_H */
