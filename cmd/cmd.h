#ifndef QS_CMD_H
#define QS_CMD_H

/*
 * Shared by the subcommands: the only layer that prints.  Every message is
 * one line, "qsarc: SUBCOMMAND: detail", on stderr; results go to stdout.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd/cmd_help.h"

struct store;

/* Exit codes: the same table is in README.md and qsarc.1. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* any other error */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NOTFOUND = 3,	/* no such store or stream */
	EXIT_BUSY = 4,		/* store locked by another command */
	EXIT_PASSPHRASE = 5,	/* wrong or missing passphrase */
	EXIT_DAMAGE = 6,	/* damage found (corruption, authentication) */
	EXIT_STOPPED = 7,	/* stopped early by --max-duration */
	EXIT_NOTHING = 8	/* nothing to do */
};

/* Options most store commands share. */
struct cmd_common {
	const char *passphrase_file;
	int passphrase_fd;
	int lock_timeout;	/* seconds */
	int progress;		/* -1 auto (a terminal), 0 off, 1 on */
	int json;
	int threads;
};

/**
 * cmd_fail(sub, rc):
 * Print this thread's error detail (or the generic text of ${rc}) as
 * "qsarc: ${sub}: ..." and return the exit code for ${rc}.
 */
int cmd_fail(const char *, int);

/**
 * cmd_usage(sub, fmt, ...):
 * Print a usage error and a hint to --help; return EXIT_USAGE.
 */
int cmd_usage(const char *, const char *, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * cmd_exit_code(rc):
 * Map a QS_E* code to an exit code.
 */
int cmd_exit_code(int);

/**
 * cmd_now():
 * The current time in unix seconds.  QSARC_TEST_NOW overrides the clock
 * (documented as test-only: it lets tests move time for key rotation and
 * expiry).
 */
int64_t cmd_now(void);

/**
 * cmd_common_init(c):
 * Defaults: no passphrase source, 60 s lock timeout, automatic progress.
 */
void cmd_common_init(struct cmd_common *);

/**
 * cmd_common_option(c, opt, arg):
 * Handle a shared option by its getopt code (see CMD_COMMON_OPTIONS);
 * return 1 if handled, 0 if not ours, or -1 after printing a usage error.
 */
int cmd_common_option(const char *, struct cmd_common *, int, const char *);

/*
 * getopt_long codes of the shared options, and their table entries.
 */
enum {
	OPT_PASSPHRASE_FILE = 1000,
	OPT_PASSPHRASE_FD,
	OPT_LOCK_TIMEOUT,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_JSON,
	OPT_THREADS,
	OPT_HELP,
	OPT_FIRST_LOCAL = 1100
};
#define CMD_COMMON_OPTIONS						\
	{ "passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE }, \
	{ "passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD },  \
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },    \
	{ "progress", no_argument, NULL, OPT_PROGRESS },		\
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },		\
	{ "json", no_argument, NULL, OPT_JSON },			\
	{ "threads", required_argument, NULL, OPT_THREADS },		\
	{ "help", no_argument, NULL, OPT_HELP }

/**
 * cmd_open_store(sub, root, lockmode, c, s):
 * Open the store, reading the passphrase first if it is encrypted.
 * Return QS_OK or an error code (the detail is recorded, not printed).
 */
int cmd_open_store(const char *, const char *, int,
    const struct cmd_common *, struct store **);

/**
 * cmd_passphrase_hint(c):
 * Append "(passphrase read from SOURCE)" to the recorded error detail.
 */
void cmd_passphrase_hint(const struct cmd_common *);

/**
 * cmd_read_passphrase(sub, c, prompt, confirm, pass, passlen):
 * Read a passphrase from --passphrase-file, --passphrase-fd,
 * QSARC_PASSPHRASE or the terminal (asked twice if ${confirm}), in that
 * order.  ${pass} is secure memory; free with cmd_free_passphrase().
 */
int cmd_read_passphrase(const char *, const char *, int, const char *, int,
    uint8_t **, size_t *);

/**
 * cmd_free_passphrase(pass, len):
 * Wipe and free a passphrase.  NULL is allowed.
 */
void cmd_free_passphrase(uint8_t *, size_t);

/**
 * cmd_parse_key_mode(sub, arg, mode):
 * "internal" or "static" into ${mode}; 0, or a printed usage error
 * (EXIT_USAGE).
 */
int cmd_parse_key_mode(const char *, const char *, int *);

/**
 * cmd_parse_rotation_days(sub, arg, secs):
 * A rotation period in days (7 to 70 years) into ${secs} seconds; 0, or a
 * printed usage error (EXIT_USAGE).
 */
int cmd_parse_rotation_days(const char *, const char *, uint64_t *);

/**
 * cmd_parse_kdf_time(sub, arg, t) / cmd_parse_kdf_memory(sub, arg, kib):
 * --kdf-time (1 to 100 passes) and --kdf-memory (8M to 4G, into KiB);
 * 0, or a printed usage error (EXIT_USAGE).
 */
int cmd_parse_kdf_time(const char *, const char *, uint32_t *);
int cmd_parse_kdf_memory(const char *, const char *, uint32_t *);

/**
 * cmd_parse_size(s, out):
 * Parse "123", "64K", "32M", "1G" (powers of 1024).  Return 0 or -1.
 */
int cmd_parse_size(const char *, uint64_t *);

/**
 * cmd_parse_duration(s, out):
 * "90" (seconds), "45s", "30m", "2h", "90d", "2w" into seconds.  Return 0
 * or -1.
 */
int cmd_parse_duration(const char *, int64_t *);

/**
 * cmd_rm_each(argc, argv, sub, unexpire):
 * The shared body of rm and unexpire: parse the common options, open STORE
 * and expire (or, with ${unexpire}, bring back) each NAME; the exit code.
 */
int cmd_rm_each(int, char **, const char *, int);

/**
 * cmd_progress_wanted(c):
 * Whether to show progress: --progress, or stderr is a terminal.
 */
int cmd_progress_wanted(const struct cmd_common *);

/**
 * cmd_progress_line(what, done, total, start):
 * Draw "what: done [/ total] rate ETA" on stderr, overwriting the line.
 * ${total} 0 means unknown.  cmd_progress_end() ends the line.
 */
void cmd_progress_line(const char *, uint64_t, uint64_t, double);
void cmd_progress_end(void);

/**
 * cmd_monotonic():
 * Seconds from an arbitrary start, for rates.
 */
double cmd_monotonic(void);

/**
 * cmd_utf8_char(p, len, cp):
 * The length of the valid UTF-8 sequence at ${p} (at most ${len} bytes)
 * and its code point in ${cp}; 0 if the bytes are not valid UTF-8.
 */
size_t cmd_utf8_char(const unsigned char *, size_t, uint32_t *);

/**
 * cmd_json_string(f, s):
 * Print ${s} as a JSON string literal; bytes that are not valid UTF-8 are
 * written as the code points U+0080..U+00FF of the same value.
 */
void cmd_json_string(FILE *, const char *);

/**
 * cmd_format_utc(t, buf, len):
 * "2026-11-28T10:00:00Z" for the unix time ${t}.
 */
void cmd_format_utc(int64_t, char *, size_t);

/**
 * cmd_format_bytes(n, buf, buflen):
 * "1.5 GiB"-style rendering of ${n}.
 */
const char *cmd_format_bytes(uint64_t, char *, size_t);

/* The subcommands. */
int cmd_init(int, char **);
int cmd_put(int, char **);
int cmd_get(int, char **);
int cmd_ls(int, char **);
int cmd_rm(int, char **);
int cmd_unexpire(int, char **);
int cmd_stats(int, char **);
int cmd_encrypt(int, char **);
int cmd_rekey(int, char **);
int cmd_keystore(int, char **);
int cmd_keys(int, char **);
int cmd_clean(int, char **);
int cmd_diff(int, char **);
int cmd_replicate(int, char **);
int cmd_expire(int, char **);
int cmd_alerts(int, char **);
int cmd_verify(int, char **);

/*
 * Old names, for callers not yet moved to the new ones (cmd_alerts.c and
 * the branches merged with it).  Remove once nothing uses them.
 */
#define cmd_help(sub)	cmd_help_print(sub)

#endif /* !QS_CMD_H */
