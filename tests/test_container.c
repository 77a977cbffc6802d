/*
 * Tests for index/store/container.c and index/store/chunk_reader.c: container_writer, chunk_reader_read and
 * chunk_compressor_run, on real stores (plain and encrypted) created in temporary
 * directories, including damage to the container files: every change must
 * be caught (QS_ECORRUPT for plain records, QS_EAUTH for sealed ones) and a
 * sealed record must not be readable anywhere but where it was written.
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
#include "crypto/chunkid.h"
#include "format/endian.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/chunk/chunkindex.h"
#include "index/store/container.h"
#include "index/store/chunk_compressor.h"
#include "index/store/chunk_reader.h"
#include "index/store/store.h"

#include "testlib.h"

static const uint8_t PASS[] = "container test passphrase";
#define PASSLEN	(sizeof(PASS) - 1)
#define T0	((int64_t)1700000000)
#define NCHUNKS	6

struct chunk {
	uint8_t *data;
	size_t len;
	uint8_t id[32];
	struct chunk_loc loc;
	uint8_t flags;
	size_t clen;			/* payload length (compressed) */
};

struct env {
	char dir[256];
	char root[300];
	char backup[300];
	int encrypted;
	struct store *s;
	struct chunk_reader *r;
	uint8_t *out;
	struct chunk c[NCHUNKS];
};

/* ---- helpers ------------------------------------------------------- */

/* Deterministic pseudo-random bytes (xorshift), incompressible. */
static void
fill_random(uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 32);
	}
}

static void
fill_text(uint8_t *p, size_t len, unsigned seed)
{
	static const char words[] = "the quick brown fox jumps over the lazy "
	    "dog while qsarc stores deduplicated chunks ";

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)words[(i + seed) % (sizeof(words) - 1)];
}

static int
make_store(struct env *e, int encrypted, uint32_t container_size)
{

	e->encrypted = encrypted;
	if (test_store_create(e->root, e->backup, encrypted ? PASS : NULL,
	    PASSLEN, container_size, T0, &e->s) != QS_OK)
		return (-1);
	if (chunk_reader_new(e->s, &e->r) != QS_OK)
		return (-1);
	if ((e->out = malloc(RECORD_MAX_RAW)) == NULL)
		return (-1);
	return (0);
}

static int
setup_common(void **state, int encrypted, uint32_t container_size)
{
	struct env *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (-1);
	if (make_tmpdir(e->dir, sizeof(e->dir), "container") != 0) {
		free(e);
		return (-1);
	}
	snprintf(e->root, sizeof(e->root), "%s/store", e->dir);
	snprintf(e->backup, sizeof(e->backup), "%s/backup/keystore.qsk",
	    e->dir);
	*state = e;
	if (make_store(e, encrypted, container_size) != 0) {
		fprintf(stderr, "setup: %s\n", qs_error_message());
		return (-1);
	}
	return (0);
}

static int
setup_plain(void **state)
{

	return (setup_common(state, 0, 0));
}

static int
setup_encrypted(void **state)
{

	return (setup_common(state, 1, 0));
}

static int
setup_plain_small(void **state)
{

	return (setup_common(state, 0, 1U << 20));
}

static int
setup_encrypted_small(void **state)
{

	return (setup_common(state, 1, 1U << 20));
}

static int
teardown(void **state)
{
	struct env *e = *state;

	for (int i = 0; i < NCHUNKS; i++)
		free(e->c[i].data);
	free(e->out);
	chunk_reader_free(e->r);
	store_close(e->s);
	rm_tree(e->dir);
	free(e);
	return (0);
}

/*
 * Write NCHUNKS chunks into one container: empty, 1 byte, compressible
 * text, random 100000 bytes, compressible 1 MiB - 1, random 333 bytes.
 */
/*
 * Records of an encrypted writer are placed when their container is
 * committed: the locations append returned are updated from relocate.
 */
static struct {
	const uint8_t *id;
	struct chunk_loc *loc;
} trk[64];
static size_t ntrk;

static void
track(const uint8_t *id, struct chunk_loc *loc)
{

	assert_true(ntrk < sizeof(trk) / sizeof(trk[0]));
	trk[ntrk].id = id;
	trk[ntrk++].loc = loc;
}

static int
test_relocate(void *ctx, const uint8_t id[32], const struct chunk_loc *loc)
{

	(void)ctx;
	for (size_t i = 0; i < ntrk; i++) {
		if (memcmp(trk[i].id, id, 32) == 0 &&
		    trk[i].loc->container_id == loc->container_id) {
			*trk[i].loc = *loc;
			return (QS_OK);
		}
	}
	fail_msg("relocate: unknown record");
	return (QS_EINVAL);
}

static void
writer_new(struct store *s, uint16_t key_id, const uint8_t *key,
    struct container_writer **cwp)
{

	assert_int_equal(container_writer_new(s, key_id, key, cwp), QS_OK);
	container_writer_set_relocate(*cwp, test_relocate, NULL);
	ntrk = 0;
}

static void
write_chunks(struct env *e)
{
	static const size_t sizes[NCHUNKS] = { 0, 1, 5000, 100000,
	    (1U << 20) - 1, 333 };
	struct container_writer *cw;
	struct chunk_compressor *cc;
	const uint8_t *key, *idkey;
	uint16_t key_id;
	uint8_t *cbuf;
	size_t clen, bound;

	store_write_keys(e->s, &key_id, &key, &idkey);
	assert_int_equal(key_id != 0, e->encrypted);
	writer_new(e->s, key_id, key, &cw);
	assert_int_equal(chunk_compressor_new(3, &cc), QS_OK);
	bound = chunk_compressor_bound(1U << 20);
	assert_non_null(cbuf = malloc(bound));
	for (int i = 0; i < NCHUNKS; i++) {
		struct chunk *c = &e->c[i];

		c->len = sizes[i];
		assert_non_null(c->data = malloc(c->len + 1));
		if (i == 2 || i == 4)
			fill_text(c->data, c->len, (unsigned)i);
		else
			fill_random(c->data, c->len, (uint64_t)i + 100);
		chunkid_compute(idkey, c->data, c->len, c->id);
		assert_int_equal(chunk_compressor_run(cc, c->data, c->len, cbuf,
		    bound, &clen, &c->flags), QS_OK);
		c->clen = clen;
		assert_int_equal(container_writer_append(cw, c->id,
		    (uint32_t)c->len, c->flags, cbuf, clen, &c->loc), QS_OK);
		track(c->id, &c->loc);
		assert_int_equal(container_writer_pending(cw), 1);
	}
	assert_int_equal(e->c[2].flags, RECORD_FLAG_ZSTD);
	assert_int_equal(e->c[3].flags, 0);
	assert_int_equal(container_writer_finish(cw), QS_OK);
	assert_int_equal(container_writer_pending(cw), 0);
	/* Finishing twice is harmless. */
	assert_int_equal(container_writer_finish(cw), QS_OK);
	free(cbuf);
	chunk_compressor_free(cc);
	container_writer_free(cw);
}

static void
read_ok(struct env *e, int i)
{
	size_t outlen = 12345;
	int rc;

	rc = chunk_reader_read(e->r, e->c[i].id, &e->c[i].loc, e->out,
	    RECORD_MAX_RAW, &outlen);
	if (rc != QS_OK)
		fail_msg("chunk %d: %s", i, qs_error_message());
	assert_int_equal(outlen, e->c[i].len);
	if (outlen > 0)
		assert_memory_equal(e->out, e->c[i].data, outlen);
}

static int
read_rc(struct env *e, const uint8_t *id, const struct chunk_loc *loc)
{
	size_t outlen = 0;

	qs_error_clear();
	return (chunk_reader_read(e->r, id, loc, e->out, RECORD_MAX_RAW, &outlen));
}

static void
cpath(const struct env *e, uint64_t cid, char *buf, size_t len)
{

	assert_int_equal(store_container_path(e->root, cid, buf, len), QS_OK);
}

/* XOR ${mask} into the byte at ${off} of container ${cid}, in place. */
static void
poke(const struct env *e, uint64_t cid, uint64_t off, uint8_t mask)
{
	char path[1024];
	uint8_t b;
	int fd;

	cpath(e, cid, path, sizeof(path));
	assert_int_equal(chmod(path, 0644), 0);
	assert_true((fd = open(path, O_RDWR)) >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= mask;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

/* Check the container's header and trailer against what was written. */
static void
check_container_file(const struct env *e, uint64_t cid, int first,
    int count)
{
	struct container_header h;
	struct container_trailer t;
	struct checksum_state st;
	struct record_header rh;
	uint8_t sum[32];
	char path[1024];
	uint8_t *buf;
	size_t len;
	uint64_t raw = 0, pos = CONTAINER_HEADER_SIZE;

	cpath(e, cid, path, sizeof(path));
	buf = read_file(path, &len);
	assert_int_equal(container_fmt_header_decode(buf, len, &h), QS_OK);
	assert_memory_equal(h.store_id, store_config(e->s)->store_id, 16);
	assert_true(h.container_id == cid);
	assert_true(len >= CONTAINER_HEADER_SIZE + CONTAINER_TRAILER_SIZE);
	assert_int_equal(container_fmt_trailer_decode(buf + len -
	    CONTAINER_TRAILER_SIZE, CONTAINER_TRAILER_SIZE, &t), QS_OK);
	assert_int_equal(t.record_count, count);
	assert_true(t.records_end == len - CONTAINER_TRAILER_SIZE);
	checksum_init(&st);
	/*
	 * Plain containers hold the records in the order written; sealed
	 * ones (version 2) in a random order, lengths and flags inside.
	 */
	assert_int_equal(h.version, e->encrypted ? CONTAINER_VERSION_SEALED :
	    CONTAINER_VERSION);
	for (int k = 0; k < count; k++) {
		int i = first + k;

		if (e->encrypted) {
			for (i = first; i < first + count; i++)
				if (e->c[i].loc.offset == pos)
					break;
			assert_true(i < first + count);
		}
		assert_true(e->c[i].loc.container_id == cid);
		assert_true(e->c[i].loc.offset == pos);
		assert_int_equal(container_fmt_record_decode(buf + pos, len - pos,
		    &rh), QS_OK);
		assert_memory_equal(rh.chunk_id, e->c[i].id, 32);
		if (e->encrypted) {
			assert_int_equal(rh.raw_len, 0);
			assert_int_equal(rh.flags, RECORD_FLAG_SEALED);
			assert_int_equal(rh.stored_len, container_fmt_padme(
			    RECORD_INNER_SIZE + (uint32_t)e->c[i].clen) + 16);
		} else {
			assert_int_equal(rh.raw_len, e->c[i].len);
			assert_int_equal(rh.flags, e->c[i].flags);
		}
		assert_int_equal(rh.key_id != 0, e->encrypted);
		assert_int_equal(RECORD_HEADER_SIZE + rh.stored_len,
		    e->c[i].loc.length);
		checksum_update(&st, buf + pos, RECORD_HEADER_SIZE);
		raw += rh.raw_len;
		pos += e->c[i].loc.length;
	}
	checksum_final(&st, sum);
	assert_true(pos == t.records_end);
	assert_true(t.raw_bytes == raw);
	assert_memory_equal(t.headers_hash, sum, 32);
	free(buf);
}

/* ---- tests --------------------------------------------------------- */

static void
test_roundtrip(void **state)
{
	struct env *e = *state;
	char path[1024];
	struct stat st;

	write_chunks(e);
	for (int i = 0; i < NCHUNKS; i++) {
		assert_true(e->c[i].loc.container_id ==
		    e->c[0].loc.container_id);
		read_ok(e, i);
	}
	/* Reading again (cached descriptor) and in reverse order. */
	for (int i = NCHUNKS - 1; i >= 0; i--)
		read_ok(e, i);
	assert_true(chunk_reader_bytes(e->r) > 0);
	check_container_file(e, e->c[0].loc.container_id, 0, NCHUNKS);
	/* Containers are read-only once committed. */
	cpath(e, e->c[0].loc.container_id, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0222, 0);
}

static void
test_many_containers(void **state)
{
	struct env *e = *state;
	struct container_writer *cw;
	const uint8_t *key, *idkey;
	uint16_t key_id;
	enum { N = 40, SZ = 100000 };
	uint8_t (*ids)[32];
	struct chunk_loc *locs;
	uint8_t *data;
	uint64_t prev = 0;
	int containers = 0;
	size_t outlen;

	/* 1 MiB containers: 40 x 100 kB records need at least 4. */
	assert_int_equal(store_config(e->s)->container_size, 1U << 20);
	store_write_keys(e->s, &key_id, &key, &idkey);
	writer_new(e->s, key_id, key, &cw);
	assert_non_null(ids = malloc(N * sizeof(*ids)));
	assert_non_null(locs = malloc(N * sizeof(*locs)));
	assert_non_null(data = malloc(SZ));
	for (int i = 0; i < N; i++) {
		fill_random(data, SZ, (uint64_t)i);
		chunkid_compute(idkey, data, SZ, ids[i]);
		assert_int_equal(container_writer_append(cw, ids[i], SZ, 0,
		    data, SZ, &locs[i]), QS_OK);
		track(ids[i], &locs[i]);
		if (locs[i].container_id != prev)
			containers++;
		prev = locs[i].container_id;
		/* No container outgrows the target size. */
		assert_true(locs[i].offset + locs[i].length +
		    CONTAINER_TRAILER_SIZE <= (1U << 20));
	}
	assert_true(containers >= 4);
	assert_int_equal(container_writer_finish(cw), QS_OK);
	assert_true(container_writer_stored_bytes(cw) >= (uint64_t)N * SZ);
	container_writer_free(cw);
	for (int i = 0; i < N; i++) {
		fill_random(data, SZ, (uint64_t)i);
		assert_int_equal(chunk_reader_read(e->r, ids[i], &locs[i], e->out,
		    RECORD_MAX_RAW, &outlen), QS_OK);
		assert_int_equal(outlen, SZ);
		assert_memory_equal(e->out, data, SZ);
	}
	free(ids);
	free(locs);
	free(data);
}

static void
test_abandoned_writer(void **state)
{
	struct env *e = *state;
	struct container_writer *cw;
	const uint8_t *key, *idkey;
	uint16_t key_id;
	struct chunk_loc loc;
	uint8_t id[32];
	char path[1024], dir[1024];
	DIR *d;
	struct dirent *de;
	int entries = 0;

	store_write_keys(e->s, &key_id, &key, &idkey);
	writer_new(e->s, key_id, key, &cw);
	chunkid_compute(idkey, (const uint8_t *)"abc", 3, id);
	assert_int_equal(container_writer_append(cw, id, 3, 0,
	    (const uint8_t *)"abc", 3, &loc), QS_OK);
	cpath(e, loc.container_id, path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
	container_writer_free(cw);
	container_writer_free(NULL);
	/* Nothing left: neither the container nor its temporary file. */
	assert_int_equal(access(path, F_OK), -1);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' || fileio_is_tmp_name(de->d_name))
			entries++;
	closedir(d);
	assert_int_equal(entries, 0);
	assert_int_equal(read_rc(e, id, &loc), QS_ECORRUPT);
}

static void
test_bad_locations(void **state)
{
	struct env *e = *state;
	struct chunk_loc loc;
	size_t outlen;

	write_chunks(e);
	/* Wrong lengths. */
	for (int i = 1; i < NCHUNKS; i++) {
		static const int64_t deltas[] = { -1, 1, -16, 16, -80 };

		for (size_t j = 0; j < sizeof(deltas) / sizeof(deltas[0]);
		    j++) {
			loc = e->c[i].loc;
			loc.length = (uint32_t)((int64_t)loc.length +
			    deltas[j]);
			assert_int_equal(read_rc(e, e->c[i].id, &loc),
			    QS_ECORRUPT);
		}
	}
	loc = e->c[3].loc;
	loc.length = RECORD_HEADER_SIZE - 1;
	assert_int_equal(read_rc(e, e->c[3].id, &loc), QS_ECORRUPT);
	loc.length = 0;
	assert_int_equal(read_rc(e, e->c[3].id, &loc), QS_ECORRUPT);
	loc.length = RECORD_HEADER_SIZE + RECORD_MAX_STORED + 1;
	assert_int_equal(read_rc(e, e->c[3].id, &loc), QS_ECORRUPT);
	loc.length = 0xffffffffU;
	assert_int_equal(read_rc(e, e->c[3].id, &loc), QS_ECORRUPT);
	/* Offsets inside the header, past the end, or mid-record. */
	for (uint32_t off = 0; off < CONTAINER_HEADER_SIZE; off += 7) {
		loc = e->c[1].loc;
		loc.offset = off;
		assert_int_equal(read_rc(e, e->c[1].id, &loc), QS_ECORRUPT);
	}
	loc = e->c[1].loc;
	loc.offset += 1;
	assert_int_equal(read_rc(e, e->c[1].id, &loc), QS_ECORRUPT);
	loc.offset = 0xfffffff0U;
	assert_int_equal(read_rc(e, e->c[1].id, &loc), QS_ECORRUPT);
	/* The index naming a different chunk than the record holds. */
	loc = e->c[1].loc;
	assert_int_equal(read_rc(e, e->c[5].id, &loc), QS_ECORRUPT);
	assert_non_null(strstr(qs_error_message(), "different chunk"));
	/* Another container id: missing file. */
	loc = e->c[1].loc;
	loc.container_id ^= 1;
	assert_int_equal(read_rc(e, e->c[1].id, &loc), QS_ECORRUPT);
	/* A caller buffer smaller than the chunk is refused, not overrun. */
	assert_int_equal(chunk_reader_read(e->r, e->c[3].id, &e->c[3].loc, e->out,
	    e->c[3].len - 1, &outlen), QS_ECORRUPT);
	/* After all that, the good locations still read. */
	for (int i = 0; i < NCHUNKS; i++)
		read_ok(e, i);
}

/*
 * XOR ${mask} into byte ${rel} of record ${i}; expect ${want}.  With
 * ${want} == QS_OK, either QS_ECORRUPT or the exact original chunk is
 * fine (a bit zstd never reads: the chunk id proves the content intact).
 */
static void
damage_mask(struct env *e, int i, uint32_t rel, uint8_t mask, int want,
    const char *what)
{
	const struct chunk_loc *loc = &e->c[i].loc;
	size_t outlen = 0;
	int rc;

	poke(e, loc->container_id, loc->offset + rel, mask);
	qs_error_clear();
	rc = chunk_reader_read(e->r, e->c[i].id, loc, e->out, RECORD_MAX_RAW,
	    &outlen);
	if (want == QS_OK && rc == QS_OK) {
		assert_int_equal(outlen, e->c[i].len);
		assert_memory_equal(e->out, e->c[i].data, outlen);
		poke(e, loc->container_id, loc->offset + rel, mask);
		return;
	}
	if (want == QS_OK)
		want = QS_ECORRUPT;
	if (rc != want)
		fail_msg("%s (chunk %d, byte %u): got %d (%s), expected %d",
		    what, i, rel, rc, qs_error_message(), want);
	/* The detail names the container file and the offset. */
	if (strstr(qs_error_message(), ".qsc") == NULL)
		fail_msg("%s: detail \"%s\" does not name the container",
		    what, qs_error_message());
	poke(e, loc->container_id, loc->offset + rel, mask);
	read_ok(e, i);
}

static void
damage_expect(struct env *e, int i, uint32_t rel, int want,
    const char *what)
{

	damage_mask(e, i, rel, 0x01, want, what);
}

static void
test_damage_plain(void **state)
{
	struct env *e = *state;

	write_chunks(e);
	for (int i = 1; i < NCHUNKS; i++) {
		uint32_t plen = e->c[i].loc.length - RECORD_HEADER_SIZE;

		/* Payload: every byte of small ones, else a sample. */
		for (uint32_t j = 0; j < plen; j += plen < 400 ? 1 : 97)
			damage_expect(e, i, RECORD_HEADER_SIZE + j,
			    e->c[i].flags ? QS_OK : QS_ECORRUPT, "payload");
		damage_expect(e, i, RECORD_HEADER_SIZE + plen - 1,
		    e->c[i].flags ? QS_OK : QS_ECORRUPT, "payload");
		/* Header: magic, chunk id, reserved, raw_len, flags. */
		damage_expect(e, i, 0, QS_ECORRUPT, "magic");
		damage_expect(e, i, 20, QS_ECORRUPT, "chunk id");
		damage_expect(e, i, 75, QS_ECORRUPT, "reserved");
		damage_expect(e, i, 8, QS_ECORRUPT, "raw_len");
		damage_expect(e, i, 5, QS_ECORRUPT, "flags");
		damage_expect(e, i, 60, QS_ECORRUPT, "nonce of a plain record");
		/* Key id 0 -> 1: no such key in a plain store. */
		damage_expect(e, i, 6, QS_EAUTH, "key id");
	}
}

static void
test_damage_encrypted(void **state)
{
	struct env *e = *state;
	const uint8_t *key, *idkey;
	uint16_t key_id;

	write_chunks(e);
	store_write_keys(e->s, &key_id, &key, &idkey);
	for (int i = 0; i < NCHUNKS; i++) {
		uint32_t plen = e->c[i].loc.length - RECORD_HEADER_SIZE;

		/* Ciphertext and tag (the last 16 bytes). */
		if (plen > 16) {
			damage_expect(e, i, RECORD_HEADER_SIZE, QS_EAUTH,
			    "ciphertext");
			damage_expect(e, i, RECORD_HEADER_SIZE + plen / 2,
			    QS_EAUTH, "ciphertext");
		}
		damage_expect(e, i, RECORD_HEADER_SIZE + plen - 1, QS_EAUTH,
		    "tag");
		damage_expect(e, i, RECORD_HEADER_SIZE + plen - 16, QS_EAUTH,
		    "tag");
		/* Header fields in the AD, and the nonce. */
		damage_mask(e, i, 6, 0x02, QS_EAUTH, "key id low byte");
		damage_expect(e, i, 7, QS_EAUTH, "key id high byte");
		/* Key id 1 -> 0: a "plain" record with a nonce. */
		assert_int_equal(key_id, 1);
		damage_expect(e, i, 6, QS_ECORRUPT, "key id to 0");
		/* Version 2: no flag but SEALED, raw_len 0 in the clear. */
		damage_expect(e, i, 5, QS_ECORRUPT, "zstd flag");
		damage_expect(e, i, 8, QS_ECORRUPT, "raw_len");
		/* Clearing SEALED (a version 1 reading) fails the AD. */
		damage_mask(e, i, 5, RECORD_FLAG_SEALED, QS_EAUTH,
		    "sealed flag");
		damage_expect(e, i, 48, QS_EAUTH, "nonce first byte");
		damage_expect(e, i, 71, QS_EAUTH, "nonce last byte");
		/* Chunk id and stored_len disagree with the index first. */
		damage_expect(e, i, 47, QS_ECORRUPT, "chunk id");
		damage_expect(e, i, 12, QS_ECORRUPT, "stored_len");
		damage_expect(e, i, 79, QS_ECORRUPT, "reserved");
	}
}

/* Copy ${len} bytes between container files (or within one). */
static void
copy_bytes(const struct env *e, uint64_t from_cid, uint64_t from_off,
    uint64_t to_cid, uint64_t to_off, size_t len)
{
	char from[1024], to[1024];
	uint8_t *buf;
	int fd;

	cpath(e, from_cid, from, sizeof(from));
	cpath(e, to_cid, to, sizeof(to));
	assert_non_null(buf = malloc(len));
	assert_true((fd = open(from, O_RDONLY)) >= 0);
	assert_int_equal(fileio_pread_full(fd, buf, len, from_off, from),
	    QS_OK);
	close(fd);
	assert_int_equal(chmod(to, 0644), 0);
	assert_true((fd = open(to, O_RDWR)) >= 0);
	assert_true(pwrite(fd, buf, len, (off_t)to_off) == (ssize_t)len);
	close(fd);
	free(buf);
}

/*
 * Two containers with records of equal size; the record of one copied over
 * a record at another offset of the other, the index entry fixed up to
 * point to it.  Sealed: QS_EAUTH.  Plain: reads back (no binding).
 */
static void
relocate_check(struct env *e, int want)
{
	struct container_writer *cw;
	const uint8_t *key, *idkey;
	uint16_t key_id;
	uint8_t data[4][4000], ids[4][32];
	struct chunk_loc locs[4], loc;
	size_t outlen;

	store_write_keys(e->s, &key_id, &key, &idkey);
	for (int i = 0; i < 4; i++) {
		fill_random(data[i], sizeof(data[i]), (uint64_t)i + 7);
		chunkid_compute(idkey, data[i], sizeof(data[i]), ids[i]);
	}
	/* Container A: chunk 0, chunk 1.  Container B: chunk 2, chunk 3. */
	writer_new(e->s, key_id, key, &cw);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(container_writer_append(cw, ids[i],
		    sizeof(data[i]), 0, data[i], sizeof(data[i]), &locs[i]),
		    QS_OK);
		track(ids[i], &locs[i]);
		if (i == 1)
			assert_int_equal(container_writer_finish(cw), QS_OK);
	}
	assert_int_equal(container_writer_finish(cw), QS_OK);
	container_writer_free(cw);
	assert_true(locs[0].container_id == locs[1].container_id);
	assert_true(locs[2].container_id == locs[3].container_id);
	assert_true(locs[0].container_id != locs[2].container_id);
	assert_int_equal(locs[0].length, locs[3].length);
	/* Sealed records are shuffled: the offsets may then coincide. */
	assert_true(locs[0].offset != locs[3].offset || key_id != 0);

	/* Chunk 0 over chunk 3: other container, other offset. */
	copy_bytes(e, locs[0].container_id, locs[0].offset,
	    locs[3].container_id, locs[3].offset, locs[0].length);
	loc = locs[3];
	assert_int_equal(chunk_reader_read(e->r, ids[0], &loc, e->out,
	    RECORD_MAX_RAW, &outlen), want);
	if (want == QS_OK)
		assert_memory_equal(e->out, data[0], sizeof(data[0]));
	/* Chunk 1 over chunk 2: other container, other offset. */
	copy_bytes(e, locs[1].container_id, locs[1].offset,
	    locs[2].container_id, locs[2].offset, locs[1].length);
	assert_int_equal(chunk_reader_read(e->r, ids[1], &locs[2], e->out,
	    RECORD_MAX_RAW, &outlen), want);
	/* Chunk 0 over chunk 1 in its own container: other offset. */
	copy_bytes(e, locs[0].container_id, locs[0].offset,
	    locs[1].container_id, locs[1].offset, locs[0].length);
	assert_int_equal(chunk_reader_read(e->r, ids[0], &locs[1], e->out,
	    RECORD_MAX_RAW, &outlen), want);
	/* The originals in A still read. */
	assert_int_equal(chunk_reader_read(e->r, ids[0], &locs[0], e->out,
	    RECORD_MAX_RAW, &outlen), QS_OK);
}

static void
test_relocated_record_encrypted(void **state)
{

	relocate_check(*state, QS_EAUTH);
}

static void
test_relocated_record_plain(void **state)
{

	relocate_check(*state, QS_OK);
}

/*
 * A plain (key id 0) container dropped into a store that was encrypted
 * from its creation is refused (QS_EAUTH): no downgrade to unsealed data.
 */
static void
test_plain_record_in_encrypted_store(void **state)
{
	struct env *e = *state;
	struct env *p;
	char from[1024], to[1024], dir[1024];
	uint8_t *buf;
	size_t len;

	write_chunks(e);
	assert_non_null(p = calloc(1, sizeof(*p)));
	assert_true(strlen(e->dir) < 200);
	memcpy(p->dir, e->dir, strlen(e->dir));
	strcat(p->dir, "/plain");
	snprintf(p->root, sizeof(p->root), "%s/store", p->dir);
	assert_int_equal(mkdir(p->dir, 0700), 0);
	assert_int_equal(make_store(p, 0, 0), 0);
	write_chunks(p);
	/* Copy plain container 1 over encrypted container 1's file. */
	cpath(p, p->c[1].loc.container_id, from, sizeof(from));
	cpath(e, p->c[1].loc.container_id, to, sizeof(to));
	snprintf(dir, sizeof(dir), "%s", to);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(fileio_mkdir(dir, 0755), QS_OK);
	buf = read_file(from, &len);
	assert_int_equal(fileio_write_atomic(to, buf, len, 0444, 1), QS_OK);
	free(buf);
	assert_int_equal(read_rc(e, p->c[1].id, &p->c[1].loc), QS_EAUTH);
	for (int i = 0; i < NCHUNKS; i++)
		free(p->c[i].data);
	free(p->out);
	chunk_reader_free(p->r);
	store_close(p->s);
	free(p);
}

/* A record whose zstd flag lies about its payload. */
static void
test_flag_mismatch(void **state)
{
	struct env *e = *state;
	struct container_writer *cw;
	const uint8_t *key, *idkey;
	uint16_t key_id;
	uint8_t data[3000], id[32];
	struct chunk_loc loc;

	store_write_keys(e->s, &key_id, &key, &idkey);
	fill_random(data, sizeof(data), 1);
	chunkid_compute(idkey, data, sizeof(data), id);
	writer_new(e->s, key_id, key, &cw);
	/* Raw bytes labelled compressed. */
	assert_int_equal(container_writer_append(cw, id, sizeof(data),
	    RECORD_FLAG_ZSTD, data, sizeof(data), &loc), QS_OK);
	track(id, &loc);
	assert_int_equal(container_writer_finish(cw), QS_OK);
	container_writer_free(cw);
	assert_int_equal(read_rc(e, id, &loc), QS_ECORRUPT);
}

static void
test_compress(void **state)
{
	struct chunk_compressor *cc;
	uint8_t *in, *out;
	size_t n = 200000, outlen, bound;
	uint8_t flags;

	(void)state;
	bound = chunk_compressor_bound(n);
	assert_true(bound >= n);
	assert_non_null(in = malloc(n));
	assert_non_null(out = malloc(bound));
	assert_int_equal(chunk_compressor_new(3, &cc), QS_OK);
	/* Incompressible: stored raw, flags 0, byte for byte. */
	fill_random(in, n, 42);
	flags = 0xee;
	assert_int_equal(chunk_compressor_run(cc, in, n, out, bound, &outlen,
	    &flags), QS_OK);
	assert_int_equal(flags, 0);
	assert_int_equal(outlen, n);
	assert_memory_equal(out, in, n);
	/* Compressible: RECORD_FLAG_ZSTD and smaller. */
	fill_text(in, n, 0);
	assert_int_equal(chunk_compressor_run(cc, in, n, out, bound, &outlen,
	    &flags), QS_OK);
	assert_int_equal(flags, RECORD_FLAG_ZSTD);
	assert_true(outlen < n / 10);
	/* Tiny and empty inputs do not shrink: raw. */
	assert_int_equal(chunk_compressor_run(cc, in, 1, out, bound, &outlen,
	    &flags), QS_OK);
	assert_int_equal(flags, 0);
	assert_int_equal(outlen, 1);
	assert_int_equal(chunk_compressor_run(cc, in, 0, out, bound, &outlen,
	    &flags), QS_OK);
	assert_int_equal(flags, 0);
	assert_int_equal(outlen, 0);
	chunk_compressor_free(cc);
	chunk_compressor_free(NULL);
	free(in);
	free(out);
}

/*
 * A writer fault: chunk 0's content sealed under another chunk's id.  The
 * default reader recomputes the id and refuses it; a reader that trusts
 * the seal (get) returns what was sealed in an encrypted store, and still
 * refuses it in a plain store, whose records carry no tag.  Any change by
 * someone without the key still fails the tag (test_damage_encrypted).
 */
static void
test_trust_aead(void **state)
{
	struct env *e = *state;
	struct container_writer *cw;
	struct chunk_reader *trusting;
	struct chunk_loc loc;
	const uint8_t *key, *idkey;
	uint8_t data[3000], wrong[32];
	uint16_t key_id;
	size_t outlen = 0;
	int rc;

	fill_random(data, sizeof(data), 77);
	store_write_keys(e->s, &key_id, &key, &idkey);
	memset(wrong, 0xa5, sizeof(wrong));
	writer_new(e->s, key_id, key, &cw);
	assert_int_equal(container_writer_append(cw, wrong, sizeof(data), 0,
	    data, sizeof(data), &loc), QS_OK);
	track(wrong, &loc);
	assert_int_equal(container_writer_finish(cw), QS_OK);
	container_writer_free(cw);

	qs_error_clear();
	assert_int_equal(chunk_reader_read(e->r, wrong, &loc, e->out,
	    RECORD_MAX_RAW, &outlen), QS_ECORRUPT);
	assert_non_null(strstr(qs_error_message(), "does not match its id"));

	assert_int_equal(chunk_reader_new(e->s, &trusting), QS_OK);
	chunk_reader_trust_aead(trusting);
	rc = chunk_reader_read(trusting, wrong, &loc, e->out, RECORD_MAX_RAW,
	    &outlen);
	if (e->encrypted) {
		assert_int_equal(rc, QS_OK);
		assert_int_equal(outlen, sizeof(data));
		assert_memory_equal(e->out, data, sizeof(data));
		/* A flipped payload byte still fails the tag. */
		poke(e, loc.container_id, loc.offset + loc.length - 1, 0x01);
		assert_int_equal(chunk_reader_read(trusting, wrong, &loc,
		    e->out, RECORD_MAX_RAW, &outlen), QS_EAUTH);
	} else {
		assert_int_equal(rc, QS_ECORRUPT);
	}
	chunk_reader_free(trusting);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup_plain,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trust_aead, setup_plain,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trust_aead,
		    setup_encrypted, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip,
		    setup_encrypted, teardown),
		cmocka_unit_test_setup_teardown(test_many_containers,
		    setup_plain_small, teardown),
		cmocka_unit_test_setup_teardown(test_many_containers,
		    setup_encrypted_small, teardown),
		cmocka_unit_test_setup_teardown(test_abandoned_writer,
		    setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_bad_locations,
		    setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_bad_locations,
		    setup_encrypted, teardown),
		cmocka_unit_test_setup_teardown(test_damage_plain,
		    setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_damage_encrypted,
		    setup_encrypted, teardown),
		cmocka_unit_test_setup_teardown(
		    test_relocated_record_encrypted, setup_encrypted, teardown),
		cmocka_unit_test_setup_teardown(test_relocated_record_plain,
		    setup_plain, teardown),
		cmocka_unit_test_setup_teardown(
		    test_plain_record_in_encrypted_store, setup_encrypted,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flag_mismatch,
		    setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_flag_mismatch,
		    setup_encrypted, teardown),
		cmocka_unit_test(test_compress),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
