/*
 * libFuzzer harness: the meaning of a keystore body once decrypted
 * (crypto/keystore.c body_to_keystore: mode, rotation, key ids in order,
 * one active key, the pending mode change, the header binding), which
 * fuzz_keystore_fmt does not reach (it stops at the byte layout).  The
 * input is a body plaintext; the harness makes the header it must match.
 * A body that is accepted must seal under a fixed key-encryption key and
 * unlock again (unlock_with_kek: check value, AEAD, decode, checks) to
 * the same keystore.  The file crypto/keystore.c is compiled into the
 * harness to reach its static functions; the library's copy is then not
 * linked.  No Argon2id runs: the KEK is fixed.
 */

#include "crypto/keystore.c"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t kek[KDF_KEKBYTES] = { 7 };
	static const uint8_t salt[KDF_SALTBYTES] = { 9 };
	struct keystore_fmt_header hdr, hdr2;
	struct keystore_fmt_body body;
	struct keystore *ks = NULL, *ks2 = NULL;
	struct kdf_params kdf;
	uint8_t *plain, *file = NULL;
	size_t flen;

	if ((plain = secmem_alloc(size ? size : 1)) == NULL)
		return (0);
	memcpy(plain, data, size);
	if (keystore_fmt_body_decode(plain, size, &body) != QS_OK)
		goto done;
	memset(&hdr, 0, sizeof(hdr));
	hdr.version = KEYSTORE_FMT_VERSION;
	hdr.kdf_id = KEYSTORE_FMT_KDF_ARGON2ID13;
	hdr.t_cost = 1;
	hdr.m_cost_kib = 8192;
	hdr.parallelism = 1;
	memcpy(hdr.store_id, body.store_id, KEYSTORE_STOREIDBYTES);
	hdr.generation = body.generation;
	hdr.body_len = (uint32_t)size;
	if (body_to_keystore(&body, &hdr, "fuzz", &ks) != QS_OK)
		goto done;
	/* What was accepted is consistent. */
	if (keystore_current_id(ks) == 0 ||
	    keystore_key(ks, keystore_current_id(ks)) == NULL ||
	    keystore_key_count(ks) != body.nkeys ||
	    (keystore_pending(ks) != 0 &&
	    keystore_pending(ks) != keystore_current_id(ks)))
		abort();
	kdf.t_cost = 1;
	kdf.m_cost_kib = 8192;
	kdf.parallelism = 1;
	if (seal(ks, kek, salt, &kdf, &file, &flen) != QS_OK)
		abort();
	if (keystore_fmt_header_decode(file, flen, &hdr2) != QS_OK ||
	    unlock_with_kek(file, &hdr2, kek, "fuzz", &ks2) != QS_OK ||
	    !ks_same(ks, ks2))
		abort();
done:
	keystore_free(ks);
	keystore_free(ks2);
	free(file);
	secmem_free(plain, size ? size : 1);
	qs_error_clear();
	return (0);
}
