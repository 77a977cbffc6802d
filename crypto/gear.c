#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "crypto/gear.h"
#include "format/endian.h"

/* Domain-separation label; 10 ASCII bytes, no terminating NUL is hashed. */
static const char gear_label[] = "qsarc-gear";
#define GEAR_LABEL_LEN (sizeof(gear_label) - 1)

_Static_assert(GEAR_LABEL_LEN == 10, "gear label must be 10 bytes");
_Static_assert(GEAR_KEYBYTES >= crypto_generichash_KEYBYTES_MIN &&
    GEAR_KEYBYTES <= crypto_generichash_KEYBYTES_MAX, "gear key size");

/**
 * gear_derive(key, table):
 * Fill ${table} with the 256 gear values for the chunker secret ${key}:
 * table[i] = the first 8 bytes, read little-endian, of the 32-byte keyed
 * BLAKE2b (key = ${key}) of the 11 bytes "qsarc-gear" || i.  The caller must
 * have called sodium_init().  The table is secret-derived: callers should
 * wipe it when done.
 */
void
gear_derive(const uint8_t key[GEAR_KEYBYTES], uint64_t table[GEAR_ENTRIES])
{
	uint8_t msg[GEAR_LABEL_LEN + 1];
	uint8_t digest[32];
	unsigned int i;

	memcpy(msg, gear_label, GEAR_LABEL_LEN);
	for (i = 0; i < GEAR_ENTRIES; i++) {
		msg[GEAR_LABEL_LEN] = (uint8_t)i;
		/* Cannot fail: output and key lengths are within limits. */
		(void)crypto_generichash(digest, sizeof(digest), msg,
		    sizeof(msg), key, GEAR_KEYBYTES);
		table[i] = le64dec(digest);
	}
	sodium_memzero(digest, sizeof(digest));
}
