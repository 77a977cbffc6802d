#ifndef QS_CATALOGUE_FMT_H
#define QS_CATALOGUE_FMT_H

#include <stddef.h>
#include <stdint.h>

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
 * catalogue_fmt_magic():
 * The 8-byte magic of catalogue files ("QSARCCAT").
 */
const uint8_t *catalogue_fmt_magic(void);

/**
 * catalogue_fmt_member_encode(m, buf, buflen, len):
 * Append member ${m} (strings taken from its pointers and lengths) at
 * ${buf}; QS_EINVAL if it does not fit.
 */
int catalogue_fmt_member_encode(const struct catalogue_member *, uint8_t *,
    size_t, size_t *);

/**
 * catalogue_fmt_member_decode(buf, len, m, used):
 * Parse one member at ${buf}; its strings point into ${buf} and are NOT
 * NUL-terminated (use the lengths).  QS_ECORRUPT if it is malformed.
 */
int catalogue_fmt_member_decode(const uint8_t *, size_t,
    struct catalogue_member *, size_t *);

/**
 * catalogue_fmt_end_encode(e, buf, buflen, len) / catalogue_fmt_end_decode(buf,
 *     len, e):
 * The last frame of a catalogue file.
 */
int catalogue_fmt_end_encode(const struct catalogue_end *, uint8_t *, size_t,
    size_t *);
int catalogue_fmt_end_decode(const uint8_t *, size_t, struct catalogue_end *);

#endif /* !QS_CATALOGUE_FMT_H */
