#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/store/store.h"
#include "index/tar/catalogue.h"
#include "index/store/manifest.h"

enum {
	OPT_EXPIRED = OPT_FIRST_LOCAL,
	OPT_LONG,
	OPT_SORT
};

static void
mode_string(const struct catalogue_member *m, char *buf)
{
	static const char types[] = "?-dlhcbps";
	static const char rwx[] = "rwxrwxrwx";

	buf[0] = m->type <= MEMBER_SOCKET ? types[m->type] : '?';
	if (m->type == MEMBER_HARDLINK)
		buf[0] = 'h';
	for (int i = 0; i < 9; i++)
		buf[1 + i] = (m->mode & (1U << (8 - i))) ? rwx[i] : '-';
	if (m->mode & 04000)
		buf[3] = (m->mode & 0100) ? 's' : 'S';
	if (m->mode & 02000)
		buf[6] = (m->mode & 010) ? 's' : 'S';
	if (m->mode & 01000)
		buf[9] = (m->mode & 01) ? 't' : 'T';
	buf[10] = '\0';
}


/* qsarc ls STORE NAME: the tar members of one stream. */
static int
list_members(struct store *s, const char *name, int expired, int lng,
    int json)
{
	static const char *type_names[] = { "other", "file", "dir",
	    "symlink", "hardlink", "chardev", "blockdev", "fifo", "socket" };
	struct catalogue_reader *cr = NULL;
	const struct catalogue_end *end;
	struct catalogue_member m;
	char mode[16], when[64];
	uint64_t i = 0;
	int rc;

	if ((rc = catalogue_reader_open_stream(s, name, expired, &cr)) != QS_OK)
		goto done;
	end = catalogue_reader_end(cr);
	if (json)
		printf("{\"stream\": ");
	if (json) {
		cmd_output_json_string(stdout, name);
		printf(", \"members\": [");
	}
	while ((rc = catalogue_reader_next(cr, &m)) == QS_OK) {
		if (json) {
			printf("%s\n  {", i++ ? "," : "");
			cmd_output_json_name(stdout, "path", m.path,
			    m.path_len);
			printf(", \"type\": \"%s\", \"size\": %llu, "
			    "\"mode\": %u, \"uid\": %u, \"gid\": %u, ",
			    type_names[m.type], (unsigned long long)m.size,
			    m.mode & 07777, m.uid, m.gid);
			cmd_output_json_name(stdout, "uname", m.uname,
			    m.uname_len);
			printf(", ");
			cmd_output_json_name(stdout, "gname", m.gname,
			    m.gname_len);
			printf(", ");
			cmd_output_json_time(stdout, "mtime", m.mtime);
			printf(", ");
			cmd_output_json_name(stdout, "link", m.link,
			    m.link_len);
			printf(", \"offset\": %llu, \"end\": %llu}",
			    (unsigned long long)m.header_offset,
			    (unsigned long long)m.end_offset);
		} else if (lng) {
			mode_string(&m, mode);
			cmd_output_utc(m.mtime, when, sizeof(when));
			/* Names if the archive has them, else numbers. */
			printf("%s ", mode);
			if (m.uname_len > 0)
				cmd_output_text(stdout, m.uname, m.uname_len);
			else
				printf("%u", m.uid);
			putchar('/');
			if (m.gname_len > 0)
				cmd_output_text(stdout, m.gname, m.gname_len);
			else
				printf("%u", m.gid);
			printf(" %12llu %s ", (unsigned long long)m.size, when);
			cmd_output_text(stdout, m.path, m.path_len);
			if (m.link_len > 0) {
				printf(" %s ", m.type == MEMBER_HARDLINK ?
				    "link to" : "->");
				cmd_output_text(stdout, m.link, m.link_len);
			}
			printf("\n");
		} else {
			cmd_output_text(stdout, m.path, m.path_len);
			putchar('\n');
		}
	}
	if (rc != 1)
		goto done;
	rc = QS_OK;
	if (json)
		printf("%s], \"complete\": %s, \"scan_end\": %llu, "
		    "\"message\": ", i ? "\n" : "",
		    end->status == CATALOGUE_COMPLETE ? "true" : "false",
		    (unsigned long long)end->scan_end);
	if (json) {
		cmd_output_json_string(stdout, end->message);
		printf("}\n");
	}
	if (end->status == CATALOGUE_STOPPED) {
		/* The message is libarchive's about the tar: escaped. */
		fprintf(stderr, "qsarc: ls: stream \"");
		cmd_output_text_str(stderr, name);
		fprintf(stderr, "\": the catalogue stops at byte %llu: ",
		    (unsigned long long)end->scan_end);
		cmd_output_text_str(stderr, end->message);
		fprintf(stderr, " (the stream itself is stored whole)\n");
	}
done:
	catalogue_reader_free(cr);
	return (rc);
}


/* qsarc ls STORE: the streams, live or expired; the exit code. */
/* One stream set problem: a warning on stderr, and exit 6. */
static void
ls_streamset_cb(void *ctx, const char *name, const char *path,
    const char *msg)
{
	int *status = ctx;

	(void)name;
	(void)path;
	fputs("qsarc: ls: warning: ", stderr);
	cmd_output_text_str(stderr, msg);
	fputc('\n', stderr);
	*status = EXIT_DAMAGE;
}

/* A stream of the list and its put time, for --sort time. */
struct by_time {
	const char *name;
	int64_t created;
};

static int
by_time_cmp(const void *a, const void *b)
{
	const struct by_time *x = a, *y = b;

	/* Oldest first; in one second by name (as latest counts them). */
	if (x->created != y->created)
		return (x->created < y->created ? -1 : 1);
	return (strcmp(x->name, y->name));
}

/*
 * Put the ${count} names at ${names} in put-time order.  A manifest that
 * does not open sorts last and is reported when it is listed.
 */
static int
sort_by_time(struct store *s, int expired, char **names, size_t count)
{
	struct manifest_reader *mr;
	struct by_time *bt;

	if ((bt = calloc(count + 1, sizeof(*bt))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	for (size_t i = 0; i < count; i++) {
		bt[i].name = names[i];
		bt[i].created = INT64_MAX;
		if (manifest_reader_open(s, names[i], expired, &mr) != QS_OK)
			continue;
		bt[i].created = manifest_reader_summary(mr)->created;
		manifest_reader_free(mr);
	}
	qs_error_clear();
	qsort(bt, count, sizeof(*bt), by_time_cmp);
	for (size_t i = 0; i < count; i++)
		names[i] = (char *)(uintptr_t)bt[i].name;
	free(bt);
	return (QS_OK);
}

static int
list_streams(struct store *s, const struct cmd_options *c, int expired,
    int sort_time)
{
	const struct manifest_summary *sum;
	struct manifest_reader *mr;
	char **names = NULL;
	size_t count = 0;
	char when[64], a[32], b[32];
	int rc, printed = 0, status = EXIT_OK;

	if ((rc = store_list_streams(s, expired, &names, &count)) != QS_OK)
		return (cmd_output_fail("ls", rc));
	if (sort_time && (rc = sort_by_time(s, expired, names, count)) !=
	    QS_OK) {
		store_names_free(names, count);
		return (cmd_output_fail("ls", rc));
	}
	if (c->json)
		printf("{\"streams\": [");
	else
		printf("%-32s %-20s %12s %12s\n", "NAME", "CREATED (UTC)",
		    "SIZE", "NEW");
	for (size_t i = 0; i < count; i++) {
		/* A damaged manifest is reported; the others still list. */
		if ((rc = manifest_reader_open(s, names[i], expired, &mr)) !=
		    QS_OK) {
			status = cmd_output_fail("ls", rc);
			continue;
		}
		sum = manifest_reader_summary(mr);
		cmd_output_utc(sum->created, when, sizeof(when));
		if (c->json) {
			printf("%s\n  {\"name\": ", printed++ ? "," : "");
			cmd_output_json_string(stdout, sum->name);
			printf(", \"created\": \"%s\", "
			    "\"length\": %llu, \"chunks\": %llu, "
			    "\"new_bytes\": %llu, \"new_stored_bytes\": %llu}",
			    when,
			    (unsigned long long)sum->length,
			    (unsigned long long)sum->chunk_count,
			    (unsigned long long)sum->new_raw_bytes,
			    (unsigned long long)sum->new_stored_bytes);
		} else {
			/* The name is the store's: escaped, then padded. */
			cmd_output_text_str(stdout, sum->name);
			for (size_t k = strlen(sum->name); k < 32; k++)
				putchar(' ');
			printf(" %-20s %12s %12s\n", when,
			    cmd_output_bytes(sum->length, a, sizeof(a)),
			    cmd_output_bytes(sum->new_stored_bytes, b,
			    sizeof(b)));
		}
		manifest_reader_free(mr);
	}
	if (c->json)
		printf("%s]}\n", printed ? "\n" : "");
	store_names_free(names, count);
	/*
	 * A stream missing from (or not in) the stream set is damage: warn,
	 * after the list, and exit 6 (spec/SECURITY.md 5.2).
	 */
	fflush(stdout);
	if ((rc = store_streamset_check(s, ls_streamset_cb, &status)) != QS_OK)
		status = cmd_output_fail("ls", rc);
	return (status);
}

/* Parse into ${c} and the flags; -1 to go on, else the exit code. */
static int
parse_args(int argc, char **argv, struct cmd_options *c, int *expired,
    int *lng, int *sort_time)
{
	static const struct option opts[] = {
		{ "expired", no_argument, NULL, OPT_EXPIRED },
		{ "long", no_argument, NULL, OPT_LONG },
		{ "sort", required_argument, NULL, OPT_SORT },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	int opt, r;

	cmd_options_init(c);
	*expired = *lng = *sort_time = 0;
	while ((opt = getopt_long(argc, argv, CMD_OPTIONS_SHORT, opts,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("ls"));
		case OPT_EXPIRED:
			*expired = 1;
			break;
		case OPT_LONG:
			*lng = 1;
			break;
		case OPT_SORT:
			if (strcmp(optarg, "name") != 0 &&
			    strcmp(optarg, "time") != 0)
				return (cmd_output_usage("ls", "--sort must be "
				    "name or time, not \"%s\"", optarg));
			*sort_time = strcmp(optarg, "time") == 0;
			break;
		default:
			r = cmd_options_common("ls", c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_options_unknown("ls", argv));
		}
	}
	if (argc - optind != 1 && argc - optind != 2)
		return (cmd_output_usage("ls", "expected STORE [NAME]"));
	/* Members are listed in stream order, like tar -t. */
	if (*sort_time && argc - optind == 2)
		return (cmd_output_usage("ls", "--sort time orders the list "
		    "of streams, not the members of NAME"));
	return (-1);
}

/**
 * cmd_ls(argc, argv):
 * qsarc ls STORE [NAME] [--expired] [--long] [--sort name|time] [--json]
 */
int
cmd_ls(int argc, char **argv)
{
	struct cmd_options c;
	struct store *s = NULL;
	int r, rc, expired, lng, sort_time;

	if ((r = parse_args(argc, argv, &c, &expired, &lng, &sort_time)) >= 0 ||
	    (r = cmd_options_names("ls", argv + optind + 1, argc - optind - 1))
	    >= 0)
		return (r);
	store_set_command("ls");
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &c,
	    NULL, &s)) != QS_OK)
		return (cmd_output_fail("ls", rc));
	if (argc - optind == 2) {
		if ((rc = cmd_options_latest(s, expired, argv + optind + 1, 1))
		    == QS_OK)
			rc = list_members(s, argv[optind + 1], expired, lng,
			    c.json);
		r = rc == QS_OK ? EXIT_OK : cmd_output_fail("ls", rc);
	} else {
		r = list_streams(s, &c, expired, sort_time);
	}
	store_close(s);
	return (r);
}
