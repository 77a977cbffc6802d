/*
 * qsarc rm STORE NAME...: mark streams expired (clean reclaims them, unexpire
 * brings them back until then).
 */

#include <getopt.h>
#include <stdio.h>

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
	int r, rc, status = EXIT_OK;

	if ((r = cmd_options_only(sub, argc, argv, &c)) >= 0)
		return (r);
	if (argc - optind < 2)
		return (cmd_output_usage(sub,
		    "expected STORE and at least one NAME"));
	store_set_command(sub);
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &c, NULL,
	    &s)) != QS_OK)
		return (cmd_output_fail(sub, rc));
	for (int i = optind + 1; i < argc; i++) {
		rc = unexpire ? store_unexpire(s, argv[i]) :
		    store_expire(s, argv[i]);
		if (rc != QS_OK)
			status = cmd_output_fail(sub, rc);
	}
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
