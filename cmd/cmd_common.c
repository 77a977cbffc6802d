#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "crypto/keystore.h"
#include "crypto/secmem.h"
#include "format/qs_err.h"
#include "index/store/store.h"

#define PASS_MAX	255

/**
 * cmd_exit_code(rc):
 * Map a QS_E* code to an exit code.
 */
int
cmd_exit_code(int rc)
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
 * cmd_fail(sub, rc):
 * Print this thread's error detail as "qsarc: ${sub}: ..." and return the
 * exit code for ${rc}.
 */
int
cmd_fail(const char *sub, int rc)
{
	const char *msg = qs_error_message();

	if (msg[0] != '\0')
		fprintf(stderr, "qsarc: %s: %s\n", sub, msg);
	else
		fprintf(stderr, "qsarc: %s: %s\n", sub, qs_err_string(rc));
	return (cmd_exit_code(rc));
}

/**
 * cmd_usage(sub, fmt, ...):
 * Print a usage error and a hint to --help; return EXIT_USAGE.
 */
int
cmd_usage(const char *sub, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "qsarc: %s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'qsarc %s --help')\n", sub);
	return (EXIT_USAGE);
}

/**
 * cmd_now():
 * The current time; QSARC_TEST_NOW overrides it (test-only).
 */
int64_t
cmd_now(void)
{
	const char *s = getenv("QSARC_TEST_NOW");

	if (s != NULL && *s != '\0')
		return ((int64_t)strtoll(s, NULL, 10));
	return ((int64_t)time(NULL));
}

/**
 * cmd_monotonic():
 * Seconds from an arbitrary start.
 */
double
cmd_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/**
 * cmd_common_init(c):
 * Defaults for the shared options.
 */
void
cmd_common_init(struct cmd_common *c)
{

	memset(c, 0, sizeof(*c));
	c->passphrase_fd = -1;
	c->lock_timeout = 60;
	c->progress = -1;
}

static int
parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

/**
 * cmd_common_option(sub, c, opt, arg):
 * Handle a shared option; 1 handled, 0 not ours, -1 usage error printed.
 */
int
cmd_common_option(const char *sub, struct cmd_common *c, int opt,
    const char *arg)
{
	long v;

	switch (opt) {
	case OPT_PASSPHRASE_FILE:
		c->passphrase_file = arg;
		return (1);
	case OPT_PASSPHRASE_FD:
		if (parse_int(arg, 0, 1 << 20, &v) != 0) {
			cmd_usage(sub, "--passphrase-fd needs a descriptor "
			    "number, not \"%s\"", arg);
			return (-1);
		}
		c->passphrase_fd = (int)v;
		return (1);
	case OPT_LOCK_TIMEOUT:
		if (parse_int(arg, 0, 86400, &v) != 0) {
			cmd_usage(sub, "--lock-timeout needs seconds (0 to "
			    "86400), not \"%s\"", arg);
			return (-1);
		}
		c->lock_timeout = (int)v;
		return (1);
	case OPT_PROGRESS:
		c->progress = 1;
		return (1);
	case OPT_NO_PROGRESS:
		c->progress = 0;
		return (1);
	case OPT_JSON:
		c->json = 1;
		return (1);
	case OPT_THREADS:
		if (parse_int(arg, 1, 16, &v) != 0) {
			cmd_usage(sub, "--threads needs 1 to 16, not \"%s\"",
			    arg);
			return (-1);
		}
		c->threads = (int)v;
		return (1);
	default:
		return (0);
	}
}

/**
 * cmd_parse_key_mode(sub, arg, mode):
 * "internal" or "static" into ${mode}; 0, or a printed usage error
 * (EXIT_USAGE).
 */
int
cmd_parse_key_mode(const char *sub, const char *arg, int *mode)
{

	if (strcmp(arg, "internal") == 0)
		*mode = KEYSTORE_MODE_INTERNAL;
	else if (strcmp(arg, "static") == 0)
		*mode = KEYSTORE_MODE_STATIC;
	else
		return (cmd_usage(sub, "--mode must be internal or static, "
		    "not \"%s\"", arg));
	return (0);
}

/**
 * cmd_parse_rotation_days(sub, arg, secs):
 * A rotation period in days (7 to 70 years) into ${secs} seconds; 0, or a
 * printed usage error (EXIT_USAGE).
 */
int
cmd_parse_rotation_days(const char *sub, const char *arg, uint64_t *secs)
{
	char *end;
	long days = strtol(arg, &end, 10);

	if (*end != '\0' || end == arg || days < 7 || days > 70 * 365)
		return (cmd_usage(sub, "--rotation-days must be 7 to %d (70 "
		    "years), not \"%s\"", 70 * 365, arg));
	*secs = (uint64_t)days * 86400;
	return (0);
}

/**
 * cmd_parse_kdf_time(sub, arg, t) / cmd_parse_kdf_memory(sub, arg, kib):
 * --kdf-time (1 to 100 passes) and --kdf-memory (8M to 4G, into KiB);
 * 0, or a printed usage error (EXIT_USAGE).
 */
int
cmd_parse_kdf_time(const char *sub, const char *arg, uint32_t *t)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (end == arg || *end != '\0' || v < 1 || v > 100)
		return (cmd_usage(sub, "--kdf-time must be 1 to 100, not "
		    "\"%s\"", arg));
	*t = (uint32_t)v;
	return (0);
}

int
cmd_parse_kdf_memory(const char *sub, const char *arg, uint32_t *kib)
{
	uint64_t v;

	if (cmd_parse_size(arg, &v) != 0 || v < (8U << 20) ||
	    v > (4ULL << 30))
		return (cmd_usage(sub, "--kdf-memory must be 8M to 4G, not "
		    "\"%s\"", arg));
	*kib = (uint32_t)(v / 1024);
	return (0);
}

/**
 * cmd_parse_size(s, out):
 * Parse "123", "64K", "32M", "1G" (powers of 1024).
 */
int
cmd_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return (-1);
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	default:
		return (-1);
	}
	if (*end == 'i' && shift != 0)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		return (-1);
	*out = (uint64_t)v << shift;
	return (0);
}

/**
 * cmd_parse_duration(s, out):
 * "90" (seconds), "45s", "30m", "2h", "90d", "2w" into seconds.  Return 0
 * or -1.
 */
int
cmd_parse_duration(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	int64_t mult = 1;

	if (end == s || v < 0)
		return (-1);
	switch (*end) {
	case '\0': case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default: return (-1);
	}
	if (*end != '\0' && end[1] != '\0')
		return (-1);
	if (v > INT64_MAX / mult)
		return (-1);
	*out = (int64_t)v * mult;
	return (0);
}

/* Read at most PASS_MAX + 1 bytes of a passphrase from ${fd}. */
static int
read_pass_fd(int fd, const char *what, uint8_t *buf, size_t *len)
{
	ssize_t n;
	size_t got = 0;

	while (got < PASS_MAX + 2) {
		n = read(fd, buf + got, PASS_MAX + 2 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (qs_error_errno(what, "read passphrase"));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	/* One trailing newline (as echo and editors leave) is not part. */
	if (got > 0 && buf[got - 1] == '\n')
		got--;
	if (got > 0 && buf[got - 1] == '\r')
		got--;
	*len = got;
	return (QS_OK);
}

static int
read_pass_tty(const char *prompt, uint8_t *buf, size_t *len)
{
	struct termios old, quiet;
	size_t got = 0;
	char c;
	int fd;
	ssize_t n;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return (qs_error_set(QS_EPASS, "the store is encrypted and "
		    "no passphrase was given: use --passphrase-file, "
		    "--passphrase-fd or QSARC_PASSPHRASE (no terminal to "
		    "ask on)"));
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return (qs_error_set(QS_EINVAL, "cannot turn off echo on the "
		    "terminal"));
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	(void)!write(fd, prompt, strlen(prompt));
	tcsetattr(fd, TCSAFLUSH, &quiet);
	while ((n = read(fd, &c, 1)) == 1 && c != '\n') {
		if (got < PASS_MAX + 1)
			buf[got++] = (uint8_t)c;
	}
	tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	c = 0;
	*len = got;
	return (QS_OK);
}

/**
 * cmd_free_passphrase(pass, len):
 * Wipe and free a passphrase.
 */
void
cmd_free_passphrase(uint8_t *pass, size_t len)
{

	(void)len;
	secmem_free(pass, PASS_MAX + 2);
}

/**
 * cmd_read_passphrase(sub, file, fd, prompt, confirm, pass, passlen):
 * Read a passphrase from ${file}, ${fd}, QSARC_PASSPHRASE or the terminal.
 */
int
cmd_read_passphrase(const char *sub, const char *file, int fd,
    const char *prompt, int confirm, uint8_t **passp, size_t *lenp)
{
	uint8_t *pass, *again = NULL;
	const char *env;
	const char *source;
	size_t len = 0, len2 = 0;
	int pfd, rc;

	(void)sub;
	if (secmem_init() != QS_OK)
		return (qs_error_set(QS_ENOMEM, "cannot initialise libsodium"));
	if ((pass = secmem_alloc(PASS_MAX + 2)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if (file != NULL) {
		source = file;
		if ((pfd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
			/* No passphrase to be had: exit 5, not "not found". */
			qs_error_errno(file, "open passphrase file");
			rc = qs_error_set(QS_EPASS, "%s", qs_error_message());
			goto err;
		}
		rc = read_pass_fd(pfd, file, pass, &len);
		close(pfd);
	} else if (fd >= 0) {
		source = "--passphrase-fd";
		rc = read_pass_fd(fd, "--passphrase-fd", pass, &len);
	} else if ((env = getenv("QSARC_PASSPHRASE")) != NULL) {
		source = "QSARC_PASSPHRASE";
		len = strlen(env);
		if (len > PASS_MAX + 1)
			len = PASS_MAX + 1;
		memcpy(pass, env, len);
		rc = QS_OK;
	} else {
		source = "the terminal";
		rc = read_pass_tty(prompt, pass, &len);
		if (rc == QS_OK && confirm) {
			if ((again = secmem_alloc(PASS_MAX + 2)) == NULL) {
				rc = qs_error_set(QS_ENOMEM, "out of memory");
				goto err;
			}
			rc = read_pass_tty("Repeat the passphrase: ", again,
			    &len2);
			if (rc == QS_OK && (len2 != len ||
			    secmem_equal(again, pass, len) == 0))
				rc = qs_error_set(QS_EINVAL, "the two "
				    "passphrases differ");
			secmem_free(again, PASS_MAX + 2);
		}
	}
	if (rc != QS_OK)
		goto err;
	if (len == 0 || len > PASS_MAX) {
		rc = qs_error_set(QS_EINVAL, "the passphrase from %s is %s%zu "
		    "bytes; it must be 1 to %d bytes", source,
		    len > PASS_MAX ? "more than " : "", len > PASS_MAX ?
		    (size_t)PASS_MAX : len, PASS_MAX);
		goto err;
	}
	*passp = pass;
	*lenp = len;
	return (QS_OK);

err:
	secmem_free(pass, PASS_MAX + 2);
	return (rc);
}

/**
 * cmd_passphrase_hint(c):
 * Add to the recorded error where the passphrase was read from.
 */
void
cmd_passphrase_hint(const struct cmd_common *c)
{
	const char *from = c->passphrase_file ? c->passphrase_file :
	    c->passphrase_fd >= 0 ? "--passphrase-fd" :
	    getenv("QSARC_PASSPHRASE") ? "QSARC_PASSPHRASE" : "the terminal";
	char msg[QS_ERROR_MSG_MAX];

	snprintf(msg, sizeof(msg), "%s", qs_error_message());
	qs_error_set(QS_EPASS, "%s (passphrase read from %s)", msg, from);
}

/**
 * cmd_open_store(sub, root, lockmode, c, s):
 * Open the store, reading the passphrase first if it is encrypted.
 */
int
cmd_open_store(const char *sub, const char *root, int lockmode,
    const struct cmd_common *c, struct store **s)
{
	uint8_t *pass = NULL;
	size_t passlen = 0;
	int encrypted, rc;

	if ((rc = store_peek_encrypted(root, &encrypted)) != QS_OK)
		return (rc);
	/*
	 * Someone who can write the store but lacks the passphrase could
	 * replace the config with a plain one; a job that brings a
	 * passphrase expects encryption and must not write in the clear.
	 */
	if (!encrypted && (c->passphrase_file != NULL ||
	    c->passphrase_fd >= 0 || getenv("QSARC_PASSPHRASE") != NULL))
		return (qs_error_set(QS_EAUTH, "%s: a passphrase was given "
		    "but the store is not encrypted; refusing, in case its "
		    "config was replaced (drop the passphrase option for a "
		    "plain store)", root));
	if (encrypted && (rc = cmd_read_passphrase(sub, c->passphrase_file,
	    c->passphrase_fd, "Passphrase: ", 0, &pass, &passlen)) != QS_OK)
		return (rc);
	rc = store_open(root, lockmode, c->lock_timeout * 1000, pass, passlen,
	    s);
	if (rc == QS_EPASS)
		cmd_passphrase_hint(c);
	cmd_free_passphrase(pass, passlen);
	return (rc);
}

/**
 * cmd_progress_wanted(c):
 * Whether to show progress.
 */
int
cmd_progress_wanted(const struct cmd_common *c)
{

	if (c->progress >= 0)
		return (c->progress);
	return (isatty(STDERR_FILENO));
}

/**
 * cmd_format_utc(t, buf, len):
 * "2026-11-28T10:00:00Z" for the unix time ${t} (the number if it does
 * not convert).
 */
void
cmd_format_utc(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/**
 * cmd_format_bytes(n, buf, buflen):
 * "1.5 GiB"-style rendering of ${n}.
 */
const char *
cmd_format_bytes(uint64_t n, char *buf, size_t buflen)
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
 * cmd_progress_line(what, done, total, start):
 * Draw a progress line on stderr.
 */
void
cmd_progress_line(const char *what, uint64_t done, uint64_t total,
    double start)
{
	char a[32], b[32], r[32];
	double el = cmd_monotonic() - start;
	double rate = el > 0 ? (double)done / el : 0;

	cmd_format_bytes(done, a, sizeof(a));
	cmd_format_bytes((uint64_t)rate, r, sizeof(r));
	if (total > 0 && rate > 0) {
		cmd_format_bytes(total, b, sizeof(b));
		fprintf(stderr, "\r%s: %s / %s  %s/s  ETA %.0f s   ", what, a,
		    b, r, (double)(total > done ? total - done : 0) / rate);
	} else {
		fprintf(stderr, "\r%s: %s  %s/s   ", what, a, r);
	}
	fflush(stderr);
}

/**
 * cmd_progress_end():
 * End the progress line.
 */
void
cmd_progress_end(void)
{

	fprintf(stderr, "\n");
}

/**
 * cmd_utf8_char(p, len, cp):
 * The length of the valid UTF-8 sequence at ${p} (at most ${len} bytes),
 * its code point in ${cp}; 0 if the bytes there are not valid UTF-8
 * (overlong forms and surrogates included).
 */
size_t
cmd_utf8_char(const unsigned char *p, size_t len, uint32_t *cpp)
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

/**
 * cmd_json_string(f, s):
 * Print ${s} as a JSON string literal.  Bytes that are not valid UTF-8
 * (file names from old tar archives) are written as the code points
 * U+0080..U+00FF of the same value, so the output is always valid JSON.
 */
void
cmd_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, left = strlen(s);
	uint32_t cp;

	fputc('"', f);
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
		} else if (*p >= 0x80) {
			if ((n = cmd_utf8_char(p, left, &cp)) > 0) {
				fwrite(p, 1, n, f);
				p += n;
				left -= n;
				continue;
			}
			fprintf(f, "\\u%04x", *p);
		} else {
			fputc(*p, f);
		}
		p++;
		left--;
	}
	fputc('"', f);
}
