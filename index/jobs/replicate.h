#ifndef QS_REPLICATE_H
#define QS_REPLICATE_H

/*
 * Copying streams from one store to another (qsarc replicate).
 *
 * Each stream is read from the source (every chunk checked) and put into
 * the target, which cuts, names, compresses and seals it with its own
 * secrets and settings: chunks the target already holds are not written
 * again, and its tar catalogue is made afresh from the bytes.  The target
 * stream records where it came from (source store id and stream hash), so
 * a later run knows it is already there; a name that exists on the target
 * with other content is an error, never overwritten.  Encrypted data stays
 * encrypted only if the target is encrypted.  Nothing here prints.
 */

#include <stddef.h>
#include <stdint.h>

struct put_progress;
struct store;

struct replicate_opts {
	const char *const *names;	/* the streams to copy; NULL: all */
	size_t nnames;			/* live streams of the source */
	int dry_run;			/* only count what would be copied */
	/*
	 * Called with each stream's name and length before it is copied
	 * (or, on a dry run, counted); may be NULL.
	 */
	void (*on_stream)(void *, const char *, uint64_t);
	void *ctx;
	/* put's progress callback for each stream copied; may be NULL. */
	void (*progress)(void *, const struct put_progress *);
	void *progress_ctx;
};

struct replicate_totals {
	uint64_t copied;		/* streams copied (would be, dry run) */
	uint64_t present;		/* streams already on the target */
	uint64_t chunks_sent;		/* chunks the target did not have */
	uint64_t bytes_sent;		/* their stored bytes */
	uint64_t bytes_skipped;		/* bytes the target held already */
	uint64_t logical;		/* stream bytes copied */
};

/**
 * replicate_plaintext_check(src_root, dst_root, allow_plain, plain):
 * Whether copying from the store at ${src_root} to the one at ${dst_root}
 * would put encrypted data in the clear: then ${plain} is 1, and unless
 * ${allow_plain} the answer is QS_EINVAL (refused, with the reason
 * recorded).  Reads only the two configs.
 */
int replicate_plaintext_check(const char *, const char *, int, int *);

/**
 * replicate_streams(src, dst, opts, totals):
 * Copy the streams ${opts} names (all live ones if none) from ${src} to
 * ${dst}, skipping those already there; counts go to ${totals} (zeroed
 * first).  Refuses two handles on the same store, a name that is expired
 * on the target, and a name there with other content (QS_EEXIST).  Stops
 * at the first error; the streams copied so far stay.
 */
int replicate_streams(struct store *, struct store *,
    const struct replicate_opts *, struct replicate_totals *);

#endif /* !QS_REPLICATE_H */
