#include <string.h>

#include <sodium.h>

#include "crypto/chunkid.h"

/**
 * chunkid_compute(key, buf, len, id):
 * Store the keyed BLAKE2b-256 of the chunk in ${id}.
 */
void
chunkid_compute(const uint8_t key[CHUNKID_KEYBYTES], const uint8_t *buf,
    size_t len, uint8_t id[CHUNKID_BYTES])
{

	crypto_generichash(id, CHUNKID_BYTES, buf, len, key, CHUNKID_KEYBYTES);
}

/**
 * chunkid_derive(key, label, out):
 * Derive a personalised 32-byte subkey of ${key}.
 */
void
chunkid_derive(const uint8_t key[CHUNKID_KEYBYTES], const char *label,
    uint8_t out[32])
{
	uint8_t personal[crypto_generichash_blake2b_PERSONALBYTES];

	memset(personal, 0, sizeof(personal));
	memcpy(personal, label, strnlen(label, sizeof(personal)));
	crypto_generichash_blake2b_salt_personal(out, 32, NULL, 0, key,
	    CHUNKID_KEYBYTES, NULL, personal);
}

/**
 * chunkid_equal(a, b):
 * Return non-zero if the two ids are equal (constant time).
 */
int
chunkid_equal(const uint8_t a[CHUNKID_BYTES], const uint8_t b[CHUNKID_BYTES])
{

	return (sodium_memcmp(a, b, CHUNKID_BYTES) == 0);
}
