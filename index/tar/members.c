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

/*
 * A chosen hard link whose target is not chosen: a tar reader can make
 * the link only from a target it has already extracted, so the target's
 * member (the last one of that name before the link, as tar resolves it)
 * is chosen with it.
 */
struct link_need {
	char *target;			/* the link's target, "./" dropped */
	size_t target_len;
	uint64_t link_offset;		/* the link's header */
	struct byte_range found;	/* the target's member, if found */
	int have;
};

/* Byte order of two names, then length. */
static int
name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return (c);
	return (alen < blen ? -1 : alen > blen);
}

static int
link_need_cmp(const void *x, const void *y)
{
	const struct link_need *a = x, *b = y;

	return (name_cmp(a->target, a->target_len, b->target, b->target_len));
}

static int
link_need_found_cmp(const void *x, const void *y)
{
	const struct link_need *a = x, *b = y;

	if (a->have != b->have)
		return (a->have ? -1 : 1);
	return (a->found.start < b->found.start ? -1 :
	    a->found.start > b->found.start);
}

static int
range_cmp(const void *x, const void *y)
{
	const struct byte_range *a = x, *b = y;

	return (a->start < b->start ? -1 : a->start > b->start);
}

/* Append [start, end) to the array (grown as needed). */
static int
range_add(struct byte_range **ranges, size_t *n, size_t *cap,
    uint64_t start, uint64_t end)
{
	struct byte_range *nr;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((nr = realloc(*ranges, *cap * sizeof(*nr))) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		*ranges = nr;
	}
	(*ranges)[*n].start = start;
	(*ranges)[*n].end = end;
	(*n)++;
	return (QS_OK);
}

/*
 * Second pass over the catalogue: for each needed target, the last member
 * of that name before its link.
 */
static int
find_link_targets(struct store *s, const struct manifest_summary *sum,
    struct link_need *needs, size_t nneeds)
{
	struct catalogue_reader *cr = NULL;
	struct catalogue_member m;
	const char *p;
	size_t len, lo, hi, mid;
	int rc;

	qsort(needs, nneeds, sizeof(*needs), link_need_cmp);
	if ((rc = catalogue_reader_open(s, sum, &cr)) != QS_OK)
		return (rc);
	while ((rc = catalogue_reader_next(cr, &m)) == QS_OK) {
		len = m.path_len;
		p = skip_dot_slash(m.path, &len);
		/* The first need with this name. */
		for (lo = 0, hi = nneeds; lo < hi; ) {
			mid = lo + (hi - lo) / 2;
			if (name_cmp(needs[mid].target, needs[mid].target_len,
			    p, len) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < nneeds && name_cmp(needs[lo].target,
		    needs[lo].target_len, p, len) == 0; lo++) {
			if (m.header_offset >= needs[lo].link_offset)
				continue;
			needs[lo].found.start = m.header_offset;
			needs[lo].found.end = m.end_offset;
			needs[lo].have = 1;
		}
	}
	catalogue_reader_free(cr);
	return (rc == 1 ? QS_OK : rc);
}

/* The distinct target members found (several links may share one). */
static uint64_t
count_targets(struct link_need *needs, size_t nneeds)
{
	uint64_t count = 0, last = 0;
	int any = 0;

	/* qsort's array must not be NULL, even for no element. */
	if (nneeds == 0)
		return (0);
	qsort(needs, nneeds, sizeof(*needs), link_need_found_cmp);
	for (size_t i = 0; i < nneeds; i++) {
		if (!needs[i].have || (any && needs[i].found.start == last))
			continue;
		any = 1;
		last = needs[i].found.start;
		count++;
	}
	return (count);
}

static void
needs_free(struct link_need *needs, size_t nneeds)
{

	for (size_t i = 0; i < nneeds; i++)
		free(needs[i].target);
	free(needs);
}

/**
 * members_ranges(s, sum, patterns, npatterns, ranges, n, chosen,
 *     link_targets):
 * The byte ranges of the chosen members and of the targets of chosen
 * hard links.
 */
int
members_ranges(struct store *s, const struct manifest_summary *sum,
    char *const *patterns, int npatterns, struct byte_range **rangesp,
    size_t *np, uint64_t *chosen, uint64_t *link_targets)
{
	struct catalogue_reader *cr = NULL;
	struct catalogue_member m;
	struct byte_range *ranges = NULL;
	struct link_need *needs = NULL, *nn;
	size_t n = 0, cap = 0, nneeds = 0, capneeds = 0, len, k;
	const char *p;
	int rc;

	*chosen = 0;
	*link_targets = 0;
	if ((rc = catalogue_reader_open(s, sum, &cr)) != QS_OK)
		return (rc);
	while ((rc = catalogue_reader_next(cr, &m)) == QS_OK) {
		if (!members_match(m.path, m.path_len, patterns, npatterns))
			continue;
		(*chosen)++;
		if ((rc = range_add(&ranges, &n, &cap, m.header_offset,
		    m.end_offset)) != QS_OK)
			goto err;
		if (m.type != MEMBER_HARDLINK || m.link_len == 0 ||
		    members_match(m.link, m.link_len, patterns, npatterns))
			continue;
		if (nneeds == capneeds) {
			capneeds = capneeds ? capneeds * 2 : 16;
			if ((nn = realloc(needs, capneeds * sizeof(*nn))) ==
			    NULL) {
				rc = qs_error_set(QS_ENOMEM, "out of memory");
				goto err;
			}
			needs = nn;
		}
		len = m.link_len;
		p = skip_dot_slash(m.link, &len);
		memset(&needs[nneeds], 0, sizeof(needs[nneeds]));
		if ((needs[nneeds].target = malloc(len + 1)) == NULL) {
			rc = qs_error_set(QS_ENOMEM, "out of memory");
			goto err;
		}
		memcpy(needs[nneeds].target, p, len);
		needs[nneeds].target[len] = '\0';
		needs[nneeds].target_len = len;
		needs[nneeds].link_offset = m.header_offset;
		nneeds++;
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
	cr = NULL;
	if (nneeds > 0) {
		if ((rc = find_link_targets(s, sum, needs, nneeds)) != QS_OK)
			goto err;
		/*
		 * A target missing from the catalogue is left to the tar
		 * reader to report; one shared by several links counts once.
		 */
		for (k = 0; k < nneeds; k++) {
			if (!needs[k].have)
				continue;
			if ((rc = range_add(&ranges, &n, &cap,
			    needs[k].found.start, needs[k].found.end)) !=
			    QS_OK)
				goto err;
		}
	}
	/* Sorted, and overlapping or adjacent ranges merged (links that
	 * share a target brought it in once for each). */
	qsort(ranges, n, sizeof(*ranges), range_cmp);
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && ranges[i].start <= ranges[k - 1].end) {
			if (ranges[i].end > ranges[k - 1].end)
				ranges[k - 1].end = ranges[i].end;
			continue;
		}
		ranges[k++] = ranges[i];
	}
	n = k;
	*link_targets = count_targets(needs, nneeds);
	needs_free(needs, nneeds);
	*rangesp = ranges;
	*np = n;
	return (QS_OK);

err:
	catalogue_reader_free(cr);
	needs_free(needs, nneeds);
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

/* Set a name from a pointer into the entry's own copy of it. */
static int
strip_set(struct archive_entry *e, const char *p,
    void (*set)(struct archive_entry *, const char *))
{
	char *copy;

	if ((copy = strdup(p)) == NULL)
		return (0);
	set(e, copy);
	free(copy);
	return (1);
}

/*
 * Drop the leading '/' of the entry's name and hard-link target, as GNU
 * tar and bsdtar do, so that "/etc/x" lands in the directory as "etc/x".
 * Whether a name was changed; -1 out of memory.
 */
static int
strip_absolute(struct archive_entry *e)
{
	const char *p, *l;
	int changed = 0;

	if ((p = archive_entry_pathname(e)) != NULL && p[0] == '/') {
		while (p[0] == '/')
			p++;
		/* Copy first: ${p} points into the entry's own string. */
		if (!strip_set(e, p, archive_entry_copy_pathname))
			return (-1);
		changed = 1;
	}
	if ((l = archive_entry_hardlink(e)) != NULL && l[0] == '/') {
		while (l[0] == '/')
			l++;
		if (!strip_set(e, l, archive_entry_copy_hardlink))
			return (-1);
		changed = 1;
	}
	return (changed);
}

/* Tell the caller about a member; ${refused}: it was not restored. */
static void
extract_notice(const struct members_extract_opts *o,
    struct members_extract_result *res, const char *path, const char *why,
    int refused)
{

	if (refused)
		res->refused++;
	else
		res->warnings++;
	if (o->notice != NULL)
		o->notice(o->notice_ctx, path != NULL ? path : "?",
		    why != NULL ? why : "refused", refused);
}

/* Copy the entry's data to the disk writer; QS_OK, or stop. */
static int
extract_data(struct archive *in, struct archive *out, struct archive_entry *e)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &size, &off)) ==
	    ARCHIVE_OK) {
		if (archive_write_data_block(out, buf, size, off) <
		    ARCHIVE_WARN)
			return (qs_error_set(QS_EIO, "%s: %s",
			    archive_entry_pathname(e),
			    archive_error_string(out)));
	}
	if (r != ARCHIVE_EOF)
		return (qs_error_set(QS_ECORRUPT, "%s: %s",
		    archive_entry_pathname(e), archive_error_string(in)));
	return (QS_OK);
}

/**
 * members_extract(s, name, ranges, n, dir, opts, result):
 * Extract the chosen members under ${dir}; refuse and skip the unsafe.
 */
int
members_extract(struct store *s, const char *name,
    const struct byte_range *ranges, size_t n, const char *dir,
    const struct members_extract_opts *o, struct members_extract_result *res)
{
	struct archive *in = NULL, *out = NULL;
	struct archive_entry *e;
	struct writer_job job;
	pthread_t thread;
	char *cwd = NULL, *path = NULL;
	int fds[2], r, rc = QS_OK, flags;

	memset(res, 0, sizeof(*res));
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
	/*
	 * Absolute names are stripped above, so NOABSOLUTEPATHS only
	 * catches what stripping missed.  Sparse members' holes are made by
	 * the writer seeking over them whatever the flags; SPARSE also
	 * turns runs of zeros in dense data into holes.
	 */
	flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
	    ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_XATTR |
	    ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	if (o->sparse)
		flags |= ARCHIVE_EXTRACT_SPARSE;
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
		if (!o->devices && (archive_entry_filetype(e) == AE_IFCHR ||
		    archive_entry_filetype(e) == AE_IFBLK)) {
			(void)archive_read_data_skip(in);
			continue;
		}
		if ((r = strip_absolute(e)) < 0) {
			rc = qs_error_set(QS_ENOMEM, "out of memory");
			goto done;
		}
		res->stripped += (uint64_t)r;
		/* The name for messages (the entry's may change). */
		free(path);
		if ((path = strdup(archive_entry_pathname(e) != NULL ?
		    archive_entry_pathname(e) : "")) == NULL) {
			rc = qs_error_set(QS_ENOMEM, "out of memory");
			goto done;
		}
		/* Nothing is left of a name that was only "/". */
		if (path[0] == '\0') {
			(void)archive_read_data_skip(in);
			continue;
		}
		r = archive_write_header(out, e);
		if (r == ARCHIVE_FATAL) {
			rc = qs_error_set(QS_EIO, "%s: %s", path,
			    archive_error_string(out));
			goto done;
		}
		if (r < ARCHIVE_WARN) {
			/* Refused ("..", a planted symlink, ...): skip it. */
			extract_notice(o, res, path,
			    archive_error_string(out), 1);
			if (archive_read_data_skip(in) != ARCHIVE_OK) {
				rc = qs_error_set(QS_ECORRUPT, "%s: %s", path,
				    archive_error_string(in));
				goto done;
			}
			continue;
		}
		if ((rc = extract_data(in, out, e)) != QS_OK)
			goto done;
		/*
		 * Metadata (times, xattrs, ACLs) is set when the entry is
		 * finished: a WARN there is a file restored without some of
		 * it, FAILED one not restored as asked.
		 */
		r = archive_write_finish_entry(out);
		if (r == ARCHIVE_FATAL) {
			rc = qs_error_set(QS_EIO, "%s: %s", path,
			    archive_error_string(out));
			goto done;
		}
		if (r < ARCHIVE_WARN)
			extract_notice(o, res, path,
			    archive_error_string(out), 1);
		else {
			res->extracted++;
			if (r == ARCHIVE_WARN)
				extract_notice(o, res, path,
				    archive_error_string(out), 0);
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
	free(path);
	res->bytes_read = job.bytes_read;
	return (rc);
}
