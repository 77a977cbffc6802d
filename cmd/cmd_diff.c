/*
 * qsarc diff STORE OLD NEW: members added, removed and changed between the
 * tar catalogues of two streams.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/tar/catalogue.h"
#include "index/store/store.h"
#include "index/store/manifest.h"

struct entry {
	char *path;
	char *link;
	uint64_t size;
	int64_t mtime;
	uint32_t mode, uid, gid;
	uint8_t type;
};

struct entries {
	struct entry *e;
	size_t n, cap;
};

static void
entries_free(struct entries *es)
{

	for (size_t i = 0; i < es->n; i++) {
		free(es->e[i].path);
		free(es->e[i].link);
	}
	free(es->e);
}

static int
entry_cmp(const void *a, const void *b)
{

	return (strcmp(((const struct entry *)a)->path,
	    ((const struct entry *)b)->path));
}

static int
load(struct store *s, const char *name, struct entries *es)
{
	struct manifest_reader *mr;
	struct catalogue_reader *cr = NULL;
	struct catalogue_member m;
	struct manifest_summary *sum;
	struct entry *ne;
	int rc;

	if ((sum = malloc(sizeof(*sum))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = manifest_reader_open(s, name, 0, &mr)) != QS_OK)
		goto done;
	*sum = *manifest_reader_summary(mr);
	manifest_reader_free(mr);
	if ((rc = catalogue_reader_open(s, sum, &cr)) != QS_OK)
		goto done;
	while ((rc = catalogue_reader_next(cr, &m)) == QS_OK) {
		if (es->n == es->cap) {
			es->cap = es->cap ? es->cap * 2 : 1024;
			if ((ne = realloc(es->e, es->cap * sizeof(*ne))) ==
			    NULL) {
				rc = qs_error_set(QS_ENOMEM, "out of memory");
				goto done;
			}
			es->e = ne;
		}
		ne = &es->e[es->n];
		ne->path = strndup(m.path, m.path_len);
		ne->link = strndup(m.link, m.link_len);
		if (ne->path == NULL || ne->link == NULL) {
			free(ne->path);
			free(ne->link);
			rc = qs_error_set(QS_ENOMEM, "out of memory");
			goto done;
		}
		ne->size = m.size;
		ne->mtime = m.mtime;
		ne->mode = m.mode;
		ne->uid = m.uid;
		ne->gid = m.gid;
		ne->type = m.type;
		es->n++;
	}
	if (rc == 1)
		rc = QS_OK;
	if (es->n > 1)
		qsort(es->e, es->n, sizeof(*es->e), entry_cmp);
done:
	catalogue_reader_free(cr);
	free(sum);
	return (rc);
}

static const char *
what_changed(const struct entry *a, const struct entry *b)
{

	if (a->type != b->type)
		return ("type");
	if (a->size != b->size)
		return ("size");
	if (strcmp(a->link, b->link) != 0)
		return ("link");
	if (a->mtime != b->mtime)
		return ("mtime");
	if ((a->mode & 07777) != (b->mode & 07777))
		return ("mode");
	if (a->uid != b->uid || a->gid != b->gid)
		return ("owner");
	return (NULL);
}

static void
report(int json, int *first, char tag, const char *path, const char *why)
{

	if (json) {
		printf("%s\n  {\"change\": \"%s\", ", *first ? "" :
		    ",", tag == '+' ? "added" : tag == '-' ? "removed" :
		    "changed");
		cmd_output_json_name(stdout, "path", path, strlen(path));
		if (why != NULL)
			printf(", \"what\": \"%s\"", why);
		printf("}");
	} else {
		/* Member names come from the tar: escaped, as ls shows them. */
		printf("%c ", tag);
		cmd_output_text_str(stdout, path);
		if (why != NULL)
			printf(" (%s)", why);
		putchar('\n');
	}
	*first = 0;
}

/* Walk both sorted lists together, printing each change as it is found. */
static void
print_changes(int json, const struct entries *a, const struct entries *b)
{
	const char *why;
	size_t i = 0, j = 0;
	uint64_t added = 0, removed = 0, changed = 0;
	int cmp, first = 1;

	if (json)
		printf("{\"changes\": [");
	while (i < a->n || j < b->n) {
		if (i == a->n)
			cmp = 1;
		else if (j == b->n)
			cmp = -1;
		else
			cmp = strcmp(a->e[i].path, b->e[j].path);
		if (cmp < 0) {
			report(json, &first, '-', a->e[i++].path, NULL);
			removed++;
		} else if (cmp > 0) {
			report(json, &first, '+', b->e[j++].path, NULL);
			added++;
		} else {
			if ((why = what_changed(&a->e[i], &b->e[j])) != NULL) {
				report(json, &first, 'M', b->e[j].path, why);
				changed++;
			}
			i++;
			j++;
		}
	}
	if (json)
		printf("%s], \"added\": %llu, \"removed\": %llu, "
		    "\"changed\": %llu}\n", first ? "" : "\n",
		    (unsigned long long)added, (unsigned long long)removed,
		    (unsigned long long)changed);
}

/**
 * cmd_diff(argc, argv):
 * qsarc diff STORE OLD NEW [--json]
 */
int
cmd_diff(int argc, char **argv)
{
	struct entries a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	struct cmd_options c;
	struct store *s = NULL;
	int r, rc;

	if ((r = cmd_options_only("diff", argc, argv, &c)) >= 0)
		return (r);
	if (argc - optind != 3)
		return (cmd_output_usage("diff", "expected STORE OLD NEW"));
	if ((r = cmd_options_names("diff", argv + optind + 1, 2)) >= 0)
		return (r);
	store_set_command("diff");
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &c, NULL,
	    &s)) != QS_OK)
		return (cmd_output_fail("diff", rc));
	if ((rc = load(s, argv[optind + 1], &a)) != QS_OK ||
	    (rc = load(s, argv[optind + 2], &b)) != QS_OK) {
		r = cmd_output_fail("diff", rc);
		goto done;
	}
	print_changes(c.json, &a, &b);
	r = EXIT_OK;
done:
	entries_free(&a);
	entries_free(&b);
	store_close(s);
	return (r);
}
