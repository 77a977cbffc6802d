/*
 * Tests for format/streamset_fmt.c: the sets and the record of
 * spec/vectors/streamset.hex (written from spec/FORMAT.md 14 by the
 * independent spec/vectors/gen_streamset.py, hashlib only) decode to the
 * fields the vectors name and re-encode byte for byte (trailers
 * recomputed with crypto/checksum.c and crypto/chunkid.c as
 * index/store/store_streamset.c does); malformed sets are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/checksum.h"
#include "crypto/chunkid.h"
#include "crypto/secmem.h"
#include "format/qs_err.h"
#include "format/streamset_fmt.h"

#include "testlib.h"

/* The trailer as the store computes it. */
static void
trailer(const uint8_t *buf, size_t len, const uint8_t *idkey, uint8_t out[32])
{
	uint8_t mackey[32];

	if (idkey != NULL) {
		chunkid_derive(idkey, "qsarc-stream-set", mackey);
		chunkid_compute(mackey, buf, len, out);
	} else {
		checksum_blake2b256(buf, len, out);
	}
}

static void
test_vectors(void **state)
{
	struct vec v;
	struct streamset set;
	struct streamset_record r;
	uint8_t sid[16], idkey[32], t[32], rec[STREAMSET_RECORD_SIZE];
	uint8_t *b, *enc, *keyed = NULL;
	size_t len, elen, keyedlen = 0;
	int nset = 0, nrec = 0;
	FILE *f;

	(void)state;
	assert_int_equal(secmem_init(), QS_OK);
	memset(&v, 0, sizeof(v));
	f = open_vector("streamset.hex");
	while (vec_next(f, &v)) {
		vec_fixed(&v, "store_id", sid, 16);
		b = vec_hex(&v, "bytes", &len);
		if (strcmp(v.kind, "set") == 0) {
			int is_keyed = (int)vec_int(&v, "keyed");

			assert_int_equal(streamset_fmt_decode(b, len, &set),
			    QS_OK);
			assert_memory_equal(set.store_id, sid, 16);
			assert_int_equal(set.generation,
			    (uint64_t)vec_int(&v, "generation"));
			assert_int_equal(set.count,
			    (size_t)vec_int(&v, "count"));
			assert_int_equal((set.flags & STREAMSET_FLAG_KEYED) != 0,
			    is_keyed);
			if (is_keyed)
				vec_fixed(&v, "idkey", idkey, 32);
			trailer(b, len - 32, is_keyed ? idkey : NULL, t);
			assert_memory_equal(t, b + len - 32, 32);
			if (set.count == 4) {
				assert_string_equal(set.e[0].name, "alpha");
				assert_int_equal(set.e[0].state,
				    STREAMSET_LIVE);
				assert_int_equal(set.e[1].state,
				    STREAMSET_EXPIRED);
				assert_int_equal(set.e[2].flags,
				    STREAMSET_ENTRY_PENDING);
				assert_int_equal(set.e[2].old_state,
				    STREAMSET_ABSENT);
				assert_int_equal(set.e[3].state,
				    STREAMSET_ABSENT);
				assert_int_equal(streamset_fmt_find(&set,
				    "gamma"), 2);
				assert_int_equal(streamset_fmt_find(&set,
				    "delta"), -1);
			}
			assert_int_equal(streamset_fmt_encode(&set, &enc,
			    &elen), QS_OK);
			assert_int_equal(elen, len);
			trailer(enc, elen - 32, is_keyed ? idkey : NULL,
			    enc + elen - 32);
			assert_memory_equal(enc, b, len);
			free(enc);
			if (is_keyed) {
				free(keyed);
				keyed = b;
				keyedlen = len;
				b = NULL;
			}
			streamset_fmt_clear(&set);
			nset++;
		} else {
			assert_string_equal(v.kind, "record");
			assert_int_equal(streamset_fmt_record_decode(b, len,
			    &r), QS_OK);
			assert_memory_equal(r.store_id, sid, 16);
			assert_int_equal(r.generation,
			    (uint64_t)vec_int(&v, "generation"));
			assert_non_null(keyed);
			checksum_blake2b256(keyed, keyedlen, t);
			assert_memory_equal(r.set_hash, t, 32);
			streamset_fmt_record_encode(&r, rec);
			assert_memory_equal(rec, b, len);
			nrec++;
		}
		free(b);
	}
	vec_clear(&v);
	fclose(f);
	free(keyed);
	assert_int_equal(nset, 3);
	assert_int_equal(nrec, 1);
}

/* A set of two entries built here, for the malformed cases. */
static uint8_t *
two_entries(size_t *len)
{
	struct streamset set;
	struct streamset_entry e;
	uint8_t *buf;

	memset(&set, 0, sizeof(set));
	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "b");
	e.state = STREAMSET_LIVE;
	assert_int_equal(streamset_fmt_put(&set, &e), QS_OK);
	snprintf(e.name, sizeof(e.name), "a");
	assert_int_equal(streamset_fmt_put(&set, &e), QS_OK);
	/* Inserted in order, whatever order they came in. */
	assert_string_equal(set.e[0].name, "a");
	assert_int_equal(streamset_fmt_encode(&set, &buf, len), QS_OK);
	streamset_fmt_clear(&set);
	return (buf);
}

static void
test_malformed(void **state)
{
	struct streamset set;
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = two_entries(&len);
	assert_int_equal(streamset_fmt_decode(buf, len, &set), QS_OK);
	streamset_fmt_clear(&set);
	/* Truncated anywhere. */
	for (size_t n = 0; n < len; n++)
		assert_int_equal(streamset_fmt_decode(buf, n, &set),
		    QS_ECORRUPT);
	/* Unknown version, unknown flag. */
	buf[8] = 2;
	assert_int_equal(streamset_fmt_decode(buf, len, &set), QS_EVERSION);
	buf[8] = 1;
	buf[12] = 2;
	assert_int_equal(streamset_fmt_decode(buf, len, &set), QS_EVERSION);
	buf[12] = 0;
	/* Entries out of order: swap the names "a" and "b". */
	buf[48 + 36] = 'b';
	assert_int_equal(streamset_fmt_decode(buf, len, &set), QS_ECORRUPT);
	buf[48 + 36] = 'a';
	/* A state out of range; absent without pending. */
	buf[48 + 1] = 3;
	assert_int_equal(streamset_fmt_decode(buf, len, &set), QS_ECORRUPT);
	buf[48 + 1] = STREAMSET_ABSENT;
	assert_int_equal(streamset_fmt_decode(buf, len, &set), QS_ECORRUPT);
	buf[48 + 1] = STREAMSET_LIVE;
	/* A zero-length name. */
	buf[48] = 0;
	assert_int_equal(streamset_fmt_decode(buf, len, &set), QS_ECORRUPT);
	buf[48] = 1;
	/* A count that does not match the bytes. */
	buf[40] = 3;
	assert_int_equal(streamset_fmt_decode(buf, len, &set), QS_ECORRUPT);
	buf[40] = 1;
	assert_int_equal(streamset_fmt_decode(buf, len, &set), QS_ECORRUPT);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_malformed),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
