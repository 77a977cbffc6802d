/*
 * Progress lines on stderr, drawn by a thread on a timer.
 *
 * The job's callbacks only store figures under a mutex; the meter's thread
 * wakes every 100 ms, redraws the line every 500 ms when progress is
 * wanted, and prints a status line when SIGUSR1 has set the flag.  So a
 * stalled input (a pipe that stops) still shows the clock running, and a
 * job stuck anywhere answers SIGUSR1 without the handler touching stdio.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd_clock.h"
#include "cmd/cmd_options.h"
#include "cmd/cmd_output.h"
#include "cmd/cmd_progress.h"

#define TICK_MS		100	/* how often the thread looks at the flag */
#define REDRAW_TICKS	5	/* a redraw every 500 ms */

struct cmd_progress {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	const char *sub;
	int shown;		/* draw the line (cmd_progress_wanted) */
	int drawn;		/* a line is on the terminal, unended */
	int stop;
	char label[128];
	const char *unit;	/* NULL: bytes */
	uint64_t done, total, new_bytes, dup_bytes;
	double start;		/* of the job */
	double phase_start;	/* of the phase, for the rate and ETA */
	double changed;		/* when done last moved */
};

/* Set by SIGUSR1; read and cleared by the meters' threads. */
static volatile sig_atomic_t status_wanted;

static void
on_usr1(int sig)
{

	(void)sig;
	status_wanted = 1;
}

/**
 * cmd_progress_signals():
 * Install the SIGUSR1 handler.
 */
void
cmd_progress_signals(void)
{
	struct sigaction sa;

	/* SA_RESTART: a read() of the stream goes on after the signal. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGUSR1, &sa, NULL);
}

/**
 * cmd_progress_wanted(c):
 * Whether to show progress.
 */
int
cmd_progress_wanted(const struct cmd_options *c)
{

	/* --quiet: the exit code is the answer, even with --progress. */
	if (c->quiet)
		return (0);
	if (c->progress >= 0)
		return (c->progress);
	return (isatty(STDERR_FILENO));
}

/* "0:07", "12:30", "1:02:03". */
static void
clock_text(double secs, char *buf, size_t len)
{
	unsigned long s = secs > 0 ? (unsigned long)secs : 0;

	if (s >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
		    s % 60);
	else
		snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
}

/* A count or a byte size. */
static void
amount(const struct cmd_progress *p, uint64_t n, char *buf, size_t len)
{

	if (p->unit == NULL)
		cmd_output_bytes(n, buf, len);
	else
		snprintf(buf, len, "%llu", (unsigned long long)n);
}

/*
 * The figures as one line of text, without the label: "12.0 MiB / 28.0
 * MiB, 3.0 MiB new, 9.0 MiB dedup, 40.0 MiB/s, 0:03 elapsed, ETA 0:02".
 * Called with mu held.
 */
static void
figures(const struct cmd_progress *p, double now, char *buf, size_t len)
{
	char d[32], t[32], n[32], u[32], r[32], el[32], eta[32];
	double pel = now - p->phase_start;
	double rate = pel > 0 ? (double)p->done / pel : 0;
	size_t k;

	amount(p, p->done, d, sizeof(d));
	k = (size_t)snprintf(buf, len, "%s", d);
	if (p->total > 0 && k < len) {
		amount(p, p->total, t, sizeof(t));
		k += (size_t)snprintf(buf + k, len - k, " / %s", t);
	}
	if (p->unit != NULL && k < len)
		k += (size_t)snprintf(buf + k, len - k, " %s", p->unit);
	if (p->new_bytes != UINT64_MAX && k < len) {
		cmd_output_bytes(p->new_bytes, n, sizeof(n));
		cmd_output_bytes(p->dup_bytes, u, sizeof(u));
		k += (size_t)snprintf(buf + k, len - k, " in, %s new, %s "
		    "dedup", n, u);
	}
	if (k < len) {
		if (p->unit == NULL) {
			cmd_output_bytes((uint64_t)rate, r, sizeof(r));
			k += (size_t)snprintf(buf + k, len - k, ", %s/s", r);
		} else {
			k += (size_t)snprintf(buf + k, len - k, ", %.1f/s",
			    rate);
		}
	}
	clock_text(now - p->start, el, sizeof(el));
	if (k < len)
		k += (size_t)snprintf(buf + k, len - k, ", %s elapsed", el);
	if (p->total > 0 && rate > 0 && k < len) {
		clock_text((double)(p->total > p->done ? p->total - p->done :
		    0) / rate, eta, sizeof(eta));
		snprintf(buf + k, len - k, ", ETA %s", eta);
	}
}

/* Redraw the line in place (mu held). */
static void
draw(struct cmd_progress *p, double now)
{
	char buf[256];

	figures(p, now, buf, sizeof(buf));
	/* Trailing blanks cover a longer line drawn before. */
	fprintf(stderr, "\r%s: %s   ", p->label, buf);
	fflush(stderr);
	p->drawn = 1;
}

/* The SIGUSR1 answer: one whole line (mu held). */
static void
status(struct cmd_progress *p, double now)
{
	char buf[256], ago[32];

	figures(p, now, buf, sizeof(buf));
	clock_text(now - p->changed, ago, sizeof(ago));
	fprintf(stderr, "%sqsarc: %s: status: %s%s%s, last change %s ago\n",
	    p->drawn ? "\n" : "", p->sub, strcmp(p->label, p->sub) ? p->label
	    : "", strcmp(p->label, p->sub) ? ": " : "", buf, ago);
	fflush(stderr);
	p->drawn = 0;
}

/* Add ${ms} milliseconds to ${ts}. */
static void
ts_add(struct timespec *ts, long ms)
{

	ts->tv_nsec += ms * 1000000L;
	while (ts->tv_nsec >= 1000000000L) {
		ts->tv_nsec -= 1000000000L;
		ts->tv_sec++;
	}
}

static void *
meter_thread(void *arg)
{
	struct cmd_progress *p = arg;
	struct timespec ts;
	unsigned ticks = 0;

	pthread_mutex_lock(&p->mu);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	while (!p->stop) {
		ts_add(&ts, TICK_MS);
		while (!p->stop && pthread_cond_timedwait(&p->cv, &p->mu,
		    &ts) != ETIMEDOUT)
			;
		if (p->stop)
			break;
		if (status_wanted) {
			status_wanted = 0;
			status(p, cmd_clock_monotonic());
		}
		if (p->shown && ++ticks % REDRAW_TICKS == 0)
			draw(p, cmd_clock_monotonic());
	}
	pthread_mutex_unlock(&p->mu);
	return (NULL);
}

/**
 * cmd_progress_start(c, sub):
 * Start a meter; NULL if it cannot.
 */
struct cmd_progress *
cmd_progress_start(const struct cmd_options *c, const char *sub)
{
	struct cmd_progress *p;
	pthread_condattr_t ca;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	p->sub = sub;
	p->shown = cmd_progress_wanted(c);
	snprintf(p->label, sizeof(p->label), "%s", sub);
	p->new_bytes = UINT64_MAX;
	p->start = p->phase_start = p->changed = cmd_clock_monotonic();
	if (pthread_mutex_init(&p->mu, NULL) != 0)
		goto err0;
	/* Timed waits on the monotonic clock: a clock step changes nothing. */
	if (pthread_condattr_init(&ca) != 0)
		goto err1;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&p->cv, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		goto err1;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_create(&p->thread, NULL, meter_thread, p) != 0)
		goto err2;
	return (p);

err2:
	pthread_cond_destroy(&p->cv);
err1:
	pthread_mutex_destroy(&p->mu);
err0:
	free(p);
	return (NULL);
}

/**
 * cmd_progress_phase(p, label, unit, total):
 * Start a new phase of the job.
 */
void
cmd_progress_phase(struct cmd_progress *p, const char *label,
    const char *unit, uint64_t total)
{

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	/* The line of the phase before stays on the screen, ended. */
	if (p->shown && (p->drawn || p->done > 0)) {
		draw(p, cmd_clock_monotonic());
		fputc('\n', stderr);
		p->drawn = 0;
	}
	snprintf(p->label, sizeof(p->label), "%s",
	    label != NULL ? label : p->sub);
	p->unit = unit;
	p->total = total;
	p->done = 0;
	p->new_bytes = UINT64_MAX;
	p->phase_start = p->changed = cmd_clock_monotonic();
	pthread_mutex_unlock(&p->mu);
}

/**
 * cmd_progress_set(p, done, new_bytes, dup_bytes):
 * The job's figures so far.
 */
void
cmd_progress_set(struct cmd_progress *p, uint64_t done, uint64_t new_bytes,
    uint64_t dup_bytes)
{

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	if (done != p->done)
		p->changed = cmd_clock_monotonic();
	p->done = done;
	p->new_bytes = new_bytes;
	p->dup_bytes = dup_bytes;
	pthread_mutex_unlock(&p->mu);
}

/**
 * cmd_progress_break(p):
 * End the drawn line, if any.
 */
void
cmd_progress_break(struct cmd_progress *p)
{

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	if (p->drawn) {
		fputc('\n', stderr);
		fflush(stderr);
		p->drawn = 0;
	}
	pthread_mutex_unlock(&p->mu);
}

/**
 * cmd_progress_stop(p):
 * The last line, then the thread stopped and ${p} freed.
 */
void
cmd_progress_stop(struct cmd_progress *p)
{

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	/* The final figures, unless the job never had any. */
	if (p->shown && (p->drawn || p->done > 0)) {
		draw(p, cmd_clock_monotonic());
		fputc('\n', stderr);
	}
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
