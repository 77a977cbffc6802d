/*
 * Storage in an S3 bucket prefix (see storage.h): each file one object
 * whose key is the file's relative name under the prefix.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/qs_err.h"
#include "index/store/s3.h"
#include "index/store/storage.h"
#include "index/store/storage_internal.h"

static int
s3st_put(struct storage *st, const char *rel, const void *buf, size_t len,
    int flags)
{

	/* Objects have no mode: STORAGE_READONLY has nothing to say here. */
	return (s3_put(st->impl, rel, buf, len,
	    (flags & STORAGE_NOREPLACE) ? S3_PUT_IF_ABSENT : 0));
}

static int
s3st_read(struct storage *st, const char *rel, uint64_t off, size_t len,
    void *buf, size_t *got)
{

	return (s3_get(st->impl, rel, off, len, buf, got));
}

static int
s3st_size(struct storage *st, const char *rel, uint64_t *size)
{

	return (s3_head(st->impl, rel, size));
}

struct dirwalk {
	size_t skip;		/* strlen of "dir/" */
	int (*fn)(void *, const char *, uint64_t);
	void *ctx;
};

static int
one_level(void *ctx, const char *key, uint64_t size)
{
	struct dirwalk *w = ctx;
	const char *name = key + w->skip;

	/* Deeper keys are another directory's files. */
	if (strchr(name, '/') != NULL || *name == '\0')
		return (0);
	return (w->fn(w->ctx, name, size));
}

static int
s3st_list(struct storage *st, const char *dir,
    int (*fn)(void *, const char *, uint64_t), void *ctx)
{
	char prefix[1024];
	struct dirwalk w = { 0, fn, ctx };

	if ((size_t)snprintf(prefix, sizeof(prefix), "%s%s", dir,
	    *dir ? "/" : "") >= sizeof(prefix))
		return (qs_error_set(QS_EINVAL, "%s/%s: name too long",
		    st->name, dir));
	w.skip = strlen(prefix);
	return (s3_list(st->impl, prefix, one_level, &w));
}

static int
s3st_remove(struct storage *st, const char *rel)
{

	return (s3_delete(st->impl, rel));
}

static void
s3st_close(struct storage *st)
{

	s3_close(st->impl);
	free(st);
}

static const struct storage_ops s3_ops = {
	s3st_put, s3st_read, s3st_size, s3st_list, s3st_remove, s3st_close,
};

int
storage_open_s3(const struct s3_conf *conf, struct storage **stp)
{
	struct storage *st;
	struct s3 *s;
	int rc;

	*stp = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = s3_open(conf, &s)) != QS_OK) {
		free(st);
		return (rc);
	}
	snprintf(st->name, sizeof(st->name), "s3://%s/%s", conf->bucket,
	    conf->prefix);
	st->ops = &s3_ops;
	st->impl = s;
	*stp = st;
	return (QS_OK);
}
