/*
 * qsarc clean STORE: reclaim space, encrypt old plain data, retire keys.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "format/qs_err.h"
#include "index/jobs/clean.h"
#include "index/store/store.h"

enum {
	OPT_DRY_RUN = OPT_FIRST_LOCAL,
	OPT_MAX_DURATION,
	OPT_THRESHOLD
};

struct clean_progress_ctx {
	struct cmd_progress *meter;
	const char *phase;	/* the engine's step, or NULL before the first */
};

/* Each step of the engine is a phase of the meter: "clean mark: 3 / 10". */
static void
clean_progress_cb(void *ctx, const char *what, uint64_t done, uint64_t total)
{
	struct clean_progress_ctx *pc = ctx;
	char label[64];

	if (pc->phase == NULL || strcmp(pc->phase, what) != 0) {
		pc->phase = what;
		snprintf(label, sizeof(label), "clean %s", what);
		cmd_progress_phase(pc->meter, label, strcmp(what, "reclaim") ==
		    0 ? "containers" : "streams", total);
	}
	cmd_progress_set(pc->meter, done, UINT64_MAX, 0);
}

/* The parsed command line. */
struct clean_args {
	struct cmd_options c;
	struct clean_opts o;
};

/* Parse into ${a}; -1 to go on, else the exit code (help, usage). */
static int
parse_args(int argc, char **argv, struct clean_args *a)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "max-duration", required_argument, NULL, OPT_MAX_DURATION },
		{ "rewrite-threshold", required_argument, NULL, OPT_THRESHOLD },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_options *c = &a->c;
	struct clean_opts *o = &a->o;
	int64_t secs;
	char *end;
	int opt, r;

	memset(a, 0, sizeof(*a));
	cmd_options_init(c);
	o->rewrite_threshold = CLEAN_DEFAULT_THRESHOLD;
	while ((opt = getopt_long(argc, argv, CMD_OPTIONS_SHORT, opts,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("clean"));
		case OPT_DRY_RUN:
			o->dry_run = 1;
			break;
		case OPT_MAX_DURATION:
			if (cmd_options_duration(optarg, &secs) != 0 ||
			    secs == 0)
				return (cmd_output_usage("clean",
				    "--max-duration "
				    "needs a duration like 90m or 2h, not "
				    "\"%s\"", optarg));
			o->max_seconds = (double)secs;
			break;
		case OPT_THRESHOLD:
			o->rewrite_threshold = strtod(optarg, &end) / 100.0;
			if (*end != '\0' || o->rewrite_threshold <= 0 ||
			    o->rewrite_threshold >= 1)
				return (cmd_output_usage("clean",
				    "--rewrite-threshold "
				    "is a percentage from 1 to 99, not \"%s\"",
				    optarg));
			break;
		default:
			r = cmd_options_common("clean", c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_options_unknown("clean", argv));
		}
	}
	if (argc - optind != 1)
		return (cmd_output_usage("clean", "expected one STORE"));
	return (-1);
}

/* --verbose: the rest of the figures --json has, one a line. */
static void
print_verbose(const struct clean_args *a, const struct clean_result *res)
{
	const char *would = a->o.dry_run ? "would be " : "";

	printf("stored before: %llu bytes, after: %llu bytes\n",
	    (unsigned long long)res->stored_before,
	    (unsigned long long)res->stored_after);
	printf("leftover files %sremoved: %llu\n", would,
	    (unsigned long long)res->tmp_removed);
	printf("catalogues %sremoved: %llu\n", would,
	    (unsigned long long)res->catalogues_removed);
	printf("manifests %srewritten: %llu\n", would,
	    (unsigned long long)res->manifests_rewritten);
	printf("rewrites waiting for space: %llu\n",
	    (unsigned long long)res->rewrites_waiting);
}

static void
print_result(const struct clean_args *a, const struct clean_result *res)
{
	const struct clean_opts *o = &a->o;
	char b1[32], b2[32], b3[32];

	if (a->c.json) {
		printf("{\"dry_run\": %s, \"bytes_reclaimed\": %llu, "
		    "\"stored_before\": %llu, \"stored_after\": %llu, "
		    "\"containers_deleted\": %llu, "
		    "\"containers_rewritten\": %llu, "
		    "\"expired_streams_removed\": %llu, "
		    "\"leftovers_removed\": %llu, "
		    "\"catalogues_removed\": %llu, "
		    "\"plain_bytes\": %llu, \"bytes_encrypted\": %llu, "
		    "\"manifests_rewritten\": %llu, "
		    "\"manifests_upgraded\": %llu, "
		    "\"encryption_waiting\": %s, "
		    "\"streams_waiting\": %llu, \"space_needed\": %llu, "
		    "\"space_free\": %llu, \"rewrites_waiting\": %llu, "
		    "\"reserve_missing\": %s, \"keys_retired\": [",
		    o->dry_run ? "true" : "false",
		    (unsigned long long)res->bytes_reclaimed,
		    (unsigned long long)res->stored_before,
		    (unsigned long long)res->stored_after,
		    (unsigned long long)res->containers_deleted,
		    (unsigned long long)res->containers_rewritten,
		    (unsigned long long)res->expired_removed,
		    (unsigned long long)res->tmp_removed,
		    (unsigned long long)res->catalogues_removed,
		    (unsigned long long)res->plain_bytes,
		    (unsigned long long)res->bytes_encrypted,
		    (unsigned long long)res->manifests_rewritten,
		    (unsigned long long)res->manifests_upgraded,
		    res->encryption_waiting ? "true" : "false",
		    (unsigned long long)res->streams_waiting,
		    (unsigned long long)res->space_needed,
		    (unsigned long long)res->space_free,
		    (unsigned long long)res->rewrites_waiting,
		    res->reserve_missing ? "true" : "false");
		for (uint64_t i = 0; i < res->keys_retired; i++)
			printf("%s%u", i ? ", " : "", res->retired[i]);
		printf("], \"stopped_early\": %s, \"seconds\": %.3f}\n",
		    res->stopped_early ? "true" : "false", res->seconds);
	} else if (!a->c.quiet) {
		const char *would = o->dry_run ? "would be " : "";

		printf("%s%s reclaimed (%s -> %s stored)\n", o->dry_run ?
		    "dry run: " : "", cmd_output_bytes(res->bytes_reclaimed, b1,
		    sizeof(b1)), cmd_output_bytes(res->stored_before, b2,
		    sizeof(b2)), cmd_output_bytes(res->stored_after, b3,
		    sizeof(b3)));
		printf("containers %sdeleted: %llu, %srewritten: %llu; "
		    "expired streams %sremoved: %llu\n", would,
		    (unsigned long long)res->containers_deleted, would,
		    (unsigned long long)res->containers_rewritten, would,
		    (unsigned long long)res->expired_removed);
		if (res->plain_bytes > 0 || res->bytes_encrypted > 0)
			printf("unencrypted data: %s, %sencrypted: %s\n",
			    cmd_output_bytes(res->plain_bytes, b1, sizeof(b1)),
			    would, cmd_output_bytes(o->dry_run ?
			    res->plain_bytes : res->bytes_encrypted, b2,
			    sizeof(b2)));
		if (res->manifests_upgraded > 0)
			printf("manifests %supgraded to the current version "
			    "(frames bound to their file, padded when "
			    "sealed): %llu\n", would,
			    (unsigned long long)res->manifests_upgraded);
		if (res->keys_retired > 0) {
			printf("keys %sretired (crypto-shredded: data under "
			    "them is gone for good):", o->dry_run ?
			    "that would be " : "");
			for (uint64_t i = 0; i < res->keys_retired; i++)
				printf(" %u", res->retired[i]);
			printf("\n");
		}
		printf("time: %.1f s\n", res->seconds);
		if (a->c.verbose)
			print_verbose(a, res);
	}
}

/**
 * cmd_clean(argc, argv):
 * qsarc clean STORE [--dry-run] [--max-duration D] [--rewrite-threshold P]
 */
int
cmd_clean(int argc, char **argv)
{
	struct clean_progress_ctx pc;
	struct clean_result res;
	struct clean_args a;
	struct clean_opts o;
	struct cmd_options c;
	struct store *s = NULL;
	int r, rc, status = EXIT_OK;

	if ((r = parse_args(argc, argv, &a)) >= 0)
		return (r);
	/* The engine's options, completed with the clock, scanner, progress. */
	c = a.c;
	o = a.o;
	store_set_command(o.dry_run ? "clean --dry-run" : "clean");
	/* A dry run changes nothing, so it can share the store. */
	if ((rc = cmd_passphrase_open(argv[optind], o.dry_run ?
	    STORE_LOCK_SHARED : STORE_LOCK_EXCLUSIVE, &c, NULL, &s)) != QS_OK) {
		r = cmd_output_fail("clean", rc);
		alerts_raise_after(cmd_alerts_env(), "clean", argv[optind], r, qs_error_message(),
		    NULL);
		return (r);
	}
	o.now = cmd_clock_now();
	o.catalogue = 1;
	/* Always a meter: SIGUSR1 asks it for a status line. */
	pc.phase = NULL;
	if ((pc.meter = cmd_progress_start(&c, "clean")) != NULL) {
		o.progress = clean_progress_cb;
		o.progress_ctx = &pc;
	}
	rc = clean_store(s, &o, &res);
	cmd_progress_stop(pc.meter);
	if (rc != QS_OK) {
		r = cmd_output_fail("clean", rc);
		alerts_raise_after(cmd_alerts_env(), "clean", argv[optind], r, qs_error_message(),
		    s);
		store_close(s);
		return (r);
	}
	print_result(&a, &res);
	if (res.reserve_missing)
		fprintf(stderr, "qsarc: clean: %s: no room to make the "
		    "reserve (%s/reserve) again at its full size: on a full "
		    "disk the next clean may fail until space is freed\n", argv[optind],
		    argv[optind]);
	if (res.rewrites_waiting > 0)
		fprintf(stderr, "qsarc: clean: %s: %llu partly dead "
		    "container(s) not rewritten for lack of free space; the "
		    "next run tries again\n", argv[optind],
		    (unsigned long long)res.rewrites_waiting);
	if (res.stopped_early) {
		fprintf(stderr, "qsarc: clean: stopped by --max-duration; "
		    "the next run continues\n");
		status = EXIT_STOPPED;
	}
	if (res.encryption_waiting) {
		char need[32], avail[32], detail[256];

		snprintf(detail, sizeof(detail), "%llu stream(s) written "
		    "before encryption was enabled are still unencrypted: the "
		    "largest needs %s free, %s is",
		    (unsigned long long)res.streams_waiting,
		    cmd_output_bytes(res.space_needed, need, sizeof(need)),
		    cmd_output_bytes(res.space_free, avail, sizeof(avail)));
		alerts_raise_event(ALERTS_RAISE_ENCRYPTION_WAITING, detail);
		fprintf(stderr, "qsarc: clean: %s: not enough free space: "
		    "%s; reclamation ran, the rest waits for space (exit "
		    "9)\n", argv[optind], detail);
		/* A cron job must notice: the data stays readable on disk. */
		status = EXIT_NOSPACE;
	}
	alerts_raise_after(cmd_alerts_env(), "clean", argv[optind], status, NULL, s);
	store_close(s);
	return (status);
}
