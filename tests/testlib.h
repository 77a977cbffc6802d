/*
 * testlib.h: helpers shared by the cmocka unit tests (tests/test_*.c).
 *
 * Header only: the Makefile builds every tests/test_*.c as its own program,
 * so each helper is a static inline function (an unused one costs nothing
 * and does not warn).  Failures are reported through cmocka (assert_*,
 * fail_msg), so the helpers may only be called from inside a test (or a
 * setup/teardown function, for the ones that return a status instead).
 *
 * Contents:
 * - spec/vectors access: vectors_dir, open_vector;
 * - text and hex: trim, hexval, unhex;
 * - the "vector NAME KIND / key = value / end" reader of records.hex:
 *   struct vec, vec_next, vec_clear, vec_str, vec_int, vec_hex, vec_fixed;
 * - data: fill_pattern;
 * - files: read_file, write_file, make_tmpdir, rm_tree;
 * - stores: test_store_create.
 *
 * Include it after <cmocka.h> (which itself needs <stdarg.h> <stddef.h>
 * <setjmp.h> <stdint.h> first); it includes those itself, in that order,
 * so it also works on its own.
 */
#ifndef QSARC_TESTS_TESTLIB_H
#define QSARC_TESTS_TESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/qs_err.h"
#include "index/store/store.h"

/* ---- spec/vectors -------------------------------------------------- */

/**
 * vectors_dir():
 * The directory of the spec test vectors: $QSARC_SPEC_VECTORS if set and
 * not empty, else "spec/vectors" (relative to the cwd, the repository root
 * when run by make).
 */
static inline const char *
vectors_dir(void)
{
	const char *d = getenv("QSARC_SPEC_VECTORS");

	return ((d != NULL && *d != '\0') ? d : "spec/vectors");
}

/**
 * open_vector(name):
 * Open the vector file ${name} in vectors_dir() for reading; fail the test
 * if it cannot be opened.
 */
static inline FILE *
open_vector(const char *name)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", vectors_dir(), name);
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s (run from the repository root or set "
		    "QSARC_SPEC_VECTORS)", path);
	return (f);
}

/* ---- text and hex -------------------------------------------------- */

/**
 * trim(s):
 * Strip leading blanks and trailing blanks and line ends from ${s} in
 * place; return the first kept character.
 */
static inline char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
	    e[-1] == '\t'))
		*--e = '\0';
	return (s);
}

/**
 * hexval(c):
 * The value of the hex digit ${c} (either case), or -1 if it is not one.
 */
static inline int
hexval(char c)
{

	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/**
 * unhex(s, out, cap):
 * Decode the whole hex string ${s} into ${out}; return the byte count.
 * Fail the test if ${s} has an odd length, a non-hex character, or decodes
 * to more than ${cap} bytes.
 */
static inline size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);
	int hi, lo;

	assert_int_equal(n % 2, 0);
	assert_true(n / 2 <= cap);
	for (size_t i = 0; i < n / 2; i++) {
		hi = hexval(s[2 * i]);
		lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			fail_msg("bad hex digit in \"%c%c\"", s[2 * i],
			    s[2 * i + 1]);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (n / 2);
}

/* ---- the records.hex vector reader --------------------------------- */

/*
 * One vector of a file made of
 *	vector NAME KIND
 *	key = value		(consecutive lines of one key concatenate,
 *				 except for "ref", which repeats)
 *	end
 * with blank lines and '#' comment lines anywhere.
 */
struct vfield {
	char key[40];
	char *val;		/* concatenated text of all lines of key */
};

struct vec {
	char name[64];
	char kind[40];
	struct vfield f[64];
	size_t nf;
};

/**
 * vec_clear(v):
 * Free the field values of ${v} and zero it.
 */
static inline void
vec_clear(struct vec *v)
{

	for (size_t i = 0; i < v->nf; i++)
		free(v->f[i].val);
	memset(v, 0, sizeof(*v));
}

/**
 * vec_next(f, v):
 * Read the next vector of ${f} into ${v} (clearing it first); return 1, or
 * 0 at the end of the file.  Fail the test on a malformed file.
 */
static inline int
vec_next(FILE *f, struct vec *v)
{
	char line[4096];
	char *s, *eq, *k, *val;
	int in = 0, n;

	vec_clear(v);
	while (fgets(line, sizeof(line), f) != NULL) {
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if (strncmp(s, "vector ", 7) == 0) {
			assert_int_equal(sscanf(s, "vector %63s %39s", v->name,
			    v->kind), 2);
			in = 1;
			continue;
		}
		if (strcmp(s, "end") == 0) {
			assert_true(in);
			return (1);
		}
		assert_true(in);
		assert_non_null(eq = strchr(s, '='));
		*eq = '\0';
		k = trim(s);
		val = trim(eq + 1);
		/* Consecutive lines of one key concatenate (not "ref"). */
		if (v->nf > 0 && strcmp(v->f[v->nf - 1].key, k) == 0 &&
		    strcmp(k, "ref") != 0) {
			struct vfield *p = &v->f[v->nf - 1];
			size_t ol = strlen(p->val);

			assert_non_null(p->val = realloc(p->val,
			    ol + strlen(val) + 1));
			strcpy(p->val + ol, val);
			continue;
		}
		assert_true(v->nf < sizeof(v->f) / sizeof(v->f[0]));
		n = snprintf(v->f[v->nf].key, sizeof(v->f[0].key), "%s", k);
		assert_true(n > 0 && (size_t)n < sizeof(v->f[0].key));
		assert_non_null(v->f[v->nf].val = strdup(val));
		v->nf++;
	}
	assert_false(in);
	return (0);
}

/**
 * vec_str(v, key):
 * The text of field ${key} of ${v} (the first one, for "ref"); fail the
 * test if there is none.
 */
static inline const char *
vec_str(const struct vec *v, const char *key)
{

	for (size_t i = 0; i < v->nf; i++)
		if (strcmp(v->f[i].key, key) == 0)
			return (v->f[i].val);
	fail_msg("vector %s: no field %s", v->name, key);
	return (NULL);
}

/**
 * vec_int(v, key):
 * Field ${key} of ${v} as a decimal integer.
 */
static inline uint64_t
vec_int(const struct vec *v, const char *key)
{

	return (strtoull(vec_str(v, key), NULL, 10));
}

/**
 * vec_hex(v, key, len):
 * Decode hex field ${key} of ${v} into a new buffer (at least 1 byte is
 * allocated, so an empty field is not NULL); its length goes to ${len}.
 * The caller frees it.
 */
static inline uint8_t *
vec_hex(const struct vec *v, const char *key, size_t *len)
{
	const char *s = vec_str(v, key);
	size_t n = strlen(s);
	uint8_t *b;

	assert_int_equal(n % 2, 0);
	assert_non_null(b = malloc(n / 2 + 1));
	*len = unhex(s, b, n / 2);
	return (b);
}

/**
 * vec_fixed(v, key, out, want):
 * Decode hex field ${key} of ${v}, which must be exactly ${want} bytes,
 * into ${out}.
 */
static inline void
vec_fixed(const struct vec *v, const char *key, uint8_t *out, size_t want)
{
	size_t len;
	uint8_t *b = vec_hex(v, key, &len);

	if (len != want)
		fail_msg("vector %s: %s is %zu bytes, expected %zu", v->name,
		    key, len, want);
	memcpy(out, b, want);
	free(b);
}

/* ---- data ------------------------------------------------------------ */

/**
 * fill_pattern(p, len, seed):
 * Fill ${p} with ${len} bytes of a fixed pattern that depends on ${seed}
 * (the same pattern the record and manifest tests have always used).
 */
static inline void
fill_pattern(uint8_t *p, size_t len, uint8_t seed)
{

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + 37 * i + (i >> 3));
}

/* ---- files ----------------------------------------------------------- */

/**
 * read_file(path, len):
 * Read the whole file ${path} into a new buffer (one spare byte allocated)
 * and its length into ${len}; fail the test on any error.  The caller
 * frees it.
 */
static inline uint8_t *
read_file(const char *path, size_t *len)
{
	uint8_t *buf;
	long n;
	FILE *f;

	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	assert_non_null(buf = malloc((size_t)n + 1));
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return (buf);
}

/**
 * write_file(path, buf, len):
 * Create or truncate ${path} and write ${len} bytes of ${buf} to it (plain
 * stdio, not through format/fileio); fail the test on any error.
 */
static inline void
write_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f;

	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/**
 * make_tmpdir(dir, size, tag):
 * Create a new empty directory /tmp/qsarc-test-${tag}-XXXXXX and put its
 * name in ${dir} (${size} bytes).  Return 0, or -1 on failure (usable from
 * a cmocka setup function).
 */
static inline int
make_tmpdir(char *dir, size_t size, const char *tag)
{
	int n;

	n = snprintf(dir, size, "/tmp/qsarc-test-%s-XXXXXX", tag);
	if (n < 0 || (size_t)n >= size)
		return (-1);
	return (mkdtemp(dir) == NULL ? -1 : 0);
}

/**
 * rm_tree(dir):
 * Remove ${dir} and everything below it (symbolic links are removed, not
 * followed), ignoring errors.  Return 0 if ${dir} is gone afterwards, else
 * -1 (usable from a cmocka teardown function).
 */
static inline int
rm_tree(const char *dir)
{
	struct dirent *de;
	struct stat st;
	char p[1024];
	DIR *d;
	int n;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			n = snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			if (n < 0 || (size_t)n >= sizeof(p))
				continue;	/* cannot name it: leave it */
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				rm_tree(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
	return (lstat(dir, &st) == 0 ? -1 : 0);
}

/* ---- stores ---------------------------------------------------------- */

/**
 * test_store_create(root, backup, pass, passlen, container_size, now, sp):
 * store_init a new store at ${root} at time ${now}: default options, but
 * containers of ${container_size} bytes if that is not 0, and, if ${pass}
 * is not NULL, encrypted under ${pass} (${passlen} bytes) with a fast KDF
 * (t=1, 8 MiB) and the keystore backup at ${backup}.  Then store_open it
 * with a shared lock into ${sp}.  Return QS_OK or the failing call's code
 * (the error details are in qs_error_message()).
 */
static inline int
test_store_create(const char *root, const char *backup, const uint8_t *pass,
    size_t passlen, uint32_t container_size, int64_t now, struct store **sp)
{
	struct store_init_opts o;
	int rc;

	store_init_opts_default(&o);
	if (container_size != 0)
		o.container_size = container_size;
	if (pass != NULL) {
		o.encrypt = 1;
		o.pass = pass;
		o.passlen = passlen;
		o.kdf_t_cost = 1;
		o.kdf_m_cost_kib = 8192;
		o.keystore_backup = backup;
	}
	if ((rc = store_init(root, &o, now)) != QS_OK)
		return (rc);
	return (store_open(root, STORE_LOCK_SHARED, 0, pass,
	    pass != NULL ? passlen : 0, sp));
}

#endif /* !QSARC_TESTS_TESTLIB_H */
