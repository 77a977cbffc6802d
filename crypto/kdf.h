#ifndef QS_KDF_H
#define QS_KDF_H

/*
 * Passphrase -> key-encryption key (KEK) with Argon2id version 1.3 (RFC
 * 9106) with no secret value, no associated data and a 32-byte output:
 * libsodium's crypto_pwhash for one lane (the default; faster), the
 * reference libargon2's argon2id_hash_raw for more lanes.  See spec/keystore.md,
 * section "Key derivation".
 */

#include <stddef.h>
#include <stdint.h>

#define KDF_SALTBYTES	16
#define KDF_KEKBYTES	32
#define KDF_PASS_MIN	1
#define KDF_PASS_MAX	255

/*
 * Bounds accepted by kdf_params_check (and hence by init, encrypt and every
 * keystore reader; spec/keystore.md 3.1).  The parameters are read from a
 * header before anything authenticates them, so they cap what a planted
 * file can cost: at most 1 GiB of memory and 4 GiB-passes of work (a few
 * seconds here), not 4 GiB and minutes.
 */
#define KDF_T_MIN	1
#define KDF_T_MAX	10
#define KDF_M_MIN_KIB	8192U			/* 8 MiB */
#define KDF_M_MAX_KIB	(1024U * 1024)		/* 1 GiB */
#define KDF_TM_MAX_KIB	(4ULL * 1024 * 1024)	/* t x m <= 4 GiB-passes */
#define KDF_P_MIN	1
#define KDF_P_MAX	16

struct kdf_params {
	uint32_t t_cost;	/* passes over memory */
	uint32_t m_cost_kib;	/* memory in KiB */
	uint32_t parallelism;	/* lanes (threads) */
};

/**
 * kdf_params_default(params):
 * Set ${params} to the defaults for new keystores: t = 3, m = 65536 KiB
 * (64 MiB), p = 1 (spec/keystore.md gives the unlock time measured).
 */
void kdf_params_default(struct kdf_params *);

/**
 * kdf_params_check(params):
 * Return QS_OK if t is 1..10, m is 8192 KiB..1 GiB, t x m is at most
 * 4 GiB-passes (KDF_TM_MAX_KIB) and p is 1..16, else QS_EINVAL (detail
 * recorded: "KDF parameters out of range: ...").
 */
int kdf_params_check(const struct kdf_params *);

/**
 * kdf_derive(pass, passlen, salt, params, kek):
 * Derive the 32-byte ${kek} from the ${passlen}-byte passphrase ${pass} and
 * the 16-byte ${salt}.  Return QS_OK; QS_EINVAL if ${passlen} is not
 * 1..255 or ${params} fail kdf_params_check; QS_ENOMEM if Argon2 cannot
 * allocate its memory.  ${kek} is untouched on failure.  The caller owns
 * and wipes ${pass}.
 */
int kdf_derive(const uint8_t *, size_t, const uint8_t[KDF_SALTBYTES],
    const struct kdf_params *, uint8_t[KDF_KEKBYTES]);

#endif /* !QS_KDF_H */
