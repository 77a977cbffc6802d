/*
 * qsarc diff STORE OLD NEW: members added, removed and changed between the
 * tar catalogues of two streams: every attribute that changed, and the
 * content, told by the chunk ids under each member's bytes and, where
 * those differ, by the bytes themselves.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/tar/catalogue.h"
#include "index/stream/get.h"
#include "index/tar/contents.h"
#include "index/store/store.h"

struct entry {
	char *path;
	char *link;
	char *owner;		/* "uname/gname" */
	uint64_t size;
	int64_t mtime;
	uint64_t data_start;	/* the member's bytes in the stream */
	uint64_t data_len;
	uint32_t mode, uid, gid;
	uint8_t type, flags;
};

struct entries {
	struct entry *e;
	size_t n, cap;
	struct contents_refs *refs;
};

/* What can change about a member, in the order they are listed. */
enum {
	CH_TYPE = 1 << 0,
	CH_SIZE = 1 << 1,
	CH_CONTENT = 1 << 2,
	CH_LINK = 1 << 3,
	CH_MTIME = 1 << 4,
	CH_MODE = 1 << 5,
	CH_OWNER = 1 << 6
};
static const char *const ch_names[] = { "type", "size", "content", "link",
    "mtime", "mode", "owner" };
#define CH_COUNT	(sizeof(ch_names) / sizeof(ch_names[0]))

/* One line of the diff: a member added, removed or changed. */
struct change {
	char tag;		/* '+', '-', 'M' */
	size_t i, j;		/* into OLD and NEW (as the tag says) */
	unsigned what;		/* CH_* */
	int suspect;		/* the chunks differ: compare the bytes */
	uint64_t lo, hi;	/* those bytes, from the members' starts */
};

static void
entries_free(struct entries *es)
{

	for (size_t i = 0; i < es->n; i++) {
		free(es->e[i].path);
		free(es->e[i].link);
		free(es->e[i].owner);
	}
	free(es->e);
	contents_refs_free(es->refs);
}

static int
entry_cmp(const void *a, const void *b)
{

	return (strcmp(((const struct entry *)a)->path,
	    ((const struct entry *)b)->path));
}

/*
 * Where the bytes of member ${m} are in the stream: a plain file's data
 * is the last ${size} bytes before its 512-byte padding.  A sparse member
 * stores only its data blocks, behind a map: its whole byte range is
 * compared then (headers included, so a time change there shows too).
 */
static void
data_range(const struct catalogue_member *m, struct entry *e)
{
	uint64_t padded = (m->size + 511) / 512 * 512;

	e->data_start = e->data_len = 0;
	if (m->type != MEMBER_FILE)
		return;
	if (!(m->flags & MEMBER_FLAG_SPARSE) && m->size >= 1 &&
	    m->end_offset >= m->header_offset &&
	    m->end_offset - m->header_offset >= padded + 512) {
		e->data_start = m->end_offset - padded;
		e->data_len = m->size;
	} else if (m->end_offset > m->header_offset) {
		e->data_start = m->header_offset;
		e->data_len = m->end_offset - m->header_offset;
	}
}

static int
load(struct store *s, const char *name, struct entries *es)
{
	struct catalogue_reader *cr = NULL;
	struct catalogue_member m;
	struct entry *ne;
	int rc;

	if ((rc = catalogue_reader_open_stream(s, name, 0, &cr)) != QS_OK)
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
		ne->owner = malloc((size_t)m.uname_len + m.gname_len + 2);
		if (ne->path == NULL || ne->link == NULL || ne->owner == NULL) {
			free(ne->path);
			free(ne->link);
			free(ne->owner);
			rc = qs_error_set(QS_ENOMEM, "out of memory");
			goto done;
		}
		memcpy(ne->owner, m.uname, m.uname_len);
		ne->owner[m.uname_len] = '/';
		memcpy(ne->owner + m.uname_len + 1, m.gname, m.gname_len);
		ne->owner[m.uname_len + 1 + m.gname_len] = '\0';
		ne->size = m.size;
		ne->mtime = m.mtime;
		ne->mode = m.mode;
		ne->uid = m.uid;
		ne->gid = m.gid;
		ne->type = m.type;
		ne->flags = m.flags;
		data_range(&m, ne);
		es->n++;
	}
	if (rc != 1)
		goto done;
	if (es->n > 1)
		qsort(es->e, es->n, sizeof(*es->e), entry_cmp);
	/* The chunk ids, to tell which contents may have changed. */
	rc = contents_refs_load(s, name, 0, &es->refs);
done:
	catalogue_reader_free(cr);
	return (rc);
}

/*
 * Every attribute that differs; ${ch}->suspect if the bytes must be read,
 * and which of them.
 */
static unsigned
what_changed(const struct entries *ea, const struct entry *a,
    const struct entries *eb, const struct entry *b, struct change *ch)
{
	unsigned what = 0;

	ch->suspect = 0;
	if (a->type != b->type)
		what |= CH_TYPE;
	/* A new size is new content; the same size needs a look. */
	if (a->size != b->size)
		what |= CH_SIZE;
	else if (a->type == b->type && a->data_len != b->data_len)
		what |= CH_CONTENT;
	else if (a->type == b->type && !contents_diff_span(ea->refs,
	    a->data_start, eb->refs, b->data_start, a->data_len, &ch->lo,
	    &ch->hi))
		ch->suspect = 1;
	if (strcmp(a->link, b->link) != 0)
		what |= CH_LINK;
	if (a->mtime != b->mtime)
		what |= CH_MTIME;
	if ((a->mode & 07777) != (b->mode & 07777))
		what |= CH_MODE;
	if (a->uid != b->uid || a->gid != b->gid ||
	    strcmp(a->owner, b->owner) != 0)
		what |= CH_OWNER;
	return (what);
}

/*
 * For the changes whose chunks differ, hash the bytes of both members and
 * mark those that really differ.
 */
static int
compare_bytes(struct store *s, const char *old, const struct entries *a,
    const char *new, const struct entries *b, struct change *ch, size_t n)
{
	struct byte_range *ra = NULL, *rb = NULL;
	uint8_t (*da)[32] = NULL, (*db)[32] = NULL;
	size_t k = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		k += ch[i].suspect;
	if (k == 0)
		return (QS_OK);
	if ((ra = calloc(k, sizeof(*ra))) == NULL ||
	    (rb = calloc(k, sizeof(*rb))) == NULL ||
	    (da = calloc(k, sizeof(*da))) == NULL ||
	    (db = calloc(k, sizeof(*db))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!ch[i].suspect)
			continue;
		/* Only the bytes the chunk ids could not tell about. */
		ra[k].start = a->e[ch[i].i].data_start + ch[i].lo;
		ra[k].end = a->e[ch[i].i].data_start + ch[i].hi;
		rb[k].start = b->e[ch[i].j].data_start + ch[i].lo;
		rb[k].end = b->e[ch[i].j].data_start + ch[i].hi;
		k++;
	}
	if ((rc = contents_digests(s, old, 0, ra, k, da)) != QS_OK ||
	    (rc = contents_digests(s, new, 0, rb, k, db)) != QS_OK)
		goto done;
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!ch[i].suspect)
			continue;
		if (memcmp(da[k], db[k], 32) != 0)
			ch[i].what |= CH_CONTENT;
		k++;
	}
done:
	free(ra);
	free(rb);
	free(da);
	free(db);
	return (rc);
}

/*
 * Walk both sorted lists together into the list of changes (in path
 * order), then read the bytes of those whose chunks differ.
 */
static int
find_changes(struct store *s, const char *old, const struct entries *a,
    const char *new, const struct entries *b, struct change **chp,
    size_t *np)
{
	struct change *ch;
	size_t i = 0, j = 0, n = 0;
	int cmp, rc;

	if ((ch = calloc(a->n + b->n + 1, sizeof(*ch))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	while (i < a->n || j < b->n) {
		if (i == a->n)
			cmp = 1;
		else if (j == b->n)
			cmp = -1;
		else
			cmp = strcmp(a->e[i].path, b->e[j].path);
		ch[n].i = i;
		ch[n].j = j;
		if (cmp < 0) {
			ch[n++].tag = '-';
			i++;
		} else if (cmp > 0) {
			ch[n++].tag = '+';
			j++;
		} else {
			ch[n].tag = 'M';
			ch[n].what = what_changed(a, &a->e[i], b, &b->e[j],
			    &ch[n]);
			n++;
			i++;
			j++;
		}
	}
	if ((rc = compare_bytes(s, old, a, new, b, ch, n)) != QS_OK) {
		free(ch);
		return (rc);
	}
	*chp = ch;
	*np = n;
	return (QS_OK);
}

static void
report(int json, int *first, char tag, const char *path, unsigned what)
{
	const char *sep = "";

	if (json) {
		printf("%s\n  {\"change\": \"%s\", ", *first ? "" :
		    ",", tag == '+' ? "added" : tag == '-' ? "removed" :
		    "changed");
		/* "path", and "path_hex" if it is not UTF-8. */
		cmd_output_json_name(stdout, "path", path, strlen(path));
		if (tag == 'M') {
			/* "what" lists them all, as the text form does. */
			printf(", \"what\": \"");
			for (size_t k = 0; k < CH_COUNT; k++)
				if (what & (1U << k)) {
					printf("%s%s", sep, ch_names[k]);
					sep = ", ";
				}
			printf("\", \"attributes\": [");
			sep = "";
			for (size_t k = 0; k < CH_COUNT; k++)
				if (what & (1U << k)) {
					printf("%s\"%s\"", sep, ch_names[k]);
					sep = ", ";
				}
			printf("]");
		}
		printf("}");
	} else {
		/* Member names come from the tar: escaped, as ls shows them. */
		printf("%c ", tag);
		cmd_output_text_str(stdout, path);
		if (tag == 'M') {
			printf(" (");
			for (size_t k = 0; k < CH_COUNT; k++)
				if (what & (1U << k)) {
					printf("%s%s", sep, ch_names[k]);
					sep = ", ";
				}
			printf(")");
		}
		putchar('\n');
	}
	*first = 0;
}

/* Print the changes, and the counts with --json. */
static void
print_changes(int json, const struct entries *a, const struct entries *b,
    const struct change *ch, size_t n)
{
	uint64_t added = 0, removed = 0, changed = 0;
	int first = 1;

	if (json)
		printf("{\"changes\": [");
	for (size_t k = 0; k < n; k++) {
		if (ch[k].tag == '-') {
			report(json, &first, '-', a->e[ch[k].i].path, 0);
			removed++;
		} else if (ch[k].tag == '+') {
			report(json, &first, '+', b->e[ch[k].j].path, 0);
			added++;
		} else if (ch[k].what != 0) {
			report(json, &first, 'M', b->e[ch[k].j].path,
			    ch[k].what);
			changed++;
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
	struct entries a = { NULL, 0, 0, NULL }, b = { NULL, 0, 0, NULL };
	struct change *ch = NULL;
	size_t nch = 0;
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
	if ((rc = cmd_options_latest(s, 0, argv + optind + 1, 2)) != QS_OK ||
	    (rc = load(s, argv[optind + 1], &a)) != QS_OK ||
	    (rc = load(s, argv[optind + 2], &b)) != QS_OK) {
		r = cmd_output_fail("diff", rc);
		goto done;
	}
	if ((rc = find_changes(s, argv[optind + 1], &a, argv[optind + 2], &b,
	    &ch, &nch)) != QS_OK) {
		r = cmd_output_fail("diff", rc);
		goto done;
	}
	print_changes(c.json, &a, &b, ch, nch);
	r = EXIT_OK;
done:
	free(ch);
	entries_free(&a);
	entries_free(&b);
	store_close(s);
	return (r);
}
