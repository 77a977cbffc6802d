/*
 * qsarc: deduplicated, compressed, encrypted archive store for streams.
 * Dispatches to the subcommands; see cmd/cmd.h for the conventions.
 */

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_help.h"
#include "format/config.h"
#include "format/manifest_fmt.h"
#include "format/container_fmt.h"
#include "format/fileio.h"

#define QSARC_VERSION	"0.1.0"

int
main(int argc, char **argv)
{
	const struct cmd_def *c;

	struct rlimit nocore = { 0, 0 };

	/*
	 * Keys and passphrases live in this process's memory: never write
	 * them into a core file, and keep other processes of the same user
	 * from reading them through ptrace or /proc/PID/mem.
	 */
	(void)setrlimit(RLIMIT_CORE, &nocore);
#ifndef __SANITIZE_ADDRESS__
	/* (LeakSanitizer needs to ptrace the process at exit.) */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
	/* A reader that goes away is an error on write, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	/* SIGUSR1 asks a long job for a status line (cmd_progress.h). */
	cmd_progress_signals();
	/*
	 * Everything qsarc creates is private to its owner: a store holds
	 * the data of what it backs up, and so do get --output and the
	 * directories --extract-to makes on the way (members themselves get
	 * the mode the tar gives them).
	 */
	(void)umask(077);
	/*
	 * A closed stdin, stdout or stderr would be reused by the first file
	 * we open (the lock file...), and a stream would go into it.  Point
	 * them at /dev/null opened read-only: reading gives end of file,
	 * writing fails.
	 */
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", O_RDONLY) != fd)
			return (EXIT_ERROR);
	}
	/*
	 * getopt_long prints nothing: each subcommand prints the one usage
	 * line (cmd_options_unknown), which names the subcommand and the
	 * option and points at --help.
	 */
	opterr = 0;
	if (argc < 2) {
		cmd_help_usage(stderr);
		return (EXIT_USAGE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cmd_help_usage(stdout);
		return (EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("qsarc %s\n"
		    "writes: config v%d, container v%d, manifest v%d\n"
		    "reads:  config v%d, container v%d, manifest v%d\n",
		    QSARC_VERSION, CONFIG_VERSION, CONTAINER_VERSION,
		    MANIFEST_VERSION, CONFIG_VERSION, CONTAINER_VERSION,
		    MANIFEST_VERSION);
		if (fileio_test_hooks())
			printf("test build: QSARC_TEST_NOW, QSARC_CRASH_AT, "
			    "QSARC_ENOSPC_AT, QSARC_COUNT_FILE are live\n");
		return (EXIT_OK);
	}
	if ((c = cmd_help_find(argv[1])) == NULL) {
		fprintf(stderr, "qsarc: unknown subcommand \"%s\" (see "
		    "'qsarc --help')\n", argv[1]);
		return (EXIT_USAGE);
	}
	return (c->run(argc - 1, argv + 1));
}
