#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "format/endian.h"
#include "format/fileio.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "format/streamset_fmt.h"
#include "index/store/framefile.h"
#include "index/store/store.h"
#include "index/store/manifest.h"

static const uint8_t manifest_magic[8] = "QSARCMAN";

struct manifest_writer {
	struct store *store;
	struct framefile_writer *fw;
	char name[STREAM_NAME_MAX + 1];
	uint8_t *pt;			/* refs frame being filled */
	uint32_t refs;
	uint64_t chunk_count;
	struct checksum_state stream_hash;
	int expired;			/* committed into expired/ */
};

/* The commit, as the stream set's file operation. */
static int
commit_op(void *ctx)
{
	struct framefile_writer **fwp = ctx;
	struct framefile_writer *fw = *fwp;

	*fwp = NULL;
	return (framefile_writer_commit(fw, NULL));
}

struct manifest_reader {
	struct framefile_reader *fr;
	struct manifest_summary summary;
	const uint8_t *pt;		/* current refs frame */
	uint32_t refs, next_ref;
	uint64_t chunks_seen;
	uint64_t stream_offset;
	struct checksum_state stream_hash;
	int done;
	int prepass_done;		/* version 1: list checked whole */
};

static int
writer_flush_refs(struct manifest_writer *mw)
{
	size_t len;

	if (mw->refs == 0)
		return (QS_OK);
	manifest_fmt_refs_begin(mw->pt, mw->refs);
	len = MANIFEST_REFS_HEADER + (size_t)mw->refs * MANIFEST_REF_SIZE;
	mw->refs = 0;
	return (framefile_writer_frame(mw->fw, mw->pt, len, 0));
}

static int
writer_new(struct store *s, const char *name, int expired, int replace,
    struct manifest_writer **mwp)
{
	struct manifest_writer *mw;
	char path[4096];
	int rc;

	if ((rc = manifest_fmt_name_check(name)) != QS_OK)
		return (rc);
	if ((rc = store_stream_path(s, name, expired, path, sizeof(path))) !=
	    QS_OK)
		return (rc);
	if ((mw = calloc(1, sizeof(*mw))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	mw->store = s;
	mw->expired = expired;
	snprintf(mw->name, sizeof(mw->name), "%s", name);
	if ((mw->pt = malloc(MANIFEST_FRAME_MAX)) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto err;
	}
	if ((rc = framefile_writer_new(s, path, manifest_magic, replace,
	    &mw->fw)) != QS_OK)
		goto err;
	checksum_init(&mw->stream_hash);
	*mwp = mw;
	return (QS_OK);

err:
	manifest_writer_free(mw);
	return (rc);
}

/**
 * manifest_writer_new(s, name, mw):
 * Start the manifest of a new stream ${name} in store ${s}.
 */
int
manifest_writer_new(struct store *s, const char *name,
    struct manifest_writer **mwp)
{

	return (writer_new(s, name, 0, 0, mwp));
}

/**
 * manifest_writer_replace(s, name, expired, mw):
 * Start a new manifest that will replace stream ${name}'s.
 */
int
manifest_writer_replace(struct store *s, const char *name, int expired,
    struct manifest_writer **mwp)
{

	return (writer_new(s, name, expired, 1, mwp));
}

/**
 * manifest_writer_add(mw, id, raw_len):
 * Append a reference to chunk ${id} of ${raw_len} bytes.
 */
int
manifest_writer_add(struct manifest_writer *mw, const uint8_t id[32],
    uint32_t raw_len)
{
	uint8_t *ref;
	int rc;

	if (mw->refs == MANIFEST_REFS_PER_FRAME &&
	    (rc = writer_flush_refs(mw)) != QS_OK)
		return (rc);
	ref = mw->pt + MANIFEST_REFS_HEADER +
	    (size_t)mw->refs * MANIFEST_REF_SIZE;
	memcpy(ref, id, 32);
	le32enc(ref + 32, raw_len);
	checksum_update(&mw->stream_hash, ref, MANIFEST_REF_SIZE);
	mw->refs++;
	mw->chunk_count++;
	return (QS_OK);
}

/**
 * manifest_writer_commit(mw, summary):
 * Complete the manifest with ${summary} and make it visible.
 */
int
manifest_writer_commit(struct manifest_writer *mw,
    struct manifest_summary *summary)
{
	struct framefile_writer *fw;
	uint8_t fid[MANIFEST_FILE_ID_SIZE];
	size_t len;
	int rc;

	if ((rc = writer_flush_refs(mw)) != QS_OK)
		goto err;
	/* The name is the one the file is committed under. */
	snprintf(summary->name, sizeof(summary->name), "%s", mw->name);
	summary->chunk_count = mw->chunk_count;
	checksum_final(&mw->stream_hash, summary->stream_hash);
	if (manifest_fmt_summary_encode(summary, mw->pt, MANIFEST_FRAME_MAX, &len)
	    != QS_OK) {
		rc = qs_error_set(QS_EINVAL, "bad stream name");
		goto err;
	}
	if ((rc = framefile_writer_frame(mw->fw, mw->pt, len, 1)) != QS_OK)
		goto err;
	/*
	 * The stream set records the new manifest (pending) before it
	 * appears, and settles once it has (store_streamset_change).
	 */
	memcpy(fid, framefile_writer_file_id(mw->fw), sizeof(fid));
	fw = mw->fw;
	mw->fw = NULL;
	rc = store_streamset_change(mw->store, mw->name, mw->expired ?
	    STREAMSET_EXPIRED : STREAMSET_LIVE, fid, commit_op, &fw);
	if (fw != NULL) {
		/* Not committed: abandon it, keeping the set's error. */
		char msg[4096];

		snprintf(msg, sizeof(msg), "%s", qs_error_message());
		framefile_writer_free(fw);
		qs_error_set(rc, "%s", msg);
	}
	if (rc == QS_EEXIST)
		qs_error_set(rc, "%s: a stream named \"%s\" already exists",
		    store_root(mw->store), mw->name);
err:
	manifest_writer_free(mw);
	return (rc);
}

/**
 * manifest_writer_free(mw):
 * Abandon an uncommitted manifest.  NULL is allowed.
 */
void
manifest_writer_free(struct manifest_writer *mw)
{

	if (mw == NULL)
		return;
	framefile_writer_free(mw->fw);
	free(mw->pt);
	free(mw);
}

/*
 * A version 1 manifest's frames are not bound to their file (a refs frame
 * of another manifest under the same key authenticates at the same
 * index), so the only check of the whole list is the summary's count,
 * length and stream hash after the last reference.  Read the whole list
 * once and check them before the caller gets a single reference, so that
 * no restore (a member, or a stream to a pipe) uses a spliced list; then
 * start again from the first frame.  Done on the first
 * manifest_reader_next, so that a caller that needs only the summary
 * (ls, stats) does not pay for it.  Version 2 frames need no second
 * pass: each one is authenticated as frame i of this very file.
 */
static int
reader_prepass(struct manifest_reader *mr)
{
	const uint8_t *id;
	uint32_t raw_len;
	uint64_t off;
	int rc;

	while ((rc = manifest_reader_next(mr, &id, &raw_len, &off)) == QS_OK)
		;
	if (rc != 1)
		return (rc);
	framefile_reader_rewind(mr->fr);
	mr->pt = NULL;
	mr->refs = mr->next_ref = 0;
	mr->chunks_seen = mr->stream_offset = 0;
	mr->done = 0;
	checksum_init(&mr->stream_hash);
	return (QS_OK);
}

/**
 * manifest_reader_open(s, name, expired, mr):
 * Open the manifest of stream ${name} and read and check its summary.
 */
int
manifest_reader_open(struct store *s, const char *name, int expired,
    struct manifest_reader **mrp)
{
	struct manifest_reader *mr;
	const uint8_t *pt;
	char path[4096];
	size_t len;
	int rc;

	if ((rc = manifest_fmt_name_check(name)) != QS_OK)
		return (rc);
	if ((rc = store_stream_path(s, name, expired, path, sizeof(path))) !=
	    QS_OK)
		return (rc);
	if ((mr = calloc(1, sizeof(*mr))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = framefile_reader_open(s, path, manifest_magic, &mr->fr)) !=
	    QS_OK) {
		if (rc == QS_ENOENT)
			qs_error_set(rc, "%s: no %sstream named \"%s\"",
			    store_root(s), expired ? "expired " : "", name);
		goto err;
	}
	framefile_reader_final(mr->fr, &pt, &len);
	if ((rc = manifest_fmt_summary_decode(pt, len, &mr->summary)) != QS_OK) {
		qs_error_set(rc, "%s: %s", path, rc == QS_EVERSION ?
		    "written by a newer qsarc (unknown feature)" :
		    "damaged summary");
		goto err;
	}
	if (strcmp(mr->summary.name, name) != 0) {
		rc = qs_error_set(QS_ECORRUPT, "%s: manifest is for stream "
		    "\"%s\" (renamed file?)", path, mr->summary.name);
		goto err;
	}
	checksum_init(&mr->stream_hash);
	/* Version 2 needs no second pass; see reader_prepass. */
	mr->prepass_done = framefile_reader_header(mr->fr)->version !=
	    MANIFEST_VERSION_UNBOUND;
	*mrp = mr;
	return (QS_OK);

err:
	manifest_reader_free(mr);
	return (rc);
}

/**
 * manifest_reader_summary(mr):
 * The stream's summary.
 */
const struct manifest_summary *
manifest_reader_summary(const struct manifest_reader *mr)
{

	return (&mr->summary);
}

/**
 * manifest_reader_next(mr, id, raw_len, offset):
 * Return the next reference, or 1 after the last one.
 */
int
manifest_reader_next(struct manifest_reader *mr, const uint8_t **id,
    uint32_t *raw_len, uint64_t *offset)
{
	uint8_t sum[CHECKSUM_BYTES];
	const uint8_t *ref;
	size_t len;
	int rc;

	if (!mr->prepass_done) {
		mr->prepass_done = 1;
		if ((rc = reader_prepass(mr)) != QS_OK)
			return (rc);
	}
	if (mr->done)
		return (1);
	while (mr->next_ref == mr->refs) {
		if ((rc = framefile_reader_next(mr->fr, &mr->pt, &len)) == 1) {
			/* All reference frames read: check the totals. */
			checksum_final(&mr->stream_hash, sum);
			if (mr->chunks_seen != mr->summary.chunk_count ||
			    mr->stream_offset != mr->summary.length ||
			    memcmp(sum, mr->summary.stream_hash, 32) != 0)
				return (qs_error_set(QS_ECORRUPT, "%s: "
				    "references do not match the summary "
				    "(count, length or stream hash)",
				    framefile_reader_path(mr->fr)));
			mr->done = 1;
			return (1);
		}
		if (rc != QS_OK)
			return (rc);
		if (manifest_fmt_refs_decode(mr->pt, len, &mr->refs) != QS_OK)
			return (qs_error_set(QS_ECORRUPT, "%s: malformed "
			    "reference list", framefile_reader_path(mr->fr)));
		mr->next_ref = 0;
	}
	ref = mr->pt + MANIFEST_REFS_HEADER +
	    (size_t)mr->next_ref * MANIFEST_REF_SIZE;
	mr->next_ref++;
	checksum_update(&mr->stream_hash, ref, MANIFEST_REF_SIZE);
	*id = ref;
	*raw_len = le32dec(ref + 32);
	*offset = mr->stream_offset;
	mr->stream_offset += *raw_len;
	mr->chunks_seen++;
	return (QS_OK);
}

/**
 * manifest_reader_free(mr):
 * Free ${mr}; NULL is allowed.
 */
void
manifest_reader_free(struct manifest_reader *mr)
{

	if (mr == NULL)
		return;
	framefile_reader_free(mr->fr);
	free(mr);
}

/**
 * manifest_key_id(s, name, expired, key_id):
 * Read only the header of a manifest and return its key id.
 */
int
manifest_key_id(struct store *s, const char *name, int expired,
    uint16_t *key_id)
{
	struct manifest_header h;
	int rc;

	if ((rc = manifest_header_get(s, name, expired, &h)) != QS_OK)
		return (rc);
	*key_id = h.key_id;
	return (QS_OK);
}

/**
 * manifest_header_get(s, name, expired, h):
 * Read only the header of a manifest.
 */
int
manifest_header_get(struct store *s, const char *name, int expired,
    struct manifest_header *hp)
{
	struct manifest_header h;
	uint8_t hdr[MANIFEST_HEADER_SIZE];
	char path[4096];
	int fd, rc;

	if ((rc = store_stream_path(s, name, expired, path, sizeof(path))) !=
	    QS_OK)
		return (rc);
	if ((rc = fileio_open_regular(path, 0, &fd)) != QS_OK)
		return (rc);
	rc = fileio_pread_full(fd, hdr, sizeof(hdr), 0, path);
	close(fd);
	if (rc != QS_OK)
		return (rc);
	if ((rc = manifest_fmt_header_decode(hdr, sizeof(hdr), &h)) != QS_OK)
		return (qs_error_set(rc, "%s: damaged manifest header", path));
	*hp = h;
	return (QS_OK);
}

/**
 * manifest_latest(s, prefix, expired, name):
 * The newest stream whose name starts with ${prefix} into ${name}.
 */
int
manifest_latest(struct store *s, const char *prefix, int expired,
    char name[STREAM_NAME_MAX + 1])
{
	struct manifest_reader *mr;
	char **names = NULL;
	size_t n = 0, plen = strlen(prefix), best = 0;
	int64_t best_created = 0, created;
	int rc, found = 0;

	if ((rc = store_list_streams(s, expired, &names, &n)) != QS_OK)
		return (rc);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(names[i], prefix, plen) != 0)
			continue;
		/* The put time is the manifest's, never the input's. */
		if ((rc = manifest_reader_open(s, names[i], expired, &mr)) !=
		    QS_OK)
			goto done;
		created = manifest_reader_summary(mr)->created;
		manifest_reader_free(mr);
		/*
		 * Names come sorted: in a tie the later name wins, as expire
		 * counts it newer (dated names sort that way).
		 */
		if (!found || created >= best_created) {
			best = i;
			best_created = created;
			found = 1;
		}
	}
	if (!found) {
		rc = qs_error_set(QS_ENOENT, "no %sstream%s%s%s", expired ?
		    "expired " : "", plen ? " whose name starts with \"" : "",
		    prefix, plen ? "\"" : "");
		goto done;
	}
	snprintf(name, STREAM_NAME_MAX + 1, "%s", names[best]);
	rc = QS_OK;
done:
	store_names_free(names, n);
	return (rc);
}
