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

/*
 * Tuning constants; spec/index.md explains the choices.  The Bloom
 * parameters are written into every segment header, so changing them only
 * affects new segments.
 */
#define BLOOM_BITS_PER_ENTRY	10	/* ~0.96% false positives with k=6 */
#define BLOOM_K			6
#define WRITE_BUF_SIZE		(1024 * 1024)
#define RUN_ENTRIES_DEFAULT	((size_t)1 << 20)
#define STAGE_MAX		((size_t)UINT32_MAX - 1)
#define SEGMENT_MODE		0600
#define RELEASE_CHUNK		((uint64_t)4 << 20)	/* see merge_next */

/* One mapped segment file. */
struct seg {
	char *path;
	const char *name;		/* points into path */
	uint8_t *map;
	size_t maplen;
	struct segment_header h;
	const uint8_t *ents;
	const uint8_t *bloom;
	uint64_t nblocks;
};

struct chunkindex {
	char *dir;
	struct seg **segs;		/* live segments, oldest first */
	size_t nsegs;
	char **dead;			/* obsolete segment paths to unlink */
	size_t ndead;
	uint64_t next_seq;
	size_t run_entries;

	/* Stage: dense array of encoded entries plus a hash of indices. */
	uint8_t *st_ents;
	size_t st_n;
	size_t st_cap;
	uint32_t *st_tab;		/* index + 1; 0 is empty */
	size_t st_tabcap;		/* power of two, or 0 */
};

/* --- small helpers ------------------------------------------------------ */

/* Re-record the current error detail prefixed by ${path}. */
static int
err_prefix(int rc, const char *path)
{
	char tmp[QS_ERROR_MSG_MAX];

	snprintf(tmp, sizeof(tmp), "%s", qs_error_message());
	return (qs_error_set(rc, "%s: %s", path, tmp));
}

static int
enomem(void)
{

	return (qs_error_set(QS_ENOMEM, "out of memory"));
}

/* The first 8 id bytes as a big-endian integer: ordered like memcmp. */
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

static uint64_t
bloom_nblocks(uint64_t count)
{

	return ((count * BLOOM_BITS_PER_ENTRY + 511) / 512);
}

/*
 * Bloom bit selection (spec/index.md, "Bloom filter"): the block is
 * floor(prefix * nblocks / 2^64), where prefix is id[0..8) big-endian, so
 * blocks follow id order and a sorted entry stream yields the filter block
 * by block; bit i (0 <= i < k) of the 512 in the block is
 * le16(id[8 + 2i], id[9 + 2i]) mod 512.
 */
static uint64_t
bloom_block(const uint8_t *id, uint64_t nblocks)
{

	return (mulhi64(id_prefix(id), nblocks));
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

#define NAME_LEN	33	/* "seg-" 16 hex "-" 8 hex ".qsi" */

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

/* --- mapping segments --------------------------------------------------- */

static void
seg_free(struct seg *s)
{

	if (s == NULL)
		return;
	if (s->map != NULL)
		munmap(s->map, s->maplen);
	free(s->path);
	free(s);
}

static void
seg_advise(struct seg *s, int advice)
{

	(void)madvise(s->map, s->maplen, advice);
}

/* Drop the mapped pages below ${upto} (rounded down to RELEASE_CHUNK). */
static void
seg_release(const struct seg *s, uint64_t *released, uint64_t upto)
{

	while (upto - *released >= RELEASE_CHUNK) {
		(void)madvise(s->map + *released, RELEASE_CHUNK,
		    MADV_DONTNEED);
		*released += RELEASE_CHUNK;
	}
}

/*
 * Map the segment at ${path} (ownership of the string passes to the
 * segment, also on failure) and validate its header and size.  If
 * ${name_seq} is non-NULL the header's sequence number must equal it.
 */
static int
seg_map(char *path, const uint64_t *name_seq, struct seg **out)
{
	struct seg *s;
	struct stat st;
	uint64_t want;
	const char *slash;
	int fd, rc;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		free(path);
		return (enomem());
	}
	s->path = path;
	slash = strrchr(path, '/');
	s->name = (slash == NULL) ? path : slash + 1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = qs_error_errno(path, "open");
		goto err0;
	}
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
	seg_advise(s, MADV_RANDOM);
	if ((rc = segment_header_decode(s->map, s->maplen, &s->h)) != QS_OK) {
		rc = err_prefix(rc, path);
		goto err0;
	}
	if ((rc = segment_file_size(&s->h, &want)) != QS_OK) {
		rc = err_prefix(rc, path);
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
	seg_free(s);
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
	const struct seg *x = *(struct seg *const *)a;
	const struct seg *y = *(struct seg *const *)b;

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
seg_search(const struct seg *s, const uint8_t *id)
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
seg_lookup(const struct seg *s, const uint8_t *id)
{
	const uint8_t *blk;

	if (s->h.count == 0)
		return (NULL);
	blk = s->bloom + bloom_block(id, s->nblocks) * SEGMENT_BLOOM_BLOCK;
	if (!bloom_test(blk, id, s->h.bloom_k))
		return (NULL);
	return (seg_search(s, id));
}

/* --- open / close ------------------------------------------------------- */

static int
push_ptr(void ***arr, size_t *n, void *p)
{
	void **a;

	if ((a = realloc(*arr, (*n + 1) * sizeof(*a))) == NULL)
		return (enomem());
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
	struct seg *s;
	DIR *d;
	uint64_t seq, base = 0, maxseq = 0;
	size_t i, j, len;
	char *path;
	int rc;

	if ((idx = calloc(1, sizeof(*idx))) == NULL)
		return (enomem());
	idx->run_entries = RUN_ENTRIES_DEFAULT;
	if ((idx->dir = strdup(dir)) == NULL) {
		rc = enomem();
		goto err0;
	}
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
			rc = enomem();
			goto err1;
		}
		snprintf(path, len, "%s/%s", dir, de->d_name);
		if ((rc = seg_map(path, &seq, &s)) != QS_OK)
			goto err1;
		if ((rc = push_ptr((void ***)&idx->segs, &idx->nsegs, s))
		    != QS_OK) {
			seg_free(s);
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
		if ((rc = push_ptr((void ***)&idx->dead, &idx->ndead,
		    s->path)) != QS_OK) {
			/* Keep the rest consistent for chunkindex_close. */
			while (i < idx->nsegs)
				idx->segs[j++] = idx->segs[i++];
			idx->nsegs = j;
			goto err0;
		}
		s->path = NULL;
		seg_free(s);
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
		seg_free(idx->segs[i]);
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

static size_t
stage_slot(const struct chunkindex *idx, const uint8_t *id, int *found)
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

static int
stage_grow_table(struct chunkindex *idx)
{
	size_t ncap = idx->st_tabcap ? idx->st_tabcap * 2 : 1024;
	uint32_t *old = idx->st_tab;
	size_t i;
	int found;

	if (ncap > SIZE_MAX / sizeof(*old))
		return (enomem());
	if ((idx->st_tab = calloc(ncap, sizeof(*old))) == NULL) {
		idx->st_tab = old;
		return (enomem());
	}
	free(old);
	idx->st_tabcap = ncap;
	for (i = 0; i < idx->st_n; i++)
		idx->st_tab[stage_slot(idx,
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

static const uint8_t *
stage_find(const struct chunkindex *idx, const uint8_t *id)
{
	size_t h;
	int found;

	if (idx->st_n == 0)
		return (NULL);
	h = stage_slot(idx, id, &found);
	if (!found)
		return (NULL);
	return (idx->st_ents + (size_t)(idx->st_tab[h] - 1) *
	    SEGMENT_ENTRY_SIZE);
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
	h = stage_slot(idx, id, &found);
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
			return (enomem());
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

/*
 * Return in ${permp} a new array of the staged entries' indices in id
 * order.  Ids are uniform, so a counting pass on floor(prefix * n / 2^64)
 * leaves about one entry per bucket and the whole sort is O(n); crafted
 * ids only make it O(n log n).
 */
static int
stage_sort(const struct chunkindex *idx, uint32_t **permp)
{
	size_t n = idx->st_n, i, b, nb = n ? n : 1;
	uint32_t *perm, *cnt;

	if ((perm = malloc(nb * sizeof(*perm))) == NULL)
		return (enomem());
	if ((cnt = calloc(nb + 1, sizeof(*cnt))) == NULL) {
		free(perm);
		return (enomem());
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

/*
 * k-way merge over sorted sources; for equal ids the source with the
 * highest rank (the newest) wins and the others are skipped.  Each source
 * is checked to be strictly increasing as it is consumed.
 */
struct msrc {
	const uint8_t *base;
	const uint32_t *perm;		/* or NULL */
	const struct seg *seg;		/* for messages; NULL: the stage */
	uint64_t n, i;
	size_t rank;
	const uint8_t *cur;
	uint64_t released;		/* map bytes [0, released) dropped */
};

struct merge {
	struct msrc *src;
	size_t nsrc;
	size_t *heap;
	size_t nh;
	const uint8_t *last;
};

static const uint8_t *
msrc_at(const struct msrc *s, uint64_t i)
{

	return (s->base + (size_t)(s->perm ? s->perm[i] : i) *
	    SEGMENT_ENTRY_SIZE);
}

static int
merge_less(const struct merge *m, size_t a, size_t b)
{
	int c = id_cmp(m->src[a].cur, m->src[b].cur);

	if (c != 0)
		return (c < 0);
	return (m->src[a].rank > m->src[b].rank);
}

static void
merge_sift(struct merge *m, size_t i)
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

static void
merge_reset(void *c)
{
	struct merge *m = c;
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

static int
merge_next(void *c, const uint8_t **out)
{
	struct merge *m = c;
	struct msrc *s;
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

/* Set up a merge over segs[0..n) (rank = position) plus optional extra. */
static int
merge_init(struct merge *m, struct seg *const *segs, size_t n,
    const struct msrc *extra)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->nsrc = n + (extra != NULL);
	if ((m->src = calloc(m->nsrc ? m->nsrc : 1, sizeof(*m->src))) == NULL
	    || (m->heap = calloc(m->nsrc ? m->nsrc : 1, sizeof(*m->heap)))
	    == NULL) {
		free(m->src);
		return (enomem());
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

static void
merge_free(struct merge *m)
{

	free(m->src);
	free(m->heap);
}

/* --- writing segments --------------------------------------------------- */

struct segw {
	struct fileio_tmp *t;
	struct checksum_state cs;
	uint8_t *buf;
	size_t used;
};

static int
segw_drain(struct segw *w)
{
	int rc;

	if (w->used == 0)
		return (QS_OK);
	checksum_update(&w->cs, w->buf, w->used);
	rc = fileio_tmp_write(w->t, w->buf, w->used);
	w->used = 0;
	return (rc);
}

static int
segw_put(struct segw *w, const uint8_t *p, size_t len)
{
	size_t n;
	int rc;

	while (len > 0) {
		n = WRITE_BUF_SIZE - w->used;
		if (n > len)
			n = len;
		memcpy(w->buf + w->used, p, n);
		w->used += n;
		p += n;
		len -= n;
		if (w->used == WRITE_BUF_SIZE && (rc = segw_drain(w)) != QS_OK)
			return (rc);
	}
	return (QS_OK);
}

/*
 * Write a segment with sequence number ${seq}, base ${base} and the
 * ${count} entries of ${es} (read twice: entries, then the Bloom filter,
 * whose blocks follow id order), durably; map it into ${out}.
 */
static int
write_segment(struct chunkindex *idx, uint64_t seq, uint64_t base,
    uint64_t count, const struct estream *es, struct seg **out)
{
	struct segment_header h;
	struct segw w;
	uint8_t hb[SEGMENT_HEADER_SIZE], blk[SEGMENT_BLOOM_BLOCK];
	uint8_t digest[CHECKSUM_BYTES], tr[SEGMENT_TRAILER_SIZE];
	const uint8_t *e;
	uint64_t n, b, cur;
	char *path;
	int rc;

	memset(&h, 0, sizeof(h));
	h.count = count;
	h.seq = seq;
	h.base_seq = base;
	h.bloom_k = BLOOM_K;
	h.bloom_bytes = bloom_nblocks(count) * SEGMENT_BLOOM_BLOCK;
	if ((rc = segment_file_size(&h, &n)) != QS_OK)
		return (rc);
	if ((path = seg_path_new(idx, seq)) == NULL)
		return (enomem());
	memset(&w, 0, sizeof(w));
	if ((w.buf = malloc(WRITE_BUF_SIZE)) == NULL) {
		rc = enomem();
		goto err0;
	}
	if ((rc = fileio_tmp_open(path, SEGMENT_MODE, &w.t)) != QS_OK)
		goto err0;
	checksum_init(&w.cs);
	segment_header_encode(&h, hb);
	if ((rc = segw_put(&w, hb, sizeof(hb))) != QS_OK)
		goto err1;

	es->reset(es->ctx);
	for (n = 0; (rc = es->next(es->ctx, &e)) == 1; n++)
		if ((rc = segw_put(&w, e, SEGMENT_ENTRY_SIZE)) != QS_OK)
			goto err1;
	if (rc < 0)
		goto err1;
	if (n != count) {
		rc = qs_error_set(QS_ECORRUPT,
		    "%s: index entries changed while being written", path);
		goto err1;
	}

	es->reset(es->ctx);
	memset(blk, 0, sizeof(blk));
	cur = 0;
	while ((rc = es->next(es->ctx, &e)) == 1) {
		b = bloom_block(e, h.bloom_bytes / SEGMENT_BLOOM_BLOCK);
		for (; cur < b; cur++) {
			if ((rc = segw_put(&w, blk, sizeof(blk))) != QS_OK)
				goto err1;
			memset(blk, 0, sizeof(blk));
		}
		bloom_set(blk, e, h.bloom_k);
	}
	if (rc < 0)
		goto err1;
	for (; cur < h.bloom_bytes / SEGMENT_BLOOM_BLOCK; cur++) {
		if ((rc = segw_put(&w, blk, sizeof(blk))) != QS_OK)
			goto err1;
		memset(blk, 0, sizeof(blk));
	}

	if ((rc = segw_drain(&w)) != QS_OK)
		goto err1;
	checksum_final(&w.cs, digest);
	segment_trailer_encode(digest, tr);
	if ((rc = fileio_tmp_write(w.t, tr, sizeof(tr))) != QS_OK)
		goto err1;
	rc = fileio_tmp_commit(w.t, 1);
	w.t = NULL;
	if (rc != QS_OK)
		goto err0;
	free(w.buf);
	return (seg_map(path, &seq, out));

err1:
	fileio_tmp_abort(w.t);
err0:
	free(w.buf);
	free(path);
	return (rc);
}

/*
 * Merge the segments in[0..n) (oldest first) into one new segment with
 * sequence number ${seq} and base ${base}: count pass, then the two passes
 * of write_segment, all over the mappings.
 */
static int
merge_segments(struct chunkindex *idx, struct seg *const *in, size_t n,
    uint64_t seq, uint64_t base, struct seg **out)
{
	struct estream es;
	struct merge m;
	const uint8_t *e;
	uint64_t count = 0;
	size_t i;
	int rc;

	if ((rc = merge_init(&m, in, n, NULL)) != QS_OK)
		return (rc);
	for (i = 0; i < n; i++)
		seg_advise(in[i], MADV_SEQUENTIAL);
	merge_reset(&m);
	while ((rc = merge_next(&m, &e)) == 1)
		count++;
	if (rc == 0) {
		es.reset = merge_reset;
		es.next = merge_next;
		es.ctx = &m;
		rc = write_segment(idx, seq, base, count, &es, out);
	}
	for (i = 0; i < n; i++)
		seg_advise(in[i], MADV_RANDOM);
	merge_free(&m);
	return (rc);
}

/* Unlink and free segs[0..n); return the first error. */
static int
segs_remove(struct seg **segs, size_t n)
{
	size_t i;
	int rc = QS_OK, r;

	for (i = 0; i < n; i++) {
		if ((r = fileio_unlink(segs[i]->path)) != QS_OK && rc == QS_OK)
			rc = r;
		seg_free(segs[i]);
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
	struct seg *s;
	uint32_t *perm;
	uint64_t seq = 0;
	int rc;

	if (idx->st_n == 0)
		return (QS_OK);
	if ((rc = stage_sort(idx, &perm)) != QS_OK)
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
	if ((rc = push_ptr((void ***)&idx->segs, &idx->nsegs, s)) != QS_OK) {
		/* The file is durable; the next open will see it. */
		seg_free(s);
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
	struct seg *out;
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
	struct msrc st;
	struct merge m;
	struct chunk_loc loc;
	const uint8_t *e;
	uint32_t *perm = NULL;
	size_t i;
	int rc;

	memset(&st, 0, sizeof(st));
	if (idx->st_n > 0) {
		if ((rc = stage_sort(idx, &perm)) != QS_OK)
			return (rc);
		st.base = idx->st_ents;
		st.perm = perm;
		st.n = idx->st_n;
	}
	if ((rc = merge_init(&m, idx->segs, idx->nsegs,
	    idx->st_n > 0 ? &st : NULL)) != QS_OK)
		goto err0;
	for (i = 0; i < idx->nsegs; i++)
		seg_advise(idx->segs[i], MADV_SEQUENTIAL);
	merge_reset(&m);
	while ((rc = merge_next(&m, &e)) == 1) {
		loc_from_entry(e, &loc);
		if ((rc = cb(ctx, e, &loc)) != 0)
			break;
	}
	for (i = 0; i < idx->nsegs; i++)
		seg_advise(idx->segs[i], MADV_RANDOM);
	merge_free(&m);
err0:
	free(perm);
	return (rc);
}

/* --- replace_all -------------------------------------------------------- */

struct rctx {
	struct chunkindex *idx;
	uint8_t *buf;
	size_t n;
	uint8_t last[SEGMENT_ID_SIZE];
	int have_last;
	struct seg **runs;
	size_t nruns;
	int err;
};

/* Write the buffered entries as a run segment (base 0: not yet final). */
static int
run_write(struct rctx *r, uint64_t base)
{
	struct arrstream as = { r->buf, NULL, r->n, 0 };
	struct estream es = { arr_reset, arr_next, &as };
	struct seg *s;
	uint64_t seq = 0;
	int rc;

	if ((rc = seq_take(r->idx, &seq)) != QS_OK)
		return (rc);
	if (base == UINT64_MAX)
		base = seq;
	if ((rc = write_segment(r->idx, seq, base, r->n, &es, &s)) != QS_OK)
		return (rc);
	if ((rc = push_ptr((void ***)&r->runs, &r->nruns, s)) != QS_OK) {
		(void)fileio_unlink(s->path);
		seg_free(s);
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
	struct seg *out = NULL, **newsegs;
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
		return (enomem());
	if (idx->run_entries > SIZE_MAX / SEGMENT_ENTRY_SIZE ||
	    (r.buf = malloc(idx->run_entries * SEGMENT_ENTRY_SIZE)) == NULL) {
		rc = enomem();
		goto err;
	}
	rc = gen(ctx, replace_emit, &r);
	if (r.err != QS_OK)
		rc = r.err;
	if (rc != QS_OK)
		goto err;
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

/* --- counts, verify, tuning --------------------------------------------- */

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
seg_verify(struct seg *s)
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
		if (!bloom_test(s->bloom + bloom_block(e, s->nblocks) *
		    SEGMENT_BLOOM_BLOCK, e, s->h.bloom_k))
			return (qs_error_set(QS_ECORRUPT,
			    "%s: bloom filter at offset %llu lacks the entry "
			    "at offset %llu", s->path, (unsigned long long)
			    (segment_bloom_offset(&s->h) + bloom_block(e,
			    s->nblocks) * SEGMENT_BLOOM_BLOCK),
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
		seg_advise(idx->segs[i], MADV_SEQUENTIAL);
		rc = seg_verify(idx->segs[i]);
		/* Drop the pages read (they stay in the page cache). */
		seg_advise(idx->segs[i], MADV_DONTNEED);
		seg_advise(idx->segs[i], MADV_RANDOM);
		if (rc != QS_OK)
			return (rc);
	}
	return (QS_OK);
}

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
