#ifndef QS_FRAMEFILE_H
#define QS_FRAMEFILE_H

/*
 * Frame files: the envelope shared by manifests ("QSARCMAN") and tar
 * catalogues ("QSARCCAT").  A 64-byte header, then frames of at most
 * MANIFEST_FRAME_MAX plaintext bytes, each sealed under the store's
 * current content key (encrypted stores) or followed by a BLAKE2b check
 * (plain stores), with associated data binding the header's first 32
 * bytes, the file's random id (version 2; version 1 files have none and
 * are still read), the frame's index and whether it is the last, so a
 * frame authenticates only at its own place in its own file.  The last
 * frame's offset is in the header.  Layout: spec/FORMAT.md, "Manifests".
 */

#include <stddef.h>
#include <stdint.h>

#include "format/manifest_fmt.h"

struct store;
struct framefile_writer;
struct framefile_reader;

/**
 * framefile_writer_new(s, path, magic, replace, fw):
 * Start writing a frame file that will become ${path} (a temporary file
 * until committed); ${replace} allows the commit to replace an existing
 * file, else it fails with QS_EEXIST.
 */
int framefile_writer_new(struct store *, const char *, const uint8_t *, int,
    struct framefile_writer **);

/**
 * framefile_writer_frame(fw, pt, len, final):
 * Seal or check-sum ${len} bytes of plaintext and append them as the next
 * frame; ${final} marks the last frame.
 */
int framefile_writer_frame(struct framefile_writer *, const uint8_t *,
    size_t, int);

/**
 * framefile_writer_commit(fw, file_hash):
 * After the final frame: fill in the header, sync and rename into place.
 * If ${file_hash} is not NULL, store the BLAKE2b-256 of the whole file in
 * it.  ${fw} is freed in every case.
 */
int framefile_writer_commit(struct framefile_writer *, uint8_t *);

/**
 * framefile_writer_file_id(fw):
 * The random file id of the file being written (MANIFEST_FILE_ID_SIZE
 * bytes, valid until ${fw} is freed).
 */
const uint8_t *framefile_writer_file_id(const struct framefile_writer *);

/**
 * framefile_writer_free(fw):
 * Abandon an uncommitted file.  NULL is allowed.
 */
void framefile_writer_free(struct framefile_writer *);

/**
 * framefile_reader_open(s, path, magic, fr):
 * Open the frame file ${path}, check its header (magic, store), and read
 * and authenticate its final frame (see framefile_reader_final).
 * QS_ENOENT if it does not exist.
 */
int framefile_reader_open(struct store *, const char *, const uint8_t *,
    struct framefile_reader **);

/**
 * framefile_reader_final(fr, pt, len):
 * The plaintext of the final frame (valid until the reader is freed).
 */
void framefile_reader_final(const struct framefile_reader *,
    const uint8_t **, size_t *);

/**
 * framefile_reader_next(fr, pt, len):
 * The plaintext of the next frame before the final one (valid until the
 * next call): QS_OK, 1 when only the final frame is left (after checking
 * the frames end exactly where it begins), or an error naming the file.
 */
int framefile_reader_next(struct framefile_reader *, const uint8_t **,
    size_t *);

/**
 * framefile_reader_rewind(fr):
 * Make the next framefile_reader_next return the first frame again (the
 * same open file; for a second pass over an unbound version 1 file).
 */
void framefile_reader_rewind(struct framefile_reader *);

/**
 * framefile_reader_path(fr):
 * The file's path, for messages.
 */
const char *framefile_reader_path(const struct framefile_reader *);

/**
 * framefile_reader_header(fr):
 * The decoded header.
 */
const struct manifest_header *framefile_reader_header(
    const struct framefile_reader *);

/**
 * framefile_reader_free(fr):
 * Free ${fr}; NULL is allowed.
 */
void framefile_reader_free(struct framefile_reader *);

/**
 * framefile_reader_hash(fr, hash):
 * BLAKE2b-256 of the whole file ${fr} has open (the same open file its
 * frames are read from, so a file renamed into its place afterwards is
 * not the one checked).
 */
int framefile_reader_hash(const struct framefile_reader *, uint8_t *);

#endif /* !QS_FRAMEFILE_H */
