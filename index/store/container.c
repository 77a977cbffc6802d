#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zstd.h>

#include "crypto/aead.h"
#include "crypto/checksum.h"
#include "crypto/secmem.h"
#include "crypto/chunkid.h"
#include "crypto/random.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/store/container.h"
#include "index/store/store.h"

#define WRITE_BUFFER_SIZE	(1U << 20)

struct container_writer {
	struct store *store;
	uint16_t key_id;
	const uint8_t *key;
	uint32_t target_size;

	/* The open container, if tmp != NULL. */
	struct fileio_tmp *tmp;
	uint64_t container_id;
	uint64_t offset;		/* next record's offset */
	uint32_t record_count;
	uint64_t raw_bytes;
	struct checksum_state headers_hash;

	uint8_t *buf;			/* write buffer */
	size_t buffered;
	uint8_t *sealbuf;		/* room for a sealed payload */
	uint64_t stored_bytes;
};

struct chunk_reader {
	struct store *store;
	ZSTD_DCtx *dctx;
	uint8_t *buf;			/* header + payload */
	uint8_t *plain;			/* decrypted payload */
	uint64_t bytes_read;
};

struct chunk_compressor {
	ZSTD_CCtx *cctx;
	int level;
};

/**
 * container_writer_new(s, key_id, key, cw):
 * Make a writer for store ${s}.
 */
int
container_writer_new(struct store *s, uint16_t key_id, const uint8_t *key,
    struct container_writer **cwp)
{
	struct container_writer *cw;

	if ((cw = calloc(1, sizeof(*cw))) == NULL)
		goto enomem;
	cw->store = s;
	cw->key_id = key_id;
	cw->key = key;
	cw->target_size = store_config(s)->container_size;
	if ((cw->buf = malloc(WRITE_BUFFER_SIZE)) == NULL)
		goto enomem;
	if (key_id != 0 &&
	    (cw->sealbuf = malloc(RECORD_MAX_STORED)) == NULL)
		goto enomem;
	*cwp = cw;
	return (QS_OK);

enomem:
	container_writer_free(cw);
	return (qs_error_set(QS_ENOMEM, "out of memory"));
}

static int
writer_flush(struct container_writer *cw)
{
	int rc;

	if (cw->buffered == 0)
		return (QS_OK);
	rc = fileio_tmp_write(cw->tmp, cw->buf, cw->buffered);
	cw->buffered = 0;
	return (rc);
}

static int
writer_put(struct container_writer *cw, const uint8_t *p, size_t len)
{
	size_t n;
	int rc;

	while (len > 0) {
		if (cw->buffered == WRITE_BUFFER_SIZE &&
		    (rc = writer_flush(cw)) != QS_OK)
			return (rc);
		n = WRITE_BUFFER_SIZE - cw->buffered;
		if (n > len)
			n = len;
		memcpy(cw->buf + cw->buffered, p, n);
		cw->buffered += n;
		p += n;
		len -= n;
	}
	return (QS_OK);
}

static int
writer_open_container(struct container_writer *cw)
{
	struct container_header h;
	uint8_t hbuf[CONTAINER_HEADER_SIZE];
	char path[4096], dir[4096];
	char *slash;
	int rc;

	/* Random ids: concurrent puts never pick the same name. */
	do {
		random_bytes(&cw->container_id, sizeof(cw->container_id));
	} while (cw->container_id == 0);
	if ((rc = store_container_path(store_root(cw->store), cw->container_id,
	    path, sizeof(path))) != QS_OK)
		return (rc);
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((rc = fileio_mkdir(dir, 0755)) != QS_OK)
		return (rc);
	if ((rc = fileio_tmp_open(path, 0444, &cw->tmp)) != QS_OK)
		return (rc);
	memcpy(h.store_id, store_config(cw->store)->store_id, 16);
	h.container_id = cw->container_id;
	h.created = (int64_t)time(NULL);
	container_fmt_header_encode(&h, hbuf);
	cw->offset = 0;
	cw->record_count = 0;
	cw->raw_bytes = 0;
	cw->buffered = 0;
	checksum_init(&cw->headers_hash);
	if ((rc = writer_put(cw, hbuf, sizeof(hbuf))) != QS_OK)
		return (rc);
	cw->offset = CONTAINER_HEADER_SIZE;
	return (QS_OK);
}

/**
 * container_writer_finish(cw):
 * Commit the open container, if any.
 */
int
container_writer_finish(struct container_writer *cw)
{
	struct container_trailer t;
	uint8_t tbuf[CONTAINER_TRAILER_SIZE];
	struct fileio_tmp *tmp = cw->tmp;
	int rc;

	if (tmp == NULL)
		return (QS_OK);
	t.record_count = cw->record_count;
	t.records_end = cw->offset;
	t.raw_bytes = cw->raw_bytes;
	checksum_final(&cw->headers_hash, t.headers_hash);
	container_fmt_trailer_encode(&t, tbuf);
	if ((rc = writer_put(cw, tbuf, sizeof(tbuf))) != QS_OK ||
	    (rc = writer_flush(cw)) != QS_OK) {
		cw->tmp = NULL;
		fileio_tmp_abort(tmp);
		return (rc);
	}
	cw->stored_bytes += CONTAINER_TRAILER_SIZE;
	cw->tmp = NULL;
	return (fileio_tmp_commit(tmp, 1));
}

/**
 * container_writer_append(cw, id, raw_len, flags, payload, len, loc):
 * Append a chunk record.
 */
int
container_writer_append(struct container_writer *cw, const uint8_t id[32],
    uint32_t raw_len, uint8_t flags, const uint8_t *payload, size_t len,
    struct chunk_loc *loc)
{
	struct record_header h;
	uint8_t hbuf[RECORD_HEADER_SIZE];
	uint8_t ad[RECORD_AD_SIZE];
	const uint8_t *body = payload;
	size_t stored = len;
	int rc;

	if (len > RECORD_MAX_STORED - AEAD_TAGBYTES || raw_len >
	    RECORD_MAX_RAW)
		return (qs_error_set(QS_EINVAL, "chunk too large"));
	if (cw->tmp != NULL && cw->offset + RECORD_HEADER_SIZE + len +
	    AEAD_TAGBYTES > cw->target_size &&
	    (rc = container_writer_finish(cw)) != QS_OK)
		return (rc);
	if (cw->tmp == NULL && (rc = writer_open_container(cw)) != QS_OK)
		return (rc);

	memset(&h, 0, sizeof(h));
	h.type = RECORD_TYPE_CHUNK;
	h.flags = flags;
	h.key_id = cw->key_id;
	h.raw_len = raw_len;
	memcpy(h.chunk_id, id, 32);
	if (cw->key_id != 0) {
		stored = len + AEAD_TAGBYTES;
		aead_random_nonce(h.nonce);
	}
	h.stored_len = (uint32_t)stored;
	container_fmt_record_encode(&h, hbuf);
	if (cw->key_id != 0) {
		container_fmt_record_ad(store_config(cw->store)->store_id, cw->container_id,
		    cw->offset, hbuf, ad);
		aead_seal(cw->key, h.nonce, ad, sizeof(ad), payload, len,
		    cw->sealbuf);
		body = cw->sealbuf;
	}
	checksum_update(&cw->headers_hash, hbuf, sizeof(hbuf));
	if ((rc = writer_put(cw, hbuf, sizeof(hbuf))) != QS_OK ||
	    (rc = writer_put(cw, body, stored)) != QS_OK)
		return (rc);
	loc->container_id = cw->container_id;
	loc->offset = (uint32_t)cw->offset;
	loc->length = (uint32_t)(RECORD_HEADER_SIZE + stored);
	cw->offset += RECORD_HEADER_SIZE + stored;
	cw->record_count++;
	cw->raw_bytes += raw_len;
	cw->stored_bytes += RECORD_HEADER_SIZE + stored;
	return (QS_OK);
}

/**
 * container_writer_key_id(cw):
 * The key id records are sealed under (0: plain).
 */
uint16_t
container_writer_key_id(const struct container_writer *cw)
{

	return (cw->key_id);
}

/**
 * container_writer_pending(cw):
 * Return non-zero if records were appended since the last commit.
 */
int
container_writer_pending(const struct container_writer *cw)
{

	return (cw->tmp != NULL);
}

/**
 * container_writer_stored_bytes(cw):
 * Total bytes written into containers.
 */
uint64_t
container_writer_stored_bytes(const struct container_writer *cw)
{

	return (cw->stored_bytes);
}

/**
 * container_writer_free(cw):
 * Abandon an uncommitted container and free ${cw}.
 */
void
container_writer_free(struct container_writer *cw)
{

	if (cw == NULL)
		return;
	fileio_tmp_abort(cw->tmp);
	free(cw->buf);
	free(cw->sealbuf);
	free(cw);
}

/**
 * chunk_reader_new(s, r):
 * Make a reader (one per thread) for store ${s}.
 */
int
chunk_reader_new(struct store *s, struct chunk_reader **rp)
{
	struct chunk_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto enomem;
	r->store = s;
	if ((r->dctx = ZSTD_createDCtx()) == NULL ||
	    (r->buf = malloc(RECORD_HEADER_SIZE + RECORD_MAX_STORED)) ==
	    NULL || (r->plain = malloc(RECORD_MAX_STORED)) == NULL)
		goto enomem;
	*rp = r;
	return (QS_OK);

enomem:
	chunk_reader_free(r);
	return (qs_error_set(QS_ENOMEM, "out of memory"));
}

/**
 * chunk_reader_free(r):
 * Free ${r}; NULL is allowed.
 */
void
chunk_reader_free(struct chunk_reader *r)
{

	if (r == NULL)
		return;
	ZSTD_freeDCtx(r->dctx);
	free(r->buf);
	if (r->plain != NULL)
		secmem_wipe(r->plain, RECORD_MAX_STORED);
	free(r->plain);
	free(r);
}

static int
record_error(struct store *s, const struct chunk_loc *loc, int code,
    const char *why)
{
	char path[4096];

	if (store_container_path(store_root(s), loc->container_id, path,
	    sizeof(path)) != QS_OK)
		snprintf(path, sizeof(path), "container %016llx",
		    (unsigned long long)loc->container_id);
	return (qs_error_set(code, "%s: record at offset %u: %s", path,
	    loc->offset, why));
}

/**
 * chunk_reader_read(r, id, loc, out, outcap, outlen):
 * Read, check and decode the record at ${loc} holding chunk ${id}.
 */
int
chunk_reader_read(struct chunk_reader *r, const uint8_t id[32],
    const struct chunk_loc *loc, uint8_t *out, size_t outcap,
    size_t *outlen)
{

	return (chunk_reader_payload(r, id, loc, out, outcap, outlen, NULL,
	    NULL, NULL));
}

/**
 * chunk_reader_payload(r, id, loc, out, outcap, outlen, payload, plen,
 *     flags):
 * As chunk_reader_read, and also return the record's payload after decryption.
 */
int
chunk_reader_payload(struct chunk_reader *r, const uint8_t id[32],
    const struct chunk_loc *loc, uint8_t *out, size_t outcap,
    size_t *outlen, const uint8_t **payloadp, size_t *plenp, uint8_t *flagsp)
{
	struct record_header h;
	uint8_t ad[RECORD_AD_SIZE];
	uint8_t check[32];
	const uint8_t *key, *idkey;
	const uint8_t *payload;
	size_t plen;
	size_t n;
	char path[4096];
	int fd, rc;

	if (loc->length < RECORD_HEADER_SIZE ||
	    loc->length > RECORD_HEADER_SIZE + RECORD_MAX_STORED ||
	    loc->offset < CONTAINER_HEADER_SIZE)
		return (record_error(r->store, loc, QS_ECORRUPT,
		    "the index entry has an impossible length or offset"));
	if ((rc = store_container_fd(r->store, loc->container_id, &fd)) !=
	    QS_OK)
		return (rc);
	if ((rc = store_container_path(store_root(r->store), loc->container_id,
	    path, sizeof(path))) != QS_OK)
		return (rc);
	if ((rc = fileio_pread_full(fd, r->buf, loc->length, loc->offset,
	    path)) != QS_OK)
		return (rc);
	r->bytes_read += loc->length;
	if (container_fmt_record_decode(r->buf, loc->length, &h) != QS_OK)
		return (record_error(r->store, loc, QS_ECORRUPT,
		    "damaged record header"));
	if (memcmp(h.chunk_id, id, 32) != 0)
		return (record_error(r->store, loc, QS_ECORRUPT,
		    "the record holds a different chunk than the index "
		    "says"));
	if ((size_t)h.stored_len + RECORD_HEADER_SIZE != loc->length)
		return (record_error(r->store, loc, QS_ECORRUPT,
		    "record length disagrees with the index"));
	if (h.raw_len > outcap)
		return (record_error(r->store, loc, QS_ECORRUPT,
		    "chunk larger than the store's maximum"));
	if (store_read_keys(r->store, h.key_id, &key, &idkey) != QS_OK)
		return (record_error(r->store, loc, QS_EAUTH,
		    "sealed under an unknown or retired key"));
	payload = r->buf + RECORD_HEADER_SIZE;
	plen = h.stored_len;
	if (key != NULL) {
		/* Authenticate before anything else touches the payload. */
		container_fmt_record_ad(store_config(r->store)->store_id, loc->container_id,
		    loc->offset, r->buf, ad);
		if (aead_open(key, h.nonce, ad, sizeof(ad), payload, plen,
		    r->plain) != QS_OK)
			return (record_error(r->store, loc, QS_EAUTH,
			    "authentication failed (the record was "
			    "modified, moved or relabelled)"));
		payload = r->plain;
		plen -= AEAD_TAGBYTES;
	}
	if (h.flags & RECORD_FLAG_ZSTD) {
		n = ZSTD_decompressDCtx(r->dctx, out, h.raw_len, payload, plen);
		if (ZSTD_isError(n) || n != h.raw_len)
			return (record_error(r->store, loc, QS_ECORRUPT,
			    "compressed data is damaged"));
	} else {
		if (plen != h.raw_len)
			return (record_error(r->store, loc, QS_ECORRUPT,
			    "raw record length mismatch"));
		memcpy(out, payload, plen);
	}
	chunkid_compute(idkey, out, h.raw_len, check);
	if (!chunkid_equal(check, id))
		return (record_error(r->store, loc, QS_ECORRUPT,
		    "chunk content does not match its id"));
	*outlen = h.raw_len;
	if (payloadp != NULL) {
		*payloadp = payload;
		*plenp = plen;
		*flagsp = h.flags;
	}
	return (QS_OK);
}

/**
 * chunk_reader_bytes(r):
 * Bytes this reader has read from containers so far.
 */
uint64_t
chunk_reader_bytes(const struct chunk_reader *r)
{

	return (r->bytes_read);
}

/**
 * chunk_compressor_new(level, cc):
 * A zstd compressor (one per thread) at ${level}.
 */
int
chunk_compressor_new(int level, struct chunk_compressor **ccp)
{
	struct chunk_compressor *cc;

	if ((cc = calloc(1, sizeof(*cc))) == NULL ||
	    (cc->cctx = ZSTD_createCCtx()) == NULL) {
		free(cc);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	cc->level = level;
	*ccp = cc;
	return (QS_OK);
}

/**
 * chunk_compressor_free(cc):
 * Free ${cc}; NULL is allowed.
 */
void
chunk_compressor_free(struct chunk_compressor *cc)
{

	if (cc == NULL)
		return;
	ZSTD_freeCCtx(cc->cctx);
	free(cc);
}

/**
 * chunk_compressor_bound(len):
 * The output room chunk_compressor_run needs for ${len} bytes.
 */
size_t
chunk_compressor_bound(size_t len)
{

	return (ZSTD_compressBound(len));
}

/**
 * chunk_compressor_run(cc, in, len, out, outcap, outlen, flags):
 * Compress ${in}, or copy it raw if that is not smaller.
 */
int
chunk_compressor_run(struct chunk_compressor *cc, const uint8_t *in, size_t len,
    uint8_t *out, size_t outcap, size_t *outlen, uint8_t *flags)
{
	size_t n;

	n = ZSTD_compressCCtx(cc->cctx, out, outcap, in, len, cc->level);
	if (!ZSTD_isError(n) && n < len) {
		*outlen = n;
		*flags = RECORD_FLAG_ZSTD;
		return (QS_OK);
	}
	memcpy(out, in, len);
	*outlen = len;
	*flags = 0;
	return (QS_OK);
}
