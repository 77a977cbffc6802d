#ifndef QS_CMD_HELP_H
#define QS_CMD_HELP_H

/*
 * The table of subcommands: names, one-line summaries, --help texts.
 */

#include <stdio.h>

struct cmd_def {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
	const char *usage;	/* full --help text */
};

/**
 * cmd_help_find(name):
 * The subcommand called ${name}, or NULL.
 */
const struct cmd_def *cmd_help_find(const char *);

/**
 * cmd_help_print(sub):
 * Print the --help text of ${sub} to stdout; return EXIT_OK.
 */
int cmd_help_print(const char *);

/**
 * cmd_help_usage(f):
 * Print the program's usage (the subcommands and exit codes) to ${f}.
 */
void cmd_help_usage(FILE *);

/**
 * cmd_help_run(argc, argv):
 * qsarc help [SUBCOMMAND]
 */
int cmd_help_run(int, char **);

/* The subcommands (their --help texts are in the table in cmd_help.c). */
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
int cmd_find(int, char **);
int cmd_replicate(int, char **);
int cmd_expire(int, char **);
int cmd_alerts(int, char **);
int cmd_verify(int, char **);

#endif /* !QS_CMD_HELP_H */
