#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <argon2.h>
#include <sodium.h>

#include "crypto/kdf.h"
#include "crypto/secmem.h"
#include "format/qs_err.h"

/**
 * kdf_params_default(params):
 * Set ${params} to t = 3, m = 65536 KiB, p = 1.
 */
void
kdf_params_default(struct kdf_params *params)
{

	params->t_cost = 3;
	params->m_cost_kib = 65536;
	params->parallelism = 1;
}

/**
 * kdf_params_check(params):
 * Return QS_OK if the parameters are inside the documented bounds, else
 * QS_EINVAL.
 */
int
kdf_params_check(const struct kdf_params *params)
{

	if (params->t_cost < KDF_T_MIN || params->t_cost > KDF_T_MAX ||
	    params->m_cost_kib < KDF_M_MIN_KIB ||
	    params->m_cost_kib > KDF_M_MAX_KIB ||
	    (uint64_t)params->t_cost * params->m_cost_kib > KDF_TM_MAX_KIB ||
	    params->parallelism < KDF_P_MIN ||
	    params->parallelism > KDF_P_MAX)
		return (qs_error_set(QS_EINVAL,
		    "KDF parameters out of range: Argon2id t=%u, m=%u KiB, "
		    "p=%u (allowed: t %u..%u, m %u KiB..%u KiB, t x m at most "
		    "%llu KiB, p %u..%u)", params->t_cost, params->m_cost_kib,
		    params->parallelism, KDF_T_MIN, KDF_T_MAX, KDF_M_MIN_KIB,
		    KDF_M_MAX_KIB, (unsigned long long)KDF_TM_MAX_KIB,
		    KDF_P_MIN, KDF_P_MAX));
	return (QS_OK);
}

/**
 * kdf_derive(pass, passlen, salt, params, kek):
 * Derive ${kek} with Argon2id v1.3.  Return QS_OK, QS_EINVAL or QS_ENOMEM;
 * ${kek} is untouched on failure.
 */
int
kdf_derive(const uint8_t *pass, size_t passlen,
    const uint8_t salt[KDF_SALTBYTES], const struct kdf_params *params,
    uint8_t kek[KDF_KEKBYTES])
{
	uint8_t out[KDF_KEKBYTES];
	int rc;
	int arc;

	if (pass == NULL || passlen < KDF_PASS_MIN || passlen > KDF_PASS_MAX)
		return (qs_error_set(QS_EINVAL,
		    "passphrase must be %d to %d bytes, not %zu", KDF_PASS_MIN,
		    KDF_PASS_MAX, pass == NULL ? (size_t)0 : passlen));
	if ((rc = kdf_params_check(params)) != QS_OK)
		return (rc);
	/* sodium_init picks the SIMD code crypto_pwhash runs. */
	if ((rc = secmem_init()) != QS_OK)
		return (rc);

	/*
	 * One lane: libsodium's crypto_pwhash computes the identical Argon2id
	 * v1.3 (no secret, no AD) with its SIMD block function, about 1.6x
	 * faster here than Debian's libargon2 (0.12 s against 0.19 s of CPU
	 * for t=3, 64 MiB), and that is most of an encrypted command's fixed
	 * cost.  It unmaps its working memory when done.  More lanes (allowed
	 * in keystores written elsewhere) need libargon2, which also always
	 * uses version 0x13 and wipes its memory before freeing it.
	 * tests/test_kdf.c checks that the two agree.
	 */
	if (params->parallelism == 1) {
		if (crypto_pwhash(out, sizeof(out), (const char *)pass,
		    passlen, salt, params->t_cost,
		    (size_t)params->m_cost_kib * 1024,
		    crypto_pwhash_ALG_ARGON2ID13) != 0) {
			rc = qs_error_set(QS_ENOMEM, "Argon2id failed: "
			    "cannot allocate %u KiB", params->m_cost_kib);
			goto done;
		}
	} else if ((arc = argon2id_hash_raw(params->t_cost,
	    params->m_cost_kib, params->parallelism, pass, passlen, salt,
	    KDF_SALTBYTES, out, sizeof(out))) != ARGON2_OK) {
		rc = (arc == ARGON2_MEMORY_ALLOCATION_ERROR) ? QS_ENOMEM :
		    QS_EINVAL;
		qs_error_set(rc, "Argon2id failed: %s",
		    argon2_error_message(arc));
		goto done;
	}
	memcpy(kek, out, KDF_KEKBYTES);
	rc = QS_OK;

done:
	secmem_wipe(out, sizeof(out));
	return (rc);
}
