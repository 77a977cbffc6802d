#include <sodium.h>

#include "crypto/aead.h"
#include "format/qs_err.h"

_Static_assert(AEAD_KEYBYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
    "key size");
_Static_assert(AEAD_NONCEBYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
    "nonce size");
_Static_assert(AEAD_TAGBYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES,
    "tag size");

/**
 * aead_random_nonce(nonce):
 * Fill ${nonce} with AEAD_NONCEBYTES random bytes.
 */
void
aead_random_nonce(uint8_t nonce[AEAD_NONCEBYTES])
{

	randombytes_buf(nonce, AEAD_NONCEBYTES);
}

/**
 * aead_seal(key, nonce, ad, adlen, in, len, out):
 * Encrypt ${len} bytes of ${in} into ${out}, tag appended.
 */
void
aead_seal(const uint8_t key[AEAD_KEYBYTES],
    const uint8_t nonce[AEAD_NONCEBYTES], const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t len, uint8_t *out)
{

	crypto_aead_xchacha20poly1305_ietf_encrypt(out, NULL, in, len, ad,
	    adlen, NULL, nonce, key);
}

/**
 * aead_open(key, nonce, ad, adlen, in, len, out):
 * Verify and decrypt; QS_OK or QS_EAUTH.
 */
int
aead_open(const uint8_t key[AEAD_KEYBYTES],
    const uint8_t nonce[AEAD_NONCEBYTES], const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t len, uint8_t *out)
{

	if (len < AEAD_TAGBYTES)
		return (QS_EAUTH);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, in,
	    len, ad, adlen, nonce, key) != 0)
		return (QS_EAUTH);
	return (QS_OK);
}
