#ifndef QS_CHUNKID_H
#define QS_CHUNKID_H

/*
 * Chunk identifiers: keyed BLAKE2b-256 of the chunk's bytes under the
 * store's 32-byte chunk-id secret, so ids reveal nothing about content to
 * someone who knows only the data.
 */

#include <stddef.h>
#include <stdint.h>

#define CHUNKID_BYTES	32
#define CHUNKID_KEYBYTES 32

/**
 * chunkid_compute(key, buf, len, id):
 * Store BLAKE2b-256(key = ${key}, message = ${buf}[0..${len})) in ${id}.
 */
void chunkid_compute(const uint8_t[CHUNKID_KEYBYTES], const uint8_t *,
    size_t, uint8_t[CHUNKID_BYTES]);

/**
 * chunkid_derive(key, label, out):
 * Derive a 32-byte subkey: BLAKE2b-256 of the empty message under ${key}
 * with the 16-byte personalisation ${label} (exactly 16 characters).
 * Chunk ids are never personalised, so no chunk id equals a subkey.
 */
void chunkid_derive(const uint8_t[CHUNKID_KEYBYTES], const char *,
    uint8_t[32]);

/**
 * chunkid_equal(a, b):
 * Return non-zero if the two ids are equal (constant time).
 */
int chunkid_equal(const uint8_t[CHUNKID_BYTES], const uint8_t[CHUNKID_BYTES]);

#endif /* !QS_CHUNKID_H */
