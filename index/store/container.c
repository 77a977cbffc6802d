#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/aead.h"
#include "crypto/checksum.h"
#include "crypto/secmem.h"
#include "crypto/chunkid.h"
#include "crypto/random.h"
#include "format/appender.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/store/container.h"
#include "index/store/store.h"

#define WRITE_BUFFER_SIZE	(1U << 20)
/*
 * A sealed container's records wait in memory until it is committed, so
 * such a container is closed at this size even if the store's container
 * size is larger (FORMAT.md 4.6).
 */
#define SEALED_CONTAINER_MAX	(64U << 20)

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
	struct appender out;		/* through buf into tmp */
	uint8_t *sealbuf;		/* room for a sealed payload */
	uint64_t stored_bytes;
	uint64_t queued;		/* bytes of the pending records */

	/*
	 * Sealed (version 2) containers: records wait here, compressed and
	 * not yet padded or sealed, until the container is committed; then
	 * they are written in a random order, so that the order of records
	 * does not follow the stream.  The location append returned is
	 * provisional until relocate is told the final one.
	 */
	struct pending_rec {
		uint8_t id[32];
		uint32_t raw_len;
		uint8_t flags;
		size_t pool_off, len;
	} *pend;
	size_t npend, pendcap;
	uint8_t *pool;			/* their payloads */
	size_t pool_len, pool_cap;
	uint8_t *innerbuf;		/* one padded plaintext */
	int (*relocate)(void *, const uint8_t[32], const struct chunk_loc *);
	void *relocate_ctx;
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
	int rc;

	if ((rc = store_write_check(s)) != QS_OK)
		return (rc);
	if ((cw = calloc(1, sizeof(*cw))) == NULL)
		goto enomem;
	cw->store = s;
	cw->key_id = key_id;
	cw->key = key;
	cw->target_size = store_config(s)->container_size;
	if ((cw->buf = malloc(WRITE_BUFFER_SIZE)) == NULL)
		goto enomem;
	if (key_id != 0 &&
	    ((cw->sealbuf = malloc(RECORD_MAX_STORED)) == NULL ||
	    (cw->innerbuf = malloc(RECORD_MAX_STORED)) == NULL))
		goto enomem;
	*cwp = cw;
	return (QS_OK);

enomem:
	container_writer_free(cw);
	return (qs_error_set(QS_ENOMEM, "out of memory"));
}

static void writer_drop_pending(struct container_writer *);

static int
writer_open_container(struct container_writer *cw)
{
	struct container_header h;
	uint8_t hbuf[CONTAINER_HEADER_SIZE];
	char path[4096], dir[4096];
	int rc;

	/* Random ids: concurrent puts never pick the same name. */
	do {
		random_bytes(&cw->container_id, sizeof(cw->container_id));
	} while (cw->container_id == 0);
	if ((rc = store_container_path(store_root(cw->store), cw->container_id,
	    path, sizeof(path))) != QS_OK ||
	    (rc = store_path_container_dir(store_root(cw->store),
	    cw->container_id, dir, sizeof(dir))) != QS_OK)
		return (rc);
	if ((rc = fileio_mkdir(dir, STORE_MODE_DIR)) != QS_OK)
		return (rc);
	if ((rc = fileio_tmp_open(path, STORE_MODE_CONTAINER, &cw->tmp)) != QS_OK)
		return (rc);
	h.version = cw->key_id != 0 ? CONTAINER_VERSION_SEALED :
	    CONTAINER_VERSION;
	memcpy(h.store_id, store_config(cw->store)->store_id, 16);
	h.container_id = cw->container_id;
	h.created = (int64_t)time(NULL);
	container_fmt_header_encode(&h, hbuf);
	cw->offset = 0;
	cw->record_count = 0;
	cw->raw_bytes = 0;
	cw->queued = 0;
	writer_drop_pending(cw);
	appender_init(&cw->out, cw->tmp, cw->buf, WRITE_BUFFER_SIZE, NULL,
	    NULL);
	checksum_init(&cw->headers_hash);
	if ((rc = appender_put(&cw->out, hbuf, sizeof(hbuf))) != QS_OK)
		return (rc);
	cw->offset = CONTAINER_HEADER_SIZE;
	return (QS_OK);
}

/* Forget the pending records, wiping their (plaintext) payloads. */
static void
writer_drop_pending(struct container_writer *cw)
{

	if (cw->pool != NULL)
		secmem_wipe(cw->pool, cw->pool_len);
	cw->pool_len = 0;
	cw->npend = 0;
}

/*
 * Pad, seal and write the pending records in a random order; tell
 * relocate where each one went.
 */
static int
writer_write_pending(struct container_writer *cw)
{
	struct record_header h;
	struct chunk_loc loc;
	struct pending_rec tmp;
	uint8_t hbuf[RECORD_HEADER_SIZE];
	uint8_t ad[RECORD_AD_SIZE];
	size_t i, j, ptlen;
	uint32_t r;
	int rc = QS_OK;

	/* Fisher-Yates with unbiased random indices. */
	for (i = cw->npend; i > 1; i--) {
		uint32_t lim = (uint32_t)i, lo = (uint32_t)(-lim) % lim;

		do {
			random_bytes(&r, sizeof(r));
		} while (r < lo);
		j = r % lim;
		tmp = cw->pend[i - 1];
		cw->pend[i - 1] = cw->pend[j];
		cw->pend[j] = tmp;
	}
	for (i = 0; i < cw->npend; i++) {
		struct pending_rec *p = &cw->pend[i];

		ptlen = container_fmt_inner_encode(p->raw_len, p->flags,
		    cw->pool + p->pool_off, p->len, cw->innerbuf);
		memset(&h, 0, sizeof(h));
		h.type = RECORD_TYPE_CHUNK;
		h.flags = RECORD_FLAG_SEALED;
		h.key_id = cw->key_id;
		h.raw_len = 0;
		h.stored_len = (uint32_t)(ptlen + AEAD_TAGBYTES);
		memcpy(h.chunk_id, p->id, 32);
		aead_random_nonce(h.nonce);
		container_fmt_record_encode(&h, hbuf);
		container_fmt_record_ad(store_config(cw->store)->store_id,
		    cw->container_id, cw->offset, hbuf, ad);
		aead_seal(cw->key, h.nonce, ad, sizeof(ad), cw->innerbuf, ptlen,
		    cw->sealbuf);
		secmem_wipe(cw->innerbuf, ptlen);
		checksum_update(&cw->headers_hash, hbuf, sizeof(hbuf));
		if ((rc = appender_put(&cw->out, hbuf, sizeof(hbuf))) != QS_OK ||
		    (rc = appender_put(&cw->out, cw->sealbuf, h.stored_len)) !=
		    QS_OK)
			goto done;
		loc.container_id = cw->container_id;
		loc.offset = (uint32_t)cw->offset;
		loc.length = (uint32_t)(RECORD_HEADER_SIZE + h.stored_len);
		cw->offset += loc.length;
		if (cw->relocate != NULL &&
		    (rc = cw->relocate(cw->relocate_ctx, p->id, &loc)) != QS_OK)
			goto done;
	}
done:
	writer_drop_pending(cw);
	return (rc);
}

/**
 * container_writer_set_relocate(cw, fn, ctx):
 * Call ${fn}(${ctx}, id, loc) with the final location of each record.
 */
void
container_writer_set_relocate(struct container_writer *cw,
    int (*fn)(void *, const uint8_t[32], const struct chunk_loc *), void *ctx)
{

	cw->relocate = fn;
	cw->relocate_ctx = ctx;
}

/* Queue a record of a sealed container (see struct pending_rec). */
static int
writer_queue(struct container_writer *cw, const uint8_t id[32],
    uint32_t raw_len, uint8_t flags, const uint8_t *payload, size_t len,
    struct chunk_loc *loc)
{
	size_t stored;
	void *p;

	if (cw->npend == cw->pendcap) {
		size_t ncap = cw->pendcap ? cw->pendcap * 2 : 256;

		if ((p = realloc(cw->pend, ncap * sizeof(*cw->pend))) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		cw->pend = p;
		cw->pendcap = ncap;
	}
	if (cw->pool_len + len > cw->pool_cap) {
		size_t ncap = cw->pool_cap ? cw->pool_cap : (1U << 20);
		uint8_t *np;

		while (ncap < cw->pool_len + len)
			ncap *= 2;
		/* Grow by copying, so that no plaintext is left behind. */
		if ((np = malloc(ncap)) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		if (cw->pool != NULL) {
			memcpy(np, cw->pool, cw->pool_len);
			secmem_wipe(cw->pool, cw->pool_len);
			free(cw->pool);
		}
		cw->pool = np;
		cw->pool_cap = ncap;
	}
	memcpy(cw->pend[cw->npend].id, id, 32);
	cw->pend[cw->npend].raw_len = raw_len;
	cw->pend[cw->npend].flags = flags;
	cw->pend[cw->npend].pool_off = cw->pool_len;
	cw->pend[cw->npend].len = len;
	/* An empty payload may come before the pool exists (pool NULL). */
	if (len > 0)
		memcpy(cw->pool + cw->pool_len, payload, len);
	cw->pool_len += len;
	cw->npend++;
	stored = container_fmt_padme((uint32_t)(RECORD_INNER_SIZE + len)) +
	    AEAD_TAGBYTES;
	/* Provisional: the place it would have in stream order. */
	loc->container_id = cw->container_id;
	loc->offset = (uint32_t)(cw->offset + cw->queued);
	loc->length = (uint32_t)(RECORD_HEADER_SIZE + stored);
	cw->queued += loc->length;
	cw->record_count++;
	cw->stored_bytes += loc->length;
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
	if ((rc = writer_write_pending(cw)) != QS_OK) {
		cw->tmp = NULL;
		fileio_tmp_abort(tmp);
		return (rc);
	}
	t.record_count = cw->record_count;
	t.records_end = cw->offset;
	t.raw_bytes = cw->raw_bytes;
	checksum_final(&cw->headers_hash, t.headers_hash);
	container_fmt_trailer_encode(&t, tbuf);
	if ((rc = appender_put(&cw->out, tbuf, sizeof(tbuf))) != QS_OK ||
	    (rc = appender_drain(&cw->out)) != QS_OK) {
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
	size_t stored = len, need;
	int rc;

	if (len > RECORD_MAX_STORED - AEAD_TAGBYTES || raw_len >
	    RECORD_MAX_RAW)
		return (qs_error_set(QS_EINVAL, "chunk too large"));
	/* What the record will take (a sealed one padded). */
	need = len + AEAD_TAGBYTES;
	if (cw->key_id != 0)
		need = container_fmt_padme((uint32_t)(RECORD_INNER_SIZE +
		    len)) + AEAD_TAGBYTES;
	if (need > RECORD_MAX_STORED)
		return (qs_error_set(QS_EINVAL, "chunk too large"));
	if (cw->tmp != NULL && cw->offset + cw->queued + RECORD_HEADER_SIZE +
	    need > (cw->key_id != 0 && cw->target_size > SEALED_CONTAINER_MAX ?
	    SEALED_CONTAINER_MAX : cw->target_size) &&
	    (rc = container_writer_finish(cw)) != QS_OK)
		return (rc);
	if (cw->tmp == NULL && (rc = writer_open_container(cw)) != QS_OK)
		return (rc);
	if (cw->key_id != 0)
		return (writer_queue(cw, id, raw_len, flags, payload, len,
		    loc));

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
		container_fmt_record_ad(store_config(cw->store)->store_id,
		    cw->container_id, cw->offset, hbuf, ad);
		aead_seal(cw->key, h.nonce, ad, sizeof(ad), payload, len,
		    cw->sealbuf);
		body = cw->sealbuf;
	}
	checksum_update(&cw->headers_hash, hbuf, sizeof(hbuf));
	if ((rc = appender_put(&cw->out, hbuf, sizeof(hbuf))) != QS_OK ||
	    (rc = appender_put(&cw->out, body, stored)) != QS_OK)
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
	writer_drop_pending(cw);
	free(cw->pool);
	free(cw->pend);
	free(cw->innerbuf);		/* wiped after each use */
	free(cw->buf);
	free(cw->sealbuf);
	free(cw);
}
