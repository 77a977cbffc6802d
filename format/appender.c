#include <string.h>

#include "format/appender.h"
#include "format/fileio.h"
#include "format/qs_err.h"

/**
 * appender_init(a, tmp, buf, cap, on_drain, ctx):
 * Start ${a} empty over ${tmp} and the buffer ${buf} of ${cap} bytes.
 */
void
appender_init(struct appender *a, struct fileio_tmp *tmp, uint8_t *buf,
    size_t cap, void (*on_drain)(void *, const uint8_t *, size_t), void *ctx)
{

	a->tmp = tmp;
	a->buf = buf;
	a->cap = cap;
	a->used = 0;
	a->on_drain = on_drain;
	a->ctx = ctx;
}

/**
 * appender_drain(a):
 * Write out what is buffered.
 */
int
appender_drain(struct appender *a)
{
	int rc;

	if (a->used == 0)
		return (QS_OK);
	if (a->on_drain != NULL)
		a->on_drain(a->ctx, a->buf, a->used);
	rc = fileio_tmp_write(a->tmp, a->buf, a->used);
	a->used = 0;
	return (rc);
}

/**
 * appender_put(a, p, len):
 * Append ${len} bytes from ${p}.
 */
int
appender_put(struct appender *a, const void *p, size_t len)
{
	const uint8_t *q = p;
	size_t n;
	int rc;

	while (len > 0) {
		if (a->used == a->cap && (rc = appender_drain(a)) != QS_OK)
			return (rc);
		n = a->cap - a->used;
		if (n > len)
			n = len;
		memcpy(a->buf + a->used, q, n);
		a->used += n;
		q += n;
		len -= n;
	}
	return (QS_OK);
}
