#include <string.h>

#include "format/container_fmt.h"
#include "format/endian.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"

static const uint8_t manifest_magic[8] = "QSARCMAN";

struct manifest_header_disk {
	uint8_t magic[8];
	uint8_t version[2];
	uint8_t flags[2];
	uint8_t key_id[2];
	uint8_t reserved0[2];
	uint8_t store_id[16];
	uint8_t summary_offset[8];
	uint8_t frame_count[8];
	uint8_t file_id[16];		/* version 1: reserved, zero */
};
_Static_assert(sizeof(struct manifest_header_disk) == MANIFEST_HEADER_SIZE,
    "manifest header size");

struct manifest_summary_disk {
	uint8_t type;
	uint8_t reserved0[3];
	uint8_t name_len[2];
	uint8_t reserved1[2];
	uint8_t created[8];
	uint8_t length[8];
	uint8_t chunk_count[8];
	uint8_t new_chunks[8];
	uint8_t new_raw_bytes[8];
	uint8_t new_stored_bytes[8];
	uint8_t stream_hash[32];
	uint8_t features[4];
	uint8_t reserved2[4];
	uint8_t catalogue_id[16];
	uint8_t catalogue_hash[32];
	uint8_t origin_store_id[16];
	uint8_t origin_hash[32];
	/* name_len bytes of name follow */
};
_Static_assert(sizeof(struct manifest_summary_disk) == MANIFEST_SUMMARY_FIXED,
    "manifest summary size");

/**
 * manifest_fmt_header_encode(h, buf):
 * Write ${h} as MANIFEST_HEADER_SIZE bytes into ${buf}.
 */
void
manifest_fmt_header_encode(const struct manifest_header *h, uint8_t *buf)
{

	manifest_fmt_header_encode_magic(h, manifest_magic, buf);
}

/**
 * manifest_fmt_header_decode(buf, len, h):
 * Parse a manifest header; QS_OK, QS_ECORRUPT or QS_EVERSION.
 */
int
manifest_fmt_header_decode(const uint8_t *buf, size_t len,
    struct manifest_header *h)
{

	return (manifest_fmt_header_decode_magic(buf, len, manifest_magic, h));
}

/**
 * manifest_fmt_header_encode_magic(h, magic, buf):
 * As manifest_fmt_header_encode for a file with the magic ${magic}.
 */
void
manifest_fmt_header_encode_magic(const struct manifest_header *h,
    const uint8_t *magic, uint8_t *buf)
{
	struct manifest_header_disk d;

	memset(&d, 0, sizeof(d));
	memcpy(d.magic, magic, 8);
	le16enc(d.version, h->version);
	le16enc(d.key_id, h->key_id);
	memcpy(d.store_id, h->store_id, 16);
	le64enc(d.summary_offset, h->summary_offset);
	le64enc(d.frame_count, h->frame_count);
	if (h->version != MANIFEST_VERSION_UNBOUND)
		memcpy(d.file_id, h->file_id, sizeof(d.file_id));
	memcpy(buf, &d, sizeof(d));
}

/**
 * manifest_fmt_header_decode_magic(buf, len, magic, h):
 * As manifest_fmt_header_decode for a file with the magic ${magic}.
 */
int
manifest_fmt_header_decode_magic(const uint8_t *buf, size_t len,
    const uint8_t *magic, struct manifest_header *h)
{
	struct manifest_header_disk d;
	uint16_t version;

	if (len < sizeof(d))
		return (QS_ECORRUPT);
	memcpy(&d, buf, sizeof(d));
	if (memcmp(d.magic, magic, 8) != 0)
		return (QS_ECORRUPT);
	version = le16dec(d.version);
	if ((version != MANIFEST_VERSION && version != MANIFEST_VERSION_PADDED &&
	    version != MANIFEST_VERSION_UNBOUND) || le16dec(d.flags) != 0)
		return (QS_EVERSION);
	if (version == MANIFEST_VERSION_PADDED && le16dec(d.key_id) == 0)
		return (QS_ECORRUPT);
	if (!bytes_zero(d.reserved0, sizeof(d.reserved0)))
		return (QS_ECORRUPT);
	/* Version 1: reserved, zero.  Version 2: random, never all zero. */
	if (bytes_zero(d.file_id, sizeof(d.file_id)) !=
	    (version == MANIFEST_VERSION_UNBOUND))
		return (QS_ECORRUPT);
	if (le64dec(d.frame_count) == 0 ||
	    le64dec(d.summary_offset) < MANIFEST_HEADER_SIZE)
		return (QS_ECORRUPT);
	h->version = version;
	h->key_id = le16dec(d.key_id);
	memcpy(h->store_id, d.store_id, 16);
	memcpy(h->file_id, d.file_id, sizeof(h->file_id));
	h->summary_offset = le64dec(d.summary_offset);
	h->frame_count = le64dec(d.frame_count);
	return (QS_OK);
}

/**
 * manifest_fmt_frame_ad(hdrbuf, index, final, ad):
 * Build the associated data of frame number ${index}; return its length.
 */
size_t
manifest_fmt_frame_ad(const uint8_t *hdrbuf, uint64_t index, int final,
    uint8_t *ad)
{
	size_t off = 32;

	memcpy(ad, hdrbuf, 32);
	/* The version is in bytes 8..9, i.e. in the AD itself. */
	if (le16dec(hdrbuf + 8) != MANIFEST_VERSION_UNBOUND) {
		memcpy(ad + off, hdrbuf + 48, MANIFEST_FILE_ID_SIZE);
		off += MANIFEST_FILE_ID_SIZE;
	}
	le64enc(ad + off, index);
	ad[off + 8] = final ? 1 : 0;
	return (off + 9);
}

/**
 * manifest_fmt_pad_len(len):
 * The padded length of a ${len}-byte version 3 frame plaintext.
 */
size_t
manifest_fmt_pad_len(size_t len)
{
	size_t total = container_fmt_padme((uint32_t)(MANIFEST_PAD_HEADER +
	    len));

	return (total < MANIFEST_PAD_MIN ? MANIFEST_PAD_MIN : total);
}

/**
 * manifest_fmt_pad_encode(pt, len, out):
 * Length, plaintext, zeros; return the padded length.
 */
size_t
manifest_fmt_pad_encode(const uint8_t *pt, size_t len, uint8_t *out)
{
	size_t total = manifest_fmt_pad_len(len);

	le32enc(out, (uint32_t)len);
	memmove(out + MANIFEST_PAD_HEADER, pt, len);
	memset(out + MANIFEST_PAD_HEADER + len, 0,
	    total - MANIFEST_PAD_HEADER - len);
	return (total);
}

/**
 * manifest_fmt_pad_decode(buf, total, len):
 * Check a padded frame plaintext; QS_OK or QS_ECORRUPT.
 */
int
manifest_fmt_pad_decode(const uint8_t *buf, size_t total, size_t *lenp)
{
	size_t len;

	if (total < MANIFEST_PAD_HEADER)
		return (QS_ECORRUPT);
	len = le32dec(buf);
	/* One padded length per plaintext length: nothing else fits. */
	if (len > MANIFEST_FRAME_MAX || manifest_fmt_pad_len(len) != total ||
	    !bytes_zero(buf + MANIFEST_PAD_HEADER + len,
	    total - MANIFEST_PAD_HEADER - len))
		return (QS_ECORRUPT);
	*lenp = len;
	return (QS_OK);
}

/**
 * manifest_fmt_refs_begin(pt, count):
 * Write the 8-byte refs frame header for ${count} references.
 */
void
manifest_fmt_refs_begin(uint8_t *pt, uint32_t count)
{

	memset(pt, 0, MANIFEST_REFS_HEADER);
	pt[0] = MANIFEST_FRAME_REFS;
	le32enc(pt + 4, count);
}

/**
 * manifest_fmt_refs_decode(pt, len, count):
 * Check a refs frame plaintext and return its reference count.
 */
int
manifest_fmt_refs_decode(const uint8_t *pt, size_t len, uint32_t *count)
{
	uint32_t n;

	if (len < MANIFEST_REFS_HEADER || pt[0] != MANIFEST_FRAME_REFS ||
	    !bytes_zero(pt + 1, 3))
		return (QS_ECORRUPT);
	n = le32dec(pt + 4);
	if (n == 0 || n > MANIFEST_REFS_PER_FRAME ||
	    len != MANIFEST_REFS_HEADER + (size_t)n * MANIFEST_REF_SIZE)
		return (QS_ECORRUPT);
	*count = n;
	return (QS_OK);
}

/**
 * manifest_fmt_summary_encode(s, buf, buflen, len):
 * Encode the summary frame plaintext.
 */
int
manifest_fmt_summary_encode(const struct manifest_summary *s, uint8_t *buf,
    size_t buflen, size_t *len)
{
	struct manifest_summary_disk d;
	size_t name_len = strlen(s->name);

	if (name_len == 0 || name_len > STREAM_NAME_MAX ||
	    buflen < sizeof(d) + name_len)
		return (QS_EINVAL);
	memset(&d, 0, sizeof(d));
	d.type = MANIFEST_FRAME_SUMMARY;
	le16enc(d.name_len, (uint16_t)name_len);
	le64enc(d.created, (uint64_t)s->created);
	le64enc(d.length, s->length);
	le64enc(d.chunk_count, s->chunk_count);
	le64enc(d.new_chunks, s->new_chunks);
	le64enc(d.new_raw_bytes, s->new_raw_bytes);
	le64enc(d.new_stored_bytes, s->new_stored_bytes);
	memcpy(d.stream_hash, s->stream_hash, 32);
	le32enc(d.features, s->features);
	if (s->features & MANIFEST_FEATURE_CATALOGUE) {
		memcpy(d.catalogue_id, s->catalogue_id, 16);
		memcpy(d.catalogue_hash, s->catalogue_hash, 32);
	}
	if (s->features & MANIFEST_FEATURE_ORIGIN) {
		memcpy(d.origin_store_id, s->origin_store_id, 16);
		memcpy(d.origin_hash, s->origin_hash, 32);
	}
	memcpy(buf, &d, sizeof(d));
	memcpy(buf + sizeof(d), s->name, name_len);
	*len = sizeof(d) + name_len;
	return (QS_OK);
}

/**
 * manifest_fmt_summary_decode(pt, len, s):
 * Parse a summary frame plaintext.
 */
int
manifest_fmt_summary_decode(const uint8_t *pt, size_t len,
    struct manifest_summary *s)
{
	struct manifest_summary_disk d;
	size_t name_len;

	if (len < sizeof(d))
		return (QS_ECORRUPT);
	memcpy(&d, pt, sizeof(d));
	if (d.type != MANIFEST_FRAME_SUMMARY ||
	    !bytes_zero(d.reserved0, sizeof(d.reserved0)) ||
	    !bytes_zero(d.reserved1, sizeof(d.reserved1)) ||
	    !bytes_zero(d.reserved2, sizeof(d.reserved2)))
		return (QS_ECORRUPT);
	name_len = le16dec(d.name_len);
	if (name_len == 0 || name_len > STREAM_NAME_MAX ||
	    len != sizeof(d) + name_len)
		return (QS_ECORRUPT);
	if ((le32dec(d.features) & ~(uint32_t)MANIFEST_FEATURES_KNOWN) != 0)
		return (QS_EVERSION);
	if (!(le32dec(d.features) & MANIFEST_FEATURE_CATALOGUE) &&
	    (!bytes_zero(d.catalogue_id, 16) || !bytes_zero(d.catalogue_hash, 32)))
		return (QS_ECORRUPT);
	if (!(le32dec(d.features) & MANIFEST_FEATURE_ORIGIN) &&
	    (!bytes_zero(d.origin_store_id, 16) || !bytes_zero(d.origin_hash, 32)))
		return (QS_ECORRUPT);
	s->created = (int64_t)le64dec(d.created);
	s->length = le64dec(d.length);
	s->chunk_count = le64dec(d.chunk_count);
	s->new_chunks = le64dec(d.new_chunks);
	s->new_raw_bytes = le64dec(d.new_raw_bytes);
	s->new_stored_bytes = le64dec(d.new_stored_bytes);
	memcpy(s->stream_hash, d.stream_hash, 32);
	if (memchr(pt + sizeof(d), '\0', name_len) != NULL)
		return (QS_ECORRUPT);
	memcpy(s->name, pt + sizeof(d), name_len);
	s->name[name_len] = '\0';
	if (manifest_fmt_name_check(s->name) != QS_OK) {
		qs_error_clear();
		return (QS_ECORRUPT);
	}
	s->features = le32dec(d.features);
	memcpy(s->catalogue_id, d.catalogue_id, 16);
	memcpy(s->catalogue_hash, d.catalogue_hash, 32);
	memcpy(s->origin_store_id, d.origin_store_id, 16);
	memcpy(s->origin_hash, d.origin_hash, 32);
	return (QS_OK);
}

/**
 * manifest_fmt_name_check(name):
 * Return QS_OK if ${name} is a valid stream name, else QS_EINVAL.
 */
int
manifest_fmt_name_check(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return (qs_error_set(QS_EINVAL, "stream name is empty"));
	if (len > STREAM_NAME_MAX)
		return (qs_error_set(QS_EINVAL,
		    "stream name is %zu bytes; at most %d are allowed", len,
		    STREAM_NAME_MAX));
	if (name[0] == '.' || name[0] == '-')
		return (qs_error_set(QS_EINVAL,
		    "stream name \"%s\" must not start with '%c'", name,
		    name[0]));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._+@:=,~-", c) != NULL)
			continue;
		if (c == '/')
			return (qs_error_set(QS_EINVAL,
			    "stream name \"%s\" must not contain '/'", name));
		return (qs_error_set(QS_EINVAL,
		    "stream name contains the byte 0x%02x; allowed are "
		    "letters, digits and ._+@:=,~-", c));
	}
	return (QS_OK);
}

