#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/secmem.h"
#include "crypto/chunkid.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/store/chunk_compressor.h"
#include "index/store/chunk_reader.h"
#include "index/store/store.h"

struct chunk_reader {
	struct store *store;
	struct chunk_compressor *cc;	/* for unpacking only */
	uint8_t *buf;			/* header + payload */
	uint8_t *plain;			/* decrypted payload */
	uint64_t bytes_read;
	/*
	 * How far each buffer was ever written: only that much is wiped at
	 * the end, since wiping all of a buffer (~8 MiB) faults in pages a
	 * small restore never touched, which cost ~15 % of a get's CPU.
	 */
	size_t buf_used, plain_used;
	int trust_aead;			/* see chunk_reader_trust_aead */
};

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
	if (chunk_compressor_new(0, &r->cc) != QS_OK ||
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
	chunk_compressor_free(r->cc);
	/* Stored bytes: compressed plaintext in a plain store. */
	if (r->buf != NULL)
		secmem_wipe(r->buf, r->buf_used);
	free(r->buf);
	if (r->plain != NULL)
		secmem_wipe(r->plain, r->plain_used);
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
	uint32_t raw_len;
	uint8_t flags;
	char path[4096];
	int fd, rc;

	/* Read the record the index entry points at. */
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
	if (loc->length > r->buf_used)
		r->buf_used = (size_t)loc->length;
	if ((rc = fileio_pread_full(fd, r->buf, loc->length, loc->offset,
	    path)) != QS_OK)
		return (rc);
	r->bytes_read += loc->length;
	/* Its header must agree with the index entry. */
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
	raw_len = h.raw_len;
	flags = h.flags;
	if (raw_len > outcap)
		return (record_error(r->store, loc, QS_ECORRUPT,
		    "chunk larger than the store's maximum"));
	if (store_read_keys(r->store, h.key_id, &key, &idkey) != QS_OK)
		return (record_error(r->store, loc, QS_EAUTH,
		    "sealed under an unknown or retired key"));
	payload = r->buf + RECORD_HEADER_SIZE;
	plen = h.stored_len;
	if (key != NULL) {
		/* Authenticate before anything else touches the payload. */
		container_fmt_record_ad(store_config(r->store)->store_id,
		    loc->container_id, loc->offset, r->buf, ad);
		if (plen > r->plain_used)
			r->plain_used = plen;
		if (aead_open(key, h.nonce, ad, sizeof(ad), payload, plen,
		    r->plain) != QS_OK)
			return (record_error(r->store, loc, QS_EAUTH,
			    "authentication failed (the record was "
			    "modified, moved or relabelled)"));
		payload = r->plain;
		plen -= AEAD_TAGBYTES;
		/* Version 2: the lengths and flags are inside. */
		if ((h.flags & RECORD_FLAG_SEALED) &&
		    container_fmt_inner_decode(r->plain, plen, &raw_len, &flags,
		    &payload, &plen) != QS_OK)
			return (record_error(r->store, loc, QS_ECORRUPT,
			    "damaged sealed record header or padding"));
		if (raw_len > outcap)
			return (record_error(r->store, loc, QS_ECORRUPT,
			    "chunk larger than the store's maximum"));
	} else if (h.flags & RECORD_FLAG_SEALED)
		return (record_error(r->store, loc, QS_ECORRUPT,
		    "damaged record header"));
	/* Decompress (or copy), then the content must hash to its id. */
	if (flags & RECORD_FLAG_ZSTD) {
		if (chunk_compressor_unpack(r->cc, payload, plen, out,
		    raw_len) != QS_OK)
			return (record_error(r->store, loc, QS_ECORRUPT,
			    "compressed data is damaged"));
	} else {
		if (plen != raw_len)
			return (record_error(r->store, loc, QS_ECORRUPT,
			    "raw record length mismatch"));
		memcpy(out, payload, plen);
	}
	/*
	 * A sealed record's tag already ties this content to ${id} (in the
	 * header, which is in the AD): a reader that trusts it skips the
	 * second pass over the bytes (spec/SECURITY.md, "Checks on read").
	 */
	if (key == NULL || !r->trust_aead) {
		chunkid_compute(idkey, out, raw_len, check);
		if (!chunkid_equal(check, id))
			return (record_error(r->store, loc, QS_ECORRUPT,
			    "chunk content does not match its id"));
	}
	*outlen = raw_len;
	if (payloadp != NULL) {
		*payloadp = payload;
		*plenp = plen;
		*flagsp = flags;
	}
	return (QS_OK);
}

/**
 * chunk_reader_trust_aead(r):
 * Skip the chunk id check of sealed records.
 */
void
chunk_reader_trust_aead(struct chunk_reader *r)
{

	r->trust_aead = 1;
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
