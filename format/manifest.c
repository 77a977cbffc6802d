#include <string.h>

#include "format/endian.h"
#include "format/manifest.h"
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
	uint8_t reserved1[16];
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

static const uint8_t catalogue_magic[8] = "QSARCCAT";

/**
 * manifest_catalogue_magic():
 * The 8-byte magic of catalogue files.
 */
const uint8_t *
manifest_catalogue_magic(void)
{

	return (catalogue_magic);
}

/**
 * manifest_header_encode(h, buf):
 * Write ${h} as MANIFEST_HEADER_SIZE bytes into ${buf}.
 */
void
manifest_header_encode(const struct manifest_header *h, uint8_t *buf)
{

	manifest_header_encode_magic(h, manifest_magic, buf);
}

/**
 * manifest_header_decode(buf, len, h):
 * Parse a manifest header; QS_OK, QS_ECORRUPT or QS_EVERSION.
 */
int
manifest_header_decode(const uint8_t *buf, size_t len,
    struct manifest_header *h)
{

	return (manifest_header_decode_magic(buf, len, manifest_magic, h));
}

/**
 * manifest_header_encode_magic(h, magic, buf):
 * As manifest_header_encode for a file with the magic ${magic}.
 */
void
manifest_header_encode_magic(const struct manifest_header *h,
    const uint8_t *magic, uint8_t *buf)
{
	struct manifest_header_disk d;

	memset(&d, 0, sizeof(d));
	memcpy(d.magic, magic, 8);
	le16enc(d.version, MANIFEST_VERSION);
	le16enc(d.key_id, h->key_id);
	memcpy(d.store_id, h->store_id, 16);
	le64enc(d.summary_offset, h->summary_offset);
	le64enc(d.frame_count, h->frame_count);
	memcpy(buf, &d, sizeof(d));
}

/**
 * manifest_header_decode_magic(buf, len, magic, h):
 * As manifest_header_decode for a file with the magic ${magic}.
 */
int
manifest_header_decode_magic(const uint8_t *buf, size_t len,
    const uint8_t *magic, struct manifest_header *h)
{
	struct manifest_header_disk d;

	if (len < sizeof(d))
		return (QS_ECORRUPT);
	memcpy(&d, buf, sizeof(d));
	if (memcmp(d.magic, magic, 8) != 0)
		return (QS_ECORRUPT);
	if (le16dec(d.version) != MANIFEST_VERSION || le16dec(d.flags) != 0)
		return (QS_EVERSION);
	if (!bytes_zero(d.reserved0, sizeof(d.reserved0)) ||
	    !bytes_zero(d.reserved1, sizeof(d.reserved1)))
		return (QS_ECORRUPT);
	if (le64dec(d.frame_count) == 0 ||
	    le64dec(d.summary_offset) < MANIFEST_HEADER_SIZE)
		return (QS_ECORRUPT);
	h->key_id = le16dec(d.key_id);
	memcpy(h->store_id, d.store_id, 16);
	h->summary_offset = le64dec(d.summary_offset);
	h->frame_count = le64dec(d.frame_count);
	return (QS_OK);
}

/**
 * manifest_frame_ad(hdrbuf, index, final, ad):
 * Build the associated data of frame number ${index}.
 */
void
manifest_frame_ad(const uint8_t *hdrbuf, uint64_t index, int final,
    uint8_t *ad)
{

	memcpy(ad, hdrbuf, 32);
	le64enc(ad + 32, index);
	ad[40] = final ? 1 : 0;
}

/**
 * manifest_refs_begin(pt, count):
 * Write the 8-byte refs frame header for ${count} references.
 */
void
manifest_refs_begin(uint8_t *pt, uint32_t count)
{

	memset(pt, 0, MANIFEST_REFS_HEADER);
	pt[0] = MANIFEST_FRAME_REFS;
	le32enc(pt + 4, count);
}

/**
 * manifest_refs_decode(pt, len, count):
 * Check a refs frame plaintext and return its reference count.
 */
int
manifest_refs_decode(const uint8_t *pt, size_t len, uint32_t *count)
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
 * manifest_summary_encode(s, buf, buflen, len):
 * Encode the summary frame plaintext.
 */
int
manifest_summary_encode(const struct manifest_summary *s, uint8_t *buf,
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
 * manifest_summary_decode(pt, len, s):
 * Parse a summary frame plaintext.
 */
int
manifest_summary_decode(const uint8_t *pt, size_t len,
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
	if (stream_name_check(s->name) != QS_OK) {
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
 * stream_name_check(name):
 * Return QS_OK if ${name} is a valid stream name, else QS_EINVAL.
 */
int
stream_name_check(const char *name)
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

/**
 * catalogue_member_encode(m, buf, buflen, len):
 * Append member ${m} at ${buf}.
 */
int
catalogue_member_encode(const struct catalogue_member *m, uint8_t *buf,
    size_t buflen, size_t *len)
{
	size_t need = CATALOGUE_MEMBER_FIXED + (size_t)m->path_len +
	    m->link_len + m->uname_len + m->gname_len;
	uint8_t *p;

	if (buflen < need)
		return (QS_EINVAL);
	le64enc(buf, m->header_offset);
	le64enc(buf + 8, m->end_offset);
	le64enc(buf + 16, m->size);
	le64enc(buf + 24, (uint64_t)m->mtime);
	le32enc(buf + 32, m->mode);
	le32enc(buf + 36, m->uid);
	le32enc(buf + 40, m->gid);
	buf[44] = m->type;
	buf[45] = m->flags;
	le16enc(buf + 46, m->path_len);
	le16enc(buf + 48, m->link_len);
	buf[50] = m->uname_len;
	buf[51] = m->gname_len;
	p = buf + CATALOGUE_MEMBER_FIXED;
	memcpy(p, m->path, m->path_len);
	p += m->path_len;
	memcpy(p, m->link, m->link_len);
	p += m->link_len;
	memcpy(p, m->uname, m->uname_len);
	p += m->uname_len;
	memcpy(p, m->gname, m->gname_len);
	*len = need;
	return (QS_OK);
}

/**
 * catalogue_member_decode(buf, len, m, used):
 * Parse one member at ${buf}.
 */
int
catalogue_member_decode(const uint8_t *buf, size_t len,
    struct catalogue_member *m, size_t *used)
{
	size_t need;

	if (len < CATALOGUE_MEMBER_FIXED)
		return (QS_ECORRUPT);
	m->header_offset = le64dec(buf);
	m->end_offset = le64dec(buf + 8);
	m->size = le64dec(buf + 16);
	m->mtime = (int64_t)le64dec(buf + 24);
	m->mode = le32dec(buf + 32);
	m->uid = le32dec(buf + 36);
	m->gid = le32dec(buf + 40);
	m->type = buf[44];
	m->flags = buf[45];
	m->path_len = le16dec(buf + 46);
	m->link_len = le16dec(buf + 48);
	m->uname_len = buf[50];
	m->gname_len = buf[51];
	need = CATALOGUE_MEMBER_FIXED + (size_t)m->path_len + m->link_len +
	    m->uname_len + m->gname_len;
	if (len < need || m->end_offset < m->header_offset ||
	    m->type > MEMBER_SOCKET || (m->flags & ~MEMBER_FLAG_SPARSE))
		return (QS_ECORRUPT);
	m->path = (const char *)buf + CATALOGUE_MEMBER_FIXED;
	m->link = m->path + m->path_len;
	m->uname = m->link + m->link_len;
	m->gname = m->uname + m->uname_len;
	*used = need;
	return (QS_OK);
}

/**
 * catalogue_end_encode(e, buf, buflen, len):
 * The last frame of a catalogue file.
 */
int
catalogue_end_encode(const struct catalogue_end *e, uint8_t *buf,
    size_t buflen, size_t *len)
{
	size_t mlen = strlen(e->message);

	if (mlen > sizeof(e->message) - 1 ||
	    buflen < CATALOGUE_END_FIXED + mlen)
		return (QS_EINVAL);
	memset(buf, 0, CATALOGUE_END_FIXED);
	buf[0] = MANIFEST_FRAME_CATEND;
	buf[1] = e->status;
	le16enc(buf + 4, (uint16_t)mlen);
	le64enc(buf + 8, e->members);
	le64enc(buf + 16, e->scan_end);
	memcpy(buf + CATALOGUE_END_FIXED, e->message, mlen);
	*len = CATALOGUE_END_FIXED + mlen;
	return (QS_OK);
}

/**
 * catalogue_end_decode(buf, len, e):
 * Parse the last frame of a catalogue file.
 */
int
catalogue_end_decode(const uint8_t *buf, size_t len, struct catalogue_end *e)
{
	size_t mlen;

	if (len < CATALOGUE_END_FIXED || buf[0] != MANIFEST_FRAME_CATEND ||
	    buf[1] < CATALOGUE_COMPLETE || buf[1] > CATALOGUE_NOT_TAR ||
	    !bytes_zero(buf + 2, 2) || !bytes_zero(buf + 6, 2))
		return (QS_ECORRUPT);
	mlen = le16dec(buf + 4);
	if (len != CATALOGUE_END_FIXED + mlen || mlen >= sizeof(e->message))
		return (QS_ECORRUPT);
	e->status = buf[1];
	e->members = le64dec(buf + 8);
	e->scan_end = le64dec(buf + 16);
	memcpy(e->message, buf + CATALOGUE_END_FIXED, mlen);
	e->message[mlen] = '\0';
	return (QS_OK);
}
