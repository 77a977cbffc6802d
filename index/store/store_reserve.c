/*
 * The reserve: STORE/reserve, allocated space that clean gives back first
 * so that it can reclaim on a full file system (store.h, spec/FORMAT.md 2
 * and 8.3).  Appliances keep such a reserve for their cleaner for the same
 * reason: the operation that frees space must itself write (here a new
 * index and the stream set) before it may delete anything.
 */

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "format/fileio.h"
#include "format/qs_err.h"
#include "index/store/store.h"

/* What clean writes besides the index and the stream set (margin). */
#define RESERVE_MARGIN	(256ULL << 10)
#define RESERVE_ROUND	(64ULL << 10)

/* ${path}'s size, 0 if it does not exist. */
static uint64_t
file_size(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return (0);
	return ((uint64_t)sb.st_size);
}

/**
 * store_reserve_target(root, bytes):
 * The size the reserve should have (see store.h).
 */
int
store_reserve_target(const char *root, uint64_t *bytes)
{
	char dir[4096], path[4400];
	struct dirent *de;
	uint64_t index = 0, need;
	DIR *d;
	int rc;

	if ((rc = store_path_index(root, dir, sizeof(dir))) != QS_OK)
		return (rc);
	/* A missing index directory is an empty index. */
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			index += file_size(path);
		}
		closedir(d);
	}
	if ((rc = store_path_streamset(root, path, sizeof(path))) != QS_OK)
		return (rc);
	/*
	 * A replacement index is written whole before the old segments go,
	 * and may be written as runs then merged (index.md 5.3): twice the
	 * index.  The stream set is rewritten as each expired stream goes.
	 */
	need = 2 * index + 2 * file_size(path) + RESERVE_MARGIN;
	need = (need + RESERVE_ROUND - 1) / RESERVE_ROUND * RESERVE_ROUND;
	*bytes = need < STORE_RESERVE_MIN ? STORE_RESERVE_MIN : need;
	return (QS_OK);
}

/**
 * store_reserve_size(root, bytes):
 * The size of the reserve, 0 if none.
 */
int
store_reserve_size(const char *root, uint64_t *bytes)
{
	char path[4096];
	int rc;

	if ((rc = store_path_reserve(root, path, sizeof(path))) != QS_OK)
		return (rc);
	*bytes = file_size(path);
	return (QS_OK);
}

/**
 * store_reserve_release(root):
 * Delete the reserve (QS_OK if there is none).
 */
int
store_reserve_release(const char *root)
{
	char path[4096];
	int rc;

	if ((rc = store_path_reserve(root, path, sizeof(path))) != QS_OK)
		return (rc);
	if (access(path, F_OK) != 0)
		return (QS_OK);
	return (fileio_unlink(path));
}

/* Bytes the file system holding ${root} has free for us. */
static int
free_bytes(const char *root, uint64_t *avail)
{
	struct statvfs sv;

	if (statvfs(root, &sv) != 0)
		return (qs_error_errno(root, "statvfs"));
	*avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	return (QS_OK);
}

/**
 * store_reserve_make(root, bytes, room):
 * Make the reserve ${bytes} long if ${bytes} + ${room} are free.
 */
int
store_reserve_make(const char *root, uint64_t bytes, uint64_t room)
{
	struct fileio_tmp *t = NULL;
	char path[4096];
	uint64_t avail = 0;
	int rc, err;

	if ((rc = store_path_reserve(root, path, sizeof(path))) != QS_OK)
		return (rc);
	if (file_size(path) == bytes)
		return (QS_OK);
	if ((rc = free_bytes(root, &avail)) != QS_OK)
		return (rc);
	if (avail < bytes + room)
		return (1);
	if ((rc = fileio_tmp_open(path, STORE_MODE_FILE, &t)) != QS_OK)
		return (rc == QS_ENOSPC ? (qs_error_clear(), 1) : rc);
	/*
	 * Allocated, not sparse: the blocks must be ours to give back.
	 * (posix_fallocate writes them where the file system cannot
	 * allocate without writing.)
	 */
	if ((rc = fileio_fault_point(FILEIO_OP_WRITE, path)) != QS_OK)
		goto fail;
	if ((err = posix_fallocate(fileio_tmp_fd(t), 0, (off_t)bytes)) != 0) {
		errno = err;
		rc = qs_error_errno(path, "allocate");
		goto fail;
	}
	/* A rename over an old reserve of another size replaces it. */
	if ((rc = fileio_tmp_commit(t, 0)) != QS_OK)
		return (rc == QS_ENOSPC ? (qs_error_clear(), 1) : rc);
	return (QS_OK);
fail:
	fileio_tmp_abort(t);
	if (rc == QS_ENOSPC) {
		qs_error_clear();
		return (1);
	}
	return (rc);
}

/**
 * store_reserve_keep(root):
 * Make a missing reserve if three times its size stays free besides.
 */
void
store_reserve_keep(const char *root)
{
	struct qs_error saved;
	char path[4096];
	uint64_t bytes;

	if (store_path_reserve(root, path, sizeof(path)) != QS_OK ||
	    access(path, F_OK) == 0)
		return;
	qs_error_save(&saved);
	if (store_reserve_target(root, &bytes) == QS_OK)
		(void)store_reserve_make(root, bytes, 3 * bytes);
	qs_error_restore(&saved);
}

/**
 * store_reserve_borrow(root, bytes):
 * Shorten the reserve by ${bytes} (rounded up to 4 KiB).
 */
int
store_reserve_borrow(const char *root, uint64_t bytes)
{
	char path[4096];
	struct stat sb;
	uint64_t left;
	int fd, rc;

	if ((rc = store_path_reserve(root, path, sizeof(path))) != QS_OK)
		return (rc);
	if ((rc = fileio_open_regular(path, O_RDWR, &fd)) != QS_OK) {
		if (rc == QS_ENOENT) {
			qs_error_clear();
			return (1);
		}
		return (rc);
	}
	if (fstat(fd, &sb) != 0) {
		rc = qs_error_errno(path, "fstat");
		goto done;
	}
	if (sb.st_size == 0) {
		rc = 1;
		goto done;
	}
	bytes = (bytes + 4095) / 4096 * 4096;
	left = (uint64_t)sb.st_size > bytes ? (uint64_t)sb.st_size - bytes : 0;
	/* Its bytes mean nothing: shortened in place, no new copy. */
	if ((rc = fileio_fault_point(FILEIO_OP_OTHER, path)) == QS_OK &&
	    ftruncate(fd, (off_t)left) != 0)
		rc = qs_error_errno(path, "truncate");
done:
	close(fd);
	return (rc);
}
