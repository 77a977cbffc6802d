#ifndef QS_RANDOM_H
#define QS_RANDOM_H

/*
 * Random bytes from the operating system (libsodium's randombytes), for
 * every random identifier qsarc makes: store ids, container ids, catalogue
 * ids, nonces' callers, test seeds.  Chunk ids are keyed hashes, not random:
 * see crypto/chunkid.h.
 */

#include <stddef.h>

/**
 * random_bytes(buf, len):
 * Fill ${buf} with ${len} bytes from the system's random source.  Cannot
 * fail (libsodium aborts the process if the source is unavailable).
 */
void random_bytes(void *, size_t);

#endif /* !QS_RANDOM_H */
