/*
 * libFuzzer harness: the stream-set record parser (format/streamset_fmt.h):
 * the set file STORE/streamset and the 80-byte generation record.  A set
 * that decodes must encode to a set that decodes to the same entries; the
 * entries are sorted and unique by name, as the store relies on.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/qs_err.h"
#include "format/streamset_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct streamset a, b;
	struct streamset_record r, r2;
	uint8_t rec[STREAMSET_RECORD_SIZE];
	uint8_t *copy, *enc = NULL;
	size_t len;
	int rc;

	if ((copy = malloc(size ? size : 1)) == NULL)
		return (0);
	memcpy(copy, data, size);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	rc = streamset_fmt_decode(copy, size, &a);
	if (rc == QS_OK) {
		for (size_t i = 1; i < a.count; i++)
			if (strcmp(a.e[i - 1].name, a.e[i].name) >= 0)
				abort();
		for (size_t i = 0; i < a.count; i++)
			if (streamset_fmt_find(&a, a.e[i].name) != (long)i)
				abort();
		if (streamset_fmt_encode(&a, &enc, &len) != QS_OK)
			abort();
		if (streamset_fmt_decode(enc, len, &b) != QS_OK ||
		    b.count != a.count || b.generation != a.generation ||
		    b.flags != a.flags ||
		    memcmp(b.store_id, a.store_id, 16) != 0)
			abort();
		for (size_t i = 0; i < a.count; i++)
			if (memcmp(&a.e[i], &b.e[i], sizeof(a.e[i])) != 0)
				abort();
		/* Removing and putting back an entry restores the set. */
		if (a.count > 0) {
			struct streamset_entry e = a.e[0];

			streamset_fmt_remove(&a, 0);
			if (streamset_fmt_find(&a, e.name) != -1 ||
			    streamset_fmt_put(&a, &e) != QS_OK ||
			    streamset_fmt_find(&a, e.name) != 0)
				abort();
		}
	} else if (rc != QS_ECORRUPT && rc != QS_EVERSION && rc != QS_ENOMEM)
		abort();
	streamset_fmt_clear(&a);
	streamset_fmt_clear(&b);
	free(enc);
	qs_error_clear();
	if (streamset_fmt_record_decode(copy, size, &r) == QS_OK) {
		streamset_fmt_record_encode(&r, rec);
		if (streamset_fmt_record_decode(rec, sizeof(rec), &r2) !=
		    QS_OK || memcmp(&r, &r2, sizeof(r)) != 0)
			abort();
	}
	qs_error_clear();
	free(copy);
	return (0);
}
