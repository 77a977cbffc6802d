#include <string.h>

#include "format/endian.h"
#include "format/qs_err.h"
#include "format/container_fmt.h"

static const uint8_t container_magic[8] = "QSARCCTR";
static const uint8_t trailer_magic[8] = "QSARCEND";
static const uint8_t record_magic[4] = "QSRC";

/*
 * Byte layouts (see spec/FORMAT.md).  Integers are little-endian.
 */
struct container_header_disk {
	uint8_t magic[8];
	uint8_t version[2];
	uint8_t flags[2];
	uint8_t reserved0[4];
	uint8_t store_id[16];
	uint8_t container_id[8];
	uint8_t created[8];
	uint8_t reserved1[16];
};
_Static_assert(sizeof(struct container_header_disk) == CONTAINER_HEADER_SIZE,
    "container header size");

struct container_trailer_disk {
	uint8_t magic[8];
	uint8_t record_count[4];
	uint8_t reserved0[4];
	uint8_t records_end[8];
	uint8_t raw_bytes[8];
	uint8_t headers_hash[32];
};
_Static_assert(sizeof(struct container_trailer_disk) ==
    CONTAINER_TRAILER_SIZE, "container trailer size");

struct record_header_disk {
	uint8_t magic[4];
	uint8_t type;
	uint8_t flags;
	uint8_t key_id[2];
	uint8_t raw_len[4];
	uint8_t stored_len[4];
	uint8_t chunk_id[32];
	uint8_t nonce[24];
	uint8_t reserved[8];
};
_Static_assert(sizeof(struct record_header_disk) == RECORD_HEADER_SIZE,
    "record header size");

/**
 * container_fmt_header_encode(h, buf):
 * Write ${h} as CONTAINER_HEADER_SIZE bytes into ${buf}.
 */
void
container_fmt_header_encode(const struct container_header *h, uint8_t *buf)
{
	struct container_header_disk d;

	memset(&d, 0, sizeof(d));
	memcpy(d.magic, container_magic, 8);
	le16enc(d.version, h->version == CONTAINER_VERSION_SEALED ?
	    CONTAINER_VERSION_SEALED : CONTAINER_VERSION);
	memcpy(d.store_id, h->store_id, 16);
	le64enc(d.container_id, h->container_id);
	le64enc(d.created, (uint64_t)h->created);
	memcpy(buf, &d, sizeof(d));
}

/**
 * container_fmt_header_decode(buf, len, h):
 * Parse a container header; QS_OK, QS_ECORRUPT or QS_EVERSION.
 */
int
container_fmt_header_decode(const uint8_t *buf, size_t len,
    struct container_header *h)
{
	struct container_header_disk d;

	if (len < sizeof(d))
		return (QS_ECORRUPT);
	memcpy(&d, buf, sizeof(d));
	if (memcmp(d.magic, container_magic, 8) != 0)
		return (QS_ECORRUPT);
	if ((le16dec(d.version) != CONTAINER_VERSION &&
	    le16dec(d.version) != CONTAINER_VERSION_SEALED) ||
	    le16dec(d.flags) != 0)
		return (QS_EVERSION);
	if (!bytes_zero(d.reserved0, sizeof(d.reserved0)) ||
	    !bytes_zero(d.reserved1, sizeof(d.reserved1)))
		return (QS_ECORRUPT);
	h->version = le16dec(d.version);
	memcpy(h->store_id, d.store_id, 16);
	h->container_id = le64dec(d.container_id);
	h->created = (int64_t)le64dec(d.created);
	return (QS_OK);
}

/**
 * container_fmt_trailer_encode(t, buf):
 * Write ${t} as CONTAINER_TRAILER_SIZE bytes into ${buf}.
 */
void
container_fmt_trailer_encode(const struct container_trailer *t, uint8_t *buf)
{
	struct container_trailer_disk d;

	memset(&d, 0, sizeof(d));
	memcpy(d.magic, trailer_magic, 8);
	le32enc(d.record_count, t->record_count);
	le64enc(d.records_end, t->records_end);
	le64enc(d.raw_bytes, t->raw_bytes);
	memcpy(d.headers_hash, t->headers_hash, 32);
	memcpy(buf, &d, sizeof(d));
}

/**
 * container_fmt_trailer_decode(buf, len, t):
 * Parse a container trailer; QS_OK or QS_ECORRUPT.
 */
int
container_fmt_trailer_decode(const uint8_t *buf, size_t len,
    struct container_trailer *t)
{
	struct container_trailer_disk d;

	if (len < sizeof(d))
		return (QS_ECORRUPT);
	memcpy(&d, buf, sizeof(d));
	if (memcmp(d.magic, trailer_magic, 8) != 0 ||
	    !bytes_zero(d.reserved0, sizeof(d.reserved0)))
		return (QS_ECORRUPT);
	t->record_count = le32dec(d.record_count);
	t->records_end = le64dec(d.records_end);
	t->raw_bytes = le64dec(d.raw_bytes);
	memcpy(t->headers_hash, d.headers_hash, 32);
	return (QS_OK);
}

/**
 * container_fmt_record_encode(h, buf):
 * Write ${h} as RECORD_HEADER_SIZE bytes into ${buf}.
 */
void
container_fmt_record_encode(const struct record_header *h, uint8_t *buf)
{
	struct record_header_disk d;

	memset(&d, 0, sizeof(d));
	memcpy(d.magic, record_magic, 4);
	d.type = h->type;
	d.flags = h->flags;
	le16enc(d.key_id, h->key_id);
	le32enc(d.raw_len, h->raw_len);
	le32enc(d.stored_len, h->stored_len);
	memcpy(d.chunk_id, h->chunk_id, 32);
	memcpy(d.nonce, h->nonce, 24);
	memcpy(buf, &d, sizeof(d));
}

/**
 * container_fmt_record_decode(buf, len, h):
 * Parse a record header; QS_OK or QS_ECORRUPT.
 */
int
container_fmt_record_decode(const uint8_t *buf, size_t len, struct record_header *h)
{
	struct record_header_disk d;
	uint32_t raw_len, stored_len;
	uint16_t key_id;

	if (len < sizeof(d))
		return (QS_ECORRUPT);
	memcpy(&d, buf, sizeof(d));
	if (memcmp(d.magic, record_magic, 4) != 0)
		return (QS_ECORRUPT);
	if (d.type != RECORD_TYPE_CHUNK)
		return (QS_ECORRUPT);
	if ((d.flags & ~RECORD_FLAGS_KNOWN) != 0)
		return (QS_ECORRUPT);
	if (!bytes_zero(d.reserved, sizeof(d.reserved)))
		return (QS_ECORRUPT);
	key_id = le16dec(d.key_id);
	raw_len = le32dec(d.raw_len);
	stored_len = le32dec(d.stored_len);
	if (raw_len > RECORD_MAX_RAW || stored_len > RECORD_MAX_STORED)
		return (QS_ECORRUPT);
	if (key_id == 0 && !bytes_zero(d.nonce, sizeof(d.nonce)))
		return (QS_ECORRUPT);
	/* Sealed lengths: only under a key, nothing else in the clear. */
	if ((d.flags & RECORD_FLAG_SEALED) && (key_id == 0 ||
	    d.flags != RECORD_FLAG_SEALED || raw_len != 0 ||
	    stored_len < RECORD_INNER_SIZE + 16))
		return (QS_ECORRUPT);
	/* An uncompressed plain payload is exactly the chunk. */
	if (key_id == 0 && !(d.flags & RECORD_FLAG_ZSTD) &&
	    stored_len != raw_len)
		return (QS_ECORRUPT);
	h->type = d.type;
	h->flags = d.flags;
	h->key_id = key_id;
	h->raw_len = raw_len;
	h->stored_len = stored_len;
	memcpy(h->chunk_id, d.chunk_id, 32);
	memcpy(h->nonce, d.nonce, 24);
	return (QS_OK);
}

/**
 * container_fmt_record_ad(store_id, container_id, offset, hdrbuf, ad):
 * Build the RECORD_AD_SIZE bytes of associated data for a sealed record.
 */
void
container_fmt_record_ad(const uint8_t store_id[16], uint64_t container_id, uint64_t offset,
    const uint8_t *hdrbuf, uint8_t *ad)
{

	memcpy(ad, store_id, 16);
	le64enc(ad + 16, container_id);
	le64enc(ad + 24, offset);
	memcpy(ad + 32, hdrbuf, 48);
}

/**
 * container_fmt_padme(len):
 * The padded length of ${len} (PADME keeping one more bit).
 */
uint32_t
container_fmt_padme(uint32_t len)
{
	uint32_t e, s, mask;

	if (len < 2)
		return (len);
	for (e = 0; (len >> (e + 1)) != 0; e++)
		;
	for (s = 1; (e >> s) != 0; s++)
		;
	mask = (e > s + 1) ? ((1U << (e - s - 1)) - 1) : 0;
	return ((len + mask) & ~mask);
}

/**
 * container_fmt_inner_encode(raw_len, flags, payload, len, out):
 * Write a version 2 sealed plaintext; return its padded length.
 */
size_t
container_fmt_inner_encode(uint32_t raw_len, uint8_t flags,
    const uint8_t *payload, size_t len, uint8_t *out)
{
	size_t total = container_fmt_padme((uint32_t)(RECORD_INNER_SIZE + len));

	le32enc(out, raw_len);
	le32enc(out + 4, (uint32_t)len);
	out[8] = flags;
	memset(out + 9, 0, 3);
	memcpy(out + RECORD_INNER_SIZE, payload, len);
	memset(out + RECORD_INNER_SIZE + len, 0, total - RECORD_INNER_SIZE - len);
	return (total);
}

/**
 * container_fmt_inner_decode(pt, ptlen, raw_len, flags, payload, len):
 * Parse a version 2 sealed plaintext; QS_OK or QS_ECORRUPT.
 */
int
container_fmt_inner_decode(const uint8_t *pt, size_t ptlen, uint32_t *raw_lenp,
    uint8_t *flagsp, const uint8_t **payloadp, size_t *lenp)
{
	uint32_t raw_len, len;

	if (ptlen < RECORD_INNER_SIZE || ptlen > RECORD_MAX_STORED)
		return (QS_ECORRUPT);
	raw_len = le32dec(pt);
	len = le32dec(pt + 4);
	if ((pt[8] & ~RECORD_FLAG_ZSTD) != 0 || !bytes_zero(pt + 9, 3))
		return (QS_ECORRUPT);
	if (raw_len > RECORD_MAX_RAW || len > ptlen - RECORD_INNER_SIZE ||
	    container_fmt_padme(RECORD_INNER_SIZE + len) != ptlen ||
	    !bytes_zero(pt + RECORD_INNER_SIZE + len,
	    ptlen - RECORD_INNER_SIZE - len))
		return (QS_ECORRUPT);
	if (!(pt[8] & RECORD_FLAG_ZSTD) && len != raw_len)
		return (QS_ECORRUPT);
	*raw_lenp = raw_len;
	*flagsp = pt[8];
	*payloadp = pt + RECORD_INNER_SIZE;
	*lenp = len;
	return (QS_OK);
}
