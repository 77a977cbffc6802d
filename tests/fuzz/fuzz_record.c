/*
 * libFuzzer harness: container header, container trailer and record header
 * decoding (format/container_fmt.h).  Whatever the input, decoding must not read
 * beyond it, and whatever decodes must encode back to the same bytes.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/qs_err.h"
#include "format/container_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_header ch;
	struct container_trailer ct;
	struct record_header rh;
	uint8_t *copy, out[RECORD_HEADER_SIZE];

	/* An exact-size heap copy, so ASan sees any over-read. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return (0);
	memcpy(copy, data, size);
	if (container_fmt_header_decode(copy, size, &ch) == QS_OK) {
		container_fmt_header_encode(&ch, out);
		if (memcmp(out, copy, CONTAINER_HEADER_SIZE) != 0)
			abort();
	}
	if (container_fmt_trailer_decode(copy, size, &ct) == QS_OK) {
		container_fmt_trailer_encode(&ct, out);
		if (memcmp(out, copy, CONTAINER_TRAILER_SIZE) != 0)
			abort();
	}
	if (container_fmt_record_decode(copy, size, &rh) == QS_OK) {
		if (rh.raw_len > RECORD_MAX_RAW ||
		    rh.stored_len > RECORD_MAX_STORED)
			abort();
		container_fmt_record_encode(&rh, out);
		if (memcmp(out, copy, RECORD_HEADER_SIZE) != 0)
			abort();
	}
	free(copy);
	return (0);
}
