#ifndef QS_CMD_OPTIONS_H
#define QS_CMD_OPTIONS_H

/*
 * Command-line parsing shared by the subcommands: the options most store
 * commands take, and the parsers of values several commands accept.  The
 * value parsers print their own usage error and return EXIT_USAGE, so a
 * caller just returns what they return.
 */

#include <stddef.h>
#include <stdint.h>

struct store;

/* Options most store commands share. */
struct cmd_options {
	const char *passphrase_file;
	int passphrase_fd;
	const char *passphrase_command;	/* --passphrase-command, or NULL */
	int lock_timeout;	/* seconds */
	int progress;		/* -1 auto (a terminal), 0 off, 1 on */
	int json;
	int threads;
	int quiet;		/* --quiet: no report text, no progress */
	int verbose;		/* --verbose: more detail where cheap */
};

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
	OPT_PASSPHRASE_COMMAND,
	OPT_FIRST_LOCAL = 1100
};
#define CMD_OPTIONS_COMMON						\
	{ "passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE }, \
	{ "passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD },  \
	{ "passphrase-command", required_argument, NULL,		\
	    OPT_PASSPHRASE_COMMAND },					\
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },    \
	{ "progress", no_argument, NULL, OPT_PROGRESS },		\
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },		\
	{ "json", no_argument, NULL, OPT_JSON },			\
	{ "threads", required_argument, NULL, OPT_THREADS },		\
	{ "quiet", no_argument, NULL, 'q' },				\
	{ "verbose", no_argument, NULL, 'v' },				\
	{ "help", no_argument, NULL, OPT_HELP }

/*
 * The short options of CMD_OPTIONS_COMMON (-q, -v), the optstring every
 * subcommand gives getopt_long, so that each takes them alike.
 */
#define CMD_OPTIONS_SHORT	"qv"

/**
 * cmd_options_init(c):
 * Defaults: no passphrase source, 60 s lock timeout, automatic progress.
 */
void cmd_options_init(struct cmd_options *);

/**
 * cmd_options_lock_timeout():
 * The seconds of the last --lock-timeout parsed by cmd_options_common in
 * this process, or the default 60 (the alerts lock waits as long as the
 * store lock: cmd_alerts_env).
 */
int cmd_options_lock_timeout(void);

/**
 * cmd_options_names(sub, names, n):
 * Check that each of the ${n} stream NAME arguments at ${names} is a valid
 * stream name; return -1 if all are, else print a usage error naming the
 * first bad one and return EXIT_USAGE.  "latest" and "latest:PREFIX" are
 * valid names: a command that reads streams resolves them once the store
 * is open (cmd_options_latest), and put refuses them.
 */
int cmd_options_names(const char *, char *const *, int);

/**
 * cmd_options_latest_prefix(name):
 * If ${name} is the keyword "latest" or "latest:PREFIX", the PREFIX ("" for
 * "latest"), else NULL.  The keyword names the newest stream; put refuses
 * it as the name of a new stream.
 */
const char *cmd_options_latest_prefix(const char *);

/**
 * cmd_options_latest(s, expired, names, n):
 * Replace each of the ${n} NAMEs at ${names} that is the keyword "latest"
 * or "latest:PREFIX" by the name of the newest stream of ${s} (live, or
 * expired if ${expired}) whose name starts with PREFIX (manifest_latest).
 * The new strings live until the program exits.  QS_OK, or QS_ENOENT (no
 * such stream, detail set) or another error, for cmd_output_fail.
 */
int cmd_options_latest(struct store *, int, char **, size_t);

/**
 * cmd_options_common(sub, c, opt, arg):
 * Handle a shared option by its getopt code (see CMD_OPTIONS_COMMON);
 * return 1 if handled, 0 if not ours, or -1 after printing a usage error
 * (also for --passphrase-command with --passphrase-file or -fd, and for
 * --quiet with --verbose, whichever comes second).
 */
int cmd_options_common(const char *, struct cmd_options *, int,
    const char *);

/**
 * cmd_options_unknown(sub, argv):
 * The usage error for the option getopt_long just refused (main sets
 * opterr to 0, so this is the only line): unknown or ambiguous, missing
 * its value, or given a value it does not take, naming the word of
 * ${argv} at optind - 1.  Return EXIT_USAGE.
 */
int cmd_options_unknown(const char *, char *const *);

/**
 * cmd_options_only(sub, argc, argv, c):
 * Parse the options of ${sub}, a command that takes only the shared ones,
 * into ${c} (initialised first); optind is then at the first operand.
 * Return -1 to go on, or the exit code after --help or a usage error.
 */
int cmd_options_only(const char *, int, char **, struct cmd_options *);

/*
 * The encryption settings that init --encrypt and encrypt share: their
 * getopt codes, the option table entries, and where they go.  The parser
 * writes only the fields of options given, so each caller starts from its
 * own defaults.
 */
enum {
	OPT_MODE = 1050,
	OPT_ROTATION_DAYS,
	OPT_KEYSTORE_BACKUP,
	OPT_KDF_TIME,
	OPT_KDF_MEMORY
};
#define CMD_OPTIONS_ENCRYPTION						\
	{ "mode", required_argument, NULL, OPT_MODE },			\
	{ "rotation-days", required_argument, NULL, OPT_ROTATION_DAYS }, \
	{ "keystore-backup", required_argument, NULL, OPT_KEYSTORE_BACKUP }, \
	{ "kdf-time", required_argument, NULL, OPT_KDF_TIME },		\
	{ "kdf-memory", required_argument, NULL, OPT_KDF_MEMORY }

struct cmd_options_encryption {
	int mode;			/* --mode */
	uint64_t rotation_secs;		/* --rotation-days, in seconds */
	const char *keystore_backup;	/* --keystore-backup */
	uint32_t kdf_t_cost;		/* --kdf-time */
	uint32_t kdf_m_cost_kib;	/* --kdf-memory */
	int mode_given, rotation_given;
};

/**
 * cmd_options_encryption(sub, e, opt, arg):
 * Handle an encryption option by its getopt code (CMD_OPTIONS_ENCRYPTION)
 * into ${e}; return 1 if handled, 0 if not ours, or -1 after printing a
 * usage error.
 */
int cmd_options_encryption(const char *, struct cmd_options_encryption *,
    int, const char *);

/**
 * cmd_options_key_mode(sub, arg, mode):
 * "internal" or "static" into ${mode}; 0, or a printed usage error
 * (EXIT_USAGE).
 */
int cmd_options_key_mode(const char *, const char *, int *);

/**
 * cmd_options_rotation_days(sub, arg, secs):
 * A rotation period in days (7 to 70 years) into ${secs} seconds; 0, or a
 * printed usage error (EXIT_USAGE).
 */
int cmd_options_rotation_days(const char *, const char *, uint64_t *);

/**
 * cmd_options_kdf_time(sub, arg, t):
 * --kdf-time (1 to 100 passes); 0, or a printed usage error (EXIT_USAGE).
 */
int cmd_options_kdf_time(const char *, const char *, uint32_t *);

/**
 * cmd_options_kdf_memory(sub, arg, kib):
 * --kdf-memory (8M to 4G, into KiB); 0, or a printed usage error
 * (EXIT_USAGE).
 */
int cmd_options_kdf_memory(const char *, const char *, uint32_t *);

/**
 * cmd_options_size(s, out):
 * Parse "123", "64K", "32M", "1G" (powers of 1024; "KiB", "kb" and the
 * like too).  Return 0 or -1 (nothing printed).
 */
int cmd_options_size(const char *, uint64_t *);

/**
 * cmd_options_duration(s, out):
 * A duration into whole seconds: a bare number is seconds ("90"); else one
 * or more terms of a number (a fraction allowed) and a unit s, m, h, d or w
 * ("45s", "2h", "90d", "1h30m", "1.5d", "2w3d"), added up and cut to whole
 * seconds.  No sign or spaces.  Return 0 or -1 (nothing printed).
 */
int cmd_options_duration(const char *, int64_t *);

#endif /* !QS_CMD_OPTIONS_H */
