/*
 * libFuzzer harness: reading a manifest from disk.  A tiny store is built
 * once; each input replaces the bytes of its manifest "F" (the seeds are
 * real manifests) and is read with manifest_reader_open / _next to the
 * end or the first error, as get, ls and verify do.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/qs_err.h"
#include "index/store/store.h"
#include "index/store/manifest.h"
#include "tests/fuzz/fuzz_store.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct store *store;
static char mpath[4200];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{

	(void)argc;
	(void)argv;
	store = fuzz_store_build("man");
	if (store_stream_path(store, "F", 0, mpath, sizeof(mpath)) != QS_OK)
		abort();
	/* Show where the real manifest is, for making seeds by hand. */
	if (getenv("QSARC_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "manifest: %s\n", mpath);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest_reader *mr;
	const struct manifest_summary *sum;
	const uint8_t *id;
	uint64_t off, total = 0, refs = 0;
	uint32_t raw_len;
	int rc;

	fuzz_write_file(mpath, data, size);
	if (manifest_reader_open(store, "F", 0, &mr) == QS_OK) {
		sum = manifest_reader_summary(mr);
		if (strcmp(sum->name, "F") != 0)
			abort();
		while ((rc = manifest_reader_next(mr, &id, &raw_len, &off)) ==
		    QS_OK) {
			if (off != total)
				abort();
			total += raw_len;
			refs++;
		}
		/* The end is reported only when the summary agrees. */
		if (rc == 1 && (refs != sum->chunk_count ||
		    total != sum->length))
			abort();
		manifest_reader_free(mr);
	}
	qs_error_clear();
	return (0);
}
