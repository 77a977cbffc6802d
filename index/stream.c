#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/aead.h"
#include "crypto/checksum.h"
#include "crypto/keystore.h"
#include "format/endian.h"
#include "format/fileio.h"
#include "format/manifest.h"
#include "format/qs_err.h"
#include "index/store.h"
#include "index/stream.h"

#define FRAME_CHECK_BYTES	16
/* Largest frame body on disk: nonce + plaintext + tag. */
#define FRAME_BODY_MAX	(AEAD_NONCEBYTES + MANIFEST_FRAME_MAX + AEAD_TAGBYTES)

struct manifest_writer {
	struct store *store;
	char path[4096];
	struct fileio_tmp *tmp;
	uint8_t hdr[MANIFEST_HEADER_SIZE];
	uint16_t key_id;
	const uint8_t *key;
	uint64_t frame_index;
	uint8_t *pt;			/* frame plaintext being filled */
	uint32_t refs;			/* references in pt */
	uint8_t *body;			/* frame as written */
	uint64_t chunk_count;
	struct checksum_state stream_hash;
	int replace;			/* commit may replace the file */
	char name[STREAM_NAME_MAX + 1];
};

struct manifest_reader {
	struct store *store;
	char path[4096];
	int fd;
	uint64_t file_size;
	struct manifest_header h;
	uint8_t hdr[MANIFEST_HEADER_SIZE];
	struct manifest_summary summary;
	uint64_t pos;			/* offset of the next frame */
	uint64_t frame_index;
	uint8_t *body;
	uint8_t *pt;
	uint32_t refs, next_ref;
	uint64_t chunks_seen;
	uint64_t stream_offset;
	struct checksum_state stream_hash;
	int done;
};

static int writer_new(struct store *, const char *, int, int,
    struct manifest_writer **);

/* A plain frame's check: BLAKE2b-256(AD || plaintext), first 16 bytes. */
static void
frame_check(const uint8_t *ad, const uint8_t *pt, size_t len, uint8_t *out)
{
	struct checksum_state st;
	uint8_t sum[CHECKSUM_BYTES];

	checksum_init(&st);
	checksum_update(&st, ad, MANIFEST_FRAME_AD_SIZE);
	checksum_update(&st, pt, len);
	checksum_final(&st, sum);
	memcpy(out, sum, FRAME_CHECK_BYTES);
}

/* Seal or check-sum frame plaintext ${pt} and append it to the file. */
static int
writer_emit_frame(struct manifest_writer *mw, const uint8_t *pt, size_t len,
    int final)
{
	uint8_t ad[MANIFEST_FRAME_AD_SIZE];
	size_t body_len;

	manifest_frame_ad(mw->hdr, mw->frame_index, final, ad);
	if (mw->key != NULL) {
		aead_random_nonce(mw->body + 4);
		aead_seal(mw->key, mw->body + 4, ad, sizeof(ad), pt, len,
		    mw->body + 4 + AEAD_NONCEBYTES);
		body_len = AEAD_NONCEBYTES + len + AEAD_TAGBYTES;
	} else {
		memcpy(mw->body + 4, pt, len);
		frame_check(ad, pt, len, mw->body + 4 + len);
		body_len = len + FRAME_CHECK_BYTES;
	}
	le32enc(mw->body, (uint32_t)body_len);
	mw->frame_index++;
	return (fileio_tmp_write(mw->tmp, mw->body, 4 + body_len));
}

static int
writer_flush_refs(struct manifest_writer *mw)
{
	size_t len;

	if (mw->refs == 0)
		return (QS_OK);
	manifest_refs_begin(mw->pt, mw->refs);
	len = MANIFEST_REFS_HEADER + (size_t)mw->refs * MANIFEST_REF_SIZE;
	mw->refs = 0;
	return (writer_emit_frame(mw, mw->pt, len, 0));
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
 * manifest_writer_replace(s, name, mw):
 * Start a new manifest that will replace the live stream ${name}'s.
 */
int
manifest_writer_replace(struct store *s, const char *name,
    struct manifest_writer **mwp)
{

	return (writer_new(s, name, 0, 1, mwp));
}

static int
writer_new(struct store *s, const char *name, int expired, int replace,
    struct manifest_writer **mwp)
{
	struct manifest_writer *mw;
	struct manifest_header h;
	const uint8_t *idkey;
	int rc;

	if ((rc = stream_name_check(name)) != QS_OK)
		return (rc);
	if ((mw = calloc(1, sizeof(*mw))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	mw->store = s;
	if ((mw->pt = malloc(MANIFEST_FRAME_MAX)) == NULL ||
	    (mw->body = malloc(4 + FRAME_BODY_MAX)) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto err;
	}
	mw->replace = replace;
	snprintf(mw->name, sizeof(mw->name), "%s", name);
	store_write_keys(s, &mw->key_id, &mw->key, &idkey);
	if ((rc = store_stream_path(s, name, expired, mw->path,
	    sizeof(mw->path)))
	    != QS_OK)
		goto err;
	if ((rc = fileio_tmp_open(mw->path, 0644, &mw->tmp)) != QS_OK)
		goto err;
	/* summary_offset and frame_count are filled in at commit. */
	memset(&h, 0, sizeof(h));
	h.key_id = mw->key_id;
	memcpy(h.store_id, store_config(s)->store_id, 16);
	h.summary_offset = MANIFEST_HEADER_SIZE;
	h.frame_count = 1;
	manifest_header_encode(&h, mw->hdr);
	if ((rc = fileio_tmp_write(mw->tmp, mw->hdr, sizeof(mw->hdr))) !=
	    QS_OK)
		goto err;
	checksum_init(&mw->stream_hash);
	*mwp = mw;
	return (QS_OK);

err:
	manifest_writer_free(mw);
	return (rc);
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
	struct manifest_header h;
	struct fileio_tmp *tmp;
	size_t len;
	int rc;

	if ((rc = writer_flush_refs(mw)) != QS_OK)
		goto err;
	/* The name is the one the file is committed under. */
	snprintf(summary->name, sizeof(summary->name), "%s", mw->name);
	summary->chunk_count = mw->chunk_count;
	checksum_final(&mw->stream_hash, summary->stream_hash);
	if (manifest_summary_encode(summary, mw->pt, MANIFEST_FRAME_MAX, &len)
	    != QS_OK) {
		rc = qs_error_set(QS_EINVAL, "bad stream name");
		goto err;
	}
	memset(&h, 0, sizeof(h));
	h.key_id = mw->key_id;
	memcpy(h.store_id, store_config(mw->store)->store_id, 16);
	h.summary_offset = fileio_tmp_offset(mw->tmp);
	h.frame_count = mw->frame_index + 1;
	if ((rc = writer_emit_frame(mw, mw->pt, len, 1)) != QS_OK)
		goto err;
	/* Only bytes 32..47 change; the first 32 are in every frame's AD. */
	manifest_header_encode(&h, mw->hdr);
	if ((rc = fileio_tmp_pwrite(mw->tmp, mw->hdr, sizeof(mw->hdr), 0)) !=
	    QS_OK)
		goto err;
	tmp = mw->tmp;
	mw->tmp = NULL;
	rc = fileio_tmp_commit(tmp, !mw->replace);
	if (rc == QS_EEXIST)
		qs_error_set(rc, "%s: a stream of this name already exists",
		    mw->path);
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
	fileio_tmp_abort(mw->tmp);
	free(mw->pt);
	free(mw->body);
	free(mw);
}

/*
 * Read frame number ${index} at ${off}: authenticate or check it and leave
 * its plaintext in mr->pt.  Return its plaintext length in ${ptlen} and
 * the offset after it in ${next}.
 */
static int
reader_frame(struct manifest_reader *mr, uint64_t off, uint64_t index,
    int final, size_t *ptlen, uint64_t *next)
{
	uint8_t ad[MANIFEST_FRAME_AD_SIZE];
	uint8_t lenbuf[4], check[FRAME_CHECK_BYTES];
	const uint8_t *key, *idkey;
	uint32_t body_len;
	int rc;

	if (off > mr->file_size || mr->file_size - off < 4)
		return (qs_error_set(QS_ECORRUPT, "%s: truncated: frame %llu "
		    "at offset %llu is missing", mr->path,
		    (unsigned long long)index, (unsigned long long)off));
	if ((rc = fileio_pread_full(mr->fd, lenbuf, 4, off, mr->path)) !=
	    QS_OK)
		return (rc);
	body_len = le32dec(lenbuf);
	if (body_len > FRAME_BODY_MAX || mr->file_size - off - 4 < body_len)
		return (qs_error_set(QS_ECORRUPT, "%s: frame %llu at offset "
		    "%llu: impossible length %u (file truncated or damaged)",
		    mr->path, (unsigned long long)index,
		    (unsigned long long)off, body_len));
	if ((rc = fileio_pread_full(mr->fd, mr->body, body_len, off + 4,
	    mr->path)) != QS_OK)
		return (rc);
	manifest_frame_ad(mr->hdr, index, final, ad);
	if (mr->h.key_id != 0) {
		if (store_read_keys(mr->store, mr->h.key_id, &key, &idkey) !=
		    QS_OK || key == NULL)
			return (qs_error_set(QS_EAUTH, "%s: sealed under "
			    "key %u, which this store does not have",
			    mr->path, mr->h.key_id));
		if (body_len < AEAD_NONCEBYTES + AEAD_TAGBYTES ||
		    aead_open(key, mr->body, ad, sizeof(ad),
		    mr->body + AEAD_NONCEBYTES, body_len - AEAD_NONCEBYTES,
		    mr->pt) != QS_OK)
			return (qs_error_set(QS_EAUTH, "%s: frame %llu at "
			    "offset %llu: authentication failed", mr->path,
			    (unsigned long long)index,
			    (unsigned long long)off));
		*ptlen = body_len - AEAD_NONCEBYTES - AEAD_TAGBYTES;
	} else {
		if (store_config(mr->store)->has_plain_keys == 0)
			return (qs_error_set(QS_EAUTH, "%s: unencrypted "
			    "manifest in a store that was encrypted from its "
			    "creation", mr->path));
		if (body_len < FRAME_CHECK_BYTES)
			return (qs_error_set(QS_ECORRUPT, "%s: frame %llu "
			    "too short", mr->path, (unsigned long long)index));
		*ptlen = body_len - FRAME_CHECK_BYTES;
		frame_check(ad, mr->body, *ptlen, check);
		if (memcmp(check, mr->body + *ptlen, FRAME_CHECK_BYTES) != 0)
			return (qs_error_set(QS_ECORRUPT, "%s: frame %llu at "
			    "offset %llu: checksum mismatch", mr->path,
			    (unsigned long long)index,
			    (unsigned long long)off));
		memcpy(mr->pt, mr->body, *ptlen);
	}
	*next = off + 4 + body_len;
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
	size_t ptlen;
	uint64_t next;
	off_t size;
	int rc;

	if ((rc = stream_name_check(name)) != QS_OK)
		return (rc);
	if ((mr = calloc(1, sizeof(*mr))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	mr->fd = -1;
	mr->store = s;
	if ((mr->pt = malloc(FRAME_BODY_MAX)) == NULL ||
	    (mr->body = malloc(FRAME_BODY_MAX)) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto err;
	}
	if ((rc = store_stream_path(s, name, expired, mr->path,
	    sizeof(mr->path))) != QS_OK)
		goto err;
	if ((mr->fd = open(mr->path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = qs_error_errno(mr->path, "open");
		if (rc == QS_ENOENT)
			qs_error_set(rc, "%s: no %sstream named \"%s\"",
			    store_root(s), expired ? "expired " : "", name);
		goto err;
	}
	if ((size = lseek(mr->fd, 0, SEEK_END)) < 0) {
		rc = qs_error_errno(mr->path, "seek");
		goto err;
	}
	mr->file_size = (uint64_t)size;
	if (mr->file_size < MANIFEST_HEADER_SIZE) {
		rc = qs_error_set(QS_ECORRUPT, "%s: truncated (%llu bytes)",
		    mr->path, (unsigned long long)mr->file_size);
		goto err;
	}
	if ((rc = fileio_pread_full(mr->fd, mr->hdr, sizeof(mr->hdr), 0,
	    mr->path)) != QS_OK)
		goto err;
	if ((rc = manifest_header_decode(mr->hdr, sizeof(mr->hdr), &mr->h)) !=
	    QS_OK) {
		qs_error_set(rc, "%s: %s", mr->path, rc == QS_EVERSION ?
		    "manifest written by a newer qsarc (unknown version or "
		    "flags)" : "damaged manifest header");
		goto err;
	}
	if (memcmp(mr->h.store_id, store_config(s)->store_id, 16) != 0) {
		rc = qs_error_set(QS_ECORRUPT, "%s: manifest belongs to "
		    "another store", mr->path);
		goto err;
	}
	if ((rc = reader_frame(mr, mr->h.summary_offset,
	    mr->h.frame_count - 1, 1, &ptlen, &next)) != QS_OK)
		goto err;
	if (next != mr->file_size) {
		rc = qs_error_set(QS_ECORRUPT, "%s: %llu unexpected bytes "
		    "after the summary", mr->path,
		    (unsigned long long)(mr->file_size - next));
		goto err;
	}
	if ((rc = manifest_summary_decode(mr->pt, ptlen, &mr->summary)) !=
	    QS_OK) {
		qs_error_set(rc, "%s: damaged summary", mr->path);
		goto err;
	}
	if (strcmp(mr->summary.name, name) != 0) {
		rc = qs_error_set(QS_ECORRUPT, "%s: manifest is for stream "
		    "\"%s\" (renamed file?)", mr->path, mr->summary.name);
		goto err;
	}
	mr->pos = MANIFEST_HEADER_SIZE;
	checksum_init(&mr->stream_hash);
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
	size_t ptlen;
	uint64_t next;
	int rc;

	if (mr->done)
		return (1);
	while (mr->next_ref == mr->refs) {
		if (mr->frame_index + 1 == mr->h.frame_count) {
			/* All reference frames read: check the totals. */
			if (mr->pos != mr->h.summary_offset)
				return (qs_error_set(QS_ECORRUPT, "%s: frames "
				    "do not end at the summary", mr->path));
			checksum_final(&mr->stream_hash, sum);
			if (mr->chunks_seen != mr->summary.chunk_count ||
			    mr->stream_offset != mr->summary.length ||
			    memcmp(sum, mr->summary.stream_hash, 32) != 0)
				return (qs_error_set(QS_ECORRUPT, "%s: "
				    "references do not match the summary "
				    "(count, length or stream hash)",
				    mr->path));
			mr->done = 1;
			return (1);
		}
		if ((rc = reader_frame(mr, mr->pos, mr->frame_index, 0,
		    &ptlen, &next)) != QS_OK)
			return (rc);
		if (manifest_refs_decode(mr->pt, ptlen, &mr->refs) != QS_OK)
			return (qs_error_set(QS_ECORRUPT, "%s: frame %llu: "
			    "malformed reference list", mr->path,
			    (unsigned long long)mr->frame_index));
		mr->next_ref = 0;
		mr->frame_index++;
		mr->pos = next;
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
	if (mr->fd >= 0)
		close(mr->fd);
	free(mr->pt);
	free(mr->body);
	free(mr);
}

/**
 * manifest_reseal(s, name, expired):
 * Rewrite the manifest of ${name} under the store's current key, replacing
 * the file atomically.  Every frame is checked on the way.
 */
int
manifest_reseal(struct store *s, const char *name, int expired)
{
	struct manifest_reader *mr = NULL;
	struct manifest_writer *mw = NULL;
	struct manifest_summary *sum = NULL;
	const uint8_t *id;
	uint32_t raw_len;
	uint64_t off;
	int rc;

	if ((rc = manifest_reader_open(s, name, expired, &mr)) != QS_OK)
		return (rc);
	if ((rc = writer_new(s, name, expired, 1, &mw)) != QS_OK)
		goto done;
	while ((rc = manifest_reader_next(mr, &id, &raw_len, &off)) == QS_OK)
		if ((rc = manifest_writer_add(mw, id, raw_len)) != QS_OK)
			goto done;
	if (rc != 1)
		goto done;
	if ((sum = malloc(sizeof(*sum))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	*sum = *manifest_reader_summary(mr);
	rc = manifest_writer_commit(mw, sum);
	mw = NULL;
done:
	free(sum);
	manifest_writer_free(mw);
	manifest_reader_free(mr);
	return (rc);
}

/**
 * manifest_key_id(s, name, expired, key_id):
 * Read only the header of a manifest and return the key it is sealed
 * under (0: plain).
 */
int
manifest_key_id(struct store *s, const char *name, int expired,
    uint16_t *key_id)
{
	struct manifest_header h;
	uint8_t hdr[MANIFEST_HEADER_SIZE];
	char path[4096];
	int fd, rc;

	if ((rc = store_stream_path(s, name, expired, path, sizeof(path))) !=
	    QS_OK)
		return (rc);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (qs_error_errno(path, "open"));
	rc = fileio_pread_full(fd, hdr, sizeof(hdr), 0, path);
	close(fd);
	if (rc != QS_OK)
		return (rc);
	if ((rc = manifest_header_decode(hdr, sizeof(hdr), &h)) != QS_OK)
		return (qs_error_set(rc, "%s: damaged manifest header", path));
	*key_id = h.key_id;
	return (QS_OK);
}
