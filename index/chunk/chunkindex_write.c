/*
 * The chunk index, write half: staging entries in memory, flushing them
 * as a segment, compaction, and replacing the whole index.
 */

#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "format/endian.h"
#include "format/appender.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "format/segment.h"
#include "index/chunk/chunkindex.h"
#include "index/chunk/chunkindex_internal.h"

/* --- Bloom filter ------------------------------------------------------- */

static uint64_t
bloom_nblocks(uint64_t count)
{

	return ((count * BLOOM_BITS_PER_ENTRY + 511) / 512);
}

static void
bloom_set(uint8_t *blk, const uint8_t *id, uint32_t k)
{
	uint32_t i, v;

	for (i = 0; i < k; i++) {
		v = le16dec(id + 8 + 2 * i) & 511;
		blk[v >> 3] |= (uint8_t)(1 << (v & 7));
	}
}

/* --- segment names ------------------------------------------------------ */

static uint32_t
name_random(void)
{
	uint32_t r;

	if (getentropy(&r, sizeof(r)) != 0)
		r = (uint32_t)random() ^ (uint32_t)getpid();
	return (r);
}

static char *
seg_path_new(const struct chunkindex *idx, uint64_t seq)
{
	size_t len = strlen(idx->dir) + NAME_LEN + 2;
	char *p;

	if ((p = malloc(len)) == NULL)
		return (NULL);
	snprintf(p, len, "%s/seg-%016llx-%08lx.qsi", idx->dir,
	    (unsigned long long)seq, (unsigned long)name_random());
	return (p);
}

/* --- stage -------------------------------------------------------------- */

static int
stage_grow_table(struct chunkindex *idx)
{
	size_t ncap = idx->st_tabcap ? idx->st_tabcap * 2 : 1024;
	uint32_t *old = idx->st_tab;
	size_t i;
	int found;

	if (ncap > SIZE_MAX / sizeof(*old))
		return (chunkindex_enomem());
	if ((idx->st_tab = calloc(ncap, sizeof(*old))) == NULL) {
		idx->st_tab = old;
		return (chunkindex_enomem());
	}
	free(old);
	idx->st_tabcap = ncap;
	for (i = 0; i < idx->st_n; i++)
		idx->st_tab[chunkindex_stage_slot(idx,
		    idx->st_ents + i * SEGMENT_ENTRY_SIZE, &found)] =
		    (uint32_t)(i + 1);
	return (QS_OK);
}

static void
stage_clear(struct chunkindex *idx)
{

	idx->st_n = 0;
	if (idx->st_tab != NULL)
		memset(idx->st_tab, 0, idx->st_tabcap * sizeof(*idx->st_tab));
}

/**
 * chunkindex_stage(idx, id, loc):
 * Remember ${id} -> ${loc} in memory; it is visible to lookup at once and
 * replaces an earlier staged location of ${id}.  Return QS_OK, QS_EINVAL
 * if ${loc} has length 0 or offset + length > 2^32, QS_ELIMIT beyond
 * 2^32 - 2 staged entries, or QS_ENOMEM.
 */
int
chunkindex_stage(struct chunkindex *idx, const uint8_t id[32],
    const struct chunk_loc *loc)
{
	uint8_t ent[SEGMENT_ENTRY_SIZE];
	uint8_t *ne;
	size_t h, ncap;
	int found, rc;

	segment_entry_encode(ent, id, loc->container_id, loc->offset,
	    loc->length);
	if (segment_entry_check(ent) != QS_OK)
		return (qs_error_set(QS_EINVAL,
		    "chunk location offset %lu length %lu is invalid",
		    (unsigned long)loc->offset, (unsigned long)loc->length));
	if (idx->st_tabcap == 0 || (idx->st_n + 1) * 10 > idx->st_tabcap * 7)
		if ((rc = stage_grow_table(idx)) != QS_OK)
			return (rc);
	h = chunkindex_stage_slot(idx, id, &found);
	if (found) {
		memcpy(idx->st_ents + (size_t)(idx->st_tab[h] - 1) *
		    SEGMENT_ENTRY_SIZE, ent, sizeof(ent));
		return (QS_OK);
	}
	if (idx->st_n >= STAGE_MAX)
		return (qs_error_set(QS_ELIMIT,
		    "more than %zu staged index entries", STAGE_MAX));
	if (idx->st_n == idx->st_cap) {
		ncap = idx->st_cap ? idx->st_cap * 2 : 1024;
		if (ncap > SIZE_MAX / SEGMENT_ENTRY_SIZE ||
		    (ne = realloc(idx->st_ents, ncap * SEGMENT_ENTRY_SIZE))
		    == NULL)
			return (chunkindex_enomem());
		idx->st_ents = ne;
		idx->st_cap = ncap;
	}
	memcpy(idx->st_ents + idx->st_n * SEGMENT_ENTRY_SIZE, ent,
	    sizeof(ent));
	idx->st_tab[h] = (uint32_t)(++idx->st_n);
	return (QS_OK);
}

/**
 * chunkindex_staged_count(idx):
 * Return the number of staged (not yet flushed) entries.  Staged memory is
 * 48 bytes per entry in an array grown by doubling, plus a 4-byte hash slot
 * per 0.7 entries (also doubling): 56 MiB for 1M entries; a flush or
 * foreach adds 8 bytes per entry while it runs.
 */
size_t
chunkindex_staged_count(const struct chunkindex *idx)
{

	return (idx->st_n);
}

/* --- entry streams ------------------------------------------------------ */

/*
 * A restartable stream of encoded entries in strictly increasing id order.
 * next() returns 1 and an entry, 0 at the end, or an error.
 */
struct estream {
	void (*reset)(void *);
	int (*next)(void *, const uint8_t **);
	void *ctx;
};

/* An array of entries, optionally through a permutation. */
struct arrstream {
	const uint8_t *base;
	const uint32_t *perm;
	size_t n, i;
};

static void
arr_reset(void *c)
{

	((struct arrstream *)c)->i = 0;
}

static int
arr_next(void *c, const uint8_t **e)
{
	struct arrstream *a = c;
	size_t j;

	if (a->i >= a->n)
		return (0);
	j = a->perm ? a->perm[a->i] : a->i;
	a->i++;
	*e = a->base + j * SEGMENT_ENTRY_SIZE;
	return (1);
}

/* --- writing segments --------------------------------------------------- */

/* The trailer checksum covers every byte before it, as it is written. */
static void
sum_drained(void *cs, const uint8_t *p, size_t len)
{

	checksum_update(cs, p, len);
}

/*
 * Write a segment with sequence number ${seq}, base ${base} and the
 * ${count} entries of ${es} (read twice: entries, then the Bloom filter,
 * whose blocks follow id order), durably; map it into ${out}.
 */
static int
write_segment(struct chunkindex *idx, uint64_t seq, uint64_t base,
    uint64_t count, const struct estream *es, struct chunkindex_seg **out)
{
	struct segment_header h;
	struct fileio_tmp *t = NULL;
	struct checksum_state cs;
	struct appender w;
	uint8_t *buf;
	uint8_t hb[SEGMENT_HEADER_SIZE], blk[SEGMENT_BLOOM_BLOCK];
	uint8_t digest[CHECKSUM_BYTES], tr[SEGMENT_TRAILER_SIZE];
	const uint8_t *e;
	uint64_t n, b, cur;
	char *path;
	int rc;

	/* The header, then a temporary file beside the final name. */
	memset(&h, 0, sizeof(h));
	h.count = count;
	h.seq = seq;
	h.base_seq = base;
	h.bloom_k = BLOOM_K;
	h.bloom_bytes = bloom_nblocks(count) * SEGMENT_BLOOM_BLOCK;
	if ((rc = segment_file_size(&h, &n)) != QS_OK)
		return (rc);
	if ((path = seg_path_new(idx, seq)) == NULL)
		return (chunkindex_enomem());
	if ((buf = malloc(WRITE_BUF_SIZE)) == NULL) {
		rc = chunkindex_enomem();
		goto err0;
	}
	if ((rc = fileio_tmp_open(path, SEGMENT_MODE, &t)) != QS_OK)
		goto err0;
	checksum_init(&cs);
	appender_init(&w, t, buf, WRITE_BUF_SIZE, sum_drained, &cs);
	segment_header_encode(&h, hb);
	if ((rc = appender_put(&w, hb, sizeof(hb))) != QS_OK)
		goto err1;

	/* First pass: the entries. */
	es->reset(es->ctx);
	for (n = 0; (rc = es->next(es->ctx, &e)) == 1; n++)
		if ((rc = appender_put(&w, e, SEGMENT_ENTRY_SIZE)) != QS_OK)
			goto err1;
	if (rc < 0)
		goto err1;
	if (n != count) {
		rc = qs_error_set(QS_ECORRUPT,
		    "%s: index entries changed while being written", path);
		goto err1;
	}

	/* Second pass: the Bloom filter, block by block in id order. */
	es->reset(es->ctx);
	memset(blk, 0, sizeof(blk));
	cur = 0;
	while ((rc = es->next(es->ctx, &e)) == 1) {
		b = chunkindex_bloom_block(e,
		    h.bloom_bytes / SEGMENT_BLOOM_BLOCK);
		for (; cur < b; cur++) {
			if ((rc = appender_put(&w, blk, sizeof(blk))) !=
			    QS_OK)
				goto err1;
			memset(blk, 0, sizeof(blk));
		}
		bloom_set(blk, e, h.bloom_k);
	}
	if (rc < 0)
		goto err1;
	for (; cur < h.bloom_bytes / SEGMENT_BLOOM_BLOCK; cur++) {
		if ((rc = appender_put(&w, blk, sizeof(blk))) != QS_OK)
			goto err1;
		memset(blk, 0, sizeof(blk));
	}

	/* The trailer checksum, then fsync and rename; map the result. */
	if ((rc = appender_drain(&w)) != QS_OK)
		goto err1;
	checksum_final(&cs, digest);
	segment_trailer_encode(digest, tr);
	if ((rc = fileio_tmp_write(t, tr, sizeof(tr))) != QS_OK)
		goto err1;
	rc = fileio_tmp_commit(t, 1);
	t = NULL;
	if (rc != QS_OK)
		goto err0;
	free(buf);
	return (chunkindex_seg_map(path, &seq, out));

err1:
	fileio_tmp_abort(t);
err0:
	free(buf);
	free(path);
	return (rc);
}

/* --- flush and compact -------------------------------------------------- */

/*
 * Merge the segments in[0..n) (oldest first) into one new segment with
 * sequence number ${seq} and base ${base}: count pass, then the two passes
 * of write_segment, all over the mappings.
 */
static int
merge_segments(struct chunkindex *idx, struct chunkindex_seg *const *in,
    size_t n, uint64_t seq, uint64_t base, struct chunkindex_seg **out)
{
	struct estream es;
	struct chunkindex_merge m;
	const uint8_t *e;
	uint64_t count = 0;
	size_t i;
	int rc;

	if ((rc = chunkindex_merge_init(&m, in, n, NULL)) != QS_OK)
		return (rc);
	for (i = 0; i < n; i++)
		chunkindex_seg_advise(in[i], MADV_SEQUENTIAL);
	chunkindex_merge_reset(&m);
	while ((rc = chunkindex_merge_next(&m, &e)) == 1)
		count++;
	if (rc == 0) {
		es.reset = chunkindex_merge_reset;
		es.next = chunkindex_merge_next;
		es.ctx = &m;
		rc = write_segment(idx, seq, base, count, &es, out);
	}
	for (i = 0; i < n; i++)
		chunkindex_seg_advise(in[i], MADV_RANDOM);
	chunkindex_merge_free(&m);
	return (rc);
}

/* Unlink and free segs[0..n); return the first error. */
static int
segs_remove(struct chunkindex_seg **segs, size_t n)
{
	size_t i;
	int rc = QS_OK, r;

	for (i = 0; i < n; i++) {
		if ((r = fileio_unlink(segs[i]->path)) != QS_OK && rc == QS_OK)
			rc = r;
		chunkindex_seg_free(segs[i]);
	}
	return (rc);
}

static int
dead_remove(struct chunkindex *idx)
{
	int rc;

	while (idx->ndead > 0) {
		if ((rc = fileio_unlink(idx->dead[idx->ndead - 1])) != QS_OK)
			return (rc);
		free(idx->dead[--idx->ndead]);
	}
	return (QS_OK);
}

static int
seq_take(struct chunkindex *idx, uint64_t *seq)
{

	if (idx->next_seq == UINT64_MAX)
		return (qs_error_set(QS_ELIMIT,
		    "%s: segment sequence numbers exhausted", idx->dir));
	*seq = idx->next_seq++;
	return (QS_OK);
}

/**
 * chunkindex_flush(idx):
 * Write the staged entries as one new segment (sorted; temporary file,
 * fsync, rename, directory fsync), map it and clear the stage.  The caller
 * guarantees the containers these entries point into are already durable.
 * Nothing staged: no-op.  On failure the stage is kept.
 */
int
chunkindex_flush(struct chunkindex *idx)
{
	struct arrstream as;
	struct estream es;
	struct chunkindex_seg *s;
	uint32_t *perm;
	uint64_t seq = 0;
	int rc;

	if (idx->st_n == 0)
		return (QS_OK);
	if ((rc = chunkindex_stage_sort(idx, &perm)) != QS_OK)
		return (rc);
	as.base = idx->st_ents;
	as.perm = perm;
	as.n = idx->st_n;
	as.i = 0;
	es.reset = arr_reset;
	es.next = arr_next;
	es.ctx = &as;
	if ((rc = seq_take(idx, &seq)) != QS_OK)
		goto err0;
	if ((rc = write_segment(idx, seq, 0, idx->st_n, &es, &s)) != QS_OK)
		goto err0;
	if ((rc = chunkindex_push_ptr((void ***)&idx->segs, &idx->nsegs,
	    s)) != QS_OK) {
		/* The file is durable; the next open will see it. */
		chunkindex_seg_free(s);
		goto err0;
	}
	stage_clear(idx);
err0:
	free(perm);
	return (rc);
}

/**
 * chunkindex_compact(idx):
 * Remove obsolete segments, then merge segments while the newest group is
 * at least half the size (in entries) of the next older segment (see
 * spec/index.md): the number of segments stays O(log n) and each entry is
 * rewritten O(log n) times.  Each merged segment is written durably before
 * its inputs are unlinked; a crash in between leaves duplicates, which are
 * harmless.  Memory use does not depend on the segment sizes (three
 * streaming passes over the mapped inputs).  Staged entries are untouched.
 */
int
chunkindex_compact(struct chunkindex *idx)
{
	struct chunkindex_seg *out;
	uint64_t g, base;
	size_t j, k, m;
	int rc;

	if ((rc = dead_remove(idx)) != QS_OK)
		return (rc);
	for (;;) {
		if ((m = idx->nsegs) < 2)
			break;
		j = m - 1;
		g = idx->segs[j]->h.count;
		base = idx->segs[j]->h.base_seq;
		while (j > 0 && g >= idx->segs[j - 1]->h.count -
		    idx->segs[j - 1]->h.count / 2) {
			j--;
			g += idx->segs[j]->h.count;
			if (idx->segs[j]->h.base_seq > base)
				base = idx->segs[j]->h.base_seq;
		}
		if (j == m - 1)
			break;
		/*
		 * The output takes the newest input's sequence number: it
		 * ranks above the older inputs and equals the newest one in
		 * content for every id they share, so a leftover input
		 * after a crash changes no lookup.
		 */
		if ((rc = merge_segments(idx, idx->segs + j, m - j,
		    idx->segs[m - 1]->h.seq, base, &out)) != QS_OK)
			return (rc);
		rc = segs_remove(idx->segs + j, m - j);
		idx->segs[j] = out;
		idx->nsegs = j + 1;
		for (k = j + 1; k < m; k++)
			idx->segs[k] = NULL;
		if (rc != QS_OK)
			return (rc);
	}
	return (QS_OK);
}

/* --- replace_all -------------------------------------------------------- */

struct rctx {
	struct chunkindex *idx;
	uint8_t *buf;
	size_t n;
	uint8_t last[SEGMENT_ID_SIZE];
	int have_last;
	struct chunkindex_seg **runs;
	size_t nruns;
	int err;
};

/* Write the buffered entries as a run segment (base 0: not yet final). */
static int
run_write(struct rctx *r, uint64_t base)
{
	struct arrstream as = { r->buf, NULL, r->n, 0 };
	struct estream es = { arr_reset, arr_next, &as };
	struct chunkindex_seg *s;
	uint64_t seq = 0;
	int rc;

	if ((rc = seq_take(r->idx, &seq)) != QS_OK)
		return (rc);
	if (base == UINT64_MAX)
		base = seq;
	if ((rc = write_segment(r->idx, seq, base, r->n, &es, &s)) != QS_OK)
		return (rc);
	if ((rc = chunkindex_push_ptr((void ***)&r->runs, &r->nruns, s)) !=
	    QS_OK) {
		(void)fileio_unlink(s->path);
		chunkindex_seg_free(s);
		return (rc);
	}
	r->n = 0;
	return (QS_OK);
}

static int
replace_emit(void *c, const uint8_t id[32], const struct chunk_loc *loc)
{
	struct rctx *r = c;
	uint8_t *e;
	int rc;

	if (r->err != QS_OK)
		return (r->err);
	if (r->have_last && memcmp(r->last, id, SEGMENT_ID_SIZE) >= 0) {
		rc = qs_error_set(QS_EINVAL,
		    "replace_all: ids not in strictly increasing order");
		goto err;
	}
	e = r->buf + r->n * SEGMENT_ENTRY_SIZE;
	segment_entry_encode(e, id, loc->container_id, loc->offset,
	    loc->length);
	if (segment_entry_check(e) != QS_OK) {
		rc = qs_error_set(QS_EINVAL,
		    "replace_all: chunk location offset %lu length %lu is "
		    "invalid", (unsigned long)loc->offset,
		    (unsigned long)loc->length);
		goto err;
	}
	memcpy(r->last, id, SEGMENT_ID_SIZE);
	r->have_last = 1;
	if (++r->n == r->idx->run_entries && (rc = run_write(r, 0)) != QS_OK)
		goto err;
	return (QS_OK);

err:
	r->err = rc;
	return (rc);
}

/**
 * chunkindex_replace_all(idx, gen, ctx):
 * Call ${gen}(${ctx}, emit, emit_ctx) once; ${gen} calls emit(emit_ctx, id,
 * loc) for each entry of the new index in strictly increasing id order and
 * returns QS_OK or an error.  The entries become one new segment with a
 * sequence number above all existing ones whose base sequence number makes
 * every older segment obsolete; then the older segments are unlinked.
 * Memory: a run buffer of chunkindex_set_run_entries() entries; longer
 * inputs are written as runs (segments of their own) and merged.  The
 * containers the entries point into must be durable before the call.  On
 * failure the runs written so far are removed and the index is unchanged;
 * after a crash the runs may remain, which is harmless (they are newer and
 * point into durable containers).  Return QS_OK, QS_EINVAL if entries are
 * staged, ids are out of order or a location is invalid (the error emit
 * returned), ${gen}'s error, or an I/O error.
 */
int
chunkindex_replace_all(struct chunkindex *idx,
    int (*gen)(void *, int (*)(void *, const uint8_t[32],
    const struct chunk_loc *), void *), void *ctx)
{
	struct rctx r;
	struct chunkindex_seg *out = NULL, **newsegs;
	uint64_t s0;
	int rc, rc2;

	if (idx->st_n > 0)
		return (qs_error_set(QS_EINVAL,
		    "replace_all: %zu entries are staged; flush them first",
		    idx->st_n));
	memset(&r, 0, sizeof(r));
	r.idx = idx;
	s0 = idx->next_seq;
	/* Allocate everything the switch-over needs before writing. */
	if ((newsegs = malloc(sizeof(*newsegs))) == NULL)
		return (chunkindex_enomem());
	if (idx->run_entries > SIZE_MAX / SEGMENT_ENTRY_SIZE ||
	    (r.buf = malloc(idx->run_entries * SEGMENT_ENTRY_SIZE)) == NULL) {
		rc = chunkindex_enomem();
		goto err;
	}
	/* The generator's entries, written as runs of run_entries each. */
	rc = gen(ctx, replace_emit, &r);
	if (r.err != QS_OK)
		rc = r.err;
	if (rc != QS_OK)
		goto err;
	/* One final segment: the buffer itself, or the merge of the runs. */
	if (r.nruns == 0) {
		/* Everything fit: the buffer is the final segment. */
		if ((rc = run_write(&r, UINT64_MAX)) != QS_OK)
			goto err;
		out = r.runs[0];
	} else {
		if (r.n > 0 && (rc = run_write(&r, 0)) != QS_OK)
			goto err;
		if ((rc = merge_segments(idx, r.runs, r.nruns,
		    r.runs[r.nruns - 1]->h.seq, s0, &out)) != QS_OK)
			goto err;
		/* Leftover runs would be harmless duplicates: go on. */
		rc = segs_remove(r.runs, r.nruns);
	}
	free(r.runs);
	free(r.buf);

	/* ${out} is durable and makes every older segment obsolete. */
	rc2 = segs_remove(idx->segs, idx->nsegs);
	if (rc == QS_OK)
		rc = rc2;
	free(idx->segs);
	newsegs[0] = out;
	idx->segs = newsegs;
	idx->nsegs = 1;
	rc2 = dead_remove(idx);
	if (rc == QS_OK)
		rc = rc2;
	return (rc);

err:
	(void)segs_remove(r.runs, r.nruns);
	free(r.runs);
	free(r.buf);
	free(newsegs);
	return (rc);
}

/* --- tuning ------------------------------------------------------------- */

/**
 * chunkindex_set_run_entries(idx, n):
 * Set the number of entries chunkindex_replace_all buffers in memory before
 * writing a run (default 1048576, i.e. 48 MiB; minimum 1).  For tuning and
 * tests.
 */
void
chunkindex_set_run_entries(struct chunkindex *idx, size_t n)
{

	idx->run_entries = n ? n : 1;
}
