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
	OPT_DEVICES,
	OPT_SPARSE,
	OPT_FORCE
};

#define MEMBERS_MAX	1024

/* The parsed command line. */
struct get_args {
	struct cmd_options c;
	struct get_opts go;
	const char *output;		/* --output, or NULL: stdout */
	int force;			/* --force: --output may replace */
	const char *extract_to;		/* --extract-to, or NULL */
	char *members[MEMBERS_MAX];	/* --member patterns */
	int nmembers;
	int devices;			/* --devices */
	int sparse;			/* --sparse */
};

/* What get --member read, for --json. */
struct member_counts {
	uint64_t chosen;		/* members chosen */
	uint64_t link_targets;		/* hard-link targets brought in */
	uint64_t member_bytes;		/* their bytes in the stream */
	uint64_t stream_bytes;		/* the whole stream */
	uint64_t bytes_read;		/* stream bytes read to get them */
	struct members_extract_result x;	/* --extract-to */
};

/*
 * --extract-to: a member refused or restored without some metadata, one
 * line each as it happens (the name escaped: it comes from the tar).
 */
static void
extract_notice(void *ctx, const char *path, const char *why, int refused)
{

	(void)ctx;
	fputs("qsarc: get: ", stderr);
	cmd_output_text_str(stderr, path);
	fputs(refused ? ": refused, skipped: " : ": warning: ", stderr);
	cmd_output_text_str(stderr, why);
	fputc('\n', stderr);
}

/* get --member: the chosen members as a tar stream, or extracted. */
static int
get_members(struct store *s, const char *name, struct get_args *a,
    int fd, struct member_counts *mc)
{
	struct manifest_reader *mr;
	struct manifest_summary *sum;
	struct byte_range *ranges = NULL;
	size_t n;
	int rc;

	memset(mc, 0, sizeof(*mc));
	if ((sum = malloc(sizeof(*sum))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = manifest_reader_open(s, name, 0, &mr)) != QS_OK)
		goto done;
	*sum = *manifest_reader_summary(mr);
	manifest_reader_free(mr);
	mc->stream_bytes = sum->length;
	/* The byte ranges of the chosen members, from the catalogue. */
	if ((rc = members_ranges(s, sum, a->members, a->nmembers,
	    &ranges, &n, &mc->chosen, &mc->link_targets)) != QS_OK)
		goto done;
	for (size_t i = 0; i < n; i++)
		mc->member_bytes += ranges[i].end - ranges[i].start;
	if (a->extract_to != NULL) {
		struct members_extract_opts xo;

		memset(&xo, 0, sizeof(xo));
		xo.devices = a->devices;
		xo.sparse = a->sparse;
		xo.notice = extract_notice;
		rc = members_extract(s, name, ranges, n, a->extract_to, &xo,
		    &mc->x);
		mc->bytes_read = mc->x.bytes_read;
		/* Like tar: said once, not per member. */
		if (mc->x.stripped > 0)
			fprintf(stderr, "qsarc: get: removed the leading '/' "
			    "from %llu member name%s\n",
			    (unsigned long long)mc->x.stripped,
			    mc->x.stripped == 1 ? "" : "s");
	} else
		rc = members_write_tar(s, name, ranges, n, fd,
		    &mc->bytes_read);
done:
	free(ranges);
	free(sum);
	return (rc);
}

struct get_progress_ctx {
	struct cmd_progress *meter;
	int total_set;
};

/* The engine's figures into the meter (which draws them on its timer). */
static void
get_progress_cb(void *ctx, const struct get_progress *pr)
{
	struct get_progress_ctx *gc = ctx;

	if (!gc->total_set && pr->total > 0) {
		cmd_progress_phase(gc->meter, NULL, NULL, pr->total);
		gc->total_set = 1;
	}
	cmd_progress_set(gc->meter, pr->bytes_out, UINT64_MAX, 0);
}

/* Parse into ${a}; -1 to go on, else the exit code (help, usage). */
static int
parse_args(int argc, char **argv, struct get_args *a)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "expired", no_argument, NULL, OPT_EXPIRED },
		{ "member", required_argument, NULL, OPT_MEMBER },
		{ "extract-to", required_argument, NULL, OPT_EXTRACT_TO },
		{ "devices", no_argument, NULL, OPT_DEVICES },
		{ "sparse", no_argument, NULL, OPT_SPARSE },
		{ "force", no_argument, NULL, OPT_FORCE },
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
			return (cmd_help_print("get"));
		case OPT_OUTPUT:
			a->output = optarg;
			break;
		case OPT_EXPIRED:
			a->go.expired = 1;
			break;
		case OPT_MEMBER:
			if (a->nmembers == MEMBERS_MAX)
				return (cmd_output_usage("get", "at most %d "
				    "--member options", MEMBERS_MAX));
			a->members[a->nmembers++] = optarg;
			break;
		case OPT_EXTRACT_TO:
			a->extract_to = optarg;
			break;
		case OPT_DEVICES:
			a->devices = 1;
			break;
		case OPT_SPARSE:
			a->sparse = 1;
			break;
		case OPT_FORCE:
			a->force = 1;
			break;
		default:
			r = cmd_options_common("get", &a->c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_options_unknown("get", argv));
		}
	}
	if (argc - optind != 2)
		return (cmd_output_usage("get", "expected STORE and NAME"));
	if (a->extract_to != NULL && a->nmembers == 0)
		return (cmd_output_usage("get", "--extract-to needs --member "
		    "(use '--member .' for everything)"));
	if ((a->devices || a->sparse) && a->extract_to == NULL)
		return (cmd_output_usage("get", "--%s goes with --extract-to",
		    a->devices ? "devices" : "sparse"));
	if (a->force && a->output == NULL)
		return (cmd_output_usage("get", "--force goes with --output"));
	if (a->extract_to != NULL && a->output != NULL)
		return (cmd_output_usage("get", "--extract-to and --output "
		    "exclude each other"));
	if (a->nmembers > 0 && a->go.expired)
		return (cmd_output_usage("get", "--member works on live "
		    "streams"));
	if (a->output == NULL && a->extract_to == NULL &&
	    isatty(STDOUT_FILENO))
		return (cmd_output_usage("get", "refusing to write a stream to "
		    "a terminal; redirect standard output or use --output "
		    "FILE"));
	return (-1);
}

/*
 * get --member --json: the counts, on stderr (stdout holds the tar);
 * with --extract-to also what was extracted, refused and warned about.
 */
static void
print_member_counts(const struct get_args *a, const struct member_counts *mc)
{

	fprintf(stderr, "{\"members\": %llu, \"link_targets\": %llu, "
	    "\"member_bytes\": %llu, \"stream_bytes\": %llu, "
	    "\"bytes_read\": %llu",
	    (unsigned long long)mc->chosen,
	    (unsigned long long)mc->link_targets,
	    (unsigned long long)mc->member_bytes,
	    (unsigned long long)mc->stream_bytes,
	    (unsigned long long)mc->bytes_read);
	if (a->extract_to != NULL)
		fprintf(stderr, ", \"extracted\": %llu, \"refused\": %llu, "
		    "\"warnings\": %llu, \"stripped\": %llu",
		    (unsigned long long)mc->x.extracted,
		    (unsigned long long)mc->x.refused,
		    (unsigned long long)mc->x.warnings,
		    (unsigned long long)mc->x.stripped);
	fputs("}\n", stderr);
}

/**
 * cmd_get(argc, argv):
 * qsarc get STORE NAME [--output FILE]
 */
int
cmd_get(int argc, char **argv)
{
	struct get_progress_ctx gc;
	struct member_counts mc;
	struct get_result res;
	struct get_args a;
	struct store *s = NULL;
	struct fileio_tmp *tmp = NULL;
	char what[300];
	int r, rc, fd = STDOUT_FILENO;

	if ((r = parse_args(argc, argv, &a)) >= 0 ||
	    (r = cmd_options_names("get", argv + optind + 1, 1)) >= 0)
		return (r);
	snprintf(what, sizeof(what), "get %s", argv[optind + 1]);
	store_set_command(what);
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &a.c,
	    NULL, &s)) != QS_OK ||
	    (rc = cmd_options_latest(s, a.go.expired, argv + optind + 1, 1)) !=
	    QS_OK)
		goto fail;
	if (a.output != NULL) {
		struct stat sb;

		/*
		 * Never replace a file unless told to (it once replaced a
		 * passphrase file).  Checked here to fail before reading the
		 * stream, and again by the commit, which will not replace.
		 */
		if (!a.force && lstat(a.output, &sb) == 0) {
			rc = qs_error_set(QS_EEXIST, "%s: exists; give --force "
			    "to replace it", a.output);
			goto fail;
		}
		/* The file appears only once the whole stream checked out. */
		if ((rc = fileio_tmp_open(a.output, 0600, &tmp)) != QS_OK)
			goto fail;
		fd = fileio_tmp_fd(tmp);
	}
	a.go.threads = a.c.threads;
	/* Always a meter: SIGUSR1 asks it for a status line. */
	gc.total_set = 0;
	if ((gc.meter = cmd_progress_start(&a.c, "get")) != NULL) {
		a.go.progress = get_progress_cb;
		a.go.progress_ctx = &gc;
	}
	if (a.nmembers > 0)
		rc = get_members(s, argv[optind + 1], &a, fd, &mc);
	else
		rc = get_stream(s, argv[optind + 1], fd, &a.go, &res);
	cmd_progress_stop(gc.meter);
	if (rc == QS_OK && a.nmembers > 0 && a.c.json)
		print_member_counts(&a, &mc);
	/* The whole stream: its summary on stderr, as with --member. */
	if (rc == QS_OK && a.nmembers == 0 && a.c.json)
		fprintf(stderr, "{\"name\": \"%s\", \"length\": %llu, "
		    "\"chunks\": %llu}\n", argv[optind + 1],
		    (unsigned long long)res.length,
		    (unsigned long long)res.chunks);
	/* --verbose: the same figures as a line, on stderr too. */
	if (rc == QS_OK && !a.c.json && a.c.verbose) {
		fprintf(stderr, "qsarc: get: ");
		cmd_output_text_str(stderr, argv[optind + 1]);
		if (a.nmembers > 0)
			fprintf(stderr, ": %llu members (%llu link targets), "
			    "%llu member bytes; read %llu of %llu stream "
			    "bytes\n", (unsigned long long)mc.chosen,
			    (unsigned long long)mc.link_targets,
			    (unsigned long long)mc.member_bytes,
			    (unsigned long long)mc.bytes_read,
			    (unsigned long long)mc.stream_bytes);
		else
			fprintf(stderr, ": %llu bytes in %llu chunks\n",
			    (unsigned long long)res.length,
			    (unsigned long long)res.chunks);
	}
	if (rc != QS_OK)
		goto fail;
	/*
	 * Refused members were skipped and the others extracted, as tar
	 * does; the run still fails, with its own code, so that a script
	 * notices.
	 */
	if (a.nmembers > 0 && mc.x.refused > 0) {
		fprintf(stderr, "qsarc: get: %llu member%s refused (named "
		    "above); the other %llu extracted\n",
		    (unsigned long long)mc.x.refused,
		    mc.x.refused == 1 ? "" : "s",
		    (unsigned long long)mc.x.extracted);
		alerts_raise_after(cmd_alerts_env(), "get", argv[optind],
		    EXIT_PARTIAL, "some members were refused", s);
		store_close(s);
		return (EXIT_PARTIAL);
	}
	if (tmp != NULL) {
		rc = fileio_tmp_commit(tmp, !a.force);
		if (rc == QS_EEXIST)
			rc = qs_error_set(QS_EEXIST, "%s: appeared while the "
			    "stream was read; not replaced (give --force to "
			    "replace it)", a.output);
		tmp = NULL;
		if (rc != QS_OK)
			goto fail;
	}
	alerts_raise_after(cmd_alerts_env(), "get", argv[optind], EXIT_OK, NULL,
	    s);
	store_close(s);
	return (EXIT_OK);

fail:
	r = cmd_output_fail("get", rc);
	fileio_tmp_abort(tmp);
	alerts_raise_after(cmd_alerts_env(), "get", argv[optind], r,
	    qs_error_message(), s);
	store_close(s);
	return (r);
}
