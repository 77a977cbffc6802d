#ifndef QS_CMD_PROGRESS_H
#define QS_CMD_PROGRESS_H

/*
 * Progress lines on stderr, redrawn in place.
 */

#include <stdint.h>

struct cmd_options;

/**
 * cmd_progress_wanted(c):
 * Whether to show progress: --progress, or stderr is a terminal.
 */
int cmd_progress_wanted(const struct cmd_options *);

/**
 * cmd_progress_line(what, done, total, start):
 * Draw "what: done [/ total] rate ETA" on stderr, overwriting the line.
 * ${total} 0 means unknown; ${start} is a cmd_clock_monotonic() time.
 */
void cmd_progress_line(const char *, uint64_t, uint64_t, double);

/**
 * cmd_progress_end():
 * End the progress line.
 */
void cmd_progress_end(void);

#endif /* !QS_CMD_PROGRESS_H */
