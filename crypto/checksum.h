#ifndef QS_CHECKSUM_H
#define QS_CHECKSUM_H

/*
 * Unkeyed BLAKE2b-256 integrity checksums for store metadata files (index
 * segment trailers).  These detect accidental damage only; they are not a
 * MAC.  The state is a byte array so that callers below crypto/ need not
 * see libsodium's headers; checksum.c asserts that it is large enough.
 */

#include <stddef.h>
#include <stdint.h>

#define CHECKSUM_BYTES	32

struct checksum_state {
	_Alignas(64) uint8_t opaque[384];
};

/**
 * checksum_blake2b256(buf, len, out):
 * Store the unkeyed 32-byte BLAKE2b digest of the ${len} bytes at ${buf} in
 * ${out}.
 */
void checksum_blake2b256(const void *, size_t, uint8_t[CHECKSUM_BYTES]);

/**
 * checksum_init(st):
 * Start a streaming unkeyed BLAKE2b-256 computation in ${st}.
 */
void checksum_init(struct checksum_state *);

/**
 * checksum_update(st, buf, len):
 * Feed ${len} bytes at ${buf} into ${st}.
 */
void checksum_update(struct checksum_state *, const void *, size_t);

/**
 * checksum_final(st, out):
 * Store the digest of everything fed into ${st} in ${out}; ${st} must be
 * re-initialised before it is used again.
 */
void checksum_final(struct checksum_state *, uint8_t[CHECKSUM_BYTES]);

#define CHECKSUM_SHA256_HEX	65	/* 64 hex digits and a NUL */

/**
 * checksum_sha256_hex(buf, len, out):
 * Store the SHA-256 digest of the ${len} bytes at ${buf} in ${out} as 64
 * lower-case hex digits and a NUL.  For protocols that name SHA-256 (the
 * x-amz-content-sha256 header of S3 requests), not for the store's own
 * checksums.
 */
void checksum_sha256_hex(const void *, size_t, char[CHECKSUM_SHA256_HEX]);

#endif /* !QS_CHECKSUM_H */
