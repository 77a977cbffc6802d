/*
 * test_s3: the S3 client (index/store/s3.c) against a real RADOS Gateway.
 *
 * Needs the gateway of tests/s3/ceph.sh: QSARC_S3_ENDPOINT and the AWS_*
 * variables of its env file.  `make check` starts one; without
 * QSARC_S3_ENDPOINT every test here is skipped (and says so), so `make unit`
 * still runs on a machine without Ceph.
 */

#include "tests/testlib.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <netinet/in.h>
#include <time.h>

#include "crypto/secmem.h"
#include "index/store/s3.h"

static char bucket_url[128];

static int
have_gateway(void)
{
	const char *e = getenv("QSARC_S3_ENDPOINT");

	return (e != NULL && *e != '\0');
}

/* A client for a fresh bucket of this run. */
static struct s3 *
client(const char *prefix)
{
	struct s3_conf conf;
	struct s3 *s;
	char url[192];

	snprintf(url, sizeof(url), "%s%s", bucket_url, prefix);
	setenv("QSARC_S3_ALLOW_HTTP", "1", 1);
	assert_int_equal(s3_conf_load(url, getenv("QSARC_S3_ENDPOINT"),
	    &conf), QS_OK);
	assert_int_equal(s3_open(&conf, &s), QS_OK);
	s3_conf_free(&conf);
	return (s);
}

static int
setup_bucket(void **state)
{
	struct s3 *s;

	(void)state;
	if (!have_gateway())
		return (0);
	snprintf(bucket_url, sizeof(bucket_url), "s3://qsarc-unit-%ld-%d",
	    (long)time(NULL), (int)getpid());
	s = client("");
	if (s3_bucket_create(s) != QS_OK) {
		fprintf(stderr, "bucket: %s\n", qs_error_message());
		s3_close(s);
		return (-1);
	}
	s3_close(s);
	return (0);
}

#define NEED_GATEWAY() do {						\
	if (!have_gateway()) {						\
		fprintf(stderr, "skipped: QSARC_S3_ENDPOINT not set\n");\
		skip();							\
	}								\
} while (0)

static void
test_put_get_range(void **state)
{
	struct s3 *s;
	uint8_t data[100000], buf[100000];
	uint64_t size;
	size_t got;

	(void)state;
	NEED_GATEWAY();
	s = client("/a/b");
	fill_pattern(data, sizeof(data), 7);
	assert_int_equal(s3_put(s, "data/00/obj", data, sizeof(data), 0),
	    QS_OK);
	assert_int_equal(s3_head(s, "data/00/obj", &size), QS_OK);
	assert_int_equal(size, sizeof(data));
	assert_int_equal(s3_get(s, "data/00/obj", 0, sizeof(buf), buf, &got),
	    QS_OK);
	assert_int_equal(got, sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));
	/* A range in the middle, one past the end, one after the end. */
	assert_int_equal(s3_get(s, "data/00/obj", 4096, 1000, buf, &got),
	    QS_OK);
	assert_int_equal(got, 1000);
	assert_memory_equal(buf, data + 4096, 1000);
	assert_int_equal(s3_get(s, "data/00/obj", sizeof(data) - 10, 100, buf,
	    &got), QS_OK);
	assert_int_equal(got, 10);
	assert_memory_equal(buf, data + sizeof(data) - 10, 10);
	assert_int_equal(s3_get(s, "data/00/obj", sizeof(data) + 5, 100, buf,
	    &got), QS_OK);
	assert_int_equal(got, 0);
	/* An empty object. */
	assert_int_equal(s3_put(s, "empty", "", 0, 0), QS_OK);
	assert_int_equal(s3_head(s, "empty", &size), QS_OK);
	assert_int_equal(size, 0);
	s3_close(s);
}

static void
test_put_if_absent(void **state)
{
	struct s3 *s;
	char buf[16];
	size_t got;

	(void)state;
	NEED_GATEWAY();
	s = client("/cond");
	assert_int_equal(s3_put(s, "streams/x", "first", 5, S3_PUT_IF_ABSENT),
	    QS_OK);
	assert_int_equal(s3_put(s, "streams/x", "second", 6, S3_PUT_IF_ABSENT),
	    QS_EEXIST);
	assert_non_null(strstr(qs_error_message(), "streams/x: already exists"));
	assert_int_equal(s3_get(s, "streams/x", 0, sizeof(buf), buf, &got),
	    QS_OK);
	assert_int_equal(got, 5);
	assert_memory_equal(buf, "first", 5);
	/* Without the flag a PUT replaces (the store never asks for that on
	 * a name that exists; this shows the flag is what protects). */
	assert_int_equal(s3_put(s, "streams/x", "third", 5, 0), QS_OK);
	assert_int_equal(s3_get(s, "streams/x", 0, sizeof(buf), buf, &got),
	    QS_OK);
	assert_memory_equal(buf, "third", 5);
	s3_close(s);
}

struct listed {
	int64_t since;		/* server time at the start */
	int n;
	uint64_t bytes;
	char last[256];
	int ordered;
};

static int
on_key(void *ctx, const struct s3_object *o)
{
	struct listed *l = ctx;
	const char *key = o->key;
	uint64_t size = o->size;

	/* Written during this test, by the server's clock. */
	if (o->mtime < l->since - 5 || o->mtime > l->since + 600)
		l->ordered = 0;

	if (l->n > 0 && strcmp(l->last, key) >= 0)
		l->ordered = 0;
	snprintf(l->last, sizeof(l->last), "%s", key);
	l->n++;
	l->bytes += size;
	return (0);
}

static int
stop_at_3(void *ctx, const struct s3_object *o)
{
	struct listed *l = ctx;

	(void)o;
	return (++l->n == 3 ? 42 : 0);
}

static void
test_list_delete(void **state)
{
	struct s3 *s, *other;
	struct listed l = { 0, 0, 0, "", 1 };
	char key[64];
	uint64_t size;
	int i;

	(void)state;
	NEED_GATEWAY();
	s = client("/list");
	assert_int_equal(s3_put(s, "start", "", 0, 0), QS_OK);
	l.since = s3_server_time(s);
	assert_true(l.since > 1700000000);
	/* More than one page of 1000, with a key that needs escaping in the
	 * continuation token and the query. */
	for (i = 0; i < 1005; i++) {
		snprintf(key, sizeof(key), "index/seg-%05d+x.qsi", i);
		assert_int_equal(s3_put(s, key, key, strlen(key), 0), QS_OK);
	}
	assert_int_equal(s3_put(s, "indexx", "n", 1, 0), QS_OK);
	other = client("/list-other");
	assert_int_equal(s3_put(other, "index/seg-00000+x.qsi", "o", 1, 0),
	    QS_OK);
	assert_int_equal(s3_list(s, "index/", on_key, &l), QS_OK);
	assert_int_equal(l.n, 1005);
	assert_true(l.ordered);
	assert_string_equal(l.last, "index/seg-01004+x.qsi");
	assert_int_equal(l.bytes, 1005 * strlen("index/seg-00000+x.qsi"));
	l.n = 0;
	assert_int_equal(s3_list(s, "index/", stop_at_3, &l), 42);
	assert_int_equal(l.n, 3);

	assert_int_equal(s3_delete(s, "index/seg-00003+x.qsi"), QS_OK);
	assert_int_equal(s3_head(s, "index/seg-00003+x.qsi", &size),
	    QS_ENOENT);
	assert_int_equal(s3_delete(s, "index/seg-00003+x.qsi"), QS_OK);
	l.n = 0;
	l.bytes = 0;
	l.ordered = 1;
	assert_int_equal(s3_list(s, "index/", on_key, &l), QS_OK);
	assert_int_equal(l.n, 1004);
	/* The other prefix is its own store. */
	assert_int_equal(s3_head(other, "index/seg-00000+x.qsi", &size), QS_OK);
	assert_int_equal(size, 1);
	s3_close(other);
	s3_close(s);
}

static void
test_errors(void **state)
{
	struct s3_conf conf;
	struct s3 *s;
	uint8_t buf[8];
	size_t got;
	int sock, port;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char ep[64];
	time_t t0;

	(void)state;
	NEED_GATEWAY();
	/* No such object; no such bucket. */
	s = client("");
	assert_int_equal(s3_get(s, "nothing-here", 0, sizeof(buf), buf, &got),
	    QS_ENOENT);
	assert_non_null(strstr(qs_error_message(), "nothing-here"));
	s3_close(s);
	setenv("QSARC_S3_ALLOW_HTTP", "1", 1);
	assert_int_equal(s3_conf_load("s3://qsarc-no-such-bucket-x",
	    getenv("QSARC_S3_ENDPOINT"), &conf), QS_OK);
	assert_int_equal(s3_open(&conf, &s), QS_OK);
	s3_conf_free(&conf);
	assert_int_equal(s3_get(s, "k", 0, sizeof(buf), buf, &got), QS_ENOENT);
	assert_non_null(strstr(qs_error_message(), "no such bucket"));
	s3_close(s);

	/* A wrong secret: access denied, and the secret is not in the text. */
	setenv("AWS_SECRET_ACCESS_KEY_SAVED", getenv("AWS_SECRET_ACCESS_KEY"),
	    1);
	setenv("AWS_SECRET_ACCESS_KEY", "wrongwrongwrongSECRET", 1);
	assert_int_equal(s3_conf_load(bucket_url, getenv("QSARC_S3_ENDPOINT"),
	    &conf), QS_OK);
	assert_int_equal(s3_open(&conf, &s), QS_OK);
	s3_conf_free(&conf);
	assert_int_equal(s3_put(s, "k", "v", 1, 0), QS_EIO);
	assert_non_null(strstr(qs_error_message(), "access denied"));
	assert_null(strstr(qs_error_message(), "wrongwrong"));
	s3_close(s);
	setenv("AWS_SECRET_ACCESS_KEY", getenv("AWS_SECRET_ACCESS_KEY_SAVED"),
	    1);

	/* Nobody listening: retried, then given up within the bound. */
	sock = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(sock, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(sock);		/* the port is now closed */
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
	assert_int_equal(s3_conf_load(bucket_url, ep, &conf), QS_OK);
	conf.retry_ms = 1500;
	assert_int_equal(s3_open(&conf, &s), QS_OK);
	s3_conf_free(&conf);
	t0 = time(NULL);
	assert_int_equal(s3_put(s, "k", "v", 1, 0), QS_EIO);
	assert_true(time(NULL) - t0 <= 4);
	assert_non_null(strstr(qs_error_message(), "gave up after"));
	{
		struct s3_stats st;

		s3_stats(s, &st);
		assert_true(st.retries >= 2);
	}
	s3_close(s);
}

/* Start tests/s3/faultproxy.py with ${plan}; its port in ${port}. */
static pid_t
proxy_start(const char *plan1, const char *plan2, int *port)
{
	char pf[] = "/tmp/qsarc-proxy-XXXXXX", up[128];
	const char *ep = getenv("QSARC_S3_ENDPOINT");
	FILE *f;
	pid_t pid;
	int i, fd;

	assert_true((fd = mkstemp(pf)) >= 0);
	close(fd);
	unlink(pf);
	snprintf(up, sizeof(up), "%s", ep + strlen("http://"));
	if ((pid = fork()) == 0) {
		execl("/usr/bin/python3", "python3", "tests/s3/faultproxy.py",
		    "--upstream", up, "--port-file", pf, plan1, plan2,
		    (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	for (i = 0; i < 100 && (f = fopen(pf, "r")) == NULL; i++)
		usleep(50000);
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", port), 1);
	fclose(f);
	unlink(pf);
	return (pid);
}

static void
proxy_stop(pid_t pid)
{

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static struct s3 *
client_via(int port)
{
	struct s3_conf conf;
	struct s3 *s;
	char ep[64];

	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
	setenv("QSARC_S3_ALLOW_HTTP", "1", 1);
	assert_int_equal(s3_conf_load(bucket_url, ep, &conf), QS_OK);
	assert_int_equal(s3_open(&conf, &s), QS_OK);
	s3_conf_free(&conf);
	return (s);
}

static void
test_faults(void **state)
{
	struct s3 *s, *direct;
	struct s3_stats st;
	char buf[32];
	size_t got;
	pid_t pid;
	int port;

	(void)state;
	NEED_GATEWAY();
	direct = client("");

	/* SlowDown three times, then through. */
	pid = proxy_start("503:3", "reset:0", &port);
	s = client_via(port);
	assert_int_equal(s3_put(s, "faults/a", "alpha", 5, S3_PUT_IF_ABSENT),
	    QS_OK);
	s3_stats(s, &st);
	assert_int_equal(st.retries, 3);
	s3_close(s);
	proxy_stop(pid);

	/* Connections reset before the request reached the server. */
	pid = proxy_start("reset:2", "503:0", &port);
	s = client_via(port);
	assert_int_equal(s3_get(s, "faults/a", 0, sizeof(buf), buf, &got),
	    QS_OK);
	assert_int_equal(got, 5);
	s3_stats(s, &st);
	assert_int_equal(st.retries, 2);
	s3_close(s);
	proxy_stop(pid);

	/* A conditional PUT that landed but whose reply was lost: the retry
	 * meets 412, finds its own bytes there, and reports success. */
	pid = proxy_start("lost:1", "503:0", &port);
	s = client_via(port);
	assert_int_equal(s3_put(s, "faults/b", "bravo", 5, S3_PUT_IF_ABSENT),
	    QS_OK);
	s3_stats(s, &st);
	assert_true(st.retries >= 1);
	assert_int_equal(s3_get(direct, "faults/b", 0, sizeof(buf), buf, &got),
	    QS_OK);
	assert_int_equal(got, 5);
	assert_memory_equal(buf, "bravo", 5);
	s3_close(s);
	proxy_stop(pid);

	/* The same when the name was someone else's all along: still
	 * QS_EEXIST, and their object is untouched. */
	assert_int_equal(s3_put(direct, "faults/c", "theirs", 6, 0), QS_OK);
	pid = proxy_start("lost:1", "503:0", &port);
	s = client_via(port);
	assert_int_equal(s3_put(s, "faults/c", "mine!!", 6, S3_PUT_IF_ABSENT),
	    QS_EEXIST);
	assert_int_equal(s3_get(direct, "faults/c", 0, sizeof(buf), buf, &got),
	    QS_OK);
	assert_memory_equal(buf, "theirs", 6);
	s3_close(s);
	proxy_stop(pid);
	s3_close(direct);
}

static void
test_conf(void **state)
{
	struct s3_conf conf;
	char dir[] = "/tmp/qsarc-s3conf-XXXXXX", path[64];
	FILE *f;

	(void)state;
	/* These need no gateway. */
	unsetenv("QSARC_S3_ALLOW_HTTP");
	assert_int_equal(s3_conf_load("s3://bucket/p", "http://127.0.0.1:1",
	    &conf), QS_EINVAL);
	assert_non_null(strstr(qs_error_message(), "only https://"));
	assert_int_equal(s3_conf_load("s3://Bad_Bucket/p", "https://h", &conf),
	    QS_EINVAL);
	assert_int_equal(s3_conf_load("s3://bucket/a//b", "https://h", &conf),
	    QS_EINVAL);
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_S3");
	assert_int_equal(s3_conf_load("s3://bucket/p", NULL, &conf), QS_EINVAL);
	assert_non_null(strstr(qs_error_message(), "no endpoint"));

	/* The shared credentials file and AWS_PROFILE. */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/credentials", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("[default]\naws_access_key_id = DEF\naws_secret_access_key = "
	    "defsecret\n\n[other]\n  aws_access_key_id=OTH\n"
	    "aws_secret_access_key= othsecret\r\naws_session_token = tok\n", f);
	fclose(f);
	setenv("SAVED_AK", getenv("AWS_ACCESS_KEY_ID") != NULL ?
	    getenv("AWS_ACCESS_KEY_ID") : "", 1);
	setenv("SAVED_SK", getenv("AWS_SECRET_ACCESS_KEY") != NULL ?
	    getenv("AWS_SECRET_ACCESS_KEY") : "", 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	setenv("AWS_PROFILE", "other", 1);
	assert_int_equal(s3_conf_load("s3://bucket/p/", "https://h/", &conf),
	    QS_OK);
	assert_string_equal(conf.access_key, "OTH");
	assert_string_equal(conf.secret_key, "othsecret");
	assert_string_equal(conf.session_token, "tok");
	assert_string_equal(conf.prefix, "p/");
	assert_string_equal(conf.endpoint, "https://h");
	s3_conf_free(&conf);
	unsetenv("AWS_PROFILE");
	assert_int_equal(s3_conf_load("s3://bucket", "https://h", &conf),
	    QS_OK);
	assert_string_equal(conf.access_key, "DEF");
	assert_null(conf.session_token);
	assert_string_equal(conf.prefix, "");
	s3_conf_free(&conf);
	setenv("AWS_PROFILE", "missing", 1);
	assert_int_equal(s3_conf_load("s3://bucket", "https://h", &conf),
	    QS_EINVAL);
	assert_non_null(strstr(qs_error_message(), "no credentials"));
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unlink(path);
	rmdir(dir);
	if (*getenv("SAVED_AK"))
		setenv("AWS_ACCESS_KEY_ID", getenv("SAVED_AK"), 1);
	if (*getenv("SAVED_SK"))
		setenv("AWS_SECRET_ACCESS_KEY", getenv("SAVED_SK"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_put_get_range),
		cmocka_unit_test(test_put_if_absent),
		cmocka_unit_test(test_list_delete),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_faults),
	};

	if (secmem_init() != QS_OK)
		return (1);
	return (cmocka_run_group_tests(tests, setup_bucket, NULL));
}
