#ifndef QS_CMD_CLOCK_H
#define QS_CMD_CLOCK_H

/*
 * The two clocks of the program: wall time (stamped on streams, keys and
 * alerts; tests move it) and a monotonic clock for durations and rates.
 */

#include <stdint.h>

/**
 * cmd_clock_now():
 * The current time in unix seconds.  QSARC_TEST_NOW overrides the clock
 * (documented as test-only: it lets tests move time for key rotation and
 * expiry) in a build with -DQSARC_TEST_HOOKS (build/qsarc-test); the
 * release build ignores it.
 */
int64_t cmd_clock_now(void);

/**
 * cmd_clock_monotonic():
 * Seconds from an arbitrary start, for rates and durations.
 */
double cmd_clock_monotonic(void);

#endif /* !QS_CMD_CLOCK_H */
