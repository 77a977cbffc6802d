/*
 * Storage in a local directory (see storage.h): the temporary-file protocol
 * of format/fileio.c, every file opened as a possibly hostile store's files
 * must be (fileio_open_regular: no symbolic links, no FIFOs).
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/fileio.h"
#include "format/qs_err.h"
#include "index/store/storage.h"
#include "index/store/storage_internal.h"

#define MODE_DIR	0700
#define MODE_FILE	0600
#define MODE_READONLY	0400

struct local {
	char root[4096];
};

static int
path_of(struct storage *st, const char *rel, char *out, size_t cap)
{
	struct local *l = st->impl;

	if ((size_t)snprintf(out, cap, "%s/%s", l->root, rel) >= cap)
		return (qs_error_set(QS_EINVAL, "%s/%s: path too long",
		    l->root, rel));
	return (QS_OK);
}

/* Make the directories on the way to ${path} (the root exists). */
static int
make_parents(struct storage *st, const char *rel)
{
	struct local *l = st->impl;
	char path[4096 + 1024];
	size_t rootlen = strlen(l->root) + 1;
	char *p;
	int rc;

	if ((rc = path_of(st, rel, path, sizeof(path))) != QS_OK)
		return (rc);
	for (p = path + rootlen; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		rc = fileio_mkdir(path, MODE_DIR);
		*p = '/';
		if (rc != QS_OK)
			return (rc);
	}
	return (QS_OK);
}

static int
local_put(struct storage *st, const char *rel, const void *buf, size_t len,
    int flags)
{
	char path[4096 + 1024];
	int rc;

	if ((rc = path_of(st, rel, path, sizeof(path))) != QS_OK ||
	    (strchr(rel, '/') != NULL && (rc = make_parents(st, rel)) != QS_OK))
		return (rc);
	return (fileio_write_atomic(path, buf, len,
	    (flags & STORAGE_READONLY) ? MODE_READONLY : MODE_FILE,
	    (flags & STORAGE_NOREPLACE) != 0));
}

static int
local_read(struct storage *st, const char *rel, uint64_t off, size_t len,
    void *buf, size_t *got)
{
	char path[4096 + 1024];
	struct stat sb;
	uint64_t left;
	int fd, rc;

	if ((rc = path_of(st, rel, path, sizeof(path))) != QS_OK ||
	    (rc = fileio_open_regular(path, 0, &fd)) != QS_OK)
		return (rc);
	if (fstat(fd, &sb) != 0) {
		rc = qs_error_errno(path, "fstat");
		goto done;
	}
	left = (uint64_t)sb.st_size > off ? (uint64_t)sb.st_size - off : 0;
	if (len > left)
		len = (size_t)left;
	if (len > 0 && (rc = fileio_pread_full(fd, buf, len, off, path)) !=
	    QS_OK)
		goto done;
	*got = len;
	rc = QS_OK;
done:
	close(fd);
	return (rc);
}

static int
local_size(struct storage *st, const char *rel, uint64_t *size)
{
	char path[4096 + 1024];
	struct stat sb;
	int fd, rc;

	if ((rc = path_of(st, rel, path, sizeof(path))) != QS_OK ||
	    (rc = fileio_open_regular(path, 0, &fd)) != QS_OK)
		return (rc);
	if (fstat(fd, &sb) != 0)
		rc = qs_error_errno(path, "fstat");
	else
		*size = (uint64_t)sb.st_size;
	close(fd);
	return (rc);
}

struct entry {
	char *name;
	uint64_t size;
};

static int
by_name(const void *a, const void *b)
{

	return (strcmp(((const struct entry *)a)->name,
	    ((const struct entry *)b)->name));
}

static int
local_list(struct storage *st, const char *dir,
    int (*fn)(void *, const char *, uint64_t), void *ctx)
{
	struct local *l = st->impl;
	char path[4096 + 1024];
	struct entry *v = NULL, *nv;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int dfd, rc = QS_OK;

	if ((size_t)snprintf(path, sizeof(path), "%s%s%s", l->root,
	    *dir ? "/" : "", dir) >= sizeof(path))
		return (qs_error_set(QS_EINVAL, "%s/%s: path too long",
		    l->root, dir));
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return (QS_OK);
		return (qs_error_errno(path, "open the directory"));
	}
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return (qs_error_errno(path, "opendir"));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || fileio_is_tmp_name(de->d_name))
			continue;
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)	/* removed meanwhile */
				continue;
			rc = qs_error_errno(path, de->d_name);
			goto done;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = qs_error_set(QS_ENOMEM, "out of memory");
				goto done;
			}
			v = nv;
		}
		if ((v[n].name = strdup(de->d_name)) == NULL) {
			rc = qs_error_set(QS_ENOMEM, "out of memory");
			goto done;
		}
		v[n++].size = (uint64_t)sb.st_size;
	}
	if (errno != 0) {
		rc = qs_error_errno(path, "readdir");
		goto done;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_name);
	for (i = 0; i < n && rc == QS_OK; i++)
		rc = fn(ctx, v[i].name, v[i].size);
done:
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	closedir(d);
	return (rc);
}

static int
local_remove(struct storage *st, const char *rel)
{
	char path[4096 + 1024];
	int rc;

	if ((rc = path_of(st, rel, path, sizeof(path))) != QS_OK)
		return (rc);
	rc = fileio_unlink(path);
	if (rc == QS_ENOENT) {
		qs_error_clear();
		rc = QS_OK;
	}
	return (rc);
}

static void
local_close(struct storage *st)
{

	free(st->impl);
	free(st);
}

/* ---- The lock: flock(2) on ROOT/lock. ---- */

struct local_lock {
	struct storage_lock base;
	int fd;
};

static int
local_lock_check(struct storage_lock *lk)
{

	(void)lk;		/* the kernel holds it for us */
	return (QS_OK);
}

static void
local_lock_release(struct storage_lock *lk)
{
	struct local_lock *ll = (struct local_lock *)lk;

	close(ll->fd);		/* releases the flock */
	free(ll);
}

static int
local_lock_take(struct storage *st, int mode, const char *holder,
    int timeout_ms, int lease_ms, char *busy, size_t busylen,
    struct storage_lock **lkp)
{
	char path[4096 + 1024];
	struct local_lock *ll;
	ssize_t n;
	int fd, rc;

	(void)lease_ms;
	if ((rc = path_of(st, "lock", path, sizeof(path))) != QS_OK)
		return (rc);
	/* The one file written in place: it must be the regular file init
	 * made (a link there would have us write into what it names). */
	if ((rc = fileio_open_regular(path, O_RDWR, &fd)) != QS_OK) {
		if (rc == QS_ENOENT)
			return (qs_error_set(QS_ENOENT, "%s: no qsarc store "
			    "here (no lock file)", st->name));
		return (rc);
	}
	rc = fileio_flock_wait(fd, mode == STORAGE_LOCK_EXCLUSIVE, timeout_ms,
	    path);
	if (rc == QS_EBUSY) {
		if (busylen > 0 && (n = pread(fd, busy, busylen - 1, 0)) > 0) {
			busy[n] = '\0';
			busy[strcspn(busy, "\n")] = '\0';
		}
		close(fd);
		return (qs_error_set(QS_EBUSY, "%s: store is busy%s%s",
		    st->name, busylen > 0 && busy[0] ? ": " : "",
		    busylen > 0 ? busy : ""));
	}
	if (rc != QS_OK) {
		close(fd);
		return (rc);
	}
	if ((ll = calloc(1, sizeof(*ll))) == NULL) {
		close(fd);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	/* Advisory text for the "busy" message of others. */
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, holder, strlen(holder), 0);
	ll->base.check = local_lock_check;
	ll->base.release = local_lock_release;
	ll->fd = fd;
	*lkp = &ll->base;
	return (QS_OK);
}

static const struct storage_ops local_ops = {
	local_put, local_read, local_size, local_list, local_remove,
	local_close, local_lock_take,
};

int
storage_open_local(const char *root, struct storage **stp)
{
	struct storage *st;
	struct local *l;
	struct stat sb;

	*stp = NULL;
	if (strlen(root) >= sizeof(l->root) - 1)
		return (qs_error_set(QS_EINVAL, "%s: path too long", root));
	if (stat(root, &sb) != 0)
		return (qs_error_errno(root, "stat"));
	if (!S_ISDIR(sb.st_mode))
		return (qs_error_set(QS_EINVAL, "%s: not a directory", root));
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (l = calloc(1, sizeof(*l))) == NULL) {
		free(st);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	strcpy(l->root, root);
	snprintf(st->name, sizeof(st->name), "%s", root);
	st->ops = &local_ops;
	st->impl = l;
	*stp = st;
	return (QS_OK);
}
