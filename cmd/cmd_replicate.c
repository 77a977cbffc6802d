/*
 * qsarc replicate SRC DST [NAME...]: copy streams to another store.  The
 * store rules are in index/jobs/replicate.c; here: the options, the two
 * passphrases, and the report.
 *
 * Each stream is read from the source (every chunk checked) and put into
 * the target, which cuts, names, compresses and seals it with its own
 * secrets and settings: chunks the target already holds are not written
 * again, and its tar catalogue is made afresh from the bytes.  The target
 * stream records where it came from (source store id and stream hash), so
 * a later run knows it is already there; a name that exists on the target
 * with other content is an error, never overwritten.  Encrypted data stays
 * encrypted only if the target is encrypted.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "format/qs_err.h"
#include "index/jobs/replicate.h"
#include "index/stream/put.h"
#include "index/store/store.h"

enum {
	OPT_DRY_RUN = OPT_FIRST_LOCAL,
	OPT_SRC_PASS_FILE,
	OPT_SRC_PASS_FD,
	OPT_DST_PASS_FILE,
	OPT_DST_PASS_FD,
	OPT_SRC_PASS_CMD,
	OPT_DST_PASS_CMD,
	OPT_ALLOW_PLAIN
};

/* The parsed command line. */
struct replicate_args {
	struct cmd_options c;
	struct cmd_passphrase_side sside, dside;
	struct replicate_opts ro;
	int allow_plain;
};

/* A side with no passphrase option of its own uses the common ones. */
static void
side_default(struct cmd_passphrase_side *side, const char *name,
    const struct cmd_options *c)
{

	side->name = name;
	side->given = (side->file != NULL || side->fd >= 0 ||
	    side->command != NULL);
	if (!side->given) {
		side->file = c->passphrase_file;
		side->fd = c->passphrase_fd;
		side->command = c->passphrase_command;
	}
	/* Replicate waits the default minute for either lock. */
	side->timeout_ms = 60000;
}

/* Parse into ${a}; -1 to go on, else the exit code (help, usage). */
static int
parse_args(int argc, char **argv, struct replicate_args *a)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "source-passphrase-file", required_argument, NULL,
		    OPT_SRC_PASS_FILE },
		{ "source-passphrase-fd", required_argument, NULL,
		    OPT_SRC_PASS_FD },
		{ "target-passphrase-file", required_argument, NULL,
		    OPT_DST_PASS_FILE },
		{ "target-passphrase-fd", required_argument, NULL,
		    OPT_DST_PASS_FD },
		{ "source-passphrase-command", required_argument, NULL,
		    OPT_SRC_PASS_CMD },
		{ "target-passphrase-command", required_argument, NULL,
		    OPT_DST_PASS_CMD },
		{ "allow-plaintext-target", no_argument, NULL,
		    OPT_ALLOW_PLAIN },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	int opt, r;

	memset(a, 0, sizeof(*a));
	cmd_options_init(&a->c);
	a->sside.fd = a->dside.fd = -1;
	while ((opt = getopt_long(argc, argv, CMD_OPTIONS_SHORT, opts,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("replicate"));
		case OPT_DRY_RUN:
			a->ro.dry_run = 1;
			break;
		case OPT_SRC_PASS_FILE:
			a->sside.file = optarg;
			break;
		case OPT_SRC_PASS_FD:
			a->sside.fd = atoi(optarg);
			break;
		case OPT_DST_PASS_FILE:
			a->dside.file = optarg;
			break;
		case OPT_DST_PASS_FD:
			a->dside.fd = atoi(optarg);
			break;
		case OPT_SRC_PASS_CMD:
			a->sside.command = optarg;
			break;
		case OPT_DST_PASS_CMD:
			a->dside.command = optarg;
			break;
		case OPT_ALLOW_PLAIN:
			a->allow_plain = 1;
			break;
		default:
			r = cmd_options_common("replicate", &a->c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_options_unknown("replicate", argv));
		}
	}
	if (argc - optind < 2)
		return (cmd_output_usage("replicate", "expected SOURCE and "
		    "TARGET stores"));
	for (int k = 0; k < 2; k++) {
		const struct cmd_passphrase_side *sd = k ? &a->dside :
		    &a->sside;

		if (sd->command != NULL && (sd->file != NULL || sd->fd >= 0))
			return (cmd_output_usage("replicate", "--%s-"
			    "passphrase-command and --%s-passphrase-%s are "
			    "mutually exclusive", k ? "target" : "source",
			    k ? "target" : "source", sd->file != NULL ?
			    "file" : "fd"));
	}
	/*
	 * The common options and the environment serve a side with none of
	 * its own.
	 */
	side_default(&a->sside, "source", &a->c);
	side_default(&a->dside, "target", &a->c);
	if (argc - optind > 2) {
		a->ro.names = (const char *const *)(argv + optind + 2);
		a->ro.nnames = (size_t)(argc - optind - 2);
	}
	return (-1);
}

/* Before each stream: the dry run's list, or a phase of the meter. */
static void
on_stream(void *ctx, const char *name, uint64_t length)
{
	const struct replicate_args *a = ctx;
	char len[32], label[300];

	cmd_output_bytes(length, len, sizeof(len));
	if (a->ro.dry_run) {
		if (!a->c.json) {
			printf("would copy ");
			cmd_output_text_str(stdout, name);
			printf(" (%s)\n", len);
		}
	} else {
		/* Stream names are plain ASCII (manifest_fmt_name_check). */
		snprintf(label, sizeof(label), "replicate %s", name);
		cmd_progress_phase(a->ro.progress_ctx, label, NULL, length);
	}
}

/* put's figures for the stream being copied into the meter. */
static void
on_progress(void *ctx, const struct put_progress *pr)
{

	/* (Read unlocked by the engine: committed may lag new_bytes.) */
	cmd_progress_set(ctx, pr->bytes_in, pr->new_bytes,
	    pr->committed > pr->new_bytes ? pr->committed - pr->new_bytes : 0);
}

static void
print_totals(const struct replicate_args *a, const struct replicate_totals *t,
    int plain, double seconds)
{
	char b1[32], b2[32], b3[32];

	if (a->c.json) {
		printf("{\"dry_run\": %s, \"streams_copied\": %llu, "
		    "\"streams_present\": %llu, \"chunks_sent\": %llu, "
		    "\"bytes_sent\": %llu, \"bytes_skipped\": %llu, "
		    "\"logical_bytes\": %llu, \"plaintext_target\": %s, "
		    "\"seconds\": %.3f}\n", a->ro.dry_run ? "true" : "false",
		    (unsigned long long)t->copied,
		    (unsigned long long)t->present,
		    (unsigned long long)t->chunks_sent,
		    (unsigned long long)t->bytes_sent,
		    (unsigned long long)t->bytes_skipped,
		    (unsigned long long)t->logical,
		    plain ? "true" : "false", seconds);
		return;
	}
	/* --quiet: the warning was printed on stderr before the copy. */
	if (a->c.quiet)
		return;
	printf("%s%llu streams copied (%s), %llu already there; "
	    "%llu chunks sent (%s), %s skipped as already present\n",
	    a->ro.dry_run ? "dry run: " : "", (unsigned long long)t->copied,
	    cmd_output_bytes(t->logical, b1, sizeof(b1)),
	    (unsigned long long)t->present,
	    (unsigned long long)t->chunks_sent,
	    cmd_output_bytes(t->bytes_sent, b2, sizeof(b2)),
	    cmd_output_bytes(t->bytes_skipped, b3, sizeof(b3)));
	if (plain)
		printf("WARNING: the target is NOT encrypted: these "
		    "copies are stored in the clear\n");
}

/**
 * cmd_replicate(argc, argv):
 * qsarc replicate SRC DST [NAME...]
 */
int
cmd_replicate(int argc, char **argv)
{
	struct replicate_args a;
	struct replicate_totals t;
	struct store *src = NULL, *dst = NULL;
	double t0;
	int r, rc, plain, status = EXIT_OK;

	if ((r = parse_args(argc, argv, &a)) >= 0)
		return (r);
	store_set_command("replicate");
	/* Refused, or loud, before either store is opened. */
	if ((rc = replicate_plaintext_check(argv[optind], argv[optind + 1],
	    a.allow_plain, &plain)) != QS_OK)
		goto fail;
	if (plain)
		fprintf(stderr, "qsarc: replicate: WARNING: %s is encrypted "
		    "but %s is NOT: the copies there are stored in the clear "
		    "(--allow-plaintext-target)\n", argv[optind],
		    argv[optind + 1]);
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &a.c,
	    &a.sside, &src)) != QS_OK ||
	    (rc = cmd_passphrase_open(argv[optind + 1], STORE_LOCK_SHARED,
	    &a.c, &a.dside, &dst)) != QS_OK)
		goto fail;
	/* NAMEs are SOURCE's: "latest" is its newest stream. */
	if (argc - optind > 2 && (rc = cmd_options_latest(src, 0, argv +
	    optind + 2, (size_t)(argc - optind - 2))) != QS_OK)
		goto fail;
	a.ro.on_stream = on_stream;
	a.ro.ctx = &a;
	/* Always a meter: SIGUSR1 asks it for a status line. */
	if (!a.ro.dry_run &&
	    (a.ro.progress_ctx = cmd_progress_start(&a.c, "replicate")) !=
	    NULL)
		a.ro.progress = on_progress;
	t0 = cmd_clock_monotonic();
	rc = replicate_streams(src, dst, &a.ro, &t);
	cmd_progress_stop(a.ro.progress_ctx);
	if (rc != QS_OK)
		goto fail;
	print_totals(&a, &t, plain, cmd_clock_monotonic() - t0);
	alerts_raise_after(cmd_alerts_env(), "replicate", argv[optind], status, NULL, src);
	store_close(dst);
	store_close(src);
	return (status);

fail:
	r = cmd_output_fail("replicate", rc);
	if (argc - optind >= 1)
		alerts_raise_after(cmd_alerts_env(), "replicate", argv[optind], r,
		    qs_error_message(), src);
	store_close(dst);
	store_close(src);
	return (r);
}
