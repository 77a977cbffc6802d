/*
 * qsarc find STORE PATTERN: the tar members that match PATTERN in the
 * catalogues of every stream, to tell which stream to restore a file from.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "format/catalogue_fmt.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/store/store.h"
#include "index/tar/catalogue.h"
#include "index/tar/members.h"

enum {
	OPT_PREFIX = OPT_FIRST_LOCAL
};

struct find_state {
	int json;
	uint64_t matches;	/* members printed */
	uint64_t searched;	/* streams with a catalogue */
	uint64_t uncatalogued;	/* streams without one (put --no-catalog) */
	int status;		/* exit code of the worst failure; EXIT_OK */
};

/* Print one matching member of stream ${name}. */
static void
print_match(struct find_state *fs, const char *name,
    const struct catalogue_member *m)
{
	static const char *type_names[] = { "other", "file", "dir",
	    "symlink", "hardlink", "chardev", "blockdev", "fifo", "socket" };
	char when[64];

	cmd_output_utc(m->mtime, when, sizeof(when));
	if (fs->json) {
		printf("%s\n  {\"stream\": ", fs->matches ? "," : "");
		cmd_output_json_string(stdout, name);
		/* "path", and "path_hex" if the tar's name is not UTF-8. */
		printf(", ");
		cmd_output_json_name(stdout, "path", m->path, m->path_len);
		printf(", \"type\": \"%s\", \"size\": %llu, ",
		    m->type <= MEMBER_SOCKET ? type_names[m->type] : "other",
		    (unsigned long long)m->size);
		cmd_output_json_time(stdout, "mtime", m->mtime);
		printf("}");
	} else {
		/* Names from the store and the tar: escaped, path last. */
		cmd_output_text_str(stdout, name);
		printf("  %s %12llu  ", when, (unsigned long long)m->size);
		cmd_output_text(stdout, m->path, m->path_len);
		putchar('\n');
	}
	fs->matches++;
}

/* Search the catalogue of stream ${name}; QS_OK or the error. */
static int
search_stream(struct store *s, const char *name, char *const *pattern,
    struct find_state *fs)
{
	struct catalogue_reader *cr = NULL;
	struct catalogue_member m;
	int rc;

	if ((rc = catalogue_reader_open_stream(s, name, 0, &cr)) == QS_ENOENT) {
		/* Not a tar, or put with --no-catalog: nothing to search. */
		qs_error_clear();
		fs->uncatalogued++;
		rc = QS_OK;
		goto done;
	}
	if (rc != QS_OK)
		goto done;
	fs->searched++;
	while ((rc = catalogue_reader_next(cr, &m)) == QS_OK)
		if (members_match(m.path, m.path_len, pattern, 1))
			print_match(fs, name, &m);
	if (rc == 1)
		rc = QS_OK;
done:
	catalogue_reader_free(cr);
	return (rc);
}

/* Parse into ${c} and ${prefix}; -1 to go on, else the exit code. */
static int
parse_args(int argc, char **argv, struct cmd_options *c, const char **prefix)
{
	static const struct option opts[] = {
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	int opt, r;

	cmd_options_init(c);
	*prefix = "";
	while ((opt = getopt_long(argc, argv, CMD_OPTIONS_SHORT, opts,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("find"));
		case OPT_PREFIX:
			*prefix = optarg;
			break;
		default:
			r = cmd_options_common("find", c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_output_usage("find",
				    "unknown option"));
		}
	}
	if (argc - optind != 2)
		return (cmd_output_usage("find", "expected STORE PATTERN"));
	if (argv[optind + 1][0] == '\0')
		return (cmd_output_usage("find", "PATTERN is empty"));
	return (-1);
}

/**
 * cmd_find(argc, argv):
 * qsarc find STORE PATTERN [--prefix P] [--json]
 */
int
cmd_find(int argc, char **argv)
{
	struct find_state fs;
	struct cmd_options c;
	struct store *s = NULL;
	const char *prefix;
	char **names = NULL;
	size_t count = 0, plen;
	int r, rc;

	if ((r = parse_args(argc, argv, &c, &prefix)) >= 0)
		return (r);
	memset(&fs, 0, sizeof(fs));
	fs.json = c.json;
	plen = strlen(prefix);
	store_set_command("find");
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &c,
	    NULL, &s)) != QS_OK)
		return (cmd_output_fail("find", rc));
	if ((rc = store_list_streams(s, 0, &names, &count)) != QS_OK) {
		r = cmd_output_fail("find", rc);
		store_close(s);
		return (r);
	}
	if (fs.json)
		printf("{\"matches\": [");
	for (size_t i = 0; i < count; i++) {
		if (strncmp(names[i], prefix, plen) != 0)
			continue;
		/* A damaged stream is reported; the others are searched. */
		fflush(stdout);
		if ((rc = search_stream(s, names[i], argv + optind + 1, &fs)) !=
		    QS_OK) {
			r = cmd_output_fail("find", rc);
			if (fs.status == EXIT_OK || r == EXIT_DAMAGE)
				fs.status = r;
		}
	}
	store_names_free(names, count);
	store_close(s);
	if (fs.json)
		printf("%s], \"count\": %llu, \"streams_searched\": %llu, "
		    "\"streams_uncatalogued\": %llu}\n", fs.matches ? "\n" : "",
		    (unsigned long long)fs.matches,
		    (unsigned long long)fs.searched,
		    (unsigned long long)fs.uncatalogued);
	fflush(stdout);
	if (fs.status != EXIT_OK)
		return (fs.status);
	/* Nothing matched is "not found", as for get --member. */
	if (fs.matches == 0) {
		fprintf(stderr, "qsarc: find: no member of %llu catalogued "
		    "stream%s matches \"", (unsigned long long)fs.searched,
		    fs.searched == 1 ? "" : "s");
		cmd_output_text_str(stderr, argv[optind + 1]);
		fprintf(stderr, "\"\n");
		return (EXIT_NOTFOUND);
	}
	return (EXIT_OK);
}
