#ifndef QS_CONTAINER_H
#define QS_CONTAINER_H

/*
 * Writing chunk records into containers (layout in format/container_fmt.h
 * and spec/FORMAT.md); index/store/chunk_reader.h reads them back.
 *
 * A container_writer fills one container at a time under a temporary name
 * and commits it (trailer, fsync, rename) when it reaches the store's target
 * size or when the caller asks; only then may index entries pointing into
 * it be published.
 */

#include <stddef.h>
#include <stdint.h>

#include "index/chunk/chunkindex.h"

struct store;
struct container_writer;

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
 * container_writer_set_relocate(cw, fn, ctx):
 * Records of a sealed (encrypted) writer are written in a random order when
 * their container is committed, so the location append returns is
 * provisional: on commit, ${fn}(${ctx}, id, loc) is called with the final
 * location of each record (before the commit is durable; a non-zero return
 * fails the commit).  Plain writers never call it.
 */
void container_writer_set_relocate(struct container_writer *,
    int (*)(void *, const uint8_t[32], const struct chunk_loc *), void *);

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

#endif /* !QS_CONTAINER_H */
