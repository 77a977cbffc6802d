/*
 * The text buffer and UTF-8 checks the alert modules share.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/alerts/alerts_text.h"

/**
 * alerts_text_init(t, limit):
 * Make ${t} empty, bounded to ${limit} - 1 bytes (0: unbounded).
 */
void
alerts_text_init(struct alerts_text *t, size_t limit)
{

	memset(t, 0, sizeof(*t));
	t->limit = limit;
}

/**
 * alerts_text_add(t, s, n):
 * Append the ${n} bytes at ${s} to ${t}.
 */
void
alerts_text_add(struct alerts_text *t, const char *s, size_t n)
{
	char *np;
	size_t ncap;

	if (t->oom)
		return;
	if (t->limit > 0) {
		if (t->len + 1 >= t->limit)
			return;
		if (n > t->limit - 1 - t->len)
			n = t->limit - 1 - t->len;
	}
	if (t->len + n + 1 > t->cap) {
		ncap = t->cap ? t->cap : 256;
		while (ncap < t->len + n + 1)
			ncap *= 2;
		if ((np = realloc(t->p, ncap)) == NULL) {
			t->oom = 1;
			return;
		}
		t->p = np;
		t->cap = ncap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

/**
 * alerts_text_str(t, s):
 * Append the string ${s} to ${t}.
 */
void
alerts_text_str(struct alerts_text *t, const char *s)
{

	alerts_text_add(t, s, strlen(s));
}

/**
 * alerts_text_fmt(t, fmt, ...):
 * Append the printf-style ${fmt} to ${t}.
 */
void
alerts_text_fmt(struct alerts_text *t, const char *fmt, ...)
{
	char small[512], *big;
	va_list ap;
	int n;

	/* Most pieces are short: format on the stack, else measure first. */
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->oom = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		alerts_text_add(t, small, (size_t)n);
		return;
	}
	if ((big = malloc((size_t)n + 1)) == NULL) {
		t->oom = 1;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	alerts_text_add(t, big, (size_t)n);
	free(big);
}

/**
 * alerts_text_free(t):
 * Free the text of ${t} and make it empty.
 */
void
alerts_text_free(struct alerts_text *t)
{

	free(t->p);
	alerts_text_init(t, t->limit);
}

/**
 * alerts_text_copyf(buf, len, fmt, ...):
 * snprintf into ${buf} of ${len} bytes where cutting is intended.
 */
void
alerts_text_copyf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/**
 * alerts_text_utf8_len(s):
 * Return the length of the UTF-8 sequence at ${s}, or 0 if invalid.
 */
size_t
alerts_text_utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned int cp;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return (0);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return (0);
	/* C1 controls (U+0080..U+009F) are control characters too. */
	if (n == 2 && cp < 0xa0)
		return (0);
	return (n);
}

/**
 * alerts_text_valid(s, max):
 * Return 1 if ${s} is 1..${max} bytes of printable UTF-8 text, else 0.
 */
int
alerts_text_valid(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;

	if (n == 0 || n > max)
		return (0);
	for (size_t i = 0; i < n; i += k) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return (0);
		if ((k = alerts_text_utf8_len(p + i)) == 0)
			return (0);
	}
	return (1);
}
