#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/chunkid.h"
#include "crypto/secmem.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/chunk/chunker.h"
#include "index/chunk/chunkindex.h"
#include "index/store/chunk_compressor.h"
#include "index/store/container.h"
#include "index/stream/put.h"
#include "index/store/store.h"
#include "index/store/manifest.h"

/*
 * The put pipeline is a ring of chunk slots.  Three sequence numbers walk
 * it, each owned by one thread: next_fill (the reader), decide_seq and
 * write_seq (the committer), with write_seq <= decide_seq <= next_fill.
 * Slot seq lives at slots[seq % nslots]; [write_seq, next_fill) are in
 * use, the others FREE.  One mutex (mu) guards every state and sequence
 * number; the slow work (hashing, compressing, writing) is done with mu
 * released, by the one thread whose state marks the slot as its own.
 *
 *   from          to               by         when / then
 *   FREE          FILLED           reader     slot next_fill is FREE (else
 *                                             wait cv_free); bytes copied
 *                                             in without mu; next_fill++,
 *                                             signal cv_work
 *   FILLED        HASHING          worker     oldest FILLED/NEED_COMPRESS
 *   HASHING       HASHED           worker     id computed; signal cv_commit
 *   HASHED        DUPLICATE or     committer  only slot decide_seq: in the
 *                 NEED_COMPRESS               index or already in flight?
 *                                             decide_seq++; signal cv_work
 *                                             if NEED_COMPRESS
 *   NEED_COMPRESS COMPRESSING      worker     oldest, as for FILLED
 *   COMPRESSING   COMPRESSED       worker     compressed; signal cv_commit
 *   DUPLICATE or  FREE             committer  only slot write_seq: record,
 *   COMPRESSED                                index entry and manifest
 *                                             reference written without
 *                                             mu; write_seq++, signal
 *                                             cv_free
 *
 * Who waits on what: the reader on cv_free (its next slot is in use); the
 * workers on cv_work (nothing FILLED or NEED_COMPRESS); the committer on
 * cv_commit (neither its decide slot nor its write slot is ready).  A
 * signal wakes one waiter, which is enough where one thread waits (reader,
 * committer) or one slot became workable (workers).  Broadcasts are for
 * the ends: put_fail sets ${failed} and wakes everyone on all three; the
 * reader sets ${eof} and wakes workers and committer, which leave once
 * write_seq == next_fill (the committer wakes the workers for that too).
 *
 * Deciding in stream order, one slot at a time, is what makes a chunk that
 * occurs twice in one stream stored once: the index learns of a chunk only
 * when its record is written, so the committer also looks for the same id
 * among the slots decided new but not yet written (in_flight).
 */
#define DEFAULT_FLUSH_ENTRIES	(256U * 1024)
/*
 * The progress callback about every MiB: it only notes the figures, the
 * caller redraws on its own timer (cmd/cmd_progress.c), so a short stream
 * shows progress too (every 64 MiB, a 28 MiB stream showed nothing).
 */
#define PROGRESS_EVERY	(1ULL << 20)
/*
 * Raw bytes of all slots together: bounds put's memory whatever the
 * stream's length (about twice this with the compression buffers).
 */
#define SLOT_MEMORY		(16U << 20)
#define MAX_WORKERS		16


enum slot_state {
	SLOT_FREE,
	SLOT_FILLED,		/* bytes in, id not yet computed */
	SLOT_HASHING,
	SLOT_HASHED,		/* id known, new or duplicate not decided */
	SLOT_NEED_COMPRESS,	/* new: to be compressed */
	SLOT_COMPRESSING,
	SLOT_COMPRESSED,	/* new, ready to be written */
	SLOT_DUPLICATE		/* already stored: only a reference */
};

/* One chunk on its way through the pipeline (see the table above). */
struct slot {
	enum slot_state state;
	uint8_t *data;		/* chunk_max bytes; plaintext: wiped at the end */
	size_t len;
	uint8_t id[32];
	uint8_t *cbuf;		/* payload: compressed, or raw if not smaller */
	size_t clen;
	uint8_t flags;		/* RECORD_FLAG_ZSTD or 0, from the compressor */
	/*
	 * How far data and cbuf were ever written, for the wipe at the end:
	 * wiping the whole buffers faulted in pages a small put never used.
	 */
	size_t data_used, cbuf_used;
};

struct put_ctx {
	struct store *store;
	struct chunkindex *idx;
	const uint8_t *idkey;
	int level;
	uint64_t flush_entries;
	size_t chunk_max;

	pthread_mutex_t mu;
	pthread_cond_t cv_work;		/* workers: something to hash/compress */
	pthread_cond_t cv_commit;	/* committer: a slot became ready */
	pthread_cond_t cv_free;		/* reader: a slot became free */
	struct slot *slots;
	size_t nslots;
	uint64_t next_fill;		/* sequence numbers of chunks */
	uint64_t decide_seq;
	uint64_t write_seq;
	int eof;			/* the reader has submitted its last chunk */
	int failed;			/* first error, 0 while all is well */
	struct qs_error error;		/* its detail, from the thread that failed */

	struct container_writer *cw;
	struct manifest_writer *mw;
	struct put_result res;
};

static struct slot *
slot_of(struct put_ctx *p, uint64_t seq)
{

	return (&p->slots[seq % p->nslots]);
}

/* Record the first failure (with this thread's detail) and stop everyone. */
static void
put_fail(struct put_ctx *p, int rc)
{

	pthread_mutex_lock(&p->mu);
	if (!p->failed) {
		p->failed = rc;
		qs_error_save(&p->error);
		p->error.code = rc;
	}
	pthread_cond_broadcast(&p->cv_work);
	pthread_cond_broadcast(&p->cv_commit);
	pthread_cond_broadcast(&p->cv_free);
	pthread_mutex_unlock(&p->mu);
}

/*
 * A worker: hash FILLED slots and compress NEED_COMPRESS ones, oldest
 * first, until the stream is done or the put failed.  Each worker has its
 * own compressor (zstd contexts are not shared between threads).
 */
static void *
worker_main(void *arg)
{
	struct put_ctx *p = arg;
	struct chunk_compressor *cc = NULL;
	struct slot *sl, *pick;
	int rc;

	if ((rc = chunk_compressor_new(p->level, &cc)) != QS_OK) {
		put_fail(p, rc);
		return (NULL);
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->failed)
			break;
		/* The oldest chunk that needs work keeps the line moving. */
		pick = NULL;
		for (uint64_t seq = p->write_seq; seq < p->next_fill; seq++) {
			sl = slot_of(p, seq);
			if (sl->state == SLOT_FILLED ||
			    sl->state == SLOT_NEED_COMPRESS) {
				pick = sl;
				break;
			}
		}
		if (pick == NULL) {
			if (p->eof && p->write_seq == p->next_fill)
				break;
			pthread_cond_wait(&p->cv_work, &p->mu);
			continue;
		}
		if (pick->state == SLOT_FILLED) {
			pick->state = SLOT_HASHING;
			pthread_mutex_unlock(&p->mu);
			chunkid_compute(p->idkey, pick->data, pick->len,
			    pick->id);
			pthread_mutex_lock(&p->mu);
			pick->state = SLOT_HASHED;
		} else {
			pick->state = SLOT_COMPRESSING;
			pthread_mutex_unlock(&p->mu);
			/* The compressor may write up to the bound. */
			if (chunk_compressor_bound(pick->len) > pick->cbuf_used)
				pick->cbuf_used =
				    chunk_compressor_bound(pick->len);
			rc = chunk_compressor_run(cc, pick->data, pick->len,
			    pick->cbuf, chunk_compressor_bound(pick->len),
			    &pick->clen, &pick->flags);
			pthread_mutex_lock(&p->mu);
			if (rc != QS_OK) {
				pthread_mutex_unlock(&p->mu);
				put_fail(p, rc);
				pthread_mutex_lock(&p->mu);
				break;
			}
			pick->state = SLOT_COMPRESSED;
		}
		pthread_cond_signal(&p->cv_commit);
	}
	pthread_mutex_unlock(&p->mu);
	chunk_compressor_free(cc);
	return (NULL);
}

/* Is an identical chunk already on its way to being written? (mu held) */
static int
in_flight(struct put_ctx *p, const uint8_t id[32])
{
	struct slot *sl;

	for (uint64_t seq = p->write_seq; seq < p->decide_seq; seq++) {
		sl = slot_of(p, seq);
		if (sl->state != SLOT_DUPLICATE &&
		    memcmp(sl->id, id, 32) == 0)
			return (1);
	}
	return (0);
}

/*
 * Write slot ${sl} (the one at write_seq; mu not held): a new chunk gets
 * its record and a staged index entry, every chunk a manifest reference.
 */
static int
commit_one(struct put_ctx *p, struct slot *sl)
{
	struct chunk_loc loc;
	int rc;

	if (sl->state == SLOT_COMPRESSED) {
		if ((rc = container_writer_append(p->cw, sl->id,
		    (uint32_t)sl->len, sl->flags, sl->cbuf, sl->clen, &loc))
		    != QS_OK)
			return (rc);
		if ((rc = chunkindex_stage(p->idx, sl->id, &loc)) != QS_OK)
			return (rc);
		p->res.new_chunks++;
		p->res.new_raw_bytes += sl->len;
		p->res.new_stored_bytes += loc.length;
		/* Entries may be published once their container is durable. */
		if (chunkindex_staged_count(p->idx) >= p->flush_entries) {
			if ((rc = container_writer_finish(p->cw)) != QS_OK ||
			    (rc = chunkindex_flush(p->idx)) != QS_OK)
				return (rc);
		}
	}
	p->res.chunks++;
	p->res.length += sl->len;
	return (manifest_writer_add(p->mw, sl->id, (uint32_t)sl->len));
}

/*
 * The committer: the only thread that decides and writes, both strictly
 * in stream order, so that the manifest lists chunks in order and a
 * repeated chunk is decided against its first occurrence.
 */
static void *
committer_main(void *arg)
{
	struct put_ctx *p = arg;
	struct chunk_loc loc;
	struct slot *sl;
	int progress, found, rc;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->failed)
			break;
		progress = 0;
		/* Step 1: decide the next hashed chunk, new or duplicate. */
		if (p->decide_seq < p->next_fill &&
		    slot_of(p, p->decide_seq)->state == SLOT_HASHED) {
			sl = slot_of(p, p->decide_seq);
			found = in_flight(p, sl->id);
			/* The index lookup may read a segment: not under mu. */
			pthread_mutex_unlock(&p->mu);
			if (!found) {
				rc = chunkindex_lookup(p->idx, sl->id, &loc);
				found = (rc == QS_OK);
			}
			pthread_mutex_lock(&p->mu);
			sl->state = found ? SLOT_DUPLICATE :
			    SLOT_NEED_COMPRESS;
			if (!found)
				pthread_cond_signal(&p->cv_work);
			p->decide_seq++;
			progress = 1;
		}
		/* Step 2: write the oldest decided chunk once it is ready. */
		if (p->write_seq < p->decide_seq) {
			sl = slot_of(p, p->write_seq);
			if (sl->state == SLOT_DUPLICATE ||
			    sl->state == SLOT_COMPRESSED) {
				pthread_mutex_unlock(&p->mu);
				rc = commit_one(p, sl);
				if (rc != QS_OK) {
					put_fail(p, rc);
					pthread_mutex_lock(&p->mu);
					break;
				}
				pthread_mutex_lock(&p->mu);
				sl->state = SLOT_FREE;
				p->write_seq++;
				pthread_cond_signal(&p->cv_free);
				/* Workers may be waiting for the end. */
				if (p->eof && p->write_seq == p->next_fill)
					pthread_cond_broadcast(&p->cv_work);
				progress = 1;
			}
		}
		/* Step 3: leave at the end, else wait only if stuck. */
		if (p->eof && p->write_seq == p->next_fill)
			break;
		if (!progress)
			pthread_cond_wait(&p->cv_commit, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return (NULL);
}

/* Hand one chunk to the pipeline; wait for a free slot. */
static int
submit_chunk(struct put_ctx *p, const uint8_t *data, size_t len)
{
	struct slot *sl;

	pthread_mutex_lock(&p->mu);
	sl = slot_of(p, p->next_fill);
	while (!p->failed && sl->state != SLOT_FREE)
		pthread_cond_wait(&p->cv_free, &p->mu);
	if (p->failed) {
		pthread_mutex_unlock(&p->mu);
		return (p->failed);
	}
	pthread_mutex_unlock(&p->mu);
	/* The slot is ours until it is marked FILLED. */
	memcpy(sl->data, data, len);
	sl->len = len;
	if (len > sl->data_used)
		sl->data_used = len;
	pthread_mutex_lock(&p->mu);
	sl->state = SLOT_FILLED;
	p->next_fill++;
	pthread_cond_signal(&p->cv_work);
	pthread_mutex_unlock(&p->mu);
	return (QS_OK);
}

/*
 * Read ${fd} to the end, chunking and submitting as we go (the calling
 * thread of put_stream).  The buffer holds at least a maximal chunk plus
 * the scanner's lookahead past it, so a cut can always be decided on the
 * bytes in hand; it is twice that plus 4 MiB so that most reads are large
 * and the memmove that keeps the window at the front is rare.
 */
static int
read_and_chunk(struct put_ctx *p, int fd, const struct put_opts *o)
{
	const struct store_config *cfg = store_config(p->store);
	struct chunker_params cp = { cfg->chunk_min, cfg->chunk_avg,
	    cfg->chunk_max };
	struct put_progress prog = { 0, 0, 0 };
	struct chunker *ch;
	uint64_t gear[256];
	uint64_t next_report = PROGRESS_EVERY;
	const struct put_scanner *sc = (o != NULL) ? o->scanner : NULL;
	size_t lookahead = (sc != NULL) ? sc->lookahead : 0;
	size_t want = cfg->chunk_max + lookahead;
	size_t cap = 2 * want + (4U << 20);
	size_t start = 0, end = 0, cut, window;
	uint64_t pos, forced;
	uint8_t *buf;
	ssize_t n;
	int eof = 0, rc = QS_OK;

	/* Step 1: a chunker with the store's (secret) gear table. */
	store_gear_table(p->store, gear);
	ch = chunker_new(&cp, gear);
	/* In an encrypted store the gear table is secret. */
	secmem_wipe(gear, sizeof(gear));
	if (ch == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((buf = malloc(cap)) == NULL) {
		chunker_free(ch);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	for (;;) {
		/*
		 * Step 2: fill the window: max_size (+ the scan's lookahead)
		 * bytes ahead.  The scanner sees each block as it is read,
		 * before any chunk is cut from it.
		 */
		while (!eof && end - start < want) {
			if (cap - end < want) {
				memmove(buf, buf + start, end - start);
				end -= start;
				start = 0;
			}
			n = read(fd, buf + end, cap - end);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				rc = qs_error_set(QS_EINPUT, "%s: read: %s",
				    (o != NULL && o->input_name != NULL) ?
				    o->input_name : "standard input",
				    strerror(errno));
				goto done;
			}
			if (n == 0)
				eof = 1;
			if (n > 0 && lookahead > 0 && (rc = sc->ops->feed(
			    sc->ctx, buf + end, (size_t)n)) != QS_OK)
				goto done;
			end += (size_t)n;
			prog.bytes_in += (uint64_t)n;
			/*
			 * Reported as read, not as cut: a stream that stalls
			 * before its first chunk shows what came in.  res
			 * is read without mu: progress figures only.
			 */
			if (o != NULL && o->progress != NULL &&
			    prog.bytes_in >= next_report) {
				prog.committed = p->res.length;
				prog.new_bytes = p->res.new_raw_bytes;
				o->progress(o->progress_ctx, &prog);
				next_report = prog.bytes_in + PROGRESS_EVERY;
			}
		}
		if (start == end)
			break;
		/* Step 3: where the next chunk ends. */
		forced = UINT64_MAX;
		if (lookahead > 0) {
			/*
			 * Cut where a tar member starts, once the chunk has
			 * its minimum size: a file then dedups against its
			 * earlier copy however the bytes before it shifted,
			 * while runs of small files share chunks (measured on
			 * the bench's tree and versions data: 4 KiB gave 6%
			 * and 9% more stored bytes, 32 KiB 43% more on
			 * versions).
			 */
			pos = prog.bytes_in - (end - start);
			window = end - start < cfg->chunk_max ? end - start :
			    cfg->chunk_max;
			forced = sc->ops->next_cut(sc->ctx,
			    pos + cfg->chunk_min - 1, pos + window);
		}
		if (forced != UINT64_MAX)
			cut = chunker_find_cut(ch, buf + start,
			    (size_t)(forced - pos), 1);
		else
			cut = chunker_find_cut(ch, buf + start, end - start,
			    eof);
		/* 0: the chunker needs more bytes than the window holds. */
		if (cut == 0)
			continue;
		/* Step 4: hand it on (waits while every slot is in use). */
		if ((rc = submit_chunk(p, buf + start, cut)) != QS_OK)
			goto done;
		start += cut;
	}
	if (o != NULL && o->progress != NULL) {
		prog.committed = p->res.length;
		prog.new_bytes = p->res.new_raw_bytes;
		o->progress(o->progress_ctx, &prog);
	}
done:
	/* Plaintext of the stream: wipe before free, as for the slots. */
	secmem_wipe(buf, cap);
	free(buf);
	chunker_free(ch);
	return (rc);
}

/* A sealed container was committed: stage each record's final place. */
static int
put_relocate(void *ctx, const uint8_t id[32], const struct chunk_loc *loc)
{

	return (chunkindex_stage(ctx, id, loc));
}

/*
 * Set up the pipeline for a put into ${s}: slots, the container writer
 * under the store's current key.  On failure ctx_free still cleans up.
 */
static int
ctx_init(struct put_ctx *p, struct store *s, const struct put_opts *o)
{
	const struct store_config *cfg = store_config(s);
	const uint8_t *key;
	uint16_t key_id;
	int rc;

	memset(p, 0, sizeof(*p));
	p->store = s;
	p->idx = store_index(s);
	p->level = cfg->zstd_level;
	p->flush_entries = (o != NULL && o->index_flush_entries) ?
	    o->index_flush_entries : DEFAULT_FLUSH_ENTRIES;
	store_write_keys(s, &key_id, &key, &p->idkey);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_work, NULL);
	pthread_cond_init(&p->cv_commit, NULL);
	pthread_cond_init(&p->cv_free, NULL);
	p->chunk_max = cfg->chunk_max;
	/*
	 * At least 8 slots, so that several chunks are in the pipeline even
	 * with huge chunks; at most 256, since in_flight and the workers'
	 * search scan the slots in use linearly, under mu.
	 */
	p->nslots = SLOT_MEMORY / cfg->chunk_max;
	if (p->nslots < 8)
		p->nslots = 8;
	if (p->nslots > 256)
		p->nslots = 256;
	if ((p->slots = calloc(p->nslots, sizeof(*p->slots))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	for (size_t i = 0; i < p->nslots; i++) {
		if ((p->slots[i].data = malloc(cfg->chunk_max)) == NULL ||
		    (p->slots[i].cbuf = malloc(chunk_compressor_bound(
		    cfg->chunk_max))) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	if ((rc = container_writer_new(s, key_id, key, &p->cw)) != QS_OK)
		return (rc);
	container_writer_set_relocate(p->cw, put_relocate, p->idx);
	return (QS_OK);
}

static void
ctx_free(struct put_ctx *p)
{

	container_writer_free(p->cw);
	manifest_writer_free(p->mw);
	if (p->slots != NULL) {
		for (size_t i = 0; i < p->nslots; i++) {
			/*
			 * Plaintext of an encrypted store, raw and
			 * compressed: wipe both before they go back to the
			 * allocator.
			 */
			if (p->slots[i].data != NULL)
				secmem_wipe(p->slots[i].data,
				    p->slots[i].data_used);
			if (p->slots[i].cbuf != NULL)
				secmem_wipe(p->slots[i].cbuf,
				    p->slots[i].cbuf_used);
			free(p->slots[i].data);
			free(p->slots[i].cbuf);
		}
		free(p->slots);
	}
	pthread_cond_destroy(&p->cv_work);
	pthread_cond_destroy(&p->cv_commit);
	pthread_cond_destroy(&p->cv_free);
	pthread_mutex_destroy(&p->mu);
}

/**
 * put_stream(s, name, fd, opts, now, result):
 * Store everything read from ${fd} as stream ${name}.
 */
int
put_stream(struct store *s, const char *name, int fd,
    const struct put_opts *o, int64_t now, struct put_result *result)
{
	struct manifest_summary *sum = NULL;
	pthread_t workers[MAX_WORKERS], committer;
	int nworkers, started = 0, committer_started = 0, scan_done = 0;
	long ncpu;
	struct put_ctx p;
	int rc, state;

	/*
	 * Step 1: refuse a taken name before reading anything, so a user
	 * does not pipe a whole backup in for nothing (checked again at
	 * commit, where it counts: a new manifest never replaces a file).
	 */
	if ((rc = manifest_fmt_name_check(name)) != QS_OK)
		return (rc);
	if ((state = store_stream_state(s, name)) < 0)
		return (state);
	if (o != NULL && o->replace) {
		if (state != 1)
			return (qs_error_set(QS_ENOENT, "%s: no live stream "
			    "named \"%s\" to replace", store_root(s), name));
	} else if (state != 0)
		return (qs_error_set(QS_EEXIST, "%s: a%s stream named \"%s\" "
		    "already exists", store_root(s), state == 2 ?
		    "n expired" : "", name));
	/*
	 * A store without its reserve (older, or short of room when it was
	 * due) gets one while there is room; clean manages its own.
	 */
	if (o == NULL || !o->replace)
		store_reserve_keep(store_root(s));
	/* Step 2: the pipeline and the manifest writer. */
	if ((rc = ctx_init(&p, s, o)) != QS_OK)
		goto done;
	if ((rc = (o != NULL && o->replace) ?
	    manifest_writer_replace(s, name, 0, &p.mw) :
	    manifest_writer_new(s, name, &p.mw)) != QS_OK)
		goto done;

	/* Step 3: start the committer and the workers. */
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	nworkers = (o != NULL && o->threads > 0) ? o->threads :
	    (ncpu > 0 ? (int)ncpu : 1);
	if (nworkers > MAX_WORKERS)
		nworkers = MAX_WORKERS;
	if (pthread_create(&committer, NULL, committer_main, &p) != 0) {
		rc = qs_error_set(QS_ENOMEM, "cannot start a thread");
		goto done;
	}
	committer_started = 1;
	for (started = 0; started < nworkers; started++)
		if (pthread_create(&workers[started], NULL, worker_main, &p)
		    != 0)
			break;
	/* Fewer workers than asked for is slower, not wrong. */
	if (started == 0) {
		rc = qs_error_set(QS_ENOMEM, "cannot start a thread");
		put_fail(&p, rc);
	} else {
		/* Step 4: this thread reads and chunks until end of input. */
		rc = read_and_chunk(&p, fd, o);
		if (rc != QS_OK)
			put_fail(&p, rc);
	}
	/* Step 5: no more chunks; the threads drain the ring and leave. */
	pthread_mutex_lock(&p.mu);
	p.eof = 1;
	pthread_cond_broadcast(&p.cv_work);
	pthread_cond_broadcast(&p.cv_commit);
	pthread_mutex_unlock(&p.mu);

done:
	for (int i = 0; i < started; i++)
		pthread_join(workers[i], NULL);
	if (committer_started)
		pthread_join(committer, NULL);
	/* The first failure wins, with the detail of the thread it hit. */
	if (committer_started && p.failed) {
		rc = p.failed;
		qs_error_restore(&p.error);
	}
	if (rc != QS_OK)
		goto out;

	if (o != NULL && o->refuse_empty && p.res.length == 0) {
		rc = qs_error_set(QS_EINPUT, "the input is empty (0 bytes): did "
		    "the program writing it fail?  Nothing was stored under "
		    "this name; --allow-empty stores it anyway");
		goto out;
	}

	/* Step 6: the caller's last word (pump_copy: did the read succeed?). */
	if (o != NULL && o->before_commit != NULL &&
	    (rc = o->before_commit(o->before_commit_ctx)) != QS_OK)
		goto out;

	/*
	 * Step 7: data, then index, then the manifest, each durable before
	 * the next names it: a crash in between leaves only unreferenced
	 * data, which clean reclaims.
	 */
	if ((rc = container_writer_finish(p.cw)) != QS_OK ||
	    (rc = chunkindex_flush(p.idx)) != QS_OK)
		goto out;
	if ((sum = calloc(1, sizeof(*sum))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto out;
	}
	/* Step 8: the scanner completes the summary (its catalogue). */
	if (o != NULL && o->scanner != NULL) {
		scan_done = 1;
		if ((rc = o->scanner->ops->finish(o->scanner->ctx, 1, sum)) !=
		    QS_OK)
			goto out;
	}
	if (o != NULL && o->origin_store_id != NULL) {
		sum->features |= MANIFEST_FEATURE_ORIGIN;
		memcpy(sum->origin_store_id, o->origin_store_id, 16);
		memcpy(sum->origin_hash, o->origin_hash, 32);
	}
	/* Step 9: the summary, and the commit that makes the stream exist. */
	sum->created = now;
	sum->length = p.res.length;
	sum->new_chunks = p.res.new_chunks;
	sum->new_raw_bytes = p.res.new_raw_bytes;
	sum->new_stored_bytes = p.res.new_stored_bytes;
	snprintf(sum->name, sizeof(sum->name), "%s", name);
	rc = manifest_writer_commit(p.mw, sum);
	p.mw = NULL;
	if (rc != QS_OK)
		goto out;
	p.res.created = now;
	*result = p.res;
	/* Keep the number of index segments small; failure is harmless. */
	if (chunkindex_compact(p.idx) != QS_OK)
		qs_error_clear();
out:
	/* A scanner is told of a failed put exactly once, too. */
	if (o != NULL && o->scanner != NULL && !scan_done)
		(void)o->scanner->ops->finish(o->scanner->ctx, 0, NULL);
	free(sum);
	ctx_free(&p);
	return (rc);
}
