#include <sys/stat.h>

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "index/tar/tarscan.h"
#include "format/qs_err.h"
#include "index/stream/put.h"
#include "index/store/store.h"

enum {
	OPT_INPUT = OPT_FIRST_LOCAL,
	OPT_NO_CATALOGUE,
	OPT_ALLOW_TRUNCATED,
	OPT_ALLOW_EMPTY
};

/* The engine's figures into the meter (which draws them on its timer). */
static void
put_progress_cb(void *ctx, const struct put_progress *pr)
{

	/* (Read unlocked by the engine: committed may lag new_bytes.) */
	cmd_progress_set(ctx, pr->bytes_in, pr->new_bytes,
	    pr->committed > pr->new_bytes ? pr->committed - pr->new_bytes : 0);
}

/* The parsed command line. */
struct put_args {
	struct cmd_options c;
	const char *input;		/* --input, or NULL: stdin */
	int no_catalogue;		/* --no-catalog */
	int allow_truncated;		/* --allow-truncated */
	int allow_empty;		/* --allow-empty */
};

/* Parse into ${a}; -1 to go on, else the exit code (help, usage). */
static int
parse_args(int argc, char **argv, struct put_args *a)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "no-catalog", no_argument, NULL, OPT_NO_CATALOGUE },
		{ "allow-truncated", no_argument, NULL, OPT_ALLOW_TRUNCATED },
		{ "allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	int opt, r;

	memset(a, 0, sizeof(*a));
	cmd_options_init(&a->c);
	while ((opt = getopt_long(argc, argv, CMD_OPTIONS_SHORT, opts,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("put"));
		case OPT_INPUT:
			a->input = optarg;
			break;
		case OPT_NO_CATALOGUE:
			a->no_catalogue = 1;
			break;
		case OPT_ALLOW_TRUNCATED:
			a->allow_truncated = 1;
			break;
		case OPT_ALLOW_EMPTY:
			a->allow_empty = 1;
			break;
		default:
			r = cmd_options_common("put", &a->c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_options_unknown("put", argv));
		}
	}
	if (argc - optind != 2)
		return (cmd_output_usage("put", "expected STORE and NAME"));
	return (-1);
}

/*
 * The summary: JSON on stdout, or with progress or --verbose a line on
 * stderr (--verbose adds the chunk counts and the time); nothing with
 * --quiet.
 */
static void
print_result(const struct put_args *a, const char *name,
    const struct put_result *res, double seconds)
{
	char b1[32], b2[32], b3[32], when[64];

	if (a->c.json) {
		cmd_output_utc(res->created, when, sizeof(when));
		printf("{\"name\": ");
		cmd_output_json_string(stdout, name);
		printf(", \"length\": %llu, \"chunks\": %llu, "
		    "\"new_chunks\": %llu, \"new_bytes\": %llu, "
		    "\"new_stored_bytes\": %llu, \"created\": \"%s\", "
		    "\"seconds\": %.3f}\n",
		    (unsigned long long)res->length,
		    (unsigned long long)res->chunks,
		    (unsigned long long)res->new_chunks,
		    (unsigned long long)res->new_raw_bytes,
		    (unsigned long long)res->new_stored_bytes,
		    when, seconds);
		return;
	}
	if (a->c.verbose || cmd_progress_wanted(&a->c)) {
		fprintf(stderr, "qsarc: put: ");
		cmd_output_text_str(stderr, name);
		fprintf(stderr, ": %s in, %s new, %s stored\n",
		    cmd_output_bytes(res->length, b1, sizeof(b1)),
		    cmd_output_bytes(res->new_raw_bytes, b2, sizeof(b2)),
		    cmd_output_bytes(res->new_stored_bytes, b3, sizeof(b3)));
	}
	if (a->c.verbose) {
		cmd_output_utc(res->created, when, sizeof(when));
		fprintf(stderr, "qsarc: put: ");
		cmd_output_text_str(stderr, name);
		fprintf(stderr, ": %llu chunks (%llu new), %llu bytes in, "
		    "%llu new, %llu stored; created %s, %.3f s\n",
		    (unsigned long long)res->chunks,
		    (unsigned long long)res->new_chunks,
		    (unsigned long long)res->length,
		    (unsigned long long)res->new_raw_bytes,
		    (unsigned long long)res->new_stored_bytes, when, seconds);
	}
}

/**
 * cmd_put(argc, argv):
 * qsarc put STORE NAME [--input FILE]
 */
int
cmd_put(int argc, char **argv)
{
	struct cmd_progress *meter = NULL;
	struct put_result res;
	struct stat st;
	struct put_opts po;
	struct put_args a;
	struct store *s = NULL;
	struct tarscan *scan = NULL;
	int allow_truncated, no_catalogue;
	char what[300];
	double t0;
	int r, rc, fd = STDIN_FILENO;

	if ((r = parse_args(argc, argv, &a)) >= 0 ||
	    (r = cmd_options_names("put", argv + optind + 1, 1)) >= 0)
		return (r);
	/* "latest" names the newest stream wherever a name is read. */
	if (cmd_options_latest_prefix(argv[optind + 1]) != NULL)
		return (cmd_output_usage("put", "stream name \"%s\" is "
		    "reserved: \"latest\" and \"latest:PREFIX\" name the "
		    "newest stream (whose name starts with PREFIX)",
		    argv[optind + 1]));
	allow_truncated = a.allow_truncated;
	no_catalogue = a.no_catalogue;
	/* The stream and the passphrase cannot both be standard input. */
	if (a.input == NULL && a.c.passphrase_fd == STDIN_FILENO)
		return (cmd_output_usage("put", "--passphrase-fd 0 reads the "
		    "passphrase from standard input, which carries the "
		    "stream; use --input FILE for the stream, or another "
		    "descriptor (--passphrase-fd 3 3<FILE)"));
	/* The input: a file, or a pipe, never the terminal. */
	if (a.input != NULL) {
		if ((fd = open(a.input, O_RDONLY | O_CLOEXEC)) < 0) {
			rc = qs_error_errno(a.input, "open");
			return (cmd_output_fail("put", rc));
		}
	} else if (isatty(STDIN_FILENO)) {
		return (cmd_output_usage("put", "standard input is a terminal; "
		    "pipe a stream in or use --input FILE"));
	}
	snprintf(what, sizeof(what), "put %s", argv[optind + 1]);
	store_set_command(what);
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &a.c,
	    NULL, &s)) != QS_OK)
		goto fail;
	memset(&po, 0, sizeof(po));
	po.threads = a.c.threads;
	po.input_name = a.input;
	po.refuse_empty = !a.allow_empty;
	t0 = cmd_clock_monotonic();
	/* Always a meter: SIGUSR1 asks it for a status line. */
	if ((meter = cmd_progress_start(&a.c, "put")) != NULL) {
		po.progress = put_progress_cb;
		po.progress_ctx = meter;
		/* A regular --input file has a size: the line gets an ETA. */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			cmd_progress_phase(meter, NULL, NULL,
			    (uint64_t)st.st_size);
	}
	if (!no_catalogue &&
	    (rc = tarscan_attach(s, &po, (allow_truncated ?
	    TARSCAN_ALLOW_TRUNCATED : 0) | (a.allow_empty ? 0 :
	    TARSCAN_REFUSE_EMPTY), &scan)) != QS_OK)
		goto fail;
	rc = put_stream(s, argv[optind + 1], fd, &po, cmd_clock_now(), &res);
	tarscan_detach(scan);
	/* The last line shows the figures of the whole stream. */
	if (rc == QS_OK)
		cmd_progress_set(meter, res.length, res.new_raw_bytes,
		    res.length - res.new_raw_bytes);
	cmd_progress_stop(meter);
	if (rc != QS_OK)
		goto fail;
	alerts_raise_after(cmd_alerts_env(), "put", argv[optind], EXIT_OK, NULL, s);
	store_close(s);
	if (fd != STDIN_FILENO)
		close(fd);
	print_result(&a, argv[optind + 1], &res, cmd_clock_monotonic() - t0);
	return (EXIT_OK);

fail:
	r = cmd_output_fail("put", rc);
	alerts_raise_after(cmd_alerts_env(), "put", argv[optind], r, qs_error_message(), s);
	store_close(s);
	if (fd != STDIN_FILENO)
		close(fd);
	return (r);
}
