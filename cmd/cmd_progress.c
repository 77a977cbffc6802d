/*
 * Progress lines on stderr.
 */

#include <stdio.h>
#include <unistd.h>

#include "cmd/cmd_clock.h"
#include "cmd/cmd_options.h"
#include "cmd/cmd_output.h"
#include "cmd/cmd_progress.h"

/**
 * cmd_progress_wanted(c):
 * Whether to show progress.
 */
int
cmd_progress_wanted(const struct cmd_options *c)
{

	if (c->progress >= 0)
		return (c->progress);
	return (isatty(STDERR_FILENO));
}

/**
 * cmd_progress_line(what, done, total, start):
 * Draw a progress line on stderr.
 */
void
cmd_progress_line(const char *what, uint64_t done, uint64_t total,
    double start)
{
	char a[32], b[32], r[32];
	double el = cmd_clock_monotonic() - start;
	double rate = el > 0 ? (double)done / el : 0;

	cmd_output_bytes(done, a, sizeof(a));
	cmd_output_bytes((uint64_t)rate, r, sizeof(r));
	if (total > 0 && rate > 0) {
		cmd_output_bytes(total, b, sizeof(b));
		fprintf(stderr, "\r%s: %s / %s  %s/s  ETA %.0f s   ", what, a,
		    b, r, (double)(total > done ? total - done : 0) / rate);
	} else {
		fprintf(stderr, "\r%s: %s  %s/s   ", what, a, r);
	}
	fflush(stderr);
}

/**
 * cmd_progress_end():
 * End the progress line.
 */
void
cmd_progress_end(void)
{

	fprintf(stderr, "\n");
}
