#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "format/manifest.h"
#include "format/qs_err.h"
#include "index/store.h"
#include "index/stream.h"

enum {
	OPT_EXPIRED = OPT_FIRST_LOCAL
};

static void
format_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/**
 * cmd_ls(argc, argv):
 * qsarc ls STORE [--expired] [--json]
 */
int
cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "expired", no_argument, NULL, OPT_EXPIRED },
		CMD_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const struct manifest_summary *sum;
	struct manifest_reader *mr;
	struct cmd_common c;
	struct store *s = NULL;
	char **names = NULL;
	size_t count = 0;
	char when[64], a[32], b[32];
	int opt, r, rc, expired = 0, printed = 0, status = EXIT_OK;

	cmd_common_init(&c);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help("ls"));
		case OPT_EXPIRED:
			expired = 1;
			break;
		default:
			r = cmd_common_option("ls", &c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_usage("ls", "unknown option"));
		}
	}
	if (argc - optind != 1)
		return (cmd_usage("ls", "expected one STORE"));
	store_set_command("ls");
	if ((rc = cmd_open_store("ls", argv[optind], STORE_LOCK_SHARED, &c,
	    &s)) != QS_OK)
		return (cmd_fail("ls", rc));
	if ((rc = store_list_streams(s, expired, &names, &count)) != QS_OK) {
		r = cmd_fail("ls", rc);
		store_close(s);
		return (r);
	}
	if (c.json)
		printf("{\"streams\": [");
	else
		printf("%-32s %-20s %12s %12s\n", "NAME", "CREATED (UTC)",
		    "SIZE", "NEW");
	for (size_t i = 0; i < count; i++) {
		/* A damaged manifest is reported; the others still list. */
		if ((rc = manifest_reader_open(s, names[i], expired, &mr)) !=
		    QS_OK) {
			status = cmd_fail("ls", rc);
			continue;
		}
		sum = manifest_reader_summary(mr);
		format_time(sum->created, when, sizeof(when));
		if (c.json) {
			printf("%s\n  {\"name\": ", printed++ ? "," : "");
			cmd_json_string(stdout, sum->name);
			printf(", \"created\": %lld, \"created_utc\": \"%s\", "
			    "\"length\": %llu, \"chunks\": %llu, "
			    "\"new_bytes\": %llu, \"new_stored_bytes\": %llu}",
			    (long long)sum->created, when,
			    (unsigned long long)sum->length,
			    (unsigned long long)sum->chunk_count,
			    (unsigned long long)sum->new_raw_bytes,
			    (unsigned long long)sum->new_stored_bytes);
		} else {
			printf("%-32s %-20s %12s %12s\n", sum->name, when,
			    cmd_format_bytes(sum->length, a, sizeof(a)),
			    cmd_format_bytes(sum->new_stored_bytes, b,
			    sizeof(b)));
		}
		manifest_reader_free(mr);
	}
	if (c.json)
		printf("%s]}\n", printed ? "\n" : "");
	store_names_free(names, count);
	store_close(s);
	return (status);
}

static int
rm_or_unexpire(int argc, char **argv, const char *sub, int unexpire)
{
	static const struct option opts[] = {
		CMD_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_common c;
	struct store *s = NULL;
	int opt, r, rc, status = EXIT_OK;

	cmd_common_init(&c);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return (cmd_help(sub));
		r = cmd_common_option(sub, &c, opt, optarg);
		if (r < 0)
			return (EXIT_USAGE);
		if (r == 0)
			return (cmd_usage(sub, "unknown option"));
	}
	if (argc - optind < 2)
		return (cmd_usage(sub, "expected STORE and at least one NAME"));
	store_set_command(sub);
	if ((rc = cmd_open_store(sub, argv[optind], STORE_LOCK_SHARED, &c,
	    &s)) != QS_OK)
		return (cmd_fail(sub, rc));
	for (int i = optind + 1; i < argc; i++) {
		rc = unexpire ? store_unexpire(s, argv[i]) :
		    store_expire(s, argv[i]);
		if (rc != QS_OK)
			status = cmd_fail(sub, rc);
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

	return (rm_or_unexpire(argc, argv, "rm", 0));
}

/**
 * cmd_unexpire(argc, argv):
 * qsarc unexpire STORE NAME...
 */
int
cmd_unexpire(int argc, char **argv)
{

	return (rm_or_unexpire(argc, argv, "unexpire", 1));
}
