/*
 * Tests for index/tar/tarfind: tar headers found by content.  Tars are
 * written with libarchive in memory; libarchive's reader says where each
 * member's headers start, which is what the finder must report, however
 * the bytes are split into feeds and whatever comes in front of them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "index/tar/tarfind.h"

#define NMEMBERS	60

/* A tar of NMEMBERS files in ${format}, some with long names. */
static uint8_t *
make_tar(int format, size_t *lenp)
{
	size_t cap = 8U << 20, used = 0;
	uint8_t *buf = malloc(cap), *data = malloc(70000);
	struct archive *a = archive_write_new();
	struct archive_entry *e;
	char name[400];
	size_t n, i, j;

	assert_non_null(buf);
	assert_non_null(data);
	assert_int_equal(archive_write_set_format(a, format), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used),
	    ARCHIVE_OK);
	srand(7);
	for (i = 0; i < NMEMBERS; i++) {
		/* Every third name is too long for ustar: an extension. */
		if (i % 3 == 0)
			snprintf(name, sizeof(name), "dir/%0200zu/file-%zu", i,
			    i);
		else
			snprintf(name, sizeof(name), "dir/file-%zu", i);
		n = (size_t)rand() % 70000;
		for (j = 0; j < n; j++)
			data[j] = (uint8_t)rand();
		/* Text that looks like a header's magic, but is not one. */
		if (n > 600)
			memcpy(data + 300, "ustar\0" "00", 8);
		e = archive_entry_new();
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)n);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, data, n), (la_ssize_t)n);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	free(data);
	*lenp = used;
	return (buf);
}

/* Where libarchive's reader says each member's headers start. */
static size_t
member_starts(const uint8_t *buf, size_t len, uint64_t *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t n = 0;

	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	assert_int_equal(archive_read_open_memory(a, buf, len), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK)
		out[n++] = (uint64_t)archive_read_header_position(a);
	archive_read_free(a);
	return (n);
}

/* Feed ${buf} in pieces of at most ${piece} bytes (0: random sizes). */
static size_t
find_all(const uint8_t *buf, size_t len, size_t piece, uint64_t *out,
    size_t max)
{
	struct tarfind *tf = tarfind_new();
	size_t off = 0, n = 0, k;
	uint64_t pos = 0, c;

	assert_non_null(tf);
	while (off < len) {
		k = piece ? piece : 1 + (size_t)rand() % 1500;
		if (k > len - off)
			k = len - off;
		assert_int_equal(tarfind_feed(tf, buf + off, k), 0);
		off += k;
	}
	while ((c = tarfind_next(tf, pos, UINT64_MAX)) != UINT64_MAX) {
		assert_true(n < max);
		out[n++] = c;
		pos = c;
	}
	tarfind_free(tf);
	return (n);
}

static void
check_format(int format)
{
	uint64_t want[NMEMBERS + 1], got[4 * NMEMBERS], got2[4 * NMEMBERS];
	size_t len, nw, ng, n2, i;
	uint8_t *tar, *shifted;

	tar = make_tar(format, &len);
	nw = member_starts(tar, len, want);
	assert_int_equal(nw, NMEMBERS);
	/* Member 0 starts at offset 0, which is never a cut (pos < start). */
	ng = find_all(tar, len, len, got, sizeof(got) / sizeof(got[0]));
	assert_int_equal(ng, nw - 1);
	for (i = 1; i < nw; i++)
		assert_int_equal(got[i - 1], want[i]);

	/* The same cuts however the bytes arrive: 1 byte, 511, random. */
	n2 = find_all(tar, len, 1, got2, sizeof(got2) / sizeof(got2[0]));
	assert_int_equal(n2, ng);
	assert_memory_equal(got, got2, ng * sizeof(got[0]));
	n2 = find_all(tar, len, 511, got2, sizeof(got2) / sizeof(got2[0]));
	assert_int_equal(n2, ng);
	assert_memory_equal(got, got2, ng * sizeof(got[0]));
	n2 = find_all(tar, len, 0, got2, sizeof(got2) / sizeof(got2[0]));
	assert_int_equal(n2, ng);
	assert_memory_equal(got, got2, ng * sizeof(got[0]));

	/* 100 bytes in front: every member found, 100 bytes further on. */
	shifted = malloc(len + 100);
	assert_non_null(shifted);
	memset(shifted, 'u', 100);
	memcpy(shifted + 100, tar, len);
	n2 = find_all(shifted, len + 100, 0, got2,
	    sizeof(got2) / sizeof(got2[0]));
	assert_int_equal(n2, nw);
	for (i = 0; i < nw; i++)
		assert_int_equal(got2[i], want[i] + 100);
	free(shifted);
	free(tar);
}

static void
test_pax(void **state)
{

	(void)state;
	check_format(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
}

static void
test_gnutar(void **state)
{

	(void)state;
	check_format(ARCHIVE_FORMAT_TAR_GNUTAR);
}

/* A damaged checksum is not a header; "ustar" alone is not either. */
static void
test_not_headers(void **state)
{
	uint64_t want[NMEMBERS + 1], got[4 * NMEMBERS];
	size_t len, ng;
	uint8_t *tar;

	(void)state;
	tar = make_tar(ARCHIVE_FORMAT_TAR_GNUTAR, &len);
	assert_int_equal(member_starts(tar, len, want), NMEMBERS);
	/* Flip one name byte of member 5's header: its checksum fails. */
	tar[want[5] + 1] ^= 0x01;
	ng = find_all(tar, len, len, got, sizeof(got) / sizeof(got[0]));
	assert_int_equal(ng, NMEMBERS - 2);
	for (size_t i = 0; i < ng; i++)
		assert_true(got[i] != want[5]);
	free(tar);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pax),
		cmocka_unit_test(test_gnutar),
		cmocka_unit_test(test_not_headers),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
