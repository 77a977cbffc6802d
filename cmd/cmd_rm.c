/*
 * qsarc rm STORE NAME...: mark streams expired (clean reclaims them, unexpire
 * brings them back until then).
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_rm.h"
#include "format/qs_err.h"
#include "index/store/store.h"

/**
 * cmd_rm_each(argc, argv, sub, unexpire):
 * The shared body of rm and unexpire: parse the common options, open STORE
 * and expire (or, with ${unexpire}, bring back) each NAME; the exit code.
 */
int
cmd_rm_each(int argc, char **argv, const char *sub, int unexpire)
{
	struct cmd_options c;
	struct store *s = NULL;
	int r, rc, moved = 0, opened, status = EXIT_OK;

	if ((r = cmd_options_only(sub, argc, argv, &c)) >= 0)
		return (r);
	if (argc - optind < 2)
		return (cmd_output_usage(sub,
		    "expected STORE and at least one NAME"));
	if ((r = cmd_options_names(sub, argv + optind + 1, argc - optind - 1))
	    >= 0)
		return (r);
	store_set_command(sub);
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &c, NULL,
	    &s)) != QS_OK)
		return (cmd_output_fail(sub, rc));
	/* The newest live stream for rm, the newest expired for unexpire. */
	if ((rc = cmd_options_latest(s, unexpire, argv + optind + 1,
	    (size_t)(argc - optind - 1))) != QS_OK) {
		status = cmd_output_fail(sub, rc);
		store_close(s);
		return (status);
	}
	/*
	 * All or nothing: every NAME must be there (live for rm, expired for
	 * unexpire) before any is moved, so that a typo in the third name
	 * does not leave the first two moved.  A NAME given twice counts
	 * once.
	 */
	for (int i = optind + 1; i < argc && status == EXIT_OK; i++) {
		int st = store_stream_state(s, argv[i]);

		if (st < 0)
			status = cmd_output_fail(sub, st);
		else if (st != (unexpire ? 2 : 1))
			status = cmd_output_fail(sub, qs_error_set(QS_ENOENT,
			    "%s: no %s stream of that name%s", argv[i],
			    unexpire ? "expired" : "live", st == 0 ? "" :
			    unexpire ? " (it is live)" : " (it is already "
			    "expired)"));
	}
	/* --json: the names moved, printed once the checks above passed. */
	if ((opened = (status == EXIT_OK && c.json)))
		printf("{\"%s\": [", unexpire ? "unexpired" : "expired");
	for (int i = optind + 1; i < argc && status == EXIT_OK; i++) {
		int j;

		for (j = optind + 1; j < i && strcmp(argv[j], argv[i]); j++)
			;
		if (j < i)
			continue;
		rc = unexpire ? store_unexpire(s, argv[i]) :
		    store_expire(s, argv[i]);
		if (rc != QS_OK)
			status = cmd_output_fail(sub, rc);
		else if (c.json)
			printf("%s\"%s\"", moved++ ? ", " : "", argv[i]);
	}
	/* A move that failed part way: the object still says what moved. */
	if (opened)
		printf("]}\n");
	store_close(s);
	return (status);
}

/**
 * cmd_rm(argc, argv):
 * qsarc rm STORE NAME...
 */
int
cmd_rm(int argc, char **argv)
{

	return (cmd_rm_each(argc, argv, "rm", 0));
}
