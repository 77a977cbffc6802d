/*
 * The alerts lock and the log of unsent alerts (see alerts_log.h).
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/random.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "cmd/alerts/alerts_addr.h"
#include "cmd/alerts/alerts_conf.h"
#include "cmd/alerts/alerts_log.h"
#include "cmd/alerts/alerts_text.h"

#define LOG_MAGIC	"qsarc-alerts-log"
#define QUEUED_TAG	".unsent-"
#define QUEUED_MAX	ALERTS_LOG_KEEP	/* queued files absorbed at once */

/**
 * alerts_log_lock(p, timeout_ms, fd):
 * Take the exclusive alerts lock (flock on p->lock).
 */
int
alerts_log_lock(const struct alerts_conf_paths *p, int timeout_ms, int *fd)
{
	struct stat st;
	int d, rc;

	if ((rc = alerts_conf_dir_make(p)) != QS_OK)
		return (rc);
	if ((d = open(p->lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0600)) < 0) {
		if (errno == ELOOP)
			return (qs_error_set(QS_ECORRUPT, "%s: refused: the "
			    "alerts lock is a symbolic link", p->lock));
		return (qs_error_errno(p->lock, "open"));
	}
	if (fstat(d, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(d);
		return (qs_error_set(QS_ECORRUPT, "%s: refused: the alerts lock "
		    "is not a regular file", p->lock));
	}
	if ((rc = fileio_flock_wait(d, 1, timeout_ms, p->lock)) != QS_OK) {
		close(d);
		if (rc != QS_EBUSY)
			return (rc);
		return (qs_error_set(QS_EBUSY, "%s: the alerts lock is held "
		    "by another process", p->lock));
	}
	*fd = d;
	return (QS_OK);
}

/**
 * alerts_log_unlock(fd):
 * Release a lock from alerts_log_lock.  ${fd} < 0 is ignored.
 */
void
alerts_log_unlock(int fd)
{

	if (fd >= 0) {
		(void)flock(fd, LOCK_UN);
		close(fd);
	}
}

/* Append at most ${max} bytes of ${s}, escaped (see alerts_log.h). */
static void
text_escape(struct alerts_text *b, const char *s, size_t max)
{

	for (; *s != '\0' && max > 0; s++, max--) {
		switch (*s) {
		case '\\': alerts_text_str(b, "\\\\"); break;
		case '\t': alerts_text_str(b, "\\t"); break;
		case '\n': alerts_text_str(b, "\\n"); break;
		case '\r': alerts_text_str(b, "\\r"); break;
		default: alerts_text_add(b, s, 1);
		}
	}
}

/* Undo text_escape on ${s} of ${n} bytes into ${out} (${max} incl. NUL). */
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
log_line(const char *s, size_t n, struct alerts_log_entry *e)
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
		if (!alerts_addr_is_hostchar((unsigned char)f[1][i]) &&
		    f[1][i] != '_')
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

/* The newest ALERTS_LOG_KEEP + 1 entries read so far. */
struct vec {
	struct alerts_log_entry *a;
	size_t n;
};

/*
 * Add the entries of the log file ${path} to ${v} (the oldest dropped
 * beyond ALERTS_LOG_KEEP + 1), counting malformed lines in ${bad}.  A
 * missing file is QS_ENOENT.
 */
static int
read_file(const char *path, struct vec *v, size_t *bad)
{
	char head[64];
	uint8_t *buf;
	size_t len, pos, ll;
	const char *s;
	int rc;

	if ((rc = fileio_read_all(path, &buf, &len, ALERTS_LOG_MAX)) != QS_OK)
		return (rc);

	/* The first line: magic and version. */
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

	/* One entry per good line, the newest ALERTS_LOG_KEEP + 1 kept. */
	for (pos = strlen(head); pos < len; pos += ll + 1) {
		const char *nl = memchr(s + pos, '\n', len - pos);

		ll = nl != NULL ? (size_t)(nl - (s + pos)) : len - pos;
		if (nl == NULL) {
			(*bad)++;	/* a torn last line */
			break;
		}
		if (v->n == ALERTS_LOG_KEEP + 1) {
			/* Keep the newest: drop the oldest. */
			free(v->a[0].body);
			memmove(v->a, v->a + 1, ALERTS_LOG_KEEP *
			    sizeof(*v->a));
			v->n--;
		}
		rc = log_line(s + pos, ll, &v->a[v->n]);
		if (rc == -2) {
			free(buf);
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		}
		if (rc == 0)
			v->n++;
		else
			(*bad)++;
	}
	free(buf);
	return (QS_OK);
}

/*
 * The names of the queued one-alert files of ${p} (at most QUEUED_MAX,
 * each at most NAME_MAX bytes) into ${names}; their count in ${n}.
 */
static int
queued_names(const struct alerts_conf_paths *p, char (*names)[256],
    size_t *n)
{
	char prefix[64];
	struct dirent *de;
	DIR *d;

	*n = 0;
	snprintf(prefix, sizeof(prefix), "%s%s", p->id, QUEUED_TAG);
	if ((d = opendir(p->dir)) == NULL) {
		if (errno == ENOENT)
			return (QS_OK);
		return (qs_error_errno(p->dir, "open directory"));
	}
	while ((de = readdir(d)) != NULL && *n < QUEUED_MAX) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    strlen(de->d_name) >= 256)
			continue;
		snprintf(names[*n], 256, "%s", de->d_name);
		(*n)++;
	}
	closedir(d);
	return (QS_OK);
}

/* Sort ${v} by time, oldest first, keeping the order of equal times. */
static void
vec_sort(struct vec *v)
{

	for (size_t i = 1; i < v->n; i++) {
		struct alerts_log_entry e = v->a[i];
		size_t j = i;

		for (; j > 0 && v->a[j - 1].time > e.time; j--)
			v->a[j] = v->a[j - 1];
		v->a[j] = e;
	}
}

/*
 * The log, and the queued files named in ${names} (${nnames} of them),
 * into a new array.
 */
static int
gather(const struct alerts_conf_paths *p, char (*names)[256], size_t nnames,
    struct alerts_log_entry **entries, size_t *n, size_t *bad)
{
	struct vec v;
	char path[ALERTS_CONF_PATH_MAX + 256];
	size_t nbad = 0;
	int rc;

	if ((v.a = calloc(ALERTS_LOG_KEEP + 1, sizeof(*v.a))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	v.n = 0;
	rc = read_file(p->log, &v, &nbad);
	if (rc == QS_ENOENT) {
		qs_error_clear();
		rc = QS_OK;
	}
	for (size_t i = 0; i < nnames && rc == QS_OK; i++) {
		snprintf(path, sizeof(path), "%s/%s", p->dir, names[i]);
		rc = read_file(path, &v, &nbad);
		/*
		 * Absorbed meanwhile, or not a log: skip it (a damaged queued
		 * file must not hold up the others; absorb removes it).
		 */
		if (rc == QS_ENOENT || rc == QS_ECORRUPT || rc == QS_EVERSION) {
			if (rc != QS_ENOENT)
				nbad++;
			qs_error_clear();
			rc = QS_OK;
		}
	}
	if (rc != QS_OK) {
		alerts_log_entries_free(v.a, v.n);
		return (rc);
	}
	vec_sort(&v);
	if (v.n == 0) {		/* nothing: no array (as before) */
		free(v.a);
		v.a = NULL;
	}
	*entries = v.a;
	*n = v.n;
	*bad = nbad;
	return (QS_OK);
}

/**
 * alerts_log_read(p, with_queued, entries, n, bad):
 * Read p->log (and, if ${with_queued}, the queued files) into a new array.
 */
int
alerts_log_read(const struct alerts_conf_paths *p, int with_queued,
    struct alerts_log_entry **entries, size_t *n, size_t *bad)
{
	char (*names)[256] = NULL;
	size_t nnames = 0;
	int rc;

	if (with_queued) {
		if ((names = calloc(QUEUED_MAX, sizeof(*names))) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		if ((rc = queued_names(p, names, &nnames)) != QS_OK) {
			free(names);
			return (rc);
		}
	}
	rc = gather(p, names, nnames, entries, n, bad);
	free(names);
	return (rc);
}

/**
 * alerts_log_absorb(p):
 * Under the lock: move the queued one-alert files into p->log.
 */
int
alerts_log_absorb(const struct alerts_conf_paths *p)
{
	struct alerts_log_entry *e = NULL;
	char (*names)[256];
	char path[ALERTS_CONF_PATH_MAX + 256];
	size_t nnames = 0, n = 0, bad = 0;
	int rc;

	if ((names = calloc(QUEUED_MAX, sizeof(*names))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = queued_names(p, names, &nnames)) != QS_OK || nnames == 0)
		goto done;
	if ((rc = gather(p, names, nnames, &e, &n, &bad)) != QS_OK)
		goto done;
	if ((rc = alerts_log_write(p, e, n)) != QS_OK)
		goto done;
	/* In the log now: only the files read go. */
	for (size_t i = 0; i < nnames; i++) {
		snprintf(path, sizeof(path), "%s/%s", p->dir, names[i]);
		(void)unlink(path);
	}
	rc = fileio_fsync_dir(p->dir);
done:
	alerts_log_entries_free(e, n);
	free(names);
	return (rc);
}

/* Append the log line of ${e} to ${b}. */
static void
log_entry(struct alerts_text *b, const struct alerts_log_entry *e)
{
	char ev[ALERTS_EVENT_MAX + 1];
	size_t j;

	/* The event is a name: keep it one. */
	for (j = 0; e->event[j] != '\0' && j < ALERTS_EVENT_MAX; j++)
		ev[j] = alerts_addr_is_hostchar((unsigned char)e->event[j]) ||
		    e->event[j] == '_' ? e->event[j] : '_';
	if (j == 0)
		ev[j++] = '_';
	ev[j] = '\0';
	alerts_text_fmt(b, "%lld\t%s\t", (long long)e->time, ev);
	text_escape(b, e->subject, SIZE_MAX);
	alerts_text_str(b, "\t");
	/* Bound each body so a reader takes it back. */
	if (e->body != NULL)
		text_escape(b, e->body, ALERTS_BODY_MAX / 2);
	alerts_text_str(b, "\n");
}

/**
 * alerts_log_write(p, entries, n):
 * Replace p->log atomically with the last ALERTS_LOG_KEEP of the ${n}
 * ${entries}; ${n} 0 removes the log.
 */
int
alerts_log_write(const struct alerts_conf_paths *p,
    const struct alerts_log_entry *entries, size_t n)
{
	struct alerts_text b;
	size_t first = n > ALERTS_LOG_KEEP ? n - ALERTS_LOG_KEEP : 0;
	int rc;

	if (n == 0) {
		if ((rc = fileio_unlink(p->log)) == QS_ENOENT) {
			qs_error_clear();
			rc = QS_OK;
		}
		return (rc);
	}
	alerts_text_init(&b, 0);
	alerts_text_fmt(&b, "%s %d\n", LOG_MAGIC, ALERTS_LOG_VERSION);
	for (size_t i = first; i < n; i++)
		log_entry(&b, &entries[i]);
	if (b.oom) {
		alerts_text_free(&b);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	rc = fileio_write_atomic(p->log, b.p, b.len, 0600, 0);
	alerts_text_free(&b);
	return (rc);
}

/**
 * alerts_log_queue(p, e, path, pathlen):
 * Without the lock: write the alert ${e} as a new one-alert file.
 */
int
alerts_log_queue(const struct alerts_conf_paths *p,
    const struct alerts_log_entry *e, char *path, size_t pathlen)
{
	static const char hx[] = "0123456789abcdef";
	struct alerts_text b;
	uint8_t r[8];
	char rnd[17];
	int rc;

	if ((rc = alerts_conf_dir_make(p)) != QS_OK)
		return (rc);
	random_bytes(r, sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++) {
		rnd[2 * i] = hx[r[i] >> 4];
		rnd[2 * i + 1] = hx[r[i] & 15];
	}
	rnd[16] = '\0';
	snprintf(path, pathlen, "%s/%s%s%s", p->dir, p->id, QUEUED_TAG, rnd);
	alerts_text_init(&b, 0);
	alerts_text_fmt(&b, "%s %d\n", LOG_MAGIC, ALERTS_LOG_VERSION);
	log_entry(&b, e);
	if (b.oom) {
		alerts_text_free(&b);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	rc = fileio_write_atomic(path, b.p, b.len, 0600, 1);
	alerts_text_free(&b);
	return (rc);
}

/**
 * alerts_log_entries_free(entries, n):
 * Free an array from alerts_log_read.  NULL is allowed.
 */
void
alerts_log_entries_free(struct alerts_log_entry *entries, size_t n)
{

	if (entries == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(entries[i].body);
	free(entries);
}
