#ifndef QS_CMD_ALERTS_H
#define QS_CMD_ALERTS_H

/*
 * The program's side of e-mail alerts: the 'qsarc alerts' subcommand
 * (cmd_alerts, declared in cmd/cmd.h) and the environment the batch jobs
 * pass to the alert engine in cmd/alerts/ (see cmd/alerts/README.md).
 *
 * HOW A COMMAND RAISES ALERTS (for the authors of cmd/cmd_*.c):
 *
 *   1. Optionally, while working, queue an event only the command knows:
 *        alerts_raise_event(ALERTS_RAISE_ENCRYPTION_WAITING, "detail");
 *        alerts_raise_event(ALERTS_RAISE_CORRUPTION, "detail");  (verify)
 *
 *   2. Exactly once, at every exit of the command after its own output
 *      and error message are printed (after cmd_output_fail), call
 *        alerts_raise_after(cmd_alerts_env(), "clean", argv[optind],
 *            status, status != EXIT_OK ? qs_error_message() : NULL, s);
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
 *   the exit code, and returns at once (a config read and a failed open)
 *   when the store has no alert settings (STATE/alerts/STOREID.conf) or
 *   alerts are disabled.  When the relay is down it may take up to 10 s
 *   (connect timeout; 30 s in all) and prints one line on stderr:
 *     qsarc: SUB: alert not sent: REASON; kept in STATE/alerts/STOREID.log
 *   It waits for the alerts lock as long as --lock-timeout says
 *   (cmd_options_lock_timeout), then queues the alert instead.
 */

#include "cmd/alerts/alerts_raise.h"

/**
 * cmd_alerts_env():
 * The program's environment for the alert engine, as of now: the time
 * (cmd_clock_now), stderr for warnings, and cmd_output_bytes.  The result is
 * valid until the next call.
 */
const struct alerts_raise_env *cmd_alerts_env(void);

#endif /* !QS_CMD_ALERTS_H */
