/*
 * Storage in an S3 bucket prefix (see storage.h): each file one object
 * whose key is the file's relative name under the prefix.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/random.h"
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
one_level(void *ctx, const struct s3_object *o)
{
	struct dirwalk *w = ctx;
	const char *name = o->key + w->skip;

	/* Deeper keys are another directory's files. */
	if (strchr(name, '/') != NULL || *name == '\0')
		return (0);
	return (w->fn(w->ctx, name, o->size));
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

/* ---- The lease lock (see storage.h for the protocol). ---- */

struct s3_lock {
	struct storage_lock base;
	struct s3 *renewer;	/* its own connection, for the thread */
	char key[64];		/* locks/{S|X}-HEX */
	char body[512];
	int lease_ms;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	int lost;
	uint64_t last_ok;	/* monotonic ms when the last good write began */
};

/* Renew the entry every lease/3 until stopped or lost. */
static void *
renew_main(void *arg)
{
	struct s3_lock *lk = arg;
	struct timespec until;
	uint64_t t0;
	int rc;

	pthread_mutex_lock(&lk->mu);
	while (!lk->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)(lk->lease_ms / 3 % 1000) * 1000000L;
		until.tv_sec += lk->lease_ms / 3 / 1000 +
		    until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!lk->stop && pthread_cond_timedwait(&lk->cv, &lk->mu,
		    &until) != ETIMEDOUT)
			;
		if (lk->stop)
			break;
		t0 = s3_monotonic_ms();
		if (t0 - lk->last_ok > (uint64_t)lk->lease_ms) {
			/* Others may have deleted the entry as stale by now:
			 * writing it again would bring back a lock we lost. */
			lk->lost = 1;
			break;
		}
		pthread_mutex_unlock(&lk->mu);
		rc = s3_put(lk->renewer, lk->key, lk->body, strlen(lk->body), 0);
		pthread_mutex_lock(&lk->mu);
		if (rc == QS_OK)
			lk->last_ok = t0;
	}
	pthread_mutex_unlock(&lk->mu);
	return (NULL);
}

static int
s3_lock_check(struct storage_lock *base)
{
	struct s3_lock *lk = (struct s3_lock *)base;
	uint64_t age;
	int lost;

	pthread_mutex_lock(&lk->mu);
	age = s3_monotonic_ms() - lk->last_ok;
	lost = lk->lost;
	pthread_mutex_unlock(&lk->mu);
	/* A quarter of the lease is left for the step the caller is about
	 * to commit. */
	if (lost || age > (uint64_t)lk->lease_ms * 3 / 4)
		return (qs_error_set(QS_EBUSY, "the store lock (%s) was not "
		    "renewed for %.1f s of a %d s lease: another process may "
		    "hold the store now; stopping before the next commit",
		    lk->key, (double)age / 1000.0, lk->lease_ms / 1000));
	return (QS_OK);
}

static void
s3_lock_release(struct storage_lock *base)
{
	struct s3_lock *lk = (struct s3_lock *)base;

	pthread_mutex_lock(&lk->mu);
	lk->stop = 1;
	pthread_cond_signal(&lk->cv);
	pthread_mutex_unlock(&lk->mu);
	pthread_join(lk->thread, NULL);
	/* Best effort: an entry left behind goes stale after the lease. */
	(void)s3_delete(lk->renewer, lk->key);
	qs_error_clear();
	s3_close(lk->renewer);
	pthread_cond_destroy(&lk->cv);
	pthread_mutex_destroy(&lk->mu);
	free(lk);
}

struct lockscan {
	const char *mine;
	int mode;
	int64_t now;		/* server clock */
	int64_t stale_s;
	char conflict[64];
	char stale[16][64];	/* to delete after the listing */
	int nstale;
};

static int
lock_entry(void *ctx, const struct s3_object *o)
{
	struct lockscan *sc = ctx;
	const char *name = o->key + 6;		/* after "locks/" */
	int other_x;

	if (strcmp(o->key, sc->mine) == 0)
		return (0);
	if (o->mtime >= 0 && sc->now >= 0 && sc->now - o->mtime > sc->stale_s) {
		if (sc->nstale < 16)
			snprintf(sc->stale[sc->nstale++], sizeof(sc->stale[0]),
			    "%s", o->key);
		return (0);
	}
	/* Anything not a shared entry counts as exclusive: safe. */
	other_x = strncmp(name, "S-", 2) != 0;
	if ((sc->mode == STORAGE_LOCK_EXCLUSIVE || other_x) &&
	    sc->conflict[0] == '\0')
		snprintf(sc->conflict, sizeof(sc->conflict), "%s", o->key);
	return (0);
}

static int
s3st_lock_take(struct storage *st, int mode, const char *holder,
    int timeout_ms, int lease_ms, char *busy, size_t busylen,
    struct storage_lock **lkp)
{
	struct s3 *s = st->impl;
	struct s3_lock *lk;
	struct lockscan sc;
	uint8_t id[8];
	uint64_t start = s3_monotonic_ms(), t0;
	size_t got;
	unsigned wait;
	int rc, i;

	if ((lk = calloc(1, sizeof(*lk))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	random_bytes(id, sizeof(id));
	snprintf(lk->key, sizeof(lk->key), "locks/%c-", mode ==
	    STORAGE_LOCK_EXCLUSIVE ? 'X' : 'S');
	for (i = 0; i < 8; i++)
		snprintf(lk->key + 8 + 2 * i, 3, "%02x", id[i]);
	snprintf(lk->body, sizeof(lk->body), "%s", holder);
	lk->lease_ms = lease_ms;
	for (;;) {
		t0 = s3_monotonic_ms();
		if ((rc = s3_put(s, lk->key, lk->body, strlen(lk->body),
		    S3_PUT_IF_ABSENT)) != QS_OK)
			goto fail;
		memset(&sc, 0, sizeof(sc));
		sc.mine = lk->key;
		sc.mode = mode;
		sc.now = s3_server_time(s);
		/* Stale after one and a half leases: see storage_lock_check. */
		sc.stale_s = ((int64_t)lease_ms * 3 / 2 + 999) / 1000;
		if ((rc = s3_list(s, "locks/", lock_entry, &sc)) != QS_OK)
			goto fail_entry;
		for (i = 0; i < sc.nstale; i++)
			(void)s3_delete(s, sc.stale[i]);
		qs_error_clear();
		if (sc.conflict[0] == '\0')
			break;
		if ((rc = s3_delete(s, lk->key)) != QS_OK)
			goto fail;
		if (s3_monotonic_ms() - start >= (uint64_t)timeout_ms) {
			if (busylen > 0 && s3_get(s, sc.conflict, 0,
			    busylen - 1, busy, &got) == QS_OK)
				busy[got] = '\0';
			else if (busylen > 0)
				snprintf(busy, busylen, "%s", sc.conflict);
			if (busylen > 0)
				busy[strcspn(busy, "\n")] = '\0';
			rc = qs_error_set(QS_EBUSY, "%s: store is busy%s%s",
			    st->name, busylen > 0 && busy[0] ? ": " : "",
			    busylen > 0 ? busy : "");
			goto fail;
		}
		/* Two that back off together must not retry together. */
		random_bytes(&wait, sizeof(wait));
		wait = 200 + wait % 800;
		if ((uint64_t)wait > (uint64_t)timeout_ms - (s3_monotonic_ms() - start))
			wait = (unsigned)((uint64_t)timeout_ms -
			    (s3_monotonic_ms() - start)) + 1;
		s3_pause_ms(wait);
	}

	lk->last_ok = t0;
	lk->base.check = s3_lock_check;
	lk->base.release = s3_lock_release;
	if ((rc = s3_dup(s, &lk->renewer)) != QS_OK)
		goto fail_entry;
	/* A renewal may not retry longer than the lease leaves. */
	s3_set_retry_ms(lk->renewer, (unsigned)lease_ms / 3);
	pthread_mutex_init(&lk->mu, NULL);
	pthread_cond_init(&lk->cv, NULL);
	if (pthread_create(&lk->thread, NULL, renew_main, lk) != 0) {
		rc = qs_error_set(QS_ENOMEM, "cannot start the lock renewal "
		    "thread");
		pthread_cond_destroy(&lk->cv);
		pthread_mutex_destroy(&lk->mu);
		s3_close(lk->renewer);
		goto fail_entry;
	}
	*lkp = &lk->base;
	return (QS_OK);

fail_entry:
	{
		struct qs_error save;

		qs_error_save(&save);
		(void)s3_delete(s, lk->key);
		qs_error_restore(&save);
	}
fail:
	free(lk);
	return (rc);
}

static const struct storage_ops s3_ops = {
	s3st_put, s3st_read, s3st_size, s3st_list, s3st_remove, s3st_close,
	s3st_lock_take,
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
