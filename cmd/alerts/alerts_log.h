#ifndef QS_ALERTS_LOG_H
#define QS_ALERTS_LOG_H

/*
 * The alerts lock and the log of unsent alerts, STATE/alerts/STOREID.log
 * (text; where it is: alerts_conf.h): the alerts that could not be sent,
 * oldest first, at most ALERTS_LOG_KEEP of them.  First line
 * "qsarc-alerts-log 1", then one line per alert:
 * "TIME<TAB>EVENT<TAB>SUBJECT<TAB>BODY" with TIME in unix seconds and
 * SUBJECT and BODY escaped (backslash, tab, LF and CR as \\ \t \n \r).
 * It is rewritten whole and atomically on every change, which keeps it
 * bounded and durable; readers skip malformed lines (they count them) so
 * that one damaged line never loses the others.
 *
 * The settings and the log are changed only under an exclusive flock(2)
 * on STATE/alerts/STOREID.lock (alerts_log_lock), never on STORE/lock or
 * any other file in the store, so alerts never wait for or block the
 * store's own lock and no one who can only reach the store can hold it.
 * An alert raised while that lock is held by someone else past the wait
 * is not lost: it is written, without the lock, as a one-alert file in
 * the same format, STATE/alerts/STOREID.unsent-RANDOM (alerts_log_queue),
 * which the next holder of the lock moves into the log
 * (alerts_log_absorb).
 */

#include <stddef.h>
#include <stdint.h>

#include "cmd/alerts/alerts_conf.h"

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
 * alerts_log_lock(p, timeout_ms, fd):
 * Take the exclusive alerts lock (flock on p->lock, created mode 0600 if
 * missing; a symbolic link or other non-regular file is refused), waiting
 * at most ${timeout_ms}.  Return QS_OK and the descriptor to pass to
 * alerts_log_unlock in ${fd}, QS_EBUSY on timeout, or QS_EIO/QS_ENOENT/
 * QS_ECORRUPT.
 */
int alerts_log_lock(const struct alerts_conf_paths *, int, int *);

/**
 * alerts_log_unlock(fd):
 * Release a lock from alerts_log_lock.  ${fd} < 0 is ignored.
 */
void alerts_log_unlock(int);

/**
 * alerts_log_read(p, with_queued, entries, n, bad):
 * Read p->log (and, if ${with_queued}, the queued one-alert files) into a
 * new array ${entries} of ${n} entries, oldest first, at most
 * ALERTS_LOG_KEEP + 1 (free with alerts_log_entries_free); malformed
 * lines are skipped and counted in ${bad}.  A missing log is QS_OK with
 * ${n} 0.  Return QS_OK, QS_EVERSION, QS_ECORRUPT (bad first line),
 * QS_ENOMEM or QS_EIO.
 */
int alerts_log_read(const struct alerts_conf_paths *, int,
    struct alerts_log_entry **, size_t *, size_t *);

/**
 * alerts_log_write(p, entries, n):
 * Replace p->log atomically with the last ALERTS_LOG_KEEP of the ${n}
 * ${entries} (oldest first); ${n} 0 removes the log.  The caller holds
 * alerts_log_lock.  Return QS_OK or an I/O error.
 */
int alerts_log_write(const struct alerts_conf_paths *,
    const struct alerts_log_entry *, size_t);

/**
 * alerts_log_queue(p, e, path, pathlen):
 * Without the lock: write the alert ${e} as a new one-alert file
 * STATE/alerts/STOREID.unsent-RANDOM (mode 0600, never replacing a file)
 * and put its path in ${path}.  Return QS_OK or an I/O error.
 */
int alerts_log_queue(const struct alerts_conf_paths *,
    const struct alerts_log_entry *, char *, size_t);

/**
 * alerts_log_absorb(p):
 * Under the lock: move the alerts of the queued one-alert files into
 * p->log and remove those files.  Return QS_OK (also when there were
 * none) or an error; on error nothing is removed.
 */
int alerts_log_absorb(const struct alerts_conf_paths *);

/**
 * alerts_log_entries_free(entries, n):
 * Free an array from alerts_log_read.  NULL is allowed.
 */
void alerts_log_entries_free(struct alerts_log_entry *, size_t);

#endif /* !QS_ALERTS_LOG_H */
