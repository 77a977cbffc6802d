#ifndef QS_CATALOGUE_H
#define QS_CATALOGUE_H

/*
 * Tar catalogues: the members of a tar stream with the byte range of each
 * in the stream, in a frame file "STORE/catalogs/HEX.qct" (format in
 * format/catalogue_fmt.h and spec/CATALOGUE.md).  The manifest's
 * summary names the file and holds a hash of it, so a catalogue cannot be
 * swapped for another; the file is committed before the manifest, and one
 * that no manifest names is a leftover that clean removes.
 */

#include <stdint.h>

#include "format/catalogue_fmt.h"
#include "format/manifest_fmt.h"

struct store;
struct catalogue_writer;
struct catalogue_reader;

/**
 * catalogue_writer_new(s, cw):
 * Start a new catalogue file under a fresh random id.
 */
int catalogue_writer_new(struct store *, struct catalogue_writer **);

/**
 * catalogue_writer_add(cw, m):
 * Append member ${m}.  Members are written in stream order.
 */
int catalogue_writer_add(struct catalogue_writer *, const struct catalogue_member *);

/**
 * catalogue_writer_commit(cw, end, id, hash):
 * Write the final frame ${end}, commit the file, and return its id and the
 * BLAKE2b-256 of its bytes (for the manifest summary).  Frees ${cw}.
 */
int catalogue_writer_commit(struct catalogue_writer *, const struct catalogue_end *,
    uint8_t[16], uint8_t[32]);

/**
 * catalogue_writer_free(cw):
 * Abandon an uncommitted catalogue.  NULL is allowed.
 */
void catalogue_writer_free(struct catalogue_writer *);

/**
 * catalogue_reader_open(s, summary, cr):
 * Open the catalogue a manifest summary names, checking the file's hash
 * against it.  QS_ENOENT if the stream has no catalogue.
 */
int catalogue_reader_open(struct store *, const struct manifest_summary *,
    struct catalogue_reader **);

/**
 * catalogue_reader_open_stream(s, name, expired, cr):
 * As catalogue_reader_open for the summary of stream ${name} (in expired/
 * if ${expired}): its manifest is read and authenticated first.  QS_ENOENT
 * if the stream has no catalogue (or, with a detail, no such stream).
 */
int catalogue_reader_open_stream(struct store *, const char *, int,
    struct catalogue_reader **);

/**
 * catalogue_reader_end(cr):
 * The catalogue's final record: status, member count, where the scan
 * stopped and why.
 */
const struct catalogue_end *catalogue_reader_end(const struct catalogue_reader *);

/**
 * catalogue_reader_next(cr, m):
 * The next member (strings valid until the next call; not NUL-terminated,
 * use the lengths): QS_OK, 1 after the last, or an error.
 */
int catalogue_reader_next(struct catalogue_reader *, struct catalogue_member *);

/**
 * catalogue_reader_free(cr):
 * Free ${cr}; NULL is allowed.
 */
void catalogue_reader_free(struct catalogue_reader *);

/**
 * catalogue_remove_unreferenced(s, dry_run, removed):
 * Delete catalogue files that no manifest (live or expired) names; count
 * them in ${removed}.  For clean, under the exclusive lock.
 */
int catalogue_remove_unreferenced(struct store *, int, uint64_t *);

#endif /* !QS_CATALOGUE_H */
