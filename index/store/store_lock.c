/*
 * The store lock: flock(2) on STORE/lock, whose text says who holds it
 * for the "busy" message of the others.
 */

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format/fileio.h"
#include "format/qs_err.h"
#include "index/store/store.h"
#include "index/store/store_internal.h"

static char command_name[128] = "qsarc";

/**
 * store_set_command(cmd):
 * Name the running command for the lock file.
 */
void
store_set_command(const char *cmd)
{

	snprintf(command_name, sizeof(command_name), "%s", cmd);
}

/**
 * store_lock_take(s, lockmode, timeout_ms):
 * Take the store lock in ${lockmode} and say who holds it.
 */
int
store_lock_take(struct store *s, int lockmode, int timeout_ms)
{
	char path[4096], info[256];
	int exclusive = (lockmode & 0xff) == STORE_LOCK_EXCLUSIVE;
	int rc, n;

	if ((rc = store_path_lock(s->root, path, sizeof(path))) != QS_OK)
		return (rc);
	/*
	 * The lock is the one store file written in place, so it must be
	 * the regular file init made: a link put there would have us write
	 * the holder text into whatever it names.
	 */
	/*
	 * A store on read-only media, or one this user may only read, can
	 * still be read: a shared flock works on a read-only descriptor
	 * (and on a read-only file system nobody can be writing anyway).
	 * Then there is no holder text to write.
	 */
	if (s->lock_fd < 0 && !exclusive &&
	    faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0 &&
	    (errno == EROFS || errno == EACCES)) {
		if ((rc = fileio_open_regular(path, 0, &s->lock_fd)) != QS_OK) {
			s->lock_fd = -1;
			return (rc);
		}
		s->lock_readonly = 1;
	}
	if (s->lock_fd < 0 && exclusive &&
	    faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0 &&
	    (errno == EROFS || errno == EACCES))
		return (qs_error_set(QS_EIO, "%s: the store is read-only "
		    "here (%s), and this command changes it", s->root,
		    errno == EROFS ? "a read-only file system" :
		    "no write permission"));
	if (s->lock_fd < 0 &&
	    (rc = fileio_open_regular(path, O_RDWR, &s->lock_fd)) != QS_OK) {
		s->lock_fd = -1;
		if (rc == QS_ENOENT)
			return (qs_error_set(QS_ENOENT,
			    "%s: no qsarc store here (no lock file)", s->root));
		return (rc);
	}
	rc = fileio_flock_wait(s->lock_fd, exclusive, timeout_ms, path);
	if (rc == QS_EBUSY) {
		store_lock_holder(s->root, info, sizeof(info));
		return (qs_error_set(QS_EBUSY,
		    "%s: store is busy%s%s; waited %d s", s->root,
		    info[0] ? ": " : "", info, timeout_ms / 1000));
	}
	if (rc != QS_OK)
		return (rc);
	/*
	 * Say who holds the lock, for the "busy" message of others.  This
	 * is advisory text only, so it bypasses fileio's fault injection.
	 */
	if (s->lock_readonly) {
		if (exclusive)
			return (qs_error_set(QS_EIO, "%s: the store is "
			    "read-only here, and this command changes it",
			    s->root));
		return (QS_OK);
	}
	n = snprintf(info, sizeof(info), "pid %ld, %s, since %ld\n",
	    (long)getpid(), command_name, (long)time(NULL));
	if (n > 0 && ftruncate(s->lock_fd, 0) == 0)
		(void)!pwrite(s->lock_fd, info, (size_t)n, 0);
	return (QS_OK);
}

/* "42 s", "3 min 5 s", "2 h 5 min", "3 d 4 h": the age of a lock. */
static void
age_text(int64_t secs, char *buf, size_t len)
{

	if (secs < 0)
		snprintf(buf, len, "in the future: the clocks differ");
	else if (secs < 60)
		snprintf(buf, len, "%lld s ago", (long long)secs);
	else if (secs < 3600)
		snprintf(buf, len, "%lld min %lld s ago", (long long)secs / 60,
		    (long long)secs % 60);
	else if (secs < 86400)
		snprintf(buf, len, "%lld h %lld min ago", (long long)secs /
		    3600, (long long)secs / 60 % 60);
	else
		snprintf(buf, len, "%lld d %lld h ago", (long long)secs / 86400,
		    (long long)secs / 3600 % 24);
}

/*
 * The lock file says "since UNIXTIME" (what this and earlier versions
 * write); say it as UTC with the age, "since 2026-12-02T10:00:00Z (3 min
 * 5 s ago)", so that a stale holder is plain to see.  Text that does not
 * end that way (hostile, or from elsewhere) is left as it is.
 */
static void
holder_since_utc(char *buf, size_t buflen)
{
	char *p = strstr(buf, ", since "), *end, when[32], age[64];
	long long t;
	time_t tt;
	struct tm tm;

	if (p == NULL)
		return;
	errno = 0;
	t = strtoll(p + 8, &end, 10);
	if (errno != 0 || end == p + 8 || *end != '\0' || p[8] == '-' ||
	    p[8] == '+' || p[8] == ' ')
		return;
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return;
	age_text((int64_t)time(NULL) - (int64_t)t, age, sizeof(age));
	snprintf(p, buflen - (size_t)(p - buf), ", since %s (%s)", when, age);
}

/**
 * store_lock_holder(root, buf, buflen):
 * Describe who holds the store lock, from the lock file.
 */
void
store_lock_holder(const char *root, char *buf, size_t buflen)
{
	char path[4096];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if (store_path_lock(root, path, sizeof(path)) != QS_OK)
		return;
	if (fileio_open_regular(path, 0, &fd) != QS_OK) {
		qs_error_clear();
		return;
	}
	n = read(fd, buf, buflen - 1);
	close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	holder_since_utc(buf, buflen);
}
