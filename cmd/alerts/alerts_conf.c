/*
 * The alert settings file STATE/alerts/STOREID.conf (see alerts_conf.h):
 * where it is and who may have written it; one table of keys drives both
 * the parser and the encoder.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "index/store/store.h"
#include "cmd/alerts/alerts_addr.h"
#include "cmd/alerts/alerts_conf.h"
#include "cmd/alerts/alerts_text.h"

#define CONF_MAGIC	"qsarc-alerts"

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

static int
path_valid(const char *p)
{

	return (p[0] == '/' && alerts_text_valid(p, ALERTS_PATH_MAX));
}

/* Check every field of ${c}; record a detail and return QS_EINVAL if bad. */
static int
conf_check(const struct alerts_conf *c)
{
	const char *why;

	if (c->relay[0] != '\0' && !alerts_addr_host_valid(c->relay))
		return (qs_error_set(QS_EINVAL, "bad relay host"));
	if (c->port == 0)
		return (qs_error_set(QS_EINVAL, "bad relay port"));
	if (c->sender_name[0] != '\0' &&
	    !alerts_addr_name_valid(c->sender_name))
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

/* How a key's value is held in struct alerts_conf. */
enum {
	KEY_INT,	/* an int in [min, max] */
	KEY_PORT,	/* a uint16_t in [min, max] */
	KEY_TEXT,	/* a string of ${size} bytes, checked by ${valid} */
	KEY_LIST	/* one address of a list; the count at ${noff} */
};

/*
 * The keys of alerts.conf, in the order the encoder writes them.  Only
 * list keys may repeat; "enabled" must be present.
 */
static const struct conf_key {
	const char *name;
	int type;
	size_t off;			/* the field */
	size_t size;			/* KEY_TEXT, KEY_LIST: one entry */
	size_t noff;			/* KEY_LIST: the count */
	long min, max;			/* KEY_INT, KEY_PORT */
	int (*valid)(const char *);	/* KEY_TEXT, KEY_LIST */
} conf_keys[] = {
#define F(f)	offsetof(struct alerts_conf, f)
#define S(f)	sizeof(((struct alerts_conf *)0)->f)
	{ "enabled", KEY_INT, F(enabled), 0, 0, 0, 1, NULL },
	{ "relay", KEY_TEXT, F(relay), S(relay), 0, 0, 0,
	    alerts_addr_host_valid },
	{ "port", KEY_PORT, F(port), 0, 0, 1, 65535, NULL },
	{ "starttls", KEY_INT, F(starttls), 0, 0, 0, 1, NULL },
	{ "sender-name", KEY_TEXT, F(sender_name), S(sender_name), 0, 0, 0,
	    alerts_addr_name_valid },
	{ "from", KEY_TEXT, F(from), S(from), 0, 0, 0, alerts_addr_valid },
	{ "to", KEY_LIST, F(to), S(to[0]), F(nto), 0, 0, alerts_addr_valid },
	{ "cc", KEY_LIST, F(cc), S(cc[0]), F(ncc), 0, 0, alerts_addr_valid },
	{ "bcc", KEY_LIST, F(bcc), S(bcc[0]), F(nbcc), 0, 0,
	    alerts_addr_valid },
	{ "auth-file", KEY_TEXT, F(auth_file), S(auth_file), 0, 0, 0,
	    path_valid },
	{ "disk-threshold", KEY_INT, F(disk_pct), 0, 0, 1, 100, NULL },
#undef S
#undef F
};
#define NKEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))

_Static_assert(NKEYS <= 32, "one bit per key in alerts_conf_parse");

/* Append the lines of key ${k} of ${c} (none for an unset text). */
static void
encode_key(struct alerts_text *b, const struct conf_key *k,
    const struct alerts_conf *c)
{
	const char *base = (const char *)c + k->off;
	size_t n;

	switch (k->type) {
	case KEY_INT:
		alerts_text_fmt(b, "%s %d\n", k->name, *(const int *)base);
		break;
	case KEY_PORT:
		alerts_text_fmt(b, "%s %u\n", k->name,
		    (unsigned int)*(const uint16_t *)base);
		break;
	case KEY_TEXT:
		if (base[0] != '\0')
			alerts_text_fmt(b, "%s %s\n", k->name, base);
		break;
	case KEY_LIST:
		n = *(const size_t *)((const char *)c + k->noff);
		for (size_t i = 0; i < n; i++)
			alerts_text_fmt(b, "%s %s\n", k->name,
			    base + i * k->size);
		break;
	}
}

/**
 * alerts_conf_encode(c, buf, len):
 * Validate ${c} and render it as the text of an alerts.conf file.
 */
int
alerts_conf_encode(const struct alerts_conf *c, char **buf, size_t *len)
{
	struct alerts_text b;
	struct alerts_conf t;
	uint8_t d[CHECKSUM_BYTES];
	char hex[2 * CHECKSUM_BYTES + 1];
	int rc;

	if ((rc = conf_check(c)) != QS_OK)
		return (rc);
	/* The flags are written as 0 or 1 whatever true value they hold. */
	t = *c;
	t.enabled = c->enabled ? 1 : 0;
	t.starttls = c->starttls ? 1 : 0;
	alerts_text_init(&b, 0);
	alerts_text_fmt(&b, "%s %d\n", CONF_MAGIC, ALERTS_CONF_VERSION);
	for (size_t i = 0; i < NKEYS; i++)
		encode_key(&b, &conf_keys[i], &t);
	if (b.oom)
		goto oom;
	checksum_blake2b256(b.p, b.len, d);
	hex32(d, hex);
	alerts_text_fmt(&b, "checksum %s\n", hex);
	if (b.oom)
		goto oom;
	*buf = b.p;
	*len = b.len;
	return (QS_OK);

oom:
	alerts_text_free(&b);
	return (qs_error_set(QS_ENOMEM, "out of memory"));
}

/* Set key ${k} of ${c} from ${val}; 0, or -1 if the value is bad. */
static int
parse_key(const struct conf_key *k, const char *val, struct alerts_conf *c)
{
	char *base = (char *)c + k->off;
	size_t *n;
	long v;

	switch (k->type) {
	case KEY_INT:
		if (parse_num(val, k->min, k->max, &v) != 0)
			return (-1);
		*(int *)base = (int)v;
		return (0);
	case KEY_PORT:
		if (parse_num(val, k->min, k->max, &v) != 0)
			return (-1);
		*(uint16_t *)base = (uint16_t)v;
		return (0);
	case KEY_TEXT:
		if (copy_value(base, k->size, val) != 0 || !k->valid(base))
			return (-1);
		return (0);
	case KEY_LIST:
		n = (size_t *)((char *)c + k->noff);
		base += *n * k->size;
		if (*n == ALERTS_MAX_RCPT || copy_value(base, k->size,
		    val) != 0 || !k->valid(base))
			return (-1);
		(*n)++;
		return (0);
	}
	return (-1);
}

static const struct conf_key *
find_key(const char *name)
{

	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return (&conf_keys[i]);
	return (NULL);
}

/**
 * alerts_conf_parse(buf, len, c):
 * Parse and validate the text of an alerts.conf file into ${c}.
 */
int
alerts_conf_parse(const uint8_t *buf, size_t len, struct alerts_conf *c)
{
	const struct conf_key *k;
	struct alerts_conf t;
	uint8_t d[CHECKSUM_BYTES];
	char hex[2 * CHECKSUM_BYTES + 1];
	char line[ALERTS_PATH_MAX + 64];
	const char *key, *val;
	char *sp;
	size_t pos = 0, ll, lineno = 0;
	uint32_t seen = 0, bit;
	int have_sum = 0, rc;
	long v;

	alerts_conf_init(&t);
	if (len > ALERTS_CONF_MAX)
		return (qs_error_set(QS_ECORRUPT, "alerts.conf: longer than "
		    "%d bytes", ALERTS_CONF_MAX));
	while (pos < len) {
		const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
		size_t start = pos;

		/* Cut out one whole line as "KEY VALUE". */
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

		/* The first line: magic and version. */
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

		/* The last line: the checksum of every byte before it. */
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

		/* A setting: known, valid, and not repeated unless a list. */
		if ((k = find_key(key)) == NULL ||
		    parse_key(k, val, &t) != 0)
			goto bad;
		if (k->type != KEY_LIST) {
			bit = (uint32_t)1 << (k - conf_keys);
			if (seen & bit)
				goto bad;	/* repeated */
			seen |= bit;
		}
	}

	/* Complete (version, enabled, checksum) and consistent. */
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

/* Set the paths of ${p} from p->state and p->id. */
static int
paths_fill(const char *root, struct alerts_conf_paths *p)
{
	int n[5];

	n[0] = snprintf(p->dir, sizeof(p->dir), "%s/alerts", p->state);
	n[1] = snprintf(p->conf, sizeof(p->conf), "%s/%s.conf", p->dir, p->id);
	n[2] = snprintf(p->log, sizeof(p->log), "%s/%s.log", p->dir, p->id);
	n[3] = snprintf(p->lock, sizeof(p->lock), "%s/%s.lock", p->dir, p->id);
	n[4] = snprintf(p->legacy, sizeof(p->legacy), "%s/alerts.conf", root);
	for (size_t i = 0; i < 5; i++)
		if (n[i] < 0 || (size_t)n[i] >= ALERTS_CONF_PATH_MAX - 64)
			return (qs_error_set(QS_EINVAL, "%s: path too long for "
			    "the alert files", i < 4 ? p->state : root));
	return (QS_OK);
}

static int check_owner_mode(const char *, const struct stat *,
    const char *);

/* The store id recorded for the real path of the store (p->byroot). */
static int
id_by_root(struct alerts_conf_paths *p)
{
	struct stat st;
	char buf[40];
	ssize_t r;
	int fd, rc = QS_ENOENT;

	if (p->byroot[0] == '\0' || (fd = open(p->byroot, O_RDONLY |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return (QS_ENOENT);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    check_owner_mode(p->byroot, &st, "path record") == QS_OK &&
	    (r = read(fd, buf, sizeof(buf))) == 33 && buf[32] == '\n' &&
	    strspn(buf, "0123456789abcdef") == 32) {
		memcpy(p->id, buf, 32);
		p->id[32] = '\0';
		rc = QS_OK;
	}
	close(fd);
	return (rc);
}

/**
 * alerts_conf_paths(root, p):
 * Fill ${p} with the paths of the alert files of the store at ${root}.
 */
int
alerts_conf_paths(const char *root, struct alerts_conf_paths *p)
{
	static const char hx[] = "0123456789abcdef";
	const char *state = getenv("QSARC_STATE_DIR");
	uint8_t id[16], d[CHECKSUM_BYTES];
	char *real, hex[2 * CHECKSUM_BYTES + 1];
	struct qs_error saved;
	int rc, n;

	memset(p, 0, sizeof(*p));
	if (state == NULL || state[0] == '\0')
		state = "/var/lib/qsarc";
	n = snprintf(p->state, sizeof(p->state), "%s", state);
	if (n < 0 || (size_t)n >= ALERTS_CONF_PATH_MAX - 64)
		return (qs_error_set(QS_EINVAL, "%s: path too long for the "
		    "alert files", state));

	/* The record of the store's real path, if it has one. */
	if ((real = realpath(root, NULL)) != NULL) {
		checksum_blake2b256(real, strlen(real), d);
		hex32(d, hex);
		n = snprintf(p->byroot, sizeof(p->byroot),
		    "%s/alerts/path-%s.id", p->state, hex);
		if (n < 0 || (size_t)n >= sizeof(p->byroot))
			p->byroot[0] = '\0';
		free(real);
	}

	/* The store id from the config; else from that record. */
	if ((rc = store_peek_id(root, id)) == QS_OK) {
		for (size_t i = 0; i < 16; i++) {
			p->id[2 * i] = hx[id[i] >> 4];
			p->id[2 * i + 1] = hx[id[i] & 15];
		}
		p->id[32] = '\0';
	} else {
		qs_error_save(&saved);
		if (id_by_root(p) != QS_OK) {
			qs_error_restore(&saved);
			return (rc);
		}
		qs_error_restore(&saved);
	}
	return (paths_fill(root, p));
}

/* The owner and mode rule for the directory and the settings file. */
static int
check_owner_mode(const char *path, const struct stat *st, const char *what)
{

	if (st->st_uid != geteuid())
		return (qs_error_set(QS_EINVAL, "%s: refused: the alert %s is "
		    "owned by uid %u, not by the user running qsarc (uid %u)",
		    path, what, (unsigned int)st->st_uid,
		    (unsigned int)geteuid()));
	if ((st->st_mode & 022) != 0)
		return (qs_error_set(QS_EINVAL, "%s: refused: the alert %s has "
		    "mode %04o, writable by group or others, who could "
		    "redirect alerts and credentials (chmod go-w)", path, what,
		    (unsigned int)(st->st_mode & 07777)));
	return (QS_OK);
}

/* p->dir: a real directory of ours, not writable by others; QS_ENOENT. */
static int
check_dir(const struct alerts_conf_paths *p)
{
	struct stat st;

	if (lstat(p->dir, &st) != 0) {
		if (errno == ENOENT)
			return (qs_error_set(QS_ENOENT, "%s: no such directory",
			    p->dir));
		return (qs_error_errno(p->dir, "stat"));
	}
	if (!S_ISDIR(st.st_mode))
		return (qs_error_set(QS_EINVAL, "%s: refused: the alert "
		    "directory is not a directory (a symbolic link?)", p->dir));
	return (check_owner_mode(p->dir, &st, "directory"));
}

/* Read all of the open file ${fd} (${path}) after the checks of ${st}. */
static int
read_checked(int fd, const char *path, const struct stat *st,
    struct alerts_conf *c, int trusted)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (!S_ISREG(st->st_mode))
		return (qs_error_set(QS_EINVAL, "%s: refused: the alert settings "
		    "are not a regular file", path));
	if (trusted && (rc = check_owner_mode(path, st, "settings file")) !=
	    QS_OK)
		return (rc);
	if (st->st_size > ALERTS_CONF_MAX)
		return (qs_error_set(QS_ECORRUPT, "%s: longer than %d bytes",
		    path, ALERTS_CONF_MAX));
	len = (size_t)st->st_size;
	if ((buf = malloc(len + 1)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = fileio_pread_full(fd, buf, len, 0, path)) == QS_OK)
		rc = alerts_conf_parse(buf, len, c);
	free(buf);
	if (rc != QS_OK && rc != QS_ENOMEM && rc != QS_EIO) {
		char msg[QS_ERROR_MSG_MAX];

		/* The detail names "alerts.conf"; say which file. */
		snprintf(msg, sizeof(msg), "%s", qs_error_message());
		if (strncmp(msg, "alerts.conf: ", 13) == 0)
			rc = qs_error_set(rc, "%s: %s", path, msg + 13);
	}
	return (rc);
}

/**
 * alerts_conf_load(p, c):
 * Read the settings file p->conf into ${c}, after checking it and its
 * directory.
 */
int
alerts_conf_load(const struct alerts_conf_paths *p, struct alerts_conf *c)
{
	struct stat st;
	int fd, rc;

	if ((rc = check_dir(p)) != QS_OK)
		return (rc);
	if ((fd = open(p->conf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return (qs_error_set(QS_ENOENT, "%s: no alert settings",
			    p->conf));
		if (errno == ELOOP)
			return (qs_error_set(QS_EINVAL, "%s: refused: the alert "
			    "settings file is a symbolic link", p->conf));
		return (qs_error_errno(p->conf, "open"));
	}
	if (fstat(fd, &st) != 0)
		rc = qs_error_errno(p->conf, "stat");
	else
		rc = read_checked(fd, p->conf, &st, c, 1);
	close(fd);
	return (rc);
}

/**
 * alerts_conf_load_legacy(p, c):
 * Parse the old store-side settings p->legacy into ${c} (migrate only).
 */
int
alerts_conf_load_legacy(const struct alerts_conf_paths *p,
    struct alerts_conf *c)
{
	struct stat st;
	int fd, rc;

	/* A store file: opened as one (no link, no FIFO). */
	if ((rc = fileio_open_regular(p->legacy, 0, &fd)) != QS_OK)
		return (rc);
	if (fstat(fd, &st) != 0)
		rc = qs_error_errno(p->legacy, "stat");
	else
		rc = read_checked(fd, p->legacy, &st, c, 0);
	close(fd);
	return (rc);
}

/**
 * alerts_conf_has_legacy(p):
 * Return 1 if the store has an old STORE/alerts.conf, else 0.
 */
int
alerts_conf_has_legacy(const struct alerts_conf_paths *p)
{
	struct stat st;

	return (lstat(p->legacy, &st) == 0);
}

/**
 * alerts_conf_dir_make(p):
 * Create p->state and p->dir (mode 0700) if missing, and check p->dir.
 */
int
alerts_conf_dir_make(const struct alerts_conf_paths *p)
{
	struct stat st;
	int rc;

	if (lstat(p->state, &st) != 0 &&
	    (rc = fileio_mkdir(p->state, 0700)) != QS_OK)
		return (rc);
	if (lstat(p->dir, &st) != 0 &&
	    (rc = fileio_mkdir(p->dir, 0700)) != QS_OK)
		return (rc);
	return (check_dir(p));
}

/**
 * alerts_conf_save(p, c):
 * Validate ${c} and write it atomically as p->conf (mode 0600).
 */
int
alerts_conf_save(const struct alerts_conf_paths *p,
    const struct alerts_conf *c)
{
	char *buf;
	size_t len;
	int rc;

	if ((rc = alerts_conf_encode(c, &buf, &len)) != QS_OK)
		return (rc);
	if ((rc = alerts_conf_dir_make(p)) == QS_OK)
		rc = fileio_write_atomic(p->conf, buf, len, 0600, 0);
	free(buf);
	/* Which store is at this path, for when its config is damaged. */
	if (rc == QS_OK && p->byroot[0] != '\0') {
		char line[34];

		snprintf(line, sizeof(line), "%s\n", p->id);
		rc = fileio_write_atomic(p->byroot, line, 33, 0600, 0);
	}
	return (rc);
}
