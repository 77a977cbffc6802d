/*
 * Tests for format/segment.c and index/chunk/chunkindex.c (spec/index.md).  The
 * known-answer segment files in spec/vectors/index_segment.hex come from an
 * independent Python implementation of the spec
 * (spec/vectors/gen_index_vectors.py); the Bloom false-positive test checks
 * the filter bytes with its own reading of the spec's bit selection.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "format/endian.h"
#include "format/qs_err.h"
#include "format/segment.h"
#include "index/chunk/chunkindex.h"

#include "testlib.h"

/* --- helpers ------------------------------------------------------------ */

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Id number ${i} of family ${fam}: uniform and reproducible. */
static void
make_id(uint64_t fam, uint64_t i, uint8_t id[32])
{
	uint64_t s = fam * 0x100000000ULL + i;
	int k;

	for (k = 0; k < 4; k++)
		le64enc(id + 8 * k, splitmix(&s));
}

static struct chunk_loc
make_loc(uint64_t i, uint32_t salt)
{
	struct chunk_loc l;

	l.container_id = i / 7 + salt;
	l.offset = (uint32_t)(i % 7) * 1000 + salt;
	l.length = 1 + (uint32_t)(i % 5000) + salt;
	return (l);
}

static void
assert_loc_eq(const struct chunk_loc *a, const struct chunk_loc *b)
{

	assert_int_equal(a->container_id, b->container_id);
	assert_int_equal(a->offset, b->offset);
	assert_int_equal(a->length, b->length);
}

static char *
tmpdir_new(void)
{
	char *d = strdup("/tmp/qsarc-test-chunkindex-XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return (d);
}

static void
tmpdir_free(char *d)
{
	DIR *dp;
	struct dirent *de;
	char p[4096];

	assert_non_null(dp = opendir(d));
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
		assert_int_equal(unlink(p), 0);
	}
	closedir(dp);
	assert_int_equal(rmdir(d), 0);
	free(d);
}

/* Number of segment files in ${d}, and the name of the last one seen. */
static int
seg_files(const char *d, char *last, size_t lastlen)
{
	DIR *dp;
	struct dirent *de;
	int n = 0;

	assert_non_null(dp = opendir(d));
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, "seg-", 4) != 0)
			continue;
		n++;
		if (last != NULL)
			snprintf(last, lastlen, "%s/%s", d, de->d_name);
	}
	closedir(dp);
	return (n);
}

/* Stage ids [from, to) of family ${fam} with locations salted by ${salt}. */
static void
stage_range(struct chunkindex *idx, uint64_t fam, uint64_t from,
    uint64_t to, uint32_t salt)
{
	uint8_t id[32];
	struct chunk_loc l;
	uint64_t i;

	for (i = from; i < to; i++) {
		make_id(fam, i, id);
		l = make_loc(i, salt);
		assert_int_equal(chunkindex_stage(idx, id, &l), QS_OK);
	}
}

static void
check_range(struct chunkindex *idx, uint64_t fam, uint64_t from,
    uint64_t to, uint32_t salt)
{
	uint8_t id[32];
	struct chunk_loc l, want;
	uint64_t i;

	for (i = from; i < to; i++) {
		make_id(fam, i, id);
		want = make_loc(i, salt);
		assert_int_equal(chunkindex_lookup(idx, id, &l), QS_OK);
		assert_loc_eq(&l, &want);
	}
}

static void
check_absent(struct chunkindex *idx, uint64_t fam, uint64_t from,
    uint64_t to)
{
	uint8_t id[32];
	struct chunk_loc l;
	uint64_t i;

	for (i = from; i < to; i++) {
		make_id(fam, i, id);
		assert_int_equal(chunkindex_lookup(idx, id, &l), QS_ENOENT);
	}
}

/* Build a one-segment index in a new directory; return the file path. */
static char *
one_segment(char **dirp, uint64_t n, char *path, size_t pathlen)
{
	struct chunkindex *idx;
	char *d = tmpdir_new();

	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	stage_range(idx, 1, 0, n, 0);
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	chunkindex_close(idx);
	assert_int_equal(seg_files(d, path, pathlen), 1);
	*dirp = d;
	return (path);
}

/* --- tests -------------------------------------------------------------- */

static void
test_stage_lookup(void **state)
{
	struct chunkindex *idx;
	struct chunk_loc l, l2 = { 99, 5, 7 }, bad = { 1, 0, 0 };
	uint8_t id[32];
	char *d = tmpdir_new();

	(void)state;
	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	assert_int_equal(chunkindex_segment_count(idx), 0);
	check_absent(idx, 1, 0, 100);
	stage_range(idx, 1, 0, 5000, 0);
	assert_int_equal(chunkindex_staged_count(idx), 5000);
	check_range(idx, 1, 0, 5000, 0);
	check_absent(idx, 2, 0, 5000);
	/* Restaging an id replaces its location without a new entry. */
	make_id(1, 17, id);
	assert_int_equal(chunkindex_stage(idx, id, &l2), QS_OK);
	assert_int_equal(chunkindex_staged_count(idx), 5000);
	assert_int_equal(chunkindex_lookup(idx, id, &l), QS_OK);
	assert_loc_eq(&l, &l2);
	/* Zero length and offset overflow are refused. */
	assert_int_equal(chunkindex_stage(idx, id, &bad), QS_EINVAL);
	bad.length = 2;
	bad.offset = UINT32_MAX;
	assert_int_equal(chunkindex_stage(idx, id, &bad), QS_EINVAL);
	assert_int_equal(chunkindex_count(idx), 0);
	/* Nothing staged was written. */
	chunkindex_close(idx);
	assert_int_equal(seg_files(d, NULL, 0), 0);
	chunkindex_close(NULL);
	tmpdir_free(d);
}

static void
test_flush_reopen(void **state)
{
	struct chunkindex *idx;
	char *d = tmpdir_new();

	(void)state;
	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	assert_int_equal(chunkindex_flush(idx), QS_OK);	/* no-op */
	assert_int_equal(seg_files(d, NULL, 0), 0);
	stage_range(idx, 1, 0, 20000, 0);
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	assert_int_equal(chunkindex_staged_count(idx), 0);
	assert_int_equal(chunkindex_segment_count(idx), 1);
	assert_int_equal(chunkindex_count(idx), 20000);
	check_range(idx, 1, 0, 20000, 0);
	chunkindex_close(idx);

	assert_int_equal(seg_files(d, NULL, 0), 1);
	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	assert_int_equal(chunkindex_segment_count(idx), 1);
	assert_int_equal(chunkindex_count(idx), 20000);
	check_range(idx, 1, 0, 20000, 0);
	check_absent(idx, 2, 0, 20000);
	assert_int_equal(chunkindex_verify(idx), QS_OK);
	chunkindex_close(idx);
	tmpdir_free(d);
}

static void
test_missing_dir(void **state)
{
	struct chunkindex *idx = NULL;

	(void)state;
	assert_int_equal(chunkindex_open("/tmp/qsarc-no-such-dir/index",
	    &idx), QS_ENOENT);
	assert_null(idx);
}

static void
test_newest_wins(void **state)
{
	struct chunkindex *idx;
	char *d = tmpdir_new();
	int round;

	(void)state;
	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	stage_range(idx, 1, 0, 1000, 0);
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	stage_range(idx, 1, 500, 1500, 1);
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	/* Staged entries win over both segments. */
	stage_range(idx, 1, 900, 1000, 2);
	check_range(idx, 1, 0, 500, 0);
	check_range(idx, 1, 500, 900, 1);
	check_range(idx, 1, 900, 1000, 2);
	check_range(idx, 1, 1000, 1500, 1);
	/* 1000 >= 1000 / 2: the two segments merge, newest values kept. */
	assert_int_equal(chunkindex_compact(idx), QS_OK);
	assert_int_equal(chunkindex_segment_count(idx), 1);
	assert_int_equal(chunkindex_count(idx), 1500);
	check_range(idx, 1, 900, 1000, 2);
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	for (round = 0; round < 2; round++) {
		chunkindex_close(idx);
		assert_int_equal(chunkindex_open(d, &idx), QS_OK);
		/* 100 < 1500 / 2: the second round's compaction is a no-op. */
		assert_int_equal(chunkindex_segment_count(idx), 2);
		check_range(idx, 1, 0, 500, 0);
		check_range(idx, 1, 500, 900, 1);
		check_range(idx, 1, 900, 1000, 2);
		check_range(idx, 1, 1000, 1500, 1);
		assert_int_equal(chunkindex_verify(idx), QS_OK);
		assert_int_equal(chunkindex_compact(idx), QS_OK);
	}
	chunkindex_close(idx);
	assert_int_equal(seg_files(d, NULL, 0), 2);
	tmpdir_free(d);
}

static void
test_compaction(void **state)
{
	struct chunkindex *idx;
	char *d = tmpdir_new();
	size_t i, maxsegs = 0;
	uint64_t n = 0;

	(void)state;
	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	/* Ten flushes without compaction: ten segments. */
	for (i = 0; i < 10; i++) {
		stage_range(idx, 1, n, n + 1000, 0);
		n += 1000;
		assert_int_equal(chunkindex_flush(idx), QS_OK);
	}
	assert_int_equal(chunkindex_segment_count(idx), 10);
	assert_int_equal(chunkindex_compact(idx), QS_OK);
	assert_true(chunkindex_segment_count(idx) < 10);
	assert_int_equal(chunkindex_count(idx), n);
	check_range(idx, 1, 0, n, 0);
	/* A long series of puts, compacting after each: few segments. */
	for (i = 0; i < 100; i++) {
		stage_range(idx, 1, n, n + 200 + 37 * (i % 5), 0);
		n += 200 + 37 * (i % 5);
		assert_int_equal(chunkindex_flush(idx), QS_OK);
		assert_int_equal(chunkindex_compact(idx), QS_OK);
		if (chunkindex_segment_count(idx) > maxsegs)
			maxsegs = chunkindex_segment_count(idx);
	}
	/* log2(31000 / 200) ~ 7.3; the rule keeps well under 2 log2. */
	assert_true(maxsegs <= 10);
	assert_int_equal(chunkindex_count(idx), n);
	assert_int_equal(seg_files(d, NULL, 0),
	    (int)chunkindex_segment_count(idx));
	check_range(idx, 1, 0, n, 0);
	check_absent(idx, 2, 0, 5000);
	assert_int_equal(chunkindex_verify(idx), QS_OK);
	chunkindex_close(idx);
	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	check_range(idx, 1, 0, n, 0);
	chunkindex_close(idx);
	tmpdir_free(d);
}

/* Compaction interrupted before unlinking its inputs: duplicates only. */
static void
test_compaction_leftovers(void **state)
{
	struct chunkindex *idx;
	char *d = tmpdir_new(), p[4096], q[4096];
	uint8_t *saved[3];
	size_t savedlen[3];
	char names[3][4096];
	DIR *dp;
	struct dirent *de;
	int k = 0;

	(void)state;
	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	stage_range(idx, 1, 0, 300, 0);
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	stage_range(idx, 1, 200, 600, 1);
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	stage_range(idx, 1, 250, 500, 2);
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	chunkindex_close(idx);
	assert_non_null(dp = opendir(d));
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, "seg-", 4) != 0)
			continue;
		assert_true(k < 3);
		snprintf(names[k], sizeof(names[k]), "%s/%s", d, de->d_name);
		saved[k] = read_file(names[k], &savedlen[k]);
		k++;
	}
	closedir(dp);
	assert_int_equal(k, 3);

	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	assert_int_equal(chunkindex_compact(idx), QS_OK);
	assert_int_equal(chunkindex_segment_count(idx), 1);
	chunkindex_close(idx);
	/* Put the inputs back, as if the unlinks never happened. */
	for (k = 0; k < 3; k++) {
		write_file(names[k], saved[k], savedlen[k]);
		free(saved[k]);
	}
	/* Plus a leftover temporary file and a foreign name: ignored. */
	snprintf(p, sizeof(p), "%s/.tmp-seg-0000000000000009-00000000.qsi-1-2",
	    d);
	write_file(p, (const uint8_t *)"junk", 4);
	snprintf(q, sizeof(q), "%s/README", d);
	write_file(q, (const uint8_t *)"junk", 4);

	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	assert_int_equal(chunkindex_segment_count(idx), 4);
	check_range(idx, 1, 0, 200, 0);
	check_range(idx, 1, 200, 250, 1);
	check_range(idx, 1, 250, 500, 2);
	check_range(idx, 1, 500, 600, 1);
	assert_int_equal(chunkindex_compact(idx), QS_OK);
	assert_int_equal(chunkindex_segment_count(idx), 1);
	assert_int_equal(chunkindex_count(idx), 600);
	check_range(idx, 1, 0, 200, 0);
	check_range(idx, 1, 200, 250, 1);
	check_range(idx, 1, 250, 500, 2);
	check_range(idx, 1, 500, 600, 1);
	chunkindex_close(idx);
	tmpdir_free(d);
}

struct collect {
	uint8_t (*ids)[32];
	struct chunk_loc *locs;
	size_t n, cap;
	int stop_at;
};

static int
collect_cb(void *c, const uint8_t id[32], const struct chunk_loc *l)
{
	struct collect *co = c;

	if (co->stop_at >= 0 && (size_t)co->stop_at == co->n)
		return (42);
	assert_true(co->n < co->cap);
	memcpy(co->ids[co->n], id, 32);
	co->locs[co->n] = *l;
	co->n++;
	return (0);
}

static int
idcmp_qsort(const void *a, const void *b)
{

	return (memcmp(a, b, 32));
}

static void
test_foreach(void **state)
{
	struct chunkindex *idx;
	struct collect co;
	struct chunk_loc want;
	uint8_t (*exp)[32], id[32];
	char *d = tmpdir_new();
	size_t i;
	uint64_t j;

	(void)state;
	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	stage_range(idx, 1, 0, 3000, 0);
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	stage_range(idx, 1, 2000, 4000, 1);
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	stage_range(idx, 1, 3500, 5000, 2);	/* stays staged */

	co.cap = 6000;
	co.n = 0;
	co.stop_at = -1;
	assert_non_null(co.ids = malloc(co.cap * 32));
	assert_non_null(co.locs = malloc(co.cap * sizeof(*co.locs)));
	assert_int_equal(chunkindex_foreach(idx, collect_cb, &co), QS_OK);
	assert_int_equal(co.n, 5000);
	/* Expected: ids 0..4999 sorted by qsort, newest location each. */
	assert_non_null(exp = malloc(5000 * 32));
	for (j = 0; j < 5000; j++)
		make_id(1, j, exp[j]);
	qsort(exp, 5000, 32, idcmp_qsort);
	for (i = 0; i < 5000; i++) {
		assert_memory_equal(co.ids[i], exp[i], 32);
		if (i > 0)
			assert_true(memcmp(co.ids[i - 1], co.ids[i], 32) < 0);
	}
	for (j = 0; j < 5000; j++) {
		make_id(1, j, id);
		want = make_loc(j, j >= 3500 ? 2 : j >= 2000 ? 1 : 0);
		for (i = 0; i < co.n; i++)
			if (memcmp(co.ids[i], id, 32) == 0)
				break;
		assert_true(i < co.n);
		assert_loc_eq(&co.locs[i], &want);
	}
	/* A callback's non-zero return stops and is returned. */
	co.n = 0;
	co.stop_at = 10;
	assert_int_equal(chunkindex_foreach(idx, collect_cb, &co), 42);
	assert_int_equal(co.n, 10);
	free(exp);
	free(co.ids);
	free(co.locs);
	chunkindex_close(idx);
	tmpdir_free(d);
}

/* replace_all generator: keep even ids of a sorted list, new locations. */
struct gen {
	uint8_t (*ids)[32];
	uint64_t *nums;
	size_t n;
	int disorder;
	int fail;
};

static int
gen_even(void *c, int (*emit)(void *, const uint8_t[32],
    const struct chunk_loc *), void *ectx)
{
	struct gen *g = c;
	struct chunk_loc l;
	size_t i;
	int rc;

	for (i = 0; i < g->n; i++) {
		l = make_loc(g->nums[i], 7);
		if (g->disorder && i == g->n / 2 &&
		    (rc = emit(ectx, g->ids[0], &l)) != QS_OK)
			return (rc);
		if (g->fail && i > g->n / 2)
			return (qs_error_set(QS_EIO, "generator failed"));
		if (g->nums[i] % 2 != 0)
			continue;
		if ((rc = emit(ectx, g->ids[i], &l)) != QS_OK)
			return (rc);
	}
	return (QS_OK);
}

static struct gen *sort_gen_ctx;

static int
gen_sort_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	uint8_t ix[32], iy[32];

	(void)sort_gen_ctx;
	make_id(1, x, ix);
	make_id(1, y, iy);
	return (memcmp(ix, iy, 32));
}

static void
gen_init(struct gen *g, size_t n)
{
	size_t i, *ord;

	assert_non_null(ord = malloc(n * sizeof(*ord)));
	for (i = 0; i < n; i++)
		ord[i] = i;
	qsort(ord, n, sizeof(*ord), gen_sort_cmp);
	assert_non_null(g->ids = malloc(n * 32));
	assert_non_null(g->nums = malloc(n * sizeof(*g->nums)));
	for (i = 0; i < n; i++) {
		g->nums[i] = ord[i];
		make_id(1, ord[i], g->ids[i]);
	}
	g->n = n;
	g->disorder = 0;
	g->fail = 0;
	free(ord);
}

static void
check_replaced(struct chunkindex *idx, uint64_t n)
{
	uint8_t id[32];
	struct chunk_loc l, want;
	uint64_t j;

	for (j = 0; j < n; j++) {
		make_id(1, j, id);
		if (j % 2 == 0) {
			want = make_loc(j, 7);
			assert_int_equal(chunkindex_lookup(idx, id, &l), QS_OK);
			assert_loc_eq(&l, &want);
		} else {
			assert_int_equal(chunkindex_lookup(idx, id, &l),
			    QS_ENOENT);
		}
	}
}

static void
test_replace_all(void **state)
{
	struct chunkindex *idx;
	struct gen g;
	char *d = tmpdir_new();
	uint8_t *saved;
	size_t savedlen;
	char old[4096];
	size_t runs;

	(void)state;
	gen_init(&g, 3000);
	for (runs = 0; runs < 2; runs++) {
		assert_int_equal(chunkindex_open(d, &idx), QS_OK);
		stage_range(idx, 1, 0, 1500, 0);
		assert_int_equal(chunkindex_flush(idx), QS_OK);
		stage_range(idx, 1, 1500, 3000, 0);
		/* Staged entries must be flushed first. */
		assert_int_equal(chunkindex_replace_all(idx, gen_even, &g),
		    QS_EINVAL);
		assert_int_equal(chunkindex_flush(idx), QS_OK);
		assert_int_equal(seg_files(d, old, sizeof(old)), 2);
		saved = read_file(old, &savedlen);

		/* Out-of-order ids and a failing generator change nothing. */
		g.disorder = 1;
		assert_int_equal(chunkindex_replace_all(idx, gen_even, &g),
		    QS_EINVAL);
		g.disorder = 0;
		g.fail = 1;
		chunkindex_set_run_entries(idx, 100);
		assert_int_equal(chunkindex_replace_all(idx, gen_even, &g),
		    QS_EIO);
		g.fail = 0;
		assert_int_equal(seg_files(d, NULL, 0), 2);
		check_range(idx, 1, 0, 3000, 0);

		/* First round in one buffer, second through 7-entry runs. */
		chunkindex_set_run_entries(idx, runs ? 7 : 1 << 20);
		assert_int_equal(chunkindex_replace_all(idx, gen_even, &g),
		    QS_OK);
		assert_int_equal(chunkindex_segment_count(idx), 1);
		assert_int_equal(chunkindex_count(idx), 1500);
		assert_int_equal(seg_files(d, NULL, 0), 1);
		check_replaced(idx, 3000);
		assert_int_equal(chunkindex_verify(idx), QS_OK);
		chunkindex_close(idx);

		/*
		 * A crash before the old segments were unlinked: put one back.
		 * The new segment's base sequence number makes it obsolete.
		 */
		write_file(old, saved, savedlen);
		free(saved);
		assert_int_equal(chunkindex_open(d, &idx), QS_OK);
		assert_int_equal(chunkindex_segment_count(idx), 1);
		check_replaced(idx, 3000);
		assert_int_equal(seg_files(d, NULL, 0), 2);
		assert_int_equal(chunkindex_compact(idx), QS_OK);
		assert_int_equal(seg_files(d, NULL, 0), 1);
		/* New entries after the replacement rank above it. */
		stage_range(idx, 1, 1, 2, 9);
		assert_int_equal(chunkindex_flush(idx), QS_OK);
		check_range(idx, 1, 1, 2, 9);
		chunkindex_close(idx);
		assert_int_equal(chunkindex_open(d, &idx), QS_OK);
		check_range(idx, 1, 1, 2, 9);
		assert_int_equal(chunkindex_count(idx), 1501);
		chunkindex_close(idx);
		tmpdir_free(d);
		d = tmpdir_new();
	}
	/* Replacing with nothing empties the index. */
	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	stage_range(idx, 1, 0, 100, 0);
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	g.n = 0;
	assert_int_equal(chunkindex_replace_all(idx, gen_even, &g), QS_OK);
	assert_int_equal(chunkindex_count(idx), 0);
	check_absent(idx, 1, 0, 100);
	chunkindex_close(idx);
	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	check_absent(idx, 1, 0, 100);
	assert_int_equal(chunkindex_verify(idx), QS_OK);
	chunkindex_close(idx);
	free(g.ids);
	free(g.nums);
	tmpdir_free(d);
}

/* Open a copy of a valid segment changed by ${mutate}; expect ${want}. */
static void
corrupt_case(void (*mutate)(uint8_t *, size_t *), int want)
{
	struct chunkindex *idx = NULL;
	char path[4096], *d;
	uint8_t *b;
	size_t len;
	const char *slash;

	one_segment(&d, 100, path, sizeof(path));
	b = read_file(path, &len);
	mutate(b, &len);
	write_file(path, b, len);
	free(b);
	assert_int_equal(chunkindex_open(d, &idx), want);
	assert_null(idx);
	/* The message names the file. */
	slash = strrchr(path, '/');
	assert_non_null(strstr(qs_error_message(), slash + 1));
	tmpdir_free(d);
}

static void mut_magic(uint8_t *b, size_t *l) { (void)l; b[3] ^= 1; }
static void mut_version(uint8_t *b, size_t *l) { (void)l; le16enc(b + 8, 2); }
static void mut_flags(uint8_t *b, size_t *l) { (void)l; le16enc(b + 10, 1); }
/* A newer writer's segment: unknown version or flags, trailer matching. */
static void
resum(uint8_t *b, size_t l)
{

	checksum_blake2b256(b, l - SEGMENT_TRAILER_SIZE,
	    b + l - SEGMENT_TRAILER_SIZE);
}
static void mut_version_new(uint8_t *b, size_t *l)
{ le16enc(b + 8, 2); resum(b, *l); }
static void mut_flags_new(uint8_t *b, size_t *l)
{ le16enc(b + 10, 1); resum(b, *l); }
static void mut_reserved(uint8_t *b, size_t *l) { (void)l; b[63] = 1; }
static void mut_trunc(uint8_t *b, size_t *l) { (void)b; *l -= 1; }
static void mut_tiny(uint8_t *b, size_t *l) { (void)b; *l = 10; }
static void mut_count(uint8_t *b, size_t *l) { (void)l; le64enc(b + 16, 101); }
static void mut_count_huge(uint8_t *b, size_t *l)
{ (void)l; le64enc(b + 16, UINT64_MAX / 2); }
static void mut_bloom(uint8_t *b, size_t *l) { (void)l; le64enc(b + 40, 65); }
static void mut_k(uint8_t *b, size_t *l) { (void)l; le32enc(b + 12, 9); }
static void mut_base(uint8_t *b, size_t *l) { (void)l; le64enc(b + 32, 2); }
static void mut_seq(uint8_t *b, size_t *l) { (void)l; le64enc(b + 24, 5); }

static void
test_corrupt_headers(void **state)
{

	(void)state;
	corrupt_case(mut_magic, QS_ECORRUPT);
	/* Integrity first (index.md 3.1): a rotten version byte is damage. */
	corrupt_case(mut_version, QS_ECORRUPT);
	corrupt_case(mut_flags, QS_ECORRUPT);
	corrupt_case(mut_version_new, QS_EVERSION);
	corrupt_case(mut_flags_new, QS_EVERSION);
	corrupt_case(mut_reserved, QS_ECORRUPT);
	corrupt_case(mut_trunc, QS_ECORRUPT);
	corrupt_case(mut_tiny, QS_ECORRUPT);
	corrupt_case(mut_count, QS_ECORRUPT);
	corrupt_case(mut_count_huge, QS_ECORRUPT);
	corrupt_case(mut_bloom, QS_ECORRUPT);
	corrupt_case(mut_k, QS_ECORRUPT);
	corrupt_case(mut_base, QS_ECORRUPT);
	corrupt_case(mut_seq, QS_ECORRUPT);
}

static void
test_verify_flipped_byte(void **state)
{
	struct chunkindex *idx;
	char path[4096], *d;
	uint8_t *b;
	size_t len, off;
	int round;

	(void)state;
	/* Round 0: a location byte; 1: an id byte; 2: a bloom byte. */
	for (round = 0; round < 3; round++) {
		one_segment(&d, 1000, path, sizeof(path));
		b = read_file(path, &len);
		off = round == 0 ? 64 + 500 * 48 + 36 :
		    round == 1 ? 64 + 500 * 48 + 31 : len - 32 - 5;
		b[off] ^= 0x10;
		write_file(path, b, len);
		free(b);
		assert_int_equal(chunkindex_open(d, &idx), QS_OK);
		assert_int_equal(chunkindex_verify(idx), QS_ECORRUPT);
		assert_non_null(strstr(qs_error_message(),
		    strrchr(path, '/') + 1));
		assert_non_null(strstr(qs_error_message(), "offset"));
		chunkindex_close(idx);
		tmpdir_free(d);
	}
}

static int
count_cb(void *c, const uint8_t id[32], const struct chunk_loc *l)
{

	(void)id;
	(void)l;
	(*(size_t *)c)++;
	return (0);
}

/* Garbage (unsorted) entries: lookups stay inside the file, merges fail. */
static void
test_garbage_entries(void **state)
{
	struct chunkindex *idx;
	struct chunk_loc l;
	char path[4096], *d;
	uint8_t *b, id[32];
	size_t len, i;
	uint64_t s = 12345;

	(void)state;
	one_segment(&d, 2000, path, sizeof(path));
	b = read_file(path, &len);
	for (i = 64; i < len - 32; i += 8)
		le64enc(b + i, splitmix(&s));
	write_file(path, b, len);
	free(b);
	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	for (i = 0; i < 20000; i++) {
		make_id(1 + i % 2, i, id);
		(void)chunkindex_lookup(idx, id, &l);
	}
	/* All-zero and all-ones ids hit the search's edge cases. */
	memset(id, 0, sizeof(id));
	(void)chunkindex_lookup(idx, id, &l);
	memset(id, 0xff, sizeof(id));
	(void)chunkindex_lookup(idx, id, &l);
	assert_int_equal(chunkindex_verify(idx), QS_ECORRUPT);
	assert_int_equal(chunkindex_foreach(idx, count_cb, &i), QS_ECORRUPT);
	assert_non_null(strstr(qs_error_message(), "not sorted"));
	stage_range(idx, 1, 0, 2000, 0);
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	assert_int_equal(chunkindex_compact(idx), QS_ECORRUPT);
	assert_non_null(strstr(qs_error_message(), "not sorted"));
	/* The failed merge left no file behind. */
	assert_int_equal(seg_files(d, NULL, 0), 2);
	chunkindex_close(idx);
	tmpdir_free(d);
}

/* Ids sharing their first 24 bytes: no uniformity to lean on. */
static void
test_skewed_ids(void **state)
{
	struct chunkindex *idx;
	struct chunk_loc l, want;
	uint8_t id[32];
	char *d = tmpdir_new();
	uint64_t i;

	(void)state;
	assert_int_equal(chunkindex_open(d, &idx), QS_OK);
	memset(id, 0x5a, sizeof(id));
	for (i = 0; i < 5000; i++) {
		le64enc(id + 24, i * 2654435761ULL);
		want = make_loc(i, 0);
		assert_int_equal(chunkindex_stage(idx, id, &want), QS_OK);
	}
	assert_int_equal(chunkindex_flush(idx), QS_OK);
	for (i = 0; i < 5000; i++) {
		le64enc(id + 24, i * 2654435761ULL);
		want = make_loc(i, 0);
		assert_int_equal(chunkindex_lookup(idx, id, &l), QS_OK);
		assert_loc_eq(&l, &want);
		le64enc(id + 24, i * 2654435761ULL + 1);
		assert_int_equal(chunkindex_lookup(idx, id, &l), QS_ENOENT);
	}
	assert_int_equal(chunkindex_verify(idx), QS_OK);
	chunkindex_close(idx);
	tmpdir_free(d);
}

/*
 * Bloom filter, read straight from the file with the spec's rule: block
 * floor(be64(id[0..8]) * nblocks / 2^64), bit i = le16(id[8+2i..]) mod 512.
 */
static int
spec_bloom_has(const uint8_t *file, const uint8_t *id)
{
	uint64_t n = le64dec(file + 16), bb = le64dec(file + 40);
	uint32_t k = le32dec(file + 12), i, v;
	uint64_t nblocks = bb / 64, prefix = 0, blk;
	const uint8_t *bloom = file + 64 + n * 48;
	long double f;

	for (i = 0; i < 8; i++)
		prefix = (prefix << 8) | id[i];
	/* 64-bit mantissa long double: exact enough away from boundaries. */
	f = (long double)prefix * (long double)nblocks / 18446744073709551616.0L;
	blk = (uint64_t)f;
	for (i = 0; i < k; i++) {
		v = (uint32_t)(id[8 + 2 * i] | (id[9 + 2 * i] << 8)) % 512;
		if (!(bloom[blk * 64 + v / 8] & (1u << (v % 8))))
			return (0);
	}
	return (1);
}

static void
test_bloom_fp_rate(void **state)
{
	char path[4096], *d;
	uint8_t *b, id[32];
	size_t len;
	uint64_t i, fp = 0, n = 100000;
	double rate;

	(void)state;
	one_segment(&d, n, path, sizeof(path));
	b = read_file(path, &len);
	assert_int_equal(le64dec(b + 16), n);
	/* About 10 bits per entry. */
	assert_true(le64dec(b + 40) * 8 >= n * 10);
	assert_true(le64dec(b + 40) * 8 < n * 10 + 512);
	for (i = 0; i < n; i++) {
		make_id(1, i, id);
		assert_true(spec_bloom_has(b, id));
	}
	for (i = 0; i < n; i++) {
		make_id(2, i, id);
		fp += (uint64_t)spec_bloom_has(b, id);
	}
	rate = (double)fp / (double)n;
	print_message("bloom false-positive rate %.3f%%\n", rate * 100);
	assert_true(rate < 0.03);
	assert_true(fp > 0);	/* a filter that never matches is broken */
	free(b);
	tmpdir_free(d);
}

static int
hexbytes(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned int v;

	while (s[0] != '\0' && s[0] != '\n' && s[0] != ' ') {
		if (n >= max || sscanf(s, "%2x", &v) != 1)
			return (-1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return ((int)n);
}

static void
test_spec_vectors(void **state)
{
	struct chunkindex *idx = NULL;
	char line[512], path[4096], *d = NULL;
	uint8_t id[32], *want = NULL, *got;
	size_t wantlen = 0, gotlen;
	unsigned long long c;
	unsigned long o, l;
	struct chunk_loc loc;
	FILE *f;
	int vectors = 0, n;

	(void)state;
	f = open_vector("index_segment.hex");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (strncmp(line, "vector ", 7) == 0) {
			d = tmpdir_new();
			assert_int_equal(chunkindex_open(d, &idx), QS_OK);
			assert_non_null(want = malloc(1 << 16));
			wantlen = 0;
		} else if (strncmp(line, "entry ", 6) == 0) {
			assert_int_equal(hexbytes(line + 6, id, 32), 32);
			assert_int_equal(sscanf(line + 6 + 65, "%llu %lu %lu",
			    &c, &o, &l), 3);
			loc.container_id = c;
			loc.offset = (uint32_t)o;
			loc.length = (uint32_t)l;
			assert_int_equal(chunkindex_stage(idx, id, &loc),
			    QS_OK);
		} else if (strncmp(line, "file ", 5) == 0) {
			n = hexbytes(line + 5, want + wantlen,
			    (1 << 16) - wantlen);
			assert_true(n > 0);
			wantlen += (size_t)n;
		} else if (strncmp(line, "end", 3) == 0) {
			assert_int_equal(chunkindex_flush(idx), QS_OK);
			assert_int_equal(seg_files(d, path, sizeof(path)), 1);
			assert_non_null(strstr(path,
			    "/seg-0000000000000001-"));
			got = read_file(path, &gotlen);
			assert_int_equal(gotlen, wantlen);
			assert_memory_equal(got, want, wantlen);
			assert_int_equal(chunkindex_verify(idx), QS_OK);
			free(got);
			free(want);
			chunkindex_close(idx);
			tmpdir_free(d);
			vectors++;
		} else {
			fail_msg("bad vector line: %s", line);
		}
	}
	fclose(f);
	assert_int_equal(vectors, 2);
}

/* Decoder unit checks that do not need files. */
static void
test_segment_codec(void **state)
{
	struct segment_header h = { 3, 9, 4, 64, 6 }, h2;
	uint8_t b[SEGMENT_HEADER_SIZE], e[SEGMENT_ENTRY_SIZE], id[32];
	uint64_t size, c;
	uint32_t o, l;

	(void)state;
	segment_header_encode(&h, b);
	assert_memory_equal(b, "QSARCIDX", 8);
	assert_int_equal(segment_header_decode(b, sizeof(b) - 1, &h2),
	    QS_ECORRUPT);
	assert_int_equal(segment_header_decode(b, sizeof(b), &h2), QS_OK);
	assert_int_equal(h2.count, 3);
	assert_int_equal(h2.seq, 9);
	assert_int_equal(h2.base_seq, 4);
	assert_int_equal(h2.bloom_bytes, 64);
	assert_int_equal(h2.bloom_k, 6);
	assert_int_equal(segment_file_size(&h2, &size), QS_OK);
	assert_int_equal(size, 64 + 3 * 48 + 64 + 32);
	assert_int_equal(segment_trailer_offset(&h2), 64 + 3 * 48 + 64);
	/* count 0 with a bloom filter, or the reverse, is refused. */
	le64enc(b + 16, 0);
	assert_int_equal(segment_header_decode(b, sizeof(b), &h2),
	    QS_ECORRUPT);
	memset(id, 0xab, sizeof(id));
	segment_entry_encode(e, id, 0x0102030405060708ULL, 0xfffffff0U, 16);
	assert_memory_equal(e, id, 32);
	assert_int_equal(e[32], 0x08);
	assert_int_equal(e[40], 0xf0);
	assert_int_equal(segment_entry_check(e), QS_OK);
	segment_entry_decode(e, &c, &o, &l);
	assert_int_equal(c, 0x0102030405060708ULL);
	assert_int_equal(o, 0xfffffff0U);
	assert_int_equal(l, 16);
	segment_entry_encode(e, id, 1, 0xfffffff0U, 17);
	assert_int_equal(segment_entry_check(e), QS_ECORRUPT);
	segment_entry_encode(e, id, 1, 0, 0);
	assert_int_equal(segment_entry_check(e), QS_ECORRUPT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_codec),
		cmocka_unit_test(test_spec_vectors),
		cmocka_unit_test(test_stage_lookup),
		cmocka_unit_test(test_flush_reopen),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_newest_wins),
		cmocka_unit_test(test_compaction),
		cmocka_unit_test(test_compaction_leftovers),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_replace_all),
		cmocka_unit_test(test_corrupt_headers),
		cmocka_unit_test(test_verify_flipped_byte),
		cmocka_unit_test(test_garbage_entries),
		cmocka_unit_test(test_skewed_ids),
		cmocka_unit_test(test_bloom_fp_rate),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
