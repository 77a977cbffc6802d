#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/secmem.h"
#include "format/fileio.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/chunk/chunkindex.h"
#include "index/store/chunk_reader.h"
#include "index/stream/get.h"
#include "index/store/store.h"
#include "index/store/manifest.h"

/*
 * get_stream reads ahead with a ring of NSLOTS slots.  The calling thread
 * (the writer) owns head and tail: slots [tail, head) are in use, in
 * stream order, the others G_FREE.  One mutex (mu) guards the states,
 * head, tail and stop; reading a chunk and writing it out are done with mu
 * released, by the thread whose state marks the slot as its own.
 *
 *   from       to         by       when / then
 *   G_FREE     G_QUEUED   writer   head - tail < NSLOTS: reference and
 *                                  index location filled in without mu
 *                                  (no one looks at slot head); head++,
 *                                  signal cv_work
 *   G_QUEUED   G_READING  worker   the oldest queued slot
 *   G_READING  G_DONE     worker   chunk read, authenticated, checked
 *                                  (or its error saved in the slot);
 *                                  broadcast cv_done
 *   G_DONE     G_FREE     writer   only slot tail, once written to fd;
 *                                  tail++ (no signal: the writer is the
 *                                  only one that fills slots)
 *   G_QUEUED   G_FREE     writer   on the way out (stop): queued reads
 *                                  are not needed any more
 *
 * Who waits on what: workers on cv_work (no slot queued); the writer on
 * cv_done (slot tail not done yet).  Any slot finishing wakes the writer,
 * which then checks slot tail again: reads finish out of order.  Stop:
 * the writer sets ${stop} and broadcasts cv_work; workers finish the read
 * in hand and leave once nothing is queued.
 */
#define MAX_WORKERS	16
#define NSLOTS		32
/*
 * The progress callback about every MiB: it only notes the figures, the
 * caller redraws on its own timer (cmd/cmd_progress.c), so a short stream
 * shows progress too (every 64 MiB, a 28 MiB stream showed nothing).
 */
#define PROGRESS_EVERY	(1ULL << 20)
/*
 * References looked up (and their records asked of the kernel with
 * POSIX_FADV_WILLNEED) this far ahead of the slots: records of an
 * encrypted store lie in random order within a container, so a cold
 * restore is random reads, which the hint turns into many reads in flight
 * (330 MB tar, encrypted, cold cache, median of 4: 2.0 s without the hint,
 * 1.40 s with 64 ahead, 1.53 s with 512; warm: 1.45 s).
 */
#define AHEAD		64

enum gslot_state { G_FREE, G_QUEUED, G_READING, G_DONE };

/* One chunk being read ahead (see the table above). */
struct gslot {
	enum gslot_state state;
	uint8_t id[32];
	struct chunk_loc loc;
	uint32_t raw_len;
	uint8_t *data;
	size_t len;
	int rc;				/* its read failed: reported in order */
	struct qs_error error;
};

/* A reference read from the manifest ahead of the slots. */
struct ahead_ref {
	uint8_t id[32];
	uint32_t raw_len;
	uint64_t off;			/* its place in the stream */
	struct chunk_loc loc;
	int found;			/* the index knows it */
};

struct get_ctx {
	struct store *store;
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	struct gslot slots[NSLOTS];
	uint64_t head, tail;		/* queued [tail, head) */
	int stop;
	uint64_t bytes_read;
};

/*
 * A worker: read queued chunks, oldest first, with a chunk reader of its
 * own.  If that reader cannot be made, each slot it takes carries the
 * error, so the failure is reported at the right place in the stream.
 */
static void *
gworker_main(void *arg)
{
	struct get_ctx *g = arg;
	struct chunk_reader *r = NULL;
	struct gslot *sl;
	size_t cap = store_config(g->store)->chunk_max;
	int rc;

	/* A restore trusts the seal (chunk_reader.h; SECURITY.md). */
	if ((rc = chunk_reader_new(g->store, &r)) == QS_OK)
		chunk_reader_trust_aead(r);
	pthread_mutex_lock(&g->mu);
	for (;;) {
		sl = NULL;
		for (uint64_t i = g->tail; i < g->head; i++) {
			if (g->slots[i % NSLOTS].state == G_QUEUED) {
				sl = &g->slots[i % NSLOTS];
				break;
			}
		}
		if (sl == NULL) {
			if (g->stop)
				break;
			pthread_cond_wait(&g->cv_work, &g->mu);
			continue;
		}
		sl->state = G_READING;
		pthread_mutex_unlock(&g->mu);
		if (r == NULL)
			sl->rc = rc;
		else
			sl->rc = chunk_reader_read(r, sl->id, &sl->loc, sl->data, cap,
			    &sl->len);
		if (sl->rc == QS_OK && sl->len != sl->raw_len)
			sl->rc = qs_error_set(QS_ECORRUPT, "chunk length %zu "
			    "differs from the manifest's %u", sl->len,
			    sl->raw_len);
		if (sl->rc != QS_OK)
			qs_error_save(&sl->error);
		pthread_mutex_lock(&g->mu);
		sl->state = G_DONE;
		pthread_cond_broadcast(&g->cv_done);
	}
	if (r != NULL)
		g->bytes_read += chunk_reader_bytes(r);
	pthread_mutex_unlock(&g->mu);
	chunk_reader_free(r);
	return (NULL);
}

static int
write_out(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (qs_error_errno("output", "write"));
		}
		p += n;
		len -= (size_t)n;
	}
	return (QS_OK);
}

/**
 * get_stream(s, name, fd, opts, result):
 * Write stream ${name} to ${fd}.
 */
int
get_stream(struct store *s, const char *name, int fd,
    const struct get_opts *o, struct get_result *res)
{
	struct manifest_reader *mr = NULL;
	struct get_progress prog = { 0, 0 };
	pthread_t workers[MAX_WORKERS];
	struct get_ctx *g;
	struct gslot *sl;
	const uint8_t *id;
	uint32_t raw_len;
	uint64_t off, next_report = PROGRESS_EVERY, chunks = 0;
	int nworkers, started = 0, refs_done = 0, cfd, mr_rc = QS_OK;
	struct ahead_ref *ahead = NULL;
	uint64_t ahead_head = 0, ahead_tail = 0;
	struct qs_error mr_error;
	long ncpu;
	int rc;

	/* Step 1: the ring and the manifest. */
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	g->store = s;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv_work, NULL);
	pthread_cond_init(&g->cv_done, NULL);
	for (size_t i = 0; i < NSLOTS; i++)
		if ((g->slots[i].data = malloc(store_config(s)->chunk_max)) ==
		    NULL) {
			rc = qs_error_set(QS_ENOMEM, "out of memory");
			goto done;
		}
	if ((ahead = malloc(AHEAD * sizeof(*ahead))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = manifest_reader_open(s, name, o != NULL && o->expired, &mr))
	    != QS_OK)
		goto done;
	prog.total = manifest_reader_summary(mr)->length;

	/* Step 2: the workers. */
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	nworkers = (o != NULL && o->threads > 0) ? o->threads :
	    (ncpu > 0 ? (int)ncpu : 1);
	if (nworkers > MAX_WORKERS)
		nworkers = MAX_WORKERS;
	for (started = 0; started < nworkers; started++)
		if (pthread_create(&workers[started], NULL, gworker_main, g) !=
		    0)
			break;
	if (started == 0) {
		rc = qs_error_set(QS_ENOMEM, "cannot start a thread");
		goto done;
	}

	for (;;) {
		/*
		 * Step 3: queue references into every free slot.  A chunk the
		 * index does not know stops the stream here, before a byte of
		 * it is written.
		 */
		/*
		 * Step 3a: read references ahead, look them up and hint
		 * their records.  A manifest error is kept until the
		 * references before it are written.
		 */
		while (mr_rc == QS_OK && ahead_head - ahead_tail < AHEAD) {
			struct ahead_ref *a = &ahead[ahead_head % AHEAD];

			if ((mr_rc = manifest_reader_next(mr, &id, &raw_len,
			    &off)) != QS_OK) {
				if (mr_rc != 1)
					qs_error_save(&mr_error);
				break;
			}
			memcpy(a->id, id, 32);
			a->raw_len = raw_len;
			a->off = off;
			a->found = chunkindex_lookup(store_index(s), id,
			    &a->loc) == QS_OK;
			/* A missing container is the worker's to report. */
			if (a->found && store_container_fd(s,
			    a->loc.container_id, &cfd) == QS_OK)
				(void)posix_fadvise(cfd, (off_t)a->loc.offset,
				    (off_t)a->loc.length, POSIX_FADV_WILLNEED);
			ahead_head++;
		}
		while (!refs_done && g->head - g->tail < NSLOTS) {
			struct ahead_ref *a;

			if (ahead_tail == ahead_head) {
				if (mr_rc == 1) {
					refs_done = 1;
					break;
				}
				if (mr_rc != QS_OK) {
					qs_error_restore(&mr_error);
					rc = mr_rc;
					goto done;
				}
				break;		/* read more ahead first */
			}
			a = &ahead[ahead_tail % AHEAD];
			if (!a->found) {
				rc = qs_error_set(QS_ECORRUPT, "%s: stream "
				    "\"%s\" at byte %llu: chunk is missing "
				    "from the index (run 'qsarc verify')",
				    store_root(s), name,
				    (unsigned long long)a->off);
				goto done;
			}
			sl = &g->slots[g->head % NSLOTS];
			memcpy(sl->id, a->id, 32);
			sl->raw_len = a->raw_len;
			sl->loc = a->loc;
			ahead_tail++;
			pthread_mutex_lock(&g->mu);
			sl->state = G_QUEUED;
			g->head++;
			pthread_cond_signal(&g->cv_work);
			pthread_mutex_unlock(&g->mu);
		}
		if (g->tail == g->head) {
			if (refs_done)
				break;
			continue;	/* the slots wait for references */
		}
		/*
		 * Step 4: write the oldest slot once it is read; an error is
		 * reported only now, so all bytes before it are written.
		 */
		sl = &g->slots[g->tail % NSLOTS];
		pthread_mutex_lock(&g->mu);
		while (sl->state != G_DONE)
			pthread_cond_wait(&g->cv_done, &g->mu);
		pthread_mutex_unlock(&g->mu);
		if (sl->rc != QS_OK) {
			qs_error_restore(&sl->error);
			rc = sl->rc;
			goto done;
		}
		if ((rc = write_out(fd, sl->data, sl->len)) != QS_OK)
			goto done;
		prog.bytes_out += sl->len;
		chunks++;
		pthread_mutex_lock(&g->mu);
		sl->state = G_FREE;
		g->tail++;
		pthread_mutex_unlock(&g->mu);
		if (o != NULL && o->progress != NULL &&
		    prog.bytes_out >= next_report) {
			o->progress(o->progress_ctx, &prog);
			next_report = prog.bytes_out + PROGRESS_EVERY;
		}
	}
	if (o != NULL && o->progress != NULL)
		o->progress(o->progress_ctx, &prog);
	rc = QS_OK;

done:
	/* Step 5: stop the workers, whatever happened. */
	pthread_mutex_lock(&g->mu);
	g->stop = 1;
	/* Nothing queued is needed any more. */
	for (uint64_t i = g->tail; i < g->head; i++)
		if (g->slots[i % NSLOTS].state == G_QUEUED)
			g->slots[i % NSLOTS].state = G_FREE;
	pthread_cond_broadcast(&g->cv_work);
	pthread_mutex_unlock(&g->mu);
	for (int i = 0; i < started; i++)
		pthread_join(workers[i], NULL);
	if (rc == QS_OK) {
		res->length = prog.bytes_out;
		res->chunks = chunks;
		res->bytes_read = g->bytes_read;
	}
	manifest_reader_free(mr);
	free(ahead);
	for (size_t i = 0; i < NSLOTS; i++) {
		if (g->slots[i].data != NULL)
			secmem_wipe(g->slots[i].data,
			    store_config(s)->chunk_max);
		free(g->slots[i].data);
	}
	pthread_cond_destroy(&g->cv_work);
	pthread_cond_destroy(&g->cv_done);
	pthread_mutex_destroy(&g->mu);
	free(g);
	return (rc);
}

/**
 * get_ranges(s, name, expired, ranges, n, sink, ctx, result):
 * Hand the bytes of ${ranges} of stream ${name} to ${sink}.
 */
int
get_ranges(struct store *s, const char *name, int expired,
    const struct byte_range *ranges, size_t n,
    int (*sink)(void *, size_t, const uint8_t *, size_t), void *ctx,
    struct get_result *res)
{
	struct manifest_reader *mr = NULL;
	struct chunk_reader *r = NULL;
	struct chunk_loc loc;
	const uint8_t *id;
	uint8_t *buf = NULL;
	uint32_t raw_len;
	uint64_t off, a, b, written = 0, chunks = 0;
	size_t i = 0, len;
	int rc;

	if ((rc = manifest_reader_open(s, name, expired, &mr)) != QS_OK)
		return (rc);
	if ((rc = chunk_reader_new(s, &r)) != QS_OK)
		goto done;
	chunk_reader_trust_aead(r);
	if ((buf = malloc(store_config(s)->chunk_max)) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	while (i < n && (rc = manifest_reader_next(mr, &id, &raw_len, &off)) ==
	    QS_OK) {
		/* Skip ranges that end before this chunk. */
		while (i < n && ranges[i].end <= off)
			i++;
		if (i == n || ranges[i].start >= off + raw_len)
			continue;
		if (chunkindex_lookup(store_index(s), id, &loc) != QS_OK) {
			rc = qs_error_set(QS_ECORRUPT, "%s: stream \"%s\" at "
			    "byte %llu: chunk is missing from the index",
			    store_root(s), name, (unsigned long long)off);
			goto done;
		}
		if ((rc = chunk_reader_read(r, id, &loc, buf,
		    store_config(s)->chunk_max, &len)) != QS_OK)
			goto done;
		if (len != raw_len) {
			rc = qs_error_set(QS_ECORRUPT, "%s: stream \"%s\" at "
			    "byte %llu: chunk length differs from the manifest",
			    store_root(s), name, (unsigned long long)off);
			goto done;
		}
		chunks++;
		/* Every range this chunk touches, in order. */
		for (size_t j = i; j < n && ranges[j].start < off + len; j++) {
			a = ranges[j].start > off ? ranges[j].start : off;
			b = ranges[j].end < off + len ? ranges[j].end :
			    off + len;
			if (a >= b)
				continue;
			if ((rc = sink(ctx, j, buf + (a - off), b - a)) !=
			    QS_OK)
				goto done;
			written += b - a;
		}
	}
	if (rc < 0)
		goto done;
	res->length = written;
	res->chunks = chunks;
	res->bytes_read = chunk_reader_bytes(r);
	rc = QS_OK;
done:
	if (buf != NULL)
		secmem_wipe(buf, store_config(s)->chunk_max);
	free(buf);
	chunk_reader_free(r);
	manifest_reader_free(mr);
	return (rc);
}
