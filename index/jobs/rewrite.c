#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/fileio.h"
#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/chunk/chunkindex.h"
#include "index/store/container.h"
#include "index/store/chunk_reader.h"
#include "index/jobs/rewrite.h"
#include "index/store/container_scan.h"
#include "index/store/store.h"

struct rec_list {
	struct scan_record *recs;
	size_t n, cap;
};

static int
collect(void *ctx, const struct scan_record *rec)
{
	struct rec_list *l = ctx;
	struct scan_record *nr;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		if ((nr = realloc(l->recs, l->cap * sizeof(*nr))) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		l->recs = nr;
	}
	l->recs[l->n++] = *rec;
	return (QS_OK);
}

/* A sealed container was committed: stage each record's final place. */
static int
rewrite_relocate(void *ctx, const uint8_t id[32], const struct chunk_loc *loc)
{

	return (chunkindex_stage(ctx, id, loc));
}

/**
 * rewrite_container(s, container_id, r, cw, cw_plain, keep, ctx, unlink_old,
 *     st):
 * Copy the live records of a container into ${cw}, publish, unlink it.
 */
int
rewrite_container(struct store *s, uint64_t container_id,
    struct chunk_reader *r, struct container_writer *cw,
    struct container_writer *cw_plain,
    int (*keep)(void *, const uint8_t[32], uint16_t), void *kctx,
    int unlink_old, struct rewrite_stats *st)
{
	struct container_writer *to;
	struct chunkindex *idx = store_index(s);
	struct rec_list l = { NULL, 0, 0 };
	struct chunk_loc loc, nloc;
	const uint8_t *payload;
	uint8_t *raw = NULL;
	size_t rawlen, plen;
	uint8_t flags;
	char path[4096];
	struct stat sb;
	int rc;

	if ((rc = store_container_path(store_root(s), container_id, path,
	    sizeof(path))) != QS_OK)
		return (rc);
	if ((rc = container_scan(s, container_id, collect, &l)) != QS_OK)
		goto done;
	if ((raw = malloc(store_config(s)->chunk_max > RECORD_MAX_RAW ?
	    RECORD_MAX_RAW : RECORD_MAX_RAW)) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	container_writer_set_relocate(cw, rewrite_relocate, idx);
	if (cw_plain != NULL)
		container_writer_set_relocate(cw_plain, rewrite_relocate, idx);
	for (size_t i = 0; i < l.n; i++) {
		const struct scan_record *rec = &l.recs[i];

		/* Only the copy the index points at is live. */
		if (chunkindex_lookup(idx, rec->h.chunk_id, &loc) != QS_OK ||
		    loc.container_id != container_id ||
		    loc.offset != rec->offset ||
		    (keep != NULL && !keep(kctx, rec->h.chunk_id,
		    rec->h.key_id))) {
			st->records_dropped++;
			continue;
		}
		to = cw;
		if (rec->h.key_id == 0 && container_writer_key_id(cw) != 0)
			to = cw_plain;
		if (to == NULL) {
			rc = qs_error_set(QS_EINVAL, "%s: offset %llu: an "
			    "unencrypted record cannot be moved under a key "
			    "without new ids", path,
			    (unsigned long long)rec->offset);
			goto done;
		}
		if ((rc = chunk_reader_payload(r, rec->h.chunk_id, &loc, raw,
		    RECORD_MAX_RAW, &rawlen, &payload, &plen, &flags)) !=
		    QS_OK)
			goto done;
		if ((rc = container_writer_append(to, rec->h.chunk_id,
		    (uint32_t)rawlen, flags, payload, plen, &nloc)) != QS_OK)
			goto done;
		if ((rc = chunkindex_stage(idx, rec->h.chunk_id, &nloc)) !=
		    QS_OK)
			goto done;
		st->records_kept++;
		st->bytes_kept += nloc.length;
	}
	/* New data durable, then the index, then the old file goes. */
	if ((rc = container_writer_finish(cw)) != QS_OK ||
	    (cw_plain != NULL &&
	    (rc = container_writer_finish(cw_plain)) != QS_OK) ||
	    (rc = chunkindex_flush(idx)) != QS_OK)
		goto done;
	if (stat(path, &sb) == 0)
		st->bytes_in += (uint64_t)sb.st_size;
	rc = unlink_old ? fileio_unlink(path) : QS_OK;
done:
	free(raw);
	free(l.recs);
	return (rc);
}
