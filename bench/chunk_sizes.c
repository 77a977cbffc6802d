/*
 * chunk_sizes FILE...
 *     For average chunk sizes 8, 16, 32, 64, 128 and 256 KiB (min = avg / 4,
 *     max = avg * 4) and a fixed chunker key, chunk each FILE in order (each
 *     file starts at a chunk boundary) and print per average size: chunks,
 *     total bytes, unique bytes (dedup across all files by BLAKE2b-256 of
 *     each chunk), dedup ratio, the zstd -1 size of the unique chunks
 *     compressed one at a time, and the speed of chunker_find_cut alone.
 *
 * chunk_sizes -s [MIB]
 *     Throughput of chunker_find_cut on MIB (default 256) MiB of
 *     pseudo-random data held in memory, for the same average sizes.
 *
 * A bench tool: it prints, and uses libsodium and zstd directly.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zstd.h>

#include "crypto/gear.h"
#include "index/chunk/chunker.h"

#define NAVG 6
static const uint32_t avgs_kib[NAVG] = { 8, 16, 32, 64, 128, 256 };

/* Open-addressing set of 32-byte chunk digests. */
struct dset {
	uint8_t (*d)[32];
	uint8_t *used;
	size_t cap, n;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

static void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (p == NULL) {
		fprintf(stderr, "chunk_sizes: out of memory\n");
		exit(1);
	}
	return (p);
}

static size_t
dset_slot(const struct dset *s, const uint8_t d[32])
{
	uint64_t h;
	size_t i;

	memcpy(&h, d, sizeof(h));
	for (i = (size_t)h & (s->cap - 1);; i = (i + 1) & (s->cap - 1))
		if (!s->used[i] || memcmp(s->d[i], d, 32) == 0)
			return (i);
}

/* Insert ${d}; return 1 if it was new, 0 if already present. */
static int
dset_add(struct dset *s, const uint8_t d[32])
{
	struct dset ns;
	size_t i, j;

	if (2 * (s->n + 1) > s->cap) {
		ns.cap = s->cap ? 2 * s->cap : 1024;
		ns.n = s->n;
		ns.d = xcalloc(ns.cap, 32);
		ns.used = xcalloc(ns.cap, 1);
		for (i = 0; i < s->cap; i++) {
			if (!s->used[i])
				continue;
			j = dset_slot(&ns, s->d[i]);
			memcpy(ns.d[j], s->d[i], 32);
			ns.used[j] = 1;
		}
		free(s->d);
		free(s->used);
		*s = ns;
	}
	i = dset_slot(s, d);
	if (s->used[i])
		return (0);
	memcpy(s->d[i], d, 32);
	s->used[i] = 1;
	s->n++;
	return (1);
}

static struct chunker *
make_chunker(uint32_t avg)
{
	uint8_t key[32];
	uint64_t table[256];
	struct chunker_params p;
	struct chunker *c;
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	gear_derive(key, table);
	p.avg_size = avg;
	p.min_size = avg / 4;
	p.max_size = avg * 4;
	if ((c = chunker_new(&p, table)) == NULL) {
		fprintf(stderr, "chunk_sizes: chunker_new failed\n");
		exit(1);
	}
	return (c);
}

struct stats {
	uint64_t chunks, total, unique, zsize;
	double tcut;
};

/* Chunk the file ${path}, accumulating into ${st}. */
static int
do_file(const char *path, struct chunker *c, size_t max, struct dset *set,
    ZSTD_CCtx *cctx, uint8_t *buf, size_t cap, uint8_t *zbuf, size_t zcap,
    struct stats *st)
{
	FILE *f;
	size_t off = 0, have = 0, n, z;
	uint8_t d[32];
	int eof = 0;
	double t0;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "chunk_sizes: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	for (;;) {
		/* Keep at least max bytes available unless at EOF. */
		if (!eof && have < max) {
			memmove(buf, buf + off, have);
			off = 0;
			n = fread(buf + have, 1, cap - have, f);
			if (n == 0) {
				if (ferror(f)) {
					fprintf(stderr, "chunk_sizes: %s: "
					    "read error\n", path);
					fclose(f);
					return (-1);
				}
				eof = 1;
			}
			have += n;
			continue;
		}
		if (have == 0)
			break;
		t0 = now();
		n = chunker_find_cut(c, buf + off, have, eof);
		st->tcut += now() - t0;
		if (n == 0) {
			fprintf(stderr, "chunk_sizes: unexpected 0\n");
			exit(1);
		}
		crypto_generichash(d, sizeof(d), buf + off, n, NULL, 0);
		st->chunks++;
		st->total += n;
		if (dset_add(set, d)) {
			st->unique += n;
			z = ZSTD_compressCCtx(cctx, zbuf, zcap, buf + off, n,
			    1);
			if (ZSTD_isError(z)) {
				fprintf(stderr, "chunk_sizes: zstd: %s\n",
				    ZSTD_getErrorName(z));
				exit(1);
			}
			st->zsize += z;
		}
		off += n;
		have -= n;
	}
	fclose(f);
	return (0);
}

static int
run_files(int argc, char **argv)
{
	struct stats st;
	struct dset set;
	struct chunker *c;
	ZSTD_CCtx *cctx;
	uint8_t *buf, *zbuf;
	size_t max, cap, zcap;
	int a, i;

	if ((cctx = ZSTD_createCCtx()) == NULL)
		return (1);
	printf("%7s %9s %14s %14s %7s %14s %7s %9s %9s\n", "avg_KiB",
	    "chunks", "total", "unique", "dedup", "zstd1_unique", "stored",
	    "mean", "cut_MB/s");
	for (a = 0; a < NAVG; a++) {
		memset(&st, 0, sizeof(st));
		memset(&set, 0, sizeof(set));
		c = make_chunker(avgs_kib[a] * 1024);
		max = (size_t)avgs_kib[a] * 1024 * 4;
		cap = 4 * max;
		zcap = ZSTD_compressBound(max);
		buf = xcalloc(cap, 1);
		zbuf = xcalloc(zcap, 1);
		for (i = 0; i < argc; i++)
			if (do_file(argv[i], c, max, &set, cctx, buf, cap,
			    zbuf, zcap, &st) != 0)
				return (1);
		printf("%7u %9llu %14llu %14llu %7.3f %14llu %7.3f %9.0f "
		    "%9.0f\n", avgs_kib[a], (unsigned long long)st.chunks,
		    (unsigned long long)st.total,
		    (unsigned long long)st.unique,
		    st.unique ? (double)st.total / (double)st.unique : 0.0,
		    (unsigned long long)st.zsize,
		    st.zsize ? (double)st.total / (double)st.zsize : 0.0,
		    st.chunks ? (double)st.total / (double)st.chunks : 0.0,
		    st.tcut > 0 ? (double)st.total / st.tcut / 1e6 : 0.0);
		fflush(stdout);
		free(buf);
		free(zbuf);
		free(set.d);
		free(set.used);
		chunker_free(c);
	}
	ZSTD_freeCCtx(cctx);
	return (0);
}

static int
run_speed(size_t mib)
{
	uint8_t seed[randombytes_SEEDBYTES] = { 1 };
	size_t len = mib * 1024 * 1024, pos, n, nchunks;
	struct chunker *c;
	uint8_t *buf;
	double t0, best;
	int a, rep;

	if ((buf = malloc(len)) == NULL)
		return (1);
	randombytes_buf_deterministic(buf, len, seed);
	printf("%7s %9s %9s %9s\n", "avg_KiB", "chunks", "mean", "MB/s");
	for (a = 0; a < NAVG; a++) {
		c = make_chunker(avgs_kib[a] * 1024);
		best = 0;
		nchunks = 0;
		for (rep = 0; rep < 3; rep++) {
			t0 = now();
			for (pos = 0, nchunks = 0; pos < len; pos += n) {
				n = chunker_find_cut(c, buf + pos, len - pos,
				    1);
				nchunks++;
			}
			t0 = now() - t0;
			if (best == 0 || t0 < best)
				best = t0;
		}
		printf("%7u %9zu %9.0f %9.0f\n", avgs_kib[a], nchunks,
		    (double)len / (double)nchunks, (double)len / best / 1e6);
		chunker_free(c);
	}
	free(buf);
	return (0);
}

int
main(int argc, char **argv)
{

	if (sodium_init() < 0)
		return (1);
	if (argc >= 2 && strcmp(argv[1], "-s") == 0)
		return (run_speed(argc >= 3 ? (size_t)strtoul(argv[2], NULL,
		    10) : 256));
	if (argc < 2) {
		fprintf(stderr, "usage: chunk_sizes FILE...\n"
		    "       chunk_sizes -s [MIB]\n");
		return (2);
	}
	return (run_files(argc - 1, argv + 1));
}
