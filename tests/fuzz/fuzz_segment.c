/*
 * libFuzzer harness: chunk-index segments.  The input is decoded as a
 * segment header (format/segment.h), then written as the only segment of a
 * temporary index directory and opened, verified, iterated and searched
 * through index/chunk/chunkindex.h, the code that maps segments from disk.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/qs_err.h"
#include "format/segment.h"
#include "index/chunk/chunkindex.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char dir[4096];

static void
cleanup(void)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/seg-0000000000000001-00000000.qsi",
	    dir);
	(void)unlink(path);
	(void)rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/qsarc-fuzz-seg-XXXXXX",
	    t != NULL ? t : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(cleanup);
	return (0);
}

struct walk {
	uint64_t n;
	uint8_t first[32];
	uint8_t last[32];
};

static int
walk_cb(void *ctx, const uint8_t id[32], const struct chunk_loc *loc)
{
	struct walk *w = ctx;

	(void)loc;
	/* foreach promises increasing ids (or an error). */
	if (w->n > 0 && memcmp(w->last, id, 32) >= 0)
		abort();
	if (w->n == 0)
		memcpy(w->first, id, 32);
	memcpy(w->last, id, 32);
	w->n++;
	return (QS_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct segment_header h;
	uint8_t hdr[SEGMENT_HEADER_SIZE];
	struct chunkindex *idx;
	struct chunk_loc loc;
	struct walk w;
	char path[4200];
	uint64_t seq = 1, fsize;
	FILE *f;

	if (segment_header_decode(data, size, &h) == QS_OK) {
		segment_header_encode(&h, hdr);
		if (memcmp(hdr, data, SEGMENT_HEADER_SIZE) != 0)
			abort();
		if (segment_file_size(&h, &fsize) == QS_OK &&
		    (segment_bloom_offset(&h) > fsize ||
		    segment_trailer_offset(&h) + SEGMENT_TRAILER_SIZE !=
		    fsize))
			abort();
		seq = h.seq;
	}
	for (size_t off = SEGMENT_HEADER_SIZE; off + SEGMENT_ENTRY_SIZE <=
	    size && off < 64 * SEGMENT_ENTRY_SIZE; off += SEGMENT_ENTRY_SIZE)
		(void)segment_entry_check(data + off);

	snprintf(path, sizeof(path), "%s/seg-%016llx-00000000.qsi", dir,
	    (unsigned long long)seq);
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	if (chunkindex_open(dir, &idx) == QS_OK) {
		(void)chunkindex_verify(idx);
		memset(&w, 0, sizeof(w));
		if (chunkindex_foreach(idx, walk_cb, &w) == QS_OK && w.n > 0) {
			(void)chunkindex_lookup(idx, w.first, &loc);
			(void)chunkindex_lookup(idx, w.last, &loc);
		}
		memset(w.first, 0xa5, 32);
		(void)chunkindex_lookup(idx, w.first, &loc);
		(void)chunkindex_count(idx);
		chunkindex_close(idx);
	}
	unlink(path);
	qs_error_clear();
	return (0);
}
