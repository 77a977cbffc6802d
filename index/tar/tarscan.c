#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "index/tar/tarscan.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/tar/catalogue.h"
#include "index/tar/tarfind.h"
#include "index/stream/put.h"

/*
 * Blocks flow from put's reading thread to the scan thread through a
 * bounded queue.  The scan reports member starts into a small ring that
 * put's chunker consumes in order.  put waits for the scan only to learn
 * cut points: the scan must have been handed, and have asked for more
 * than, everything up to the chunk's end plus SCAN_LOOKAHEAD, so a header
 * that starts there has been parsed (a header longer than that is merely
 * not used as a cut point).
 */
#define QUEUE_BLOCKS	32
#define BLOCK_BYTES	(1U << 20)	/* pooled: no mmap and page faults per read */
#define SCAN_LOOKAHEAD	(1U << 20)
#define CUTS_MAX	4096
/*
 * TARSCAN_REFUSE_EMPTY: a tar with no member is what tar writes when it
 * found nothing to archive: zero blocks only (end-of-archive and padding),
 * 10 KiB with GNU tar's blocking factor of 20, at most 64 KiB with any
 * factor up to 128.  A longer stream, or one with any non-zero byte (an odd
 * header libarchive skipped), is not tar's "nothing" and is stored.
 */
#define EMPTY_TAR_MAX	(64U << 10)

struct block {
	uint8_t *data;
	size_t len;
};

struct tarscan {
	struct store *store;
	struct catalogue_writer *cw;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct block queue[QUEUE_BLOCKS];
	uint8_t *pool[QUEUE_BLOCKS + 2];	/* free blocks (mu held) */
	size_t npool;
	size_t qhead, qtail;		/* queued [qtail, qhead) */
	uint8_t *current;		/* block libarchive is reading */
	uint64_t fed;			/* bytes handed to the scan */
	uint64_t reported;		/* last member start reported */
	int eof;			/* no more input */
	int done;			/* the scan stopped (for any reason) */
	int starved;			/* the scan waits for input */
	int truncated;			/* the input ended inside a member */
	int allow_truncated;
	int refuse_empty;
	uint64_t members;		/* members catalogued */
	uint64_t fed_zero_check;	/* bytes checked for non-zero */
	int nonzero;			/* a non-zero byte among them */
	uint64_t cuts[CUTS_MAX];	/* member starts not yet consumed */
	size_t ncuts_head, ncuts_tail;
	/*
	 * Headers found by content (tarfind.h), wherever the tar starts; put
	 * cuts at both kinds.  Only put's reading thread uses it.
	 */
	struct tarfind *tf;
	struct catalogue_end end;
	int rc;				/* writing the catalogue failed */
	struct qs_error error;
	struct put_scanner scanner;	/* what put calls (see put.h) */
	int finished;			/* put has called finish */
};

/* Give a block back to the pool (mu held). */
static void
block_release(struct tarscan *ts, uint8_t *b)
{

	if (b == NULL)
		return;
	if (ts->npool < sizeof(ts->pool) / sizeof(ts->pool[0]))
		ts->pool[ts->npool++] = b;
	else
		free(b);
}

/* libarchive's read callback: the next queued block, or end of input. */
static la_ssize_t
scan_read(struct archive *a, void *ctx, const void **buf)
{
	struct tarscan *ts = ctx;
	struct block b;

	(void)a;
	pthread_mutex_lock(&ts->mu);
	block_release(ts, ts->current);
	ts->current = NULL;
	while (ts->qtail == ts->qhead && !ts->eof) {
		ts->starved = 1;
		pthread_cond_broadcast(&ts->cv);
		pthread_cond_wait(&ts->cv, &ts->mu);
	}
	ts->starved = 0;
	if (ts->qtail == ts->qhead) {
		pthread_mutex_unlock(&ts->mu);
		return (0);
	}
	b = ts->queue[ts->qtail % QUEUE_BLOCKS];
	ts->qtail++;
	ts->current = b.data;
	pthread_cond_broadcast(&ts->cv);
	pthread_mutex_unlock(&ts->mu);
	*buf = b.data;
	return ((la_ssize_t)b.len);
}

static void
add_cut(struct tarscan *ts, uint64_t pos)
{

	pthread_mutex_lock(&ts->mu);
	/* A full ring only loses cut points, never data. */
	if (ts->ncuts_head - ts->ncuts_tail < CUTS_MAX) {
		ts->cuts[ts->ncuts_head % CUTS_MAX] = pos;
		ts->ncuts_head++;
	}
	if (pos > ts->reported)
		ts->reported = pos;
	pthread_cond_broadcast(&ts->cv);
	pthread_mutex_unlock(&ts->mu);
}

static uint8_t
member_type(struct archive_entry *e)
{

	if (archive_entry_hardlink(e) != NULL)
		return (MEMBER_HARDLINK);
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:	return (MEMBER_FILE);
	case AE_IFDIR:	return (MEMBER_DIR);
	case AE_IFLNK:	return (MEMBER_SYMLINK);
	case AE_IFCHR:	return (MEMBER_CHARDEV);
	case AE_IFBLK:	return (MEMBER_BLOCKDEV);
	case AE_IFIFO:	return (MEMBER_FIFO);
	case AE_IFSOCK:	return (MEMBER_SOCKET);
	default:	return (MEMBER_OTHER);
	}
}

static size_t
clamp_len(const char *s, size_t max)
{

	return (s == NULL ? 0 : strnlen(s, max));
}

/*
 * libarchive's idea of where the current header starts; a hostile header
 * can make it go backwards or negative, so never before ${last}.
 */
static uint64_t
header_position(struct archive *a, uint64_t last)
{
	la_int64_t p = archive_read_header_position(a);

	return (p < 0 || (uint64_t)p < last ? last : (uint64_t)p);
}

/*
 * The input ended inside a member: the producer was probably killed (or
 * the pipe closed early).  libarchive says so in its message.
 */
static void
note_truncation(struct tarscan *ts, const char *err)
{

	if (err != NULL && strstr(err, "Truncated") != NULL)
		ts->truncated = 1;
}

/* The length of the whole input, once put has fed all of it. */
static uint64_t
input_end(struct tarscan *ts)
{
	uint64_t end;

	pthread_mutex_lock(&ts->mu);
	while (!ts->eof) {
		/* Keep taking blocks meanwhile, or put would wait on us. */
		while (ts->qtail < ts->qhead) {
			block_release(ts,
			    ts->queue[ts->qtail % QUEUE_BLOCKS].data);
			ts->qtail++;
		}
		ts->starved = 1;
		pthread_cond_broadcast(&ts->cv);
		if (!ts->eof)
			pthread_cond_wait(&ts->cv, &ts->mu);
	}
	end = ts->fed;
	pthread_mutex_unlock(&ts->mu);
	return (end);
}

/* Write the member held in ${m}, now that its end is known. */
static int
emit(struct tarscan *ts, struct catalogue_member *m, uint64_t end)
{

	m->end_offset = end;
	ts->members++;
	return (catalogue_writer_add(ts->cw, m));
}

/*
 * Keep the first catalogue write error; the scan goes on reporting cuts
 * (put's chunks must not depend on it) and finish returns the error.
 */
static void
scan_fail(struct tarscan *ts, int rc)
{

	if (ts->rc == QS_OK) {
		ts->rc = rc;
		qs_error_save(&ts->error);
	}
}

/*
 * The scan thread.  A member's end is known only when the next header (or
 * the end) is found, so each member is held in ${m} until then.
 */
static void *
scan_main(void *arg)
{
	struct tarscan *ts = arg;
	struct archive *a;
	struct archive_entry *e;
	struct catalogue_member m;
	char *path = NULL, *link = NULL, *uname = NULL, *gname = NULL;
	const char *err;
	int have = 0, first = 1, r;
	uint64_t pos, last = 0;

	/* Step 1: a libarchive reader for tar only, fed by scan_read. */
	memset(&ts->end, 0, sizeof(ts->end));
	if ((a = archive_read_new()) == NULL) {
		ts->end.status = CATALOGUE_STOPPED;
		snprintf(ts->end.message, sizeof(ts->end.message),
		    "libarchive: out of memory");
		goto drain;
	}
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	/* Archives written one after another, as "tar -A" makes. */
	(void)archive_read_set_options(a, "tar:read_concatenated_archives");
	if (archive_read_open(a, ts, NULL, scan_read, NULL) != ARCHIVE_OK) {
		ts->end.status = CATALOGUE_NOT_TAR;
		goto close;
	}
	for (;;) {
		/* Step 2: the next header: the end, a failure, or a member. */
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF) {
			/* A recognised tar, maybe with no member at all. */
			ts->end.status = CATALOGUE_COMPLETE;
			ts->end.scan_end = header_position(a, last);
			break;
		}
		if (r == ARCHIVE_FATAL || r == ARCHIVE_RETRY) {
			err = archive_error_string(a);
			/* Not tar at all, or a tar whose first header is bad. */
			ts->end.status = (first && archive_format(a) == 0) ?
			    CATALOGUE_NOT_TAR : CATALOGUE_STOPPED;
			/*
			 * Where the bad header starts, if libarchive still
			 * knows; else the last member may run to the end.
			 */
			if (archive_read_header_position(a) > (la_int64_t)last)
				ts->end.scan_end =
				    (uint64_t)archive_read_header_position(a);
			else
				ts->end.scan_end = input_end(ts);
			snprintf(ts->end.message, sizeof(ts->end.message),
			    "%s", err != NULL ? err : "unreadable header");
			note_truncation(ts, err);
			break;
		}
		/* Step 3: a member starts here: close the previous one. */
		first = 0;
		pos = header_position(a, last);
		last = pos;
		/* The previous member ends where this one's headers start. */
		if (have && ts->rc == QS_OK &&
		    (r = emit(ts, &m, pos)) != QS_OK)
			scan_fail(ts, r);
		add_cut(ts, pos);
		/*
		 * Step 4: copy what the catalogue keeps; libarchive reuses
		 * the entry's strings at the next header.
		 */
		free(path);
		free(link);
		free(uname);
		free(gname);
		path = strdup(archive_entry_pathname(e) ?
		    archive_entry_pathname(e) : "");
		link = strdup(archive_entry_hardlink(e) ?
		    archive_entry_hardlink(e) : archive_entry_symlink(e) ?
		    archive_entry_symlink(e) : "");
		uname = strdup(archive_entry_uname(e) ?
		    archive_entry_uname(e) : "");
		gname = strdup(archive_entry_gname(e) ?
		    archive_entry_gname(e) : "");
		if (path == NULL || link == NULL || uname == NULL ||
		    gname == NULL) {
			scan_fail(ts, qs_error_set(QS_ENOMEM, "out of memory"));
			have = 0;
			break;
		}
		memset(&m, 0, sizeof(m));
		m.header_offset = pos;
		m.size = (uint64_t)archive_entry_size(e);
		m.mtime = (int64_t)archive_entry_mtime(e);
		m.mode = (uint32_t)archive_entry_mode(e);
		m.uid = (uint32_t)archive_entry_uid(e);
		m.gid = (uint32_t)archive_entry_gid(e);
		m.type = member_type(e);
		m.flags = archive_entry_sparse_count(e) > 0 ?
		    MEMBER_FLAG_SPARSE : 0;
		m.path = path;
		m.path_len = (uint16_t)clamp_len(path, 65535);
		m.link = link;
		m.link_len = (uint16_t)clamp_len(link, 65535);
		m.uname = uname;
		m.uname_len = (uint8_t)clamp_len(uname, 255);
		m.gname = gname;
		m.gname_len = (uint8_t)clamp_len(gname, 255);
		have = 1;
		/* Step 5: skip the data (put stores it; we only describe). */
		if (archive_read_data_skip(a) == ARCHIVE_FATAL) {
			err = archive_error_string(a);
			ts->end.status = CATALOGUE_STOPPED;
			snprintf(ts->end.message, sizeof(ts->end.message),
			    "%s", err != NULL ? err : "unreadable data");
			/* The member's bytes end where the input does. */
			pos = input_end(ts);
			ts->end.scan_end = m.header_offset;
			note_truncation(ts, err);
			if (ts->rc == QS_OK && (r = emit(ts, &m, pos)) != QS_OK)
				scan_fail(ts, r);
			have = 0;
			break;
		}
	}
	/* Step 6: the last member ends where the scan did. */
	if (have && ts->rc == QS_OK &&
	    (r = emit(ts, &m, ts->end.scan_end)) != QS_OK)
		scan_fail(ts, r);
close:
	archive_read_free(a);
drain:
	free(path);
	free(link);
	free(uname);
	free(gname);
	/* Keep taking blocks so put never waits on a scan that gave up. */
	pthread_mutex_lock(&ts->mu);
	ts->done = 1;
	pthread_cond_broadcast(&ts->cv);
	for (;;) {
		while (ts->qtail < ts->qhead) {
			block_release(ts,
			    ts->queue[ts->qtail % QUEUE_BLOCKS].data);
			ts->qtail++;
		}
		block_release(ts, ts->current);
		ts->current = NULL;
		pthread_cond_broadcast(&ts->cv);
		if (ts->eof)
			break;
		pthread_cond_wait(&ts->cv, &ts->mu);
	}
	pthread_mutex_unlock(&ts->mu);
	return (NULL);
}

/*
 * Start a scan thread for a put into ${s}; its catalogue goes into a new
 * catalogue file of ${s}.
 */
static int
scan_start(struct store *s, int flags, struct tarscan **tsp)
{
	struct tarscan *ts;
	int rc;

	if ((ts = calloc(1, sizeof(*ts))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	ts->store = s;
	ts->allow_truncated = (flags & TARSCAN_ALLOW_TRUNCATED) != 0;
	ts->refuse_empty = (flags & TARSCAN_REFUSE_EMPTY) != 0;
	pthread_mutex_init(&ts->mu, NULL);
	pthread_cond_init(&ts->cv, NULL);
	if ((ts->tf = tarfind_new()) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto err;
	}
	if ((rc = catalogue_writer_new(s, &ts->cw)) != QS_OK)
		goto err;
	if (pthread_create(&ts->thread, NULL, scan_main, ts) != 0) {
		rc = qs_error_set(QS_ENOMEM, "cannot start a thread");
		goto err;
	}
	*tsp = ts;
	return (QS_OK);

err:
	tarfind_free(ts->tf);
	catalogue_writer_free(ts->cw);
	while (ts->npool > 0)
		free(ts->pool[--ts->npool]);
	pthread_cond_destroy(&ts->cv);
	pthread_mutex_destroy(&ts->mu);
	free(ts);
	return (rc);
}

/* put_scanner_ops.feed: hand the scan the next ${len} bytes (copied). */
static int
scan_feed(void *ctx, const uint8_t *buf, size_t len)
{
	struct tarscan *ts = ctx;
	uint8_t *copy;
	size_t n, i;

	/* Only the put thread writes these; read after the scan ended. */
	for (i = 0; !ts->nonzero && i < len && ts->fed_zero_check + i <
	    EMPTY_TAR_MAX + 1; i++)
		ts->nonzero = buf[i] != 0;
	ts->fed_zero_check += i;
	if (tarfind_feed(ts->tf, buf, len) != 0)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	while (len > 0) {
		n = len < BLOCK_BYTES ? len : BLOCK_BYTES;
		pthread_mutex_lock(&ts->mu);
		while (!ts->done && ts->qhead - ts->qtail == QUEUE_BLOCKS)
			pthread_cond_wait(&ts->cv, &ts->mu);
		if (ts->done) {
			ts->fed += len;
			pthread_mutex_unlock(&ts->mu);
			return (QS_OK);
		}
		copy = ts->npool > 0 ? ts->pool[--ts->npool] : NULL;
		pthread_mutex_unlock(&ts->mu);
		if (copy == NULL && (copy = malloc(BLOCK_BYTES)) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		memcpy(copy, buf, n);
		pthread_mutex_lock(&ts->mu);
		ts->queue[ts->qhead % QUEUE_BLOCKS].data = copy;
		ts->queue[ts->qhead % QUEUE_BLOCKS].len = n;
		ts->qhead++;
		ts->fed += n;
		pthread_cond_broadcast(&ts->cv);
		pthread_mutex_unlock(&ts->mu);
		buf += n;
		len -= n;
	}
	return (QS_OK);
}

/*
 * put_scanner_ops.next_cut: the first member start in (${pos}, ${limit}),
 * or UINT64_MAX.  put has fed the scan at least ${limit} + SCAN_LOOKAHEAD
 * bytes, or all there is.
 */
static uint64_t
scan_next_cut(void *ctx, uint64_t pos, uint64_t limit)
{
	struct tarscan *ts = ctx;
	uint64_t c, cut = UINT64_MAX;

	pthread_mutex_lock(&ts->mu);
	/*
	 * Members are reported in stream order, so the answer is known once
	 * a member at or past ${limit} was reported, or the scan stopped, or
	 * it has parsed all it was fed and waits for more (a header longer
	 * than the lookahead is the only thing it could still be missing).
	 * Never on how far the scan got by chance: the cuts, and so the
	 * chunks, must not depend on thread timing.
	 */
	while (!ts->done && ts->reported < limit &&
	    !(ts->starved && ts->qtail == ts->qhead))
		pthread_cond_wait(&ts->cv, &ts->mu);
	while (ts->ncuts_tail < ts->ncuts_head) {
		c = ts->cuts[ts->ncuts_tail % CUTS_MAX];

		if (c <= pos) {
			ts->ncuts_tail++;
			continue;
		}
		if (c < limit)
			cut = c;
		break;
	}
	pthread_mutex_unlock(&ts->mu);
	c = tarfind_next(ts->tf, pos, limit);
	return (c < cut ? c : cut);
}

/*
 * put_scanner_ops.finish: end of input.  Wait for the scan, and if ${ok}
 * commit the catalogue and record it in ${sum} (features, id, hash); a
 * stream that is not tar gets no catalogue.  Releases everything but ${ts}
 * itself, which tarscan_detach frees.
 */
static int
scan_finish(void *ctx, int ok, struct manifest_summary *sum)
{
	struct tarscan *ts = ctx;
	int rc = QS_OK;

	ts->finished = 1;

	pthread_mutex_lock(&ts->mu);
	ts->eof = 1;
	pthread_cond_broadcast(&ts->cv);
	pthread_mutex_unlock(&ts->mu);
	pthread_join(ts->thread, NULL);
	if (ok && ts->rc != QS_OK) {
		qs_error_restore(&ts->error);
		rc = ts->rc;
	} else if (ok && !ts->allow_truncated && ts->members > 0 &&
	    ts->end.status == CATALOGUE_COMPLETE &&
	    ts->end.scan_end >= ts->fed) {
		/*
		 * The input ended exactly where a next header would start,
		 * without the zero blocks that end an archive: libarchive
		 * takes that for the end, but tar writes the blocks last, so
		 * the producer stopped between two members.
		 */
		rc = qs_error_set(QS_EINPUT, "the tar stream ends after a "
		    "member without the end-of-archive blocks (at byte %llu): "
		    "was its producer killed between two members?  Nothing "
		    "was stored under this name; --allow-truncated stores it "
		    "anyway", (unsigned long long)ts->fed);
	} else if (ok && ts->truncated && !ts->allow_truncated) {
		rc = qs_error_set(QS_EINPUT, "the tar stream ends in the middle "
		    "of a member (%s): was its producer killed, or the pipe "
		    "closed early?  Nothing was stored under this name; "
		    "--allow-truncated stores it anyway", ts->end.message);
	} else if (ok && ts->refuse_empty && ts->members == 0 &&
	    ts->end.status == CATALOGUE_COMPLETE &&
	    ts->fed <= EMPTY_TAR_MAX && !ts->nonzero) {
		rc = qs_error_set(QS_EINPUT, "the tar stream holds no member: "
		    "did tar find nothing to archive (a wrong path, or an "
		    "error it reported)?  Nothing was stored under this name; "
		    "--allow-empty stores it anyway");
	} else if (ok && ts->end.status != CATALOGUE_NOT_TAR) {
		rc = catalogue_writer_commit(ts->cw, &ts->end,
		    sum->catalogue_id, sum->catalogue_hash);
		ts->cw = NULL;
		if (rc == QS_OK)
			sum->features |= MANIFEST_FEATURE_CATALOGUE;
	}
	catalogue_writer_free(ts->cw);
	ts->cw = NULL;
	while (ts->npool > 0)
		free(ts->pool[--ts->npool]);
	return (rc);
}

static const struct put_scanner_ops scan_ops = {
	scan_feed,
	scan_next_cut,
	scan_finish
};

/**
 * tarscan_attach(s, po, flags, ts):
 * Start a scan for a put into ${s} and point ${po}->scanner at it.
 */
int
tarscan_attach(struct store *s, struct put_opts *po, int flags,
    struct tarscan **tsp)
{
	struct tarscan *ts = NULL;
	int rc;

	if ((rc = scan_start(s, flags, &ts)) != QS_OK)
		return (rc);
	ts->scanner.ops = &scan_ops;
	ts->scanner.ctx = ts;
	ts->scanner.lookahead = SCAN_LOOKAHEAD;
	po->scanner = &ts->scanner;
	*tsp = ts;
	return (QS_OK);
}

/**
 * tarscan_detach(ts):
 * Stop the scan if put did not finish it, and free ${ts}.
 */
void
tarscan_detach(struct tarscan *ts)
{

	if (ts == NULL)
		return;
	if (!ts->finished)
		(void)scan_finish(ts, 0, NULL);
	tarfind_free(ts->tf);
	pthread_cond_destroy(&ts->cv);
	pthread_mutex_destroy(&ts->mu);
	free(ts);
}
