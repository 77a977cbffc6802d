/*
 * index_bench [N] [DIR]: synthetic load on index/chunkindex.
 *
 * Inserts N random 32-byte ids (default 50,000,000) the way a long series of
 * puts would: lookup (a miss), stage, and every 1,000,000 staged entries a
 * flush and a compaction.  Then reopens the index and times 1,000,000
 * lookups of present ids and 1,000,000 of absent ids, a full foreach and a
 * verify.  Reports rates, on-disk bytes per entry and resident memory from
 * /proc/self/status.  Works in a new directory under DIR (default /tmp),
 * removed at the end.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format/endian.h"
#include "format/qs_err.h"
#include "index/chunk/chunkindex.h"

#define FLUSH_EVERY	1000000
#define LOOKUPS		1000000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static uint64_t
mix(uint64_t z)
{

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Id number ${i} of family ${fam} (1: inserted, 2: never inserted). */
static void
make_id(uint64_t fam, uint64_t i, uint8_t id[32])
{
	uint64_t s = (fam << 40) ^ (i * 4);
	int k;

	for (k = 0; k < 4; k++)
		le64enc(id + 8 * k, mix((s + (uint64_t)k) *
		    0x9e3779b97f4a7c15ULL + fam));
}

static struct chunk_loc
make_loc(uint64_t i)
{
	struct chunk_loc l;

	l.container_id = i / 4096;
	l.offset = (uint32_t)(i % 4096) * 65536;
	l.length = 1 + (uint32_t)(i % 65535);
	return (l);
}

struct mem {
	long rss, anon, file, hwm;	/* KiB */
};

static void
mem_read(struct mem *m)
{
	FILE *f;
	char line[256];

	memset(m, 0, sizeof(*m));
	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "VmRSS: %ld", &m->rss);
		sscanf(line, "RssAnon: %ld", &m->anon);
		sscanf(line, "RssFile: %ld", &m->file);
		sscanf(line, "VmHWM: %ld", &m->hwm);
	}
	fclose(f);
}

static void
mem_print(const char *when, const struct mem *m, uint64_t n)
{

	printf("memory %-22s VmRSS %7ld KiB  RssAnon %7ld KiB  RssFile %7ld "
	    "KiB  VmHWM %7ld KiB  (RSS %.2f B/entry, peak %.2f B/entry)\n",
	    when, m->rss, m->anon, m->file, m->hwm,
	    (double)m->rss * 1024 / (double)n,
	    (double)m->hwm * 1024 / (double)n);
}

/* Sum of file sizes in ${dir}; if ${rm}, remove them and the directory. */
static uint64_t
dir_walk(const char *dir, int rm)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char p[4096];
	uint64_t sum = 0;

	if ((d = opendir(dir)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &st) == 0)
			sum += (uint64_t)st.st_size;
		if (rm)
			(void)unlink(p);
	}
	closedir(d);
	if (rm)
		(void)rmdir(dir);
	return (sum);
}

static int
count_cb(void *c, const uint8_t id[32], const struct chunk_loc *l)
{

	(void)id;
	(void)l;
	(*(uint64_t *)c)++;
	return (0);
}

static int
fail(const char *what, int rc, const char *dir)
{

	fprintf(stderr, "index_bench: %s: %s: %s\n", what, qs_err_string(rc),
	    qs_error_message());
	dir_walk(dir, 1);
	return (1);
}

int
main(int argc, char **argv)
{
	struct chunkindex *idx;
	struct chunk_loc l, want;
	struct mem m0, m1, m2, m3;
	uint8_t id[32];
	char dir[4096];
	const char *base = "/tmp";
	uint64_t n = 50000000, i, j, misses = 0, fcount = 0;
	uint64_t rng = 0x1234567;
	double t0, t1, tflush = 0, tcompact = 0, tins, tmiss, t;
	size_t maxsegs = 0;
	double thits[2];
	int pass;
	int rc;

	if (argc > 1)
		n = strtoull(argv[1], NULL, 10);
	if (argc > 2)
		base = argv[2];
	if (n == 0) {
		fprintf(stderr, "usage: index_bench [N] [DIR]\n");
		return (2);
	}
	snprintf(dir, sizeof(dir), "%s/qsarc-index-bench-XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return (1);
	}
	printf("index_bench: %" PRIu64 " entries in %s\n", n, dir);
	mem_read(&m0);
	mem_print("at start", &m0, n);

	if ((rc = chunkindex_open(dir, &idx)) != QS_OK)
		return (fail("open", rc, dir));
	t0 = now();
	for (i = 0; i < n; i++) {
		make_id(1, i, id);
		if (chunkindex_lookup(idx, id, &l) == QS_OK)
			misses++;	/* an id collision: impossible */
		want = make_loc(i);
		if ((rc = chunkindex_stage(idx, id, &want)) != QS_OK)
			return (fail("stage", rc, dir));
		if (chunkindex_staged_count(idx) >= FLUSH_EVERY || i == n - 1) {
			t = now();
			if ((rc = chunkindex_flush(idx)) != QS_OK)
				return (fail("flush", rc, dir));
			t1 = now();
			tflush += t1 - t;
			if ((rc = chunkindex_compact(idx)) != QS_OK)
				return (fail("compact", rc, dir));
			tcompact += now() - t1;
			if (chunkindex_segment_count(idx) > maxsegs)
				maxsegs = chunkindex_segment_count(idx);
		}
	}
	tins = now() - t0;
	if (misses != 0)
		return (fail("unexpected hit before insert", QS_ECORRUPT, dir));
	mem_read(&m1);
	printf("insert: %" PRIu64 " entries in %.1f s = %.0f inserts/s "
	    "(lookup+stage; flush %.1f s, compact %.1f s); %zu segments at "
	    "the end, at most %zu\n", n, tins, (double)n / tins, tflush,
	    tcompact, chunkindex_segment_count(idx), maxsegs);
	mem_print("after insert", &m1, n);
	printf("on disk: %" PRIu64 " bytes = %.2f bytes/entry\n",
	    dir_walk(dir, 0), (double)dir_walk(dir, 0) / (double)n);

	/* Reopen, so that resident memory counts only what lookups touch. */
	chunkindex_close(idx);
	if ((rc = chunkindex_open(dir, &idx)) != QS_OK)
		return (fail("reopen", rc, dir));
	mem_read(&m2);
	mem_print("after reopen", &m2, n);

	/* Pass 0 maps pages in (minor faults); pass 1 is warm. */
	for (pass = 0; pass < 2; pass++) {
		rng = 0x1234567;
		t0 = now();
		for (j = 0; j < LOOKUPS; j++) {
			rng = mix(rng + 0x9e3779b97f4a7c15ULL);
			i = rng % n;
			make_id(1, i, id);
			want = make_loc(i);
			if (chunkindex_lookup(idx, id, &l) != QS_OK ||
			    l.container_id != want.container_id ||
			    l.offset != want.offset ||
			    l.length != want.length)
				return (fail("present id not found",
				    QS_ECORRUPT, dir));
		}
		thits[pass] = now() - t0;
	}
	t0 = now();
	for (j = 0; j < LOOKUPS; j++) {
		make_id(2, j, id);
		if (chunkindex_lookup(idx, id, &l) == QS_OK)
			return (fail("absent id found", QS_ECORRUPT, dir));
	}
	tmiss = now() - t0;
	mem_read(&m3);
	printf("lookup: %d present in %.2f s = %.0f lookups/s (first pass "
	    "after reopen: %.2f s = %.0f lookups/s); %d absent in %.2f s = "
	    "%.0f lookups/s\n", LOOKUPS, thits[1], LOOKUPS / thits[1],
	    thits[0], LOOKUPS / thits[0], LOOKUPS, tmiss, LOOKUPS / tmiss);
	mem_print("after lookups", &m3, n);
	printf("resident growth from lookups: RssAnon %+.3f B/entry, RssFile "
	    "%+.3f B/entry\n", (double)(m3.anon - m2.anon) * 1024 / (double)n,
	    (double)(m3.file - m2.file) * 1024 / (double)n);

	t0 = now();
	if ((rc = chunkindex_foreach(idx, count_cb, &fcount)) != QS_OK)
		return (fail("foreach", rc, dir));
	printf("foreach: %" PRIu64 " entries in %.1f s\n", fcount,
	    now() - t0);
	if (fcount != n)
		return (fail("foreach count", QS_ECORRUPT, dir));
	t0 = now();
	if ((rc = chunkindex_verify(idx)) != QS_OK)
		return (fail("verify", rc, dir));
	printf("verify: %.1f s\n", now() - t0);
	mem_read(&m3);
	mem_print("at end", &m3, n);
	chunkindex_close(idx);
	dir_walk(dir, 1);
	return (0);
}
