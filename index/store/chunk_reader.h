#ifndef QS_CHUNK_READER_H
#define QS_CHUNK_READER_H

/*
 * Reading chunk records back from containers.  A chunk_reader reads one
 * record, authenticates it (encrypted records) or checks it, decompresses
 * it and re-computes its chunk id, so a chunk handed back is exactly what
 * was stored.
 */

#include <stddef.h>
#include <stdint.h>

#include "index/chunk/chunkindex.h"

struct store;
struct chunk_reader;

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
 * chunk_reader_trust_aead(r):
 * From now on, do not re-compute the chunk id of a sealed record (encrypted
 * store): its AEAD tag, over the header naming the id and over the payload,
 * already proves it is what a key holder wrote for that id.  For restores,
 * where the hash is a second full pass over every byte; the check still
 * catches a writer that hashed one content and sealed another, so verify,
 * clean and rekey keep it.  Records of plain stores are always checked.
 */
void chunk_reader_trust_aead(struct chunk_reader *);

/**
 * chunk_reader_bytes(r):
 * Bytes this reader has read from containers so far.
 */
uint64_t chunk_reader_bytes(const struct chunk_reader *);

#endif /* !QS_CHUNK_READER_H */
