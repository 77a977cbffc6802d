#ifndef QS_CMD_PROGRESS_H
#define QS_CMD_PROGRESS_H

/*
 * Progress of long jobs on stderr.  A meter is a thread that redraws one
 * line in place ("\r") about twice a second from the figures the job's
 * callbacks leave in it: elapsed time, bytes (or items) done, the rate,
 * new against deduplicated bytes for put, and an ETA where the total is
 * known.  The line is drawn only when cmd_progress_wanted(); whatever the
 * settings, SIGUSR1 makes the meter print one status line on stderr
 * ("qsarc: put: status: ..., last change 40 s ago"), for a job that looks
 * stuck.  The signal handler only sets a flag; the meter's thread prints.
 */

#include <stdint.h>

struct cmd_options;
struct cmd_progress;

/**
 * cmd_progress_wanted(c):
 * Whether to show progress: --progress, or stderr is a terminal (and not
 * --no-progress); never with --quiet.
 */
int cmd_progress_wanted(const struct cmd_options *);

/**
 * cmd_progress_signals():
 * Install the SIGUSR1 handler (main, for every subcommand: a SIGUSR1 sent
 * to a command without a meter, or while it waits for the lock, is
 * ignored rather than fatal).
 */
void cmd_progress_signals(void);

/**
 * cmd_progress_start(c, sub):
 * Start the meter of the subcommand ${sub} (a string that outlives the
 * meter), counting bytes up to an unknown total until cmd_progress_phase
 * says otherwise.  NULL if the thread cannot start; every cmd_progress_*
 * call accepts NULL.
 */
struct cmd_progress *cmd_progress_start(const struct cmd_options *,
    const char *);

/**
 * cmd_progress_phase(p, label, unit, total):
 * A new phase: the line now starts with ${label} (NULL: the subcommand),
 * counts ${unit} ("containers"; NULL for bytes) up to ${total} (0:
 * unknown), from 0.  ${label} is copied; ${unit} must outlive the meter.
 */
void cmd_progress_phase(struct cmd_progress *, const char *, const char *,
    uint64_t);

/**
 * cmd_progress_set(p, done, new_bytes, dup_bytes):
 * The job's figures so far: ${done} bytes (or items) in this phase, and
 * the bytes stored as new and found already stored (deduplicated) so far;
 * ${new_bytes} UINT64_MAX: not counted, the line then shows no split.
 * Cheap (a mutex): callable per chunk, from any thread.
 */
void cmd_progress_set(struct cmd_progress *, uint64_t, uint64_t, uint64_t);

/**
 * cmd_progress_break(p):
 * End the line drawn so far, if any, so that the caller can print a line
 * of its own (on stdout, when both are the terminal) without writing into
 * it; the next redraw starts a new line.
 */
void cmd_progress_break(struct cmd_progress *);

/**
 * cmd_progress_stop(p):
 * Draw the last figures, end the line, stop the thread and free ${p}.
 */
void cmd_progress_stop(struct cmd_progress *);

#endif /* !QS_CMD_PROGRESS_H */
