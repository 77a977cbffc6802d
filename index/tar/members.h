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
 * members_ranges(s, sum, patterns, npatterns, ranges, n, chosen):
 * The byte ranges of the chosen members of the stream (sorted, adjacent
 * ones merged), in a new array; ${chosen} counts the members.  QS_ENOENT
 * (with a detail) if the stream has no catalogue or nothing matched.
 */
int members_ranges(struct store *, const struct manifest_summary *,
    char *const *, int, struct byte_range **, size_t *, uint64_t *);

/**
 * members_write_tar(s, name, ranges, n, fd, bytes_read):
 * Write the chosen members as a tar stream: their bytes, then the
 * end-of-archive marker.
 */
int members_write_tar(struct store *, const char *,
    const struct byte_range *, size_t, int, uint64_t *);

/**
 * members_extract(s, name, ranges, n, dir, devices, bytes_read):
 * Extract the chosen members under the directory ${dir} through
 * libarchive's disk writer: no absolute paths, no "..", no writing
 * through symlinks the archive planted, and device nodes only if
 * ${devices}.
 */
int members_extract(struct store *, const char *, const struct byte_range *,
    size_t, const char *, int, uint64_t *);

#endif /* !QS_MEMBERS_H */
