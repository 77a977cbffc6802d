/*
 * Tests for crypto/gear.c and index/chunk/chunker.c.  The known-answer vectors in
 * spec/vectors/{gear,chunker}.hex were computed by an independent Python
 * implementation of spec/chunker.md (spec/vectors/gen_chunker_vectors.py).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/gear.h"
#include "format/qs_err.h"
#include "index/chunk/chunker.h"

#include "testlib.h"

#define KIB 1024U
#define MIB (1024U * 1024U)

static const struct chunker_params small_params = { 2 * KIB, 8 * KIB,
    64 * KIB };
static const struct chunker_params default_params = { CHUNKER_DEFAULT_MIN,
    CHUNKER_DEFAULT_AVG, CHUNKER_DEFAULT_MAX };

/* A list of chunk end offsets. */
struct cuts {
	size_t *v;
	size_t n, cap;
};

static void
cuts_add(struct cuts *c, size_t off)
{

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->v = realloc(c->v, c->cap * sizeof(c->v[0]));
		assert_non_null(c->v);
	}
	c->v[c->n++] = off;
}

static void
cuts_free(struct cuts *c)
{

	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Deterministic pseudo-random bytes from a one-byte seed. */
static uint8_t *
random_buf(size_t len, uint8_t seed)
{
	uint8_t s[randombytes_SEEDBYTES];
	uint8_t *buf;

	memset(s, 0, sizeof(s));
	s[0] = seed;
	buf = malloc(len ? len : 1);
	assert_non_null(buf);
	randombytes_buf_deterministic(buf, len, s);
	return (buf);
}

static void
key_from_seed(uint8_t key[32], uint8_t seed)
{
	size_t i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(seed * 37 + i);
}

static struct chunker *
new_chunker(const struct chunker_params *p, uint8_t keyseed)
{
	uint8_t key[32];
	uint64_t table[256];
	struct chunker *c;

	key_from_seed(key, keyseed);
	gear_derive(key, table);
	c = chunker_new(p, table);
	assert_non_null(c);
	return (c);
}

/* Chunk all of ${buf} with final = 1 (the whole input in one buffer). */
static void
chunk_whole(const struct chunker *c, const uint8_t *buf, size_t len,
    struct cuts *out)
{
	size_t pos = 0, n;

	while (pos < len) {
		n = chunker_find_cut(c, buf + pos, len - pos, 1);
		assert_true(n > 0);
		assert_true(n <= len - pos);
		pos += n;
		cuts_add(out, pos);
	}
}

/* Small xorshift generator for piece sizes. */
static uint64_t
xorshift(uint64_t *s)
{

	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

/*
 * Chunk ${in} as a streaming caller would: bytes arrive in pieces of
 * pseudo-random size in [1, ${maxpiece}] into a window buffer; chunks are
 * copied out to ${out} (which must hold ${len} bytes) as they are cut.
 */
static void
chunk_stream(const struct chunker *c, size_t max_size, const uint8_t *in,
    size_t len, size_t maxpiece, uint64_t seed, struct cuts *cuts,
    uint8_t *out)
{
	size_t cap = max_size + maxpiece;
	uint8_t *win = malloc(cap);
	size_t have = 0, fed = 0, done = 0, n, piece;
	int final = 0;

	assert_non_null(win);
	for (;;) {
		n = chunker_find_cut(c, win, have, final);
		if (n == 0) {
			if (final)
				break;
			/* "Need more" only when no max-size chunk fits. */
			assert_true(have < max_size);
			piece = 1 + (size_t)(xorshift(&seed) % maxpiece);
			if (piece > len - fed)
				piece = len - fed;
			memcpy(win + have, in + fed, piece);
			have += piece;
			fed += piece;
			if (fed == len)
				final = 1;
			continue;
		}
		assert_true(n <= have);
		memcpy(out + done, win, n);
		done += n;
		cuts_add(cuts, done);
		memmove(win, win + n, have - n);
		have -= n;
	}
	assert_int_equal(have, 0);
	assert_int_equal(done, len);
	free(win);
}

/* Read the next non-comment, non-blank line; strip the newline. */
static int
next_line(FILE *f, char *line, size_t size)
{
	size_t l;

	while (fgets(line, (int)size, f) != NULL) {
		l = strlen(line);
		assert_true(l > 0 && (line[l - 1] == '\n' || feof(f)));
		while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r' ||
		    line[l - 1] == ' '))
			line[--l] = '\0';
		if (l == 0 || line[0] == '#')
			continue;
		return (1);
	}
	return (0);
}

/* ---------------------------------------------------------------------- */

static void
test_params_check(void **state)
{
	static const struct {
		uint32_t min, avg, max;
		int ok;
	} cases[] = {
		{ 16 * KIB, 64 * KIB, 256 * KIB, 1 },
		{ 2 * KIB, 8 * KIB, 64 * KIB, 1 },
		{ 1 * KIB, 2 * KIB, 4 * KIB, 1 },
		{ 4 * MIB, 8 * MIB, 16 * MIB, 1 },
		{ 1023, 8 * KIB, 64 * KIB, 0 },		/* min < 1 KiB */
		{ 0, 8 * KIB, 64 * KIB, 0 },
		{ 8 * KIB, 8 * KIB, 64 * KIB, 0 },	/* min == avg */
		{ 9 * KIB, 8 * KIB, 64 * KIB, 0 },	/* min > avg */
		{ 2 * KIB, 12 * KIB, 64 * KIB, 0 },	/* avg not 2^k */
		{ 2 * KIB, 0, 64 * KIB, 0 },
		{ 2 * KIB, 8 * KIB, 16 * KIB - 1, 0 },	/* max < 2 avg */
		{ 2 * KIB, 8 * KIB, 8 * KIB, 0 },	/* max == avg */
		{ 2 * KIB, 8 * KIB, 4 * KIB, 0 },	/* max < avg */
		{ 4 * MIB, 8 * MIB, 16 * MIB + 1, 0 },	/* max > 16 MiB */
		{ 8 * MIB, 16 * MIB, 32 * MIB, 0 },
		{ 1 * KIB, 0x80000000U, 0xffffffffU, 0 },
	};
	uint64_t table[256];
	struct chunker_params p;
	struct chunker *c;
	size_t i;

	(void)state;
	memset(table, 0, sizeof(table));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p.min_size = cases[i].min;
		p.avg_size = cases[i].avg;
		p.max_size = cases[i].max;
		qs_error_clear();
		if (cases[i].ok) {
			assert_int_equal(chunker_params_check(&p), QS_OK);
			c = chunker_new(&p, table);
			assert_non_null(c);
			chunker_free(c);
		} else {
			assert_int_equal(chunker_params_check(&p), QS_EINVAL);
			assert_true(strlen(qs_error_message()) > 0);
			qs_error_clear();
			assert_null(chunker_new(&p, table));
			assert_true(strlen(qs_error_message()) > 0);
		}
	}
	assert_int_equal(chunker_params_check(NULL), QS_EINVAL);
	chunker_free(NULL);
}

static void
test_gear_vectors(void **state)
{
	FILE *f = open_vector("gear.hex");
	char line[1024], hex[128];
	uint8_t key[32];
	uint64_t table[256];
	unsigned long long want;
	unsigned int idx;
	int havekey = 0, sets = 0, entries = 0;

	(void)state;
	while (next_line(f, line, sizeof(line))) {
		if (sscanf(line, "key %127s", hex) == 1) {
			assert_int_equal(unhex(hex, key, sizeof(key)),
			    sizeof(key));
			gear_derive(key, table);
			havekey = 1;
			sets++;
		} else if (sscanf(line, "gear %u %llx", &idx, &want) == 2) {
			assert_true(havekey);
			assert_true(idx < 256);
			assert_int_equal(table[idx], (uint64_t)want);
			entries++;
		} else {
			fail_msg("gear.hex: bad line '%s'", line);
		}
	}
	fclose(f);
	assert_true(sets >= 2);
	assert_true(entries >= 256);

	/* Different keys give different tables. */
	key_from_seed(key, 1);
	gear_derive(key, table);
	{
		uint64_t other[256];

		key[31] ^= 1;
		gear_derive(key, other);
		assert_memory_not_equal(table, other, sizeof(table));
	}
}

/* Append the input segment described by ${line} to ${buf}. */
static void
vector_segment(const char *line, uint8_t **buf, size_t *len)
{
	char seedhex[130];
	uint8_t seed[64], block[64], ctr[8];
	size_t seedlen, n, from, done, k;
	unsigned long a, b;
	uint64_t j;

	if (sscanf(line, "rand %129s %lu", seedhex, &a) == 2) {
		assert_int_equal(sodium_hex2bin(seed, sizeof(seed), seedhex,
		    strlen(seedhex), NULL, &seedlen, NULL), 0);
		n = a;
		*buf = realloc(*buf, *len + n + 1);
		assert_non_null(*buf);
		/* BLAKE2b-512(seed || LE64 counter), counter = 0, 1, ... */
		for (j = 0, done = 0; done < n; j++) {
			uint8_t msg[72];

			for (k = 0; k < 8; k++)
				ctr[k] = (uint8_t)(j >> (8 * k));
			memcpy(msg, seed, seedlen);
			memcpy(msg + seedlen, ctr, 8);
			crypto_generichash(block, 64, msg, seedlen + 8, NULL,
			    0);
			k = (n - done < 64) ? n - done : 64;
			memcpy(*buf + *len + done, block, k);
			done += k;
		}
		*len += n;
	} else if (sscanf(line, "zero %lu", &a) == 1) {
		*buf = realloc(*buf, *len + a + 1);
		assert_non_null(*buf);
		memset(*buf + *len, 0, a);
		*len += a;
	} else if (sscanf(line, "copy %lu %lu", &a, &b) == 2) {
		from = a;
		n = b;
		assert_true(from + n <= *len);
		*buf = realloc(*buf, *len + n + 1);
		assert_non_null(*buf);
		memcpy(*buf + *len, *buf + from, n);
		*len += n;
	} else {
		fail_msg("chunker.hex: bad segment '%s'", line);
	}
}

/* Check one parsed vector, both whole and streamed. */
static void
vector_check(const char *name, const uint8_t key[32],
    const struct chunker_params *p, const uint8_t *in, size_t len,
    const struct cuts *want)
{
	uint64_t table[256];
	struct chunker *c;
	struct cuts got = { NULL, 0, 0 }, got2 = { NULL, 0, 0 };
	uint8_t *exact, *out;
	size_t i;

	gear_derive(key, table);
	c = chunker_new(p, table);
	assert_non_null(c);

	/* An exactly-sized copy lets ASan catch any over-read. */
	exact = malloc(len ? len : 1);
	out = malloc(len ? len : 1);
	assert_non_null(exact);
	assert_non_null(out);
	memcpy(exact, in, len);
	chunk_whole(c, exact, len, &got);
	if (got.n != want->n)
		fail_msg("vector %s: %zu chunks, expected %zu", name, got.n,
		    want->n);
	for (i = 0; i < got.n; i++)
		if (got.v[i] != want->v[i])
			fail_msg("vector %s: cut %zu at %zu, expected %zu",
			    name, i, got.v[i], want->v[i]);

	chunk_stream(c, p->max_size, exact, len, 3 * p->avg_size, 7, &got2,
	    out);
	assert_int_equal(got2.n, want->n);
	assert_memory_equal(got2.v, want->v, want->n * sizeof(size_t));
	assert_memory_equal(out, exact, len);

	free(out);
	free(exact);
	cuts_free(&got);
	cuts_free(&got2);
	chunker_free(c);
}

static void
test_chunker_vectors(void **state)
{
	FILE *f = open_vector("chunker.hex");
	char line[1024], name[256], hex[128];
	uint8_t key[32];
	struct chunker_params p;
	struct cuts want = { NULL, 0, 0 };
	uint8_t *in = NULL;
	size_t len = 0;
	unsigned long a, b, cc;
	int invec = 0, nvec = 0, nlarge = 0, nsmall = 0;
	char *tok, *save;

	(void)state;
	while (next_line(f, line, sizeof(line))) {
		if (sscanf(line, "vector %255s", name) == 1) {
			assert_false(invec);
			invec = 1;
			len = 0;
			want.n = 0;
			memset(&p, 0, sizeof(p));
		} else if (sscanf(line, "key %127s", hex) == 1) {
			assert_true(invec);
			assert_int_equal(unhex(hex, key, sizeof(key)),
			    sizeof(key));
		} else if (sscanf(line, "params %lu %lu %lu", &a, &b, &cc) ==
		    3) {
			p.min_size = (uint32_t)a;
			p.avg_size = (uint32_t)b;
			p.max_size = (uint32_t)cc;
		} else if (strncmp(line, "cuts ", 5) == 0) {
			for (tok = strtok_r(line + 5, " ", &save); tok != NULL;
			    tok = strtok_r(NULL, " ", &save))
				cuts_add(&want, (size_t)strtoul(tok, NULL, 10));
		} else if (strcmp(line, "end") == 0) {
			assert_true(invec);
			assert_int_equal(chunker_params_check(&p), QS_OK);
			assert_int_equal(want.n ? want.v[want.n - 1] : 0, len);
			vector_check(name, key, &p, in, len, &want);
			if (p.avg_size == default_params.avg_size)
				nlarge++;
			if (p.avg_size == small_params.avg_size)
				nsmall++;
			invec = 0;
			nvec++;
		} else {
			assert_true(invec);
			vector_segment(line, &in, &len);
		}
	}
	fclose(f);
	assert_false(invec);
	assert_true(nvec >= 5);
	assert_true(nlarge >= 1);
	assert_true(nsmall >= 1);
	free(in);
	cuts_free(&want);
}

static void
test_determinism(void **state)
{
	size_t len = 4 * MIB;
	uint8_t *buf = random_buf(len, 1);
	struct chunker *c1 = new_chunker(&small_params, 5);
	struct chunker *c2 = new_chunker(&small_params, 5);
	struct cuts a = { NULL, 0, 0 }, b = { NULL, 0, 0 };

	(void)state;
	chunk_whole(c1, buf, len, &a);
	chunk_whole(c2, buf, len, &b);
	assert_true(a.n > 100);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.v, b.v, a.n * sizeof(size_t));

	/* The same instance again, and a fresh copy of the data. */
	b.n = 0;
	{
		uint8_t *copy = malloc(len);

		assert_non_null(copy);
		memcpy(copy, buf, len);
		chunk_whole(c1, copy, len, &b);
		free(copy);
	}
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.v, b.v, a.n * sizeof(size_t));

	cuts_free(&a);
	cuts_free(&b);
	chunker_free(c1);
	chunker_free(c2);
	free(buf);
}

/* Random data with a long zero run and a repeated section. */
static uint8_t *
mixed_buf(size_t len)
{
	uint8_t *buf = random_buf(len, 2);

	memset(buf + len / 4, 0, len / 8);
	memcpy(buf + len / 2, buf, len / 8);
	return (buf);
}

static void
check_bounds(const struct chunker_params *p, const struct cuts *cu,
    size_t len)
{
	size_t i, prev = 0, sz, nmax = 0;

	assert_true(cu->n > 0);
	assert_int_equal(cu->v[cu->n - 1], len);
	for (i = 0; i < cu->n; i++) {
		sz = cu->v[i] - prev;
		prev = cu->v[i];
		assert_true(sz > 0);
		assert_true(sz <= p->max_size);
		if (i + 1 < cu->n)
			assert_true(sz >= p->min_size);
		if (sz == p->max_size)
			nmax++;
	}
	/* The zero run must have produced max-size chunks. */
	assert_true(nmax > 0);
}

static void
test_bounds_and_concat(void **state)
{
	const struct chunker_params *ps[2] = { &small_params,
	    &default_params };
	size_t len = 6 * MIB + 12345;
	uint8_t *buf = mixed_buf(len);
	uint8_t *out = malloc(len);
	struct chunker *c;
	struct cuts a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	int i;

	(void)state;
	assert_non_null(out);
	for (i = 0; i < 2; i++) {
		c = new_chunker(ps[i], 3);
		a.n = b.n = 0;
		chunk_whole(c, buf, len, &a);
		check_bounds(ps[i], &a, len);
		memset(out, 0xaa, len);
		chunk_stream(c, ps[i]->max_size, buf, len, 100000, 11, &b,
		    out);
		check_bounds(ps[i], &b, len);
		assert_memory_equal(out, buf, len);
		chunker_free(c);
	}
	cuts_free(&a);
	cuts_free(&b);
	free(out);
	free(buf);
}

static void
test_stream_pieces(void **state)
{
	static const size_t pieces[] = { 1, 17, 1000, 4096, 65536, 300000 };
	size_t len = 2 * MIB + 777;
	uint8_t *buf = mixed_buf(len);
	uint8_t *out = malloc(len);
	struct chunker *c = new_chunker(&small_params, 9);
	struct cuts a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	size_t i;

	(void)state;
	assert_non_null(out);
	chunk_whole(c, buf, len, &a);
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		b.n = 0;
		memset(out, 0x55, len);
		/* Byte-sized pieces are slow (rescans); use a prefix. */
		if (pieces[i] == 1) {
			struct cuts a2 = { NULL, 0, 0 };

			chunk_whole(c, buf, 200000, &a2);
			chunk_stream(c, small_params.max_size, buf, 200000, 1,
			    3, &b, out);
			assert_int_equal(a2.n, b.n);
			assert_memory_equal(a2.v, b.v, a2.n * sizeof(size_t));
			assert_memory_equal(out, buf, 200000);
			cuts_free(&a2);
			continue;
		}
		chunk_stream(c, small_params.max_size, buf, len, pieces[i],
		    (uint64_t)i + 1, &b, out);
		assert_int_equal(a.n, b.n);
		assert_memory_equal(a.v, b.v, a.n * sizeof(size_t));
		assert_memory_equal(out, buf, len);
	}
	cuts_free(&a);
	cuts_free(&b);
	chunker_free(c);
	free(out);
	free(buf);
}

/*
 * The exact return rules, with hand-built gear tables whose behaviour
 * follows from the spec alone: an entry of 2^63 keeps the top bit of h set
 * (never a cut), an entry of 0 after such bytes makes h == 0 (always a cut).
 */
static void
test_return_rules(void **state)
{
	const struct chunker_params *p = &small_params;
	uint64_t table[256];
	struct chunker *c;
	uint8_t *buf;
	size_t len = 3 * p->max_size, i;

	(void)state;
	buf = calloc(1, len);
	assert_non_null(buf);

	/* Never a cut. */
	for (i = 0; i < 256; i++)
		table[i] = (uint64_t)1 << 63;
	c = chunker_new(p, table);
	assert_non_null(c);
	assert_int_equal(chunker_find_cut(c, buf, 0, 0), 0);
	assert_int_equal(chunker_find_cut(c, buf, 0, 1), 0);
	assert_int_equal(chunker_find_cut(c, buf, 1, 0), 0);
	assert_int_equal(chunker_find_cut(c, buf, 1, 1), 1);
	assert_int_equal(chunker_find_cut(c, buf, p->min_size - 1, 1),
	    p->min_size - 1);
	assert_int_equal(chunker_find_cut(c, buf, p->min_size, 0), 0);
	assert_int_equal(chunker_find_cut(c, buf, p->min_size + 1, 0), 0);
	assert_int_equal(chunker_find_cut(c, buf, p->max_size - 1, 0), 0);
	assert_int_equal(chunker_find_cut(c, buf, p->max_size - 1, 1),
	    p->max_size - 1);
	assert_int_equal(chunker_find_cut(c, buf, p->max_size, 0),
	    p->max_size);
	assert_int_equal(chunker_find_cut(c, buf, p->max_size, 1),
	    p->max_size);
	assert_int_equal(chunker_find_cut(c, buf, len, 0), p->max_size);
	chunker_free(c);

	/*
	 * Only byte 0x01 maps to 0: the first 0x01 at index >= min_size
	 * ends the chunk just after it; bytes before min_size are skipped.
	 */
	table[1] = 0;
	c = chunker_new(p, table);
	assert_non_null(c);
	buf[0] = 1;
	buf[p->min_size - 1] = 1;
	assert_int_equal(chunker_find_cut(c, buf, len, 1), p->max_size);
	buf[p->min_size] = 1;
	assert_int_equal(chunker_find_cut(c, buf, len, 0), p->min_size + 1);
	assert_int_equal(chunker_find_cut(c, buf, p->min_size, 0), 0);
	assert_int_equal(chunker_find_cut(c, buf, p->min_size + 1, 0),
	    p->min_size + 1);
	buf[p->min_size] = 0;
	buf[p->max_size - 1] = 1;
	assert_int_equal(chunker_find_cut(c, buf, len, 0), p->max_size);
	buf[p->max_size - 1] = 0;
	buf[p->max_size] = 1;	/* beyond max: not scanned */
	assert_int_equal(chunker_find_cut(c, buf, len, 0), p->max_size);
	chunker_free(c);

	/* An all-zero table: h == 0 at the first scanned byte. */
	memset(table, 0, sizeof(table));
	c = chunker_new(p, table);
	assert_non_null(c);
	assert_int_equal(chunker_find_cut(c, buf, len, 0), p->min_size + 1);
	chunker_free(c);
	free(buf);
}

/*
 * The masks and the normalisation boundary.  For avg = 2^bits, mask_s is
 * the top bits+2 bits (lowest bit 62 - bits) and mask_l the top bits-2 bits
 * (lowest bit 66 - bits); mask_s applies at byte indices < avg.  Byte 0x01
 * maps to 2^k and every other byte to 2^63, so over zeros h stays 2^63 (no
 * cut) and h == 2^k at a lone 0x01.  The buffer ends just after that byte
 * and final = 0, so the result is q + 1 if it is a cut point, else 0.
 */
static size_t
mask_probe(const struct chunker_params *p, unsigned int k, size_t q)
{
	uint64_t table[256];
	struct chunker *c;
	uint8_t *buf;
	size_t i, r;

	for (i = 0; i < 256; i++)
		table[i] = (uint64_t)1 << 63;
	table[1] = (uint64_t)1 << k;
	buf = calloc(1, q + 1);
	assert_non_null(buf);
	buf[q] = 1;
	c = chunker_new(p, table);
	assert_non_null(c);
	r = chunker_find_cut(c, buf, q + 1, 0);
	chunker_free(c);
	free(buf);
	return (r);
}

static void
test_masks(void **state)
{
	static const struct {
		uint32_t avg;
		unsigned int bits;
	} sets[] = { { 8 * KIB, 13 }, { 64 * KIB, 16 }, { 2 * KIB, 11 },
	    { 8 * MIB, 23 } };
	struct chunker_params p;
	size_t s, a;
	unsigned int b;

	(void)state;
	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		a = p.avg_size = sets[s].avg;
		p.min_size = p.avg_size / 2;
		p.max_size = p.avg_size * 2;
		b = sets[s].bits;

		/* Below both masks: a cut anywhere from min on. */
		assert_int_equal(mask_probe(&p, 61 - b, p.min_size),
		    p.min_size + 1);
		assert_int_equal(mask_probe(&p, 61 - b, a - 1), a);
		assert_int_equal(mask_probe(&p, 61 - b, a), a + 1);
		/* Lowest bit of mask_s: a cut only from avg on. */
		assert_int_equal(mask_probe(&p, 62 - b, a - 1), 0);
		assert_int_equal(mask_probe(&p, 62 - b, a), a + 1);
		assert_int_equal(mask_probe(&p, 62 - b, p.max_size - 1),
		    p.max_size);
		/* Highest bit outside mask_l: the same. */
		assert_int_equal(mask_probe(&p, 65 - b, a - 1), 0);
		assert_int_equal(mask_probe(&p, 65 - b, a), a + 1);
		/* Lowest bit of mask_l: never a cut. */
		assert_int_equal(mask_probe(&p, 66 - b, a - 1), 0);
		assert_int_equal(mask_probe(&p, 66 - b, a), 0);
		assert_int_equal(mask_probe(&p, 66 - b, p.max_size - 2), 0);
		/* Bytes before min are skipped, whatever they hash to. */
		assert_int_equal(mask_probe(&p, 61 - b, p.min_size - 1), 0);
	}
}

static int
find_offset(const struct cuts *c, size_t off)
{
	size_t lo = 0, hi = c->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->v[mid] == off)
			return (1);
		if (c->v[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (off == 0);
}

static void
test_shift_resistance(void **state)
{
	const struct chunker_params *ps[2] = { &small_params,
	    &default_params };
	const size_t len = 8 * MIB, ins = 100, at = 5000;
	uint8_t *a = random_buf(len, 4);
	uint8_t *b = malloc(len + ins);
	struct cuts ca = { NULL, 0, 0 }, cb = { NULL, 0, 0 };
	struct chunker *c;
	size_t i, start, shared, total;
	int k;

	(void)state;
	assert_non_null(b);
	memcpy(b, a, at);
	memset(b + at, 0x42, ins);
	memcpy(b + at + ins, a + at, len - at);
	for (k = 0; k < 2; k++) {
		c = new_chunker(ps[k], 6);
		ca.n = cb.n = 0;
		chunk_whole(c, a, len, &ca);
		chunk_whole(c, b, len + ins, &cb);
		/*
		 * A chunk of b past the insertion is shared with a when both
		 * of its ends, shifted back, are cut points of a (the bytes
		 * in between are then equal).  Skip the first 3 chunks.
		 */
		shared = total = 0;
		for (i = 3; i < cb.n; i++) {
			start = cb.v[i - 1];
			total += cb.v[i] - start;
			if (start >= at + ins &&
			    find_offset(&ca, start - ins) &&
			    find_offset(&ca, cb.v[i] - ins))
				shared += cb.v[i] - start;
		}
		assert_true(total > len / 2);
		if (shared * 100 <= total * 95)
			fail_msg("only %zu of %zu bytes shared", shared, total);
		chunker_free(c);
	}
	cuts_free(&ca);
	cuts_free(&cb);
	free(a);
	free(b);
}

static void
test_keys_differ(void **state)
{
	size_t len = 4 * MIB, i, common = 0;
	uint8_t *buf = random_buf(len, 8);
	struct chunker *c1 = new_chunker(&small_params, 1);
	struct chunker *c2 = new_chunker(&small_params, 2);
	struct cuts a = { NULL, 0, 0 }, b = { NULL, 0, 0 };

	(void)state;
	chunk_whole(c1, buf, len, &a);
	chunk_whole(c2, buf, len, &b);
	assert_true(a.n > 100 && b.n > 100);
	for (i = 0; i + 1 < a.n; i++)
		common += find_offset(&b, a.v[i]);
	/* Independent tables: coincident cut points are rare. */
	if (common * 10 >= a.n)
		fail_msg("%zu of %zu cut points coincide", common, a.n);
	cuts_free(&a);
	cuts_free(&b);
	chunker_free(c1);
	chunker_free(c2);
	free(buf);
}

/* Average chunk size lands near avg for random data (NC-2 is tight). */
static void
test_size_distribution(void **state)
{
	size_t len = 16 * MIB;
	uint8_t *buf = random_buf(len, 12);
	struct chunker *c = new_chunker(&small_params, 4);
	struct cuts a = { NULL, 0, 0 };
	size_t mean;

	(void)state;
	chunk_whole(c, buf, len, &a);
	mean = len / a.n;
	if (mean < small_params.avg_size / 2 ||
	    mean > small_params.avg_size * 2)
		fail_msg("mean chunk size %zu", mean);
	cuts_free(&a);
	chunker_free(c);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_check),
		cmocka_unit_test(test_gear_vectors),
		cmocka_unit_test(test_chunker_vectors),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_bounds_and_concat),
		cmocka_unit_test(test_stream_pieces),
		cmocka_unit_test(test_return_rules),
		cmocka_unit_test(test_masks),
		cmocka_unit_test(test_shift_resistance),
		cmocka_unit_test(test_keys_differ),
		cmocka_unit_test(test_size_distribution),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
