#include <sys/stat.h>

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "index/tar/members.h"
#include "format/manifest_fmt.h"
#include "index/store/manifest.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "index/stream/get.h"
#include "index/store/store.h"

enum {
	OPT_OUTPUT = OPT_FIRST_LOCAL,
	OPT_EXPIRED,
	OPT_MEMBER,
	OPT_EXTRACT_TO,
	OPT_DEVICES
};

#define MEMBERS_MAX	1024

/* get --member: the chosen members as a tar stream, or extracted. */
static int
get_members(struct store *s, const char *name, char **members, int nmembers,
    const char *extract_to, int devices, int fd, int json)
{
	struct manifest_reader *mr;
	struct manifest_summary *sum;
	struct byte_range *ranges = NULL;
	uint64_t chosen, bytes_read = 0, total = 0;
	size_t n;
	int rc;

	if ((sum = malloc(sizeof(*sum))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = manifest_reader_open(s, name, 0, &mr)) != QS_OK)
		goto done;
	*sum = *manifest_reader_summary(mr);
	manifest_reader_free(mr);
	if ((rc = members_ranges(s, sum, members, nmembers, &ranges, &n,
	    &chosen)) != QS_OK)
		goto done;
	for (size_t i = 0; i < n; i++)
		total += ranges[i].end - ranges[i].start;
	if (extract_to != NULL)
		rc = members_extract(s, name, ranges, n, extract_to, devices,
		    &bytes_read);
	else
		rc = members_write_tar(s, name, ranges, n, fd, &bytes_read);
	if (rc == QS_OK && json)
		fprintf(stderr, "{\"members\": %llu, \"member_bytes\": %llu, "
		    "\"stream_bytes\": %llu, \"bytes_read\": %llu}\n",
		    (unsigned long long)chosen, (unsigned long long)total,
		    (unsigned long long)sum->length,
		    (unsigned long long)bytes_read);
done:
	free(ranges);
	free(sum);
	return (rc);
}

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
		{ "member", required_argument, NULL, OPT_MEMBER },
		{ "extract-to", required_argument, NULL, OPT_EXTRACT_TO },
		{ "devices", no_argument, NULL, OPT_DEVICES },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	struct get_progress_ctx gc;
	struct get_result res;
	struct get_opts go;
	struct cmd_options c;
	struct store *s = NULL;
	struct fileio_tmp *tmp = NULL;
	const char *output = NULL, *extract_to = NULL;
	char *members[MEMBERS_MAX];
	int nmembers = 0, devices = 0;
	char what[300];
	int opt, r, rc, fd = STDOUT_FILENO;

	cmd_options_init(&c);
	memset(&go, 0, sizeof(go));
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("get"));
		case OPT_OUTPUT:
			output = optarg;
			break;
		case OPT_EXPIRED:
			go.expired = 1;
			break;
		case OPT_MEMBER:
			if (nmembers == MEMBERS_MAX)
				return (cmd_output_usage("get", "at most %d --member "
				    "options", MEMBERS_MAX));
			members[nmembers++] = optarg;
			break;
		case OPT_EXTRACT_TO:
			extract_to = optarg;
			break;
		case OPT_DEVICES:
			devices = 1;
			break;
		default:
			r = cmd_options_common("get", &c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_output_usage("get", "unknown option"));
		}
	}
	if (argc - optind != 2)
		return (cmd_output_usage("get", "expected STORE and NAME"));
	if (extract_to != NULL && nmembers == 0)
		return (cmd_output_usage("get", "--extract-to needs --member (use "
		    "'--member .' for everything)"));
	if (extract_to != NULL && output != NULL)
		return (cmd_output_usage("get", "--extract-to and --output exclude "
		    "each other"));
	if (nmembers > 0 && go.expired)
		return (cmd_output_usage("get", "--member works on live streams"));
	if (output == NULL && extract_to == NULL && isatty(STDOUT_FILENO))
		return (cmd_output_usage("get", "refusing to write a stream to a "
		    "terminal; redirect standard output or use --output "
		    "FILE"));
	snprintf(what, sizeof(what), "get %s", argv[optind + 1]);
	store_set_command(what);
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &c, NULL,
	    &s)) != QS_OK)
		goto fail;
	if (output != NULL) {
		/* The file appears only once the whole stream checked out. */
		if ((rc = fileio_tmp_open(output, 0644, &tmp)) != QS_OK)
			goto fail;
		fd = fileio_tmp_fd(tmp);
	}
	go.threads = c.threads;
	gc.start = cmd_clock_monotonic();
	if (cmd_progress_wanted(&c)) {
		go.progress = get_progress_cb;
		go.progress_ctx = &gc;
	}
	if (nmembers > 0)
		rc = get_members(s, argv[optind + 1], members, nmembers,
		    extract_to, devices, fd, c.json);
	else
		rc = get_stream(s, argv[optind + 1], fd, &go, &res);
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
	r = cmd_output_fail("get", rc);
	fileio_tmp_abort(tmp);
	cmd_alert_after("get", argv[optind], r, qs_error_message(), s);
	store_close(s);
	return (r);
}
