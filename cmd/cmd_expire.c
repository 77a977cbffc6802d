/*
 * qsarc expire STORE: expire streams by age or count.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "format/qs_err.h"
#include "index/jobs/expire.h"
#include "index/store/store.h"

enum {
	OPT_KEEP_LAST = OPT_FIRST_LOCAL,
	OPT_OLDER_THAN,
	OPT_PREFIX,
	OPT_DRY_RUN,
	OPT_FAIL_IF_NOTHING
};

/* The parsed command line. */
struct expire_args {
	struct cmd_options c;
	const char *prefix;		/* --prefix, or NULL */
	long keep_last;			/* --keep-last, or -1 */
	int64_t older;			/* --older-than in seconds, or -1 */
	int dry_run;
	int fail_if_nothing;		/* --fail-if-nothing: exit 8 */
};

/* Parse into ${a}; -1 to go on, else the exit code (help, usage). */
static int
parse_args(int argc, char **argv, struct expire_args *a)
{
	static const struct option opts[] = {
		{ "keep-last", required_argument, NULL, OPT_KEEP_LAST },
		{ "older-than", required_argument, NULL, OPT_OLDER_THAN },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "fail-if-nothing", no_argument, NULL, OPT_FAIL_IF_NOTHING },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int opt, r;

	memset(a, 0, sizeof(*a));
	cmd_options_init(&a->c);
	a->keep_last = -1;
	a->older = -1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("expire"));
		case OPT_KEEP_LAST:
			a->keep_last = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || a->keep_last < 0)
				return (cmd_output_usage("expire",
				    "--keep-last "
				    "needs a count, not \"%s\"", optarg));
			break;
		case OPT_OLDER_THAN:
			if (cmd_options_duration(optarg, &a->older) != 0)
				return (cmd_output_usage("expire",
				    "--older-than "
				    "needs an age like 90d or 12h, not \"%s\"",
				    optarg));
			break;
		case OPT_PREFIX:
			a->prefix = optarg;
			break;
		case OPT_DRY_RUN:
			a->dry_run = 1;
			break;
		case OPT_FAIL_IF_NOTHING:
			a->fail_if_nothing = 1;
			break;
		default:
			r = cmd_options_common("expire", &a->c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_options_unknown("expire", argv));
		}
	}
	if (argc - optind != 1)
		return (cmd_output_usage("expire", "expected one STORE"));
	if (a->keep_last < 0 && a->older < 0)
		return (cmd_output_usage("expire", "give --keep-last N, "
		    "--older-than AGE, or both"));
	return (-1);
}

static void
print_expired(const struct expire_args *a, const char *root, char **names,
    size_t n)
{

	if (a->c.json) {
		printf("{\"dry_run\": %s, \"expired\": [", a->dry_run ?
		    "true" : "false");
		for (size_t i = 0; i < n; i++) {
			printf("%s", i ? ", " : "");
			cmd_output_json_string(stdout, names[i]);
		}
		printf("]}\n");
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%s%s\n", a->dry_run ? "would expire " :
			    "expired ", names[i]);
	}
	if (n == 0 && !a->c.json)
		fprintf(stderr, "qsarc: expire: %s: no stream matches the "
		    "rules; nothing expired\n", root);
}

/**
 * cmd_expire(argc, argv):
 * qsarc expire STORE [--keep-last N] [--older-than D] [--prefix P]
 */
int
cmd_expire(int argc, char **argv)
{
	struct expire_args a;
	struct store *s = NULL;
	char **names = NULL;
	size_t n = 0;
	int r, rc;

	if ((r = parse_args(argc, argv, &a)) >= 0)
		return (r);
	store_set_command("expire");
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &a.c,
	    NULL, &s)) != QS_OK)
		return (cmd_output_fail("expire", rc));
	rc = expire_rule(s, a.prefix, a.keep_last, a.older, cmd_clock_now(),
	    a.dry_run, &names, &n);
	if (rc != QS_OK) {
		r = cmd_output_fail("expire", rc);
		alerts_raise_after(cmd_alerts_env(), "expire", argv[optind], r, qs_error_message(),
		    s);
		store_close(s);
		return (r);
	}
	print_expired(&a, argv[optind], names, n);
	store_names_free(names, n);
	/*
	 * A quiet day is not a failure: exit 0 unless asked (a "set -e"
	 * maintenance job must not stop on it).
	 */
	r = n == 0 && a.fail_if_nothing ? EXIT_NOTHING : EXIT_OK;
	alerts_raise_after(cmd_alerts_env(), "expire", argv[optind], r, NULL,
	    s);
	store_close(s);
	return (r);
}
