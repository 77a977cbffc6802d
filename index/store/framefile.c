#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/aead.h"
#include "crypto/checksum.h"
#include "crypto/random.h"
#include "crypto/secmem.h"
#include "format/endian.h"
#include "format/fileio.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/store/framefile.h"
#include "index/store/store.h"

#define FRAME_CHECK_BYTES	16
/* Largest frame body on disk: nonce + (padded) plaintext + tag. */
#define FRAME_BODY_MAX	(AEAD_NONCEBYTES + MANIFEST_FRAME_PADDED_MAX + \
	AEAD_TAGBYTES)

struct framefile_writer {
	struct store *store;
	char path[4096];
	const uint8_t *magic;
	struct fileio_tmp *tmp;
	uint8_t hdr[MANIFEST_HEADER_SIZE];
	uint8_t file_id[MANIFEST_FILE_ID_SIZE];
	uint16_t key_id;
	const uint8_t *key;
	uint64_t frame_index;
	uint64_t final_offset;
	int replace;
	uint16_t version;		/* 3 when sealed (padded), else 2 */
	uint8_t *body;
	uint8_t *padded;		/* version 3: the plaintext padded */
	size_t padded_used;		/* how much of it to wipe */
};

struct framefile_reader {
	struct store *store;
	char path[4096];
	int fd;
	uint64_t file_size;
	struct manifest_header h;
	uint8_t hdr[MANIFEST_HEADER_SIZE];
	uint64_t pos;			/* offset of the next frame */
	uint64_t frame_index;
	uint8_t *body;
	uint8_t *pt;			/* the frame being read */
	uint8_t *final_pt;		/* the final frame */
	size_t final_len;
};

/* A plain frame's check: BLAKE2b-256(AD || plaintext), first 16 bytes. */
static void
frame_check(const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t len,
    uint8_t *out)
{
	struct checksum_state st;
	uint8_t sum[CHECKSUM_BYTES];

	checksum_init(&st);
	checksum_update(&st, ad, adlen);
	checksum_update(&st, pt, len);
	checksum_final(&st, sum);
	memcpy(out, sum, FRAME_CHECK_BYTES);
}

/**
 * framefile_writer_new(s, path, magic, replace, fw):
 * Start writing a frame file that will become ${path}.
 */
int
framefile_writer_new(struct store *s, const char *path, const uint8_t *magic,
    int replace, struct framefile_writer **fwp)
{
	struct framefile_writer *fw;
	struct manifest_header h;
	const uint8_t *idkey;
	int rc;

	if ((rc = store_write_check(s)) != QS_OK)
		return (rc);
	if ((fw = calloc(1, sizeof(*fw))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	fw->store = s;
	fw->magic = magic;
	fw->replace = replace;
	snprintf(fw->path, sizeof(fw->path), "%s", path);
	if ((fw->body = malloc(4 + FRAME_BODY_MAX)) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto err;
	}
	store_write_keys(s, &fw->key_id, &fw->key, &idkey);
	/*
	 * Sealed files pad every frame (version 3), so that a file's size says
	 * little more than the magnitude of its stream's chunk count (or its
	 * catalogue's member count), and nothing of its name's length.
	 */
	fw->version = fw->key != NULL ? MANIFEST_VERSION_PADDED :
	    MANIFEST_VERSION;
	if (fw->key != NULL &&
	    (fw->padded = malloc(MANIFEST_FRAME_PADDED_MAX)) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto err;
	}
	if ((rc = fileio_tmp_open(fw->path, STORE_MODE_FILE, &fw->tmp)) != QS_OK)
		goto err;
	/*
	 * A fresh random id for this file, in every frame's AD: a frame
	 * copied from any other file does not authenticate here.  All zero
	 * is how version 1 is told apart; 2^-128, but cheap to exclude.
	 */
	do
		random_bytes(fw->file_id, sizeof(fw->file_id));
	while (bytes_zero(fw->file_id, sizeof(fw->file_id)));
	memset(&h, 0, sizeof(h));
	h.version = fw->version;
	h.key_id = fw->key_id;
	memcpy(h.store_id, store_config(s)->store_id, 16);
	memcpy(h.file_id, fw->file_id, sizeof(h.file_id));
	/* summary_offset and frame_count are filled in at commit. */
	h.summary_offset = MANIFEST_HEADER_SIZE;
	h.frame_count = 1;
	manifest_fmt_header_encode_magic(&h, magic, fw->hdr);
	if ((rc = fileio_tmp_write(fw->tmp, fw->hdr, sizeof(fw->hdr))) !=
	    QS_OK)
		goto err;
	*fwp = fw;
	return (QS_OK);

err:
	framefile_writer_free(fw);
	return (rc);
}

/**
 * framefile_writer_frame(fw, pt, len, final):
 * Seal or check-sum a frame and append it.
 */
int
framefile_writer_frame(struct framefile_writer *fw, const uint8_t *pt,
    size_t len, int final)
{
	uint8_t ad[MANIFEST_FRAME_AD_SIZE];
	size_t adlen, body_len;

	if (len > MANIFEST_FRAME_MAX)
		return (qs_error_set(QS_EINVAL, "frame too large"));
	if (final)
		fw->final_offset = fileio_tmp_offset(fw->tmp);
	adlen = manifest_fmt_frame_ad(fw->hdr, fw->frame_index, final, ad);
	if (fw->key != NULL) {
		len = manifest_fmt_pad_encode(pt, len, fw->padded);
		if (len > fw->padded_used)
			fw->padded_used = len;
		aead_random_nonce(fw->body + 4);
		aead_seal(fw->key, fw->body + 4, ad, adlen, fw->padded, len,
		    fw->body + 4 + AEAD_NONCEBYTES);
		body_len = AEAD_NONCEBYTES + len + AEAD_TAGBYTES;
	} else {
		memcpy(fw->body + 4, pt, len);
		frame_check(ad, adlen, pt, len, fw->body + 4 + len);
		body_len = len + FRAME_CHECK_BYTES;
	}
	le32enc(fw->body, (uint32_t)body_len);
	fw->frame_index++;
	return (fileio_tmp_write(fw->tmp, fw->body, 4 + body_len));
}

/**
 * framefile_writer_commit(fw, file_hash):
 * Fill in the header, sync and rename into place.
 */
int
framefile_writer_commit(struct framefile_writer *fw, uint8_t *file_hash)
{
	struct manifest_header h;
	struct checksum_state st;
	struct fileio_tmp *tmp;
	uint8_t buf[65536];
	uint64_t off, size;
	size_t n;
	int rc;

	memset(&h, 0, sizeof(h));
	h.version = fw->version;
	h.key_id = fw->key_id;
	memcpy(h.store_id, store_config(fw->store)->store_id, 16);
	memcpy(h.file_id, fw->file_id, sizeof(h.file_id));
	h.summary_offset = fw->final_offset;
	h.frame_count = fw->frame_index;
	/*
	 * Only bytes 32..47 change; bytes 0..31 and the file id (48..63)
	 * are in every frame's AD.
	 */
	manifest_fmt_header_encode_magic(&h, fw->magic, fw->hdr);
	if ((rc = fileio_tmp_pwrite(fw->tmp, fw->hdr, sizeof(fw->hdr), 0)) !=
	    QS_OK)
		goto err;
	if (file_hash != NULL) {
		/* Hash what is on disk: the bytes a reader will see. */
		size = fileio_tmp_offset(fw->tmp);
		checksum_init(&st);
		for (off = 0; off < size; off += n) {
			n = size - off < sizeof(buf) ? (size_t)(size - off) :
			    sizeof(buf);
			if ((rc = fileio_pread_full(fileio_tmp_fd(fw->tmp),
			    buf, n, off, fw->path)) != QS_OK)
				goto err;
			checksum_update(&st, buf, n);
		}
		checksum_final(&st, file_hash);
	}
	tmp = fw->tmp;
	fw->tmp = NULL;
	rc = fileio_tmp_commit(tmp, !fw->replace);
	if (rc == QS_EEXIST)
		qs_error_set(rc, "%s: already exists", fw->path);
err:
	framefile_writer_free(fw);
	return (rc);
}

/**
 * framefile_writer_file_id(fw):
 * The random file id of the file being written.
 */
const uint8_t *
framefile_writer_file_id(const struct framefile_writer *fw)
{

	return (fw->file_id);
}

/**
 * framefile_writer_free(fw):
 * Abandon an uncommitted file.
 */
void
framefile_writer_free(struct framefile_writer *fw)
{

	if (fw == NULL)
		return;
	fileio_tmp_abort(fw->tmp);
	free(fw->body);
	if (fw->padded != NULL)
		secmem_wipe(fw->padded, fw->padded_used);
	free(fw->padded);
	free(fw);
}

/*
 * Read frame number ${index} at ${off}: authenticate or check it and leave
 * its plaintext in ${out}.  Return its plaintext length in ${ptlen} and
 * the offset after it in ${next}.
 */
static int
reader_frame(struct framefile_reader *fr, uint64_t off, uint64_t index,
    int final, uint8_t *out, size_t *ptlen, uint64_t *next)
{
	uint8_t ad[MANIFEST_FRAME_AD_SIZE];
	uint8_t lenbuf[4], check[FRAME_CHECK_BYTES];
	const uint8_t *key, *idkey;
	uint32_t body_len;
	size_t adlen;
	int rc;

	if (off > fr->file_size || fr->file_size - off < 4)
		return (qs_error_set(QS_ECORRUPT, "%s: truncated: frame %llu "
		    "at offset %llu is missing", fr->path,
		    (unsigned long long)index, (unsigned long long)off));
	if ((rc = fileio_pread_full(fr->fd, lenbuf, 4, off, fr->path)) !=
	    QS_OK)
		return (rc);
	body_len = le32dec(lenbuf);
	if (body_len > FRAME_BODY_MAX || fr->file_size - off - 4 < body_len)
		return (qs_error_set(QS_ECORRUPT, "%s: frame %llu at offset "
		    "%llu: impossible length %u (file truncated or damaged)",
		    fr->path, (unsigned long long)index,
		    (unsigned long long)off, body_len));
	if ((rc = fileio_pread_full(fr->fd, fr->body, body_len, off + 4,
	    fr->path)) != QS_OK)
		return (rc);
	adlen = manifest_fmt_frame_ad(fr->hdr, index, final, ad);
	if (fr->h.key_id != 0) {
		if (store_read_keys(fr->store, fr->h.key_id, &key, &idkey) !=
		    QS_OK || key == NULL)
			return (qs_error_set(QS_EAUTH, "%s: sealed under "
			    "key %u, which this store does not have",
			    fr->path, fr->h.key_id));
		if (body_len < AEAD_NONCEBYTES + AEAD_TAGBYTES ||
		    body_len - AEAD_NONCEBYTES - AEAD_TAGBYTES >
		    (fr->h.version == MANIFEST_VERSION_PADDED ?
		    MANIFEST_FRAME_PADDED_MAX : MANIFEST_FRAME_MAX) ||
		    aead_open(key, fr->body, ad, adlen,
		    fr->body + AEAD_NONCEBYTES, body_len - AEAD_NONCEBYTES,
		    out) != QS_OK)
			return (qs_error_set(QS_EAUTH, "%s: frame %llu at "
			    "offset %llu: authentication failed (damaged, or "
			    "copied from another file)", fr->path,
			    (unsigned long long)index,
			    (unsigned long long)off));
		*ptlen = body_len - AEAD_NONCEBYTES - AEAD_TAGBYTES;
		/* Version 3: authenticated, then unpadded. */
		if (fr->h.version == MANIFEST_VERSION_PADDED) {
			size_t inner;

			if (manifest_fmt_pad_decode(out, *ptlen, &inner) !=
			    QS_OK)
				return (qs_error_set(QS_ECORRUPT, "%s: frame "
				    "%llu at offset %llu: damaged padding",
				    fr->path, (unsigned long long)index,
				    (unsigned long long)off));
			memmove(out, out + MANIFEST_PAD_HEADER, inner);
			*ptlen = inner;
		}
	} else {
		if (store_config(fr->store)->has_plain_keys == 0)
			return (qs_error_set(QS_EAUTH, "%s: unencrypted "
			    "file in a store whose data is all encrypted",
			    fr->path));
		if (body_len < FRAME_CHECK_BYTES ||
		    body_len - FRAME_CHECK_BYTES > MANIFEST_FRAME_MAX)
			return (qs_error_set(QS_ECORRUPT, "%s: frame %llu "
			    "has an impossible length", fr->path,
			    (unsigned long long)index));
		*ptlen = body_len - FRAME_CHECK_BYTES;
		frame_check(ad, adlen, fr->body, *ptlen, check);
		if (memcmp(check, fr->body + *ptlen, FRAME_CHECK_BYTES) != 0)
			return (qs_error_set(QS_ECORRUPT, "%s: frame %llu at "
			    "offset %llu: checksum mismatch (damaged, or "
			    "copied from another file)", fr->path,
			    (unsigned long long)index,
			    (unsigned long long)off));
		memcpy(out, fr->body, *ptlen);
	}
	*next = off + 4 + body_len;
	return (QS_OK);
}

/**
 * framefile_reader_open(s, path, magic, fr):
 * Open a frame file and read its final frame.
 */
int
framefile_reader_open(struct store *s, const char *path,
    const uint8_t *magic, struct framefile_reader **frp)
{
	struct framefile_reader *fr;
	uint64_t next;
	off_t size;
	int rc;

	if ((fr = calloc(1, sizeof(*fr))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	fr->fd = -1;
	fr->store = s;
	snprintf(fr->path, sizeof(fr->path), "%s", path);
	if ((fr->pt = malloc(FRAME_BODY_MAX)) == NULL ||
	    (fr->final_pt = malloc(FRAME_BODY_MAX)) == NULL ||
	    (fr->body = malloc(FRAME_BODY_MAX)) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto err;
	}
	if ((rc = fileio_open_regular(fr->path, 0, &fr->fd)) != QS_OK) {
		fr->fd = -1;
		goto err;
	}
	if ((size = lseek(fr->fd, 0, SEEK_END)) < 0) {
		rc = qs_error_errno(fr->path, "seek");
		goto err;
	}
	fr->file_size = (uint64_t)size;
	if (fr->file_size < MANIFEST_HEADER_SIZE) {
		rc = qs_error_set(QS_ECORRUPT, "%s: truncated (%llu bytes)",
		    fr->path, (unsigned long long)fr->file_size);
		goto err;
	}
	if ((rc = fileio_pread_full(fr->fd, fr->hdr, sizeof(fr->hdr), 0,
	    fr->path)) != QS_OK)
		goto err;
	if ((rc = manifest_fmt_header_decode_magic(fr->hdr, sizeof(fr->hdr), magic,
	    &fr->h)) != QS_OK) {
		qs_error_set(rc, "%s: %s", fr->path, rc == QS_EVERSION ?
		    "written by a newer qsarc (unknown version or flags)" :
		    "damaged header");
		goto err;
	}
	if (memcmp(fr->h.store_id, store_config(s)->store_id, 16) != 0) {
		rc = qs_error_set(QS_ECORRUPT, "%s: belongs to another store",
		    fr->path);
		goto err;
	}
	if ((rc = reader_frame(fr, fr->h.summary_offset, fr->h.frame_count - 1,
	    1, fr->final_pt, &fr->final_len, &next)) != QS_OK)
		goto err;
	if (next != fr->file_size) {
		rc = qs_error_set(QS_ECORRUPT, "%s: %llu unexpected bytes "
		    "after the last frame", fr->path,
		    (unsigned long long)(fr->file_size - next));
		goto err;
	}
	fr->pos = MANIFEST_HEADER_SIZE;
	*frp = fr;
	return (QS_OK);

err:
	framefile_reader_free(fr);
	return (rc);
}

/**
 * framefile_reader_final(fr, pt, len):
 * The plaintext of the final frame.
 */
void
framefile_reader_final(const struct framefile_reader *fr,
    const uint8_t **pt, size_t *len)
{

	*pt = fr->final_pt;
	*len = fr->final_len;
}

/**
 * framefile_reader_next(fr, pt, len):
 * The plaintext of the next frame before the final one, or 1.
 */
int
framefile_reader_next(struct framefile_reader *fr, const uint8_t **pt,
    size_t *len)
{
	uint64_t next;
	int rc;

	if (fr->frame_index + 1 >= fr->h.frame_count) {
		if (fr->pos != fr->h.summary_offset)
			return (qs_error_set(QS_ECORRUPT, "%s: frames do not "
			    "end where the last frame begins", fr->path));
		return (1);
	}
	if ((rc = reader_frame(fr, fr->pos, fr->frame_index, 0, fr->pt, len,
	    &next)) != QS_OK)
		return (rc);
	fr->frame_index++;
	fr->pos = next;
	*pt = fr->pt;
	return (QS_OK);
}

/**
 * framefile_reader_hash(fr, hash):
 * BLAKE2b-256 of the whole file ${fr} has open.
 */
int
framefile_reader_hash(const struct framefile_reader *fr, uint8_t *hash)
{
	struct checksum_state st;
	uint8_t buf[65536];
	uint64_t off;
	size_t n;
	int rc;

	checksum_init(&st);
	for (off = 0; off < fr->file_size; off += n) {
		n = fr->file_size - off < sizeof(buf) ?
		    (size_t)(fr->file_size - off) : sizeof(buf);
		if ((rc = fileio_pread_full(fr->fd, buf, n, off, fr->path)) !=
		    QS_OK)
			return (rc);
		checksum_update(&st, buf, n);
	}
	checksum_final(&st, hash);
	return (QS_OK);
}

/**
 * framefile_reader_rewind(fr):
 * Make the next framefile_reader_next return the first frame again.
 */
void
framefile_reader_rewind(struct framefile_reader *fr)
{

	fr->pos = MANIFEST_HEADER_SIZE;
	fr->frame_index = 0;
}

/**
 * framefile_reader_path(fr):
 * The file's path.
 */
const char *
framefile_reader_path(const struct framefile_reader *fr)
{

	return (fr->path);
}

/**
 * framefile_reader_header(fr):
 * The decoded header.
 */
const struct manifest_header *
framefile_reader_header(const struct framefile_reader *fr)
{

	return (&fr->h);
}

/**
 * framefile_reader_free(fr):
 * Free ${fr}; NULL is allowed.
 */
void
framefile_reader_free(struct framefile_reader *fr)
{

	if (fr == NULL)
		return;
	if (fr->fd >= 0)
		close(fr->fd);
	free(fr->pt);
	free(fr->final_pt);
	free(fr->body);
	free(fr);
}
