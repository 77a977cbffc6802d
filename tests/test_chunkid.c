/*
 * Tests for crypto/chunkid.c.  test_vectors recomputes every chunk id of
 * spec/vectors/chunkid.hex (written by the independent Python
 * implementation spec/vectors/gen_chunkid.py, hashlib only) and compares
 * byte for byte; the other tests check that the key is really used, that
 * the result does not depend on buffer alignment, and chunkid_equal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/chunkid.h"
#include "crypto/secmem.h"
#include "format/qs_err.h"

#include "testlib.h"

#define MAX_PATTERN	(4U << 20)

struct cvec {
	char name[64];
	uint8_t key[CHUNKID_KEYBYTES];
	uint8_t id[CHUNKID_BYTES];
	uint8_t *msg;
	size_t len;
	int have_key, have_id, have_msg;
};

static void
cvec_clear(struct cvec *v)
{

	free(v->msg);
	memset(v, 0, sizeof(*v));
}

/* Append hex ${s} to the message of ${v}. */
static void
msg_append(struct cvec *v, const char *s)
{
	size_t add = strlen(s) / 2;

	assert_non_null(v->msg = realloc(v->msg, v->len + add + 1));
	v->len += unhex(s, v->msg + v->len, add);
}

/* Read the next vector into ${v}; return 0 at the end of the file. */
static int
cvec_next(FILE *f, struct cvec *v)
{
	char line[4096];
	char *s, *eq, *k, *val;
	unsigned long plen;
	int in = 0;

	cvec_clear(v);
	while (fgets(line, sizeof(line), f) != NULL) {
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if (strncmp(s, "vector ", 7) == 0) {
			assert_false(in);
			snprintf(v->name, sizeof(v->name), "%s", trim(s + 7));
			in = 1;
			continue;
		}
		assert_true(in);
		if (strcmp(s, "end") == 0) {
			assert_true(v->have_key && v->have_id && v->have_msg);
			return (1);
		}
		assert_non_null(eq = strchr(s, '='));
		*eq = '\0';
		k = trim(s);
		val = trim(eq + 1);
		if (strcmp(k, "key") == 0) {
			assert_int_equal(unhex(val, v->key, sizeof(v->key)),
			    CHUNKID_KEYBYTES);
			v->have_key = 1;
		} else if (strcmp(k, "id") == 0) {
			assert_int_equal(unhex(val, v->id, sizeof(v->id)),
			    CHUNKID_BYTES);
			v->have_id = 1;
		} else if (strcmp(k, "msg") == 0) {
			msg_append(v, val);
			v->have_msg = 1;
		} else if (strcmp(k, "pattern") == 0) {
			assert_false(v->have_msg);
			plen = strtoul(val, NULL, 10);
			assert_true(plen <= MAX_PATTERN);
			assert_non_null(v->msg = malloc(plen + 1));
			for (size_t j = 0; j < plen; j++)
				v->msg[j] = (uint8_t)((j * 131 + 7) % 256);
			v->len = plen;
			v->have_msg = 1;
		} else {
			fail_msg("%s: unknown field \"%s\"", v->name, k);
		}
	}
	assert_false(in);
	return (0);
}

static int
setup(void **state)
{

	(void)state;
	return (secmem_init() == QS_OK ? 0 : -1);
}

/* Every vector: the C id equals the independently computed one. */
static void
test_vectors(void **state)
{
	struct cvec v;
	uint8_t id[CHUNKID_BYTES];
	int n = 0, saw_empty = 0, saw_large = 0;
	FILE *f;

	(void)state;
	memset(&v, 0, sizeof(v));
	f = open_vector("chunkid.hex");
	while (cvec_next(f, &v)) {
		memset(id, 0xa5, sizeof(id));
		chunkid_compute(v.key, v.msg, v.len, id);
		if (memcmp(id, v.id, CHUNKID_BYTES) != 0)
			fail_msg("vector %s: chunk id differs", v.name);
		assert_true(chunkid_equal(id, v.id));
		saw_empty |= (v.len == 0);
		saw_large |= (v.len > (1U << 20));
		n++;
	}
	cvec_clear(&v);
	fclose(f);
	/* The file must not have silently shrunk. */
	assert_true(n >= 12);
	assert_true(saw_empty && saw_large);
}

/* Any change of the key, or of one message bit, changes the id. */
static void
test_key_and_message_matter(void **state)
{
	struct cvec v;
	uint8_t id[CHUNKID_BYTES], key[CHUNKID_KEYBYTES];
	FILE *f;

	(void)state;
	memset(&v, 0, sizeof(v));
	f = open_vector("chunkid.hex");
	assert_true(cvec_next(f, &v));
	while (v.len == 0)
		assert_true(cvec_next(f, &v));
	for (size_t i = 0; i < CHUNKID_KEYBYTES; i++) {
		memcpy(key, v.key, sizeof(key));
		key[i] ^= 0x01;
		chunkid_compute(key, v.msg, v.len, id);
		assert_false(chunkid_equal(id, v.id));
	}
	v.msg[v.len - 1] ^= 0x80;
	chunkid_compute(v.key, v.msg, v.len, id);
	assert_false(chunkid_equal(id, v.id));
	v.msg[v.len - 1] ^= 0x80;
	/* One byte shorter is a different chunk too. */
	chunkid_compute(v.key, v.msg, v.len - 1, id);
	assert_false(chunkid_equal(id, v.id));
	cvec_clear(&v);
	fclose(f);
}

/* The result does not depend on where the chunk sits in memory. */
static void
test_alignment(void **state)
{
	struct cvec v;
	uint8_t id[CHUNKID_BYTES];
	uint8_t *buf;
	FILE *f;

	(void)state;
	memset(&v, 0, sizeof(v));
	f = open_vector("chunkid.hex");
	while (cvec_next(f, &v) && v.len < 1000)
		continue;
	assert_true(v.len >= 1000);
	assert_non_null(buf = malloc(v.len + 16));
	for (size_t off = 1; off < 16; off += 3) {
		memcpy(buf + off, v.msg, v.len);
		memset(id, 0, sizeof(id));
		chunkid_compute(v.key, buf + off, v.len, id);
		assert_memory_equal(id, v.id, CHUNKID_BYTES);
	}
	free(buf);
	cvec_clear(&v);
	fclose(f);
}

/* chunkid_equal: 1 for equal ids (distinct buffers), 0 for any change. */
static void
test_equal(void **state)
{
	uint8_t a[CHUNKID_BYTES], b[CHUNKID_BYTES];

	(void)state;
	for (size_t i = 0; i < CHUNKID_BYTES; i++)
		a[i] = (uint8_t)(0x5a ^ (i * 37));
	memcpy(b, a, sizeof(b));
	assert_int_not_equal(chunkid_equal(a, b), 0);
	assert_int_not_equal(chunkid_equal(a, a), 0);
	for (size_t i = 0; i < CHUNKID_BYTES; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			b[i] ^= (uint8_t)(1U << bit);
			assert_int_equal(chunkid_equal(a, b), 0);
			assert_int_equal(chunkid_equal(b, a), 0);
			b[i] ^= (uint8_t)(1U << bit);
		}
	}
	assert_int_not_equal(chunkid_equal(a, b), 0);
	memset(a, 0, sizeof(a));
	memset(b, 0xff, sizeof(b));
	assert_int_equal(chunkid_equal(a, b), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_key_and_message_matter),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_equal),
	};

	return (cmocka_run_group_tests(tests, setup, NULL));
}
