/*
 * Error lines, exit codes and the shared renderings of results.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd_output.h"
#include "format/qs_err.h"

/**
 * cmd_output_exit_code(rc):
 * Map a QS_E* code to an exit code.
 */
int
cmd_output_exit_code(int rc)
{

	switch (rc) {
	case QS_OK:		return (EXIT_OK);
	case QS_ENOENT:		return (EXIT_NOTFOUND);
	case QS_EBUSY:		return (EXIT_BUSY);
	case QS_EPASS:		return (EXIT_PASSPHRASE);
	case QS_ECORRUPT:
	case QS_EAUTH:		return (EXIT_DAMAGE);
	default:		return (EXIT_ERROR);
	}
}

/**
 * cmd_output_fail(sub, rc):
 * Print this thread's error detail as "qsarc: ${sub}: ..." and return the
 * exit code for ${rc}.
 */
int
cmd_output_fail(const char *sub, int rc)
{
	const char *msg = qs_error_message();

	/* The detail may name streams, members or the lock text: escaped. */
	if (msg[0] != '\0') {
		fprintf(stderr, "qsarc: %s: ", sub);
		cmd_output_text_str(stderr, msg);
		fputc('\n', stderr);
	} else
		fprintf(stderr, "qsarc: %s: %s\n", sub, qs_err_string(rc));
	return (cmd_output_exit_code(rc));
}

/**
 * cmd_output_usage(sub, fmt, ...):
 * Print a usage error and a hint to --help; return EXIT_USAGE.
 */
int
cmd_output_usage(const char *sub, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "qsarc: %s: ", sub);
	cmd_output_text_str(stderr, msg);
	fprintf(stderr, " (see 'qsarc %s --help')\n", sub);
	return (EXIT_USAGE);
}

/**
 * cmd_output_utc(t, buf, len):
 * "2026-11-28T10:00:00Z" for the unix time ${t} (the number if it does
 * not convert).
 */
void
cmd_output_utc(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/**
 * cmd_output_bytes(n, buf, buflen):
 * "1.5 GiB"-style rendering of ${n}.
 */
const char *
cmd_output_bytes(uint64_t n, char *buf, size_t buflen)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB",
	    "PiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, buflen, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, buflen, "%.1f %s", v, units[u]);
	return (buf);
}

/**
 * cmd_output_utf8_char(p, len, cp):
 * The length of the valid UTF-8 sequence at ${p} (at most ${len} bytes),
 * its code point in ${cp}; 0 if the bytes there are not valid UTF-8
 * (overlong forms and surrogates included).
 */
size_t
cmd_output_utf8_char(const unsigned char *p, size_t len, uint32_t *cpp)
{
	uint32_t cp;
	size_t n;

	if (len == 0)
		return (0);
	if (p[0] < 0x80) {
		*cpp = p[0];
		return (1);
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return (0);
	if (len < n)
		return (0);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	*cpp = cp;
	return (n);
}

/* Length of a valid UTF-8 sequence of a printable character at ${p}. */
static size_t
utf8_printable(const unsigned char *p, size_t len)
{
	uint32_t cp;
	size_t n = cmd_output_utf8_char(p, len, &cp);

	/* C1 controls and the no-break space are escaped, as bsdtar does. */
	return (n > 1 && cp >= 0xa0 ? n : 0);
}

/**
 * cmd_output_text(f, p, len):
 * Write untrusted text escaped as bsdtar -t does.
 */
void
cmd_output_text(FILE *f, const char *p, size_t len)
{
	static const char esc[] = "\a\b\t\n\v\f\r";
	static const char letters[] = "abtnvfr";
	const char *e;
	size_t u;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch >= 0x80 && (u = utf8_printable((const unsigned char *)p +
		    i, len - i)) > 0) {
			fwrite(p + i, 1, u, f);
			i += u - 1;
		} else if (ch == '\\')
			fputs("\\\\", f);
		else if (ch >= 0x20 && ch < 0x7f)
			fputc(ch, f);
		else if (ch != 0 && (e = strchr(esc, ch)) != NULL)
			fprintf(f, "\\%c", letters[e - esc]);
		else
			fprintf(f, "\\%03o", ch);
	}
}

/**
 * cmd_output_text_str(f, s):
 * cmd_output_text of the NUL-terminated ${s}.
 */
void
cmd_output_text_str(FILE *f, const char *s)
{

	cmd_output_text(f, s, strlen(s));
}

/* Write ${len} bytes at ${p} as a JSON string literal (no quotes). */
static void
json_chars(FILE *f, const unsigned char *p, size_t left)
{
	size_t n;
	uint32_t cp;

	while (left > 0) {
		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
		} else if (*p >= 0x80) {
			if ((n = cmd_output_utf8_char(p, left, &cp)) > 0) {
				fwrite(p, 1, n, f);
				p += n;
				left -= n;
				continue;
			}
			/* U+FFFD; the bytes themselves go into "KEY_hex". */
			fputs("\\ufffd", f);
		} else {
			fputc(*p, f);
		}
		p++;
		left--;
	}
}

/**
 * cmd_output_utf8_valid(p, len):
 * Whether the ${len} bytes at ${p} are valid UTF-8.
 */
int
cmd_output_utf8_valid(const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *)p;
	uint32_t cp;
	size_t n;

	while (len > 0) {
		if ((n = cmd_output_utf8_char(u, len, &cp)) == 0)
			return (0);
		u += n;
		len -= n;
	}
	return (1);
}

/**
 * cmd_output_json_string(f, s):
 * Print ${s} as a JSON string literal.  Bytes that are not valid UTF-8
 * are written as U+FFFD, so the output is always valid JSON; where that
 * loses a name, cmd_output_json_name adds the bytes beside it.
 */
void
cmd_output_json_string(FILE *f, const char *s)
{

	fputc('"', f);
	json_chars(f, (const unsigned char *)s, strlen(s));
	fputc('"', f);
}

/**
 * cmd_output_json_name(f, key, p, len):
 * Print "${key}": "..." for the ${len} bytes at ${p}, and when they are
 * not valid UTF-8 also , "${key}_hex": "..." with every byte in hex, so
 * that "\xe9" and "\xc3\xa9" (U+00E9) stay apart.
 */
void
cmd_output_json_name(FILE *f, const char *key, const char *p, size_t len)
{

	fprintf(f, "\"%s\": \"", key);
	json_chars(f, (const unsigned char *)p, len);
	fputc('"', f);
	if (cmd_output_utf8_valid(p, len))
		return;
	fprintf(f, ", \"%s_hex\": \"", key);
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x", (unsigned char)p[i]);
	fputc('"', f);
}

/**
 * cmd_output_json_time(f, key, t):
 * Print "${key}": "2026-11-28T10:00:00Z" for the unix time ${t}.
 */
void
cmd_output_json_time(FILE *f, const char *key, int64_t t)
{
	char when[64];

	cmd_output_utc(t, when, sizeof(when));
	fprintf(f, "\"%s\": \"%s\"", key, when);
}
