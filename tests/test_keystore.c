/*
 * Tests for crypto/keystore and format/keystore_fmt.
 *
 * Most tests use the cheapest accepted Argon2 parameters (t = 1, 8 MiB,
 * p = 1); test_default_params uses the defaults and reports the unlock
 * time.  test_vector reads spec/vectors/keystore.hex, a keystore file
 * written once by this program (QSARC_GEN_KEYSTORE_VECTOR=path, see
 * gen_vector below) and checked independently by
 * spec/vectors/keystore_check.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "crypto/keystore.h"
#include "crypto/secmem.h"
#include "format/keystore_fmt.h"
#include "format/qs_err.h"

#include "testlib.h"

#define T0	((int64_t)1700000000)

static const struct kdf_params fast = { 1, 8192, 1 };
static const uint8_t sid[16] = "qsarc test store";
static const uint8_t PASS[] = "correct horse battery staple";
#define PASSLEN	(sizeof(PASS) - 1)

struct env {
	char dir[256];
	char primary[300];
	char backup[300];
	char scratch[300];
};

static int
setup(void **state)
{
	struct env *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (-1);
	if (make_tmpdir(e->dir, sizeof(e->dir), "keystore") != 0) {
		free(e);
		return (-1);
	}
	snprintf(e->primary, sizeof(e->primary), "%s/keystore", e->dir);
	snprintf(e->backup, sizeof(e->backup), "%s/keystore.backup", e->dir);
	snprintf(e->scratch, sizeof(e->scratch), "%s/scratch", e->dir);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env *e = *state;

	rm_tree(e->dir);
	free(e);
	return (0);
}

/* Assert that ${a} and ${b} hold the same contents (generation too). */
static void
assert_same(const struct keystore *a, const struct keystore *b)
{
	struct keystore_key_info ia, ib;
	size_t n;

	assert_int_equal(keystore_mode(a), keystore_mode(b));
	assert_int_equal(keystore_rotation(a), keystore_rotation(b));
	assert_int_equal(keystore_last_rotation(a), keystore_last_rotation(b));
	assert_int_equal(keystore_generation(a), keystore_generation(b));
	assert_memory_equal(keystore_store_id(a), keystore_store_id(b), 16);
	assert_memory_equal(keystore_idkey(a), keystore_idkey(b), 32);
	assert_memory_equal(keystore_gearkey(a), keystore_gearkey(b), 32);
	assert_int_equal(keystore_current_id(a), keystore_current_id(b));
	n = keystore_key_count(a);
	assert_int_equal(n, keystore_key_count(b));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(keystore_key_info(a, i, &ia), QS_OK);
		assert_int_equal(keystore_key_info(b, i, &ib), QS_OK);
		assert_int_equal(ia.id, ib.id);
		assert_int_equal(ia.created, ib.created);
		assert_int_equal(ia.state, ib.state);
		assert_non_null(keystore_key(a, ia.id));
		assert_non_null(keystore_key(b, ib.id));
		assert_memory_equal(keystore_key(a, ia.id),
		    keystore_key(b, ib.id), 32);
	}
	assert_int_equal(keystore_key_info(a, n, &ia), QS_EINVAL);
}

/* A keystore with three keys (1 retained, 2 retained, 3 active). */
static struct keystore *
make_ks(void)
{
	struct keystore *ks = NULL;

	assert_int_equal(keystore_create(sid, KEYSTORE_MODE_INTERNAL, 0, T0,
	    &ks), QS_OK);
	assert_int_equal(keystore_new_key(ks, T0 + 10), QS_OK);
	assert_int_equal(keystore_new_key(ks, T0 + 20), QS_OK);
	return (ks);
}

static void
test_create(void **state)
{
	struct keystore_key_info ki;
	struct keystore *ks = NULL, *ks2 = NULL;
	static const uint8_t zero[32];

	(void)state;
	assert_int_equal(keystore_create(sid, KEYSTORE_MODE_STATIC, 0, T0,
	    &ks), QS_OK);
	assert_int_equal(keystore_mode(ks), KEYSTORE_MODE_STATIC);
	assert_int_equal(keystore_rotation(ks), 30 * 86400);
	assert_int_equal(keystore_last_rotation(ks), T0);
	assert_int_equal(keystore_generation(ks), 0);
	assert_int_equal(keystore_key_count(ks), 1);
	assert_int_equal(keystore_current_id(ks), 1);
	assert_int_equal(keystore_key_info(ks, 0, &ki), QS_OK);
	assert_int_equal(ki.id, 1);
	assert_int_equal(ki.created, T0);
	assert_int_equal(ki.state, KEYSTORE_KEY_ACTIVE);
	assert_null(keystore_key(ks, 0));
	assert_null(keystore_key(ks, 2));
	assert_null(keystore_key(ks, 1024));
	assert_memory_not_equal(keystore_key(ks, 1), zero, 32);
	assert_memory_not_equal(keystore_idkey(ks), zero, 32);
	assert_memory_not_equal(keystore_gearkey(ks), zero, 32);
	assert_memory_not_equal(keystore_idkey(ks), keystore_gearkey(ks), 32);

	/* Two keystores get independent secrets. */
	assert_int_equal(keystore_create(sid, KEYSTORE_MODE_INTERNAL,
	    KEYSTORE_ROTATION_MIN, T0, &ks2), QS_OK);
	assert_int_equal(keystore_rotation(ks2), KEYSTORE_ROTATION_MIN);
	assert_memory_not_equal(keystore_idkey(ks), keystore_idkey(ks2), 32);
	assert_memory_not_equal(keystore_key(ks, 1), keystore_key(ks2, 1),
	    32);
	keystore_free(ks2);
	keystore_free(ks);
	keystore_free(NULL);

	ks = NULL;
	assert_int_equal(keystore_create(sid, 0, 0, T0, &ks), QS_EINVAL);
	assert_int_equal(keystore_create(sid, 3, 0, T0, &ks), QS_EINVAL);
	assert_int_equal(keystore_create(sid, KEYSTORE_MODE_INTERNAL,
	    KEYSTORE_ROTATION_MIN - 1, T0, &ks), QS_EINVAL);
	assert_int_equal(keystore_create(sid, KEYSTORE_MODE_INTERNAL,
	    KEYSTORE_ROTATION_MAX + 1, T0, &ks), QS_EINVAL);
	assert_int_equal(keystore_create(NULL, KEYSTORE_MODE_INTERNAL, 0, T0,
	    &ks), QS_EINVAL);
	assert_null(ks);
	assert_int_equal(keystore_create(sid, KEYSTORE_MODE_INTERNAL,
	    KEYSTORE_ROTATION_MAX, T0, &ks), QS_OK);
	keystore_free(ks);
}

static void
test_roundtrip(void **state)
{
	struct env *e = *state;
	struct keystore_header_info hi;
	struct keystore *ks, *a = NULL, *b = NULL;

	ks = make_ks();
	assert_int_equal(keystore_set_mode(ks, KEYSTORE_MODE_INTERNAL,
	    9 * 86400), QS_OK);
	assert_int_equal(keystore_save(ks, e->primary, e->backup, PASS,
	    PASSLEN, &fast), QS_OK);
	assert_int_equal(keystore_generation(ks), 1);
	assert_int_equal(keystore_load(e->primary, sid, PASS, PASSLEN, &a),
	    QS_OK);
	assert_int_equal(keystore_load(e->backup, sid, PASS, PASSLEN, &b),
	    QS_OK);
	assert_same(ks, a);
	assert_same(ks, b);
	assert_int_equal(keystore_rotation(a), 9 * 86400);
	assert_int_equal(keystore_last_rotation(a), T0 + 20);
	assert_int_equal(keystore_pending(a), 0);
	assert_int_equal(keystore_key_count(a), 3);
	assert_int_equal(keystore_current_id(a), 3);

	/* A NULL store id skips the store check. */
	keystore_free(b);
	b = NULL;
	assert_int_equal(keystore_load(e->primary, NULL, PASS, PASSLEN, &b),
	    QS_OK);
	assert_same(ks, b);

	memset(&hi, 0, sizeof(hi));
	assert_int_equal(keystore_peek(e->primary, &hi), QS_OK);
	assert_int_equal(hi.generation, 1);
	assert_memory_equal(hi.store_id, sid, 16);
	assert_int_equal(hi.kdf.t_cost, 1);
	assert_int_equal(hi.kdf.m_cost_kib, 8192);
	assert_int_equal(hi.kdf.parallelism, 1);

	keystore_free(a);
	keystore_free(b);
	keystore_free(ks);
}

static void
test_wrong_passphrase(void **state)
{
	struct env *e = *state;
	struct keystore *ks, *a = NULL;

	ks = make_ks();
	assert_int_equal(keystore_save(ks, e->primary, e->backup, PASS,
	    PASSLEN, &fast), QS_OK);
	assert_int_equal(keystore_load(e->primary, sid,
	    (const uint8_t *)"correct horse battery stapl", PASSLEN - 1, &a),
	    QS_EPASS);
	assert_int_equal(keystore_load(e->backup, sid,
	    (const uint8_t *)"Correct horse battery staple", PASSLEN, &a),
	    QS_EPASS);
	assert_null(a);
	keystore_free(ks);
}

static void
test_passphrase_length(void **state)
{
	struct env *e = *state;
	struct keystore *ks, *a = NULL;
	uint8_t pass[256];

	for (size_t i = 0; i < sizeof(pass); i++)
		pass[i] = (uint8_t)(i * 7 + 1);
	ks = make_ks();
	assert_int_equal(keystore_save(ks, e->primary, NULL, pass, 256,
	    &fast), QS_EINVAL);
	assert_int_equal(keystore_save(ks, e->primary, NULL, pass, 0, &fast),
	    QS_EINVAL);
	assert_int_equal(keystore_save(ks, e->primary, NULL, NULL, 5, &fast),
	    QS_EINVAL);
	assert_int_equal(access(e->primary, F_OK), -1);

	assert_int_equal(keystore_save(ks, e->primary, NULL, pass, 255,
	    &fast), QS_OK);
	assert_int_equal(keystore_load(e->primary, sid, pass, 256, &a),
	    QS_EINVAL);
	assert_int_equal(keystore_load(e->primary, sid, pass, 0, &a),
	    QS_EINVAL);
	/* A 254-byte prefix is a different passphrase. */
	assert_int_equal(keystore_load(e->primary, sid, pass, 254, &a),
	    QS_EPASS);
	assert_null(a);
	assert_int_equal(keystore_load(e->primary, sid, pass, 255, &a),
	    QS_OK);
	assert_same(ks, a);
	keystore_free(a);
	a = NULL;

	/* A one-byte passphrase works too. */
	assert_int_equal(keystore_save(ks, e->primary, NULL, pass, 1, &fast),
	    QS_OK);
	assert_int_equal(keystore_load(e->primary, sid, pass, 1, &a), QS_OK);
	keystore_free(a);

	/* Bad KDF parameters are refused before anything is written. */
	{
		struct kdf_params bad = { 1, 4096, 1 };

		assert_int_equal(keystore_save(ks, e->backup, NULL, pass, 3,
		    &bad), QS_EINVAL);
		assert_int_equal(access(e->backup, F_OK), -1);
	}
	keystore_free(ks);
}

/*
 * Flip bytes at every offset of a saved keystore (two masks): every
 * damaged file must be refused with EPASS, ECORRUPT or EVERSION.
 */
static void
test_bitflip(void **state)
{
	static const uint8_t masks[] = { 0x01, 0xa4 };
	struct env *e = *state;
	struct keystore *ks, *a;
	uint8_t *orig, *buf;
	size_t len, npass = 0, ncorrupt = 0, nversion = 0;
	int rc;

	ks = make_ks();
	assert_int_equal(keystore_save(ks, e->primary, NULL, PASS, PASSLEN,
	    &fast), QS_OK);
	orig = read_file(e->primary, &len);
	assert_int_equal(len, KEYSTORE_FMT_HEADER_SIZE +
	    keystore_fmt_body_size(3) + 16);
	assert_non_null(buf = malloc(len));
	for (size_t m = 0; m < sizeof(masks); m++) {
		for (size_t off = 0; off < len; off++) {
			memcpy(buf, orig, len);
			buf[off] ^= masks[m];
			write_file(e->scratch, buf, len);
			a = NULL;
			rc = keystore_load(e->scratch, sid, PASS, PASSLEN, &a);
			if (rc == QS_OK) {
				keystore_free(a);
				fail_msg("flip 0x%02x at %zu accepted",
				    masks[m], off);
			}
			assert_null(a);
			if (rc == QS_EPASS)
				npass++;
			else if (rc == QS_ECORRUPT)
				ncorrupt++;
			else if (rc == QS_EVERSION)
				nversion++;
			else
				fail_msg("flip at %zu: unexpected %d", off, rc);
		}
	}
	/* Salt and check value -> EPASS; version/flags/KDF id -> EVERSION. */
	assert_true(npass >= 2 * (16 + 16));
	assert_true(nversion >= 2 * 5);
	assert_true(ncorrupt > len);
	a = NULL;
	assert_int_equal(keystore_load(e->primary, sid, PASS, PASSLEN, &a),
	    QS_OK);
	assert_same(ks, a);
	keystore_free(a);
	free(buf);
	free(orig);
	keystore_free(ks);
}

static void
test_truncated(void **state)
{
	struct env *e = *state;
	struct keystore_header_info hi;
	struct keystore *ks, *a = NULL;
	uint8_t *orig, *longer;
	size_t len;

	ks = make_ks();
	assert_int_equal(keystore_save(ks, e->primary, NULL, PASS, PASSLEN,
	    &fast), QS_OK);
	orig = read_file(e->primary, &len);
	for (size_t n = 0; n < len; n++) {
		write_file(e->scratch, orig, n);
		assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN,
		    &a), QS_ECORRUPT);
		assert_int_equal(keystore_peek(e->scratch, &hi), QS_ECORRUPT);
	}
	/* One byte too many. */
	assert_non_null(longer = calloc(1, len + 1));
	memcpy(longer, orig, len);
	write_file(e->scratch, longer, len + 1);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	/* Far too long: refused before reading it all. */
	{
		size_t big = KEYSTORE_FMT_MAX_FILE + 1;
		uint8_t *huge;

		assert_non_null(huge = calloc(1, big));
		memcpy(huge, orig, len);
		write_file(e->scratch, huge, big);
		assert_int_equal(keystore_load(e->scratch, sid, PASS,
		    PASSLEN, &a), QS_ECORRUPT);
		free(huge);
	}
	assert_null(a);
	free(longer);
	free(orig);
	keystore_free(ks);
}

static void
test_missing_and_wrong_store(void **state)
{
	struct env *e = *state;
	struct keystore_header_info hi;
	struct keystore *ks, *a = NULL;
	uint8_t other[16];

	assert_int_equal(keystore_load(e->primary, sid, PASS, PASSLEN, &a),
	    QS_ENOENT);
	assert_int_equal(keystore_peek(e->primary, &hi), QS_ENOENT);
	ks = make_ks();
	assert_int_equal(keystore_save(ks, e->primary, NULL, PASS, PASSLEN,
	    &fast), QS_OK);
	memcpy(other, sid, 16);
	other[15] ^= 1;
	assert_int_equal(keystore_load(e->primary, other, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	assert_null(a);
	keystore_free(ks);
}

static void
test_rotation(void **state)
{
	const int64_t P = (int64_t)KEYSTORE_ROTATION_MIN;
	struct keystore_key_info ki;
	struct keystore *ks = NULL;

	(void)state;
	/* Static mode never rotates. */
	assert_int_equal(keystore_create(sid, KEYSTORE_MODE_STATIC,
	    KEYSTORE_ROTATION_MIN, T0, &ks), QS_OK);
	assert_int_equal(keystore_rotate_if_due(ks, T0 + 1000 * P), 1);
	assert_int_equal(keystore_key_count(ks), 1);
	keystore_free(ks);

	assert_int_equal(keystore_create(sid, KEYSTORE_MODE_INTERNAL,
	    KEYSTORE_ROTATION_MIN, T0, &ks), QS_OK);
	assert_int_equal(keystore_rotate_if_due(ks, T0 + P - 1), 1);
	assert_int_equal(keystore_rotate_if_due(ks, T0 - 5000), 1);
	assert_int_equal(keystore_key_count(ks), 1);

	assert_int_equal(keystore_rotate_if_due(ks, T0 + P), QS_OK);
	assert_int_equal(keystore_key_count(ks), 2);
	assert_int_equal(keystore_current_id(ks), 2);
	assert_int_equal(keystore_last_rotation(ks), T0 + P);
	assert_int_equal(keystore_key_info(ks, 0, &ki), QS_OK);
	assert_int_equal(ki.id, 1);
	assert_int_equal(ki.state, KEYSTORE_KEY_RETAINED);
	assert_int_equal(keystore_key_info(ks, 1, &ki), QS_OK);
	assert_int_equal(ki.id, 2);
	assert_int_equal(ki.state, KEYSTORE_KEY_ACTIVE);
	assert_int_equal(ki.created, T0 + P);
	assert_memory_not_equal(keystore_key(ks, 1), keystore_key(ks, 2), 32);

	/* Not due again until a full period after the rotation. */
	assert_int_equal(keystore_rotate_if_due(ks, T0 + 2 * P - 1), 1);
	/* 100 periods skipped: one new key, not 100. */
	assert_int_equal(keystore_rotate_if_due(ks, T0 + 101 * P), QS_OK);
	assert_int_equal(keystore_key_count(ks), 3);
	assert_int_equal(keystore_current_id(ks), 3);
	assert_int_equal(keystore_last_rotation(ks), T0 + 101 * P);
	assert_int_equal(keystore_rotate_if_due(ks, T0 + 101 * P), 1);

	/* Switching to static stops rotation. */
	assert_int_equal(keystore_set_mode(ks, KEYSTORE_MODE_STATIC, 0),
	    QS_OK);
	assert_int_equal(keystore_rotate_if_due(ks, T0 + 500 * P), 1);
	assert_int_equal(keystore_key_count(ks), 3);
	keystore_free(ks);

	/* No overflow near the end of time. */
	assert_int_equal(keystore_create(sid, KEYSTORE_MODE_INTERNAL, 0,
	    INT64_MAX - 5, &ks), QS_OK);
	assert_int_equal(keystore_rotate_if_due(ks, INT64_MAX), 1);
	keystore_free(ks);
}

static void
test_key_limit(void **state)
{
	struct env *e = *state;
	struct keystore *ks = NULL, *a = NULL;
	struct keystore_key_info ki;

	assert_int_equal(keystore_create(sid, KEYSTORE_MODE_INTERNAL,
	    KEYSTORE_ROTATION_MIN, T0, &ks), QS_OK);
	for (int i = 2; i <= KEYSTORE_MAX_KEYS; i++) {
		assert_int_equal(keystore_new_key(ks, T0 + i), QS_OK);
		assert_int_equal(keystore_current_id(ks), i);
	}
	assert_int_equal(keystore_key_count(ks), KEYSTORE_MAX_KEYS);
	assert_int_equal(keystore_new_key(ks, T0 + 5000), QS_ELIMIT);
	assert_int_equal(keystore_rotate_if_due(ks, T0 + 100 * 86400 * 365LL),
	    QS_ELIMIT);
	assert_int_equal(keystore_key_count(ks), KEYSTORE_MAX_KEYS);
	assert_int_equal(keystore_current_id(ks), KEYSTORE_MAX_KEYS);

	/* The largest keystore round-trips. */
	assert_int_equal(keystore_save(ks, e->primary, e->backup, PASS,
	    PASSLEN, &fast), QS_OK);
	assert_int_equal(keystore_load(e->primary, sid, PASS, PASSLEN, &a),
	    QS_OK);
	assert_same(ks, a);
	keystore_free(a);

	/* Ids are exhausted at the top: the lowest free ids are reused. */
	assert_int_equal(keystore_retire(ks, 9), QS_OK);
	assert_int_equal(keystore_retire(ks, 5), QS_OK);
	assert_int_equal(keystore_new_key(ks, T0 + 6000), QS_OK);
	assert_int_equal(keystore_current_id(ks), 5);
	assert_int_equal(keystore_new_key(ks, T0 + 7000), QS_OK);
	assert_int_equal(keystore_current_id(ks), 9);
	assert_int_equal(keystore_key_info(ks, 8, &ki), QS_OK);
	assert_int_equal(ki.id, 9);
	assert_int_equal(ki.state, KEYSTORE_KEY_ACTIVE);
	assert_int_equal(keystore_key_info(ks, 4, &ki), QS_OK);
	assert_int_equal(ki.id, 5);
	assert_int_equal(ki.state, KEYSTORE_KEY_RETAINED);
	assert_int_equal(keystore_new_key(ks, T0 + 8000), QS_ELIMIT);
	keystore_free(ks);
}

static void
test_retire(void **state)
{
	struct env *e = *state;
	struct keystore *ks, *a = NULL;
	struct keystore_key_info ki;
	uint8_t k2[32];

	ks = make_ks();
	memcpy(k2, keystore_key(ks, 2), 32);
	assert_int_equal(keystore_retire(ks, 3), QS_EINVAL);
	assert_int_equal(keystore_retire(ks, 4), QS_ENOENT);
	assert_int_equal(keystore_retire(ks, 0), QS_ENOENT);
	assert_int_equal(keystore_retire(ks, 1024), QS_ENOENT);
	assert_int_equal(keystore_retire(ks, 1), QS_OK);
	assert_int_equal(keystore_retire(ks, 1), QS_ENOENT);
	assert_null(keystore_key(ks, 1));
	assert_int_equal(keystore_key_count(ks), 2);
	assert_int_equal(keystore_key_info(ks, 0, &ki), QS_OK);
	assert_int_equal(ki.id, 2);
	assert_int_equal(keystore_save(ks, e->primary, NULL, PASS, PASSLEN,
	    &fast), QS_OK);
	assert_int_equal(keystore_load(e->primary, sid, PASS, PASSLEN, &a),
	    QS_OK);
	assert_same(ks, a);
	assert_null(keystore_key(a, 1));
	assert_memory_equal(keystore_key(a, 2), k2, 32);
	/* The next id is max + 1, not the retired one. */
	assert_int_equal(keystore_new_key(a, T0 + 50), QS_OK);
	assert_int_equal(keystore_current_id(a), 4);
	keystore_free(a);
	keystore_free(ks);
}

static void
test_generation_and_copies(void **state)
{
	struct env *e = *state;
	struct keystore_header_info hi;
	struct keystore *ks, *a = NULL;
	uint8_t *p1, *p2, *prev;
	size_t l1, l2, lprev;
	struct stat st;

	ks = make_ks();
	assert_int_equal(keystore_save(ks, e->primary, e->backup, PASS,
	    PASSLEN, &fast), QS_OK);
	prev = read_file(e->primary, &lprev);
	for (int i = 2; i <= 3; i++) {
		assert_int_equal(keystore_save(ks, e->primary, e->backup, PASS,
		    PASSLEN, &fast), QS_OK);
		assert_int_equal(keystore_generation(ks), (uint64_t)i);
		p1 = read_file(e->primary, &l1);
		p2 = read_file(e->backup, &l2);
		assert_int_equal(l1, l2);
		assert_memory_equal(p1, p2, l1);
		/* Fresh salt and nonce every save. */
		assert_int_equal(l1, lprev);
		assert_memory_not_equal(p1 + 28, prev + 28, 16);
		assert_memory_not_equal(p1 + 84, prev + 84, 24);
		free(prev);
		free(p2);
		prev = p1;
		lprev = l1;
	}
	free(prev);
	assert_int_equal(keystore_peek(e->backup, &hi), QS_OK);
	assert_int_equal(hi.generation, 3);
	assert_int_equal(keystore_load(e->backup, sid, PASS, PASSLEN, &a),
	    QS_OK);
	assert_int_equal(keystore_generation(a), 3);
	keystore_free(a);

	/* Both copies are private to the owner; no temporary files left. */
	assert_int_equal(stat(e->primary, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(e->backup, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	{
		DIR *d;
		struct dirent *de;
		int n = 0;

		assert_non_null(d = opendir(e->dir));
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				n++;
			else
				assert_true(strcmp(de->d_name, ".") == 0 ||
				    strcmp(de->d_name, "..") == 0);
		closedir(d);
		assert_int_equal(n, 2);
	}
	keystore_free(ks);
}

static void
test_change_passphrase(void **state)
{
	static const uint8_t np[] = "a new and better passphrase";
	struct env *e = *state;
	struct keystore *ks, *a = NULL;

	ks = make_ks();
	assert_int_equal(keystore_save(ks, e->primary, e->backup, PASS,
	    PASSLEN, &fast), QS_OK);
	assert_int_equal(keystore_save(ks, e->primary, e->backup, np,
	    sizeof(np) - 1, &fast), QS_OK);
	assert_int_equal(keystore_load(e->primary, sid, PASS, PASSLEN, &a),
	    QS_EPASS);
	assert_int_equal(keystore_load(e->backup, sid, PASS, PASSLEN, &a),
	    QS_EPASS);
	assert_null(a);
	assert_int_equal(keystore_load(e->primary, sid, np, sizeof(np) - 1,
	    &a), QS_OK);
	assert_same(ks, a);
	keystore_free(a);
	a = NULL;
	assert_int_equal(keystore_load(e->backup, sid, np, sizeof(np) - 1,
	    &a), QS_OK);
	assert_same(ks, a);
	keystore_free(a);
	keystore_free(ks);
}

/* If the primary cannot be written, the backup must not change. */
static void
test_primary_failure_keeps_backup(void **state)
{
	struct env *e = *state;
	struct keystore *ks, *a = NULL;
	uint8_t *before, *after;
	size_t lb, la;
	char bad[400];

	ks = make_ks();
	assert_int_equal(keystore_save(ks, e->primary, e->backup, PASS,
	    PASSLEN, &fast), QS_OK);
	before = read_file(e->backup, &lb);
	snprintf(bad, sizeof(bad), "%s/no-such-dir/keystore", e->dir);
	assert_int_not_equal(keystore_save(ks, bad, e->backup, PASS, PASSLEN,
	    &fast), QS_OK);
	after = read_file(e->backup, &la);
	assert_int_equal(la, lb);
	assert_memory_equal(after, before, la);
	/* The failed save still consumed generation 2; the next is 3. */
	assert_int_equal(keystore_generation(ks), 2);
	assert_int_equal(keystore_save(ks, e->primary, e->backup, PASS,
	    PASSLEN, &fast), QS_OK);
	assert_int_equal(keystore_load(e->backup, sid, PASS, PASSLEN, &a),
	    QS_OK);
	assert_int_equal(keystore_generation(a), 3);
	keystore_free(a);
	free(before);
	free(after);
	keystore_free(ks);
}

/* The pending mark and the KDF parameters survive a save and a load. */
static void
test_pending_kdf(void **state)
{
	struct env *e = *state;
	struct keystore *ks, *a = NULL;
	struct kdf_params k;

	ks = make_ks();
	keystore_set_pending(ks, 1);
	assert_int_equal(keystore_pending(ks), keystore_current_id(ks));
	assert_int_equal(keystore_save(ks, e->primary, NULL, PASS, PASSLEN,
	    &fast), QS_OK);
	assert_int_equal(keystore_load(e->primary, sid, PASS, PASSLEN, &a),
	    QS_OK);
	assert_int_equal(keystore_pending(a), keystore_current_id(ks));
	keystore_kdf(a, &k);
	assert_int_equal(k.t_cost, fast.t_cost);
	assert_int_equal(k.m_cost_kib, fast.m_cost_kib);
	/* A NULL kdf saves with the parameters loaded, not the defaults. */
	keystore_set_pending(a, 0);
	assert_int_equal(keystore_save(a, e->primary, NULL, PASS, PASSLEN,
	    NULL), QS_OK);
	keystore_free(a);
	a = NULL;
	assert_int_equal(keystore_load(e->primary, sid, PASS, PASSLEN, &a),
	    QS_OK);
	assert_int_equal(keystore_pending(a), 0);
	keystore_kdf(a, &k);
	assert_int_equal(k.m_cost_kib, fast.m_cost_kib);
	keystore_free(a);
	keystore_free(ks);
}

static void
test_set_mode(void **state)
{
	struct env *e = *state;
	struct keystore *ks = NULL, *a = NULL;

	assert_int_equal(keystore_create(sid, KEYSTORE_MODE_STATIC, 0, T0,
	    &ks), QS_OK);
	assert_int_equal(keystore_set_mode(ks, 7, 0), QS_EINVAL);
	assert_int_equal(keystore_set_mode(ks, KEYSTORE_MODE_INTERNAL,
	    KEYSTORE_ROTATION_MIN - 1), QS_EINVAL);
	assert_int_equal(keystore_set_mode(ks, KEYSTORE_MODE_INTERNAL,
	    KEYSTORE_ROTATION_MAX + 1), QS_EINVAL);
	assert_int_equal(keystore_mode(ks), KEYSTORE_MODE_STATIC);
	assert_int_equal(keystore_rotation(ks), KEYSTORE_ROTATION_DEFAULT);
	assert_int_equal(keystore_set_mode(ks, KEYSTORE_MODE_INTERNAL,
	    KEYSTORE_ROTATION_MAX), QS_OK);
	assert_int_equal(keystore_new_key(ks, T0 + 99), QS_OK);
	assert_int_equal(keystore_save(ks, e->primary, NULL, PASS, PASSLEN,
	    &fast), QS_OK);
	assert_int_equal(keystore_load(e->primary, sid, PASS, PASSLEN, &a),
	    QS_OK);
	assert_int_equal(keystore_mode(a), KEYSTORE_MODE_INTERNAL);
	assert_int_equal(keystore_rotation(a), KEYSTORE_ROTATION_MAX);
	assert_int_equal(keystore_last_rotation(a), T0 + 99);
	assert_int_equal(keystore_current_id(a), 2);
	keystore_free(a);
	keystore_free(ks);
}

/*
 * Forge a keystore whose body is ${plain} (correctly sealed under the KEK
 * for PASS), to check that the body is validated after decryption.
 */
static void
forge(const char *path, const uint8_t *plain, size_t blen, uint64_t gen)
{
	struct keystore_fmt_header h;
	uint8_t kek[32], mac[32], *file;
	size_t flen = KEYSTORE_FMT_HEADER_SIZE + blen + 16;

	memset(&h, 0, sizeof(h));
	h.version = 1;
	h.kdf_id = 1;
	h.t_cost = fast.t_cost;
	h.m_cost_kib = fast.m_cost_kib;
	h.parallelism = fast.parallelism;
	memset(h.salt, 0x33, 16);
	memcpy(h.store_id, sid, 16);
	h.generation = gen;
	assert_int_equal(kdf_derive(PASS, PASSLEN, h.salt, &fast, kek), QS_OK);
	crypto_generichash(mac, 32, (const uint8_t *)"qsarc-kek-check", 15,
	    kek, 32);
	memcpy(h.check, mac, 16);
	memset(h.nonce, 0x44, 24);
	h.body_len = (uint32_t)blen;
	assert_non_null(file = malloc(flen));
	keystore_fmt_header_encode(&h, file);
	aead_seal(kek, h.nonce, file, KEYSTORE_FMT_HEADER_SIZE, plain, blen,
	    file + KEYSTORE_FMT_HEADER_SIZE);
	write_file(path, file, flen);
	free(file);
}

static void
test_forged_body(void **state)
{
	struct env *e = *state;
	struct keystore_fmt_body b;
	struct keystore_fmt_key k;
	struct keystore *a = NULL;
	uint8_t secret[32], plain[KEYSTORE_FMT_BODY_FIXED + 2 * 44];
	size_t blen = sizeof(plain);

	memset(secret, 0x11, sizeof(secret));
	memset(&b, 0, sizeof(b));
	b.mode = KEYSTORE_MODE_INTERNAL;
	b.rotation = KEYSTORE_ROTATION_DEFAULT;
	b.last_rotation = T0;
	b.generation = 7;
	memcpy(b.store_id, sid, 16);
	b.idkey = secret;
	b.gearkey = secret;
	b.nkeys = 2;
	k.key = secret;
	k.created = T0;

#define BUILD(id1, st1, id2, st2) do {					\
	assert_int_equal(keystore_fmt_body_encode(&b, plain, blen), QS_OK); \
	k.id = (id1); k.state = (st1);					\
	keystore_fmt_key_encode(plain, 0, &k);				\
	k.id = (id2); k.state = (st2);					\
	keystore_fmt_key_encode(plain, 1, &k);				\
} while (0)

	/* A valid forged body loads: the forge helper is right. */
	BUILD(1, 2, 2, 1);
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_OK);
	assert_int_equal(keystore_current_id(a), 2);
	assert_int_equal(keystore_generation(a), 7);
	assert_memory_equal(keystore_idkey(a), secret, 32);
	keystore_free(a);
	a = NULL;

	/* Header generation differs from the body's. */
	forge(e->scratch, plain, blen, 8);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	/* Two active keys; no active key; ids out of order; bad id/state. */
	BUILD(1, 1, 2, 1);
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	BUILD(1, 2, 2, 2);
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	BUILD(2, 2, 1, 1);
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	BUILD(1, 2, 1, 1);
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	BUILD(1, 2, 1024, 1);
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	BUILD(1, 3, 2, 1);
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	/* Rotation out of range; unknown mode. */
	b.rotation = KEYSTORE_ROTATION_MIN - 1;
	BUILD(1, 2, 2, 1);
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	b.rotation = KEYSTORE_ROTATION_DEFAULT;
	b.mode = 3;
	BUILD(1, 2, 2, 1);
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	b.mode = KEYSTORE_MODE_STATIC;
	/* Key count disagrees with the body length. */
	b.nkeys = 1;
	assert_int_equal(keystore_fmt_body_encode(&b, plain, blen),
	    QS_EINVAL);
	b.nkeys = 2;
	BUILD(1, 2, 2, 1);
	plain[108] = 1;			/* key count field */
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	plain[108] = 0;			/* zero keys */
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	/* Non-zero reserved byte in a key entry. */
	BUILD(1, 2, 2, 1);
	plain[KEYSTORE_FMT_BODY_FIXED + 3] = 1;
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	/* Unknown body version (2 is current, 1 still read). */
	BUILD(1, 2, 2, 1);
	plain[0] = 3;
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_EVERSION);
	assert_null(a);
	/* Version 2: pending_key (body offset 110) names the active key. */
	BUILD(1, 2, 2, 1);
	plain[110] = 2;
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_OK);
	assert_int_equal(keystore_pending(a), 2);
	keystore_free(a);
	a = NULL;
	/* ... never another one (issue 14 item 8). */
	plain[110] = 1;
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	assert_null(a);
	/* Version 1 (0.1.0): the same bytes are reserved, must be zero. */
	plain[0] = 1;
	plain[110] = 0;
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_OK);
	assert_int_equal(keystore_pending(a), 0);
	keystore_free(a);
	a = NULL;
	plain[110] = 2;
	forge(e->scratch, plain, blen, 7);
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a),
	    QS_ECORRUPT);
	assert_null(a);
#undef BUILD
}

/* Hand-made hostile headers are refused before any Argon2 work. */
static void
test_hostile_header(void **state)
{
	struct env *e = *state;
	struct keystore_header_info hi;
	struct keystore *ks, *a = NULL;
	uint8_t *orig;
	size_t len;

	ks = make_ks();
	assert_int_equal(keystore_save(ks, e->primary, NULL, PASS, PASSLEN,
	    &fast), QS_OK);
	orig = read_file(e->primary, &len);

#define TRY(off, val, want) do {					\
	uint8_t save_ = orig[off];					\
	orig[off] = (val);						\
	write_file(e->scratch, orig, len);				\
	assert_int_equal(keystore_load(e->scratch, sid, PASS, PASSLEN, &a), \
	    (want));							\
	assert_int_equal(keystore_peek(e->scratch, &hi), (want));	\
	orig[off] = save_;						\
} while (0)

	TRY(0, 'q', QS_ECORRUPT);	/* magic */
	TRY(8, 2, QS_EVERSION);		/* version 2 */
	TRY(9, 1, QS_EVERSION);		/* version 257 */
	TRY(10, 1, QS_EVERSION);	/* flags */
	TRY(11, 0x80, QS_EVERSION);	/* flags */
	TRY(12, 2, QS_EVERSION);	/* KDF id */
	TRY(13, 1, QS_ECORRUPT);	/* reserved */
	TRY(15, 1, QS_ECORRUPT);	/* reserved */
	TRY(19, 1, QS_ECORRUPT);	/* t_cost > 100 */
	TRY(23, 0xff, QS_ECORRUPT);	/* m_cost 4 TiB */
	TRY(21, 0x00, QS_ECORRUPT);	/* m_cost 0 */
	TRY(24, 0, QS_ECORRUPT);	/* parallelism 0 */
	TRY(27, 1, QS_ECORRUPT);	/* parallelism huge */
	TRY(111, 0xff, QS_ECORRUPT);	/* body length */
	TRY(108, 0, QS_ECORRUPT);	/* body length */
#undef TRY
	/* A future version with a shorter header is EVERSION, not short. */
	write_file(e->scratch, (const uint8_t *)"QSARCKEY\x02\x00\x00\x00",
	    12);
	assert_int_equal(keystore_peek(e->scratch, &hi), QS_EVERSION);
	assert_null(a);
	free(orig);
	keystore_free(ks);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
test_default_params(void **state)
{
	struct env *e = *state;
	struct keystore_header_info hi;
	struct kdf_params def;
	struct keystore *ks, *a = NULL;
	double t;

	ks = make_ks();
	kdf_params_default(&def);
	assert_int_equal(keystore_save(ks, e->primary, e->backup, PASS,
	    PASSLEN, NULL), QS_OK);
	assert_int_equal(keystore_peek(e->primary, &hi), QS_OK);
	assert_int_equal(hi.kdf.t_cost, def.t_cost);
	assert_int_equal(hi.kdf.m_cost_kib, def.m_cost_kib);
	assert_int_equal(hi.kdf.parallelism, def.parallelism);
	t = now_seconds();
	assert_int_equal(keystore_load(e->primary, sid, PASS, PASSLEN, &a),
	    QS_OK);
	t = now_seconds() - t;
	print_message("default-params unlock: %.3f s\n", t);
	assert_true(t < 10.0);
	assert_same(ks, a);
	keystore_free(a);
	keystore_free(ks);
}

/* spec/vectors/keystore.hex */

static void
check_vector(struct env *e, const char *name_of_file)
{
	struct keystore_header_info hi;
	struct keystore_key_info ki;
	struct keystore *a = NULL;
	char line[1024], *p, *name, *value;
	uint8_t pass[256], wrong[256], store[16], idkey[32], gearkey[32];
	uint8_t key[32], *file;
	size_t passlen = 0, wronglen = 0, flen = 0, nkeys = 0;
	long long t = -1, m = -1, par = -1, gen = -1, mode = -1, rot = -1;
	long long last = -1, cur = -1, pending = 0;
	struct {
		unsigned id, state;
		long long created;
		uint8_t key[32];
	} keys[8];
	FILE *f;

	f = open_vector(name_of_file);
	assert_non_null(file = malloc(KEYSTORE_FMT_MAX_FILE));
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = trim(line);
		if (*p == '\0')
			continue;
		assert_non_null(value = strchr(p, '='));
		*value++ = '\0';
		name = trim(p);
		value = trim(value);
		if (strcmp(name, "passphrase") == 0)
			passlen = unhex(value, pass, sizeof(pass));
		else if (strcmp(name, "wrong_passphrase") == 0)
			wronglen = unhex(value, wrong, sizeof(wrong));
		else if (strcmp(name, "store_id") == 0)
			assert_int_equal(unhex(value, store, 16), 16);
		else if (strcmp(name, "idkey") == 0)
			assert_int_equal(unhex(value, idkey, 32), 32);
		else if (strcmp(name, "gearkey") == 0)
			assert_int_equal(unhex(value, gearkey, 32), 32);
		else if (strcmp(name, "file") == 0)
			flen += unhex(value, file + flen,
			    KEYSTORE_FMT_MAX_FILE - flen);
		else if (strcmp(name, "key") == 0) {
			char hex[65];

			assert_true(nkeys < 8);
			assert_int_equal(sscanf(value, "%u %lld %u %64s",
			    &keys[nkeys].id, &keys[nkeys].created,
			    &keys[nkeys].state, hex), 4);
			assert_int_equal(unhex(hex, keys[nkeys].key, 32), 32);
			nkeys++;
		} else {
			long long v = strtoll(value, NULL, 10);

			if (strcmp(name, "t") == 0) t = v;
			else if (strcmp(name, "m") == 0) m = v;
			else if (strcmp(name, "p") == 0) par = v;
			else if (strcmp(name, "generation") == 0) gen = v;
			else if (strcmp(name, "mode") == 0) mode = v;
			else if (strcmp(name, "rotation") == 0) rot = v;
			else if (strcmp(name, "last_rotation") == 0) last = v;
			else if (strcmp(name, "current") == 0) cur = v;
			else if (strcmp(name, "pending") == 0) pending = v;
			else fail_msg("unknown field %s", name);
		}
	}
	fclose(f);
	assert_true(passlen > 0 && wronglen > 0 && flen > 0 && nkeys >= 2);

	write_file(e->scratch, file, flen);
	assert_int_equal(keystore_peek(e->scratch, &hi), QS_OK);
	assert_int_equal(hi.generation, gen);
	assert_memory_equal(hi.store_id, store, 16);
	assert_int_equal(hi.kdf.t_cost, t);
	assert_int_equal(hi.kdf.m_cost_kib, m);
	assert_int_equal(hi.kdf.parallelism, par);
	assert_int_equal(keystore_load(e->scratch, store, wrong, wronglen,
	    &a), QS_EPASS);
	assert_int_equal(keystore_load(e->scratch, store, pass, passlen, &a),
	    QS_OK);
	assert_int_equal(keystore_generation(a), gen);
	assert_int_equal(keystore_mode(a), mode);
	assert_int_equal(keystore_rotation(a), rot);
	assert_int_equal(keystore_last_rotation(a), last);
	assert_int_equal(keystore_current_id(a), cur);
	assert_int_equal(keystore_pending(a), pending);
	assert_memory_equal(keystore_idkey(a), idkey, 32);
	assert_memory_equal(keystore_gearkey(a), gearkey, 32);
	assert_int_equal(keystore_key_count(a), nkeys);
	for (size_t i = 0; i < nkeys; i++) {
		assert_int_equal(keystore_key_info(a, i, &ki), QS_OK);
		assert_int_equal(ki.id, keys[i].id);
		assert_int_equal(ki.created, keys[i].created);
		assert_int_equal(ki.state, keys[i].state);
		memcpy(key, keys[i].key, 32);
		assert_memory_equal(keystore_key(a, ki.id), key, 32);
	}
	keystore_free(a);
	free(file);
}

/*
 * keystore.hex: body version 2 (a mode change to key 3 pending);
 * keystore_v1.hex: the 0.1.0 format, still read.
 */
static void
test_vector(void **state)
{

	check_vector(*state, "keystore.hex");
	check_vector(*state, "keystore_v1.hex");
}

/*
 * Vector generator (run once by hand; see spec/keystore.md "Vectors"):
 * QSARC_GEN_KEYSTORE_VECTOR=spec/vectors/keystore.hex build/tests/test_keystore
 */
static void
hexline(FILE *f, const char *name, const uint8_t *p, size_t n)
{

	fprintf(f, "%s = ", name);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	fprintf(f, "\n");
}

static int
gen_vector(const char *out)
{
	static const uint8_t vpass[] = "qsarc vector passphrase \xc3\xbc";
	static const uint8_t vwrong[] = "qsarc vector passphrase u";
	char dir[] = "/tmp/qsarc-gen-XXXXXX", path[64];
	struct keystore_key_info ki;
	struct keystore *ks;
	uint8_t *file;
	size_t flen;
	FILE *f, *in;
	long n;

	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(path, sizeof(path), "%s/keystore", dir);
	if (keystore_create(sid, KEYSTORE_MODE_INTERNAL, KEYSTORE_ROTATION_MIN,
	    T0, &ks) != QS_OK ||
	    keystore_new_key(ks, T0 + 86400) != QS_OK ||
	    keystore_new_key(ks, T0 + 2 * 86400) != QS_OK ||
	    keystore_retire(ks, 2) != QS_OK ||
	    keystore_save(ks, path, NULL, vwrong, sizeof(vwrong) - 1, &fast) !=
	    QS_OK)
		return (1);
	keystore_set_pending(ks, 1);
	if (keystore_save(ks, path, NULL, vpass, sizeof(vpass) - 1, &fast) !=
	    QS_OK)
		return (1);
	if ((in = fopen(path, "rb")) == NULL)
		return (1);
	fseek(in, 0, SEEK_END);
	n = ftell(in);
	rewind(in);
	flen = (size_t)n;
	if ((file = malloc(flen)) == NULL ||
	    fread(file, 1, flen, in) != flen)
		return (1);
	fclose(in);
	unlink(path);
	rmdir(dir);

	if ((f = fopen(out, "w")) == NULL)
		return (1);
	fprintf(f,
	    "# qsarc keystore test vector (spec/keystore.md, \"Vectors\").\n"
	    "# Written once by tests/test_keystore.c (gen_vector); read by\n"
	    "# test_keystore (test_vector) and by keystore_check.py, which\n"
	    "# unlocks it from the spec alone.  Byte strings are hex,\n"
	    "# integers decimal.  \"file\" lines concatenate to the whole\n"
	    "# keystore file; \"key\" lines are: id created state key.\n"
	    "# The key with id 2 was retired before saving; a mode change\n"
	    "# to key 3 is pending (body version 2, offset 110).\n\n");
	hexline(f, "passphrase", vpass, sizeof(vpass) - 1);
	hexline(f, "wrong_passphrase", vwrong, sizeof(vwrong) - 1);
	fprintf(f, "\n# Header fields\n");
	fprintf(f, "t = %u\nm = %u\np = %u\n", fast.t_cost, fast.m_cost_kib,
	    fast.parallelism);
	hexline(f, "store_id", keystore_store_id(ks), 16);
	fprintf(f, "generation = %llu\n",
	    (unsigned long long)keystore_generation(ks));
	fprintf(f, "\n# Body fields\n");
	fprintf(f, "mode = %d\n", keystore_mode(ks));
	fprintf(f, "rotation = %llu\n",
	    (unsigned long long)keystore_rotation(ks));
	fprintf(f, "last_rotation = %lld\n",
	    (long long)keystore_last_rotation(ks));
	hexline(f, "idkey", keystore_idkey(ks), 32);
	hexline(f, "gearkey", keystore_gearkey(ks), 32);
	fprintf(f, "current = %u\n", keystore_current_id(ks));
	fprintf(f, "pending = %u\n", keystore_pending(ks));
	for (size_t i = 0; i < keystore_key_count(ks); i++) {
		if (keystore_key_info(ks, i, &ki) != QS_OK)
			return (1);
		fprintf(f, "key = %u %lld %u ", ki.id, (long long)ki.created,
		    ki.state);
		for (size_t j = 0; j < 32; j++)
			fprintf(f, "%02x", keystore_key(ks, ki.id)[j]);
		fprintf(f, "\n");
	}
	fprintf(f, "\n# The keystore file (%zu bytes)\n", flen);
	for (size_t off = 0; off < flen; off += 32)
		hexline(f, "file", file + off, flen - off < 32 ? flen - off :
		    32);
	fclose(f);
	free(file);
	keystore_free(ks);
	return (0);
}

int
main(void)
{
	const char *gen;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_passphrase, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_passphrase_length, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bitflip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_wrong_store,
		    setup, teardown),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test_setup_teardown(test_key_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation_and_copies,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_passphrase, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_primary_failure_keeps_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_kdf, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_set_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forged_body, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hostile_header, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_default_params, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_vector, setup, teardown),
	};

	if (sodium_init() < 0)
		return (1);
	if ((gen = getenv("QSARC_GEN_KEYSTORE_VECTOR")) != NULL)
		return (gen_vector(gen));
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
