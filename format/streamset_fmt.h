#ifndef QS_STREAMSET_FMT_H
#define QS_STREAMSET_FMT_H

/*
 * The stream set record, "STORE/streamset", and its generation record
 * outside the store, "BACKUP.streams" (next to the backup keystore copy).
 * Byte layouts in spec/FORMAT.md 14.  This module encodes and
 * decodes them; the trailer (a MAC in an encrypted store, BLAKE2b-256 in a
 * plain one) is computed and checked by index/store/store_streamset.c.
 *
 * Set:    header (48) | entry | entry | ... | trailer[32]
 * Entry:  name_len u8 | state u8 | old_state u8 | flags u8 |
 *         file_id[16] | old_file_id[16] | name
 * Record: 80 bytes: magic, version, store id, generation, set hash.
 */

#include <stddef.h>
#include <stdint.h>

#define STREAMSET_HEADER_SIZE	48
#define STREAMSET_ENTRY_FIXED	36
#define STREAMSET_TRAILER_SIZE	32
#define STREAMSET_VERSION	1
#define STREAMSET_MAX_ENTRIES	(1U << 20)
#define STREAMSET_FLAG_KEYED	0x1	/* trailer is a MAC (encrypted) */
#define STREAMSET_RECORD_SIZE	80
#define STREAMSET_RECORD_VERSION 1
#define STREAMSET_NAME_MAX	200

/* Entry states. */
#define STREAMSET_ABSENT	0	/* only as one side of a pending change */
#define STREAMSET_LIVE		1	/* STORE/streams/NAME.qsm */
#define STREAMSET_EXPIRED	2	/* STORE/expired/NAME.qsm */
#define STREAMSET_ENTRY_PENDING	0x1	/* old -> new not yet confirmed */

struct streamset_entry {
	char name[STREAMSET_NAME_MAX + 1];
	uint8_t state, old_state, flags;
	uint8_t file_id[16], old_file_id[16];
};

struct streamset {
	uint8_t store_id[16];
	uint32_t flags;
	uint64_t generation;
	size_t count, cap;
	struct streamset_entry *e;	/* sorted by name (strcmp) */
};

struct streamset_record {
	uint8_t store_id[16];
	uint64_t generation;
	uint8_t set_hash[32];
};

/**
 * streamset_fmt_decode(buf, len, set):
 * Decode the set file ${buf} (${len} bytes, trailer included but not
 * checked) into ${set} (fresh; free with streamset_fmt_clear).  Return
 * QS_OK, QS_EVERSION for an unknown version or flag, QS_ECORRUPT (detail
 * set, without the path) for anything else out of place.
 */
int streamset_fmt_decode(const uint8_t *, size_t, struct streamset *);

/**
 * streamset_fmt_encode(set, buf, len):
 * Encode ${set} into a new malloc'd buffer ${buf} of ${len} bytes whose
 * trailer is zero (the caller fills it).  QS_OK or QS_ENOMEM.
 */
int streamset_fmt_encode(const struct streamset *, uint8_t **, size_t *);

/**
 * streamset_fmt_find(set, name):
 * The index of ${name} in ${set}, or -1.
 */
long streamset_fmt_find(const struct streamset *, const char *);

/**
 * streamset_fmt_put(set, e):
 * Insert ${e} into ${set} in name order, or replace the entry of that
 * name.  QS_OK or QS_ENOMEM.
 */
int streamset_fmt_put(struct streamset *, const struct streamset_entry *);

/**
 * streamset_fmt_remove(set, i):
 * Remove entry ${i}.
 */
void streamset_fmt_remove(struct streamset *, size_t);

/**
 * streamset_fmt_clear(set):
 * Free the entries of ${set} and zero it.
 */
void streamset_fmt_clear(struct streamset *);

/**
 * streamset_fmt_record_encode(r, buf):
 * Encode ${r} into ${buf} (STREAMSET_RECORD_SIZE bytes).
 */
void streamset_fmt_record_encode(const struct streamset_record *,
    uint8_t[STREAMSET_RECORD_SIZE]);

/**
 * streamset_fmt_record_decode(buf, len, r):
 * Decode a generation record of ${len} bytes.  QS_OK, QS_EVERSION, or
 * QS_ECORRUPT (detail set, without the path).
 */
int streamset_fmt_record_decode(const uint8_t *, size_t,
    struct streamset_record *);

#endif /* !QS_STREAMSET_FMT_H */
