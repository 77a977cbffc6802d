#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "index/tar/members.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/tar/catalogue.h"
#include "index/stream/get.h"
#include "index/store/store.h"

/* The end-of-archive marker: two zero blocks. */
static const uint8_t tar_end[1024];

static const char *
skip_dot_slash(const char *p, size_t *len)
{

	while (*len >= 2 && p[0] == '.' && p[1] == '/') {
		p += 2;
		*len -= 2;
	}
	return (p);
}

/**
 * members_match(path, len, patterns, npatterns):
 * Whether one of the patterns chooses the member path.
 */
int
members_match(const char *path, size_t len, char *const *patterns,
    int npatterns)
{
	char name[65536 + 1], tmp[4096];
	size_t plen;
	const char *p, *pat;

	p = skip_dot_slash(path, &len);
	memcpy(name, p, len);
	name[len] = '\0';
	/* A directory member "a/b/" is named "a/b". */
	while (len > 1 && name[len - 1] == '/')
		name[--len] = '\0';
	for (int i = 0; i < npatterns; i++) {
		plen = strlen(patterns[i]);
		pat = skip_dot_slash(patterns[i], &plen);
		while (plen > 1 && pat[plen - 1] == '/')
			plen--;
		if (plen >= sizeof(tmp))
			continue;
		/* "." (or "./") stands for every member. */
		if (plen == 0 || (plen == 1 && pat[0] == '.'))
			return (1);
		memcpy(tmp, pat, plen);
		tmp[plen] = '\0';
		/* Exact, a directory above it, or a pattern ('*' spans '/'). */
		if (strcmp(tmp, name) == 0 ||
		    (plen < len && memcmp(tmp, name, plen) == 0 &&
		    name[plen] == '/') || fnmatch(tmp, name, 0) == 0)
			return (1);
	}
	return (0);
}

/**
 * members_ranges(s, sum, patterns, npatterns, ranges, n, chosen):
 * The byte ranges of the chosen members.
 */
int
members_ranges(struct store *s, const struct manifest_summary *sum,
    char *const *patterns, int npatterns, struct byte_range **rangesp,
    size_t *np, uint64_t *chosen)
{
	struct catalogue_reader *cr = NULL;
	struct catalogue_member m;
	struct byte_range *ranges = NULL, *nr;
	size_t n = 0, cap = 0;
	int rc;

	*chosen = 0;
	if ((rc = catalogue_reader_open(s, sum, &cr)) != QS_OK)
		return (rc);
	while ((rc = catalogue_reader_next(cr, &m)) == QS_OK) {
		if (!members_match(m.path, m.path_len, patterns, npatterns))
			continue;
		(*chosen)++;
		if (n > 0 && ranges[n - 1].end == m.header_offset) {
			ranges[n - 1].end = m.end_offset;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nr = realloc(ranges, cap * sizeof(*nr))) == NULL) {
				rc = qs_error_set(QS_ENOMEM, "out of memory");
				goto err;
			}
			ranges = nr;
		}
		ranges[n].start = m.header_offset;
		ranges[n].end = m.end_offset;
		n++;
	}
	if (rc != 1)
		goto err;
	if (*chosen == 0) {
		rc = qs_error_set(QS_ENOENT, "stream \"%s\": no member matches "
		    "%s%s", sum->name, patterns[0], npatterns > 1 ?
		    " (or the other patterns)" : "");
		goto err;
	}
	catalogue_reader_free(cr);
	*rangesp = ranges;
	*np = n;
	return (QS_OK);

err:
	catalogue_reader_free(cr);
	free(ranges);
	return (rc);
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return (qs_error_errno("output", "write"));
		}
		p += w;
		len -= (size_t)w;
	}
	return (QS_OK);
}

/*
 * In concatenated archives a member's range begins with the end marker
 * of the archive before it (libarchive counts it into the next header);
 * a tar reader would stop there, so zero blocks at the start of a range
 * are dropped.  Ranges start on 512-byte blocks.
 */
struct tar_sink {
	int fd;
	size_t range;		/* range being written */
	int leading;		/* still in its leading zero blocks */
	uint8_t block[512];
	size_t fill;
};

static int
tar_sink(void *ctx, size_t range, const uint8_t *p, size_t len)
{
	struct tar_sink *ts = ctx;
	size_t n;
	int rc;

	if (range != ts->range || ts->fill == SIZE_MAX) {
		ts->range = range;
		ts->leading = 1;
		ts->fill = 0;
	}
	while (ts->leading && len > 0) {
		n = sizeof(ts->block) - ts->fill < len ?
		    sizeof(ts->block) - ts->fill : len;
		memcpy(ts->block + ts->fill, p, n);
		ts->fill += n;
		p += n;
		len -= n;
		if (ts->fill < sizeof(ts->block))
			return (QS_OK);
		ts->fill = 0;
		if (memcmp(ts->block, tar_end, sizeof(ts->block)) == 0)
			continue;
		ts->leading = 0;
		if ((rc = write_all(ts->fd, ts->block, sizeof(ts->block))) !=
		    QS_OK)
			return (rc);
	}
	return (len > 0 ? write_all(ts->fd, p, len) : QS_OK);
}

/**
 * members_write_tar(s, name, ranges, n, fd, bytes_read):
 * Write the chosen members as a tar stream.
 */
int
members_write_tar(struct store *s, const char *name,
    const struct byte_range *ranges, size_t n, int fd, uint64_t *bytes_read)
{
	struct get_result res;
	struct tar_sink ts;
	int rc;

	memset(&ts, 0, sizeof(ts));
	ts.fd = fd;
	ts.fill = SIZE_MAX;
	if ((rc = get_ranges(s, name, 0, ranges, n, tar_sink, &ts,
	    &res)) != QS_OK)
		return (rc);
	*bytes_read = res.bytes_read;
	/* A partial block at the end (a damaged member) goes out as it is. */
	if (ts.leading && ts.fill > 0 && ts.fill != SIZE_MAX &&
	    (rc = write_all(fd, ts.block, ts.fill)) != QS_OK)
		return (rc);
	return (write_all(fd, tar_end, sizeof(tar_end)));
}

struct writer_job {
	struct store *s;
	const char *name;
	const struct byte_range *ranges;
	size_t n;
	int fd;
	int rc;
	uint64_t bytes_read;
	struct qs_error error;
};

static void *
writer_main(void *arg)
{
	struct writer_job *j = arg;

	j->rc = members_write_tar(j->s, j->name, j->ranges, j->n, j->fd,
	    &j->bytes_read);
	if (j->rc != QS_OK)
		qs_error_save(&j->error);
	close(j->fd);
	return (NULL);
}

/**
 * members_extract(s, name, ranges, n, dir, devices, bytes_read):
 * Extract the chosen members under ${dir}.
 */
int
members_extract(struct store *s, const char *name,
    const struct byte_range *ranges, size_t n, const char *dir, int devices,
    uint64_t *bytes_read)
{
	struct archive *in = NULL, *out = NULL;
	struct archive_entry *e;
	struct writer_job job;
	pthread_t thread;
	const char *err;
	char *cwd = NULL;
	int fds[2], r, rc = QS_OK, flags;

	if (pipe(fds) != 0)
		return (qs_error_errno("pipe", "create"));
	memset(&job, 0, sizeof(job));
	job.s = s;
	job.name = name;
	job.ranges = ranges;
	job.n = n;
	job.fd = fds[1];
	if (pthread_create(&thread, NULL, writer_main, &job) != 0) {
		close(fds[0]);
		close(fds[1]);
		return (qs_error_set(QS_ENOMEM, "cannot start a thread"));
	}
	/* The disk writer works relative to the current directory. */
	if ((cwd = getcwd(NULL, 0)) == NULL || chdir(dir) != 0) {
		rc = qs_error_errno(dir, "chdir");
		goto done;
	}
	flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
	    ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_XATTR |
	    ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	if (geteuid() == 0)
		flags |= ARCHIVE_EXTRACT_OWNER;
	if ((in = archive_read_new()) == NULL ||
	    (out = archive_write_disk_new()) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	archive_read_support_format_tar(in);
	archive_read_support_format_gnutar(in);
	(void)archive_read_set_options(in, "tar:read_concatenated_archives");
	archive_write_disk_set_options(out, flags);
	archive_write_disk_set_standard_lookup(out);
	if (archive_read_open_fd(in, fds[0], 65536) != ARCHIVE_OK) {
		rc = qs_error_set(QS_ECORRUPT, "reading the members: %s",
		    archive_error_string(in));
		goto done;
	}
	while ((r = archive_read_next_header(in, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN) {
			rc = qs_error_set(QS_ECORRUPT, "reading the members: "
			    "%s", archive_error_string(in));
			goto done;
		}
		if (!devices && (archive_entry_filetype(e) == AE_IFCHR ||
		    archive_entry_filetype(e) == AE_IFBLK)) {
			(void)archive_read_data_skip(in);
			continue;
		}
		if (archive_write_header(out, e) < ARCHIVE_WARN) {
			err = archive_error_string(out);
			rc = qs_error_set(QS_EINVAL, "%s: refused: %s",
			    archive_entry_pathname(e), err ? err : "?");
			goto done;
		}
		{
			const void *buf;
			size_t size;
			la_int64_t off;

			while ((r = archive_read_data_block(in, &buf, &size,
			    &off)) == ARCHIVE_OK) {
				if (archive_write_data_block(out, buf, size,
				    off) < ARCHIVE_WARN) {
					rc = qs_error_set(QS_EIO, "%s: %s",
					    archive_entry_pathname(e),
					    archive_error_string(out));
					goto done;
				}
			}
			if (r != ARCHIVE_EOF) {
				rc = qs_error_set(QS_ECORRUPT, "%s: %s",
				    archive_entry_pathname(e),
				    archive_error_string(in));
				goto done;
			}
		}
		if (archive_write_finish_entry(out) < ARCHIVE_WARN) {
			rc = qs_error_set(QS_EIO, "%s: %s",
			    archive_entry_pathname(e),
			    archive_error_string(out));
			goto done;
		}
	}
done:
	if (in != NULL)
		archive_read_free(in);
	if (out != NULL) {
		archive_write_close(out);
		archive_write_free(out);
	}
	/* Unblock the writer if we stopped reading early. */
	close(fds[0]);
	pthread_join(thread, NULL);
	if (cwd != NULL) {
		if (chdir(cwd) != 0 && rc == QS_OK)
			rc = qs_error_errno(cwd, "chdir");
		free(cwd);
	}
	/*
	 * Damage found by the writer (a manifest frame that does not
	 * authenticate, a bad chunk) is the cause of whatever the tar reader
	 * then saw (a short or an empty archive): report it, not that.
	 */
	if (job.rc != QS_OK && (rc == QS_OK || job.rc == QS_ECORRUPT ||
	    job.rc == QS_EAUTH)) {
		qs_error_restore(&job.error);
		rc = job.rc;
	}
	*bytes_read = job.bytes_read;
	return (rc);
}
