#ifndef QS_MEMBERS_H
#define QS_MEMBERS_H

/*
 * Tar members of a stream, as recorded in its catalogue: choosing them by
 * pattern, writing them out as a tar stream, and extracting them safely
 * with libarchive's disk writer.
 */

#include <stddef.h>
#include <stdint.h>

struct store;
struct byte_range;
struct manifest_summary;

/**
 * members_match(path, len, patterns, npatterns):
 * Whether the member path (${len} bytes, not NUL-terminated) is chosen by
 * one of the patterns: an exact name, a directory (chooses what is under
 * it), or a shell pattern where '*' and '**' also match '/'.  A leading
 * "./" is ignored on both sides.
 */
int members_match(const char *, size_t, char *const *, int);

/**
 * members_ranges(s, sum, patterns, npatterns, ranges, n, chosen,
 *     link_targets):
 * The byte ranges of the chosen members of the stream (sorted, adjacent
 * ones merged), in a new array the caller frees; ${chosen} counts the
 * members.  A chosen hard link whose target is not chosen brings in the
 * target's member too (the last of that name before the link), so that
 * the tar written or extracted holds the file asked for; ${link_targets}
 * counts those members.  QS_ENOENT (with a detail) if the stream has no
 * catalogue or nothing matched.
 */
int members_ranges(struct store *, const struct manifest_summary *,
    char *const *, int, struct byte_range **, size_t *, uint64_t *,
    uint64_t *);

/**
 * members_write_tar(s, name, ranges, n, fd, bytes_read):
 * Write the chosen members as a tar stream: their bytes, then the
 * end-of-archive marker.
 */
int members_write_tar(struct store *, const char *,
    const struct byte_range *, size_t, int, uint64_t *);

/* How members_extract works, and whom it tells about members it refuses. */
struct members_extract_opts {
	int devices;		/* create device nodes (else skip them) */
	int sparse;		/* runs of zeros become holes */
	/*
	 * Called for each member not restored (refused = 1: its path
	 * goes outside the directory, its type is not allowed, the disk
	 * writer failed on it) or restored without some of its metadata
	 * (refused = 0: an xattr or ACL that could not be set), with the
	 * member's path and libarchive's reason.  May be NULL.
	 */
	void (*notice)(void *, const char *, const char *, int);
	void *notice_ctx;
};

/* What members_extract did. */
struct members_extract_result {
	uint64_t bytes_read;	/* stream bytes read from containers */
	uint64_t extracted;	/* members written */
	uint64_t refused;	/* members refused (notice with refused = 1) */
	uint64_t warnings;	/* members with a warning (refused = 0) */
	uint64_t stripped;	/* names that lost a leading '/' */
};

/**
 * members_extract(s, name, ranges, n, dir, opts, result):
 * Extract the chosen members under the directory ${dir} through
 * libarchive's disk writer, as GNU tar and bsdtar do: a leading '/' is
 * dropped from member and hard-link names (counted in ${result}->stripped),
 * a member with ".." in its path, or one that would be written through a
 * symlink the archive planted, is refused and skipped (reported to
 * ${opts}->notice and counted), and the others are extracted.  Device
 * nodes only if ${opts}->devices.  Holes recorded in the tar (sparse
 * members) are always restored; with ${opts}->sparse, runs of zeros in
 * the data become holes too.  QS_OK even if members were refused (see
 * ${result}); an error only for damage in the stream, a tar that cannot
 * be read on, or a failure to write data (the extraction stops there).
 */
int members_extract(struct store *, const char *, const struct byte_range *,
    size_t, const char *, const struct members_extract_opts *,
    struct members_extract_result *);

#endif /* !QS_MEMBERS_H */
