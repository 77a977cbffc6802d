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
	    (cw->sealbuf = malloc(RECORD_MAX_STORED)) == NULL)
		goto enomem;
	*cwp = cw;
	return (QS_OK);

enomem:
	container_writer_free(cw);
	return (qs_error_set(QS_ENOMEM, "out of memory"));
}

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
	memcpy(h.store_id, store_config(cw->store)->store_id, 16);
	h.container_id = cw->container_id;
	h.created = (int64_t)time(NULL);
	container_fmt_header_encode(&h, hbuf);
	cw->offset = 0;
	cw->record_count = 0;
	cw->raw_bytes = 0;
	appender_init(&cw->out, cw->tmp, cw->buf, WRITE_BUFFER_SIZE, NULL,
	    NULL);
	checksum_init(&cw->headers_hash);
	if ((rc = appender_put(&cw->out, hbuf, sizeof(hbuf))) != QS_OK)
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
	free(cw->buf);
	free(cw->sealbuf);
	free(cw);
}
