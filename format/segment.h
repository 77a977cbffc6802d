#ifndef QS_SEGMENT_H
#define QS_SEGMENT_H

/*
 * Byte codec of a chunk-index segment file (spec/index.md).  A segment is
 *
 *	header (64 bytes) | entries (count x 48 bytes, sorted by id) |
 *	bloom filter (bloom_bytes, a multiple of 64) | trailer (32 bytes)
 *
 * All integers are little-endian.  The trailer is the BLAKE2b-256 of every
 * byte before it.  This module only encodes and decodes these pieces and
 * checks their bounds; index/chunk/chunkindex.c builds and searches segments.
 */

#include <stddef.h>
#include <stdint.h>

#define SEGMENT_MAGIC		"QSARCIDX"	/* 8 bytes, no NUL */
#define SEGMENT_VERSION		1
#define SEGMENT_HEADER_SIZE	64
#define SEGMENT_ENTRY_SIZE	48
#define SEGMENT_ID_SIZE		32
#define SEGMENT_TRAILER_SIZE	32
#define SEGMENT_BLOOM_BLOCK	64
#define SEGMENT_BLOOM_K_MAX	8

/* The header as stored on disk. */
struct segment_header_disk {
	uint8_t magic[8];
	uint8_t version[2];
	uint8_t flags[2];
	uint8_t bloom_k[4];
	uint8_t count[8];
	uint8_t seq[8];
	uint8_t base_seq[8];
	uint8_t bloom_bytes[8];
	uint8_t reserved[16];
};
_Static_assert(sizeof(struct segment_header_disk) == SEGMENT_HEADER_SIZE,
    "segment header size");

/* One entry as stored on disk. */
struct segment_entry_disk {
	uint8_t id[32];
	uint8_t container_id[8];
	uint8_t offset[4];
	uint8_t length[4];
};
_Static_assert(sizeof(struct segment_entry_disk) == SEGMENT_ENTRY_SIZE,
    "segment entry size");

/* The decoded header. */
struct segment_header {
	uint64_t count;		/* number of entries */
	uint64_t seq;		/* sequence number; higher wins */
	uint64_t base_seq;	/* segments with seq < this are obsolete */
	uint64_t bloom_bytes;	/* size of the Bloom filter */
	uint32_t bloom_k;	/* bits set per id, 1..SEGMENT_BLOOM_K_MAX */
};

/**
 * segment_header_encode(hdr, buf):
 * Write ${hdr} as the 64 header bytes at ${buf}.  The caller passes a
 * header that segment_header_decode would accept.
 */
void segment_header_encode(const struct segment_header *,
    uint8_t[SEGMENT_HEADER_SIZE]);

/**
 * segment_header_decode(buf, len, hdr):
 * Parse the header at the start of the ${len} bytes at ${buf}.  Return
 * QS_OK; QS_ECORRUPT if ${len} is short, the magic is wrong, a reserved
 * byte is non-zero or a field is out of range; QS_EVERSION for an unknown
 * version or flag.  ${hdr} is untouched on failure.
 */
int segment_header_decode(const uint8_t *, size_t, struct segment_header *);

/**
 * segment_file_size(hdr, size):
 * Store in ${size} the exact size in bytes of a segment file with header
 * ${hdr}.  Return QS_OK, or QS_ECORRUPT if it does not fit in 63 bits.
 */
int segment_file_size(const struct segment_header *, uint64_t *);

/**
 * segment_entries_offset(void) / segment_bloom_offset(hdr) /
 * segment_trailer_offset(hdr):
 * Byte offsets of the entries, the Bloom filter and the trailer in a
 * segment file whose size segment_file_size accepted.
 */
uint64_t segment_entries_offset(void);
uint64_t segment_bloom_offset(const struct segment_header *);
uint64_t segment_trailer_offset(const struct segment_header *);

/**
 * segment_entry_encode(buf, id, container_id, offset, length):
 * Write one 48-byte entry at ${buf}.
 */
void segment_entry_encode(uint8_t[SEGMENT_ENTRY_SIZE],
    const uint8_t[SEGMENT_ID_SIZE], uint64_t, uint32_t, uint32_t);

/**
 * segment_entry_decode(buf, container_id, offset, length):
 * Read the location fields of the 48-byte entry at ${buf}; its id is the
 * first SEGMENT_ID_SIZE bytes of ${buf}.
 */
void segment_entry_decode(const uint8_t[SEGMENT_ENTRY_SIZE], uint64_t *,
    uint32_t *, uint32_t *);

/**
 * segment_entry_check(buf):
 * Return QS_OK if the entry at ${buf} is sane (length non-zero and
 * offset + length <= 2^32), else QS_ECORRUPT (no detail is recorded).
 */
int segment_entry_check(const uint8_t[SEGMENT_ENTRY_SIZE]);

/**
 * segment_trailer_encode(digest, buf) / segment_trailer_decode(buf, digest):
 * Copy the 32-byte checksum into or out of the trailer bytes.
 */
void segment_trailer_encode(const uint8_t[SEGMENT_TRAILER_SIZE],
    uint8_t[SEGMENT_TRAILER_SIZE]);
void segment_trailer_decode(const uint8_t[SEGMENT_TRAILER_SIZE],
    uint8_t[SEGMENT_TRAILER_SIZE]);

#endif /* !QS_SEGMENT_H */
