/*
 * Wall time (with its test override) and the monotonic clock.
 */

#include <stdlib.h>
#include <time.h>

#include "cmd/cmd_clock.h"

/**
 * cmd_clock_now():
 * The current time; QSARC_TEST_NOW overrides it (test-only: compiled in
 * only with -DQSARC_TEST_HOOKS, i.e. in build/qsarc-test).
 */
int64_t
cmd_clock_now(void)
{
#ifdef QSARC_TEST_HOOKS
	const char *s = getenv("QSARC_TEST_NOW");

	if (s != NULL && *s != '\0')
		return ((int64_t)strtoll(s, NULL, 10));
#endif
	return ((int64_t)time(NULL));
}

/**
 * cmd_clock_monotonic():
 * Seconds from an arbitrary start.
 */
double
cmd_clock_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}
