/*
 * The alerts lock and the log of unsent alerts (see alerts_log.h).
 */

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/fileio.h"
#include "format/qs_err.h"
#include "index/store/store.h"
#include "cmd/alerts/alerts_addr.h"
#include "cmd/alerts/alerts_log.h"
#include "cmd/alerts/alerts_text.h"

#define LOG_MAGIC	"qsarc-alerts-log"

/**
 * alerts_log_lock(root, timeout_ms, fd):
 * Take the exclusive alerts lock of the store at ${root}.
 */
int
alerts_log_lock(const char *root, int timeout_ms, int *fd)
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

/**
 * alerts_log_read(root, entries, n, bad):
 * Read STORE/alerts.log into a new array of entries.
 */
int
alerts_log_read(const char *root, struct alerts_log_entry **entries,
    size_t *n, size_t *bad)
{
	struct alerts_log_entry *arr = NULL;
	char path[4096], head[64];
	uint8_t *buf;
	size_t len, pos, k = 0, nbad = 0, ll;
	const char *s;
	int rc;

	/* No log: nothing unsent. */
	if ((rc = store_path_alerts_log(root, path, sizeof(path))) != QS_OK)
		return (rc);
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
			alerts_log_entries_free(arr, k);
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
 * alerts_log_write(root, entries, n):
 * Replace STORE/alerts.log atomically with the last ALERTS_LOG_KEEP of the
 * ${n} ${entries}; ${n} 0 removes the log.
 */
int
alerts_log_write(const char *root, const struct alerts_log_entry *entries,
    size_t n)
{
	struct alerts_text b;
	char path[4096];
	size_t first = n > ALERTS_LOG_KEEP ? n - ALERTS_LOG_KEEP : 0;
	int rc;

	if ((rc = store_path_alerts_log(root, path, sizeof(path))) != QS_OK)
		return (rc);
	if (n == 0)
		return (fileio_unlink(path));
	alerts_text_init(&b, 0);
	alerts_text_fmt(&b, "%s %d\n", LOG_MAGIC, ALERTS_LOG_VERSION);
	for (size_t i = first; i < n; i++)
		log_entry(&b, &entries[i]);
	if (b.oom) {
		alerts_text_free(&b);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	rc = fileio_write_atomic(path, b.p, b.len, STORE_MODE_FILE, 0);
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
