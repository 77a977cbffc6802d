#include <sodium.h>

#include "crypto/random.h"

/**
 * random_bytes(buf, len):
 * Fill ${buf} with ${len} bytes from the system's random source.
 */
void
random_bytes(void *buf, size_t len)
{

	randombytes_buf(buf, len);
}
