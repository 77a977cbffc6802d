#ifndef QS_RESEAL_H
#define QS_RESEAL_H

/*
 * Resealing a stream's metadata under the store's current key, for a key
 * mode change (rekey_change_mode): the manifest's frames are rewritten
 * and its tar catalogue, if any, is copied with it.  Chunk ids and the
 * stream hash do not change, so nothing else is touched.
 */

struct store;
struct manifest_summary;

/**
 * reseal_manifest(s, name, expired):
 * Rewrite the manifest of ${name} (in expired/ if ${expired}) under the
 * store's current key, checking every frame, and replace the file
 * atomically; its tar catalogue moves to the current key with it (see
 * reseal_catalogue).  The summary (name, times, sizes, stream hash) is
 * otherwise unchanged.
 */
int reseal_manifest(struct store *, const char *, int);

/**
 * reseal_catalogue(s, sum):
 * Copy the catalogue that ${sum} names into a new catalogue file sealed
 * under the store's current key, and point ${sum} at it (new id and hash).
 * The old file stays until nothing names it (clean removes it).
 */
int reseal_catalogue(struct store *, struct manifest_summary *);

#endif /* !QS_RESEAL_H */
