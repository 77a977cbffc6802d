#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format/endian.h"
#include "format/qs_err.h"
#include "format/segment.h"

/* Largest file size we accept: keeps every offset a valid off_t. */
#define SEGMENT_SIZE_MAX	((uint64_t)INT64_MAX)

/**
 * segment_header_encode(hdr, buf):
 * Write ${hdr} as the 64 header bytes at ${buf}.  The caller passes a
 * header that segment_header_decode would accept.
 */
void
segment_header_encode(const struct segment_header *hdr,
    uint8_t buf[SEGMENT_HEADER_SIZE])
{
	struct segment_header_disk d;

	memset(&d, 0, sizeof(d));
	memcpy(d.magic, SEGMENT_MAGIC, sizeof(d.magic));
	le16enc(d.version, SEGMENT_VERSION);
	le16enc(d.flags, 0);
	le32enc(d.bloom_k, hdr->bloom_k);
	le64enc(d.count, hdr->count);
	le64enc(d.seq, hdr->seq);
	le64enc(d.base_seq, hdr->base_seq);
	le64enc(d.bloom_bytes, hdr->bloom_bytes);
	memcpy(buf, &d, sizeof(d));
}

/**
 * segment_header_decode(buf, len, hdr):
 * Parse the header at the start of the ${len} bytes at ${buf}.  Return
 * QS_OK; QS_ECORRUPT if ${len} is short, the magic is wrong, a reserved
 * byte is non-zero or a field is out of range; QS_EVERSION for an unknown
 * version or flag.  ${hdr} is untouched on failure.
 */
int
segment_header_decode(const uint8_t *buf, size_t len,
    struct segment_header *hdr)
{
	struct segment_header_disk d;
	struct segment_header h;
	uint16_t version, flags;
	size_t i;

	if (len < SEGMENT_HEADER_SIZE)
		return (qs_error_set(QS_ECORRUPT,
		    "segment header truncated: %zu of %d bytes", len,
		    SEGMENT_HEADER_SIZE));
	memcpy(&d, buf, sizeof(d));
	if (memcmp(d.magic, SEGMENT_MAGIC, sizeof(d.magic)) != 0)
		return (qs_error_set(QS_ECORRUPT,
		    "not an index segment (bad magic at offset 0)"));
	version = le16dec(d.version);
	flags = le16dec(d.flags);
	if (version != SEGMENT_VERSION)
		return (qs_error_set(QS_EVERSION,
		    "index segment format version %u is not supported "
		    "(this build reads version %d)", version,
		    SEGMENT_VERSION));
	if (flags != 0)
		return (qs_error_set(QS_EVERSION,
		    "index segment has unknown flags 0x%04x at offset 10",
		    flags));
	for (i = 0; i < sizeof(d.reserved); i++)
		if (d.reserved[i] != 0)
			return (qs_error_set(QS_ECORRUPT,
			    "index segment reserved byte at offset %zu is "
			    "not zero", 48 + i));
	h.bloom_k = le32dec(d.bloom_k);
	h.count = le64dec(d.count);
	h.seq = le64dec(d.seq);
	h.base_seq = le64dec(d.base_seq);
	h.bloom_bytes = le64dec(d.bloom_bytes);
	if (h.bloom_k < 1 || h.bloom_k > SEGMENT_BLOOM_K_MAX)
		return (qs_error_set(QS_ECORRUPT,
		    "index segment bloom k %u out of range 1..%d",
		    h.bloom_k, SEGMENT_BLOOM_K_MAX));
	if (h.bloom_bytes % SEGMENT_BLOOM_BLOCK != 0 ||
	    (h.count == 0) != (h.bloom_bytes == 0))
		return (qs_error_set(QS_ECORRUPT,
		    "index segment bloom size %llu is invalid for %llu "
		    "entries", (unsigned long long)h.bloom_bytes,
		    (unsigned long long)h.count));
	if (h.base_seq > h.seq)
		return (qs_error_set(QS_ECORRUPT,
		    "index segment base sequence %llu exceeds its sequence "
		    "%llu", (unsigned long long)h.base_seq,
		    (unsigned long long)h.seq));
	*hdr = h;
	return (QS_OK);
}

/**
 * segment_file_size(hdr, size):
 * Store in ${size} the exact size in bytes of a segment file with header
 * ${hdr}.  Return QS_OK, or QS_ECORRUPT if it does not fit in 63 bits.
 */
int
segment_file_size(const struct segment_header *hdr, uint64_t *size)
{
	uint64_t fixed = SEGMENT_HEADER_SIZE + SEGMENT_TRAILER_SIZE;

	if (hdr->count > (SEGMENT_SIZE_MAX - fixed) / SEGMENT_ENTRY_SIZE ||
	    hdr->bloom_bytes > SEGMENT_SIZE_MAX - fixed -
	    hdr->count * SEGMENT_ENTRY_SIZE)
		return (qs_error_set(QS_ECORRUPT,
		    "index segment counts overflow: %llu entries, %llu bloom "
		    "bytes", (unsigned long long)hdr->count,
		    (unsigned long long)hdr->bloom_bytes));
	*size = fixed + hdr->count * SEGMENT_ENTRY_SIZE + hdr->bloom_bytes;
	return (QS_OK);
}

/**
 * segment_entries_offset(void) / segment_bloom_offset(hdr) /
 * segment_trailer_offset(hdr):
 * Byte offsets of the entries, the Bloom filter and the trailer in a
 * segment file whose size segment_file_size accepted.
 */
uint64_t
segment_entries_offset(void)
{

	return (SEGMENT_HEADER_SIZE);
}

uint64_t
segment_bloom_offset(const struct segment_header *hdr)
{

	return (SEGMENT_HEADER_SIZE + hdr->count * SEGMENT_ENTRY_SIZE);
}

uint64_t
segment_trailer_offset(const struct segment_header *hdr)
{

	return (segment_bloom_offset(hdr) + hdr->bloom_bytes);
}

/**
 * segment_entry_encode(buf, id, container_id, offset, length):
 * Write one 48-byte entry at ${buf}.
 */
void
segment_entry_encode(uint8_t buf[SEGMENT_ENTRY_SIZE],
    const uint8_t id[SEGMENT_ID_SIZE], uint64_t container_id,
    uint32_t offset, uint32_t length)
{

	memmove(buf, id, SEGMENT_ID_SIZE);
	le64enc(buf + 32, container_id);
	le32enc(buf + 40, offset);
	le32enc(buf + 44, length);
}

/**
 * segment_entry_decode(buf, container_id, offset, length):
 * Read the location fields of the 48-byte entry at ${buf}; its id is the
 * first SEGMENT_ID_SIZE bytes of ${buf}.
 */
void
segment_entry_decode(const uint8_t buf[SEGMENT_ENTRY_SIZE],
    uint64_t *container_id, uint32_t *offset, uint32_t *length)
{

	*container_id = le64dec(buf + 32);
	*offset = le32dec(buf + 40);
	*length = le32dec(buf + 44);
}

/**
 * segment_entry_check(buf):
 * Return QS_OK if the entry at ${buf} is sane (length non-zero and
 * offset + length <= 2^32), else QS_ECORRUPT (no detail is recorded).
 */
int
segment_entry_check(const uint8_t buf[SEGMENT_ENTRY_SIZE])
{
	uint64_t off = le32dec(buf + 40), len = le32dec(buf + 44);

	if (len == 0 || off + len > ((uint64_t)1 << 32))
		return (QS_ECORRUPT);
	return (QS_OK);
}

/**
 * segment_trailer_encode(digest, buf) / segment_trailer_decode(buf, digest):
 * Copy the 32-byte checksum into or out of the trailer bytes.
 */
void
segment_trailer_encode(const uint8_t digest[SEGMENT_TRAILER_SIZE],
    uint8_t buf[SEGMENT_TRAILER_SIZE])
{

	memcpy(buf, digest, SEGMENT_TRAILER_SIZE);
}

void
segment_trailer_decode(const uint8_t buf[SEGMENT_TRAILER_SIZE],
    uint8_t digest[SEGMENT_TRAILER_SIZE])
{

	memcpy(digest, buf, SEGMENT_TRAILER_SIZE);
}
