#ifndef QS_AEAD_H
#define QS_AEAD_H

/*
 * XChaCha20-Poly1305 (IETF construction, libsodium's
 * crypto_aead_xchacha20poly1305_ietf_*) with a random 192-bit nonce.
 * The tag is appended to the ciphertext.
 */

#include <stddef.h>
#include <stdint.h>

#define AEAD_KEYBYTES	32
#define AEAD_NONCEBYTES	24
#define AEAD_TAGBYTES	16

/**
 * aead_random_nonce(nonce):
 * Fill ${nonce} with AEAD_NONCEBYTES random bytes.
 */
void aead_random_nonce(uint8_t[AEAD_NONCEBYTES]);

/**
 * aead_seal(key, nonce, ad, adlen, in, len, out):
 * Encrypt ${len} bytes of ${in} into ${out} (which has room for
 * ${len} + AEAD_TAGBYTES; ${in} == ${out} is allowed).
 */
void aead_seal(const uint8_t[AEAD_KEYBYTES], const uint8_t[AEAD_NONCEBYTES],
    const uint8_t *, size_t, const uint8_t *, size_t, uint8_t *);

/**
 * aead_open(key, nonce, ad, adlen, in, len, out):
 * Verify and decrypt ${len} bytes (ciphertext plus tag) of ${in} into
 * ${out} (room for ${len} - AEAD_TAGBYTES).  Return QS_OK or QS_EAUTH; on
 * failure ${out} holds nothing meaningful and no detail is recorded (the
 * caller knows which record it was).
 */
int aead_open(const uint8_t[AEAD_KEYBYTES], const uint8_t[AEAD_NONCEBYTES],
    const uint8_t *, size_t, const uint8_t *, size_t, uint8_t *);

#endif /* !QS_AEAD_H */
