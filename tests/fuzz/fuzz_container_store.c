/*
 * libFuzzer harness: reading a container from disk.  A tiny store is
 * built once; each input replaces the bytes of one of its containers (the
 * seeds are real containers, so the container id in the name and header
 * agree), then the container is scanned (container_scan, as verify,
 * clean and the index rebuild do) and every record the scan accepts is
 * read in full with chunk_reader_read, as get does.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/store/chunk_reader.h"
#include "index/store/container_scan.h"
#include "index/store/store.h"
#include "tests/fuzz/fuzz_store.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct store *store;
static struct chunk_reader *reader;
static uint8_t *chunk;
static uint64_t cid;
static char cpath[4200];

static int
first_cb(void *ctx, uint64_t id)
{

	(void)ctx;
	cid = id;
	return (1);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{

	(void)argc;
	(void)argv;
	store = fuzz_store_build("ctr");
	if (container_scan_foreach(store, first_cb, NULL) != 1 ||
	    store_container_path(store_root(store), cid, cpath, sizeof(cpath)) !=
	    QS_OK || chunk_reader_new(store, &reader) != QS_OK ||
	    (chunk = malloc(RECORD_MAX_RAW)) == NULL)
		abort();
	if (getenv("QSARC_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "container: %s\n", cpath);
	return (0);
}

static int
rec_cb(void *ctx, const struct scan_record *rec)
{
	struct chunk_loc loc;
	size_t len;

	(void)ctx;
	if (rec->offset < CONTAINER_HEADER_SIZE ||
	    rec->length != RECORD_HEADER_SIZE + rec->h.stored_len)
		abort();
	loc.container_id = cid;
	loc.offset = (uint32_t)rec->offset;
	loc.length = rec->length;
	if (chunk_reader_read(reader, rec->h.chunk_id, &loc, chunk, RECORD_MAX_RAW,
	    &len) == QS_OK && len != rec->h.raw_len)
		abort();
	return (QS_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{

	fuzz_write_file(cpath, data, size);
	(void)container_scan(store, cid, rec_cb, NULL);
	qs_error_clear();
	return (0);
}
