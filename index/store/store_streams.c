/*
 * Stream names: the manifests in streams/ and expired/.
 */

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/fileio.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "format/streamset_fmt.h"
#include "index/store/store.h"
#include "index/store/store_internal.h"

/**
 * store_stream_state(s, name):
 * 1 live, 2 expired, 0 neither, or a negative error.
 */
int
store_stream_state(const struct store *s, const char *name)
{
	char path[4096];
	int rc;

	for (int expired = 0; expired <= 1; expired++) {
		if ((rc = store_stream_path(s, name, expired, path,
		    sizeof(path))) != QS_OK)
			return (rc);
		if (access(path, F_OK) == 0)
			return (expired ? 2 : 1);
		if (errno != ENOENT)
			return (qs_error_errno(path, "access"));
	}
	return (0);
}

static int
name_cmp(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/**
 * store_names_free(names, count):
 * Free what store_list_streams returned.
 */
void
store_names_free(char **names, size_t count)
{

	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/**
 * store_list_streams(s, expired, names, count):
 * Return the sorted names of the live (or expired) streams.
 */
int
store_list_streams(const struct store *s, int expired, char ***namesp,
    size_t *countp)
{
	char path[4096], lpath[4096];
	struct dirent *de;
	char **names = NULL, **nn;
	size_t count = 0, cap = 0, len;
	DIR *d;
	int rc = QS_OK;

	if ((rc = store_path_streams(s->root, expired, path,
	    sizeof(path))) != QS_OK)
		return (rc);
	if ((d = opendir(path)) == NULL)
		return (qs_error_errno(path, "open directory"));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 ||
		    strcmp(de->d_name + len - 4, ".qsm") != 0)
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nn = realloc(names, cap * sizeof(*names))) ==
			    NULL)
				goto enomem;
			names = nn;
		}
		if ((names[count] = strndup(de->d_name, len - 4)) == NULL)
			goto enomem;
		/*
		 * A name in both directories (a move cut short by a power
		 * loss): streams/ wins, the expired/ copy is stale (FORMAT.md
		 * 2) and the next change of the streams removes it.
		 */
		if (expired && store_stream_path(s, names[count], 0, lpath,
		    sizeof(lpath)) == QS_OK && access(lpath, F_OK) == 0) {
			free(names[count]);
			continue;
		}
		count++;
	}
	closedir(d);
	if (count > 0)
		qsort(names, count, sizeof(*names), name_cmp);
	*namesp = names;
	*countp = count;
	return (QS_OK);

enomem:
	closedir(d);
	store_names_free(names, count);
	return (qs_error_set(QS_ENOMEM, "out of memory"));
}

/**
 * store_foreach_stream(s, which, fn, ctx):
 * Call ${fn}(${ctx}, name, expired) for the live, then the expired streams
 * that ${which} selects, each list in name order; stop at a non-zero return.
 */
int
store_foreach_stream(const struct store *s, int which,
    int (*fn)(void *, const char *, int), void *ctx)
{
	char **names;
	size_t n;
	int rc = QS_OK;

	for (int expired = 0; expired <= 1 && rc == QS_OK; expired++) {
		if (!(which & (expired ? STORE_STREAMS_EXPIRED :
		    STORE_STREAMS_LIVE)))
			continue;
		if ((rc = store_list_streams(s, expired, &names, &n)) != QS_OK)
			return (rc);
		for (size_t i = 0; i < n && rc == QS_OK; i++)
			rc = fn(ctx, names[i], expired);
		store_names_free(names, n);
	}
	return (rc);
}

struct move_ctx {
	const char *from, *to;
};

static int
move_op(void *ctx)
{
	struct move_ctx *m = ctx;

	return (fileio_rename_noreplace(m->from, m->to));
}

static int
stream_move(struct store *s, const char *name, int to_expired)
{
	char from[4096], to[4096];
	struct manifest_header h;
	uint8_t hb[MANIFEST_HEADER_SIZE];
	struct move_ctx m = { from, to };
	int fd, rc;

	if ((rc = manifest_fmt_name_check(name)) != QS_OK)
		return (rc);
	if ((rc = store_stream_path(s, name, !to_expired, from,
	    sizeof(from))) != QS_OK ||
	    (rc = store_stream_path(s, name, to_expired, to, sizeof(to))) !=
	    QS_OK)
		return (rc);
	/* A stale expired/ copy of a live name is not an expired stream. */
	if ((rc = store_stream_state(s, name)) < 0)
		return (rc);
	if (rc != (to_expired ? 1 : 2))
		return (qs_error_set(QS_ENOENT, "%s: no %s stream named "
		    "\"%s\"", s->root, to_expired ? "live" : "expired", name));
	/* The file id the set records stays the manifest's own. */
	memset(h.file_id, 0, sizeof(h.file_id));
	if ((rc = fileio_open_regular(from, 0, &fd)) != QS_OK)
		return (rc);
	rc = fileio_pread_full(fd, hb, sizeof(hb), 0, from);
	close(fd);
	if (rc == QS_OK && manifest_fmt_header_decode(hb, sizeof(hb), &h) !=
	    QS_OK)
		rc = qs_error_set(QS_ECORRUPT, "%s: %s", from,
		    qs_error_message());
	if (rc != QS_OK)
		return (rc);
	if ((rc = store_streamset_change(s, name, to_expired ?
	    STREAMSET_EXPIRED : STREAMSET_LIVE, h.file_id, move_op, &m)) ==
	    QS_EEXIST)
		qs_error_set(QS_EEXIST, "%s: a%s stream named \"%s\" already "
		    "exists", s->root, to_expired ? "n expired" : " live",
		    name);
	return (rc);
}

/**
 * store_expire(s, name):
 * Move the manifest of ${name} to expired/.
 */
int
store_expire(struct store *s, const char *name)
{

	return (stream_move(s, name, 1));
}

/**
 * store_unexpire(s, name):
 * Move the manifest of ${name} back from expired/.
 */
int
store_unexpire(struct store *s, const char *name)
{

	return (stream_move(s, name, 0));
}
