#ifndef QS_PUT_H
#define QS_PUT_H

/*
 * Ingest: read a stream, cut it into content-defined chunks, store each new
 * chunk once (compressed, sealed) and commit a manifest.
 *
 * Pipeline (uses every core): the calling thread reads and chunks; worker
 * threads compute chunk ids and compress new chunks; a committer thread
 * takes chunks in stream order, decides new or duplicate against the index,
 * and writes records, index entries and the manifest.  Memory is bounded
 * by a fixed number of chunk slots, whatever the stream's length.
 *
 * Durability order: containers are committed before the index segment that
 * points into them, and both before the manifest, which is created last
 * under its final name (never replacing one).  A put that fails or is
 * killed leaves no stream, only unreferenced data that clean reclaims.
 */

#include <stddef.h>
#include <stdint.h>

struct store;
struct manifest_summary;

/*
 * A scanner of the stream being put (the tar scan of index/tar attaches
 * itself as one; put knows nothing of what it scans).  All three are
 * called from put's reading thread:
 * - feed(ctx, buf, len): every block read, in order, as soon as it is read;
 * - next_cut(ctx, pos, limit): the first offset in (${pos}, ${limit}) where
 *   a chunk should end (a member start), or UINT64_MAX; put has fed the
 *   scanner ${lookahead} bytes past ${limit} first, or all there is;
 * - finish(ctx, ok, sum): called exactly once per put_stream.  With ${ok},
 *   before the manifest is written, to complete ${sum} (a non-zero return
 *   abandons the put with that error); else the put failed (${sum} NULL).
 */
struct put_scanner_ops {
	int (*feed)(void *, const uint8_t *, size_t);
	uint64_t (*next_cut)(void *, uint64_t, uint64_t);
	int (*finish)(void *, int, struct manifest_summary *);
};

struct put_scanner {
	const struct put_scanner_ops *ops;
	void *ctx;
	size_t lookahead;	/* bytes fed past a chunk's end before next_cut */
};

struct put_progress {
	uint64_t bytes_in;	/* read from the input */
	uint64_t committed;	/* of them, in chunks written to the stream */
	uint64_t new_bytes;	/* of those, in chunks new to the store */
};

struct put_opts {
	int threads;		/* worker threads; 0: one per core */
	const char *input_name;	/* for messages; NULL: standard input */
	/* Called from the reading thread about every MiB and at the end. */
	void (*progress)(void *, const struct put_progress *);
	void *progress_ctx;
	uint64_t index_flush_entries;	/* 0: default (256 Ki entries) */
	/*
	 * Replace the existing live stream of that name instead of refusing
	 * it (clean re-chunking data written before encryption).
	 */
	int replace;
	/*
	 * Called once the input has ended, before the manifest is committed;
	 * a non-zero return abandons the put with that error.
	 */
	int (*before_commit)(void *);
	void *before_commit_ctx;
	/*
	 * Refuse a stream of 0 bytes (QS_EINPUT): a backup whose producer
	 * wrote nothing is a failed backup (qsarc put without --allow-empty).
	 */
	int refuse_empty;
	/* NULL, or the stream's scanner (index/tar/tarscan.h attaches one). */
	struct put_scanner *scanner;
	/* Replicated streams: where from (both set, or both NULL). */
	const uint8_t *origin_store_id;	/* 16 bytes */
	const uint8_t *origin_hash;	/* 32 bytes: the source's hash */
};

struct put_result {
	uint64_t length;
	uint64_t chunks;
	uint64_t new_chunks;
	uint64_t new_raw_bytes;
	uint64_t new_stored_bytes;
	int64_t created;
};

/**
 * put_stream(s, name, fd, opts, now, result):
 * Store everything read from ${fd} until end of file as stream ${name},
 * ingested at time ${now}.  QS_EEXIST if the name is taken (checked before
 * reading and again at commit), QS_EINPUT if reading fails, and the errors
 * of the layers below.  Nothing is visible under ${name} unless QS_OK.
 */
int put_stream(struct store *, const char *, int, const struct put_opts *,
    int64_t, struct put_result *);

#endif /* !QS_PUT_H */
