/*
 * The alert e-mail: message building and what goes into it (see
 * alerts_message.h).
 */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/random.h"
#include "format/qs_err.h"
#include "cmd/alerts/alerts_addr.h"
#include "cmd/alerts/alerts_conf.h"
#include "cmd/alerts/alerts_message.h"
#include "cmd/alerts/alerts_text.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
text_base64(struct alerts_text *b, const unsigned char *s, size_t n)
{
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		unsigned int v = (unsigned int)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned int)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = b64chars[(v >> 18) & 63];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64chars[v & 63] : '=';
		alerts_text_add(b, q, 4);
	}
}

static int
is_ascii(const char *s)
{

	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return (0);
	return (1);
}

/*
 * Append ${s} as RFC 2047 encoded words ("=?UTF-8?B?...?="), at most 45
 * input bytes each, never splitting a UTF-8 sequence, folded with CRLF SP.
 */
static void
text_encoded_words(struct alerts_text *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, j, k;

	while (i < n) {
		for (j = i; j < n && j - i < 45; j += k) {
			if ((k = alerts_text_utf8_len(p + j)) == 0)
				k = 1;
			if (j + k - i > 45)
				break;
		}
		if (j == i)
			j = i + 1;
		if (i > 0)
			alerts_text_str(b, "\r\n ");
		alerts_text_str(b, "=?UTF-8?B?");
		text_base64(b, p + i, j - i);
		alerts_text_str(b, "?=");
		i = j;
	}
}

static int
has_crlf(const char *s)
{

	return (strpbrk(s, "\r\n") != NULL);
}

/* Keep only characters safe in a Message-ID id-right/id-left. */
static void
text_idpart(struct alerts_text *b, const char *s, const char *dflt)
{
	size_t n = 0;

	for (; *s != '\0' && n < 64; s++, n++) {
		char ch = alerts_addr_is_hostchar((unsigned char)*s) ? *s : '-';

		alerts_text_add(b, &ch, 1);
	}
	if (n == 0)
		alerts_text_str(b, dflt);
}

static void
text_addr_header(struct alerts_text *b, const char *name,
    const char (*list)[ALERTS_ADDR_MAX + 1], size_t n)
{

	alerts_text_str(b, name);
	alerts_text_str(b, ": ");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			alerts_text_str(b, ",\r\n ");
		alerts_text_str(b, list[i]);
	}
	alerts_text_str(b, "\r\n");
}

/**
 * alerts_message_build(c, host, subject, body, now, token, msg, len):
 * Build the RFC 5322 message for ${c} (Bcc only in the envelope).
 */
int
alerts_message_build(const struct alerts_conf *c, const char *host,
    const char *subject, const char *body, int64_t now, const char *token,
    char **msg, size_t *len)
{
	static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct alerts_text b;
	const char *name = c->sender_name[0] != '\0' ? c->sender_name :
	    "qsarc";
	struct tm tm;
	time_t t = (time_t)now;
	const char *p;
	size_t col;

	/* Complete settings and clean header values, or nothing at all. */
	if (alerts_conf_missing(c) != NULL)
		return (qs_error_set(QS_EINVAL, "alerts are not configured: "
		    "%s", alerts_conf_missing(c)));
	/* Re-check what goes into headers: no header injection, ever. */
	if (has_crlf(subject) || has_crlf(name) || has_crlf(host) ||
	    has_crlf(token) || !alerts_addr_name_valid(name) ||
	    !alerts_addr_valid(c->from))
		return (qs_error_set(QS_EINVAL, "a header value holds CR, LF "
		    "or is invalid"));
	for (size_t i = 0; i < c->nto; i++)
		if (!alerts_addr_valid(c->to[i]))
			return (qs_error_set(QS_EINVAL, "bad To address"));
	for (size_t i = 0; i < c->ncc; i++)
		if (!alerts_addr_valid(c->cc[i]))
			return (qs_error_set(QS_EINVAL, "bad Cc address"));
	if (gmtime_r(&t, &tm) == NULL)
		return (qs_error_set(QS_EINVAL, "bad time"));
	alerts_text_init(&b, 0);

	/* The headers. */
	alerts_text_str(&b, "From: ");
	if (is_ascii(name)) {
		alerts_text_str(&b, "\"");
		for (p = name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				alerts_text_str(&b, "\\");
			alerts_text_add(&b, p, 1);
		}
		alerts_text_str(&b, "\"");
	} else
		text_encoded_words(&b, name);
	alerts_text_fmt(&b, " <%s>\r\n", c->from);
	text_addr_header(&b, "To", c->to, c->nto);
	if (c->ncc > 0)
		text_addr_header(&b, "Cc", c->cc, c->ncc);
	alerts_text_str(&b, "Subject: ");
	if (is_ascii(subject))
		alerts_text_str(&b, subject);
	else
		text_encoded_words(&b, subject);
	alerts_text_str(&b, "\r\n");
	alerts_text_fmt(&b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	alerts_text_str(&b, "Message-ID: <");
	text_idpart(&b, token, "qsarc");
	alerts_text_str(&b, "@");
	text_idpart(&b, host, "localhost");
	alerts_text_str(&b, ">\r\n");
	alerts_text_str(&b, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "\r\n");
	/* The body: CRLF line ends, lines wrapped at 900 bytes. */
	col = 0;
	for (p = body; *p != '\0'; p++) {
		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == '\n' || *p == '\r') {
			alerts_text_str(&b, "\r\n");
			col = 0;
			continue;
		}
		if (col >= 900 && ((unsigned char)*p & 0xc0) != 0x80) {
			alerts_text_str(&b, "\r\n");
			col = 0;
		}
		alerts_text_add(&b, p, 1);
		col++;
	}
	if (col > 0)
		alerts_text_str(&b, "\r\n");
	if (b.oom) {
		alerts_text_free(&b);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	*msg = b.p;
	*len = b.len;
	return (QS_OK);
}

/**
 * alerts_message_time(t, buf, len):
 * "2026-11-28 10:00:00 UTC" for the unix time ${t}.
 */
void
alerts_message_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		alerts_text_copyf(buf, len, "%lld", (long long)t);
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/**
 * alerts_message_host(buf, len):
 * This host's name as alerts name it: one printable word.
 */
void
alerts_message_host(char *buf, size_t len)
{

	if (gethostname(buf, len) != 0 || buf[0] == '\0')
		alerts_text_copyf(buf, len, "unknown-host");
	buf[len - 1] = '\0';
	/* The host name goes into a header: keep it one printable word. */
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			*p = '-';
}

/**
 * alerts_message_store(root, buf, len):
 * The store at ${root} as alerts name it: its absolute path if it
 * resolves.
 */
void
alerts_message_store(const char *root, char *buf, size_t len)
{
	char real[PATH_MAX];

	if (realpath(root, real) != NULL)
		alerts_text_copyf(buf, len, "%s", real);
	else
		alerts_text_copyf(buf, len, "%s", root);
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
}

/**
 * alerts_message_token(now, buf, len):
 * A new unique left part for a Message-ID.
 */
void
alerts_message_token(int64_t now, char *buf, size_t len)
{
	uint8_t r[8];

	random_bytes(r, sizeof(r));
	alerts_text_copyf(buf, len,
	    "qsarc.%lld.%ld.%02x%02x%02x%02x%02x%02x%02x%02x",
	    (long long)now, (long)getpid(), r[0], r[1], r[2], r[3], r[4],
	    r[5], r[6], r[7]);
}
