/*
 * The chunk index, read half: opening (mapping the segments), lookup,
 * iteration (a k-way merge, also used by the write half), counts and
 * verification.  chunkindex_write.c stages, flushes and compacts;
 * chunkindex_internal.h is what the two share.
 */

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "format/endian.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "format/segment.h"
#include "index/chunk/chunkindex.h"
#include "index/chunk/chunkindex_internal.h"

/* --- small helpers ------------------------------------------------------ */

/* The first 8 id bytes as a big-endian integer: ordered like memcmp. */
/* Fresh listings chunkindex_open tries when segments vanish under it. */
#define RELIST_MAX	50

static uint64_t
id_prefix(const uint8_t *id)
{
	uint64_t x = 0;
	int i;

	for (i = 0; i < 8; i++)
		x = (x << 8) | id[i];
	return (x);
}

/* floor(a * b / 2^64), portably. */
static uint64_t
mulhi64(uint64_t a, uint64_t b)
{
	uint64_t a0 = (uint32_t)a, a1 = a >> 32;
	uint64_t b0 = (uint32_t)b, b1 = b >> 32;
	uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;

	return (p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32));
}

/* Compare two ids (memcmp order), using the prefix first. */
static int
id_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t pa = id_prefix(a), pb = id_prefix(b);

	if (pa != pb)
		return (pa < pb ? -1 : 1);
	return (memcmp(a + 8, b + 8, SEGMENT_ID_SIZE - 8));
}

/**
 * chunkindex_bloom_block(id, nblocks):
 * Bloom bit selection (spec/index.md, "Bloom filter"): the block is
 * floor(prefix * nblocks / 2^64), where prefix is id[0..8) big-endian, so
 * blocks follow id order and a sorted entry stream yields the filter block
 * by block; bit i (0 <= i < k) of the 512 in the block is
 * le16(id[8 + 2i], id[9 + 2i]) mod 512.
 */
uint64_t
chunkindex_bloom_block(const uint8_t *id, uint64_t nblocks)
{

	return (mulhi64(id_prefix(id), nblocks));
}

static int
bloom_test(const uint8_t *blk, const uint8_t *id, uint32_t k)
{
	uint32_t i, v;

	for (i = 0; i < k; i++) {
		v = le16dec(id + 8 + 2 * i) & 511;
		if ((blk[v >> 3] & (1 << (v & 7))) == 0)
			return (0);
	}
	return (1);
}

static void
loc_from_entry(const uint8_t *e, struct chunk_loc *loc)
{

	segment_entry_decode(e, &loc->container_id, &loc->offset,
	    &loc->length);
}

/* --- segment names ------------------------------------------------------ */

static int
hexval(char c)
{

	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* Return 1 and the sequence number if ${name} is a segment name. */
static int
name_parse(const char *name, uint64_t *seq)
{
	uint64_t s = 0;
	int i, v;

	if (strlen(name) != NAME_LEN || strncmp(name, "seg-", 4) != 0 ||
	    name[20] != '-' || strcmp(name + 29, ".qsi") != 0)
		return (0);
	for (i = 4; i < 29; i++) {
		if (i == 20)
			continue;
		if ((v = hexval(name[i])) < 0)
			return (0);
		if (i < 20)
			s = (s << 4) | (uint64_t)v;
	}
	*seq = s;
	return (1);
}

/* --- mapping segments --------------------------------------------------- */

/**
 * chunkindex_seg_free(s):
 * Unmap and free segment ${s}; NULL is allowed.
 */
void
chunkindex_seg_free(struct chunkindex_seg *s)
{

	if (s == NULL)
		return;
	if (s->map != NULL)
		munmap(s->map, s->maplen);
	free(s->path);
	free(s);
}

/**
 * chunkindex_seg_advise(s, advice):
 * madvise(2) the whole mapping of ${s}; failure is harmless.
 */
void
chunkindex_seg_advise(struct chunkindex_seg *s, int advice)
{

	(void)madvise(s->map, s->maplen, advice);
}

/* Drop the mapped pages below ${upto} (rounded down to RELEASE_CHUNK). */
/*
 * 1 if the last 32 bytes of the mapped segment ${s} are not the checksum
 * of all the bytes before them (checked only where the header is not
 * understood; chunkindex_verify checks it for every segment).
 */
static int
seg_sum_bad(const struct chunkindex_seg *s)
{
	uint8_t digest[CHECKSUM_BYTES];

	if (s->maplen < SEGMENT_TRAILER_SIZE)
		return (1);
	checksum_blake2b256(s->map, s->maplen - SEGMENT_TRAILER_SIZE, digest);
	return (memcmp(digest, s->map + s->maplen - SEGMENT_TRAILER_SIZE,
	    CHECKSUM_BYTES) != 0);
}

static void
seg_release(const struct chunkindex_seg *s, uint64_t *released, uint64_t upto)
{

	while (upto - *released >= RELEASE_CHUNK) {
		(void)madvise(s->map + *released, RELEASE_CHUNK,
		    MADV_DONTNEED);
		*released += RELEASE_CHUNK;
	}
}

/**
 * chunkindex_seg_map(path, name_seq, out):
 * Map the segment at ${path} (ownership of the string passes to the
 * segment, also on failure) and validate its header and size.  If
 * ${name_seq} is non-NULL the header's sequence number must equal it.
 */
int
chunkindex_seg_map(char *path, const uint64_t *name_seq,
    struct chunkindex_seg **out)
{
	struct chunkindex_seg *s;
	struct stat st;
	uint64_t want;
	const char *slash;
	int fd, rc;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		free(path);
		return (chunkindex_enomem());
	}
	s->path = path;
	slash = strrchr(path, '/');
	s->name = (slash == NULL) ? path : slash + 1;
	/* Map the whole file read-only. */
	if ((rc = fileio_open_regular(path, 0, &fd)) != QS_OK)
		goto err0;
	if (fstat(fd, &st) != 0) {
		rc = qs_error_errno(path, "stat");
		goto err1;
	}
	if (st.st_size < SEGMENT_HEADER_SIZE + SEGMENT_TRAILER_SIZE) {
		rc = qs_error_set(QS_ECORRUPT,
		    "%s: truncated index segment: %lld bytes", path,
		    (long long)st.st_size);
		goto err1;
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		rc = qs_error_set(QS_ELIMIT, "%s: too large to map", path);
		goto err1;
	}
	s->maplen = (size_t)st.st_size;
	s->map = mmap(NULL, s->maplen, PROT_READ, MAP_SHARED, fd, 0);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		rc = qs_error_errno(path, "mmap");
		goto err1;
	}
	close(fd);
	fd = -1;
	/* Lookups touch a few scattered pages: no read-ahead. */
	chunkindex_seg_advise(s, MADV_RANDOM);
	/* The header must describe exactly this file and this name. */
	if ((rc = segment_header_decode(s->map, s->maplen, &s->h)) != QS_OK) {
		/*
		 * An unknown version or flag: first the integrity (every
		 * version ends in the checksum of all before it, index.md
		 * 3.4).  A rotten version byte is damage, not a newer qsarc.
		 */
		if (rc == QS_EVERSION && seg_sum_bad(s)) {
			rc = qs_error_set(QS_ECORRUPT, "%s: index segment is "
			    "damaged (its version or flags read as unknown, "
			    "and its checksum does not match)", path);
			goto err0;
		}
		rc = qs_error_prefix(rc, path);
		goto err0;
	}
	if ((rc = segment_file_size(&s->h, &want)) != QS_OK) {
		rc = qs_error_prefix(rc, path);
		goto err0;
	}
	if (want != (uint64_t)st.st_size) {
		rc = qs_error_set(QS_ECORRUPT,
		    "%s: index segment is %lld bytes but its header (%llu "
		    "entries, %llu bloom bytes) needs %llu", path,
		    (long long)st.st_size, (unsigned long long)s->h.count,
		    (unsigned long long)s->h.bloom_bytes,
		    (unsigned long long)want);
		goto err0;
	}
	if (name_seq != NULL && *name_seq != s->h.seq) {
		rc = qs_error_set(QS_ECORRUPT,
		    "%s: header sequence number %llu does not match the name",
		    path, (unsigned long long)s->h.seq);
		goto err0;
	}
	s->ents = s->map + segment_entries_offset();
	s->bloom = s->map + segment_bloom_offset(&s->h);
	s->nblocks = s->h.bloom_bytes / SEGMENT_BLOOM_BLOCK;
	*out = s;
	return (QS_OK);

err1:
	if (fd >= 0)
		close(fd);
err0:
	chunkindex_seg_free(s);
	return (rc);
}

/*
 * Order segments by sequence number; equal numbers (a merge output and a
 * leftover input, equal on every shared id) by count, larger last, so the
 * next compaction sees the leftover as a small newer segment and merges it
 * away; then by name.
 */
static int
seg_order(const void *a, const void *b)
{
	const struct chunkindex_seg *x = *(struct chunkindex_seg *const *)a;
	const struct chunkindex_seg *y = *(struct chunkindex_seg *const *)b;

	if (x->h.seq != y->h.seq)
		return (x->h.seq < y->h.seq ? -1 : 1);
	if (x->h.count != y->h.count)
		return (x->h.count < y->h.count ? -1 : 1);
	return (strcmp(x->name, y->name));
}

/* --- searching a segment ------------------------------------------------ */

/*
 * Find ${id} among the sorted entries of ${s}: return the entry or NULL.
 * Ids are uniform, so entry i has a prefix near i * 2^64 / n.  Two
 * interpolation probes: the first at prefix * n / 2^64 (off by about
 * sqrt(n) / 2 entries), the second corrected by the prefix found there
 * (off by a few entries, usually in the same page); then a gallop outward
 * from there with doubling steps to bracket the id, and a binary search of
 * the bracket.  About 2-3 pages and 5-6 comparisons per lookup; with
 * hostile data the gallop and bisection still bound it to O(log n).  Every
 * probe stays in [lo, hi) within [0, count), which open checked against
 * the file size.
 */
static const uint8_t *
seg_search(const struct chunkindex_seg *s, const uint8_t *id)
{
	uint64_t n = s->h.count, lo = 0, hi = n, t = id_prefix(id);
	uint64_t pos, q, d, k, step;
	const uint8_t *e;
	int c, r;

	pos = mulhi64(t, n);
	for (r = 0; r < 2; r++) {
		e = s->ents + pos * SEGMENT_ENTRY_SIZE;
		if ((c = id_cmp(id, e)) == 0)
			return (e);
		k = id_prefix(e);
		if (c > 0) {
			lo = pos + 1;
			d = (t >= k) ? mulhi64(t - k, n) : 0;
			pos = (hi - pos > d) ? pos + d : hi - 1;
		} else {
			hi = pos;
			d = (k >= t) ? mulhi64(k - t, n) : 0;
			pos = (pos - lo > d) ? pos - d : lo;
		}
		if (lo >= hi)
			return (NULL);
		if (pos < lo)
			pos = lo;
		if (pos >= hi)
			pos = hi - 1;
	}
	/* Gallop from pos until [lo, hi) brackets the id. */
	e = s->ents + pos * SEGMENT_ENTRY_SIZE;
	if ((c = id_cmp(id, e)) == 0)
		return (e);
	for (step = 4;; step *= 2) {
		if (c > 0) {
			lo = pos + 1;
			if (lo >= hi)
				return (NULL);
			q = (hi - lo > step) ? pos + step : hi - 1;
		} else {
			hi = pos;
			if (lo >= hi)
				return (NULL);
			q = (pos - lo > step) ? pos - step : lo;
		}
		e = s->ents + q * SEGMENT_ENTRY_SIZE;
		if ((r = id_cmp(id, e)) == 0)
			return (e);
		if ((r > 0) != (c > 0)) {
			/* Passed it: the id lies strictly between. */
			if (r > 0)
				lo = q + 1;
			else
				hi = q;
			break;
		}
		pos = q;
		if (step > n)
			break;	/* only with a corrupt order */
	}
	while (lo < hi) {
		q = lo + (hi - lo) / 2;
		e = s->ents + q * SEGMENT_ENTRY_SIZE;
		if ((c = id_cmp(id, e)) == 0)
			return (e);
		if (c < 0)
			hi = q;
		else
			lo = q + 1;
	}
	return (NULL);
}

static const uint8_t *
seg_lookup(const struct chunkindex_seg *s, const uint8_t *id)
{
	const uint8_t *blk;

	if (s->h.count == 0)
		return (NULL);
	blk = s->bloom + chunkindex_bloom_block(id, s->nblocks) *
	    SEGMENT_BLOOM_BLOCK;
	if (!bloom_test(blk, id, s->h.bloom_k))
		return (NULL);
	return (seg_search(s, id));
}

/* --- open / close ------------------------------------------------------- */

/**
 * chunkindex_push_ptr(arr, n, p):
 * Append ${p} to the array ${arr} of ${n} pointers.
 */
int
chunkindex_push_ptr(void ***arr, size_t *n, void *p)
{
	void **a;

	if ((a = realloc(*arr, (*n + 1) * sizeof(*a))) == NULL)
		return (chunkindex_enomem());
	a[(*n)++] = p;
	*arr = a;
	return (QS_OK);
}

/**
 * chunkindex_open(dir, idx):
 * Map every segment file in the existing directory ${dir} (read-only,
 * MAP_SHARED) and validate its header and size; store a new handle in
 * ${idx}.  Temporary files (".tmp-*") and names that are not segment names
 * are ignored; segments made obsolete by a newer segment's base sequence
 * number are not mapped (chunkindex_compact removes them).  Return QS_OK,
 * QS_ENOENT if ${dir} does not exist, QS_ECORRUPT naming the file for a
 * damaged segment (bad magic, non-zero reserved bytes, size not matching
 * the header, name not matching the header), QS_EVERSION for an unknown
 * version or flag, or QS_EIO / QS_ENOMEM.
 */
int
chunkindex_open(const char *dir, struct chunkindex **idxp)
{
	struct chunkindex *idx;
	struct dirent *de;
	struct chunkindex_seg *s;
	DIR *d;
	uint64_t seq, base = 0, maxseq = 0;
	size_t i, j, len;
	char *path;
	int rc, attempts;

	if ((idx = calloc(1, sizeof(*idx))) == NULL)
		return (chunkindex_enomem());
	idx->run_entries = RUN_ENTRIES_DEFAULT;
	if ((idx->dir = strdup(dir)) == NULL) {
		rc = chunkindex_enomem();
		goto err0;
	}
	/*
	 * Map every segment file of the directory.  A segment listed here
	 * may be deleted before it is opened: a concurrent compaction (put)
	 * publishes the merged segment first and only then deletes the ones
	 * it replaces, so a vanished segment means the listing is out of
	 * date, never that data is gone.  Start again with a fresh listing
	 * (a segment deleted after it was mapped stays readable: the mapping
	 * holds it).
	 */
	attempts = 0;
relist:
	if ((d = opendir(dir)) == NULL) {
		rc = qs_error_errno(dir, "open index directory");
		goto err0;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				rc = qs_error_errno(dir, "read directory");
				goto err1;
			}
			break;
		}
		if (fileio_is_tmp_name(de->d_name) ||
		    !name_parse(de->d_name, &seq))
			continue;
		len = strlen(dir) + strlen(de->d_name) + 2;
		if ((path = malloc(len)) == NULL) {
			rc = chunkindex_enomem();
			goto err1;
		}
		snprintf(path, len, "%s/%s", dir, de->d_name);
		if ((rc = chunkindex_seg_map(path, &seq, &s)) == QS_ENOENT &&
		    ++attempts < RELIST_MAX) {
			closedir(d);
			for (i = 0; i < idx->nsegs; i++)
				chunkindex_seg_free(idx->segs[i]);
			idx->nsegs = 0;
			base = maxseq = 0;
			qs_error_clear();
			goto relist;
		}
		if (rc != QS_OK)
			goto err1;
		if ((rc = chunkindex_push_ptr((void ***)&idx->segs,
		    &idx->nsegs, s)) != QS_OK) {
			chunkindex_seg_free(s);
			goto err1;
		}
		if (s->h.base_seq > base)
			base = s->h.base_seq;
		if (s->h.seq > maxseq)
			maxseq = s->h.seq;
	}
	closedir(d);
	d = NULL;
	if (maxseq == UINT64_MAX) {
		rc = qs_error_set(QS_ECORRUPT,
		    "%s: segment sequence numbers exhausted", dir);
		goto err0;
	}
	/* Oldest first, and new segments numbered above all of them. */
	idx->next_seq = maxseq + 1;
	if (idx->nsegs > 1)
		qsort(idx->segs, idx->nsegs, sizeof(*idx->segs), seg_order);

	/* Segments below the highest base sequence number are obsolete. */
	for (i = j = 0; i < idx->nsegs; i++) {
		s = idx->segs[i];
		if (s->h.seq >= base) {
			idx->segs[j++] = s;
			continue;
		}
		if ((rc = chunkindex_push_ptr((void ***)&idx->dead, &idx->ndead,
		    s->path)) != QS_OK) {
			/* Keep the rest consistent for chunkindex_close. */
			while (i < idx->nsegs)
				idx->segs[j++] = idx->segs[i++];
			idx->nsegs = j;
			goto err0;
		}
		s->path = NULL;
		chunkindex_seg_free(s);
	}
	idx->nsegs = j;
	*idxp = idx;
	return (QS_OK);

err1:
	if (d != NULL)
		closedir(d);
err0:
	chunkindex_close(idx);
	return (rc);
}

/**
 * chunkindex_close(idx):
 * Unmap the segments and free ${idx}, including entries still staged (they
 * are lost).  ${idx} may be NULL.
 */
void
chunkindex_close(struct chunkindex *idx)
{
	size_t i;

	if (idx == NULL)
		return;
	for (i = 0; i < idx->nsegs; i++)
		chunkindex_seg_free(idx->segs[i]);
	free(idx->segs);
	for (i = 0; i < idx->ndead; i++)
		free(idx->dead[i]);
	free(idx->dead);
	free(idx->st_ents);
	free(idx->st_tab);
	free(idx->dir);
	free(idx);
}

/* --- stage -------------------------------------------------------------- */

/**
 * chunkindex_stage_slot(idx, id, found):
 * The hash slot of ${id} in the stage of ${idx}: its slot (${found} = 1)
 * or the empty slot it would take (${found} = 0).  The table must exist.
 */
size_t
chunkindex_stage_slot(const struct chunkindex *idx, const uint8_t *id,
    int *found)
{
	size_t mask = idx->st_tabcap - 1;
	size_t h = (size_t)le64dec(id + 24) & mask;
	uint32_t v;

	for (;; h = (h + 1) & mask) {
		if ((v = idx->st_tab[h]) == 0) {
			*found = 0;
			return (h);
		}
		if (memcmp(idx->st_ents + (size_t)(v - 1) * SEGMENT_ENTRY_SIZE,
		    id, SEGMENT_ID_SIZE) == 0) {
			*found = 1;
			return (h);
		}
	}
}

static const uint8_t *
stage_find(const struct chunkindex *idx, const uint8_t *id)
{
	size_t h;
	int found;

	if (idx->st_n == 0)
		return (NULL);
	h = chunkindex_stage_slot(idx, id, &found);
	if (!found)
		return (NULL);
	return (idx->st_ents + (size_t)(idx->st_tab[h] - 1) *
	    SEGMENT_ENTRY_SIZE);
}

/* Sort the indices perm[lo..hi) of entries at ${base} by id (heapsort). */
static int
perm_less(const uint8_t *base, uint32_t a, uint32_t b)
{

	return (id_cmp(base + (size_t)a * SEGMENT_ENTRY_SIZE,
	    base + (size_t)b * SEGMENT_ENTRY_SIZE) < 0);
}

static void
perm_sift(const uint8_t *base, uint32_t *p, size_t i, size_t n)
{
	size_t c;
	uint32_t t;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && perm_less(base, p[c], p[c + 1]))
			c++;
		if (!perm_less(base, p[i], p[c]))
			break;
		t = p[i];
		p[i] = p[c];
		p[c] = t;
	}
}

static void
perm_sort(const uint8_t *base, uint32_t *p, size_t n)
{
	size_t i, j;
	uint32_t t;

	if (n <= 16) {
		/* Insertion sort: buckets hold ~1 entry on average. */
		for (i = 1; i < n; i++) {
			t = p[i];
			for (j = i; j > 0 && perm_less(base, t, p[j - 1]); j--)
				p[j] = p[j - 1];
			p[j] = t;
		}
		return;
	}
	for (i = n / 2; i-- > 0;)
		perm_sift(base, p, i, n);
	for (i = n; i-- > 1;) {
		t = p[0];
		p[0] = p[i];
		p[i] = t;
		perm_sift(base, p, 0, i);
	}
}

/**
 * chunkindex_stage_sort(idx, permp):
 * Return in ${permp} a new array of the staged entries' indices in id
 * order.  Ids are uniform, so a counting pass on floor(prefix * n / 2^64)
 * leaves about one entry per bucket and the whole sort is O(n); crafted
 * ids only make it O(n log n).
 */
int
chunkindex_stage_sort(const struct chunkindex *idx, uint32_t **permp)
{
	size_t n = idx->st_n, i, b, nb = n ? n : 1;
	uint32_t *perm, *cnt;

	if ((perm = malloc(nb * sizeof(*perm))) == NULL)
		return (chunkindex_enomem());
	if ((cnt = calloc(nb + 1, sizeof(*cnt))) == NULL) {
		free(perm);
		return (chunkindex_enomem());
	}
	for (i = 0; i < n; i++)
		cnt[mulhi64(id_prefix(idx->st_ents + i * SEGMENT_ENTRY_SIZE),
		    nb) + 1]++;
	for (b = 0; b < nb; b++)
		cnt[b + 1] += cnt[b];
	for (i = 0; i < n; i++)
		perm[cnt[mulhi64(id_prefix(idx->st_ents +
		    i * SEGMENT_ENTRY_SIZE), nb)]++] = (uint32_t)i;
	/* Now cnt[b] is the end of bucket b (and the start of b + 1). */
	for (b = 0; b < nb; b++) {
		size_t lo = b ? cnt[b - 1] : 0;

		perm_sort(idx->st_ents, perm + lo, cnt[b] - lo);
	}
	free(cnt);
	*permp = perm;
	return (QS_OK);
}

/* --- merging sorted sources --------------------------------------------- */

static const uint8_t *
msrc_at(const struct chunkindex_msrc *s, uint64_t i)
{

	return (s->base + (size_t)(s->perm ? s->perm[i] : i) *
	    SEGMENT_ENTRY_SIZE);
}

static int
merge_less(const struct chunkindex_merge *m, size_t a, size_t b)
{
	int c = id_cmp(m->src[a].cur, m->src[b].cur);

	if (c != 0)
		return (c < 0);
	return (m->src[a].rank > m->src[b].rank);
}

static void
merge_sift(struct chunkindex_merge *m, size_t i)
{
	size_t c, t;

	for (; (c = 2 * i + 1) < m->nh; i = c) {
		if (c + 1 < m->nh && merge_less(m, m->heap[c + 1], m->heap[c]))
			c++;
		if (!merge_less(m, m->heap[c], m->heap[i]))
			break;
		t = m->heap[i];
		m->heap[i] = m->heap[c];
		m->heap[c] = t;
	}
}

/**
 * chunkindex_merge_reset(c):
 * Restart the merge ${c} (a struct chunkindex_merge) from the first entry.
 */
void
chunkindex_merge_reset(void *c)
{
	struct chunkindex_merge *m = c;
	size_t i;

	m->nh = 0;
	m->last = NULL;
	for (i = 0; i < m->nsrc; i++) {
		m->src[i].i = 0;
		m->src[i].released = 0;
		if (m->src[i].n == 0)
			continue;
		m->src[i].cur = msrc_at(&m->src[i], 0);
		m->heap[m->nh++] = i;
	}
	for (i = m->nh / 2; i-- > 0;)
		merge_sift(m, i);
}

/**
 * chunkindex_merge_next(c, out):
 * Set ${out} to the merge's next entry and return 1; 0 at the end;
 * QS_ECORRUPT if a source is not strictly increasing.
 */
int
chunkindex_merge_next(void *c, const uint8_t **out)
{
	struct chunkindex_merge *m = c;
	struct chunkindex_msrc *s;
	const uint8_t *e, *nx;

	for (;;) {
		if (m->nh == 0)
			return (0);
		s = &m->src[m->heap[0]];
		e = s->cur;
		if (++s->i < s->n) {
			nx = msrc_at(s, s->i);
			if (id_cmp(e, nx) >= 0)
				return (qs_error_set(QS_ECORRUPT,
				    "%s: index entry at offset %llu is not "
				    "above the one before it (segment not "
				    "sorted)", s->seg ? s->seg->path :
				    "staged entries", (unsigned long long)
				    (SEGMENT_HEADER_SIZE +
				    s->i * SEGMENT_ENTRY_SIZE)));
			s->cur = nx;
			/*
			 * Pages already consumed are dropped from this
			 * process's mapping as the merge advances (they stay
			 * in the page cache), so that merging gigabytes of
			 * segments does not grow the resident set; touching
			 * them again just faults them back in.
			 */
			if (s->seg != NULL && (s->i & 0x1fff) == 0)
				seg_release(s->seg, &s->released,
				    SEGMENT_HEADER_SIZE + (s->i - 1) *
				    SEGMENT_ENTRY_SIZE);
		} else {
			m->heap[0] = m->heap[--m->nh];
		}
		merge_sift(m, 0);
		if (m->last != NULL && memcmp(m->last, e, SEGMENT_ID_SIZE) == 0)
			continue;	/* an older location of the same id */
		m->last = e;
		*out = e;
		return (1);
	}
}

/**
 * chunkindex_merge_init(m, segs, n, extra):
 * Set up the merge ${m} over segs[0..n) (rank = position) plus the
 * optional source ${extra} (ranked newest).
 */
int
chunkindex_merge_init(struct chunkindex_merge *m,
    struct chunkindex_seg *const *segs, size_t n,
    const struct chunkindex_msrc *extra)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->nsrc = n + (extra != NULL);
	if ((m->src = calloc(m->nsrc ? m->nsrc : 1, sizeof(*m->src))) == NULL
	    || (m->heap = calloc(m->nsrc ? m->nsrc : 1, sizeof(*m->heap)))
	    == NULL) {
		free(m->src);
		return (chunkindex_enomem());
	}
	for (i = 0; i < n; i++) {
		m->src[i].base = segs[i]->ents;
		m->src[i].seg = segs[i];
		m->src[i].n = segs[i]->h.count;
		m->src[i].rank = i;
	}
	if (extra != NULL) {
		m->src[n] = *extra;
		m->src[n].rank = n;
	}
	return (QS_OK);
}

/**
 * chunkindex_merge_free(m):
 * Free what chunkindex_merge_init allocated.
 */
void
chunkindex_merge_free(struct chunkindex_merge *m)
{

	free(m->src);
	free(m->heap);
}

/* --- lookup and iteration ----------------------------------------------- */

/**
 * chunkindex_lookup(idx, id, loc):
 * Look ${id} up, in the staged entries first, then in the segments newest
 * first.  Return QS_OK and store the location in ${loc}, or QS_ENOENT.
 */
int
chunkindex_lookup(struct chunkindex *idx, const uint8_t id[32],
    struct chunk_loc *loc)
{
	const uint8_t *e;
	size_t i;

	if ((e = stage_find(idx, id)) != NULL) {
		loc_from_entry(e, loc);
		return (QS_OK);
	}
	for (i = idx->nsegs; i-- > 0;) {
		if ((e = seg_lookup(idx->segs[i], id)) != NULL) {
			loc_from_entry(e, loc);
			return (QS_OK);
		}
	}
	return (QS_ENOENT);
}

/**
 * chunkindex_foreach(idx, cb, ctx):
 * Call ${cb}(${ctx}, id, loc) for every live entry, staged ones included,
 * in increasing id order; for an id present more than once only the newest
 * location is passed.  A k-way merge over the mapped segments: memory grows
 * only with the number of staged entries.  Return QS_OK, QS_ECORRUPT if a
 * segment is not sorted, or the first non-zero value returned by ${cb}
 * (which stops the iteration).
 */
int
chunkindex_foreach(struct chunkindex *idx,
    int (*cb)(void *, const uint8_t[32], const struct chunk_loc *),
    void *ctx)
{
	struct chunkindex_msrc st;
	struct chunkindex_merge m;
	struct chunk_loc loc;
	const uint8_t *e;
	uint32_t *perm = NULL;
	size_t i;
	int rc;

	memset(&st, 0, sizeof(st));
	if (idx->st_n > 0) {
		if ((rc = chunkindex_stage_sort(idx, &perm)) != QS_OK)
			return (rc);
		st.base = idx->st_ents;
		st.perm = perm;
		st.n = idx->st_n;
	}
	if ((rc = chunkindex_merge_init(&m, idx->segs, idx->nsegs,
	    idx->st_n > 0 ? &st : NULL)) != QS_OK)
		goto err0;
	for (i = 0; i < idx->nsegs; i++)
		chunkindex_seg_advise(idx->segs[i], MADV_SEQUENTIAL);
	chunkindex_merge_reset(&m);
	while ((rc = chunkindex_merge_next(&m, &e)) == 1) {
		loc_from_entry(e, &loc);
		if ((rc = cb(ctx, e, &loc)) != 0)
			break;
	}
	for (i = 0; i < idx->nsegs; i++)
		chunkindex_seg_advise(idx->segs[i], MADV_RANDOM);
	chunkindex_merge_free(&m);
err0:
	free(perm);
	return (rc);
}

/* --- counts and verify -------------------------------------------------- */

/**
 * chunkindex_count(idx):
 * Return the sum of the entry counts of the live segments (staged entries
 * excluded).  An id present in several segments is counted once per
 * segment, so this is an upper bound of the distinct ids, exact when there
 * is one segment (after replace_all) or no id was ever written twice.
 */
uint64_t
chunkindex_count(const struct chunkindex *idx)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < idx->nsegs; i++)
		n += idx->segs[i]->h.count;
	return (n);
}

/**
 * chunkindex_segment_count(idx):
 * Return the number of live (mapped) segments.
 */
size_t
chunkindex_segment_count(const struct chunkindex *idx)
{

	return (idx->nsegs);
}

static int
seg_verify(struct chunkindex_seg *s)
{
	struct checksum_state cs;
	uint8_t digest[CHECKSUM_BYTES], stored[SEGMENT_TRAILER_SIZE];
	const uint8_t *e, *prev = NULL;
	uint64_t i, off, len, rel = 0, toff = segment_trailer_offset(&s->h);

	for (i = 0; i < s->h.count; i++) {
		e = s->ents + i * SEGMENT_ENTRY_SIZE;
		if (prev != NULL && id_cmp(prev, e) >= 0)
			return (qs_error_set(QS_ECORRUPT,
			    "%s: index entry at offset %llu is not above the "
			    "one before it", s->path, (unsigned long long)
			    (SEGMENT_HEADER_SIZE + i * SEGMENT_ENTRY_SIZE)));
		if (segment_entry_check(e) != QS_OK)
			return (qs_error_set(QS_ECORRUPT,
			    "%s: index entry at offset %llu has an invalid "
			    "location", s->path, (unsigned long long)
			    (SEGMENT_HEADER_SIZE + i * SEGMENT_ENTRY_SIZE)));
		if (!bloom_test(s->bloom + chunkindex_bloom_block(e,
		    s->nblocks) * SEGMENT_BLOOM_BLOCK, e, s->h.bloom_k))
			return (qs_error_set(QS_ECORRUPT,
			    "%s: bloom filter at offset %llu lacks the entry "
			    "at offset %llu", s->path, (unsigned long long)
			    (segment_bloom_offset(&s->h) +
			    chunkindex_bloom_block(e, s->nblocks) *
			    SEGMENT_BLOOM_BLOCK),
			    (unsigned long long)(SEGMENT_HEADER_SIZE +
			    i * SEGMENT_ENTRY_SIZE)));
		prev = e;
		if ((i & 0x1fff) == 0)
			seg_release(s, &rel, (uint64_t)(e - s->map));
	}
	checksum_init(&cs);
	rel = 0;
	for (off = 0; off < toff; off += len) {
		len = toff - off < RELEASE_CHUNK ? toff - off : RELEASE_CHUNK;
		checksum_update(&cs, s->map + off, (size_t)len);
		seg_release(s, &rel, off);
	}
	checksum_final(&cs, digest);
	segment_trailer_decode(s->map + toff, stored);
	if (memcmp(digest, stored, sizeof(digest)) != 0)
		return (qs_error_set(QS_ECORRUPT,
		    "%s: checksum of bytes 0..%llu does not match the trailer "
		    "at offset %llu", s->path, (unsigned long long)toff,
		    (unsigned long long)toff));
	return (QS_OK);
}

/**
 * chunkindex_verify(idx):
 * Re-read every live segment: check that its entries are strictly sorted
 * and sane (length non-zero, offset + length <= 2^32), that its Bloom
 * filter holds every entry, and that its trailer checksum matches.  Return
 * QS_OK or QS_ECORRUPT naming the first bad file and offset.
 */
int
chunkindex_verify(struct chunkindex *idx)
{
	size_t i;
	int rc;

	for (i = 0; i < idx->nsegs; i++) {
		chunkindex_seg_advise(idx->segs[i], MADV_SEQUENTIAL);
		rc = seg_verify(idx->segs[i]);
		/* Drop the pages read (they stay in the page cache). */
		chunkindex_seg_advise(idx->segs[i], MADV_DONTNEED);
		chunkindex_seg_advise(idx->segs[i], MADV_RANDOM);
		if (rc != QS_OK)
			return (rc);
	}
	return (QS_OK);
}
