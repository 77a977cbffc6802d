#ifndef QS_CLEAN_H
#define QS_CLEAN_H

/*
 * Space reclamation and the batch jobs that rewrite data (spec/FORMAT.md,
 * "Clean").  Runs under the exclusive store lock, in this order:
 *
 * 1. Reclaim.  Remove leftovers of killed commands (".tmp-*" files).  Mark
 *    the chunks the live streams reference in a Bloom filter (about ten
 *    bits per chunk, never a copy of the index; a false positive only
 *    keeps a dead chunk a little longer).  Delete the manifests of expired
 *    streams.  Then, container by container: a container with no live
 *    record is dropped; one whose dead bytes exceed the threshold is
 *    rewritten (new copy committed and indexed).  A new index holding only
 *    live entries replaces the old one, and only then are the dropped and
 *    rewritten containers deleted.
 * 2. Encrypt data written before encryption was enabled (encrypted stores
 *    only): each stream whose manifest is unencrypted is read back and put
 *    again under the same name (new cuts and ids under the keystore's
 *    secrets, sealed, its tar catalogue made again), one at a time, each
 *    when the free space holds its copy; when the next one does not fit,
 *    phase 1 runs again first to reclaim the plain chunks the conversions
 *    so far left dead, and a stream that still does not fit waits
 *    (encryption_waiting) while smaller ones go on.  At the end phase 1
 *    runs again, and once no plain chunk is left the plain keys leave the
 *    config.
 * 3. Retire content keys that protect no record, manifest or catalogue,
 *    from both keystore copies.
 *
 * Clean first deletes the store's reserve (store_reserve_*), so that on a
 * full file system what it writes before it can delete anything (a new
 * index, the stream set) has room, and makes it again at the end.  When
 * space is short the containers with no live record go before any is
 * rewritten, and a rewrite whose copy does not fit waits.
 *
 * Killed at any point, the store stays consistent; the next run finishes
 * the work.
 */

#include <stddef.h>
#include <stdint.h>

struct store;

struct clean_opts {
	int dry_run;
	double rewrite_threshold;	/* dead fraction that triggers a rewrite */
	double max_seconds;		/* 0: no limit */
	int64_t now;
	void (*progress)(void *, const char *, uint64_t, uint64_t);
	void *progress_ctx;
	/*
	 * Non-zero: streams re-put during encryption get their tar catalogue
	 * made again (index/tar/tarscan.h).  0: they get none.
	 */
	int catalogue;
};

struct clean_result {
	uint64_t stored_before, stored_after;
	uint64_t bytes_reclaimed;
	uint64_t containers_deleted;
	uint64_t containers_rewritten;
	uint64_t expired_removed;
	uint64_t tmp_removed;
	uint64_t catalogues_removed;	/* no manifest names them */
	uint64_t plain_bytes;		/* plain record bytes found */
	uint64_t bytes_encrypted;	/* plain record bytes encrypted */
	uint64_t manifests_rewritten;
	uint64_t manifests_upgraded;	/* version 1 -> 2 (frames bound) */
	/*
	 * Lack of space.  encryption_waiting: streams_waiting plain streams
	 * were left unconverted because even after reclaiming what the
	 * conversions so far had freed, the largest of them needed
	 * space_needed bytes free and space_free were.  rewrites_waiting:
	 * containers not rewritten for want of room for their copies.
	 * reserve_missing: the reserve could not be made again at the end.
	 */
	int encryption_waiting;
	uint64_t streams_waiting;
	uint64_t space_needed, space_free;
	uint64_t rewrites_waiting;
	int reserve_missing;
	uint16_t retired[1024];
	uint64_t keys_retired;
	int stopped_early;		/* --max-duration reached */
	double seconds;
};

#define CLEAN_DEFAULT_THRESHOLD	0.2

/**
 * clean_store(s, opts, res):
 * Run clean on store ${s} (opened exclusively).  With dry_run, change
 * nothing and fill ${res} with what a real run would do.  Returns QS_OK
 * (also when stopped early: see res->stopped_early) or an error.
 */
int clean_store(struct store *, const struct clean_opts *,
    struct clean_result *);

#endif /* !QS_CLEAN_H */
