/*
 * libFuzzer harness: manifest header, reference frame and summary frame
 * decoding (format/manifest_fmt.h), and the catalogue member and end records
 * where this tree has them.  Decoders must stay inside the input; a
 * summary that decodes must encode and decode again to the same values.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/catalogue_fmt.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest_header h;
	struct manifest_summary *s1, *s2;
	uint8_t *copy, *enc;
	uint8_t hdr[MANIFEST_HEADER_SIZE];
	size_t enclen, enccap = MANIFEST_SUMMARY_FIXED + STREAM_NAME_MAX + 64;
	uint32_t count;

	if ((copy = malloc(size ? size : 1)) == NULL)
		return (0);
	memcpy(copy, data, size);
	s1 = calloc(1, sizeof(*s1));
	s2 = calloc(1, sizeof(*s2));
	enc = malloc(enccap);
	if (s1 == NULL || s2 == NULL || enc == NULL)
		goto done;

	if (manifest_fmt_header_decode(copy, size, &h) == QS_OK) {
		manifest_fmt_header_encode(&h, hdr);
		if (memcmp(hdr, copy, MANIFEST_HEADER_SIZE) != 0)
			abort();
	}
	if (manifest_fmt_refs_decode(copy, size, &count) == QS_OK &&
	    (size < MANIFEST_REFS_HEADER || (size - MANIFEST_REFS_HEADER) /
	    MANIFEST_REF_SIZE < count))
		abort();
	if (manifest_fmt_summary_decode(copy, size, s1) == QS_OK) {
		if (strlen(s1->name) > STREAM_NAME_MAX)
			abort();
		if (manifest_fmt_summary_encode(s1, enc, enccap, &enclen) !=
		    QS_OK || manifest_fmt_summary_decode(enc, enclen, s2) != QS_OK)
			abort();
		if (s1->created != s2->created || s1->length != s2->length ||
		    s1->chunk_count != s2->chunk_count ||
		    s1->features != s2->features ||
		    memcmp(s1->stream_hash, s2->stream_hash, 32) != 0 ||
		    strcmp(s1->name, s2->name) != 0)
			abort();
	}
#ifdef CATALOGUE_MEMBER_FIXED
	{
		struct catalogue_member m;
		struct catalogue_end *e;
		size_t off = 0, used;

		/* A members frame is a run of members. */
		while (off < size && catalogue_fmt_member_decode(copy + off,
		    size - off, &m, &used) == QS_OK) {
			if (used == 0 || used > size - off)
				abort();
			off += used;
		}
		if ((e = malloc(sizeof(*e))) != NULL) {
			if (catalogue_fmt_end_decode(copy, size, e) == QS_OK &&
			    memchr(e->message, '\0', sizeof(e->message)) ==
			    NULL)
				abort();
			free(e);
		}
	}
#endif
done:
	free(enc);
	free(s1);
	free(s2);
	free(copy);
	return (0);
}
