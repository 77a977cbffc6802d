#ifndef QS_STORAGE_INTERNAL_H
#define QS_STORAGE_INTERNAL_H

/*
 * What storage.c's dispatch and the two back ends (storage_local.c,
 * storage_s3.c) share.  Nobody else includes this.
 */

#include <stddef.h>
#include <stdint.h>

struct storage;
struct storage_lock;

struct storage_ops {
	int (*put)(struct storage *, const char *, const void *, size_t, int);
	int (*read)(struct storage *, const char *, uint64_t, size_t, void *,
	    size_t *);
	int (*size)(struct storage *, const char *, uint64_t *);
	int (*list)(struct storage *, const char *,
	    int (*)(void *, const char *, uint64_t), void *);
	int (*remove)(struct storage *, const char *);
	void (*close)(struct storage *);
	int (*lock_take)(struct storage *, int, const char *, int, int, char *,
	    size_t, struct storage_lock **);
};

/* A held lock: the back end's state after the common part. */
struct storage_lock {
	int (*check)(struct storage_lock *);
	void (*release)(struct storage_lock *);
};

struct storage {
	const struct storage_ops *ops;
	char name[512];		/* for messages */
	void *impl;		/* the back end's own state */
};

/**
 * storage_name_ok(rel):
 * Whether ${rel} is a well-formed relative name (non-empty components of
 * [A-Za-z0-9._+-], no "." or "..", no leading or doubled '/').
 */
int storage_name_ok(const char *);

#endif /* !QS_STORAGE_INTERNAL_H */
