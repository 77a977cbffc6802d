#ifndef QS_CMD_OUTPUT_H
#define QS_CMD_OUTPUT_H

/*
 * What the subcommands print: error lines "qsarc: SUBCOMMAND: detail" on
 * stderr with their exit codes, and the shared renderings of results
 * (JSON strings, UTC times, byte counts).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes: the same table is in README.md and qsarc.1. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* any other error */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NOTFOUND = 3,	/* no such store or stream; no member matched */
	EXIT_BUSY = 4,		/* store locked by another command */
	EXIT_PASSPHRASE = 5,	/* wrong or missing passphrase */
	EXIT_DAMAGE = 6,	/* damage found (corruption, authentication) */
	EXIT_STOPPED = 7,	/* stopped early by --max-duration */
	EXIT_NOTHING = 8,	/* nothing to do */
	EXIT_PARTIAL = 9,	/* get --extract-to refused some members */
	EXIT_NOSPACE = 10	/* clean: too little free space to finish */
};

/**
 * cmd_output_fail(sub, rc):
 * Print this thread's error detail (or the generic text of ${rc}) as
 * "qsarc: ${sub}: ..." and return the exit code for ${rc}.
 */
int cmd_output_fail(const char *, int);

/**
 * cmd_output_usage(sub, fmt, ...):
 * Print a usage error and a hint to --help; return EXIT_USAGE.
 */
int cmd_output_usage(const char *, const char *, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * cmd_output_exit_code(rc):
 * Map a QS_E* code to an exit code.
 */
int cmd_output_exit_code(int);

/**
 * cmd_output_utf8_char(p, len, cp):
 * The length of the valid UTF-8 sequence at ${p} (at most ${len} bytes)
 * and its code point in ${cp}; 0 if the bytes are not valid UTF-8.
 */
size_t cmd_output_utf8_char(const unsigned char *, size_t, uint32_t *);

/**
 * cmd_output_text(f, p, len) / cmd_output_text_str(f, s):
 * Write ${len} bytes at ${p} (or the string ${s}) to ${f} as bsdtar -t shows
 * a name: printable ASCII and valid printable UTF-8 as they are, a
 * backslash doubled, control bytes and bytes that are not valid UTF-8
 * escaped ("\n", "\303").  Every string that comes from a store, a tar or
 * another user (member and stream names, error details, the lock text, the
 * alert log) reaches the terminal through this, so it cannot forge a line
 * or drive the terminal.
 */
void cmd_output_text(FILE *, const char *, size_t);
void cmd_output_text_str(FILE *, const char *);

/**
 * cmd_output_utf8_valid(p, len):
 * Whether the ${len} bytes at ${p} are valid UTF-8 (overlong forms and
 * surrogates are not).
 */
int cmd_output_utf8_valid(const char *, size_t);

/**
 * cmd_output_json_string(f, s):
 * Print ${s} as a JSON string literal; bytes that are not valid UTF-8 are
 * written as U+FFFD (the replacement character).
 */
void cmd_output_json_string(FILE *, const char *);

/**
 * cmd_output_json_name(f, key, p, len):
 * Print the member "${key}": "..." for the ${len} bytes at ${p} (a name from
 * a tar or a store, NUL bytes included); when they are not valid UTF-8,
 * also ", "${key}_hex": "..."" with every byte in lower-case hex, so that
 * the name survives the U+FFFD of the string.
 */
void cmd_output_json_name(FILE *, const char *, const char *, size_t);

/**
 * cmd_output_json_time(f, key, t):
 * Print the member "${key}": "2026-11-28T10:00:00Z" for the unix time ${t}:
 * every time in --json output is an ISO 8601 UTC string.
 */
void cmd_output_json_time(FILE *, const char *, int64_t);

/**
 * cmd_output_utc(t, buf, len):
 * "2026-11-28T10:00:00Z" for the unix time ${t}.
 */
void cmd_output_utc(int64_t, char *, size_t);

/**
 * cmd_output_bytes(n, buf, buflen):
 * "1.5 GiB"-style rendering of ${n}; returns ${buf}.
 */
const char *cmd_output_bytes(uint64_t, char *, size_t);

#endif /* !QS_CMD_OUTPUT_H */
