#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/random.h"
#include "crypto/secmem.h"
#include "format/endian.h"
#include "format/fileio.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/tar/catalogue.h"
#include "index/chunk/chunkindex.h"
#include "index/store/chunk_reader.h"
#include "index/store/container.h"
#include "index/jobs/keystore_repair.h"
#include "index/store/container_scan.h"
#include "index/store/store.h"
#include "index/store/manifest.h"
#include "index/jobs/verify.h"

/* --- a small hash map keyed by 32-byte ids ------------------------------ */

/*
 * Elements of ${elemsize} bytes whose first 32 bytes are the id, in one
 * array grown by doubling, with an open-addressing table of indices + 1
 * (0: empty) kept at most half full.  Chunk ids are keyed hashes, so their
 * first 8 bytes are a good hash.
 */
struct idmap {
	size_t elemsize;
	uint8_t *elems;
	size_t n, ecap;
	uint32_t *slots;
	size_t scap;		/* a power of two, or 0 */
};

static uint64_t
mix64(uint64_t x)
{

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (x);
}

static void *
idmap_find(const struct idmap *m, const uint8_t *id)
{
	size_t i;
	uint8_t *e;

	if (m->scap == 0)
		return (NULL);
	for (i = mix64(le64dec(id)) & (m->scap - 1); m->slots[i] != 0;
	    i = (i + 1) & (m->scap - 1)) {
		e = m->elems + (size_t)(m->slots[i] - 1) * m->elemsize;
		if (memcmp(e, id, 32) == 0)
			return (e);
	}
	return (NULL);
}

static int
idmap_grow(struct idmap *m)
{
	size_t ncap = m->scap ? m->scap * 2 : 1024;
	uint32_t *ns;
	size_t i, j;

	if (ncap > ((size_t)1 << 31) || (ns = calloc(ncap, sizeof(*ns))) ==
	    NULL)
		return (QS_ENOMEM);
	for (j = 0; j < m->n; j++) {
		for (i = mix64(le64dec(m->elems + j * m->elemsize)) &
		    (ncap - 1); ns[i] != 0; i = (i + 1) & (ncap - 1))
			;
		ns[i] = (uint32_t)(j + 1);
	}
	free(m->slots);
	m->slots = ns;
	m->scap = ncap;
	return (QS_OK);
}

/* Add ${id} (not present) and return its zeroed element, or NULL. */
static void *
idmap_add(struct idmap *m, const uint8_t *id)
{
	uint8_t *ne, *e;
	size_t i;

	if ((m->n + 1) * 2 > m->scap && idmap_grow(m) != QS_OK)
		return (NULL);
	if (m->n == m->ecap) {
		size_t ncap = m->ecap ? m->ecap * 2 : 256;

		if ((ne = realloc(m->elems, ncap * m->elemsize)) == NULL)
			return (NULL);
		m->elems = ne;
		m->ecap = ncap;
	}
	e = m->elems + m->n * m->elemsize;
	memset(e, 0, m->elemsize);
	memcpy(e, id, 32);
	for (i = mix64(le64dec(id)) & (m->scap - 1); m->slots[i] != 0;
	    i = (i + 1) & (m->scap - 1))
		;
	m->slots[i] = (uint32_t)(++m->n);
	return (e);
}

static void
idmap_free(struct idmap *m)
{

	free(m->elems);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* --- findings ------------------------------------------------------------ */

/**
 * verify_detail_location(msg, path, plen, off):
 * Take "PATH: ..." and "offset N" out of an error detail, where present.
 */
void
verify_detail_location(const char *msg, char *path, size_t plen, int64_t *off)
{
	const char *colon, *p;
	size_t n;

	path[0] = '\0';
	*off = -1;
	if ((colon = strstr(msg, ": ")) != NULL &&
	    memchr(msg, '/', (size_t)(colon - msg)) != NULL) {
		n = (size_t)(colon - msg);
		if (n >= plen)
			n = plen - 1;
		memcpy(path, msg, n);
		path[n] = '\0';
	}
	for (p = msg; (p = strstr(p, "offset ")) != NULL; p += 7) {
		if (isdigit((unsigned char)p[7])) {
			*off = (int64_t)strtoll(p + 7, NULL, 10);
			break;
		}
	}
}

static void
emit(void (*cb)(void *, const struct verify_finding *), void *ctx,
    const char *kind, const char *stream, int expired, const char *path,
    int64_t off, int code, const char *msg)
{
	struct verify_finding f;

	if (cb == NULL)
		return;
	f.kind = kind;
	f.stream = stream;
	f.expired = expired;
	f.path = path != NULL ? path : "";
	f.offset = off;
	f.code = code;
	f.message = msg;
	cb(ctx, &f);
}

/**
 * verify_error_finding(kind, stream, rc, on_finding, ctx):
 * Report this thread's error detail as one finding of ${kind}.
 */
void
verify_error_finding(const char *kind, const char *stream, int rc,
    void (*cb)(void *, const struct verify_finding *), void *ctx)
{
	char msg[QS_ERROR_MSG_MAX], path[QS_ERROR_MSG_MAX];
	int64_t off;

	snprintf(msg, sizeof(msg), "%s", qs_error_message()[0] != '\0' ?
	    qs_error_message() : qs_err_string(rc));
	verify_detail_location(msg, path, sizeof(path), &off);
	emit(cb, ctx, kind, stream, 0, path, off, rc, msg);
}

/* --- checks of one record ------------------------------------------------ */

/*
 * Check the record the index says holds ${id} at ${loc} without reading
 * its payload: the container exists, the record lies inside it, its header
 * is valid, names ${id}, and has the length of ${loc} (and ${raw_len}
 * unless 0).  Return QS_OK or QS_ECORRUPT / QS_EIO with the detail.
 */
static int
record_check(struct store *s, const uint8_t *id, const struct chunk_loc *loc,
    uint32_t raw_len)
{
	uint8_t buf[RECORD_HEADER_SIZE];
	struct record_header h;
	char path[4096];
	const char *why = NULL;
	struct stat sb;
	int fd, rc;

	if ((rc = store_container_path(store_root(s), loc->container_id, path,
	    sizeof(path))) != QS_OK)
		return (rc);
	if (loc->length < RECORD_HEADER_SIZE ||
	    loc->length > RECORD_HEADER_SIZE + RECORD_MAX_STORED ||
	    loc->offset < CONTAINER_HEADER_SIZE)
		return (qs_error_set(QS_ECORRUPT, "%s: record at offset %u: "
		    "the index entry has an impossible length or offset",
		    path, loc->offset));
	if ((rc = store_container_fd(s, loc->container_id, &fd)) != QS_OK)
		return (rc);
	if (fstat(fd, &sb) != 0)
		return (qs_error_errno(path, "stat"));
	if ((uint64_t)loc->offset + loc->length + CONTAINER_TRAILER_SIZE >
	    (uint64_t)sb.st_size)
		return (qs_error_set(QS_ECORRUPT, "%s: record at offset %u: "
		    "beyond the end of the container (%llu bytes; truncated?)",
		    path, loc->offset, (unsigned long long)sb.st_size));
	if ((rc = fileio_pread_full(fd, buf, sizeof(buf), loc->offset, path))
	    != QS_OK)
		return (rc);
	if (container_fmt_record_decode(buf, sizeof(buf), &h) != QS_OK)
		why = "damaged record header";
	else if (memcmp(h.chunk_id, id, 32) != 0)
		why = "the record holds a different chunk than the index says";
	else if ((uint64_t)h.stored_len + RECORD_HEADER_SIZE != loc->length)
		why = "record length disagrees with the index";
	else if (raw_len != 0 && !(h.flags & RECORD_FLAG_SEALED) &&
	    h.raw_len != raw_len)
		why = "chunk length disagrees with the manifest";
	if (why != NULL)
		return (qs_error_set(QS_ECORRUPT, "%s: record at offset %u: %s",
		    path, loc->offset, why));
	return (QS_OK);
}

/* --- verify_store -------------------------------------------------------- */

/*
 * A chunk found damaged: later references to it are reported from here.
 * The first BAD_MSGS_MAX keep their error detail; later ones (a store
 * damaged throughout) cost 56 bytes each and are described by their code.
 */
struct bad_chunk {
	uint8_t id[32];
	struct chunk_loc loc;
	int32_t code;
	int32_t msg;		/* index in vctx.msgs, or -1 */
};

#define BAD_MSGS_MAX	1024
#define BAD_MSG_LEN	384

struct vctx {
	struct store *s;
	const struct verify_opts *o;
	struct verify_counts *c;
	struct chunk_reader *r;
	uint8_t *buf;			/* one chunk: RECORD_MAX_RAW bytes */
	uint64_t seed;
	int per_ref;			/* check each reference's record */
	struct idmap bad;		/* struct bad_chunk */
	char (*msgs)[BAD_MSG_LEN];	/* details of the first bad chunks */
	size_t nmsgs;
	struct idmap seen;		/* ids already read (per_ref mode) */
	struct chunkindex *fresh;	/* reopened index for lookup misses */
	int fresh_tried;
	uint64_t store_reported;	/* findings about entries/chunks */
	uint64_t raw_sum;		/* raw bytes of the container scanned */
	uint64_t *missing;		/* missing containers reported */
	size_t nmissing;
	/* The stream being checked. */
	const char *stream;
	int expired;
	uint64_t stream_problems;
};

static void
report(struct vctx *v, const char *kind, const char *path, int64_t off,
    int code, const char *msg)
{

	emit(v->o->on_finding, v->o->ctx, kind, v->stream, v->expired, path,
	    off, code, msg);
}

/* A stream set finding (store_streamset_check). */
static void
streamset_cb(void *ctx, const char *name, const char *path, const char *msg)
{
	struct vctx *v = ctx;

	v->c->findings++;
	emit(v->o->on_finding, v->o->ctx, VERIFY_KIND_STREAMSET, name, 0,
	    path, -1, QS_ECORRUPT, msg);
}

/* Whether read_data reads the chunk ${id} (the random subset). */
static int
chosen(const struct vctx *v, const uint8_t *id)
{

	if (!v->o->read_data)
		return (0);
	if (v->o->read_percent >= 100)
		return (1);
	return (mix64(le64dec(id) ^ v->seed) % 10000 <
	    (uint64_t)v->o->read_percent * 100);
}

/* Read and check chunk ${id} in full (counts included). */
static int
read_chunk(struct vctx *v, const uint8_t *id, const struct chunk_loc *loc)
{
	uint64_t before = chunk_reader_bytes(v->r);
	size_t len = 0;
	int rc;

	rc = chunk_reader_read(v->r, id, loc, v->buf, RECORD_MAX_RAW, &len);
	secmem_wipe(v->buf, len);
	v->c->chunks_read++;
	v->c->bytes_read += chunk_reader_bytes(v->r) - before;
	if (rc != QS_OK && rc != QS_ENOMEM)
		v->c->chunks_damaged++;
	if (v->o->on_progress != NULL)
		v->o->on_progress(v->o->progress_ctx, v->c->bytes_read,
		    v->c->chunks_read);
	return (rc);
}

/* Remember chunk ${id} as damaged, with this thread's detail. */
static struct bad_chunk *
bad_add(struct vctx *v, const uint8_t *id, const struct chunk_loc *loc,
    int code)
{
	struct bad_chunk *b;

	if ((b = idmap_add(&v->bad, id)) == NULL)
		return (NULL);
	b->loc = *loc;
	b->code = code;
	b->msg = -1;
	if (v->nmsgs < BAD_MSGS_MAX) {
		if (v->msgs == NULL &&
		    (v->msgs = malloc(BAD_MSGS_MAX * sizeof(*v->msgs))) == NULL)
			return (b);
		snprintf(v->msgs[v->nmsgs], BAD_MSG_LEN, "%s",
		    qs_error_message()[0] ? qs_error_message() :
		    qs_err_string(code));
		b->msg = (int32_t)v->nmsgs++;
	}
	return (b);
}

/* The detail of bad chunk ${b}. */
static const char *
bad_msg(const struct vctx *v, const struct bad_chunk *b)
{

	return (b->msg >= 0 ? v->msgs[b->msg] : qs_err_string(b->code));
}

static int
container_missing(struct vctx *v, uint64_t cid, const char *path)
{

	for (size_t i = 0; i < v->nmissing; i++)
		if (v->missing[i] == cid)
			return (1);
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return (0);
	return (-1);
}

/* Entry check callback of chunkindex_foreach (whole-store runs). */
static int
entry_cb(void *ctx, const uint8_t id[32], const struct chunk_loc *loc)
{
	struct vctx *v = ctx;
	struct bad_chunk *b;
	char path[4096], msg[4096 + 128];
	uint64_t *nm;
	int rc, miss;

	v->c->index_entries++;
	qs_error_clear();
	if (chosen(v, id))
		rc = read_chunk(v, id, loc);
	else
		rc = record_check(v->s, id, loc, 0);
	if (rc == QS_OK)
		return (QS_OK);
	if (rc == QS_ENOMEM)
		return (rc);
	v->c->index_entries_bad++;
	v->c->findings++;
	if ((b = bad_add(v, id, loc, rc)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if (store_container_path(store_root(v->s), loc->container_id, path,
	    sizeof(path)) != QS_OK)
		path[0] = '\0';
	/* A missing container is one finding, not one per entry. */
	if ((miss = container_missing(v, loc->container_id, path)) > 0)
		return (QS_OK);
	if (v->store_reported >= VERIFY_STORE_FINDINGS_MAX)
		return (QS_OK);
	v->store_reported++;
	if (miss < 0) {
		if ((nm = realloc(v->missing, (v->nmissing + 1) *
		    sizeof(*nm))) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		v->missing = nm;
		v->missing[v->nmissing++] = loc->container_id;
		snprintf(msg, sizeof(msg), "%s: container is missing, but "
		    "the index has entries pointing into it", path);
		report(v, VERIFY_KIND_CONTAINER, path, -1, QS_ECORRUPT, msg);
		return (QS_OK);
	}
	report(v, VERIFY_KIND_CHUNK, path, loc->offset, rc, bad_msg(v, b));
	return (QS_OK);
}

/* Container check callback of container_scan_foreach. */
static int
scan_count_cb(void *ctx, const struct scan_record *rec)
{
	struct vctx *v = ctx;

	v->c->records++;
	v->raw_sum += rec->h.raw_len;
	return (QS_OK);
}

/*
 * The one trailer field container_scan does not check: the sum of the
 * records' raw lengths (for stats).  ${raw_sum} is what the scan found.
 */
static int
trailer_raw_check(struct store *s, uint64_t cid, uint64_t raw_sum)
{
	uint8_t tbuf[CONTAINER_TRAILER_SIZE];
	struct container_trailer t;
	char path[4096];
	struct stat sb;
	int fd, rc;

	if ((rc = store_container_path(store_root(s), cid, path, sizeof(path))) !=
	    QS_OK)
		return (rc);
	if ((rc = store_container_fd(s, cid, &fd)) != QS_OK)
		return (rc);
	if (fstat(fd, &sb) != 0)
		return (qs_error_errno(path, "stat"));
	if ((uint64_t)sb.st_size < CONTAINER_TRAILER_SIZE)
		return (qs_error_set(QS_ECORRUPT, "%s: truncated", path));
	if ((rc = fileio_pread_full(fd, tbuf, sizeof(tbuf),
	    (uint64_t)sb.st_size - sizeof(tbuf), path)) != QS_OK)
		return (rc);
	if (container_fmt_trailer_decode(tbuf, sizeof(tbuf), &t) != QS_OK ||
	    t.raw_bytes != raw_sum)
		return (qs_error_set(QS_ECORRUPT, "%s: offset %llu: the "
		    "trailer's total of raw bytes (%llu) does not match the "
		    "records (%llu)", path, (unsigned long long)((uint64_t)
		    sb.st_size - sizeof(tbuf)), (unsigned long long)t.raw_bytes,
		    (unsigned long long)raw_sum));
	return (QS_OK);
}

static int
container_cb(void *ctx, uint64_t cid)
{
	struct vctx *v = ctx;
	int rc;

	v->c->containers++;
	v->raw_sum = 0;
	qs_error_clear();
	if ((rc = container_scan(v->s, cid, scan_count_cb, v)) == QS_OK)
		rc = trailer_raw_check(v->s, cid, v->raw_sum);
	if (rc == QS_OK)
		return (QS_OK);
	if (rc == QS_ENOMEM)
		return (rc);
	v->c->containers_damaged++;
	v->c->findings++;
	verify_error_finding(VERIFY_KIND_CONTAINER, NULL, rc,
	    v->o->on_finding, v->o->ctx);
	return (QS_OK);
}

/* Look ${id} up; on a miss, once, in a freshly opened index too. */
static int
lookup(struct vctx *v, const uint8_t *id, struct chunk_loc *loc,
    int *from_fresh)
{
	char path[4096];
	int rc;

	*from_fresh = 0;
	if ((rc = chunkindex_lookup(store_index(v->s), id, loc)) != QS_ENOENT)
		return (rc);
	/*
	 * A put running beside us may have published the segment after we
	 * mapped the index but before we listed its stream.
	 */
	if (!v->fresh_tried) {
		v->fresh_tried = 1;
		if (store_path_index(store_root(v->s), path, sizeof(path)) !=
		    QS_OK || chunkindex_open(path, &v->fresh) != QS_OK)
			v->fresh = NULL;
		qs_error_clear();
	}
	if (v->fresh == NULL)
		return (QS_ENOENT);
	*from_fresh = 1;
	return (chunkindex_lookup(v->fresh, id, loc));
}

static void
hex16(const uint8_t *id, char *out)
{

	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

/* One damaged reference of the current stream. */
static void
stream_problem(struct vctx *v, const char *kind, const char *path,
    int64_t off, int code, const char *msg)
{

	v->c->findings++;
	if (v->stream_problems++ < VERIFY_STREAM_FINDINGS_MAX)
		report(v, kind, path, off, code, msg);
}

/* Check one reference of the current stream; QS_ENOMEM only. */
static int
check_ref(struct vctx *v, const uint8_t *id, uint32_t raw_len,
    uint64_t soff)
{
	struct chunk_loc loc;
	struct bad_chunk *b;
	char path[4096], msg[QS_ERROR_MSG_MAX + 128], hex[17];
	int fresh, rc;

	hex16(id, hex);
	if ((b = idmap_find(&v->bad, id)) != NULL)
		goto bad;
	if ((rc = lookup(v, id, &loc, &fresh)) != QS_OK) {
		(void)store_path_index(store_root(v->s), path, sizeof(path));
		snprintf(msg, sizeof(msg), "chunk %s... at stream offset %llu "
		    "is not in the index (run 'qsarc verify STORE "
		    "--rebuild-index' if its container still exists)", hex,
		    (unsigned long long)soff);
		stream_problem(v, VERIFY_KIND_CHUNK, path, -1, QS_ECORRUPT,
		    msg);
		return (QS_OK);
	}
	if (!v->per_ref && !fresh)
		return (QS_OK);
	qs_error_clear();
	if (v->o->read_data) {
		/* Check each distinct chunk once (its data if chosen). */
		if (idmap_find(&v->seen, id) != NULL)
			return (QS_OK);
		if (idmap_add(&v->seen, id) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	rc = chosen(v, id) ? read_chunk(v, id, &loc) : QS_OK;
	if (rc == QS_OK)
		rc = record_check(v->s, id, &loc, raw_len);
	if (rc == QS_OK)
		return (QS_OK);
	if (rc == QS_ENOMEM)
		return (rc);
	if ((b = bad_add(v, id, &loc, rc)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
bad:
	if (store_container_path(store_root(v->s), b->loc.container_id, path,
	    sizeof(path)) != QS_OK)
		path[0] = '\0';
	snprintf(msg, sizeof(msg), "chunk %s... at stream offset %llu: %s",
	    hex, (unsigned long long)soff, bad_msg(v, b));
	stream_problem(v, VERIFY_KIND_CHUNK, path, b->loc.offset, b->code,
	    msg);
	return (QS_OK);
}

/* Check one stream; QS_ENOMEM only. */
static int
check_catalogue(struct vctx *v, const char *name,
    const struct manifest_summary *sum)
{
	struct catalogue_reader *cr = NULL;
	struct catalogue_member m;
	int rc;

	if (!(sum->features & MANIFEST_FEATURE_CATALOGUE))
		return (QS_OK);
	qs_error_clear();
	if ((rc = catalogue_reader_open(v->s, sum, &cr)) == QS_OK)
		while ((rc = catalogue_reader_next(cr, &m)) == QS_OK)
			;
	catalogue_reader_free(cr);
	if (rc == 1)
		return (QS_OK);
	if (rc == QS_ENOMEM)
		return (rc);
	v->c->findings++;
	v->stream_problems++;
	verify_error_finding(VERIFY_KIND_CATALOGUE, name, rc,
	    v->o->on_finding, v->o->ctx);
	return (QS_OK);
}

static int
check_stream(struct vctx *v, const char *name, int expired)
{
	struct manifest_reader *mr = NULL;
	struct verify_stream vs;
	const uint8_t *id;
	char msg[128];
	uint64_t soff, refs = 0;
	uint32_t raw_len;
	int rc;

	v->stream = name;
	v->expired = expired;
	v->stream_problems = 0;
	qs_error_clear();
	if ((rc = manifest_reader_open(v->s, name, expired, &mr)) != QS_OK) {
		if (rc == QS_ENOMEM)
			goto done;
		/* Removed or unexpired by someone else meanwhile. */
		if (rc == QS_ENOENT && store_stream_state(v->s, name) !=
		    (expired ? 2 : 1)) {
			rc = QS_OK;
			goto done;
		}
		v->c->findings++;
		v->stream_problems++;
		verify_error_finding(VERIFY_KIND_MANIFEST, name, rc,
		    v->o->on_finding, v->o->ctx);
		rc = QS_OK;
		goto out;
	}
	for (;;) {
		qs_error_clear();
		rc = manifest_reader_next(mr, &id, &raw_len, &soff);
		if (rc == 1) {
			rc = QS_OK;
			break;
		}
		if (rc != QS_OK) {
			if (rc == QS_ENOMEM)
				goto done;
			v->c->findings++;
			v->stream_problems++;
			verify_error_finding(VERIFY_KIND_MANIFEST, name, rc,
			    v->o->on_finding, v->o->ctx);
			rc = QS_OK;
			break;
		}
		refs++;
		v->c->references++;
		if ((rc = check_ref(v, id, raw_len, soff)) != QS_OK)
			goto done;
	}
	/* Its tar catalogue: the file, its hash, every member frame. */
	if ((rc = check_catalogue(v, name, manifest_reader_summary(mr))) !=
	    QS_OK)
		goto done;
out:
	if (v->stream_problems > VERIFY_STREAM_FINDINGS_MAX) {
		snprintf(msg, sizeof(msg), "%llu more problems in this stream "
		    "are not listed", (unsigned long long)(v->stream_problems -
		    VERIFY_STREAM_FINDINGS_MAX));
		report(v, VERIFY_KIND_CHUNK, "", -1, QS_ECORRUPT, msg);
	}
	v->c->streams++;
	if (v->stream_problems > 0)
		v->c->streams_damaged++;
	v->c->references_damaged += v->stream_problems;
	if (v->o->on_stream != NULL) {
		vs.name = name;
		vs.expired = expired;
		vs.intact = (v->stream_problems == 0);
		vs.references = refs;
		vs.damaged = v->stream_problems;
		v->o->on_stream(v->o->ctx, &vs);
	}
done:
	manifest_reader_free(mr);
	v->stream = NULL;
	v->expired = 0;
	return (rc);
}

/* store_foreach_stream callback of a whole-store run. */
static int
check_stream_cb(void *ctx, const char *name, int expired)
{

	return (check_stream(ctx, name, expired));
}

/**
 * verify_store(s, opts, counts):
 * Run the checks on ${s}, reporting findings and streams through ${opts}.
 */
int
verify_store(struct store *s, const struct verify_opts *o,
    struct verify_counts *c)
{
	struct vctx v;
	int *states = NULL;
	int full = (o->names == NULL || o->nnames == 0);
	int index_bad = 0, rc;

	memset(c, 0, sizeof(*c));
	memset(&v, 0, sizeof(v));
	v.s = s;
	v.o = o;
	v.c = c;
	v.bad.elemsize = sizeof(struct bad_chunk);
	v.seen.elemsize = 32;
	/* Step 1: options, and the seed of the random share of chunks. */
	if (o->read_data && (o->read_percent < 1 || o->read_percent > 100))
		return (qs_error_set(QS_EINVAL, "read percentage %u is out of "
		    "range (1 to 100)", o->read_percent));
	if ((v.seed = o->seed) == 0)
		random_bytes(&v.seed, sizeof(v.seed));

	/* Step 2: named streams must exist before anything is checked. */
	if (!full) {
		if ((states = calloc(o->nnames, sizeof(*states))) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		for (size_t i = 0; i < o->nnames; i++) {
			if ((rc = manifest_fmt_name_check(o->names[i])) != QS_OK)
				goto done;
			if ((rc = store_stream_state(s, o->names[i])) < 0)
				goto done;
			if (rc == 0) {
				rc = qs_error_set(QS_ENOENT, "%s: no stream "
				    "named \"%s\"", store_root(s),
				    o->names[i]);
				goto done;
			}
			states[i] = rc;
		}
	}
	if ((rc = chunk_reader_new(s, &v.r)) != QS_OK)
		goto done;
	if (o->read_data && (v.buf = malloc(RECORD_MAX_RAW)) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}

	/* Step 3: the index segments themselves. */
	c->index_segments = chunkindex_segment_count(store_index(s));
	qs_error_clear();
	if ((rc = chunkindex_verify(store_index(s))) != QS_OK) {
		if (rc == QS_ENOMEM)
			goto done;
		index_bad = 1;
		c->findings++;
		verify_error_finding(VERIFY_KIND_INDEX, NULL, rc,
		    o->on_finding, o->ctx);
	}

	/* Step 4 (whole store): containers, then index entries. */
	if (full) {
		/* Every container's structure. */
		if ((rc = container_scan_foreach(s, container_cb, &v)) !=
		    QS_OK)
			goto done;
		/* Every index entry (and, with read_data, its chunk). */
		if (!index_bad) {
			qs_error_clear();
			rc = chunkindex_foreach(store_index(s), entry_cb, &v);
			if (rc == QS_ENOMEM)
				goto done;
			if (rc != QS_OK) {
				index_bad = 1;
				c->findings++;
				verify_error_finding(VERIFY_KIND_INDEX, NULL,
				    rc, o->on_finding, o->ctx);
			}
			if (o->read_data && !index_bad)
				c->chunks_total = c->index_entries;
		}
	}
	/*
	 * Step 4b (whole store): the stream set against the directories: a
	 * deleted, moved, put back or planted manifest, a rolled back store.
	 */
	if (full && (rc = store_streamset_check(s, streamset_cb, &v)) !=
	    QS_OK)
		goto done;
	/* A damaged index cannot be trusted: check each reference. */
	v.per_ref = !full || index_bad;

	/* Step 5: the streams (live, then expired; or the named ones). */
	if (full) {
		if ((rc = store_foreach_stream(s, STORE_STREAMS_ALL,
		    check_stream_cb, &v)) != QS_OK)
			goto done;
	} else {
		for (size_t i = 0; i < o->nnames; i++)
			if ((rc = check_stream(&v, o->names[i],
			    states[i] == 2)) != QS_OK)
				goto done;
	}
	if (v.per_ref && o->read_data)
		c->chunks_total = v.seen.n;
	rc = QS_OK;

done:
	chunkindex_close(v.fresh);
	chunk_reader_free(v.r);
	free(v.buf);
	free(v.missing);
	free(v.msgs);
	idmap_free(&v.bad);
	idmap_free(&v.seen);
	free(states);
	return (rc);
}

/* --- keystores ------------------------------------------------------------ */

/**
 * verify_keystores(s, pass, passlen, on_finding, ctx, counts):
 * Report keystore copies that are missing, do not unlock, or disagree.
 */
int
verify_keystores(struct store *s, const uint8_t *pass, size_t passlen,
    void (*cb)(void *, const struct verify_finding *), void *ctx,
    struct verify_counts *c)
{
	struct keystore_copy_status *st;
	char msg[QS_ERROR_MSG_MAX + 4200 + 3 * 4096], hint[3 * 4096];
	const char *other;
	int i;

	if (!store_config(s)->encrypted)
		return (QS_OK);
	if ((st = calloc(2, sizeof(*st))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	(void)keystore_repair_check(s, pass, passlen, &st[0], &st[1]);
	/* Neither copy opens, and not because of damage: the passphrase. */
	if (!st[0].unlocks && !st[1].unlocks &&
	    (!st[0].present || st[0].rc == QS_EPASS) &&
	    (!st[1].present || st[1].rc == QS_EPASS) &&
	    (st[0].present || st[1].present)) {
		free(st);
		return (qs_error_set(QS_EPASS, "%s: wrong passphrase (no "
		    "keystore copy opens with it)", store_root(s)));
	}
	(void)keystore_repair_hint(store_root(s), &st[0], &st[1], hint,
	    sizeof(hint));
	for (i = 0; i < 2; i++) {
		other = i == 0 ? "backup" : "primary";
		msg[0] = '\0';
		/*
		 * A save ahead under another passphrase is an interrupted
		 * passphrase change, not damage: store_open says so.
		 */
		if (st[i].ahead)
			continue;
		if (!st[i].present)
			snprintf(msg, sizeof(msg), "%s: the %s keystore is "
			    "missing", st[i].path, i == 0 ? "primary" :
			    "backup");
		else if (!st[i].unlocks)
			snprintf(msg, sizeof(msg), "%s: the %s keystore does "
			    "not open (%s)", st[i].path, i == 0 ? "primary" :
			    "backup", st[i].rc == QS_EPASS ? "wrong passphrase "
			    "or damaged" : keystore_repair_state(&st[i]));
		else if (st[1 - i].unlocks &&
		    st[i].generation < st[1 - i].generation)
			snprintf(msg, sizeof(msg), "%s: the %s keystore is "
			    "older (generation %llu) than the %s (generation "
			    "%llu)", st[i].path, i == 0 ? "primary" :
			    "backup", (unsigned long long)st[i].generation,
			    other, (unsigned long long)st[1 - i].generation);
		if (msg[0] == '\0')
			continue;
		if (hint[0] != '\0') {
			size_t n = strlen(msg);

			snprintf(msg + n, sizeof(msg) - n, "; %s", hint);
		}
		if (c != NULL) {
			c->keystore_damaged++;
			c->findings++;
		}
		emit(cb, ctx, VERIFY_KIND_KEYSTORE, NULL, 0, st[i].path, -1,
		    st[i].present ? (st[i].rc == QS_OK ? QS_ECORRUPT :
		    st[i].rc) : QS_ENOENT, msg);
	}
	free(st);
	return (QS_OK);
}
