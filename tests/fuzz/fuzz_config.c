/*
 * libFuzzer harness: the config body decoder (format/config.h).  A config
 * that decodes must encode, and the encoding must decode to the same
 * values (unknown non-critical fields are kept verbatim).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/config.h"
#include "format/qs_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_config *a, *b;
	uint8_t *copy, *enc;
	size_t len, mac_at;

	if (size > CONFIG_MAX_SIZE)
		return (0);
	copy = malloc(size ? size : 1);
	enc = malloc(CONFIG_MAX_SIZE);
	a = calloc(1, sizeof(*a));
	b = calloc(1, sizeof(*b));
	if (copy == NULL || enc == NULL || a == NULL || b == NULL)
		goto done;
	memcpy(copy, data, size);
	if (config_decode(copy, size, a) != QS_OK)
		goto done;
	if (strlen(a->keystore_backup) > CONFIG_PATH_MAX ||
	    a->unknown_len > CONFIG_UNKNOWN_MAX)
		abort();
	if (config_encode(a, enc, CONFIG_MAX_SIZE, &len, &mac_at) != QS_OK)
		abort();
	if (config_decode(enc, len, b) != QS_OK)
		abort();
	if (memcmp(a->store_id, b->store_id, 16) != 0 ||
	    a->created != b->created || a->chunk_min != b->chunk_min ||
	    a->chunk_avg != b->chunk_avg || a->chunk_max != b->chunk_max ||
	    a->zstd_level != b->zstd_level ||
	    a->container_size != b->container_size ||
	    a->has_plain_keys != b->has_plain_keys ||
	    a->encrypted != b->encrypted ||
	    strcmp(a->keystore_backup, b->keystore_backup) != 0 ||
	    a->unknown_len != b->unknown_len ||
	    (a->encrypted && memcmp(a->mac, b->mac, 32) != 0) ||
	    memcmp(a->unknown, b->unknown, a->unknown_len) != 0)
		abort();
done:
	free(a);
	free(b);
	free(enc);
	free(copy);
	return (0);
}
