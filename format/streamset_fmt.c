/*
 * Byte layout of the stream set and its generation record
 * (spec/FORMAT.md 14, "The stream set").  All integers little-endian.
 */

#include <stdlib.h>
#include <string.h>

#include "format/endian.h"
#include "format/qs_err.h"
#include "format/streamset_fmt.h"

static const uint8_t set_magic[8] = { 'Q', 'S', 'S', 'T', 'S', 'E', 'T',
    '1' };
static const uint8_t rec_magic[8] = { 'Q', 'S', 'S', 'T', 'G', 'E', 'N',
    '1' };

struct set_header {
	uint8_t magic[8];
	uint8_t version[4];
	uint8_t flags[4];
	uint8_t store_id[16];
	uint8_t generation[8];
	uint8_t count[4];
	uint8_t reserved[4];
};
_Static_assert(sizeof(struct set_header) == STREAMSET_HEADER_SIZE,
    "set header size");

struct set_entry {
	uint8_t name_len;
	uint8_t state;
	uint8_t old_state;
	uint8_t flags;
	uint8_t file_id[16];
	uint8_t old_file_id[16];
};
_Static_assert(sizeof(struct set_entry) == STREAMSET_ENTRY_FIXED,
    "set entry size");

struct set_record {
	uint8_t magic[8];
	uint8_t version[4];
	uint8_t reserved0[4];
	uint8_t store_id[16];
	uint8_t generation[8];
	uint8_t set_hash[32];
	uint8_t reserved1[8];
};
_Static_assert(sizeof(struct set_record) == STREAMSET_RECORD_SIZE,
    "set record size");

static int
state_ok(uint8_t st)
{

	return (st <= STREAMSET_EXPIRED);
}

/**
 * streamset_fmt_decode(buf, len, set):
 * Decode a set file (trailer not checked).
 */
int
streamset_fmt_decode(const uint8_t *buf, size_t len, struct streamset *set)
{
	struct set_header h;
	struct set_entry fe;
	struct streamset_entry e;
	size_t off, count;
	int rc;

	memset(set, 0, sizeof(*set));
	if (len < STREAMSET_HEADER_SIZE + STREAMSET_TRAILER_SIZE)
		return (qs_error_set(QS_ECORRUPT, "truncated (%zu bytes)",
		    len));
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, set_magic, 8) != 0)
		return (qs_error_set(QS_ECORRUPT, "not a stream set (bad "
		    "magic)"));
	if (le32dec(h.version) != STREAMSET_VERSION)
		return (qs_error_set(QS_EVERSION, "stream set version %u is "
		    "not known to this qsarc", le32dec(h.version)));
	if ((le32dec(h.flags) & ~(uint32_t)STREAMSET_FLAG_KEYED) != 0 ||
	    !bytes_zero(h.reserved, sizeof(h.reserved)))
		return (qs_error_set(QS_EVERSION, "stream set has unknown "
		    "flags 0x%x", le32dec(h.flags)));
	count = le32dec(h.count);
	if (count > STREAMSET_MAX_ENTRIES)
		return (qs_error_set(QS_ECORRUPT, "%zu entries (limit %u)",
		    count, STREAMSET_MAX_ENTRIES));
	memcpy(set->store_id, h.store_id, 16);
	set->flags = le32dec(h.flags);
	set->generation = le64dec(h.generation);
	off = STREAMSET_HEADER_SIZE;
	for (size_t i = 0; i < count; i++) {
		if (len - STREAMSET_TRAILER_SIZE - off < sizeof(fe)) {
			rc = qs_error_set(QS_ECORRUPT, "entry %zu truncated",
			    i);
			goto err;
		}
		memcpy(&fe, buf + off, sizeof(fe));
		off += sizeof(fe);
		if (fe.name_len == 0 || fe.name_len > STREAMSET_NAME_MAX ||
		    len - STREAMSET_TRAILER_SIZE - off < fe.name_len ||
		    !state_ok(fe.state) || !state_ok(fe.old_state) ||
		    (fe.flags & ~STREAMSET_ENTRY_PENDING) != 0 ||
		    (fe.state == STREAMSET_ABSENT &&
		    !(fe.flags & STREAMSET_ENTRY_PENDING)) ||
		    memchr(buf + off, '\0', fe.name_len) != NULL) {
			rc = qs_error_set(QS_ECORRUPT, "entry %zu is "
			    "malformed", i);
			goto err;
		}
		memset(&e, 0, sizeof(e));
		memcpy(e.name, buf + off, fe.name_len);
		off += fe.name_len;
		e.state = fe.state;
		e.old_state = fe.old_state;
		e.flags = fe.flags;
		memcpy(e.file_id, fe.file_id, 16);
		memcpy(e.old_file_id, fe.old_file_id, 16);
		if (set->count > 0 &&
		    strcmp(set->e[set->count - 1].name, e.name) >= 0) {
			rc = qs_error_set(QS_ECORRUPT, "entry %zu out of "
			    "order", i);
			goto err;
		}
		if ((rc = streamset_fmt_put(set, &e)) != QS_OK)
			goto err;
	}
	if (off != len - STREAMSET_TRAILER_SIZE) {
		rc = qs_error_set(QS_ECORRUPT, "%zu bytes after the last "
		    "entry", len - STREAMSET_TRAILER_SIZE - off);
		goto err;
	}
	return (QS_OK);

err:
	streamset_fmt_clear(set);
	return (rc);
}

/**
 * streamset_fmt_encode(set, buf, len):
 * Encode ${set} with a zero trailer.
 */
int
streamset_fmt_encode(const struct streamset *set, uint8_t **bufp,
    size_t *lenp)
{
	struct set_header h;
	struct set_entry fe;
	uint8_t *buf;
	size_t len = STREAMSET_HEADER_SIZE + STREAMSET_TRAILER_SIZE, off;

	for (size_t i = 0; i < set->count; i++)
		len += STREAMSET_ENTRY_FIXED + strlen(set->e[i].name);
	if ((buf = calloc(1, len)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, set_magic, 8);
	le32enc(h.version, STREAMSET_VERSION);
	le32enc(h.flags, set->flags);
	memcpy(h.store_id, set->store_id, 16);
	le64enc(h.generation, set->generation);
	le32enc(h.count, (uint32_t)set->count);
	memcpy(buf, &h, sizeof(h));
	off = sizeof(h);
	for (size_t i = 0; i < set->count; i++) {
		const struct streamset_entry *e = &set->e[i];

		fe.name_len = (uint8_t)strlen(e->name);
		fe.state = e->state;
		fe.old_state = e->old_state;
		fe.flags = e->flags;
		memcpy(fe.file_id, e->file_id, 16);
		memcpy(fe.old_file_id, e->old_file_id, 16);
		memcpy(buf + off, &fe, sizeof(fe));
		off += sizeof(fe);
		memcpy(buf + off, e->name, fe.name_len);
		off += fe.name_len;
	}
	*bufp = buf;
	*lenp = len;
	return (QS_OK);
}

/**
 * streamset_fmt_find(set, name):
 * Binary search for ${name}.
 */
long
streamset_fmt_find(const struct streamset *set, const char *name)
{
	size_t lo = 0, hi = set->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(set->e[mid].name, name);

		if (c == 0)
			return ((long)mid);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (-1);
}

/**
 * streamset_fmt_put(set, e):
 * Insert or replace ${e}.
 */
int
streamset_fmt_put(struct streamset *set, const struct streamset_entry *e)
{
	struct streamset_entry *ne;
	size_t pos = 0;
	long i;

	if ((i = streamset_fmt_find(set, e->name)) >= 0) {
		set->e[i] = *e;
		return (QS_OK);
	}
	if (set->count == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;

		if ((ne = realloc(set->e, cap * sizeof(*ne))) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		set->e = ne;
		set->cap = cap;
	}
	/* Usually appended (names arrive in order). */
	pos = set->count;
	while (pos > 0 && strcmp(set->e[pos - 1].name, e->name) > 0)
		pos--;
	memmove(&set->e[pos + 1], &set->e[pos],
	    (set->count - pos) * sizeof(*ne));
	set->e[pos] = *e;
	set->count++;
	return (QS_OK);
}

/**
 * streamset_fmt_remove(set, i):
 * Remove entry ${i}.
 */
void
streamset_fmt_remove(struct streamset *set, size_t i)
{

	memmove(&set->e[i], &set->e[i + 1],
	    (set->count - i - 1) * sizeof(set->e[0]));
	set->count--;
}

/**
 * streamset_fmt_clear(set):
 * Free and zero ${set}.
 */
void
streamset_fmt_clear(struct streamset *set)
{

	free(set->e);
	memset(set, 0, sizeof(*set));
}

/**
 * streamset_fmt_record_encode(r, buf):
 * Encode a generation record.
 */
void
streamset_fmt_record_encode(const struct streamset_record *r,
    uint8_t buf[STREAMSET_RECORD_SIZE])
{
	struct set_record fr;

	memset(&fr, 0, sizeof(fr));
	memcpy(fr.magic, rec_magic, 8);
	le32enc(fr.version, STREAMSET_RECORD_VERSION);
	memcpy(fr.store_id, r->store_id, 16);
	le64enc(fr.generation, r->generation);
	memcpy(fr.set_hash, r->set_hash, 32);
	memcpy(buf, &fr, sizeof(fr));
}

/**
 * streamset_fmt_record_decode(buf, len, r):
 * Decode a generation record.
 */
int
streamset_fmt_record_decode(const uint8_t *buf, size_t len,
    struct streamset_record *r)
{
	struct set_record fr;

	if (len != STREAMSET_RECORD_SIZE)
		return (qs_error_set(QS_ECORRUPT, "%zu bytes, not %u", len,
		    STREAMSET_RECORD_SIZE));
	memcpy(&fr, buf, sizeof(fr));
	if (memcmp(fr.magic, rec_magic, 8) != 0)
		return (qs_error_set(QS_ECORRUPT, "bad magic"));
	if (le32dec(fr.version) != STREAMSET_RECORD_VERSION ||
	    !bytes_zero(fr.reserved0, 4) || !bytes_zero(fr.reserved1, 8))
		return (qs_error_set(QS_EVERSION, "record version %u is not "
		    "known to this qsarc", le32dec(fr.version)));
	memcpy(r->store_id, fr.store_id, 16);
	r->generation = le64dec(fr.generation);
	memcpy(r->set_hash, fr.set_hash, 32);
	return (QS_OK);
}
