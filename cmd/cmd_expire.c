/*
 * qsarc expire STORE: expire streams by age or count.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "format/qs_err.h"
#include "index/jobs/clean.h"
#include "index/store/store.h"

enum {
	OPT_KEEP_LAST = OPT_FIRST_LOCAL,
	OPT_OLDER_THAN,
	OPT_PREFIX,
	OPT_DRY_RUN
};

/**
 * cmd_expire(argc, argv):
 * qsarc expire STORE [--keep-last N] [--older-than D] [--prefix P]
 */
int
cmd_expire(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep-last", required_argument, NULL, OPT_KEEP_LAST },
		{ "older-than", required_argument, NULL, OPT_OLDER_THAN },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_options c;
	struct store *s = NULL;
	const char *prefix = NULL;
	char **names = NULL;
	size_t n = 0;
	long keep_last = -1;
	int64_t older = -1;
	int dry_run = 0;
	char *end;
	int opt, r, rc;

	cmd_options_init(&c);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("expire"));
		case OPT_KEEP_LAST:
			keep_last = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || keep_last < 0)
				return (cmd_output_usage("expire", "--keep-last needs "
				    "a count, not \"%s\"", optarg));
			break;
		case OPT_OLDER_THAN:
			if (cmd_options_duration(optarg, &older) != 0)
				return (cmd_output_usage("expire", "--older-than "
				    "needs an age like 90d or 12h, not \"%s\"",
				    optarg));
			break;
		case OPT_PREFIX:
			prefix = optarg;
			break;
		case OPT_DRY_RUN:
			dry_run = 1;
			break;
		default:
			r = cmd_options_common("expire", &c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_output_usage("expire", "unknown option"));
		}
	}
	if (argc - optind != 1)
		return (cmd_output_usage("expire", "expected one STORE"));
	if (keep_last < 0 && older < 0)
		return (cmd_output_usage("expire", "give --keep-last N, --older-than "
		    "AGE, or both"));
	store_set_command("expire");
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED,
	    &c, NULL, &s)) != QS_OK)
		return (cmd_output_fail("expire", rc));
	rc = expire_rule(s, prefix, keep_last, older, cmd_clock_now(),
	    dry_run, &names, &n);
	if (rc != QS_OK) {
		r = cmd_output_fail("expire", rc);
		cmd_alert_after("expire", argv[optind], r, qs_error_message(),
		    s);
		store_close(s);
		return (r);
	}
	if (c.json) {
		printf("{\"dry_run\": %s, \"expired\": [", dry_run ? "true" :
		    "false");
		for (size_t i = 0; i < n; i++) {
			printf("%s", i ? ", " : "");
			cmd_output_json_string(stdout, names[i]);
		}
		printf("]}\n");
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%s%s\n", dry_run ? "would expire " :
			    "expired ", names[i]);
	}
	if (n == 0 && !c.json)
		fprintf(stderr, "qsarc: expire: %s: no stream matches the rules; "
		    "nothing expired\n", argv[optind]);
	store_names_free(names, n);
	cmd_alert_after("expire", argv[optind], n == 0 ? EXIT_NOTHING : EXIT_OK,
	    NULL, s);
	store_close(s);
	return (n == 0 ? EXIT_NOTHING : EXIT_OK);
}
