#include <sys/stat.h>

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "index/get.h"
#include "index/store.h"

enum {
	OPT_OUTPUT = OPT_FIRST_LOCAL,
	OPT_EXPIRED
};

struct get_progress_ctx {
	double start;
};

static void
get_progress_cb(void *ctx, const struct get_progress *pr)
{
	struct get_progress_ctx *gc = ctx;

	cmd_progress_line("get", pr->bytes_out, pr->total, gc->start);
}

/**
 * cmd_get(argc, argv):
 * qsarc get STORE NAME [--output FILE]
 */
int
cmd_get(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "expired", no_argument, NULL, OPT_EXPIRED },
		CMD_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct get_progress_ctx gc;
	struct get_result res;
	struct get_opts go;
	struct cmd_common c;
	struct store *s = NULL;
	struct fileio_tmp *tmp = NULL;
	const char *output = NULL;
	char what[300];
	int opt, r, rc, fd = STDOUT_FILENO;

	cmd_common_init(&c);
	memset(&go, 0, sizeof(go));
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help("get"));
		case OPT_OUTPUT:
			output = optarg;
			break;
		case OPT_EXPIRED:
			go.expired = 1;
			break;
		default:
			r = cmd_common_option("get", &c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_usage("get", "unknown option"));
		}
	}
	if (argc - optind != 2)
		return (cmd_usage("get", "expected STORE and NAME"));
	if (output == NULL && isatty(STDOUT_FILENO))
		return (cmd_usage("get", "refusing to write a stream to a "
		    "terminal; redirect standard output or use --output "
		    "FILE"));
	snprintf(what, sizeof(what), "get %s", argv[optind + 1]);
	store_set_command(what);
	if ((rc = cmd_open_store("get", argv[optind], STORE_LOCK_SHARED, &c,
	    &s)) != QS_OK)
		goto fail;
	if (output != NULL) {
		/* The file appears only once the whole stream checked out. */
		if ((rc = fileio_tmp_open(output, 0644, &tmp)) != QS_OK)
			goto fail;
		fd = fileio_tmp_fd(tmp);
	}
	go.threads = c.threads;
	gc.start = cmd_monotonic();
	if (cmd_progress_wanted(&c)) {
		go.progress = get_progress_cb;
		go.progress_ctx = &gc;
	}
	rc = store_get(s, argv[optind + 1], fd, &go, &res);
	if (go.progress != NULL)
		cmd_progress_end();
	if (rc != QS_OK)
		goto fail;
	if (tmp != NULL) {
		rc = fileio_tmp_commit(tmp, 0);
		tmp = NULL;
		if (rc != QS_OK)
			goto fail;
	}
	cmd_alert_after("get", argv[optind], EXIT_OK, NULL, s);
	store_close(s);
	return (EXIT_OK);

fail:
	r = cmd_fail("get", rc);
	fileio_tmp_abort(tmp);
	cmd_alert_after("get", argv[optind], r, qs_error_message(), s);
	store_close(s);
	return (r);
}
