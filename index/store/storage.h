#ifndef QS_STORAGE_H
#define QS_STORAGE_H

/*
 * Where a store's files live: the one small interface between the store
 * engine and its storage, with two implementations, a local directory
 * (storage_local.c) and an S3 bucket prefix (storage_s3.c).
 *
 * A file is named by its path relative to the store root ("config",
 * "streams/nightly", "data/00/0123...qsc"), '/'-separated, without "." or
 * ".." components.  The guarantees are those both back ends can give:
 *
 *   put      the whole content appears at once or not at all, and is
 *            durable when put returns (local: temporary file, fsync,
 *            rename, fsync of the directory; S3: one PUT, which is atomic).
 *            With STORAGE_NOREPLACE an existing file is never replaced
 *            (local: link(2)-based rename; S3: If-None-Match: *).
 *   read     any byte range of a file; files are never modified in place.
 *   list     the names under a directory prefix, with sizes, sorted.
 *   remove   a missing file is not an error.
 *
 * Status: the engine does not use this yet; moving index/store and
 * index/chunk onto it is the next step of issue 15 (see index/store/README).
 */

#include <stddef.h>
#include <stdint.h>

struct storage;
struct s3_conf;

#define STORAGE_NOREPLACE	1	/* put: QS_EEXIST if the name is taken */
#define STORAGE_READONLY	2	/* put: a file nobody should write (0400) */

/**
 * storage_open_local(root, st):
 * Storage in the existing directory ${root}.  QS_OK, QS_ENOENT, QS_ENOMEM.
 */
int storage_open_local(const char *, struct storage **);

/**
 * storage_open_s3(conf, st):
 * Storage under the bucket and prefix of ${conf}.  No request is made.
 */
int storage_open_s3(const struct s3_conf *, struct storage **);

/**
 * storage_close(st):
 * Free ${st} (NULL is allowed).
 */
void storage_close(struct storage *);

/**
 * storage_name(st):
 * How errors name this storage: the directory, or "s3://BUCKET/PREFIX".
 */
const char *storage_name(const struct storage *);

/**
 * storage_put(st, rel, buf, len, flags):
 * Store ${len} bytes at ${buf} as the file ${rel}, as described above.
 * QS_OK, QS_EEXIST (STORAGE_NOREPLACE and the name is taken), QS_ENOSPC,
 * QS_EIO, QS_EINVAL (a malformed name).
 */
int storage_put(struct storage *, const char *, const void *, size_t, int);

/**
 * storage_read(st, rel, off, len, buf, got):
 * Read up to ${len} bytes of ${rel} from ${off}; the count read is in
 * ${got}, short only at the end of the file.  QS_ENOENT if there is no
 * such file; QS_ECORRUPT if a local path is not a regular file.
 */
int storage_read(struct storage *, const char *, uint64_t, size_t, void *,
    size_t *);

/**
 * storage_size(st, rel, size):
 * The size of ${rel} in ${size}; QS_ENOENT if there is no such file.
 */
int storage_size(struct storage *, const char *, uint64_t *);

/**
 * storage_list(st, dir, fn, ctx):
 * Call ${fn}(ctx, name, size) for each file directly in the directory
 * ${dir} ("" for the root, else "data/00" and the like), in byte order of
 * the name; ${name} is relative to ${dir}.  Subdirectories (local) and
 * deeper keys (S3) are not listed, nor temporary files of an unfinished
 * local put.  A missing directory lists nothing.  A non-zero return of
 * ${fn} stops the walk and is returned.
 */
int storage_list(struct storage *, const char *,
    int (*)(void *, const char *, uint64_t), void *);

/**
 * storage_remove(st, rel):
 * Remove ${rel}; a missing file is QS_OK.
 */
int storage_remove(struct storage *, const char *);

/*
 * The store lock.  Shared holders (readers, put) run together; an
 * exclusive holder (clean, rekey, encrypt) runs alone.
 *
 * Local: flock(2) on ROOT/lock, released by the kernel when the process
 * dies.  S3 has no such thing, so the lock there is a lease: each holder
 * creates its own object locks/{S|X}-RANDOM (If-None-Match: *), then lists
 * locks/; it holds the lock if no other live entry conflicts with its mode,
 * else it deletes its entry and tries again after a random pause until the
 * timeout.  Because every holder writes before it reads and the bucket is
 * strongly consistent, two conflicting holders cannot both see themselves
 * alone (at worst both back off).  An entry is live while its LastModified
 * is less than the lease old by the server's clock; a thread re-writes it
 * every lease/3.  A holder that could not renew for a whole lease has lost
 * the lock (others may delete its entry as stale): storage_lock_check says
 * so, and callers check it before every step that commits (a manifest
 * written, a container deleted), so a process that was stopped or cut off
 * never commits after its lease ran out.
 *
 *      holder state        entry in locks/      others see
 *      ------------------  -------------------  ------------------------
 *      trying              written, then listed  a live entry (may back off)
 *      holding             renewed every L/3     live: conflicting modes wait
 *      renewal failing     older than L/3..L     still live
 *      lost (> L unrenewed) stale, may be deleted free; check() fails
 *      released            deleted               free
 *      crashed             stale after L         free after L (no break-lock)
 */

#define STORAGE_LOCK_SHARED	1
#define STORAGE_LOCK_EXCLUSIVE	2
#define STORAGE_LEASE_MS_DEFAULT	60000

struct storage_lock;

/**
 * storage_lock_take(st, mode, holder, timeout_ms, lease_ms, busy, busylen,
 *     lk):
 * Take the store lock in ${mode}, waiting at most ${timeout_ms}; ${holder}
 * is the text others are shown while it is held ("pid N on HOST, COMMAND,
 * since TIME").  ${lease_ms} is the S3 lease (0: the default; ignored
 * locally).  QS_OK and the lock in ${lk}; QS_EBUSY with the holder text of
 * who is in the way in ${busy}; QS_ENOENT if a local store has no lock
 * file; QS_EIO.
 */
int storage_lock_take(struct storage *, int, const char *, int, int, char *,
    size_t, struct storage_lock **);

/**
 * storage_lock_check(lk):
 * QS_OK if ${lk} is surely still held; QS_EBUSY with a detail if its lease
 * may have run out (S3: not renewed for a lease).
 */
int storage_lock_check(struct storage_lock *);

/**
 * storage_lock_release(lk):
 * Release ${lk} (NULL is allowed).
 */
void storage_lock_release(struct storage_lock *);

#endif /* !QS_STORAGE_H */
