#ifndef QS_SECMEM_H
#define QS_SECMEM_H

/*
 * Memory for secrets (keys, decrypted keystore bodies).  Allocations come
 * from sodium_malloc: guard pages on both sides, a canary, and mlock where
 * the system allows it.  Each allocation costs 3-4 extra pages, so this is
 * for keys, never for bulk data.  Wiping memory cannot guarantee that no
 * copy of a secret survives (registers, swapped pages, core dumps); it only
 * narrows the window.
 */

#include <stddef.h>

/**
 * secmem_init():
 * Initialise libsodium (sodium_init).  Safe to call any number of times and
 * from several threads.  Return QS_OK, or QS_ENOMEM if libsodium could not
 * initialise (it cannot allocate or has no random source).
 */
int secmem_init(void);

/**
 * secmem_alloc(len):
 * Return ${len} bytes of guarded secret memory, or NULL (out of memory, or
 * libsodium failed to initialise; a detail is recorded).  Calls
 * secmem_init() itself.  Free with secmem_free(p, ${len}).
 */
void *secmem_alloc(size_t);

/**
 * secmem_free(p, len):
 * Wipe the ${len} bytes at ${p} and release them.  ${p} may be NULL.
 */
void secmem_free(void *, size_t);

/**
 * secmem_wipe(p, len):
 * Overwrite ${len} bytes at ${p} with zeros in a way the compiler may not
 * remove (sodium_memzero).  Usable on any memory, not only secmem.
 */
void secmem_wipe(void *, size_t);

/**
 * secmem_equal(a, b, len):
 * Compare ${len} bytes in constant time; return 1 if equal, else 0.
 */
int secmem_equal(const void *, const void *, size_t);

#endif /* !QS_SECMEM_H */
