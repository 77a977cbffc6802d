/*
 * Tests for index/store/manifest.c: manifest writer and reader on real stores
 * (plain: check-summed frames; encrypted: sealed frames), with large
 * manifests spanning several frames, and damaged, truncated, renamed and
 * reordered manifest files.
 *
 * Tests named test_regression_* pin bugs that were found in the code under
 * test and fixed; each fails on the code before its fix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "format/endian.h"
#include "format/fileio.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/store/store.h"
#include "index/store/manifest.h"

#include "testlib.h"

static const uint8_t PASS[] = "stream test passphrase";
#define PASSLEN	(sizeof(PASS) - 1)
#define T0	((int64_t)1700000000)

struct env {
	char dir[256];
	char root[300];
	char backup[300];
	int encrypted;
	struct store *s;
};

static int
setup_common(void **state, int encrypted)
{
	struct env *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (-1);
	if (make_tmpdir(e->dir, sizeof(e->dir), "stream") != 0) {
		free(e);
		return (-1);
	}
	snprintf(e->root, sizeof(e->root), "%s/store", e->dir);
	snprintf(e->backup, sizeof(e->backup), "%s/backup/ks.qsk", e->dir);
	*state = e;
	e->encrypted = encrypted;
	if (test_store_create(e->root, e->backup, encrypted ? PASS : NULL,
	    PASSLEN, 0, T0, &e->s) != QS_OK) {
		fprintf(stderr, "setup: %s\n", qs_error_message());
		return (-1);
	}
	return (0);
}

static int
setup_plain(void **state)
{

	return (setup_common(state, 0));
}

static int
setup_encrypted(void **state)
{

	return (setup_common(state, 1));
}

static int
teardown(void **state)
{
	struct env *e = *state;

	store_close(e->s);
	rm_tree(e->dir);
	free(e);
	return (0);
}

/* Reference i of a synthetic stream. */
static void
ref_of(uint64_t i, uint8_t id[32], uint32_t *raw_len)
{

	for (int k = 0; k < 4; k++)
		le64enc(id + 8 * k, i * 0x9e3779b97f4a7c15ULL + (uint64_t)k);
	*raw_len = (uint32_t)(1 + (i * 7919) % 100000);
}

/* Write stream ${name} with ${n} synthetic references. */
static int
write_stream(struct env *e, const char *name, uint64_t n,
    struct manifest_summary *sum)
{
	struct manifest_writer *mw;
	uint8_t id[32];
	uint32_t raw;
	int rc;

	if ((rc = manifest_writer_new(e->s, name, &mw)) != QS_OK)
		return (rc);
	memset(sum, 0, sizeof(*sum));
	for (uint64_t i = 0; i < n; i++) {
		ref_of(i, id, &raw);
		if ((rc = manifest_writer_add(mw, id, raw)) != QS_OK) {
			manifest_writer_free(mw);
			return (rc);
		}
		sum->length += raw;
	}
	sum->created = T0 + 42;
	sum->new_chunks = n / 3;
	sum->new_raw_bytes = 0x123456789ULL;
	sum->new_stored_bytes = 0x98765ULL;
	snprintf(sum->name, sizeof(sum->name), "%s", name);
	return (manifest_writer_commit(mw, sum));
}

/* Read stream ${name} fully, checking every reference; return the rc. */
static int
read_stream(struct env *e, const char *name, uint64_t n,
    const struct manifest_summary *want)
{
	struct manifest_reader *mr;
	const struct manifest_summary *got;
	struct checksum_state st;
	uint8_t id[32], ref[36], hash[32];
	const uint8_t *rid;
	uint32_t raw, rraw;
	uint64_t off, roff = 0, i = 0;
	int rc;

	qs_error_clear();
	if ((rc = manifest_reader_open(e->s, name, 0, &mr)) != QS_OK)
		return (rc);
	got = manifest_reader_summary(mr);
	if (want != NULL) {
		assert_true(got->created == want->created);
		assert_true(got->length == want->length);
		assert_true(got->chunk_count == n);
		assert_true(got->new_chunks == want->new_chunks);
		assert_true(got->new_raw_bytes == want->new_raw_bytes);
		assert_true(got->new_stored_bytes == want->new_stored_bytes);
		assert_memory_equal(got->stream_hash, want->stream_hash, 32);
		assert_string_equal(got->name, name);
		/* The stream hash, computed independently. */
		checksum_init(&st);
		for (uint64_t j = 0; j < n; j++) {
			ref_of(j, ref, &raw);
			le32enc(ref + 32, raw);
			checksum_update(&st, ref, 36);
		}
		checksum_final(&st, hash);
		assert_memory_equal(got->stream_hash, hash, 32);
	}
	while ((rc = manifest_reader_next(mr, &rid, &rraw, &off)) == QS_OK) {
		ref_of(i, id, &raw);
		if (i >= n || memcmp(rid, id, 32) != 0 || rraw != raw ||
		    off != roff) {
			manifest_reader_free(mr);
			fail_msg("reference %llu differs",
			    (unsigned long long)i);
		}
		roff += raw;
		i++;
	}
	if (rc == 1) {
		assert_true(i == n);
		/* Stays at the end. */
		assert_int_equal(manifest_reader_next(mr, &rid, &rraw, &off),
		    1);
		rc = QS_OK;
	}
	manifest_reader_free(mr);
	return (rc);
}

static void
spath(const struct env *e, const char *name, char *buf, size_t len)
{

	assert_int_equal(store_stream_path(e->s, name, 0, buf, len), QS_OK);
}

static void
read_manifest(const struct env *e, const char *name, uint8_t **buf,
    size_t *len)
{
	char path[1024];

	spath(e, name, path, sizeof(path));
	assert_int_equal(fileio_read_all(path, buf, len, 1U << 30), QS_OK);
}

static void
write_manifest(const struct env *e, const char *name, const uint8_t *buf,
    size_t len)
{
	char path[1024];

	int fd;

	/*
	 * No fsync, and a new file rather than O_TRUNC (which ext4 flushes
	 * on close): tests rewrite manifests thousands of times.
	 */
	spath(e, name, path, sizeof(path));
	unlink(path);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) >=
	    0);
	assert_true(write(fd, buf, len) == (ssize_t)len);
	close(fd);
}

static int
streams_tmp_count(const struct env *e)
{
	char dir[512];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/streams", e->root);
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		n += fileio_is_tmp_name(de->d_name) != 0;
	closedir(d);
	return (n);
}

/* ---- tests --------------------------------------------------------- */

static void
test_roundtrip_large(void **state)
{
	struct env *e = *state;
	struct manifest_summary sum;
	struct manifest_header h;
	const uint64_t n = 2 * (uint64_t)MANIFEST_REFS_PER_FRAME + 1234;
	uint8_t *buf;
	size_t len;

	assert_true(n > 30000);
	assert_int_equal(write_stream(e, "big-stream", n, &sum), QS_OK);
	assert_true(sum.chunk_count == n);
	assert_int_equal(read_stream(e, "big-stream", n, &sum), QS_OK);
	/* Three refs frames plus the summary, as the header says. */
	read_manifest(e, "big-stream", &buf, &len);
	assert_int_equal(manifest_fmt_header_decode(buf, len, &h), QS_OK);
	assert_true(h.frame_count == 4);
	assert_int_equal(h.key_id != 0, e->encrypted);
	assert_true(h.summary_offset < len);
	free(buf);
	assert_int_equal(streams_tmp_count(e), 0);
}

static void
test_frame_boundaries(void **state)
{
	struct env *e = *state;
	struct manifest_summary sum;
	struct manifest_header h;
	static const struct {
		const char *name;
		uint64_t n;
		uint64_t frames;
	} cases[] = {
		{ "empty", 0, 1 },
		{ "one", 1, 2 },
		{ "full-frame", MANIFEST_REFS_PER_FRAME, 2 },
		{ "full-plus-one", MANIFEST_REFS_PER_FRAME + 1, 3 },
	};
	uint8_t *buf;
	size_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(write_stream(e, cases[i].name, cases[i].n,
		    &sum), QS_OK);
		assert_int_equal(read_stream(e, cases[i].name, cases[i].n,
		    &sum), QS_OK);
		read_manifest(e, cases[i].name, &buf, &len);
		assert_int_equal(manifest_fmt_header_decode(buf, len, &h), QS_OK);
		if (h.frame_count != cases[i].frames)
			fail_msg("%s: %llu frames, expected %llu",
			    cases[i].name, (unsigned long long)h.frame_count,
			    (unsigned long long)cases[i].frames);
		free(buf);
		/* spec/FORMAT.md 6.6: the empty stream's hash. */
		if (cases[i].n == 0) {
			static const uint8_t empty[32] = {
			    0x0e, 0x57, 0x51, 0xc0, 0x26, 0xe5, 0x43, 0xb2,
			    0xe8, 0xab, 0x2e, 0xb0, 0x60, 0x99, 0xda, 0xa1,
			    0xd1, 0xe5, 0xdf, 0x47, 0x77, 0x8f, 0x77, 0x87,
			    0xfa, 0xab, 0x45, 0xcd, 0xf1, 0x2f, 0xe3, 0xa8 };

			assert_memory_equal(sum.stream_hash, empty, 32);
		}
	}
}

static void
test_names(void **state)
{
	struct env *e = *state;
	struct manifest_summary sum;
	struct manifest_writer *mw;
	struct manifest_reader *mr;

	assert_int_equal(write_stream(e, "dup", 5, &sum), QS_OK);
	/* The same name again: QS_EEXIST, the first one intact. */
	assert_int_equal(write_stream(e, "dup", 7, &sum), QS_EEXIST);
	assert_int_equal(streams_tmp_count(e), 0);
	assert_int_equal(read_stream(e, "dup", 5, NULL), QS_OK);
	/* Missing and invalid names. */
	assert_int_equal(manifest_reader_open(e->s, "nope", 0, &mr),
	    QS_ENOENT);
	assert_int_equal(manifest_reader_open(e->s, "nope", 1, &mr),
	    QS_ENOENT);
	assert_int_equal(manifest_reader_open(e->s, "../config", 0, &mr),
	    QS_EINVAL);
	assert_int_equal(manifest_writer_new(e->s, "a/b", &mw), QS_EINVAL);
	assert_int_equal(manifest_writer_new(e->s, ".hidden", &mw),
	    QS_EINVAL);
	/* An abandoned writer leaves nothing behind. */
	assert_int_equal(manifest_writer_new(e->s, "abandoned", &mw), QS_OK);
	assert_int_equal(streams_tmp_count(e), 1);
	manifest_writer_free(mw);
	manifest_writer_free(NULL);
	assert_int_equal(streams_tmp_count(e), 0);
	assert_int_equal(manifest_reader_open(e->s, "abandoned", 0, &mr),
	    QS_ENOENT);
}

static void
test_summary_totals_checked(void **state)
{
	struct env *e = *state;
	struct manifest_writer *mw;
	struct manifest_summary sum;
	uint8_t id[32];
	uint32_t raw;

	/* A writer that states the wrong stream length. */
	assert_int_equal(manifest_writer_new(e->s, "bad-length", &mw), QS_OK);
	memset(&sum, 0, sizeof(sum));
	for (uint64_t i = 0; i < 10; i++) {
		ref_of(i, id, &raw);
		assert_int_equal(manifest_writer_add(mw, id, raw), QS_OK);
		sum.length += raw;
	}
	sum.length += 1;
	snprintf(sum.name, sizeof(sum.name), "bad-length");
	assert_int_equal(manifest_writer_commit(mw, &sum), QS_OK);
	assert_int_equal(read_stream(e, "bad-length", 10, NULL), QS_ECORRUPT);
	assert_non_null(strstr(qs_error_message(), "do not match"));
}

static void
test_truncated(void **state)
{
	struct env *e = *state;
	struct manifest_summary sum;
	uint8_t *buf;
	size_t len;
	int rc;

	assert_int_equal(write_stream(e, "t", 12, &sum), QS_OK);
	read_manifest(e, "t", &buf, &len);
	for (size_t l = 0; l < len; l++) {
		write_manifest(e, "t", buf, l);
		rc = read_stream(e, "t", 12, NULL);
		if (rc != QS_ECORRUPT)
			fail_msg("truncated to %zu of %zu: rc %d (%s)", l, len,
			    rc, qs_error_message());
	}
	/* A byte too many. */
	{
		uint8_t *more = malloc(len + 1);

		assert_non_null(more);
		memcpy(more, buf, len);
		more[len] = 0;
		write_manifest(e, "t", more, len + 1);
		assert_int_equal(read_stream(e, "t", 12, NULL), QS_ECORRUPT);
		free(more);
	}
	write_manifest(e, "t", buf, len);
	assert_int_equal(read_stream(e, "t", 12, &sum), QS_OK);
	free(buf);
}

/* Every byte of a small manifest, flipped two ways: never accepted. */
static void
test_every_byte_flipped(void **state)
{
	struct env *e = *state;
	struct manifest_summary sum;
	static const uint8_t masks[] = { 0x01, 0x80 };
	uint8_t *buf;
	size_t len;
	int rc, auth = 0, corrupt = 0, version = 0;

	assert_int_equal(write_stream(e, "f", 12, &sum), QS_OK);
	read_manifest(e, "f", &buf, &len);
	for (size_t i = 0; i < len; i++) {
		for (size_t m = 0; m < sizeof(masks); m++) {
			buf[i] ^= masks[m];
			write_manifest(e, "f", buf, len);
			buf[i] ^= masks[m];
			rc = read_stream(e, "f", 12, NULL);
			if (rc == QS_OK)
				fail_msg("byte %zu ^ 0x%02x accepted", i,
				    masks[m]);
			auth += rc == QS_EAUTH;
			corrupt += rc == QS_ECORRUPT;
			version += rc == QS_EVERSION;
		}
	}
	/*
	 * Sealed frames fail authentication, plain ones their checksum; the
	 * version and flags bytes (8..11) say "newer format", but for bit 0
	 * of byte 8, which turns version 2 into 3 (plain: refused as
	 * damage, padded frames need a key) or 3 into 2 (sealed: the
	 * version is in every frame's AD, so authentication fails).
	 */
	assert_int_equal(version, 4 * 2 - 1);
	assert_int_equal(auth + corrupt + version, 2 * (int)len);
	if (e->encrypted)
		assert_true(auth > (int)len);
	write_manifest(e, "f", buf, len);
	assert_int_equal(read_stream(e, "f", 12, &sum), QS_OK);
	free(buf);
}

/* A flipped byte inside the first refs frame of a multi-frame manifest. */
static void
test_refs_frame_damage(void **state)
{
	struct env *e = *state;
	struct manifest_summary sum;
	struct manifest_reader *mr;
	const uint64_t n = MANIFEST_REFS_PER_FRAME + 100;
	const uint8_t *id;
	uint32_t raw;
	uint64_t off, count = 0;
	uint8_t *buf;
	size_t len;
	int rc;

	assert_int_equal(write_stream(e, "r", n, &sum), QS_OK);
	read_manifest(e, "r", &buf, &len);
	buf[MANIFEST_HEADER_SIZE + 4 + 5000] ^= 0x10;
	write_manifest(e, "r", buf, len);
	/* The summary is intact, so it opens ... */
	assert_int_equal(manifest_reader_open(e->s, "r", 0, &mr), QS_OK);
	/* ... but no reference of the damaged frame is handed out. */
	while ((rc = manifest_reader_next(mr, &id, &raw, &off)) == QS_OK)
		count++;
	assert_true(count == 0);
	assert_int_equal(rc, e->encrypted ? QS_EAUTH : QS_ECORRUPT);
	assert_non_null(strstr(qs_error_message(), e->encrypted ?
	    "authentication failed" : "checksum mismatch"));
	manifest_reader_free(mr);
	free(buf);
}

static void
test_renamed(void **state)
{
	struct env *e = *state;
	struct manifest_summary sum;
	char from[1024], to[1024];

	assert_int_equal(write_stream(e, "original", 20, &sum), QS_OK);
	spath(e, "original", from, sizeof(from));
	spath(e, "impostor", to, sizeof(to));
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(read_stream(e, "impostor", 20, NULL), QS_ECORRUPT);
	assert_non_null(strstr(qs_error_message(), "original"));
}

static void
test_swapped_frames(void **state)
{
	struct env *e = *state;
	struct manifest_summary sum;
	const uint64_t n = 2 * (uint64_t)MANIFEST_REFS_PER_FRAME + 50;
	uint8_t *buf, *sw;
	size_t len, f0, f1, f2;

	assert_int_equal(write_stream(e, "s", n, &sum), QS_OK);
	read_manifest(e, "s", &buf, &len);
	f0 = 4 + le32dec(buf + MANIFEST_HEADER_SIZE);
	f1 = 4 + le32dec(buf + MANIFEST_HEADER_SIZE + f0);
	f2 = 4 + le32dec(buf + MANIFEST_HEADER_SIZE + f0 + f1);
	assert_int_equal(f0, f1);	/* two full frames */
	assert_true(f2 < f1);
	assert_non_null(sw = malloc(len));
	/* Frames 0 and 1 exchanged (same size: offsets unchanged). */
	memcpy(sw, buf, len);
	memcpy(sw + MANIFEST_HEADER_SIZE, buf + MANIFEST_HEADER_SIZE + f0, f1);
	memcpy(sw + MANIFEST_HEADER_SIZE + f1, buf + MANIFEST_HEADER_SIZE, f0);
	write_manifest(e, "s", sw, len);
	assert_int_equal(read_stream(e, "s", n, NULL),
	    e->encrypted ? QS_EAUTH : QS_ECORRUPT);
	/* Frames 1 and 2 exchanged (the short one moves forward). */
	memcpy(sw, buf, len);
	memcpy(sw + MANIFEST_HEADER_SIZE + f0,
	    buf + MANIFEST_HEADER_SIZE + f0 + f1, f2);
	memcpy(sw + MANIFEST_HEADER_SIZE + f0 + f2,
	    buf + MANIFEST_HEADER_SIZE + f0, f1);
	write_manifest(e, "s", sw, len);
	assert_int_not_equal(read_stream(e, "s", n, NULL), QS_OK);
	/* Frame 0 twice (frame 1 replaced by a copy of frame 0). */
	memcpy(sw, buf, len);
	memcpy(sw + MANIFEST_HEADER_SIZE + f0, buf + MANIFEST_HEADER_SIZE, f0);
	write_manifest(e, "s", sw, len);
	assert_int_not_equal(read_stream(e, "s", n, NULL), QS_OK);
	/* A refs frame dropped, header fixed up to match. */
	memcpy(sw, buf, MANIFEST_HEADER_SIZE + f0);
	memcpy(sw + MANIFEST_HEADER_SIZE + f0,
	    buf + MANIFEST_HEADER_SIZE + f0 + f1, len - MANIFEST_HEADER_SIZE -
	    f0 - f1);
	le64enc(sw + 32, le64dec(buf + 32) - f1);
	le64enc(sw + 40, le64dec(buf + 40) - 1);
	write_manifest(e, "s", sw, len - f1);
	assert_int_not_equal(read_stream(e, "s", n, NULL), QS_OK);
	/* Restored, it reads. */
	write_manifest(e, "s", buf, len);
	assert_int_equal(read_stream(e, "s", n, &sum), QS_OK);
	free(sw);
	free(buf);
}

/*
 * A manifest of another store (store id differs) is refused, and so is an
 * unsealed manifest in a store encrypted from its creation, even with the
 * store id patched to match (no downgrade to check-summed frames).
 */
static void
test_foreign_manifest(void **state)
{
	struct env *e = *state;
	struct env *p = NULL;
	struct manifest_summary sum;
	uint8_t *buf;
	size_t len;

	assert_int_equal(write_stream(e, "mine", 3, &sum), QS_OK);
	read_manifest(e, "mine", &buf, &len);
	buf[16] ^= 0xff;
	write_manifest(e, "mine", buf, len);
	assert_int_equal(read_stream(e, "mine", 3, NULL), QS_ECORRUPT);
	assert_non_null(strstr(qs_error_message(), "another store"));
	free(buf);
	if (!e->encrypted)
		return;
	assert_int_equal(setup_plain((void **)&p), 0);
	assert_int_equal(write_stream(p, "downgrade", 3, &sum), QS_OK);
	read_manifest(p, "downgrade", &buf, &len);
	memcpy(buf + 16, store_config(e->s)->store_id, 16);
	write_manifest(e, "downgrade", buf, len);
	assert_int_equal(read_stream(e, "downgrade", 3, NULL), QS_EAUTH);
	free(buf);
	teardown((void **)&p);
}

/* Open and read a copy of "h" with header field ${at} set to ${val}. */
static int
read_patched(struct env *e, size_t at, uint64_t val)
{
	uint8_t *buf;
	size_t len;

	read_manifest(e, "h0", &buf, &len);
	le64enc(buf + at, val);
	write_manifest(e, "h", buf, len);
	free(buf);
	return (read_stream(e, "h", 5, NULL));
}

/*
 * Header bytes 32..47 are not authenticated: impossible summary offsets
 * and frame counts must be reported as damage (or as an authentication
 * failure of whatever frame they point at), never as success or I/O error.
 */
static void
test_header_offsets(void **state)
{
	struct env *e = *state;
	struct manifest_summary sum;
	static const uint64_t offs[] = { 64, 65, 0x7fffffffffffffffULL,
	    0x8000000000000000ULL, 0xfffffffffffffff0ULL };
	static const uint64_t counts[] = { 1, 3, 0x8000000000000000ULL,
	    0xffffffffffffffffULL };
	int rc;

	assert_int_equal(write_stream(e, "h0", 5, &sum), QS_OK);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		rc = read_patched(e, 32, offs[i]);
		if (rc != QS_ECORRUPT && rc != QS_EAUTH)
			fail_msg("summary_offset 0x%llx: rc %d (%s)",
			    (unsigned long long)offs[i], rc,
			    qs_error_message());
	}
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		rc = read_patched(e, 40, counts[i]);
		if (rc != QS_ECORRUPT && rc != QS_EAUTH)
			fail_msg("frame_count 0x%llx: rc %d (%s)",
			    (unsigned long long)counts[i], rc,
			    qs_error_message());
	}
}

/*
 * Bug: index/store/manifest.c reader_frame checks "off + 4 > file_size" and
 * "off + 4 + body_len > file_size" in 64-bit arithmetic that wraps, so a
 * damaged summary_offset within 4 of 2^64 passes the check and reaches
 * pread with a negative offset: QS_EIO ("read: Invalid argument") instead
 * of QS_ECORRUPT.
 */
static void
test_regression_offset_wrap(void **state)
{
	struct env *e = *state;
	struct manifest_summary sum;
	static const uint64_t offs[] = { 0xfffffffffffffffcULL,
	    0xfffffffffffffffeULL, 0xffffffffffffffffULL };
	int rc;

	assert_int_equal(write_stream(e, "h0", 5, &sum), QS_OK);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		rc = read_patched(e, 32, offs[i]);
		if (rc != QS_ECORRUPT)
			fail_msg("summary_offset 0x%llx: rc %d (%s)",
			    (unsigned long long)offs[i], rc,
			    qs_error_message());
	}
}

/*
 * Bug: manifest_writer_commit's contract says the summary's name is filled
 * in there, but it writes whatever name the caller left in ${summary}; an
 * empty name gives a manifest no reader accepts (and a different name one
 * that reads as "renamed").
 */
static void
test_regression_commit_fills_name(void **state)
{
	struct env *e = *state;
	struct manifest_writer *mw;
	struct manifest_summary sum;
	uint8_t id[32];
	uint32_t raw;

	assert_int_equal(manifest_writer_new(e->s, "named", &mw), QS_OK);
	memset(&sum, 0, sizeof(sum));
	ref_of(0, id, &raw);
	assert_int_equal(manifest_writer_add(mw, id, raw), QS_OK);
	sum.length = raw;
	assert_int_equal(manifest_writer_commit(mw, &sum), QS_OK);
	assert_string_equal(sum.name, "named");
	assert_int_equal(read_stream(e, "named", 1, NULL), QS_OK);
}

int
main(void)
{
#define BOTH(t) \
	cmocka_unit_test_setup_teardown(t, setup_plain, teardown), \
	cmocka_unit_test_setup_teardown(t, setup_encrypted, teardown)
	const struct CMUnitTest tests[] = {
		BOTH(test_roundtrip_large),
		BOTH(test_frame_boundaries),
		BOTH(test_names),
		BOTH(test_summary_totals_checked),
		BOTH(test_truncated),
		BOTH(test_every_byte_flipped),
		BOTH(test_refs_frame_damage),
		BOTH(test_renamed),
		BOTH(test_swapped_frames),
		BOTH(test_foreign_manifest),
		BOTH(test_header_offsets),
		BOTH(test_regression_offset_wrap),
		BOTH(test_regression_commit_fills_name),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
