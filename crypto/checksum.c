#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "crypto/checksum.h"

_Static_assert(sizeof(crypto_generichash_blake2b_state) <=
    sizeof(struct checksum_state), "checksum_state too small");
_Static_assert(_Alignof(crypto_generichash_blake2b_state) <=
    _Alignof(struct checksum_state), "checksum_state misaligned");
_Static_assert(CHECKSUM_BYTES == crypto_generichash_blake2b_BYTES,
    "digest size");

/*
 * The BLAKE2b functions work without sodium_init(), but only sodium_init()
 * selects the fastest compression function; it is idempotent and
 * thread-safe, so call it every time.  Its failure (no entropy source)
 * does not affect hashing, so it is ignored.
 */
static crypto_generichash_blake2b_state *
state_of(struct checksum_state *st)
{

	return ((crypto_generichash_blake2b_state *)(void *)st->opaque);
}

/**
 * checksum_blake2b256(buf, len, out):
 * Store the unkeyed 32-byte BLAKE2b digest of the ${len} bytes at ${buf} in
 * ${out}.
 */
void
checksum_blake2b256(const void *buf, size_t len, uint8_t out[CHECKSUM_BYTES])
{
	struct checksum_state st;

	checksum_init(&st);
	checksum_update(&st, buf, len);
	checksum_final(&st, out);
}

/**
 * checksum_init(st):
 * Start a streaming unkeyed BLAKE2b-256 computation in ${st}.
 */
void
checksum_init(struct checksum_state *st)
{

	if (sodium_init() < 0) {
		/* Only the implementation choice is lost; see above. */
	}
	(void)crypto_generichash_blake2b_init(state_of(st), NULL, 0,
	    CHECKSUM_BYTES);
}

/**
 * checksum_update(st, buf, len):
 * Feed ${len} bytes at ${buf} into ${st}.
 */
void
checksum_update(struct checksum_state *st, const void *buf, size_t len)
{

	(void)crypto_generichash_blake2b_update(state_of(st), buf,
	    (unsigned long long)len);
}

/**
 * checksum_final(st, out):
 * Store the digest of everything fed into ${st} in ${out}; ${st} must be
 * re-initialised before it is used again.
 */
void
checksum_final(struct checksum_state *st, uint8_t out[CHECKSUM_BYTES])
{

	(void)crypto_generichash_blake2b_final(state_of(st), out,
	    CHECKSUM_BYTES);
}

void
checksum_sha256_hex(const void *buf, size_t len, char out[CHECKSUM_SHA256_HEX])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	(void)crypto_hash_sha256(h, buf, len);
	(void)sodium_bin2hex(out, CHECKSUM_SHA256_HEX, h, sizeof(h));
}
