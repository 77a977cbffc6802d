/*
 * libFuzzer harness: the alert settings parser (cmd/alerts/alerts_conf.h).
 * A first byte with bit 0 set makes the harness append the right
 * "checksum" line to the rest of the input (the fuzzer cannot compute
 * BLAKE2b-256 itself), so that the key/value parser is reached; otherwise
 * the input is parsed as it is.  Settings that parse must encode, and the
 * encoding must parse and encode to the same text.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/alerts/alerts_conf.h"
#include "crypto/checksum.h"
#include "format/qs_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alerts_conf *a, *b;
	uint8_t d[CHECKSUM_BYTES];
	uint8_t *buf;
	char *e1 = NULL, *e2 = NULL;
	size_t len, l1, l2;
	int rc;

	if (size < 1 || size > ALERTS_CONF_MAX + 100)
		return (0);
	if ((buf = malloc(size + 100)) == NULL)
		return (0);
	a = malloc(sizeof(*a));
	b = malloc(sizeof(*b));
	if (a == NULL || b == NULL)
		goto done;
	len = size - 1;
	memcpy(buf, data + 1, len);
	if (data[0] & 1) {
		checksum_blake2b256(buf, len, d);
		len += (size_t)sprintf((char *)buf + len, "checksum ");
		for (size_t i = 0; i < sizeof(d); i++)
			len += (size_t)sprintf((char *)buf + len, "%02x", d[i]);
		buf[len++] = '\n';
	}
	alerts_conf_init(a);
	rc = alerts_conf_parse(buf, len, a);
	if (rc == QS_OK) {
		if (alerts_conf_encode(a, &e1, &l1) != QS_OK)
			abort();
		alerts_conf_init(b);
		if (alerts_conf_parse((const uint8_t *)e1, l1, b) != QS_OK)
			abort();
		if (alerts_conf_encode(b, &e2, &l2) != QS_OK || l1 != l2 ||
		    memcmp(e1, e2, l1) != 0)
			abort();
	} else if (rc != QS_ECORRUPT && rc != QS_EVERSION)
		abort();
done:
	qs_error_clear();
	free(e1);
	free(e2);
	free(a);
	free(b);
	free(buf);
	return (0);
}
