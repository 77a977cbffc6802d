/*
 * libFuzzer harness: the keystore file codec (format/keystore_fmt.h): the
 * plaintext header, and the body and key entries as they are after
 * decryption.  (Fuzzing keystore_load itself would spend every input in
 * Argon2id and AEAD checks the fuzzer cannot pass.)
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/keystore_fmt.h"
#include "format/qs_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keystore_fmt_header h;
	struct keystore_fmt_body body;
	struct keystore_fmt_key key;
	uint8_t hdr[KEYSTORE_FMT_HEADER_SIZE];
	uint8_t *copy;

	if ((copy = malloc(size ? size : 1)) == NULL)
		return (0);
	memcpy(copy, data, size);
	if (keystore_fmt_header_decode(copy, size, &h) == QS_OK) {
		if ((size_t)KEYSTORE_FMT_HEADER_SIZE + h.body_len +
		    KEYSTORE_FMT_TAGBYTES != size)
			abort();
		keystore_fmt_header_encode(&h, hdr);
		if (memcmp(hdr, copy, KEYSTORE_FMT_HEADER_SIZE) != 0)
			abort();
	}
	if (keystore_fmt_body_decode(copy, size, &body) == QS_OK) {
		if (body.nkeys < 1 || body.nkeys > KEYSTORE_FMT_MAX_KEYS ||
		    keystore_fmt_body_size(body.nkeys) != size)
			abort();
		for (size_t i = 0; i < body.nkeys; i++)
			(void)keystore_fmt_key_decode(&body, i, &key);
		if (keystore_fmt_key_decode(&body, body.nkeys, &key) !=
		    QS_EINVAL)
			abort();
	}
	free(copy);
	return (0);
}
