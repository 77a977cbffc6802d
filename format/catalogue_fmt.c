#include <string.h>

#include "format/catalogue_fmt.h"
#include "format/manifest_fmt.h"
#include "format/endian.h"
#include "format/qs_err.h"

static const uint8_t catalogue_magic[8] = "QSARCCAT";

/**
 * catalogue_fmt_magic():
 * The 8-byte magic of catalogue files.
 */
const uint8_t *
catalogue_fmt_magic(void)
{

	return (catalogue_magic);
}

/**
 * catalogue_fmt_member_encode(m, buf, buflen, len):
 * Append member ${m} at ${buf}.
 */
int
catalogue_fmt_member_encode(const struct catalogue_member *m, uint8_t *buf,
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
 * catalogue_fmt_member_decode(buf, len, m, used):
 * Parse one member at ${buf}.
 */
int
catalogue_fmt_member_decode(const uint8_t *buf, size_t len,
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
 * catalogue_fmt_end_encode(e, buf, buflen, len):
 * The last frame of a catalogue file.
 */
int
catalogue_fmt_end_encode(const struct catalogue_end *e, uint8_t *buf,
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
 * catalogue_fmt_end_decode(buf, len, e):
 * Parse the last frame of a catalogue file.
 */
int
catalogue_fmt_end_decode(const uint8_t *buf, size_t len, struct catalogue_end *e)
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
