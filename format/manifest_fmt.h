#ifndef QS_MANIFEST_FMT_H
#define QS_MANIFEST_FMT_H

/*
 * Stream manifests: one file per stream, "STORE/streams/NAME.qsm".
 * Byte layouts are in spec/FORMAT.md ("Manifests").  This module encodes
 * and decodes the header and the plaintext of frames; sealing and file I/O
 * are done by index/store/manifest.c.
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
#define MANIFEST_VERSION	2	/* written in plain stores: frames bound to file_id */
#define MANIFEST_VERSION_UNBOUND 1	/* read only: no file_id (0.1.0) */
#define MANIFEST_VERSION_PADDED	3	/* written sealed: version 2, frames padded */
#define MANIFEST_FILE_ID_SIZE	16
#define MANIFEST_FRAME_AD_SIZE	57	/* version 2; the largest */
#define MANIFEST_FRAME_AD_SIZE_V1 41	/* version 1 */
#define MANIFEST_FRAME_MAX	(1U << 20)	/* largest frame plaintext */
/*
 * Version 3: a sealed frame's plaintext is u32 length || plaintext || zero
 * padding, MANIFEST_PAD_MIN bytes or more (manifest_fmt_pad_len).
 */
#define MANIFEST_PAD_HEADER	4
#define MANIFEST_PAD_MIN	512
#define MANIFEST_FRAME_PADDED_MAX	1064960	/* pad_len(MANIFEST_FRAME_MAX) */
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
	uint16_t version;		/* MANIFEST_VERSION or _UNBOUND */
	uint16_t key_id;
	uint8_t store_id[16];
	uint64_t summary_offset;
	uint64_t frame_count;
	uint8_t file_id[MANIFEST_FILE_ID_SIZE];	/* version 2: random, != 0 */
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
 * manifest_fmt_header_encode(h, buf):
 * Write ${h} as MANIFEST_HEADER_SIZE bytes into ${buf}, in the format
 * version ${h}->version (MANIFEST_VERSION, MANIFEST_VERSION_PADDED, or
 * MANIFEST_VERSION_UNBOUND for tests and vectors; its file_id is not
 * written).
 */
void manifest_fmt_header_encode(const struct manifest_header *, uint8_t *);

/**
 * manifest_fmt_header_decode(buf, len, h):
 * Parse a manifest header of version 1, 2 or 3; QS_OK, QS_ECORRUPT or
 * QS_EVERSION.  A version 1 header must have zero bytes where versions 2
 * and 3 keep the file id (its file_id is returned as zeros); a version 2
 * or 3 file id must not be all zero.  A version 3 header must have a
 * non-zero key id (padding is for sealed files).  ${h} is untouched on
 * failure.
 */
int manifest_fmt_header_decode(const uint8_t *, size_t, struct manifest_header *);

/**
 * manifest_fmt_frame_ad(hdrbuf, index, final, ad):
 * Build the associated data of frame number ${index} of the file whose
 * (already decoded or encoded) header is ${hdrbuf} into ${ad}, which has
 * room for MANIFEST_FRAME_AD_SIZE bytes, and return its length.  Version
 * 2: the first 32 bytes of the header, its file id (bytes 48..63), the
 * index, and 1 if it is the summary frame else 0 (57 bytes); version 3
 * likewise.  Version 1:
 * the same without the file id (41 bytes), so a frame is not bound to its
 * file (spec/FORMAT.md 6.3).
 */
size_t manifest_fmt_frame_ad(const uint8_t *, uint64_t, int, uint8_t *);

/**
 * manifest_fmt_pad_len(len):
 * The padded length of a version 3 frame whose plaintext is ${len} bytes
 * (at most MANIFEST_FRAME_MAX): MANIFEST_PAD_HEADER + ${len} rounded up as
 * container_fmt_padme does, and at least MANIFEST_PAD_MIN, so a small
 * frame (a summary, whose size would give away its name's length) always
 * takes 512 bytes.  At most MANIFEST_FRAME_PADDED_MAX.
 */
size_t manifest_fmt_pad_len(size_t);

/**
 * manifest_fmt_pad_encode(pt, len, out):
 * Write the padded form of the ${len}-byte frame plaintext ${pt} into
 * ${out} (room for manifest_fmt_pad_len(len) bytes) and return its length.
 */
size_t manifest_fmt_pad_encode(const uint8_t *, size_t, uint8_t *);

/**
 * manifest_fmt_pad_decode(buf, total, len):
 * Check the padded form of ${total} bytes at ${buf}: the length field, a
 * total of exactly manifest_fmt_pad_len(length), zero padding.  QS_OK and
 * the plaintext length in ${len} (the plaintext is at buf + 4), else
 * QS_ECORRUPT.
 */
int manifest_fmt_pad_decode(const uint8_t *, size_t, size_t *);

/**
 * manifest_fmt_refs_decode(pt, len, count):
 * Check a refs frame plaintext and return the number of references in
 * ${count}; reference i is at pt + MANIFEST_REFS_HEADER + 36 * i.
 * QS_ECORRUPT if the type or the length is wrong.
 */
int manifest_fmt_refs_decode(const uint8_t *, size_t, uint32_t *);

/**
 * manifest_fmt_refs_begin(pt, count):
 * Write the 8-byte refs frame header for ${count} references.
 */
void manifest_fmt_refs_begin(uint8_t *, uint32_t);

/**
 * manifest_fmt_summary_encode(s, buf, buflen, len):
 * Encode the summary frame plaintext; return QS_OK and its length in
 * ${len}, or QS_EINVAL if the name is too long for ${buflen}.
 */
int manifest_fmt_summary_encode(const struct manifest_summary *, uint8_t *,
    size_t, size_t *);

/**
 * manifest_fmt_summary_decode(pt, len, s):
 * Parse a summary frame plaintext; QS_OK, QS_ECORRUPT or QS_EVERSION (an
 * unknown feature bit).  Without the catalogue feature the catalogue
 * fields must be zero.
 */
int manifest_fmt_summary_decode(const uint8_t *, size_t,
    struct manifest_summary *);

/**
 * manifest_fmt_name_check(name):
 * Return QS_OK if ${name} is a valid stream name: 1 to STREAM_NAME_MAX
 * bytes of [A-Za-z0-9._+@:=,~-], not starting with '.' or '-'.  Else
 * QS_EINVAL with a detail saying why.
 */
int manifest_fmt_name_check(const char *);

/**
 * manifest_fmt_header_encode_magic(h, magic, buf) /
 * manifest_fmt_header_decode_magic(buf, len, magic, h):
 * As manifest_fmt_header_encode/decode for a file with another magic
 * (catalogue files).
 */
void manifest_fmt_header_encode_magic(const struct manifest_header *,
    const uint8_t *, uint8_t *);
int manifest_fmt_header_decode_magic(const uint8_t *, size_t, const uint8_t *,
    struct manifest_header *);

#endif /* !QS_MANIFEST_FMT_H */
