/*
 * test_storage: the storage interface (index/store/storage.h), the same
 * tests on both back ends: a local directory, and an S3 bucket of the
 * gateway of tests/s3/ceph.sh (skipped, saying so, without
 * QSARC_S3_ENDPOINT; `make check` always starts one).
 */

#include "tests/testlib.h"

#include <time.h>

#include "crypto/secmem.h"
#include "index/store/s3.h"
#include "index/store/storage.h"

struct backend {
	const char *kind;
	struct storage *st;
	char dir[256];
};

static int
open_local(void **state)
{
	struct backend *b = calloc(1, sizeof(*b));

	if (b == NULL || make_tmpdir(b->dir, sizeof(b->dir), "storage") != 0 ||
	    storage_open_local(b->dir, &b->st) != QS_OK)
		return (-1);
	b->kind = "local";
	*state = b;
	return (0);
}

static int
open_s3(void **state)
{
	static int n;
	struct backend *b = calloc(1, sizeof(*b));
	const char *ep = getenv("QSARC_S3_ENDPOINT");
	struct s3_conf conf;
	struct s3 *s;
	char url[128];
	int rc;

	if (b == NULL)
		return (-1);
	b->kind = "s3";
	*state = b;
	if (ep == NULL || *ep == '\0')
		return (0);		/* the test skips */
	snprintf(url, sizeof(url), "s3://qsarc-storage-%ld-%d/p%d/store",
	    (long)time(NULL), (int)getpid(), n++);
	setenv("QSARC_S3_ALLOW_HTTP", "1", 1);
	if (s3_conf_load(url, ep, &conf) != QS_OK)
		return (-1);
	rc = s3_open(&conf, &s);
	if (rc == QS_OK) {
		rc = s3_bucket_create(s);
		s3_close(s);
	}
	if (rc == QS_OK)
		rc = storage_open_s3(&conf, &b->st);
	s3_conf_free(&conf);
	if (rc != QS_OK)
		fprintf(stderr, "s3: %s\n", qs_error_message());
	return (rc == QS_OK ? 0 : -1);
}

static int
close_backend(void **state)
{
	struct backend *b = *state;

	storage_close(b->st);
	if (b->dir[0])
		rm_tree(b->dir);
	free(b);
	return (0);
}

static struct storage *
need(void **state)
{
	struct backend *b = *state;

	if (b->st == NULL) {
		fprintf(stderr, "skipped (%s): QSARC_S3_ENDPOINT not set\n",
		    b->kind);
		skip();
	}
	return (b->st);
}

static void
test_put_read(void **state)
{
	struct storage *st = need(state);
	uint8_t data[70000], buf[70000];
	uint64_t size;
	size_t got;

	fill_pattern(data, sizeof(data), 3);
	assert_int_equal(storage_put(st, "data/0a/c1.qsc", data, sizeof(data),
	    STORAGE_READONLY), QS_OK);
	assert_int_equal(storage_size(st, "data/0a/c1.qsc", &size), QS_OK);
	assert_int_equal(size, sizeof(data));
	assert_int_equal(storage_read(st, "data/0a/c1.qsc", 0, sizeof(buf), buf,
	    &got), QS_OK);
	assert_int_equal(got, sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));
	assert_int_equal(storage_read(st, "data/0a/c1.qsc", 69990, 100, buf,
	    &got), QS_OK);
	assert_int_equal(got, 10);
	assert_memory_equal(buf, data + 69990, 10);
	assert_int_equal(storage_read(st, "data/0a/c1.qsc", 80000, 100, buf,
	    &got), QS_OK);
	assert_int_equal(got, 0);
	assert_int_equal(storage_read(st, "data/0a/none", 0, 10, buf, &got),
	    QS_ENOENT);
	assert_int_equal(storage_size(st, "none", &size), QS_ENOENT);
}

static void
test_noreplace(void **state)
{
	struct storage *st = need(state);
	char buf[16];
	size_t got;

	assert_int_equal(storage_put(st, "streams/a", "one", 3,
	    STORAGE_NOREPLACE), QS_OK);
	assert_int_equal(storage_put(st, "streams/a", "two!", 4,
	    STORAGE_NOREPLACE), QS_EEXIST);
	assert_int_equal(storage_read(st, "streams/a", 0, sizeof(buf), buf,
	    &got), QS_OK);
	assert_int_equal(got, 3);
	assert_memory_equal(buf, "one", 3);
	/* Replacing is what the flag's absence means. */
	assert_int_equal(storage_put(st, "config", "c1", 2, 0), QS_OK);
	assert_int_equal(storage_put(st, "config", "c22", 3, 0), QS_OK);
	assert_int_equal(storage_read(st, "config", 0, sizeof(buf), buf, &got),
	    QS_OK);
	assert_int_equal(got, 3);
}

struct seen {
	int n;
	char names[8][32];
	uint64_t sizes[8];
};

static int
collect(void *ctx, const char *name, uint64_t size)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
		s->sizes[s->n] = size;
	}
	s->n++;
	return (0);
}

static void
test_list_remove(void **state)
{
	struct storage *st = need(state);
	struct seen s;

	assert_int_equal(storage_put(st, "index/seg-2", "bb", 2, 0), QS_OK);
	assert_int_equal(storage_put(st, "index/seg-1", "a", 1, 0), QS_OK);
	assert_int_equal(storage_put(st, "index/seg-10", "ccc", 3, 0), QS_OK);
	assert_int_equal(storage_put(st, "index/sub/deeper", "d", 1, 0), QS_OK);
	assert_int_equal(storage_put(st, "indexnot", "e", 1, 0), QS_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(storage_list(st, "index", collect, &s), QS_OK);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.names[0], "seg-1");
	assert_string_equal(s.names[1], "seg-10");
	assert_string_equal(s.names[2], "seg-2");
	assert_int_equal(s.sizes[1], 3);
	memset(&s, 0, sizeof(s));
	assert_int_equal(storage_list(st, "", collect, &s), QS_OK);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.names[0], "indexnot");
	memset(&s, 0, sizeof(s));
	assert_int_equal(storage_list(st, "nothing/here", collect, &s), QS_OK);
	assert_int_equal(s.n, 0);

	assert_int_equal(storage_remove(st, "index/seg-10"), QS_OK);
	assert_int_equal(storage_remove(st, "index/seg-10"), QS_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(storage_list(st, "index", collect, &s), QS_OK);
	assert_int_equal(s.n, 2);
}

static void
test_bad_names(void **state)
{
	struct storage *st = need(state);
	static const char *bad[] = { "", "/abs", "a/../b", "..", "a//b", "a/",
	    "./a", "a b", "a\nb", "streams/x\\y" };
	size_t i, got;
	uint64_t size;
	char buf[4];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(storage_put(st, bad[i], "x", 1, 0), QS_EINVAL);
		assert_int_equal(storage_read(st, bad[i], 0, 1, buf, &got),
		    QS_EINVAL);
		assert_int_equal(storage_size(st, bad[i], &size), QS_EINVAL);
		assert_int_equal(storage_remove(st, bad[i]), QS_EINVAL);
	}
	assert_non_null(strstr(qs_error_message(), "not a valid file name"));
}

static void
test_lock_modes(void **state)
{
	struct backend *b = *state;
	struct storage *st = need(state);
	struct storage_lock *s1, *s2, *x;
	char busy[256];

	if (strcmp(b->kind, "local") == 0)
		assert_int_equal(storage_put(st, "lock", "", 0, 0), QS_OK);
	assert_int_equal(storage_lock_take(st, STORAGE_LOCK_SHARED,
	    "pid 1, put a", 1000, 0, busy, sizeof(busy), &s1), QS_OK);
	assert_int_equal(storage_lock_take(st, STORAGE_LOCK_SHARED,
	    "pid 2, get b", 1000, 0, busy, sizeof(busy), &s2), QS_OK);
	assert_int_equal(storage_lock_check(s1), QS_OK);
	assert_int_equal(storage_lock_take(st, STORAGE_LOCK_EXCLUSIVE,
	    "pid 3, clean", 1200, 0, busy, sizeof(busy), &x), QS_EBUSY);
	assert_non_null(strstr(busy, "pid "));
	assert_non_null(strstr(qs_error_message(), "store is busy"));
	storage_lock_release(s1);
	storage_lock_release(s2);
	assert_int_equal(storage_lock_take(st, STORAGE_LOCK_EXCLUSIVE,
	    "pid 3, clean", 1000, 0, busy, sizeof(busy), &x), QS_OK);
	assert_int_equal(storage_lock_take(st, STORAGE_LOCK_SHARED,
	    "pid 4, put c", 1200, 0, busy, sizeof(busy), &s1), QS_EBUSY);
	assert_string_equal(busy, "pid 3, clean");
	assert_int_equal(storage_lock_take(st, STORAGE_LOCK_EXCLUSIVE,
	    "pid 5, rekey", 500, 0, busy, sizeof(busy), &s2), QS_EBUSY);
	storage_lock_release(x);
	assert_int_equal(storage_lock_take(st, STORAGE_LOCK_SHARED,
	    "pid 4, put c", 1000, 0, busy, sizeof(busy), &s1), QS_OK);
	storage_lock_release(s1);
}

struct counted {
	int n;
};

static int
count(void *ctx, const char *name, uint64_t size)
{

	(void)name;
	(void)size;
	((struct counted *)ctx)->n++;
	return (0);
}

/* S3: a holder that died leaves an entry that others take over after 1.5
 * leases, without anyone breaking the lock by hand; a live holder's entry
 * is renewed and so never goes stale. */
static void
test_lock_lease(void **state)
{
	struct backend *b = *state;
	struct storage *st = need(state);
	struct storage_lock *x, *live;
	struct counted c = { 0 };
	char busy[256];

	if (strcmp(b->kind, "s3") != 0)
		skip();		/* flock dies with its process */
	/* "Crashed": an exclusive entry nobody renews. */
	assert_int_equal(storage_put(st, "locks/X-deadbeefdeadbeef",
	    "pid 9 on other-host, clean", 26, STORAGE_NOREPLACE), QS_OK);
	assert_int_equal(storage_lock_take(st, STORAGE_LOCK_SHARED,
	    "pid 1, put", 1000, 2000, busy, sizeof(busy), &x), QS_EBUSY);
	assert_string_equal(busy, "pid 9 on other-host, clean");
	/* A live holder with the same 2 s lease. */
	assert_int_equal(storage_lock_take(st, STORAGE_LOCK_SHARED,
	    "pid 2, put", 6000, 2000, busy, sizeof(busy), &live), QS_OK);
	/* It got in once the dead entry was 3 s old, and removed it. */
	assert_int_equal(storage_list(st, "locks", count, &c), QS_OK);
	assert_int_equal(c.n, 1);
	/* Eight seconds later (four leases) it is still held and renewed. */
	sleep(8);
	assert_int_equal(storage_lock_check(live), QS_OK);
	assert_int_equal(storage_lock_take(st, STORAGE_LOCK_EXCLUSIVE,
	    "pid 3, clean", 1000, 2000, busy, sizeof(busy), &x), QS_EBUSY);
	assert_string_equal(busy, "pid 2, put");
	storage_lock_release(live);
	c.n = 0;
	assert_int_equal(storage_list(st, "locks", count, &c), QS_OK);
	assert_int_equal(c.n, 0);
}

#define BOTH(t)							\
	{ #t " (local)", t, open_local, close_backend, NULL },		\
	{ #t " (s3)", t, open_s3, close_backend, NULL }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_put_read),
		BOTH(test_noreplace),
		BOTH(test_list_remove),
		BOTH(test_bad_names),
		BOTH(test_lock_modes),
		BOTH(test_lock_lease),
	};

	if (secmem_init() != QS_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
