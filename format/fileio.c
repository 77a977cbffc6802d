#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format/fileio.h"
#include "format/qs_err.h"

struct fileio_tmp {
	int fd;
	uint64_t offset;
	char *final_path;
	char *tmp_path;
};

/*
 * Test-only fault injection; see fileio.h.  Compiled in only when
 * QSARC_TEST_HOOKS is defined (the test build, build/qsarc-test, and the
 * unit tests); the installed binary never reads these variables.
 */
#ifdef QSARC_TEST_HOOKS
static long fault_counter;
static long fault_crash_at = -1;
static long fault_enospc_at = -1;
static int fault_initialised;
static const char *fault_count_file;

static void
fault_write_count(void)
{
	FILE *f;

	if (fault_count_file == NULL)
		return;
	if ((f = fopen(fault_count_file, "w")) == NULL)
		return;
	fprintf(f, "%ld\n", fault_counter);
	fclose(f);
}

/*
 * The power-loss journal (QSARC_POWERLOSS_LOG=FILE): every store mutation
 * done through this file, appended to FILE as it completes, for
 * tests/powerloss.py to rebuild what a power cut at any point would leave
 * (data not covered by an fsync lost or torn, renames and unlinks in a
 * directory not fsynced since undone).  One text line per record, paths
 * absolute:
 *   P N                  mutation point N is reached (QSARC_CRASH_AT=N
 *                        would exit here)
 *   C INO PATH           a new file (temporary) was created
 *   W INO OFF LEN        LEN bytes written at OFF, the LEN raw bytes follow
 *   F INO                the file was fsynced
 *   D DIR                the directory was fsynced
 *   R FROM TO | L FROM TO | U PATH | M PATH    rename, link, unlink, mkdir
 * Test build only, like the fault hooks; a failing journal write aborts
 * (the test would otherwise judge states that never happened).
 */
static int plog_fd = -1;
/* One record at a time: a W record is two writes, and put has threads. */
static pthread_mutex_t plog_mu = PTHREAD_MUTEX_INITIALIZER;

static void
plog_raw(const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(plog_fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		p += n;
		len -= (size_t)n;
	}
}

/* An absolute form of ${path} (relative to the working directory). */
static void
plog_abs(const char *path, char *out, size_t outlen)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(out, outlen, "%s", path);
	else
		snprintf(out, outlen, "%s/%s", cwd, path);
}

static void fault_init(void);

/* Record ${op} with up to two paths and a number ("%" fields omitted). */
static void
plog_rec(char op, long long num, const char *a, const char *b)
{
	char line[3 * PATH_MAX + 64], pa[PATH_MAX + 1], pb[PATH_MAX + 1];
	int n;

	if (!fault_initialised)
		fault_init();
	if (plog_fd < 0)
		return;
	if (a != NULL)
		plog_abs(a, pa, sizeof(pa));
	if (b != NULL)
		plog_abs(b, pb, sizeof(pb));
	if (a == NULL)
		n = snprintf(line, sizeof(line), "%c %lld\n", op, num);
	else if (num < 0)
		n = snprintf(line, sizeof(line), "%c %s%s%s\n", op, pa,
		    b != NULL ? " " : "", b != NULL ? pb : "");
	else
		n = snprintf(line, sizeof(line), "%c %lld %s\n", op, num, pa);
	if (n > 0 && (size_t)n < sizeof(line)) {
		pthread_mutex_lock(&plog_mu);
		plog_raw(line, (size_t)n);
		pthread_mutex_unlock(&plog_mu);
	}
}

static long long
plog_ino(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return (-1);
	return ((long long)st.st_ino);
}

static void
plog_write(int fd, const void *buf, size_t len, long long off)
{
	char line[128];
	int n;

	if (!fault_initialised)
		fault_init();
	if (plog_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "W %lld %lld %zu\n", plog_ino(fd),
	    off, len);
	pthread_mutex_lock(&plog_mu);
	plog_raw(line, (size_t)n);
	plog_raw(buf, len);
	pthread_mutex_unlock(&plog_mu);
}

static void
fault_init(void)
{
	const char *s;

	fault_initialised = 1;
	if ((s = getenv("QSARC_POWERLOSS_LOG")) != NULL && *s != '\0' &&
	    plog_fd < 0 && (plog_fd = open(s, O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0600)) < 0)
		abort();
	if ((s = getenv("QSARC_CRASH_AT")) != NULL && *s != '\0')
		fault_crash_at = strtol(s, NULL, 10);
	if ((s = getenv("QSARC_ENOSPC_AT")) != NULL && *s != '\0')
		fault_enospc_at = strtol(s, NULL, 10);
	if ((s = getenv("QSARC_COUNT_FILE")) != NULL && *s != '\0') {
		fault_count_file = s;
		atexit(fault_write_count);
	}
}
#endif /* QSARC_TEST_HOOKS */

/**
 * fileio_fault_point(what, path):
 * Count one mutation point and apply the test-only fault injection.
 * Return QS_OK, or QS_ENOSPC when an ENOSPC is injected for a write.
 * Without QSARC_TEST_HOOKS this does nothing and returns QS_OK.
 */
int
fileio_fault_point(int what, const char *path)
{
#ifdef QSARC_TEST_HOOKS
	long n;

	/* The counter is shared by threads; a put writes from one thread. */
	if (!fault_initialised)
		fault_init();
	n = __atomic_add_fetch(&fault_counter, 1, __ATOMIC_SEQ_CST);
	plog_rec('P', n, NULL, NULL);
	if (n == fault_crash_at) {
		fault_write_count();
		_exit(99);
	}
	if (what == FILEIO_OP_WRITE && n == fault_enospc_at) {
		errno = ENOSPC;
		return (qs_error_errno(path, "write"));
	}
#else
	(void)what;
	(void)path;
#endif
	return (QS_OK);
}

/**
 * fileio_test_hooks():
 * Return non-zero if this build has the fault-injection hooks compiled in.
 */
int
fileio_test_hooks(void)
{
#ifdef QSARC_TEST_HOOKS
	return (1);
#else
	return (0);
#endif
}

#ifdef QSARC_TEST_HOOKS
#define PLOG(op, num, a, b)		plog_rec((op), (num), (a), (b))
#define PLOG_WRITE(fd, buf, len, off)	plog_write((fd), (buf), (len), (off))
#define PLOG_INO(fd)			plog_ino(fd)
#else
#define PLOG(op, num, a, b)		do { } while (0)
#define PLOG_WRITE(fd, buf, len, off)	do { } while (0)
#define PLOG_INO(fd)			(-1)
#endif

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (slash == NULL)
		return (strdup("."));
	if (slash == path)
		return (strdup("/"));
	if ((d = malloc((size_t)(slash - path) + 1)) == NULL)
		return (NULL);
	memcpy(d, path, (size_t)(slash - path));
	d[slash - path] = '\0';
	return (d);
}

/**
 * fileio_is_tmp_name(name):
 * Return non-zero if the directory entry ${name} is a temporary file left
 * by fileio_tmp_open.
 */
int
fileio_is_tmp_name(const char *name)
{

	return (strncmp(name, ".tmp-", 5) == 0);
}

/**
 * fileio_write_full(fd, buf, len, path):
 * Write all of ${buf} to ${fd} (a mutation point).
 */
int
fileio_write_full(int fd, const void *buf, size_t len, const char *path)
{
	const uint8_t *p = buf;
	ssize_t n;
	int rc;

	if ((rc = fileio_fault_point(FILEIO_OP_WRITE, path)) != QS_OK)
		return (rc);
#ifdef QSARC_TEST_HOOKS
	if (plog_fd >= 0)
		PLOG_WRITE(fd, buf, len, (long long)lseek(fd, 0, SEEK_CUR));
#endif
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (qs_error_errno(path, "write"));
		}
		p += n;
		len -= (size_t)n;
	}
	return (QS_OK);
}

/**
 * fileio_fsync(fd, path):
 * fsync ${fd} (a mutation point).
 */
int
fileio_fsync(int fd, const char *path)
{
	int rc;

	if ((rc = fileio_fault_point(FILEIO_OP_OTHER, path)) != QS_OK)
		return (rc);
	if (fsync(fd) != 0)
		return (qs_error_errno(path, "fsync"));
	PLOG('F', PLOG_INO(fd), NULL, NULL);
	return (QS_OK);
}

/**
 * fileio_fsync_dir(dir):
 * fsync the directory ${dir}, so a rename or unlink in it is durable.
 */
int
fileio_fsync_dir(const char *dir)
{
	int fd;
	int rc = QS_OK;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return (qs_error_errno(dir, "open directory"));
	/* Some file systems refuse fsync on a directory; that is not fatal. */
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		rc = qs_error_errno(dir, "fsync directory");
	else
		PLOG('D', -1, dir, NULL);
	close(fd);
	return (rc);
}

static int
fsync_dir_of(const char *path)
{
	char *dir;
	int rc;

	if ((dir = dir_of(path)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	rc = fileio_fsync_dir(dir);
	free(dir);
	return (rc);
}

/*
 * After a rename: fsync the directory of ${to} and, when ${from} was in
 * another directory, that one too, or a power cut can leave the name in
 * its old place again, or in both (a file system that makes each
 * directory durable on its own; ext4's journal hides this).
 */
static int
fsync_dirs_of(const char *from, const char *to)
{
	char *fdir, *tdir;
	int rc;

	if ((tdir = dir_of(to)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((fdir = dir_of(from)) == NULL) {
		free(tdir);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	rc = fileio_fsync_dir(tdir);
	if (rc == QS_OK && strcmp(fdir, tdir) != 0)
		rc = fileio_fsync_dir(fdir);
	free(fdir);
	free(tdir);
	return (rc);
}

/**
 * fileio_rename(from, to):
 * rename(2) then fsync the directory of ${to} (a mutation point), and the
 * directory of ${from} if it is another one.
 */
int
fileio_rename(const char *from, const char *to)
{
	int rc;

	if ((rc = fileio_fault_point(FILEIO_OP_OTHER, to)) != QS_OK)
		return (rc);
	if (rename(from, to) != 0)
		return (qs_error_errno(to, "rename"));
	PLOG('R', -1, from, to);
	return (fsync_dirs_of(from, to));
}

/**
 * fileio_rename_noreplace(from, to):
 * As fileio_rename, but fail with QS_EEXIST if ${to} exists.
 */
int
fileio_rename_noreplace(const char *from, const char *to)
{
	int rc;

	if ((rc = fileio_fault_point(FILEIO_OP_OTHER, to)) != QS_OK)
		return (rc);
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) != 0) {
		if (errno == EEXIST)
			return (qs_error_set(QS_EEXIST, "%s: already exists",
			    to));
		if (errno != EINVAL && errno != ENOSYS)
			return (qs_error_errno(to, "rename"));
		/* No RENAME_NOREPLACE here: link then unlink. */
		if (link(from, to) != 0) {
			if (errno == EEXIST)
				return (qs_error_set(QS_EEXIST,
				    "%s: already exists", to));
			return (qs_error_errno(to, "link"));
		}
		PLOG('L', -1, from, to);
		if (unlink(from) != 0)
			return (qs_error_errno(from, "unlink"));
		PLOG('U', -1, from, NULL);
		return (fsync_dirs_of(from, to));
	}
	PLOG('R', -1, from, to);
	return (fsync_dirs_of(from, to));
}

/**
 * fileio_unlink(path):
 * unlink(2) then fsync the directory (a mutation point).  A missing file is
 * not an error.
 */
int
fileio_unlink(const char *path)
{
	int rc;

	if ((rc = fileio_fault_point(FILEIO_OP_OTHER, path)) != QS_OK)
		return (rc);
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			return (QS_OK);
		return (qs_error_errno(path, "unlink"));
	}
	PLOG('U', -1, path, NULL);
	return (fsync_dir_of(path));
}

/**
 * fileio_mkdir(path, mode):
 * mkdir(2); an existing directory is not an error.
 */
int
fileio_mkdir(const char *path, mode_t mode)
{
	struct stat st;

	/* The new entry must survive a crash like any file we commit. */
	if (mkdir(path, mode) == 0) {
		PLOG('M', -1, path, NULL);
		return (fsync_dir_of(path));
	}
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return (QS_OK);
	return (qs_error_errno(path, "mkdir"));
}

/*
 * 64 bits from the system's random source for a temporary name.  random()
 * is never seeded, so its names repeat from run to run and someone who can
 * write the directory could plant them all and block every commit there
 * (the 16 tries below would all hit EEXIST).
 */
static unsigned long long
tmp_suffix(void)
{
	unsigned long long r;

	if (getentropy(&r, sizeof(r)) != 0) {
		struct timespec ts;

		/* Not expected on Linux >= 3.17; still never the same twice. */
		clock_gettime(CLOCK_REALTIME, &ts);
		r = ((unsigned long long)ts.tv_sec << 30) ^
		    (unsigned long long)ts.tv_nsec ^
		    ((unsigned long long)getpid() << 40);
	}
	return (r);
}

/**
 * fileio_tmp_open(final_path, mode, tmp):
 * Create a new temporary file beside ${final_path} with permissions ${mode}.
 * On success store a handle in ${tmp} and return QS_OK.
 */
int
fileio_tmp_open(const char *final_path, mode_t mode, struct fileio_tmp **tmp)
{
	struct fileio_tmp *t;
	const char *base;
	char *dir;
	size_t len;
	int rc;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	t->fd = -1;
	if ((t->final_path = strdup(final_path)) == NULL)
		goto enomem;
	if ((dir = dir_of(final_path)) == NULL)
		goto enomem;
	base = strrchr(final_path, '/');
	base = (base == NULL) ? final_path : base + 1;
	len = strlen(dir) + strlen(base) + 64;
	if ((t->tmp_path = malloc(len)) == NULL) {
		free(dir);
		goto enomem;
	}
	for (int tries = 0; tries < 16; tries++) {
		snprintf(t->tmp_path, len, "%s/.tmp-%s-%ld-%016llx", dir, base,
		    (long)getpid(), tmp_suffix());
		t->fd = open(t->tmp_path,
		    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (t->fd >= 0 || errno != EEXIST)
			break;
	}
	free(dir);
	if (t->fd < 0) {
		rc = qs_error_errno(t->tmp_path, "create");
		goto err;
	}
	PLOG('C', PLOG_INO(t->fd), t->tmp_path, NULL);
	*tmp = t;
	return (QS_OK);

enomem:
	rc = qs_error_set(QS_ENOMEM, "out of memory");
err:
	free(t->tmp_path);
	free(t->final_path);
	free(t);
	return (rc);
}

/**
 * fileio_tmp_write(tmp, buf, len):
 * Append ${len} bytes to the temporary file.
 */
int
fileio_tmp_write(struct fileio_tmp *t, const void *buf, size_t len)
{
	int rc;

	if ((rc = fileio_write_full(t->fd, buf, len, t->tmp_path)) != QS_OK)
		return (rc);
	t->offset += len;
	return (QS_OK);
}

/**
 * fileio_tmp_pwrite(tmp, buf, len, off):
 * Overwrite ${len} bytes at ${off}, within what was already written.
 */
int
fileio_tmp_pwrite(struct fileio_tmp *t, const void *buf, size_t len,
    uint64_t off)
{
	const uint8_t *p = buf;
	ssize_t n;
	int rc;

	if (off + len > t->offset)
		return (qs_error_set(QS_EINVAL, "%s: write past the end",
		    t->tmp_path));
	if ((rc = fileio_fault_point(FILEIO_OP_WRITE, t->tmp_path)) != QS_OK)
		return (rc);
	PLOG_WRITE(t->fd, buf, len, (long long)off);
	while (len > 0) {
		n = pwrite(t->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (qs_error_errno(t->tmp_path, "write"));
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return (QS_OK);
}

/**
 * fileio_tmp_offset(tmp):
 * Return the number of bytes written so far.
 */
uint64_t
fileio_tmp_offset(const struct fileio_tmp *t)
{

	return (t->offset);
}

/**
 * fileio_tmp_fd(tmp):
 * Return the file descriptor.
 */
int
fileio_tmp_fd(const struct fileio_tmp *t)
{

	return (t->fd);
}

static void
tmp_free(struct fileio_tmp *t)
{

	if (t->fd >= 0)
		close(t->fd);
	free(t->tmp_path);
	free(t->final_path);
	free(t);
}

/**
 * fileio_tmp_abort(tmp):
 * Remove the temporary file and free ${tmp}.  ${tmp} may be NULL.
 */
void
fileio_tmp_abort(struct fileio_tmp *t)
{

	if (t == NULL)
		return;
	if (unlink(t->tmp_path) == 0)
		PLOG('U', -1, t->tmp_path, NULL);
	tmp_free(t);
}

/**
 * fileio_tmp_commit(tmp, noreplace):
 * fsync the file, rename it to its final name, fsync the directory, and
 * free ${tmp}.  On any failure the temporary file is removed.
 */
int
fileio_tmp_commit(struct fileio_tmp *t, int noreplace)
{
	int rc;

	if ((rc = fileio_fsync(t->fd, t->tmp_path)) != QS_OK)
		goto err;
	if (close(t->fd) != 0) {
		t->fd = -1;
		rc = qs_error_errno(t->tmp_path, "close");
		goto err;
	}
	t->fd = -1;
	if (noreplace) {
		/*
		 * link(2) fails if the target exists, which rename(2) does
		 * not; on file systems without hard links fall back to a
		 * check then rename (callers hold the store lock).
		 */
		if ((rc = fileio_fault_point(FILEIO_OP_OTHER,
		    t->final_path)) != QS_OK)
			goto err;
		if (link(t->tmp_path, t->final_path) == 0) {
			PLOG('L', -1, t->tmp_path, t->final_path);
			if (unlink(t->tmp_path) == 0)
				PLOG('U', -1, t->tmp_path, NULL);
			rc = fsync_dir_of(t->final_path);
			tmp_free(t);
			return (rc);
		}
		if (errno == EEXIST) {
			rc = qs_error_set(QS_EEXIST, "%s: already exists",
			    t->final_path);
			goto err;
		}
		if (access(t->final_path, F_OK) == 0) {
			rc = qs_error_set(QS_EEXIST, "%s: already exists",
			    t->final_path);
			goto err;
		}
	}
	if ((rc = fileio_rename(t->tmp_path, t->final_path)) != QS_OK)
		goto err;
	tmp_free(t);
	return (QS_OK);

err:
	fileio_tmp_abort(t);
	return (rc);
}

/**
 * fileio_write_atomic(path, buf, len, mode, noreplace):
 * Write ${buf} as the whole content of ${path} with the temporary-file
 * protocol.
 */
int
fileio_write_atomic(const char *path, const void *buf, size_t len,
    mode_t mode, int noreplace)
{
	struct fileio_tmp *t;
	int rc;

	if ((rc = fileio_tmp_open(path, mode, &t)) != QS_OK)
		return (rc);
	if ((rc = fileio_tmp_write(t, buf, len)) != QS_OK) {
		fileio_tmp_abort(t);
		return (rc);
	}
	return (fileio_tmp_commit(t, noreplace));
}

/* What a file of mode ${m} is, for messages. */
static const char *
kind_of(mode_t m)
{

	if (S_ISLNK(m))
		return ("a symbolic link");
	if (S_ISDIR(m))
		return ("a directory");
	if (S_ISFIFO(m))
		return ("a FIFO");
	if (S_ISCHR(m) || S_ISBLK(m))
		return ("a device");
	if (S_ISSOCK(m))
		return ("a socket");
	return ("not a regular file");
}

/**
 * fileio_open_regular(path, flags, fd):
 * Open a regular file (with one name if for writing), following no
 * symbolic link and blocking on nothing.
 */
int
fileio_open_regular(const char *path, int flags, int *fdp)
{
	struct stat st;
	int fd, rc;

	flags = (flags & O_RDWR) ? O_RDWR : O_RDONLY;
	if ((fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) < 0) {
		/* O_NOFOLLOW on a link: ELOOP; say what it is. */
		if (errno == ELOOP || errno == EMLINK || errno == ENXIO ||
		    errno == EISDIR) {
			if (lstat(path, &st) == 0)
				return (qs_error_set(QS_ECORRUPT, "%s: is %s, "
				    "not a file qsarc wrote; refusing to use it",
				    path, kind_of(st.st_mode)));
		}
		return (qs_error_errno(path, "open"));
	}
	if (fstat(fd, &st) != 0) {
		rc = qs_error_errno(path, "stat");
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = qs_error_set(QS_ECORRUPT, "%s: is %s, not a file qsarc "
		    "wrote; refusing to use it", path, kind_of(st.st_mode));
		goto err;
	}
	if ((flags & O_RDWR) && st.st_nlink > 1) {
		rc = qs_error_set(QS_ECORRUPT, "%s: has %ju names (hard "
		    "links), not a file qsarc wrote; refusing to use it", path,
		    (uintmax_t)st.st_nlink);
		goto err;
	}
	/* Regular files ignore O_NONBLOCK; clear it all the same. */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*fdp = fd;
	return (QS_OK);

err:
	close(fd);
	return (rc);
}

/**
 * fileio_read_all(path, buf, len, maxlen):
 * Read the whole of ${path} into a new malloc'd buffer (caller frees).
 */
int
fileio_read_all(const char *path, uint8_t **buf, size_t *len, size_t maxlen)
{
	struct stat st;
	uint8_t *b;
	int fd;
	int rc;

	if ((rc = fileio_open_regular(path, 0, &fd)) != QS_OK)
		return (rc);
	if (fstat(fd, &st) != 0) {
		rc = qs_error_errno(path, "stat");
		goto err0;
	}
	if ((uint64_t)st.st_size > maxlen) {
		rc = qs_error_set(QS_ECORRUPT,
		    "%s: file is %lld bytes, more than the %zu allowed", path,
		    (long long)st.st_size, maxlen);
		goto err0;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto err0;
	}
	if ((rc = fileio_pread_full(fd, b, (size_t)st.st_size, 0, path))
	    != QS_OK) {
		free(b);
		goto err0;
	}
	close(fd);
	*buf = b;
	*len = (size_t)st.st_size;
	return (QS_OK);

err0:
	close(fd);
	return (rc);
}

/**
 * fileio_pread_full(fd, buf, len, off, path):
 * Read exactly ${len} bytes at ${off}.
 */
int
fileio_pread_full(int fd, void *buf, size_t len, uint64_t off,
    const char *path)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (qs_error_errno(path, "read"));
		}
		if (n == 0)
			return (qs_error_set(QS_ECORRUPT,
			    "%s: truncated: expected %zu more bytes at offset "
			    "%llu", path, len, (unsigned long long)off));
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return (QS_OK);
}

/**
 * fileio_flock_wait(fd, exclusive, timeout_ms, path):
 * Take a flock(2) on ${fd}, retrying every 50 ms for up to ${timeout_ms}.
 */
int
fileio_flock_wait(int fd, int exclusive, int timeout_ms, const char *path)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int op = exclusive ? LOCK_EX : LOCK_SH;
	int waited = 0;

	while (flock(fd, op | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return (qs_error_errno(path, "flock"));
		if (waited >= timeout_ms)
			return (QS_EBUSY);
		nanosleep(&ts, NULL);
		waited += 50;
	}
	return (QS_OK);
}
