/*
 * Copying streams to another store: which streams, whether they are there
 * already, and the per-stream copy (see replicate.h).
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/jobs/replicate.h"
#include "index/store/manifest.h"
#include "index/store/store.h"
#include "index/stream/pump.h"
#include "index/stream/put.h"
#include "index/tar/tarscan.h"

/* Compare two streams byte for byte (a target stream not made by us). */
static int
same_content(struct store *src, struct store *dst, const char *name,
    int *same)
{
	struct pump *pa = NULL, *pb = NULL;
	uint8_t a[65536], b[65536];
	ssize_t na, nb, got;
	int fa = -1, fb = -1, rc, rc2;

	*same = 1;
	if ((rc = pump_start(src, name, &fa, &pa)) != QS_OK)
		return (rc);
	if ((rc = pump_start(dst, name, &fb, &pb)) != QS_OK)
		goto done;
	for (;;) {
		if ((na = read(fa, a, sizeof(a))) < 0) {
			rc = qs_error_errno("pipe", "read");
			goto done;
		}
		for (nb = 0; nb < na; nb += got) {
			if ((got = read(fb, b + nb, (size_t)(na - nb))) <= 0)
				break;
		}
		if (nb != na || memcmp(a, b, (size_t)na) != 0) {
			*same = 0;
			break;
		}
		if (na == 0) {
			/* The target must end here too. */
			if (read(fb, b, 1) != 0)
				*same = 0;
			break;
		}
	}
done:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	rc2 = pa != NULL ? pump_join(pa) : QS_OK;
	if (pb != NULL && pump_join(pb) != QS_OK && rc2 == QS_OK &&
	    *same)
		rc2 = QS_EIO;
	if (rc == QS_OK && rc2 != QS_OK && *same)
		rc = rc2;
	return (rc);
}

static int
copy_stream(struct store *src, struct store *dst, const char *name,
    const struct manifest_summary *sum, const struct replicate_opts *o,
    struct replicate_totals *t)
{
	struct put_result pr;
	struct put_opts po;
	struct tarscan *scan = NULL;
	int rc;

	memset(&po, 0, sizeof(po));
	/* The source accepted a truncated tar once: its copy must too. */
	if ((rc = tarscan_attach(dst, &po, 1, &scan)) != QS_OK)
		return (rc);
	po.input_name = "the source store";
	po.progress = o->progress;
	po.progress_ctx = o->progress_ctx;
	po.origin_store_id = store_config(src)->store_id;
	po.origin_hash = sum->stream_hash;
	/* The ingest time travels with the stream (expiry rules use it). */
	rc = pump_copy(dst, src, name, &po, sum->created, &pr);
	tarscan_detach(scan);
	if (rc != QS_OK)
		return (rc);
	t->copied++;
	t->chunks_sent += pr.new_chunks;
	t->bytes_sent += pr.new_stored_bytes;
	t->bytes_skipped += pr.length - pr.new_raw_bytes;
	t->logical += pr.length;
	return (QS_OK);
}

/* Is ${name} already on the target, as this stream? */
static int
target_state(struct store *src, struct store *dst, const char *name,
    const struct manifest_summary *sum, int *present)
{
	struct manifest_reader *mr;
	const struct manifest_summary *ts;
	int state, rc, same = 0, origin;

	*present = 0;
	if ((state = store_stream_state(dst, name)) < 0)
		return (state);
	if (state == 0)
		return (QS_OK);
	if (state == 2)
		return (qs_error_set(QS_EEXIST, "%s: \"%s\" exists there as an "
		    "expired stream; unexpire or clean it first",
		    store_root(dst), name));
	if ((rc = manifest_reader_open(dst, name, 0, &mr)) != QS_OK)
		return (rc);
	ts = manifest_reader_summary(mr);
	origin = (ts->features & MANIFEST_FEATURE_ORIGIN) &&
	    memcmp(ts->origin_store_id, store_config(src)->store_id, 16) == 0;
	if (origin && memcmp(ts->origin_hash, sum->stream_hash, 32) == 0)
		same = 1;
	else if (origin || ts->length != sum->length)
		same = 0;
	else
		same = -1;		/* put there separately: compare */
	manifest_reader_free(mr);
	if (same < 0 && (rc = same_content(src, dst, name, &same)) != QS_OK)
		return (rc);
	if (!same)
		return (qs_error_set(QS_EEXIST, "%s: a stream named \"%s\" "
		    "exists there with other content; it is not overwritten",
		    store_root(dst), name));
	*present = 1;
	return (QS_OK);
}

/**
 * replicate_plaintext_check(src_root, dst_root, allow_plain, plain):
 * Refuse (unless ${allow_plain}) to copy encrypted data into a plain store.
 */
int
replicate_plaintext_check(const char *src_root, const char *dst_root,
    int allow_plain, int *plain)
{
	int senc, denc, rc;

	if ((rc = store_peek_encrypted(src_root, &senc)) != QS_OK ||
	    (rc = store_peek_encrypted(dst_root, &denc)) != QS_OK)
		return (rc);
	*plain = senc && !denc;
	if (*plain && !allow_plain)
		return (qs_error_set(QS_EINVAL, "%s is encrypted and %s is "
		    "not: replicating would store the data in the clear "
		    "there; enable encryption on the target ('qsarc "
		    "encrypt') or pass --allow-plaintext-target", src_root,
		    dst_root));
	return (QS_OK);
}

/**
 * replicate_streams(src, dst, opts, totals):
 * Copy the streams of ${src} that ${dst} lacks.
 */
int
replicate_streams(struct store *src, struct store *dst,
    const struct replicate_opts *o, struct replicate_totals *t)
{
	struct manifest_reader *mr;
	struct manifest_summary *sum = NULL;
	char **listed = NULL;
	const char *const *names = o->names;
	size_t n = o->nnames;
	int present, rc;

	memset(t, 0, sizeof(*t));
	if (memcmp(store_config(src)->store_id, store_config(dst)->store_id,
	    16) == 0)
		return (qs_error_set(QS_EINVAL, "source and target are the "
		    "same store"));
	/* No names given: every live stream of the source. */
	if (names == NULL) {
		if ((rc = store_list_streams(src, 0, &listed, &n)) != QS_OK)
			return (rc);
		names = (const char *const *)listed;
	}
	if ((sum = malloc(sizeof(*sum))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		/* This stream's summary, and whether the target has it. */
		if ((rc = manifest_reader_open(src, names[i], 0, &mr)) !=
		    QS_OK)
			goto done;
		*sum = *manifest_reader_summary(mr);
		manifest_reader_free(mr);
		if ((rc = target_state(src, dst, names[i], sum, &present)) !=
		    QS_OK)
			goto done;
		if (present) {
			t->present++;
			continue;
		}
		if (o->on_stream != NULL)
			o->on_stream(o->ctx, names[i], sum->length);
		/* A dry run only counts. */
		if (o->dry_run) {
			t->copied++;
			t->logical += sum->length;
			continue;
		}
		if ((rc = copy_stream(src, dst, names[i], sum, o, t)) !=
		    QS_OK)
			goto done;
	}
	rc = QS_OK;
done:
	free(sum);
	if (listed != NULL)
		store_names_free(listed, n);
	return (rc);
}
