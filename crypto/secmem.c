#include <stddef.h>

#include <sodium.h>

#include "crypto/secmem.h"
#include "format/qs_err.h"

/**
 * secmem_init():
 * Initialise libsodium.  Return QS_OK or QS_ENOMEM.
 */
int
secmem_init(void)
{

	/* sodium_init returns 0 the first time, 1 afterwards, -1 on failure. */
	if (sodium_init() < 0)
		return (qs_error_set(QS_ENOMEM, "libsodium failed to initialise"));
	return (QS_OK);
}

/**
 * secmem_alloc(len):
 * Return ${len} bytes of guarded secret memory, or NULL.
 */
void *
secmem_alloc(size_t len)
{
	void *p;

	if (secmem_init() != QS_OK)
		return (NULL);
	if ((p = sodium_malloc(len)) == NULL) {
		qs_error_set(QS_ENOMEM, "out of secure memory (%zu bytes)",
		    len);
		return (NULL);
	}
	return (p);
}

/**
 * secmem_free(p, len):
 * Wipe and release; ${p} may be NULL.
 */
void
secmem_free(void *p, size_t len)
{

	if (p == NULL)
		return;
	/* sodium_free wipes too; do it here so the contract does not rely on it. */
	sodium_memzero(p, len);
	sodium_free(p);
}

/**
 * secmem_wipe(p, len):
 * Overwrite ${len} bytes at ${p} with zeros.
 */
void
secmem_wipe(void *p, size_t len)
{

	sodium_memzero(p, len);
}

/**
 * secmem_equal(a, b, len):
 * Constant-time comparison; 1 if equal, else 0.
 */
int
secmem_equal(const void *a, const void *b, size_t len)
{

	return (sodium_memcmp(a, b, len) == 0);
}
