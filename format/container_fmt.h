#ifndef QS_RECORD_H
#define QS_RECORD_H

/*
 * Chunk records and the container files that hold them.  Byte layouts are
 * in spec/FORMAT.md ("Containers"); this module only encodes and decodes
 * them, with every length checked against the bytes available.
 *
 * A container is:
 *   container header (64 bytes)
 *   record header (80 bytes) + payload (stored_len bytes), repeated
 *   container trailer (64 bytes)
 * Containers are written once under a temporary name and never modified.
 */

#include <stddef.h>
#include <stdint.h>

#define CONTAINER_HEADER_SIZE	64
#define CONTAINER_TRAILER_SIZE	64
#define RECORD_HEADER_SIZE	80
#define RECORD_AD_SIZE		(16 + 8 + 8 + 48)
#define CONTAINER_VERSION	1	/* plain stores */
#define CONTAINER_VERSION_SEALED 2	/* encrypted stores: sealed lengths */
#define RECORD_INNER_SIZE	12	/* inner header of a sealed payload */

/* Record types.  0 and 0xff are never used. */
#define RECORD_TYPE_CHUNK	1

/* Record flags. */
#define RECORD_FLAG_ZSTD	0x01
/*
 * Version 2: raw_len and the compression flag are inside the sealed
 * payload (inner header), which is padded (PADME); the clear raw_len is 0.
 */
#define RECORD_FLAG_SEALED	0x02
#define RECORD_FLAGS_KNOWN	(RECORD_FLAG_ZSTD | RECORD_FLAG_SEALED)

/* Largest raw chunk any version writes or accepts (chunker max is 16 MiB). */
#define RECORD_MAX_RAW		(16U << 20)
/* Largest payload: zstd's worst case for RECORD_MAX_RAW plus a tag. */
/* Largest payload: a PADME-padded raw chunk (+1/8) plus a tag. */
#define RECORD_MAX_STORED	(RECORD_MAX_RAW + (RECORD_MAX_RAW >> 3) + 4096)

struct container_header {
	uint16_t version;		/* CONTAINER_VERSION or _SEALED */
	uint8_t store_id[16];
	uint64_t container_id;
	int64_t created;
};

struct container_trailer {
	uint32_t record_count;
	uint64_t records_end;		/* offset of the trailer */
	uint64_t raw_bytes;		/* sum of raw_len of all records */
	uint8_t headers_hash[32];	/* BLAKE2b-256 of all record headers */
};

struct record_header {
	uint8_t type;
	uint8_t flags;
	uint16_t key_id;		/* 0 = not encrypted */
	uint32_t raw_len;		/* chunk length before compression */
	uint32_t stored_len;		/* payload bytes after the header */
	uint8_t chunk_id[32];
	uint8_t nonce[24];		/* all zero when key_id == 0 */
};

/**
 * container_fmt_header_encode(h, buf):
 * Write ${h} as CONTAINER_HEADER_SIZE bytes into ${buf}.
 */
void container_fmt_header_encode(const struct container_header *, uint8_t *);

/**
 * container_fmt_header_decode(buf, len, h):
 * Parse a container header.  Return QS_OK, QS_ECORRUPT (short, bad magic,
 * non-zero reserved bytes) or QS_EVERSION (unknown version or flags).
 * ${h} is untouched on failure.  No error detail is recorded: the caller
 * names the file.
 */
int container_fmt_header_decode(const uint8_t *, size_t,
    struct container_header *);

/**
 * container_fmt_trailer_encode(t, buf):
 * Write ${t} as CONTAINER_TRAILER_SIZE bytes into ${buf}.
 */
void container_fmt_trailer_encode(const struct container_trailer *, uint8_t *);

/**
 * container_fmt_trailer_decode(buf, len, t):
 * Parse a container trailer; QS_OK or QS_ECORRUPT.
 */
int container_fmt_trailer_decode(const uint8_t *, size_t,
    struct container_trailer *);

/**
 * container_fmt_record_encode(h, buf):
 * Write ${h} as RECORD_HEADER_SIZE bytes into ${buf}.
 */
void container_fmt_record_encode(const struct record_header *, uint8_t *);

/**
 * container_fmt_record_decode(buf, len, h):
 * Parse a record header.  Return QS_OK, or QS_ECORRUPT if ${len} is short,
 * the magic or type is wrong, a reserved byte is non-zero, an unknown flag
 * is set, a length exceeds the limits, or a plain record has a non-zero
 * nonce.  ${h} is untouched on failure.
 */
int container_fmt_record_decode(const uint8_t *, size_t, struct record_header *);

/**
 * container_fmt_record_ad(store_id, container_id, offset, hdrbuf, ad):
 * Build the RECORD_AD_SIZE bytes of associated data that bind an encrypted
 * record to its store, container and place: store id, container id, the
 * record's offset, and the first 48 bytes of its encoded header (magic,
 * type, flags, key id, lengths, chunk id).
 */
void container_fmt_record_ad(const uint8_t[16], uint64_t, uint64_t, const uint8_t *,
    uint8_t *);

/**
 * container_fmt_padme(len):
 * The padded length of ${len} bytes: PADME with one more bit kept (a
 * length of magnitude 2^E keeps its top floor(log2 E) + 3 bits, rounding
 * up), so at most ~6 % more and ~1 % on average.  See FORMAT.md 4.3.
 */
uint32_t container_fmt_padme(uint32_t);

/**
 * container_fmt_inner_encode(raw_len, flags, payload, len, out):
 * Write the plaintext of a version 2 sealed record into ${out}: the inner
 * header (raw_len, payload length, flags), ${payload}, zero padding up to
 * container_fmt_padme(RECORD_INNER_SIZE + ${len}) bytes, which is returned.
 */
size_t container_fmt_inner_encode(uint32_t, uint8_t, const uint8_t *, size_t,
    uint8_t *);

/**
 * container_fmt_inner_decode(pt, ptlen, raw_len, flags, payload, len):
 * Parse the opened plaintext of a version 2 sealed record.  Return QS_OK
 * or QS_ECORRUPT (short, unknown flag, non-zero reserved or padding bytes,
 * padding other than PADME, lengths beyond the limits).
 */
int container_fmt_inner_decode(const uint8_t *, size_t, uint32_t *, uint8_t *,
    const uint8_t **, size_t *);

#endif /* !QS_RECORD_H */
