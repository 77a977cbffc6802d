/*
 * E-mail alert settings, the unsent-alert log, the message builder and
 * the store-state checks (see alerts.h for the file formats).
 */

#include <sys/file.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "crypto/keystore.h"
#include "format/config.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "cmd/alerts/alerts.h"
#include "index/store/store.h"

#define CONF_MAGIC	"qsarc-alerts"
#define LOG_MAGIC	"qsarc-alerts-log"

/* A growable text buffer; on allocation failure it remembers it failed. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *np;
	size_t ncap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{

	sb_add(b, s, strlen(s));
}

static void
sb_fmt(struct sbuf *b, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void
sb_fmt(struct sbuf *b, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	sb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/**
 * alerts_conf_init(c):
 * Fill ${c} with the defaults: disabled, nothing configured, port 25,
 * no STARTTLS, disk threshold 95%.
 */
void
alerts_conf_init(struct alerts_conf *c)
{

	memset(c, 0, sizeof(*c));
	c->port = ALERTS_DEFAULT_PORT;
	c->disk_pct = ALERTS_DEFAULT_DISK_PCT;
}

/* RFC 5322 atext, plus '.' (checked for placement separately). */
static int
is_atext(unsigned char ch)
{

	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return (1);
	return (ch != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", ch) != NULL);
}

static int
is_hostchar(unsigned char ch)
{

	return ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.');
}

/* A DNS name: labels of letters, digits and '-', no empty label. */
static int
domain_valid(const char *d, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > ALERTS_HOST_MAX)
		return (0);
	for (size_t i = 0; i < n; i++) {
		if (!is_hostchar((unsigned char)d[i]))
			return (0);
		if (d[i] == '.') {
			if (label == 0)
				return (0);
			label = 0;
		} else {
			if (label == 0 && d[i] == '-')
				return (0);
			if (++label > 63)
				return (0);
		}
	}
	return (label > 0);
}

/**
 * alerts_addr_valid(addr):
 * Return 1 if ${addr} is a plain address "local@domain", else 0.
 */
int
alerts_addr_valid(const char *addr)
{
	const char *at = strchr(addr, '@');
	size_t n = strlen(addr), ll;

	if (at == NULL || n > ALERTS_ADDR_MAX || strchr(at + 1, '@') != NULL)
		return (0);
	ll = (size_t)(at - addr);
	if (ll == 0 || ll > 64 || addr[0] == '.' || addr[ll - 1] == '.')
		return (0);
	for (size_t i = 0; i < ll; i++) {
		if (addr[i] == '.') {
			if (addr[i + 1] == '.')
				return (0);
			continue;
		}
		if (!is_atext((unsigned char)addr[i]))
			return (0);
	}
	return (domain_valid(at + 1, n - ll - 1));
}

/* Length of the UTF-8 sequence at ${s}, or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s)
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

/* Printable UTF-8 text of 1..max bytes: no control character at all. */
static int
text_valid(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;

	if (n == 0 || n > max)
		return (0);
	for (size_t i = 0; i < n; i += k) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return (0);
		if ((k = utf8_len(p + i)) == 0)
			return (0);
	}
	return (1);
}

/**
 * alerts_name_valid(name):
 * Return 1 if ${name} is a usable sender display name, else 0.
 */
int
alerts_name_valid(const char *name)
{

	return (text_valid(name, ALERTS_NAME_MAX));
}

static int
host_valid(const char *h)
{
	size_t n = strlen(h);

	if (n >= 2 && h[0] == '[') {
		if (h[n - 1] != ']' || n < 4 || n > 48)
			return (0);
		for (size_t i = 1; i < n - 1; i++)
			if (strchr("0123456789abcdefABCDEF:.", h[i]) == NULL)
				return (0);
		return (1);
	}
	return (domain_valid(h, n));
}

/**
 * alerts_relay_parse(s, host, hostlen, port):
 * Parse "HOST", "HOST:PORT", "[V6ADDR]" or "[V6ADDR]:PORT".
 */
int
alerts_relay_parse(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	char h[ALERTS_HOST_MAX + 3];
	const char *colon, *end;
	unsigned long p = ALERTS_DEFAULT_PORT;
	size_t hl;
	char *e;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			goto bad;
		hl = (size_t)(end - s) + 1;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (colon == NULL && end[1] != '\0')
			goto bad;
	} else {
		colon = strchr(s, ':');
		hl = colon != NULL ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= sizeof(h) || hl >= hostlen)
		goto bad;
	memcpy(h, s, hl);
	h[hl] = '\0';
	if (!host_valid(h))
		goto bad;
	if (colon != NULL) {
		if (colon[1] < '0' || colon[1] > '9')
			goto bad;
		errno = 0;
		p = strtoul(colon + 1, &e, 10);
		if (errno != 0 || *e != '\0' || p == 0 || p > 65535)
			goto bad;
	}
	memcpy(host, h, hl + 1);
	*port = (uint16_t)p;
	return (QS_OK);

bad:
	return (qs_error_set(QS_EINVAL, "relay \"%.300s\" is not HOST or "
	    "HOST:PORT (a host name or address, a port 1 to 65535)", s));
}

/**
 * alerts_relay_is_loopback(host):
 * Return 1 if ${host} is "localhost", a 127.x.y.z address or "[::1]".
 */
int
alerts_relay_is_loopback(const char *host)
{
	unsigned int a, b, c, d;
	char tail;

	if (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return (1);
	if (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 &&
	    a == 127 && b < 256 && c < 256 && d < 256)
		return (1);
	return (0);
}

/**
 * alerts_addr_list_parse(s, list, max, n):
 * Split the comma-separated addresses ${s} into ${list}.
 */
int
alerts_addr_list_parse(const char *s, char (*list)[ALERTS_ADDR_MAX + 1],
    size_t max, size_t *n)
{
	char tmp[ALERTS_MAX_RCPT][ALERTS_ADDR_MAX + 1];
	const char *p = s, *e;
	size_t k = 0, len;

	if (max > ALERTS_MAX_RCPT)
		max = ALERTS_MAX_RCPT;
	while (*p == ' ')
		p++;
	while (*p != '\0') {
		e = strchr(p, ',');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (k == max)
			return (qs_error_set(QS_EINVAL, "more than %zu "
			    "addresses in \"%.200s\"", max, s));
		if (len == 0 || len > ALERTS_ADDR_MAX)
			goto bad;
		memcpy(tmp[k], p, len);
		tmp[k][len] = '\0';
		if (!alerts_addr_valid(tmp[k]))
			goto bad;
		k++;
		if (e == NULL)
			break;
		p = e + 1;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			goto bad;
	}
	memcpy(list, tmp, k * sizeof(tmp[0]));
	*n = k;
	return (QS_OK);

bad:
	/* Never echo control characters back. */
	for (len = 0; p[len] != '\0' && p[len] != ',' && len < 80; len++)
		if ((unsigned char)p[len] < 0x20 || p[len] == 0x7f)
			return (qs_error_set(QS_EINVAL, "an address holds a "
			    "control character (CR, LF, ...)"));
	return (qs_error_set(QS_EINVAL, "\"%.*s\" is not a plain e-mail "
	    "address like name@example.com", (int)len, p));
}

static int
path_valid(const char *p)
{

	return (p[0] == '/' && text_valid(p, ALERTS_PATH_MAX));
}

/* Check every field of ${c}; record a detail and return QS_EINVAL if bad. */
static int
conf_check(const struct alerts_conf *c)
{
	const char *why;

	if (c->relay[0] != '\0' && !host_valid(c->relay))
		return (qs_error_set(QS_EINVAL, "bad relay host"));
	if (c->port == 0)
		return (qs_error_set(QS_EINVAL, "bad relay port"));
	if (c->sender_name[0] != '\0' && !alerts_name_valid(c->sender_name))
		return (qs_error_set(QS_EINVAL, "the sender name must be 1 "
		    "to %d bytes of printable UTF-8 text, without CR, LF or "
		    "other control characters", ALERTS_NAME_MAX));
	if (c->from[0] != '\0' && !alerts_addr_valid(c->from))
		return (qs_error_set(QS_EINVAL, "bad sender address"));
	if (c->nto > ALERTS_MAX_RCPT || c->ncc > ALERTS_MAX_RCPT ||
	    c->nbcc > ALERTS_MAX_RCPT)
		return (qs_error_set(QS_EINVAL, "too many recipients"));
	for (size_t i = 0; i < c->nto; i++)
		if (!alerts_addr_valid(c->to[i]))
			return (qs_error_set(QS_EINVAL, "bad To address"));
	for (size_t i = 0; i < c->ncc; i++)
		if (!alerts_addr_valid(c->cc[i]))
			return (qs_error_set(QS_EINVAL, "bad Cc address"));
	for (size_t i = 0; i < c->nbcc; i++)
		if (!alerts_addr_valid(c->bcc[i]))
			return (qs_error_set(QS_EINVAL, "bad Bcc address"));
	if (c->auth_file[0] != '\0' && !path_valid(c->auth_file))
		return (qs_error_set(QS_EINVAL, "the auth file must be an "
		    "absolute path"));
	if (c->disk_pct < 1 || c->disk_pct > 100)
		return (qs_error_set(QS_EINVAL, "the disk threshold must be "
		    "1 to 100 (percent used)"));
	if (c->enabled && (why = alerts_conf_missing(c)) != NULL)
		return (qs_error_set(QS_EINVAL, "enabled but incomplete: %s",
		    why));
	return (QS_OK);
}

/**
 * alerts_conf_missing(c):
 * Return NULL if ${c} has what sending needs, else what is missing.
 */
const char *
alerts_conf_missing(const struct alerts_conf *c)
{

	if (c->relay[0] == '\0')
		return ("no relay (--relay HOST[:PORT])");
	if (c->from[0] == '\0')
		return ("no sender address (--from ADDR)");
	if (c->nto == 0)
		return ("no recipient (--to ADDR[,ADDR...])");
	return (NULL);
}

static void
hex32(const uint8_t d[CHECKSUM_BYTES], char out[2 * CHECKSUM_BYTES + 1])
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < CHECKSUM_BYTES; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * CHECKSUM_BYTES] = '\0';
}

/**
 * alerts_conf_encode(c, buf, len):
 * Validate ${c} and render it as the text of an alerts.conf file.
 */
int
alerts_conf_encode(const struct alerts_conf *c, char **buf, size_t *len)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	uint8_t d[CHECKSUM_BYTES];
	char hex[2 * CHECKSUM_BYTES + 1];
	int rc;

	if ((rc = conf_check(c)) != QS_OK)
		return (rc);
	sb_fmt(&b, "%s %d\n", CONF_MAGIC, ALERTS_CONF_VERSION);
	sb_fmt(&b, "enabled %d\n", c->enabled ? 1 : 0);
	if (c->relay[0] != '\0')
		sb_fmt(&b, "relay %s\n", c->relay);
	sb_fmt(&b, "port %u\n", (unsigned int)c->port);
	sb_fmt(&b, "starttls %d\n", c->starttls ? 1 : 0);
	if (c->sender_name[0] != '\0')
		sb_fmt(&b, "sender-name %s\n", c->sender_name);
	if (c->from[0] != '\0')
		sb_fmt(&b, "from %s\n", c->from);
	for (size_t i = 0; i < c->nto; i++)
		sb_fmt(&b, "to %s\n", c->to[i]);
	for (size_t i = 0; i < c->ncc; i++)
		sb_fmt(&b, "cc %s\n", c->cc[i]);
	for (size_t i = 0; i < c->nbcc; i++)
		sb_fmt(&b, "bcc %s\n", c->bcc[i]);
	if (c->auth_file[0] != '\0')
		sb_fmt(&b, "auth-file %s\n", c->auth_file);
	sb_fmt(&b, "disk-threshold %d\n", c->disk_pct);
	if (b.oom) {
		free(b.p);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	checksum_blake2b256(b.p, b.len, d);
	hex32(d, hex);
	sb_fmt(&b, "checksum %s\n", hex);
	if (b.oom) {
		free(b.p);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	*buf = b.p;
	*len = b.len;
	return (QS_OK);
}

/* Parse a decimal integer in [min, max] that is all of ${s}. */
static int
parse_num(const char *s, long min, long max, long *out)
{
	char *e;
	long v;

	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
		return (-1);
	errno = 0;
	v = strtol(s, &e, 10);
	if (errno != 0 || *e != '\0' || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

static int
copy_value(char *dst, size_t dstlen, const char *v)
{
	size_t n = strlen(v);

	if (n >= dstlen)
		return (-1);
	memcpy(dst, v, n + 1);
	return (0);
}

/**
 * alerts_conf_parse(buf, len, c):
 * Parse and validate the text of an alerts.conf file into ${c}.
 */
int
alerts_conf_parse(const uint8_t *buf, size_t len, struct alerts_conf *c)
{
	struct alerts_conf t;
	uint8_t d[CHECKSUM_BYTES];
	char hex[2 * CHECKSUM_BYTES + 1];
	char line[ALERTS_PATH_MAX + 64];
	const char *key, *val;
	char *sp;
	size_t pos = 0, ll, lineno = 0;
	unsigned int seen = 0, bit;
	int have_sum = 0, rc;
	long v;

	alerts_conf_init(&t);
	if (len > ALERTS_CONF_MAX)
		return (qs_error_set(QS_ECORRUPT, "alerts.conf: longer than "
		    "%d bytes", ALERTS_CONF_MAX));
	while (pos < len) {
		const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
		size_t start = pos;

		lineno++;
		if (have_sum)
			goto bad;	/* something after the checksum */
		if (nl == NULL)
			goto bad;	/* no final newline: truncated */
		ll = (size_t)(nl - (buf + pos));
		pos += ll + 1;
		if (ll >= sizeof(line) || memchr(buf + start, '\0', ll))
			goto bad;
		memcpy(line, buf + start, ll);
		line[ll] = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			goto bad;
		*sp = '\0';
		key = line;
		val = sp + 1;
		if (lineno == 1) {
			if (strcmp(key, CONF_MAGIC) != 0)
				goto bad;
			if (parse_num(val, 0, 1000000, &v) != 0)
				goto bad;
			if (v != ALERTS_CONF_VERSION)
				return (qs_error_set(QS_EVERSION,
				    "alerts.conf: version %ld is not known to "
				    "this qsarc (it knows %d)", v,
				    ALERTS_CONF_VERSION));
			continue;
		}
		if (strcmp(key, "checksum") == 0) {
			checksum_blake2b256(buf, start, d);
			hex32(d, hex);
			if (strcmp(val, hex) != 0)
				return (qs_error_set(QS_ECORRUPT,
				    "alerts.conf: checksum mismatch (the file "
				    "is damaged or was edited by hand; run "
				    "'qsarc alerts STORE configure' again)"));
			have_sum = 1;
			continue;
		}
		bit = 0;
		if (strcmp(key, "enabled") == 0) {
			bit = 1;
			if (parse_num(val, 0, 1, &v) != 0)
				goto bad;
			t.enabled = (int)v;
		} else if (strcmp(key, "relay") == 0) {
			bit = 2;
			if (copy_value(t.relay, sizeof(t.relay), val) != 0 ||
			    !host_valid(t.relay))
				goto bad;
		} else if (strcmp(key, "port") == 0) {
			bit = 4;
			if (parse_num(val, 1, 65535, &v) != 0)
				goto bad;
			t.port = (uint16_t)v;
		} else if (strcmp(key, "starttls") == 0) {
			bit = 8;
			if (parse_num(val, 0, 1, &v) != 0)
				goto bad;
			t.starttls = (int)v;
		} else if (strcmp(key, "sender-name") == 0) {
			bit = 16;
			if (copy_value(t.sender_name, sizeof(t.sender_name),
			    val) != 0 || !alerts_name_valid(t.sender_name))
				goto bad;
		} else if (strcmp(key, "from") == 0) {
			bit = 32;
			if (copy_value(t.from, sizeof(t.from), val) != 0 ||
			    !alerts_addr_valid(t.from))
				goto bad;
		} else if (strcmp(key, "auth-file") == 0) {
			bit = 64;
			if (copy_value(t.auth_file, sizeof(t.auth_file),
			    val) != 0 || !path_valid(t.auth_file))
				goto bad;
		} else if (strcmp(key, "disk-threshold") == 0) {
			bit = 128;
			if (parse_num(val, 1, 100, &v) != 0)
				goto bad;
			t.disk_pct = (int)v;
		} else if (strcmp(key, "to") == 0 || strcmp(key, "cc") == 0 ||
		    strcmp(key, "bcc") == 0) {
			char (*list)[ALERTS_ADDR_MAX + 1] = key[0] == 't' ?
			    t.to : key[0] == 'c' ? t.cc : t.bcc;
			size_t *n = key[0] == 't' ? &t.nto : key[0] == 'c' ?
			    &t.ncc : &t.nbcc;

			if (*n == ALERTS_MAX_RCPT ||
			    copy_value(list[*n], ALERTS_ADDR_MAX + 1, val) !=
			    0 || !alerts_addr_valid(list[*n]))
				goto bad;
			(*n)++;
		} else
			goto bad;
		if (bit != 0) {
			if (seen & bit)
				goto bad;	/* repeated */
			seen |= bit;
		}
	}
	if (lineno == 0 || !have_sum || !(seen & 1))
		return (qs_error_set(QS_ECORRUPT, "alerts.conf: truncated "
		    "(no %s line)", lineno == 0 ? "version" : !have_sum ?
		    "checksum" : "enabled"));
	if ((rc = conf_check(&t)) != QS_OK)
		return (qs_error_set(QS_ECORRUPT, "alerts.conf: %s",
		    qs_error_message()));
	*c = t;
	return (QS_OK);

bad:
	return (qs_error_set(QS_ECORRUPT, "alerts.conf: line %zu is not "
	    "valid", lineno));
}

/**
 * alerts_conf_load(root, c):
 * Read STORE/alerts.conf of the store at ${root}.
 */
int
alerts_conf_load(const char *root, struct alerts_conf *c)
{
	char path[4096];
	uint8_t *buf;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/alerts.conf", root);
	if ((rc = fileio_read_all(path, &buf, &len, ALERTS_CONF_MAX)) !=
	    QS_OK)
		return (rc);
	rc = alerts_conf_parse(buf, len, c);
	free(buf);
	if (rc != QS_OK && rc != QS_ENOMEM) {
		char msg[QS_ERROR_MSG_MAX];

		/* The detail names "alerts.conf"; say which store's. */
		snprintf(msg, sizeof(msg), "%s", qs_error_message());
		rc = qs_error_set(rc, "%s/%s", root, msg);
	}
	return (rc);
}

/**
 * alerts_conf_save(root, c):
 * Validate ${c} and write it atomically as STORE/alerts.conf.
 */
int
alerts_conf_save(const char *root, const struct alerts_conf *c)
{
	char path[4096];
	char *buf;
	size_t len;
	int rc;

	if ((rc = alerts_conf_encode(c, &buf, &len)) != QS_OK)
		return (rc);
	snprintf(path, sizeof(path), "%s/alerts.conf", root);
	rc = fileio_write_atomic(path, buf, len, 0644, 0);
	free(buf);
	return (rc);
}

/* ---- Message building. ---- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
sb_base64(struct sbuf *b, const unsigned char *s, size_t n)
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
		sb_add(b, q, 4);
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
sb_encoded_words(struct sbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, j, k;

	while (i < n) {
		for (j = i; j < n && j - i < 45; j += k) {
			if ((k = utf8_len(p + j)) == 0)
				k = 1;
			if (j + k - i > 45)
				break;
		}
		if (j == i)
			j = i + 1;
		if (i > 0)
			sb_str(b, "\r\n ");
		sb_str(b, "=?UTF-8?B?");
		sb_base64(b, p + i, j - i);
		sb_str(b, "?=");
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
sb_idpart(struct sbuf *b, const char *s, const char *dflt)
{
	size_t n = 0;

	for (; *s != '\0' && n < 64; s++, n++) {
		char ch = is_hostchar((unsigned char)*s) ? *s : '-';

		sb_add(b, &ch, 1);
	}
	if (n == 0)
		sb_str(b, dflt);
}

static void
sb_addr_header(struct sbuf *b, const char *name,
    const char (*list)[ALERTS_ADDR_MAX + 1], size_t n)
{

	sb_str(b, name);
	sb_str(b, ": ");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			sb_str(b, ",\r\n ");
		sb_str(b, list[i]);
	}
	sb_str(b, "\r\n");
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
	struct sbuf b = { NULL, 0, 0, 0 };
	const char *name = c->sender_name[0] != '\0' ? c->sender_name :
	    "qsarc";
	struct tm tm;
	time_t t = (time_t)now;
	const char *p;
	size_t col;

	if (alerts_conf_missing(c) != NULL)
		return (qs_error_set(QS_EINVAL, "alerts are not configured: "
		    "%s", alerts_conf_missing(c)));
	/* Re-check what goes into headers: no header injection, ever. */
	if (has_crlf(subject) || has_crlf(name) || has_crlf(host) ||
	    has_crlf(token) || !alerts_name_valid(name) ||
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

	sb_str(&b, "From: ");
	if (is_ascii(name)) {
		sb_str(&b, "\"");
		for (p = name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				sb_str(&b, "\\");
			sb_add(&b, p, 1);
		}
		sb_str(&b, "\"");
	} else
		sb_encoded_words(&b, name);
	sb_fmt(&b, " <%s>\r\n", c->from);
	sb_addr_header(&b, "To", c->to, c->nto);
	if (c->ncc > 0)
		sb_addr_header(&b, "Cc", c->cc, c->ncc);
	sb_str(&b, "Subject: ");
	if (is_ascii(subject))
		sb_str(&b, subject);
	else
		sb_encoded_words(&b, subject);
	sb_str(&b, "\r\n");
	sb_fmt(&b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	sb_str(&b, "Message-ID: <");
	sb_idpart(&b, token, "qsarc");
	sb_str(&b, "@");
	sb_idpart(&b, host, "localhost");
	sb_str(&b, ">\r\n");
	sb_str(&b, "MIME-Version: 1.0\r\n"
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
			sb_str(&b, "\r\n");
			col = 0;
			continue;
		}
		if (col >= 900 && ((unsigned char)*p & 0xc0) != 0x80) {
			sb_str(&b, "\r\n");
			col = 0;
		}
		sb_add(&b, p, 1);
		col++;
	}
	if (col > 0)
		sb_str(&b, "\r\n");
	if (b.oom) {
		free(b.p);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	*msg = b.p;
	*len = b.len;
	return (QS_OK);
}

/* ---- Lock and log. ---- */

/**
 * alerts_lock(root, timeout_ms, fd):
 * Take the exclusive alerts lock of the store at ${root}.
 */
int
alerts_lock(const char *root, int timeout_ms, int *fd)
{
	int d, rc;

	if ((d = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return (qs_error_errno(root, "open"));
	if ((rc = fileio_flock_wait(d, 1, timeout_ms, root)) != QS_OK) {
		close(d);
		if (rc != QS_EBUSY)
			return (rc);
		return (qs_error_set(QS_EBUSY, "%s: the alert log is "
		    "busy (another qsarc is sending)", root));
	}
	*fd = d;
	return (QS_OK);
}

/**
 * alerts_unlock(fd):
 * Release a lock from alerts_lock.  ${fd} < 0 is ignored.
 */
void
alerts_unlock(int fd)
{

	if (fd >= 0) {
		(void)flock(fd, LOCK_UN);
		close(fd);
	}
}

static void
sb_escape(struct sbuf *b, const char *s)
{

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\': sb_str(b, "\\\\"); break;
		case '\t': sb_str(b, "\\t"); break;
		case '\n': sb_str(b, "\\n"); break;
		case '\r': sb_str(b, "\\r"); break;
		default: sb_add(b, s, 1);
		}
	}
}

/* Undo sb_escape on ${s} of ${n} bytes into ${out} (${max} incl. NUL). */
static int
unescape(const char *s, size_t n, char *out, size_t max)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '\0' || ch == '\t' || ch == '\n' || ch == '\r')
			return (-1);
		if (ch == '\\') {
			if (++i == n)
				return (-1);
			switch (s[i]) {
			case '\\': ch = '\\'; break;
			case 't': ch = '\t'; break;
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			default: return (-1);
			}
		}
		if (o + 1 >= max)
			return (-1);
		out[o++] = ch;
	}
	out[o] = '\0';
	return (0);
}

/* Parse one log line (without its LF) into ${e}; 0 or -1. */
static int
log_line(const char *s, size_t n, struct alerts_entry *e)
{
	const char *f[4];
	size_t fl[4], k = 0, start = 0;
	char num[24];
	long long t;
	char *end;

	for (size_t i = 0; i <= n && k < 4; i++) {
		if (i == n || (s[i] == '\t' && k < 3)) {
			f[k] = s + start;
			fl[k] = i - start;
			k++;
			start = i + 1;
		}
	}
	if (k != 4 || fl[0] == 0 || fl[0] >= sizeof(num) ||
	    fl[1] == 0 || fl[1] > ALERTS_EVENT_MAX)
		return (-1);
	memcpy(num, f[0], fl[0]);
	num[fl[0]] = '\0';
	if (num[0] < '0' || num[0] > '9')
		return (-1);
	errno = 0;
	t = strtoll(num, &end, 10);
	if (errno != 0 || *end != '\0')
		return (-1);
	for (size_t i = 0; i < fl[1]; i++)
		if (!is_hostchar((unsigned char)f[1][i]) && f[1][i] != '_')
			return (-1);
	memset(e, 0, sizeof(*e));
	e->time = (int64_t)t;
	memcpy(e->event, f[1], fl[1]);
	e->event[fl[1]] = '\0';
	if (unescape(f[2], fl[2], e->subject, sizeof(e->subject)) != 0)
		return (-1);
	if ((e->body = malloc(ALERTS_BODY_MAX + 1)) == NULL)
		return (-2);
	if (unescape(f[3], fl[3], e->body, ALERTS_BODY_MAX + 1) != 0) {
		free(e->body);
		e->body = NULL;
		return (-1);
	}
	return (0);
}

/**
 * alerts_log_read(root, entries, n, bad):
 * Read STORE/alerts.log into a new array of entries.
 */
int
alerts_log_read(const char *root, struct alerts_entry **entries, size_t *n,
    size_t *bad)
{
	struct alerts_entry *arr = NULL;
	char path[4096], head[64];
	uint8_t *buf;
	size_t len, pos, k = 0, nbad = 0, ll;
	const char *s;
	int rc;

	snprintf(path, sizeof(path), "%s/alerts.log", root);
	rc = fileio_read_all(path, &buf, &len, ALERTS_LOG_MAX);
	if (rc == QS_ENOENT) {
		qs_error_clear();
		*entries = NULL;
		*n = 0;
		*bad = 0;
		return (QS_OK);
	}
	if (rc != QS_OK)
		return (rc);
	s = (const char *)buf;
	snprintf(head, sizeof(head), "%s %d\n", LOG_MAGIC, ALERTS_LOG_VERSION);
	if (len < strlen(head) || memcmp(s, head, strlen(head)) != 0) {
		if (len > strlen(LOG_MAGIC) &&
		    memcmp(s, LOG_MAGIC " ", strlen(LOG_MAGIC) + 1) == 0)
			rc = qs_error_set(QS_EVERSION, "%s: unknown version",
			    path);
		else
			rc = qs_error_set(QS_ECORRUPT, "%s: not an alert log",
			    path);
		free(buf);
		return (rc);
	}
	if ((arr = calloc(ALERTS_LOG_KEEP + 1, sizeof(*arr))) == NULL) {
		free(buf);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	for (pos = strlen(head); pos < len; pos += ll + 1) {
		const char *nl = memchr(s + pos, '\n', len - pos);

		ll = nl != NULL ? (size_t)(nl - (s + pos)) : len - pos;
		if (nl == NULL) {
			nbad++;		/* a torn last line */
			break;
		}
		if (k == ALERTS_LOG_KEEP + 1) {
			/* Keep the newest: drop the oldest. */
			free(arr[0].body);
			memmove(arr, arr + 1, ALERTS_LOG_KEEP * sizeof(*arr));
			k--;
		}
		rc = log_line(s + pos, ll, &arr[k]);
		if (rc == -2) {
			alerts_entries_free(arr, k);
			free(buf);
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		}
		if (rc == 0)
			k++;
		else
			nbad++;
	}
	free(buf);
	*entries = arr;
	*n = k;
	*bad = nbad;
	return (QS_OK);
}

/**
 * alerts_log_write(root, entries, n):
 * Replace STORE/alerts.log atomically with the last ALERTS_LOG_KEEP of the
 * ${n} ${entries}; ${n} 0 removes the log.
 */
int
alerts_log_write(const char *root, const struct alerts_entry *entries,
    size_t n)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	char path[4096];
	size_t first = n > ALERTS_LOG_KEEP ? n - ALERTS_LOG_KEEP : 0;
	int rc;

	snprintf(path, sizeof(path), "%s/alerts.log", root);
	if (n == 0)
		return (fileio_unlink(path));
	sb_fmt(&b, "%s %d\n", LOG_MAGIC, ALERTS_LOG_VERSION);
	for (size_t i = first; i < n; i++) {
		char ev[ALERTS_EVENT_MAX + 1];
		size_t j;

		/* The event is a name: keep it one. */
		for (j = 0; entries[i].event[j] != '\0' &&
		    j < ALERTS_EVENT_MAX; j++)
			ev[j] = is_hostchar((unsigned char)
			    entries[i].event[j]) || entries[i].event[j] ==
			    '_' ? entries[i].event[j] : '_';
		if (j == 0)
			ev[j++] = '_';
		ev[j] = '\0';
		sb_fmt(&b, "%lld\t%s\t", (long long)entries[i].time, ev);
		sb_escape(&b, entries[i].subject);
		sb_str(&b, "\t");
		if (entries[i].body != NULL) {
			/* Bound each body so a reader takes it back. */
			if (strlen(entries[i].body) > ALERTS_BODY_MAX / 2) {
				char *cut = strndup(entries[i].body,
				    ALERTS_BODY_MAX / 2);

				if (cut == NULL)
					b.oom = 1;
				else
					sb_escape(&b, cut);
				free(cut);
			} else
				sb_escape(&b, entries[i].body);
		}
		sb_str(&b, "\n");
	}
	if (b.oom) {
		free(b.p);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	rc = fileio_write_atomic(path, b.p, b.len, 0644, 0);
	free(b.p);
	return (rc);
}

/**
 * alerts_entries_free(entries, n):
 * Free an array from alerts_log_read.  NULL is allowed.
 */
void
alerts_entries_free(struct alerts_entry *entries, size_t n)
{

	if (entries == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(entries[i].body);
	free(entries);
}

/* ---- Store state. ---- */

/**
 * alerts_fs_usage(root, used_pct, avail):
 * The share of the file system holding ${root} that is used, in percent.
 */
int
alerts_fs_usage(const char *root, double *used_pct, uint64_t *avail)
{
	struct statvfs v;
	double used, total;

	if (statvfs(root, &v) != 0)
		return (qs_error_errno(root, "statvfs"));
	used = (double)(v.f_blocks - v.f_bfree);
	total = used + (double)v.f_bavail;
	*used_pct = total > 0 ? 100.0 * used / total : 0.0;
	*avail = (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
	return (QS_OK);
}

/**
 * alerts_store_state(s, now, st):
 * Examine the open store ${s}: keystore backup copy, key count, rotation.
 */
int
alerts_store_state(struct store *s, int64_t now, struct alerts_store_state *st)
{
	struct keystore_header_info pi, bi;
	struct keystore *ks;
	char primary[4096], backup[4096];
	int rc;

	memset(st, 0, sizeof(*st));
	if (s == NULL)
		return (qs_error_set(QS_EINVAL, "no store"));
	if (!store_config(s)->encrypted)
		return (QS_OK);
	st->encrypted = 1;
	store_keystore_paths(s, primary, sizeof(primary), backup,
	    sizeof(backup));
	snprintf(st->backup_path, sizeof(st->backup_path), "%s", backup);
	if (keystore_peek(primary, &pi) == QS_OK)
		st->primary_generation = pi.generation;
	else
		pi.generation = 0;
	rc = keystore_peek(backup, &bi);
	if (rc == QS_ENOENT)
		st->backup = ALERTS_BACKUP_MISSING;
	else if (rc != QS_OK || memcmp(bi.store_id, store_config(s)->store_id,
	    sizeof(bi.store_id)) != 0)
		st->backup = ALERTS_BACKUP_UNREADABLE;
	else {
		st->backup_generation = bi.generation;
		if (bi.generation < pi.generation)
			st->backup = ALERTS_BACKUP_OLDER;
	}
	qs_error_clear();
	if ((ks = store_keystore(s)) != NULL) {
		st->keys_known = 1;
		st->key_count = keystore_key_count(ks);
		st->last_rotation = keystore_last_rotation(ks);
		st->rotation_secs = keystore_rotation(ks);
		if (keystore_mode(ks) == KEYSTORE_MODE_INTERNAL &&
		    st->rotation_secs > 0 && now > st->last_rotation &&
		    (uint64_t)(now - st->last_rotation) >=
		    2 * st->rotation_secs)
			st->rotation_overdue = 1;
	}
	return (QS_OK);
}
