#ifndef QS_STREAM_H
#define QS_STREAM_H

/*
 * Writing and reading stream manifests (format/manifest_fmt.h): the ordered
 * chunk references of one stream and its summary.  Frames are sealed with
 * the store's current content key in an encrypted store and carry a
 * BLAKE2b check in a plain one.  A manifest is written under a temporary
 * name and appears under its final name only when complete, after the data
 * and index entries it refers to are durable (the caller's job).
 *
 * The stream hash is BLAKE2b-256 over the references in order (36 bytes
 * each: chunk id, raw length little-endian).  Chunk contents are checked
 * against their ids when read, so together they verify the whole stream.
 */

#include <stdint.h>

#include "format/manifest_fmt.h"

struct store;
struct manifest_writer;
struct manifest_reader;

/**
 * manifest_writer_new(s, name, mw):
 * Start the manifest of a new stream ${name} in store ${s}.
 */
int manifest_writer_new(struct store *, const char *,
    struct manifest_writer **);

/**
 * manifest_writer_replace(s, name, expired, mw):
 * Start a new manifest for the existing stream ${name} (in expired/ if
 * ${expired}); committing it replaces the old file atomically (for
 * rewriting its references or resealing it).
 */
int manifest_writer_replace(struct store *, const char *, int,
    struct manifest_writer **);

/**
 * manifest_writer_add(mw, id, raw_len):
 * Append a reference to chunk ${id} of ${raw_len} bytes.
 */
int manifest_writer_add(struct manifest_writer *, const uint8_t[32],
    uint32_t);

/**
 * manifest_writer_commit(mw, summary):
 * Complete the manifest with ${summary} (name, stream_hash and
 * chunk_count are filled in here) and make it visible.  QS_EEXIST if a
 * stream of that name appeared meanwhile.  ${mw} is freed in every case.
 */
int manifest_writer_commit(struct manifest_writer *,
    struct manifest_summary *);

/**
 * manifest_writer_free(mw):
 * Abandon an uncommitted manifest.  NULL is allowed.
 */
void manifest_writer_free(struct manifest_writer *);

/**
 * manifest_reader_open(s, name, expired, mr):
 * Open the manifest of stream ${name} (in expired/ if ${expired}) and read
 * and check its summary.  QS_ENOENT if there is no such stream.  A
 * version 2 manifest's frames are bound to the file and are checked one
 * by one as manifest_reader_next reaches them; a version 1 manifest
 * (written by 0.1.0, frames not bound) is read through once by the first
 * manifest_reader_next, and its count, length and stream hash checked,
 * before the first reference is returned (QS_ECORRUPT if they do not
 * match).
 */
int manifest_reader_open(struct store *, const char *, int,
    struct manifest_reader **);

/**
 * manifest_reader_summary(mr):
 * The stream's summary.
 */
const struct manifest_summary *manifest_reader_summary(
    const struct manifest_reader *);

/**
 * manifest_reader_next(mr, id, raw_len, offset):
 * Return the next reference (its chunk id, length and offset in the
 * stream) and QS_OK; 1 after the last one, once the count and the stream
 * hash have been checked; or QS_ECORRUPT / QS_EAUTH naming the file and the
 * frame.  ${id} points into the reader and is valid until the next call.
 */
int manifest_reader_next(struct manifest_reader *, const uint8_t **,
    uint32_t *, uint64_t *);

/**
 * manifest_reader_free(mr):
 * Free ${mr}; NULL is allowed.
 */
void manifest_reader_free(struct manifest_reader *);

/**
 * manifest_header_get(s, name, expired, h):
 * Read only the header of a manifest (format/manifest_fmt.h; nothing in
 * it is authenticated yet) into ${h}.
 */
int manifest_header_get(struct store *, const char *, int,
    struct manifest_header *);

/**
 * manifest_key_id(s, name, expired, key_id):
 * Read only the header of a manifest and return the key id it is sealed
 * under (0: plain).
 */
int manifest_key_id(struct store *, const char *, int, uint16_t *);

/**
 * manifest_latest(s, prefix, expired, name):
 * Write into ${name} the name of the newest stream (live, or expired if
 * ${expired}) whose name starts with ${prefix} ("" for any): the latest
 * put time, and among streams put in the same second the later name (the
 * order expire counts).  QS_ENOENT, with a detail, if no stream matches;
 * else what listing the streams or reading a manifest returns.
 */
int manifest_latest(struct store *, const char *, int,
    char[STREAM_NAME_MAX + 1]);

#endif /* !QS_STREAM_H */
