/*
 * qsarc expire STORE: expire streams by a retention policy (counts per
 * hour, day, week, month or year, ages).
 */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
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
	OPT_KEEP_HOURLY,
	OPT_KEEP_DAILY,
	OPT_KEEP_WEEKLY,
	OPT_KEEP_MONTHLY,
	OPT_KEEP_YEARLY,
	OPT_KEEP_WITHIN,
	OPT_OLDER_THAN,
	OPT_PREFIX,
	OPT_DRY_RUN,
	OPT_FAIL_IF_NOTHING
};

/*
 * The counted rules in index/jobs/expire.h's order: the option, the name
 * a reason gives, and what one bucket is.
 */
static const struct {
	const char *option, *name, *bucket, *buckets;
} rules[EXPIRE_NCOUNTS] = {
	{ "--keep-last", "last", "stream", "streams" },
	{ "--keep-hourly", "hourly", "hour", "hours" },
	{ "--keep-daily", "daily", "day", "days" },
	{ "--keep-weekly", "weekly", "week", "weeks" },
	{ "--keep-monthly", "monthly", "month", "months" },
	{ "--keep-yearly", "yearly", "year", "years" }
};

/* The parsed command line. */
struct expire_args {
	struct cmd_options c;
	struct expire_policy pol;
	const char *within;		/* --keep-within as given, or NULL */
	const char *older;		/* --older-than as given, or NULL */
	int dry_run;
	int fail_if_nothing;		/* --fail-if-nothing: exit 8 */
};

/* Parse into ${a}; -1 to go on, else the exit code (help, usage). */
static int
parse_args(int argc, char **argv, struct expire_args *a)
{
	static const struct option opts[] = {
		{ "keep-last", required_argument, NULL, OPT_KEEP_LAST },
		{ "keep-hourly", required_argument, NULL, OPT_KEEP_HOURLY },
		{ "keep-daily", required_argument, NULL, OPT_KEEP_DAILY },
		{ "keep-weekly", required_argument, NULL, OPT_KEEP_WEEKLY },
		{ "keep-monthly", required_argument, NULL, OPT_KEEP_MONTHLY },
		{ "keep-yearly", required_argument, NULL, OPT_KEEP_YEARLY },
		{ "keep-within", required_argument, NULL, OPT_KEEP_WITHIN },
		{ "older-than", required_argument, NULL, OPT_OLDER_THAN },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "fail-if-nothing", no_argument, NULL, OPT_FAIL_IF_NOTHING },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	long v;
	int given = 0, opt, r;

	memset(a, 0, sizeof(*a));
	cmd_options_init(&a->c);
	for (r = 0; r < EXPIRE_NCOUNTS; r++)
		a->pol.keep[r] = -1;
	a->pol.within = -1;
	a->pol.older_than = -1;
	while ((opt = getopt_long(argc, argv, CMD_OPTIONS_SHORT, opts,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("expire"));
		case OPT_KEEP_LAST:
		case OPT_KEEP_HOURLY:
		case OPT_KEEP_DAILY:
		case OPT_KEEP_WEEKLY:
		case OPT_KEEP_MONTHLY:
		case OPT_KEEP_YEARLY:
			r = opt - OPT_KEEP_LAST;
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    v < 0)
				return (cmd_output_usage("expire", "%s "
				    "needs a count, not \"%s\"",
				    rules[r].option, optarg));
			a->pol.keep[r] = v;
			given = 1;
			break;
		case OPT_KEEP_WITHIN:
			if (cmd_options_duration(optarg, &a->pol.within) != 0)
				return (cmd_output_usage("expire",
				    "--keep-within "
				    "needs an age like 7d, 36h or 1h30m, not "
				    "\"%s\"", optarg));
			a->within = optarg;
			given = 1;
			break;
		case OPT_OLDER_THAN:
			if (cmd_options_duration(optarg, &a->pol.older_than) !=
			    0)
				return (cmd_output_usage("expire",
				    "--older-than "
				    "needs an age like 90d, 12h or 1.5d, not "
				    "\"%s\"", optarg));
			a->older = optarg;
			given = 1;
			break;
		case OPT_PREFIX:
			a->pol.prefix = optarg;
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
	if (!given)
		return (cmd_output_usage("expire", "give at least one rule: "
		    "--keep-last, --keep-hourly, --keep-daily, --keep-weekly, "
		    "--keep-monthly, --keep-yearly N, --keep-within or "
		    "--older-than AGE"));
	return (-1);
}

/* A reason list being written. */
struct why {
	char *buf;
	size_t size, len;
	const char *sep;
};

/* Append one reason to ${w}, after the separator if not the first. */
static void why_add(struct why *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
why_add(struct why *w, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (w->len > 0 && w->len < w->size) {
		k = snprintf(w->buf + w->len, w->size - w->len, "%s", w->sep);
		w->len += k > 0 ? (size_t)k : 0;
	}
	if (w->len >= w->size)
		return;
	va_start(ap, fmt);
	k = vsnprintf(w->buf + w->len, w->size - w->len, fmt, ap);
	va_end(ap);
	w->len += k > 0 ? (size_t)k : 0;
}

/*
 * The reasons for ${v}: why each rule keeps it, or (expired) why each
 * rule let it go, into ${buf}.
 */
static void
reasons(const struct expire_args *a, const struct expire_verdict *v,
    char *buf, size_t size)
{
	struct why w = { buf, size, 0, v->expired ? "; " : ", " };
	int r;

	buf[0] = '\0';
	for (r = 0; r < EXPIRE_NCOUNTS; r++) {
		if (a->pol.keep[r] < 0)
			continue;
		if (!v->expired && v->rank[r] > 0)
			why_add(&w, "%s %ld", rules[r].name, v->rank[r]);
		else if (v->expired && v->rank[r] == EXPIRE_SHADOWED)
			why_add(&w, "%s: a newer stream has its %s", rules[r].name,
			    rules[r].bucket);
		else if (v->expired && a->pol.keep[r] == 0)
			why_add(&w, "%s: keeps none", rules[r].name);
		else if (v->expired && a->pol.keep[r] == 1)
			why_add(&w, "%s: not the newest %s", rules[r].name,
			    rules[r].bucket);
		else if (v->expired)
			why_add(&w, "%s: beyond the %ld newest %s",
			    rules[r].name, a->pol.keep[r], rules[r].buckets);
	}
	if (a->within != NULL && !v->expired && v->within)
		why_add(&w, "within %s", a->within);
	else if (a->within != NULL && v->expired)
		why_add(&w, "within: more than %s before the newest", a->within);
	if (a->older != NULL && !v->expired && v->newer)
		why_add(&w, "newer than %s", a->older);
	else if (a->older != NULL && v->expired)
		why_add(&w, "older than %s", a->older);
}

static void
print_verdicts(const struct expire_args *a, const char *root,
    const struct expire_verdict *v, size_t n)
{
	char why[1024];
	size_t nexp = 0, i, k;

	for (i = 0; i < n; i++)
		nexp += v[i].expired != 0;
	if (a->c.json) {
		printf("{\"dry_run\": %s, \"expired\": [", a->dry_run ?
		    "true" : "false");
		for (i = 0, k = 0; i < n; i++) {
			if (!v[i].expired)
				continue;
			printf("%s", k++ ? ", " : "");
			cmd_output_json_string(stdout, v[i].name);
		}
		printf("], \"streams\": [");
		for (i = 0; i < n; i++) {
			reasons(a, &v[i], why, sizeof(why));
			printf("%s{\"name\": ", i ? ", " : "");
			cmd_output_json_string(stdout, v[i].name);
			printf(", ");
			cmd_output_json_time(stdout, "created", v[i].created);
			printf(", \"action\": \"%s\", \"reason\": ",
			    v[i].expired ? "expire" : "keep");
			cmd_output_json_string(stdout, why);
			printf("}");
		}
		printf("]}\n");
	} else {
		/* Newest first; the dry run also says why. */
		for (i = 0; i < n; i++) {
			if (!v[i].expired && !a->dry_run)
				continue;
			reasons(a, &v[i], why, sizeof(why));
			printf("%s", !v[i].expired ? "keep " : a->dry_run ?
			    "would expire " : "expired ");
			cmd_output_text_str(stdout, v[i].name);
			if (!a->dry_run)
				printf("\n");
			else if (!v[i].expired)
				printf(" (%s)\n", why);
			else
				/*
				 * On a line of its own: "would expire NAME"
				 * stays a line scripts can match.
				 */
				printf("\n    (%s)\n", why);
		}
	}
	if (nexp == 0 && !a->c.json)
		fprintf(stderr, "qsarc: expire: %s: no stream matches the "
		    "rules; nothing expired\n", root);
}

/**
 * cmd_expire(argc, argv):
 * qsarc expire STORE [--keep-last N] [--keep-daily N] ... [--older-than D]
 */
int
cmd_expire(int argc, char **argv)
{
	struct expire_args a;
	struct store *s = NULL;
	struct expire_verdict *v = NULL;
	size_t n = 0, nexp = 0;
	int r, rc;

	if ((r = parse_args(argc, argv, &a)) >= 0)
		return (r);
	store_set_command("expire");
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &a.c,
	    NULL, &s)) != QS_OK)
		return (cmd_output_fail("expire", rc));
	rc = expire_rule(s, &a.pol, cmd_clock_now(), a.dry_run, &v, &n);
	if (rc != QS_OK) {
		r = cmd_output_fail("expire", rc);
		alerts_raise_after(cmd_alerts_env(), "expire", argv[optind], r, qs_error_message(),
		    s);
		store_close(s);
		return (r);
	}
	print_verdicts(&a, argv[optind], v, n);
	for (size_t i = 0; i < n; i++)
		nexp += v[i].expired != 0;
	expire_verdicts_free(v, n);
	/*
	 * A quiet day is not a failure: exit 0 unless asked (a "set -e"
	 * maintenance job must not stop on it).
	 */
	r = nexp == 0 && a.fail_if_nothing ? EXIT_NOTHING : EXIT_OK;
	alerts_raise_after(cmd_alerts_env(), "expire", argv[optind], r, NULL,
	    s);
	store_close(s);
	return (r);
}
