/*
 * The storage interface's dispatch and the checks both back ends share
 * (see storage.h).
 */

#include <string.h>

#include "format/qs_err.h"
#include "index/store/storage.h"
#include "index/store/storage_internal.h"

int
storage_name_ok(const char *rel)
{
	const char *p = rel, *seg;

	if (*p == '\0' || *p == '/')
		return (0);
	while (*p != '\0') {
		seg = p;
		while (*p != '\0' && *p != '/') {
			if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
			    "QRSTUVWXYZ0123456789._+-", *p) == NULL)
				return (0);
			p++;
		}
		if (p == seg || (p - seg == 1 && seg[0] == '.') ||
		    (p - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return (0);
		if (*p == '/' && *++p == '\0')
			return (0);
	}
	return (1);
}

static int
bad_name(const struct storage *st, const char *rel)
{

	return (qs_error_set(QS_EINVAL, "%s: not a valid file name in a "
	    "store: \"%.200s\"", st->name, rel));
}

void
storage_close(struct storage *st)
{

	if (st != NULL)
		st->ops->close(st);
}

const char *
storage_name(const struct storage *st)
{

	return (st->name);
}

int
storage_put(struct storage *st, const char *rel, const void *buf, size_t len,
    int flags)
{

	if (!storage_name_ok(rel))
		return (bad_name(st, rel));
	return (st->ops->put(st, rel, buf, len, flags));
}

int
storage_read(struct storage *st, const char *rel, uint64_t off, size_t len,
    void *buf, size_t *got)
{

	*got = 0;
	if (!storage_name_ok(rel))
		return (bad_name(st, rel));
	return (st->ops->read(st, rel, off, len, buf, got));
}

int
storage_size(struct storage *st, const char *rel, uint64_t *size)
{

	if (!storage_name_ok(rel))
		return (bad_name(st, rel));
	return (st->ops->size(st, rel, size));
}

int
storage_list(struct storage *st, const char *dir,
    int (*fn)(void *, const char *, uint64_t), void *ctx)
{

	if (*dir != '\0' && !storage_name_ok(dir))
		return (bad_name(st, dir));
	return (st->ops->list(st, dir, fn, ctx));
}

int
storage_remove(struct storage *st, const char *rel)
{

	if (!storage_name_ok(rel))
		return (bad_name(st, rel));
	return (st->ops->remove(st, rel));
}

int
storage_lock_take(struct storage *st, int mode, const char *holder,
    int timeout_ms, int lease_ms, char *busy, size_t busylen,
    struct storage_lock **lk)
{

	*lk = NULL;
	if (busylen > 0)
		busy[0] = '\0';
	if (mode != STORAGE_LOCK_SHARED && mode != STORAGE_LOCK_EXCLUSIVE)
		return (qs_error_set(QS_EINVAL, "storage_lock_take: mode %d",
		    mode));
	return (st->ops->lock_take(st, mode, holder, timeout_ms,
	    lease_ms > 0 ? lease_ms : STORAGE_LEASE_MS_DEFAULT, busy, busylen,
	    lk));
}

int
storage_lock_check(struct storage_lock *lk)
{

	return (lk->check(lk));
}

void
storage_lock_release(struct storage_lock *lk)
{

	if (lk != NULL)
		lk->release(lk);
}
