#ifndef QS_ALERTS_LOG_H
#define QS_ALERTS_LOG_H

/*
 * The alerts lock and STORE/alerts.log (text): the alerts that could not
 * be sent, oldest first, at most ALERTS_LOG_KEEP of them.  First line
 * "qsarc-alerts-log 1", then one line per alert:
 * "TIME<TAB>EVENT<TAB>SUBJECT<TAB>BODY" with TIME in unix seconds and
 * SUBJECT and BODY escaped (backslash, tab, LF and CR as \\ \t \n \r).
 * It is rewritten whole and atomically on every change, which keeps it
 * bounded and durable; readers skip malformed lines (they count them) so
 * that one damaged line never loses the others.
 *
 * STORE/alerts.conf and STORE/alerts.log are changed only under an
 * exclusive flock(2) on the store directory (alerts_log_lock), never on
 * STORE/lock, so alerts never wait for or block the store's own lock.
 */

#include <stddef.h>
#include <stdint.h>

#define ALERTS_LOG_VERSION	1
#define ALERTS_LOG_KEEP		100	/* unsent alerts kept */
#define ALERTS_LOG_MAX		(4 * 1024 * 1024)
#define ALERTS_SUBJECT_MAX	400
#define ALERTS_BODY_MAX		8192	/* one alert's body */
#define ALERTS_EVENT_MAX	32

struct alerts_log_entry {
	int64_t time;
	char event[ALERTS_EVENT_MAX + 1];
	char subject[ALERTS_SUBJECT_MAX + 1];
	char *body;			/* malloc'd */
};

/**
 * alerts_log_lock(root, timeout_ms, fd):
 * Take the exclusive alerts lock of the store at ${root} (flock on the
 * store directory), waiting at most ${timeout_ms}.  Return QS_OK and the
 * descriptor to pass to alerts_log_unlock in ${fd}, QS_EBUSY on timeout,
 * or QS_EIO/QS_ENOENT.
 */
int alerts_log_lock(const char *, int, int *);

/**
 * alerts_log_unlock(fd):
 * Release a lock from alerts_log_lock.  ${fd} < 0 is ignored.
 */
void alerts_log_unlock(int);

/**
 * alerts_log_read(root, entries, n, bad):
 * Read STORE/alerts.log into a new array ${entries} of ${n} entries
 * (free with alerts_log_entries_free); malformed lines are skipped and
 * counted in ${bad}.  A missing log is QS_OK with ${n} 0.  Return QS_OK,
 * QS_EVERSION, QS_ECORRUPT (bad first line), QS_ENOMEM or QS_EIO.
 */
int alerts_log_read(const char *, struct alerts_log_entry **, size_t *,
    size_t *);

/**
 * alerts_log_write(root, entries, n):
 * Replace STORE/alerts.log atomically with the last ALERTS_LOG_KEEP of the
 * ${n} ${entries} (oldest first); ${n} 0 removes the log.  The caller
 * holds alerts_log_lock.  Return QS_OK or an I/O error.
 */
int alerts_log_write(const char *, const struct alerts_log_entry *, size_t);

/**
 * alerts_log_entries_free(entries, n):
 * Free an array from alerts_log_read.  NULL is allowed.
 */
void alerts_log_entries_free(struct alerts_log_entry *, size_t);

#endif /* !QS_ALERTS_LOG_H */
