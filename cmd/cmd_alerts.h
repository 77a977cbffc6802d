#ifndef QS_CMD_ALERTS_H
#define QS_CMD_ALERTS_H

/*
 * E-mail alerts raised by the batch jobs (put, get, clean, rekey,
 * replicate, verify, expire).  See cmd/alerts/alerts.h for the files and
 * 'qsarc alerts --help' for the settings.
 *
 * HOW A COMMAND RAISES ALERTS (for the authors of cmd/cmd_*.c):
 *
 *   1. Optionally, while working, queue an event only the command knows:
 *        cmd_alert_event(CMD_ALERT_ENCRYPTION_WAITING, "detail");
 *        cmd_alert_event(CMD_ALERT_CORRUPTION, "detail");  (verify)
 *
 *   2. Exactly once, at every exit of the command after its own output
 *      and error message are printed (after cmd_fail), call
 *        cmd_alert_after("clean", argv[optind], status,
 *            status != EXIT_OK ? qs_error_message() : NULL, s);
 *      where status is the exit code the command is about to return and
 *      s is the open store handle or NULL (for instance when opening
 *      failed).  Call it BEFORE store_close(s) when you have a handle:
 *      with it the store-state checks run (keystore backup copy, key
 *      count, overdue rotation); without it only the command failure
 *      and the file system check are evaluated.  Then close the store
 *      and return status unchanged.
 *
 *   Do not call it for usage errors (exit 2 before the store is named)
 *   or --help.  It never prints on stdout, never exits, never changes
 *   the exit code, and returns at once (one failed stat) when the store
 *   has no alerts.conf or alerts are disabled.  When the relay is down it
 *   may take up to 10 s (connect timeout; 30 s in all) and prints one
 *   line on stderr:
 *     qsarc: SUB: alert not sent: REASON; kept in STORE/alerts.log
 */

struct store;

/* Events a command queues itself (the rest are found by cmd_alert_after). */
enum {
	CMD_ALERT_CORRUPTION = 1,	  /* damage found (verify, ...) */
	CMD_ALERT_ENCRYPTION_WAITING = 2  /* clean: no space to encrypt */
};

/**
 * cmd_alert_event(kind, detail):
 * Queue the event ${kind} (CMD_ALERT_*) with the one-line ${detail} (may
 * be NULL) for the next cmd_alert_after of this process.  A kind queued
 * twice is kept once (the first detail).
 */
void cmd_alert_event(int, const char *);

/**
 * cmd_alert_after(sub, root, exit_code, detail, s):
 * At the end of the subcommand ${sub} on the store at ${root}: if alerts
 * are configured and enabled there, gather this run's events (the command
 * failed: ${exit_code} not 0, 7 or 8 for a batch job; damage found:
 * exit code 6; the queued events; with ${s}, the store-state checks; the
 * file system nearly full), deduplicated to one per kind, and send them
 * in one message together with up to 20 older unsent alerts.  If sending
 * fails, warn on stderr and keep the alert in STORE/alerts.log.  When
 * there is no new event but older unsent alerts exist, try to deliver
 * those.  ${detail} is the command's error message (may be NULL); it is
 * copied at once.  ${s} may be NULL.  Never changes anything the command
 * did or its exit code.
 */
void cmd_alert_after(const char *, const char *, int, const char *,
    struct store *);

#endif /* !QS_CMD_ALERTS_H */
