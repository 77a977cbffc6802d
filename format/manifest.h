#ifndef QS_MANIFEST_H
#define QS_MANIFEST_H

/*
 * Stream manifests: one file per stream, "STORE/streams/NAME.qsm".
 * Byte layouts are in spec/FORMAT.md ("Manifests").  This module encodes
 * and decodes the header and the plaintext of frames; sealing and file I/O
 * are done by index/stream.c.
 *
 * File:  header (64 bytes) | frame | frame | ... | summary frame
 * Frame: body_len u32 | body
 *   key_id == 0: body = plaintext | check[16]
 *   key_id != 0: body = nonce[24] | ciphertext | tag[16]
 * Frame plaintext starts with a type byte: refs, summary (always last).
 */

#include <stddef.h>
#include <stdint.h>

#define MANIFEST_HEADER_SIZE	64
#define MANIFEST_VERSION	1
#define MANIFEST_FRAME_AD_SIZE	41
#define MANIFEST_FRAME_MAX	(1U << 20)	/* largest frame plaintext */
#define MANIFEST_REF_SIZE	36
#define MANIFEST_REFS_HEADER	8
#define MANIFEST_REFS_PER_FRAME	\
	((MANIFEST_FRAME_MAX - MANIFEST_REFS_HEADER) / MANIFEST_REF_SIZE)
#define MANIFEST_SUMMARY_FIXED	192
#define STREAM_NAME_MAX		200

#define MANIFEST_FRAME_REFS	1
#define MANIFEST_FRAME_SUMMARY	2
#define MANIFEST_FRAME_MEMBERS	3	/* catalogue files */
#define MANIFEST_FRAME_CATEND	4	/* catalogue files: last frame */

/* Summary feature bits. */
#define MANIFEST_FEATURE_CATALOGUE	0x1	/* catalogue_id names a file */
#define MANIFEST_FEATURE_ORIGIN		0x2	/* replicated: origin_* set */
#define MANIFEST_FEATURES_KNOWN		\
	(MANIFEST_FEATURE_CATALOGUE | MANIFEST_FEATURE_ORIGIN)

struct manifest_header {
	uint16_t key_id;
	uint8_t store_id[16];
	uint64_t summary_offset;
	uint64_t frame_count;
};

struct manifest_summary {
	int64_t created;		/* ingest time, from the clock */
	uint64_t length;		/* stream bytes */
	uint64_t chunk_count;		/* references in the stream */
	uint64_t new_chunks;		/* chunks this put stored */
	uint64_t new_raw_bytes;
	uint64_t new_stored_bytes;
	uint8_t stream_hash[32];	/* over the reference list, see spec */
	uint32_t features;		/* MANIFEST_FEATURE_* */
	uint8_t catalogue_id[16];	/* STORE/catalogs/HEX.qct */
	uint8_t catalogue_hash[32];	/* BLAKE2b-256 of that whole file */
	uint8_t origin_store_id[16];	/* replicated from this store... */
	uint8_t origin_hash[32];	/* ...whose stream had this hash */
	char name[STREAM_NAME_MAX + 1];
};

/**
 * manifest_header_encode(h, buf):
 * Write ${h} as MANIFEST_HEADER_SIZE bytes into ${buf}.
 */
void manifest_header_encode(const struct manifest_header *, uint8_t *);

/**
 * manifest_header_decode(buf, len, h):
 * Parse a manifest header; QS_OK, QS_ECORRUPT or QS_EVERSION.  ${h} is
 * untouched on failure.
 */
int manifest_header_decode(const uint8_t *, size_t, struct manifest_header *);

/**
 * manifest_frame_ad(hdrbuf, index, final, ad):
 * Build the associated data of frame number ${index}: the first 32 bytes of
 * the encoded header, the index, and 1 if it is the summary frame else 0.
 */
void manifest_frame_ad(const uint8_t *, uint64_t, int, uint8_t *);

/**
 * manifest_refs_decode(pt, len, count):
 * Check a refs frame plaintext and return the number of references in
 * ${count}; reference i is at pt + MANIFEST_REFS_HEADER + 36 * i.
 * QS_ECORRUPT if the type or the length is wrong.
 */
int manifest_refs_decode(const uint8_t *, size_t, uint32_t *);

/**
 * manifest_refs_begin(pt, count):
 * Write the 8-byte refs frame header for ${count} references.
 */
void manifest_refs_begin(uint8_t *, uint32_t);

/**
 * manifest_summary_encode(s, buf, buflen, len):
 * Encode the summary frame plaintext; return QS_OK and its length in
 * ${len}, or QS_EINVAL if the name is too long for ${buflen}.
 */
int manifest_summary_encode(const struct manifest_summary *, uint8_t *,
    size_t, size_t *);

/**
 * manifest_summary_decode(pt, len, s):
 * Parse a summary frame plaintext; QS_OK, QS_ECORRUPT or QS_EVERSION (an
 * unknown feature bit).  Without the catalogue feature the catalogue
 * fields must be zero.
 */
int manifest_summary_decode(const uint8_t *, size_t,
    struct manifest_summary *);

/**
 * stream_name_check(name):
 * Return QS_OK if ${name} is a valid stream name: 1 to STREAM_NAME_MAX
 * bytes of [A-Za-z0-9._+@:=,~-], not starting with '.' or '-'.  Else
 * QS_EINVAL with a detail saying why.
 */
int stream_name_check(const char *);

/*
 * Catalogue files ("STORE/catalogs/HEX.qct"): the tar members of a
 * stream.  Same header and frame envelope as a manifest, magic
 * "QSARCCAT"; frames of type MANIFEST_FRAME_MEMBERS, then one
 * MANIFEST_FRAME_CATEND.
 */
#define CATALOGUE_MEMBER_FIXED	52
#define CATALOGUE_END_FIXED	24

enum {
	MEMBER_OTHER = 0, MEMBER_FILE = 1, MEMBER_DIR = 2, MEMBER_SYMLINK = 3,
	MEMBER_HARDLINK = 4, MEMBER_CHARDEV = 5, MEMBER_BLOCKDEV = 6,
	MEMBER_FIFO = 7, MEMBER_SOCKET = 8
};
#define MEMBER_FLAG_SPARSE	0x01

enum {
	CATALOGUE_COMPLETE = 1,		/* the scan reached the end marker */
	CATALOGUE_STOPPED = 2,		/* it stopped early: see message */
	CATALOGUE_NOT_TAR = 3		/* not a tar stream: no members */
};

struct catalogue_member {
	uint64_t header_offset;		/* first header block of the member */
	uint64_t end_offset;		/* where the next header starts */
	uint64_t size;
	int64_t mtime;
	uint32_t mode, uid, gid;
	uint8_t type, flags;
	const char *path, *link, *uname, *gname;	/* into the frame */
	uint16_t path_len, link_len;
	uint8_t uname_len, gname_len;
};

struct catalogue_end {
	uint8_t status;
	uint64_t members;
	uint64_t scan_end;		/* stream offset the scan reached */
	char message[512];
};

/**
 * manifest_catalogue_header_magic():
 * The 8-byte magic of catalogue files ("QSARCCAT").
 */
const uint8_t *manifest_catalogue_magic(void);

/**
 * manifest_header_encode_magic(h, magic, buf) /
 * manifest_header_decode_magic(buf, len, magic, h):
 * As manifest_header_encode/decode for a file with another magic
 * (catalogue files).
 */
void manifest_header_encode_magic(const struct manifest_header *,
    const uint8_t *, uint8_t *);
int manifest_header_decode_magic(const uint8_t *, size_t, const uint8_t *,
    struct manifest_header *);

/**
 * catalogue_member_encode(m, buf, buflen, len):
 * Append member ${m} (strings taken from its pointers and lengths) at
 * ${buf}; QS_EINVAL if it does not fit.
 */
int catalogue_member_encode(const struct catalogue_member *, uint8_t *,
    size_t, size_t *);

/**
 * catalogue_member_decode(buf, len, m, used):
 * Parse one member at ${buf}; its strings point into ${buf} and are NOT
 * NUL-terminated (use the lengths).  QS_ECORRUPT if it is malformed.
 */
int catalogue_member_decode(const uint8_t *, size_t,
    struct catalogue_member *, size_t *);

/**
 * catalogue_end_encode(e, buf, buflen, len) / catalogue_end_decode(buf,
 *     len, e):
 * The last frame of a catalogue file.
 */
int catalogue_end_encode(const struct catalogue_end *, uint8_t *, size_t,
    size_t *);
int catalogue_end_decode(const uint8_t *, size_t, struct catalogue_end *);

#endif /* !QS_MANIFEST_H */
