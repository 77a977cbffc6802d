#ifndef QS_ALERTS_RAISE_H
#define QS_ALERTS_RAISE_H

/*
 * Raising alerts: the entry points the batch jobs (put, get, clean,
 * rekey, replicate, verify, expire) call, and the test message of
 * 'qsarc alerts STORE test'.  See cmd/alerts/README.md for the flow and
 * cmd/cmd_alerts.h for how a command calls these.
 *
 * This room sits below cmd/: the caller passes what only the program
 * knows (the time, where warnings go, how byte counts are written) in a
 * struct alerts_raise_env, and its exit codes, which these functions only
 * read, as the ALERTS_RAISE_EXIT_* values below.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct alerts_conf;
struct alerts_conf_paths;
struct store;

/* What the program passes down (cmd_alerts_env() fills one). */
struct alerts_raise_env {
	int64_t now;		/* unix seconds: the alert's time */
	FILE *err;		/* the one-line warnings */
	/* "1.5 GiB"-style rendering, as the program's output writes it. */
	const char *(*format_bytes)(uint64_t, char *, size_t);
	/* How long to wait for the alerts lock (the command's
	 * --lock-timeout); past it the alert is queued, not lost. */
	int lock_timeout_ms;
};

/* The program's exit codes (cmd/cmd_alerts.c checks that they agree). */
enum {
	ALERTS_RAISE_EXIT_OK = 0,
	ALERTS_RAISE_EXIT_ERROR = 1,
	ALERTS_RAISE_EXIT_USAGE = 2,
	ALERTS_RAISE_EXIT_NOTFOUND = 3,
	ALERTS_RAISE_EXIT_BUSY = 4,
	ALERTS_RAISE_EXIT_PASSPHRASE = 5,
	ALERTS_RAISE_EXIT_DAMAGE = 6,
	ALERTS_RAISE_EXIT_STOPPED = 7,
	ALERTS_RAISE_EXIT_NOTHING = 8,
	ALERTS_RAISE_EXIT_PARTIAL = 9,
	ALERTS_RAISE_EXIT_NOSPACE = 10
};

/* Events a command queues itself (the rest are found by
 * alerts_raise_after). */
enum {
	ALERTS_RAISE_CORRUPTION = 1,	    /* damage found (verify, ...) */
	ALERTS_RAISE_ENCRYPTION_WAITING = 2 /* clean: no space to encrypt */
};

/**
 * alerts_raise_event(kind, detail):
 * Queue the event ${kind} (ALERTS_RAISE_*) with the one-line ${detail}
 * (may be NULL) for the next alerts_raise_after of this process.  A kind
 * queued twice is kept once (the first detail).
 */
void alerts_raise_event(int, const char *);

/**
 * alerts_raise_after(env, sub, root, exit_code, detail, s):
 * At the end of the subcommand ${sub} on the store at ${root}: if alerts
 * are configured and enabled there, gather this run's events (the command
 * failed: ${exit_code} not 0, 7, 8 or 9 (clean queues its own event for
 * 9) for a batch job; damage found:
 * exit code 6; the queued events; with ${s}, the store-state checks; the
 * file system nearly full), deduplicated to one per kind, and send them
 * in one message together with up to 20 older unsent alerts.  The
 * settings are read only from outside the store (alerts_conf.h); an old
 * STORE/alerts.conf is ignored with a warning naming 'qsarc alerts STORE
 * migrate'.  If sending fails, warn on env->err and keep the alert in the
 * alert log; if the alerts lock cannot be had within env->lock_timeout_ms,
 * keep it as a queued file (alerts_log_queue), and if even that fails,
 * name its subject in the warning.  When
 * there is no new event but older unsent alerts exist, try to deliver
 * those.  ${detail} is the command's error message (may be NULL); it is
 * copied at once.  ${s} may be NULL.  Never changes anything the command
 * did; the queued events are dropped.
 */
void alerts_raise_after(const struct alerts_raise_env *, const char *,
    const char *, int, const char *, struct store *);

/**
 * alerts_raise_test(env, root, p, c, npend_sent):
 * Send a test message for the store at ${root} (alert files ${p}) with
 * the settings ${c}
 * (complete: alerts_conf_missing(c) is NULL), together with up to 20
 * older unsent alerts; set ${npend_sent} to how many went with it.  A test
 * message that fails is not logged.  Return QS_OK or the error (with a
 * detail); warnings about the alert log go to env->err.
 */
int alerts_raise_test(const struct alerts_raise_env *, const char *,
    const struct alerts_conf_paths *, const struct alerts_conf *, size_t *);

#endif /* !QS_ALERTS_RAISE_H */
