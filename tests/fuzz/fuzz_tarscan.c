/*
 * libFuzzer harness: the tar scanner of put (index/tar/tarscan.h) fed
 * hostile archives.  Input: one byte of options (bit 0 --allow-truncated,
 * bit 1 refuse an empty tar, bits 2-7 the block size put feeds), then the
 * stream.  The harness plays put's part of the scanner protocol
 * (index/stream/put.h): it feeds every block, asks for the cut points in
 * order (each must lie strictly inside the stream and increase), and
 * finishes the scan as a successful put would, which writes the stream's
 * catalogue into the template store; that file is then read back
 * entirely and removed.  Run with TMPDIR on a tmpfs (make fuzz-long does):
 * every catalogue is fsynced.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/stream/put.h"
#include "index/tar/catalogue.h"
#include "index/tar/tarscan.h"
#include "tests/fuzz/fuzz_store.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct store *store;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{

	(void)argc;
	(void)argv;
	store = fuzz_store_build("tar");
	(void)fuzz_write_file;	/* shared helper this harness does not use */
	return (0);
}

static void
read_back(const struct manifest_summary *sum)
{
	struct catalogue_reader *cr;
	struct catalogue_member m;
	char path[4200];
	uint64_t n = 0;
	int rc;

	if (!(sum->features & MANIFEST_FEATURE_CATALOGUE))
		return;
	if (catalogue_reader_open(store, sum, &cr) != QS_OK)
		abort();	/* what the scan wrote must read back */
	while ((rc = catalogue_reader_next(cr, &m)) == QS_OK)
		n++;
	if (rc != 1 || n != catalogue_reader_end(cr)->members)
		abort();
	catalogue_reader_free(cr);
	if (store_path_catalogue(store_root(store), sum->catalogue_id, path,
	    sizeof(path)) == QS_OK)
		(void)unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest_summary sum;
	struct put_opts po;
	struct tarscan *ts = NULL;
	const struct put_scanner *sc;
	size_t blk, off;
	uint64_t pos, c;
	int flags = 0, rc;

	if (size < 1 || size > (1U << 20))
		return (0);
	if (data[0] & 1)
		flags |= TARSCAN_ALLOW_TRUNCATED;
	if (data[0] & 2)
		flags |= TARSCAN_REFUSE_EMPTY;
	blk = ((size_t)(data[0] >> 2) + 1) * 512;
	data++;
	size--;
	memset(&po, 0, sizeof(po));
	po.threads = 1;
	if (tarscan_attach(store, &po, flags, &ts) != QS_OK)
		goto done;
	sc = po.scanner;
	for (off = 0; off < size; off += blk) {
		size_t n = size - off < blk ? size - off : blk;

		if (sc->ops->feed(sc->ctx, data + off, n) != QS_OK)
			break;
	}
	for (pos = 0; off >= size; pos = c) {
		c = sc->ops->next_cut(sc->ctx, pos, size);
		if (c == UINT64_MAX)
			break;
		if (c <= pos || c >= size)
			abort();
	}
	memset(&sum, 0, sizeof(sum));
	strcpy(sum.name, "T");
	sum.length = size;
	rc = sc->ops->finish(sc->ctx, off >= size, off >= size ? &sum : NULL);
	if (rc == QS_OK && off >= size)
		read_back(&sum);
done:
	tarscan_detach(ts);
	qs_error_clear();
	return (0);
}
