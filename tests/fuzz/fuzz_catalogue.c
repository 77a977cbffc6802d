/*
 * libFuzzer harness: the tar member catalogue reader (index/tar/catalogue.h
 * and format/catalogue_fmt.h).  The first input byte chooses:
 *   even: the rest is the file STORE/catalogs/HEX.qct of the template
 *         store (the seeds are real catalogue files of it), read with
 *         catalogue_reader_open / _next to the end or the first error, as
 *         ls and diff do.  The harness puts the file's own hash into the
 *         summary, so the fuzzer is not stopped by the manifest's check.
 *   odd:  the rest is a member frame's plaintext after its 8-byte frame
 *         header, decoded member after member; and a final record.
 * A member that decodes must re-encode to the same bytes.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/catalogue_fmt.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/store/framefile.h"
#include "index/tar/catalogue.h"
#include "tests/fuzz/fuzz_store.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct store *store;
static char cpath[4200];
/* The catalogue id of the template store's tar stream (make_seeds.sh). */
static const uint8_t cat_id[16] = {
	0x75, 0x6a, 0xf6, 0x52, 0x4d, 0xe1, 0xca, 0x43,
	0xe7, 0x5e, 0x4c, 0xaf, 0xae, 0x33, 0x98, 0x8f };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{

	(void)argc;
	(void)argv;
	store = fuzz_store_build("cat");
	if (store_path_catalogue(store_root(store), cat_id, cpath,
	    sizeof(cpath)) != QS_OK)
		abort();
	return (0);
}

static void
check_member(const struct catalogue_member *m, const uint8_t *at,
    size_t used)
{
	uint8_t *enc;
	size_t len;

	if ((enc = malloc(used + 64)) == NULL)
		return;
	if (catalogue_fmt_member_encode(m, enc, used + 64, &len) != QS_OK ||
	    len != used || memcmp(enc, at, used) != 0)
		abort();
	free(enc);
}

static void
fmt_level(const uint8_t *p, size_t n)
{
	struct catalogue_member m;
	struct catalogue_end e;
	size_t pos = 0, used;

	while (pos < n && catalogue_fmt_member_decode(p + pos, n - pos, &m,
	    &used) == QS_OK) {
		if (used == 0 || used > n - pos)
			abort();
		check_member(&m, p + pos, used);
		pos += used;
	}
	if (catalogue_fmt_end_decode(p, n, &e) == QS_OK &&
	    memchr(e.message, '\0', sizeof(e.message)) == NULL)
		abort();
}

static void
store_level(const uint8_t *p, size_t n)
{
	struct framefile_reader *fr;
	struct catalogue_reader *cr;
	struct catalogue_member m;
	struct manifest_summary sum;
	int rc;

	fuzz_write_file(cpath, p, n);
	memset(&sum, 0, sizeof(sum));
	strcpy(sum.name, "T");
	sum.features = MANIFEST_FEATURE_CATALOGUE;
	memcpy(sum.catalogue_id, cat_id, 16);
	if (framefile_reader_open(store, cpath, catalogue_fmt_magic(), &fr) !=
	    QS_OK)
		return;
	rc = framefile_reader_hash(fr, sum.catalogue_hash);
	framefile_reader_free(fr);
	if (rc != QS_OK)
		return;
	if (catalogue_reader_open(store, &sum, &cr) != QS_OK)
		return;
	(void)catalogue_reader_end(cr);
	for (int i = 0; i < 1000000; i++) {
		if ((rc = catalogue_reader_next(cr, &m)) != QS_OK)
			break;
		if (m.path_len > 0 && m.path == NULL)
			abort();
	}
	catalogue_reader_free(cr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{

	if (size < 1)
		return (0);
	if (data[0] & 1)
		fmt_level(data + 1, size - 1);
	else
		store_level(data + 1, size - 1);
	qs_error_clear();
	return (0);
}
