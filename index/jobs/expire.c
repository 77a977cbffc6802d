#include <stdlib.h>
#include <string.h>

#include "format/fileio.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "format/streamset_fmt.h"
#include "index/jobs/expire.h"
#include "index/store/manifest.h"
#include "index/store/store.h"

struct expire_item {
	char *name;
	int64_t created;
};

static int
expire_cmp(const void *a, const void *b)
{
	const struct expire_item *x = a, *y = b;

	/*
	 * Newest first.  Ingest times are whole seconds; streams put in the
	 * same second are ordered by name, the later name counting as newer
	 * (dated names such as srv-2026-11-28 sort that way).
	 */
	if (x->created != y->created)
		return (x->created > y->created ? -1 : 1);
	return (-strcmp(x->name, y->name));
}

/**
 * expire_rule(s, prefix, keep_last, older_than, now, dry_run,
 *     names, count):
 * Expire streams by rule; return the expired names.
 */
int
expire_rule(struct store *s, const char *prefix, long keep_last,
    int64_t older_than, int64_t now, int dry_run, char ***outp,
    size_t *noutp)
{
	struct manifest_reader *mr;
	struct expire_item *items = NULL;
	char **names = NULL, **out = NULL;
	size_t n = 0, m = 0, nout = 0;
	long kept = 0;
	int rc;

	if ((rc = store_list_streams(s, 0, &names, &n)) != QS_OK)
		return (rc);
	if ((items = calloc(n + 1, sizeof(*items))) == NULL ||
	    (out = calloc(n + 1, sizeof(*out))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if (prefix != NULL &&
		    strncmp(names[i], prefix, strlen(prefix)) != 0)
			continue;
		/* Ingest time from the manifest, never from the input. */
		if ((rc = manifest_reader_open(s, names[i], 0, &mr)) != QS_OK)
			goto done;
		items[m].name = names[i];
		items[m].created = manifest_reader_summary(mr)->created;
		manifest_reader_free(mr);
		m++;
	}
	qsort(items, m, sizeof(*items), expire_cmp);
	for (size_t i = 0; i < m; i++) {
		if (keep_last >= 0 && kept < keep_last) {
			kept++;
			continue;
		}
		if (older_than >= 0 && now - items[i].created <= older_than)
			continue;
		if (!dry_run && (rc = store_expire(s, items[i].name)) != QS_OK)
			goto done;
		if ((out[nout] = strdup(items[i].name)) == NULL) {
			rc = qs_error_set(QS_ENOMEM, "out of memory");
			goto done;
		}
		nout++;
	}
	*outp = out;
	*noutp = nout;
	out = NULL;
	rc = QS_OK;
done:
	if (out != NULL)
		store_names_free(out, nout);
	free(items);
	store_names_free(names, n);
	return (rc);
}

struct purge_ctx {
	struct store *s;
	int dry_run;
	uint64_t *removed;
};

static int
purge_op(void *path)
{

	return (fileio_unlink(path));
}

static int
purge_one(void *ctx, const char *name, int expired)
{
	struct purge_ctx *pc = ctx;
	char path[4096];
	int rc;

	(*pc->removed)++;
	if (pc->dry_run)
		return (QS_OK);
	if ((rc = store_stream_path(pc->s, name, expired, path,
	    sizeof(path))) != QS_OK)
		return (rc);
	/* The set forgets the stream around the unlink. */
	return (store_streamset_change(pc->s, name, STREAMSET_ABSENT, NULL,
	    purge_op, path));
}

/**
 * expire_purge(s, dry_run, removed):
 * Delete the manifests of all expired streams; count them in ${removed}.
 */
int
expire_purge(struct store *s, int dry_run, uint64_t *removed)
{
	struct purge_ctx pc = { s, dry_run, removed };

	return (store_foreach_stream(s, STORE_STREAMS_EXPIRED, purge_one, &pc));
}
