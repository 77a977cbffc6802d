#ifndef QS_GEAR_H
#define QS_GEAR_H

/*
 * Keyed gear table for the content-defined chunker (spec/chunker.md,
 * section "Gear table").  The table is derived from the per-store 32-byte
 * chunker secret so that chunk boundaries, and hence chunk sizes, do not
 * leak which known content a store holds.
 */

#include <stdint.h>

#define GEAR_KEYBYTES 32
#define GEAR_ENTRIES 256

/**
 * gear_derive(key, table):
 * Fill ${table} with the 256 gear values for the chunker secret ${key}:
 * table[i] = the first 8 bytes, read little-endian, of the 32-byte keyed
 * BLAKE2b (key = ${key}) of the 11 bytes "qsarc-gear" || i.  The caller must
 * have called sodium_init().  The table is secret-derived: callers should
 * wipe it when done.
 */
void gear_derive(const uint8_t[GEAR_KEYBYTES], uint64_t[GEAR_ENTRIES]);

#endif /* !QS_GEAR_H */
