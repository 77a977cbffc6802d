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
	OPT_NO_CATALOG,
	OPT_ALLOW_TRUNCATED
};

struct put_progress_ctx {
	double start;
};

static void
put_progress_cb(void *ctx, const struct put_progress *pr)
{
	struct put_progress_ctx *pc = ctx;

	cmd_progress_line("put", pr->bytes_in, 0, pc->start);
}

/**
 * cmd_put(argc, argv):
 * qsarc put STORE NAME [--input FILE]
 */
int
cmd_put(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "no-catalog", no_argument, NULL, OPT_NO_CATALOG },
		{ "allow-truncated", no_argument, NULL, OPT_ALLOW_TRUNCATED },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	struct put_progress_ctx pc;
	struct put_result res;
	struct put_opts po;
	struct cmd_options c;
	struct store *s = NULL;
	const char *input = NULL;
	void *scan = NULL;
	int no_catalogue = 0, allow_truncated = 0;
	char what[300], a[32], b[32];
	double t0;
	int opt, r, rc, fd = STDIN_FILENO;

	cmd_options_init(&c);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("put"));
		case OPT_INPUT:
			input = optarg;
			break;
		case OPT_NO_CATALOG:
			no_catalogue = 1;
			break;
		case OPT_ALLOW_TRUNCATED:
			allow_truncated = 1;
			break;
		default:
			r = cmd_options_common("put", &c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_output_usage("put", "unknown option"));
		}
	}
	if (argc - optind != 2)
		return (cmd_output_usage("put", "expected STORE and NAME"));
	if (input != NULL) {
		if ((fd = open(input, O_RDONLY | O_CLOEXEC)) < 0) {
			rc = qs_error_errno(input, "open");
			return (cmd_output_fail("put", rc));
		}
	} else if (isatty(STDIN_FILENO)) {
		return (cmd_output_usage("put", "standard input is a terminal; pipe "
		    "a stream in or use --input FILE"));
	}
	snprintf(what, sizeof(what), "put %s", argv[optind + 1]);
	store_set_command(what);
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &c, NULL,
	    &s)) != QS_OK)
		goto fail;
	memset(&po, 0, sizeof(po));
	po.threads = c.threads;
	po.input_name = input;
	t0 = pc.start = cmd_clock_monotonic();
	if (cmd_progress_wanted(&c)) {
		po.progress = put_progress_cb;
		po.progress_ctx = &pc;
	}
	if (!no_catalogue &&
	    (rc = tarscan_attach(allow_truncated ? &allow_truncated : NULL,
	    s, &po, &scan)) != QS_OK)
		goto fail;
	rc = put_stream(s, argv[optind + 1], fd, &po, cmd_clock_now(), &res);
	tarscan_detach(scan);
	if (po.progress != NULL)
		cmd_progress_end();
	if (rc != QS_OK)
		goto fail;
	cmd_alert_after("put", argv[optind], EXIT_OK, NULL, s);
	store_close(s);
	if (fd != STDIN_FILENO)
		close(fd);
	if (c.json) {
		printf("{\"name\": ");
		cmd_output_json_string(stdout, argv[optind + 1]);
		printf(", \"length\": %llu, \"chunks\": %llu, "
		    "\"new_chunks\": %llu, \"new_bytes\": %llu, "
		    "\"new_stored_bytes\": %llu, \"created\": %lld, "
		    "\"seconds\": %.3f}\n",
		    (unsigned long long)res.length,
		    (unsigned long long)res.chunks,
		    (unsigned long long)res.new_chunks,
		    (unsigned long long)res.new_raw_bytes,
		    (unsigned long long)res.new_stored_bytes,
		    (long long)res.created, cmd_clock_monotonic() - t0);
	} else if (cmd_progress_wanted(&c)) {
		fprintf(stderr, "qsarc: put: %s: %s in, %s new, %s stored\n",
		    argv[optind + 1], cmd_output_bytes(res.length, a,
		    sizeof(a)), cmd_output_bytes(res.new_raw_bytes, b,
		    sizeof(b)), cmd_output_bytes(res.new_stored_bytes, what,
		    sizeof(what)));
	}
	return (EXIT_OK);

fail:
	r = cmd_output_fail("put", rc);
	cmd_alert_after("put", argv[optind], r, qs_error_message(), s);
	store_close(s);
	if (fd != STDIN_FILENO)
		close(fd);
	return (r);
}
