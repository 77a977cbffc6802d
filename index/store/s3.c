/*
 * The S3 client (see s3.h): requests, signing, retries, the ListObjectsV2
 * reply, and credentials from the environment or the shared file.
 *
 * libcurl does what it does well: SigV4 (CURLOPT_AWS_SIGV4), percent
 * encoding (curl_easy_escape), keep-alive.  Two things the RADOS Gateway
 * insists on and libcurl 7.88 does not add by itself: every request carries
 * x-amz-content-sha256 (we send the payload's real SHA-256, so the server
 * also checks the upload), and query values are percent-encoded.
 */

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "crypto/random.h"
#include "crypto/secmem.h"
#include "format/qs_err.h"
#include "index/store/s3.h"

#define SECRET_MAX	256		/* secmem size of each credential */
#define KEY_MAX		1024		/* an object key, prefix included */
#define URL_MAX		(256 + 64 + 3 * KEY_MAX + 256)
#define ERRBODY_MAX	4096		/* kept of an error reply */
#define LIST_MAX	(16u << 20)	/* a ListObjectsV2 reply */
#define BACKOFF_MIN_MS	100u
#define BACKOFF_MAX_MS	5000u
#define META_SHA	"x-amz-meta-qsarc-sha256"

struct s3 {
	struct s3_conf conf;
	CURL *curl;
	struct s3_stats st;
	int64_t date;		/* Date of the last reply, or -1 */
};

/* One response being received. */
struct reply {
	uint8_t *buf;		/* caller's buffer or our growing one */
	size_t len, cap;
	size_t limit;		/* most we keep */
	int grow;		/* buf is ours and may grow */
	int overflow;
	char sha[CHECKSUM_SHA256_HEX];	/* META_SHA header, if any */
	long status;		/* of the last status line seen */
	char err[ERRBODY_MAX];	/* the body of a reply that is not 2xx */
	size_t errlen;
	int64_t date;		/* the Date header, or -1 */
};

/* One request to make. */
struct request {
	const char *method;
	const char *key;	/* relative to the prefix, or NULL (bucket) */
	const char *query;	/* already encoded, or NULL */
	const void *body;
	size_t bodylen;
	uint64_t off;		/* a ranged GET when rlen != 0 */
	size_t rlen;
	int if_absent;
};

/* ---- Configuration. ---- */

int
s3_url_is(const char *arg)
{

	return (strncmp(arg, "s3://", 5) == 0);
}

static int
secret_dup(char **dst, const char *src, size_t len, const char *what)
{

	if (len == 0 || len >= SECRET_MAX)
		return (qs_error_set(QS_EINVAL, "%s is empty or longer than "
		    "%d bytes", what, SECRET_MAX - 1));
	if ((*dst = secmem_alloc(SECRET_MAX)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of secure memory"));
	memcpy(*dst, src, len);
	(*dst)[len] = '\0';
	return (QS_OK);
}

static int
copy_field(char *dst, size_t cap, const char *src, const char *what)
{

	if (strlen(src) >= cap)
		return (qs_error_set(QS_EINVAL, "%s is longer than %zu bytes",
		    what, cap - 1));
	strcpy(dst, src);
	return (QS_OK);
}

/*
 * Read the [${profile}] section of the shared credentials file ${path} into
 * ${conf}.  A missing file is QS_ENOENT (not an error if the environment
 * had the keys).  The file's lines are wiped after use.
 */
static int
credentials_file(const char *path, const char *profile, struct s3_conf *conf)
{
	FILE *f;
	char *line;
	int in = 0, rc = QS_OK;
	size_t plen = strlen(profile);

	if ((f = fopen(path, "re")) == NULL)
		return (errno == ENOENT ? QS_ENOENT :
		    qs_error_errno(path, "open"));
	if ((line = secmem_alloc(SECRET_MAX * 4)) == NULL) {
		fclose(f);
		return (qs_error_set(QS_ENOMEM, "out of secure memory"));
	}
	while (rc == QS_OK && fgets(line, SECRET_MAX * 4, f) != NULL) {
		char *p = line, *eq, *v, *e;

		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == '\n' || e[-1] == '\r' ||
		    e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*p == '#' || *p == ';' || *p == '\0')
			continue;
		if (*p == '[') {
			in = (strncmp(p + 1, profile, plen) == 0 &&
			    p[1 + plen] == ']');
			continue;
		}
		if (!in || (eq = strchr(p, '=')) == NULL)
			continue;
		v = eq + 1;
		while (eq > p && (eq[-1] == ' ' || eq[-1] == '\t'))
			eq--;
		*eq = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		if (strcmp(p, "aws_access_key_id") == 0 &&
		    conf->access_key == NULL)
			rc = secret_dup(&conf->access_key, v, strlen(v),
			    "aws_access_key_id");
		else if (strcmp(p, "aws_secret_access_key") == 0 &&
		    conf->secret_key == NULL)
			rc = secret_dup(&conf->secret_key, v, strlen(v),
			    "aws_secret_access_key");
		else if (strcmp(p, "aws_session_token") == 0 &&
		    conf->session_token == NULL)
			rc = secret_dup(&conf->session_token, v, strlen(v),
			    "aws_session_token");
	}
	secmem_free(line, SECRET_MAX * 4);
	fclose(f);
	if (rc != QS_OK)
		return (qs_error_prefix(rc, path));
	return (QS_OK);
}

int
s3_conf_load(const char *url, const char *endpoint, struct s3_conf *conf)
{
	const char *b, *slash, *v, *profile;
	char path[1024];
	size_t blen;
	int rc;

	memset(conf, 0, sizeof(*conf));
	conf->retry_ms = S3_RETRY_MS_DEFAULT;
	if (!s3_url_is(url))
		return (qs_error_set(QS_EINVAL, "%s: not an s3:// URL", url));
	b = url + 5;
	slash = strchr(b, '/');
	blen = slash != NULL ? (size_t)(slash - b) : strlen(b);
	if (blen < 3 || blen >= sizeof(conf->bucket) ||
	    strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") < blen)
		return (qs_error_set(QS_EINVAL, "%s: the bucket name must be 3 "
		    "to 63 characters of a-z, 0-9, '.' and '-'", url));
	memcpy(conf->bucket, b, blen);
	if (slash != NULL && slash[1] != '\0') {
		const char *p = slash + 1;
		size_t plen = strlen(p);

		while (plen > 0 && p[plen - 1] == '/')
			plen--;
		if (plen + 2 > sizeof(conf->prefix) || strstr(p, "//") ||
		    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
		    "XYZ0123456789._-/") < plen)
			return (qs_error_set(QS_EINVAL, "%s: the prefix must be "
			    "at most 254 characters of A-Z, a-z, 0-9, '.', '_', "
			    "'-' and '/'", url));
		memcpy(conf->prefix, p, plen);
		conf->prefix[plen] = '/';
	}

	if (endpoint == NULL && ((v = getenv("AWS_ENDPOINT_URL_S3")) != NULL ||
	    (v = getenv("AWS_ENDPOINT_URL")) != NULL) && *v != '\0')
		endpoint = v;
	if (endpoint == NULL)
		return (qs_error_set(QS_EINVAL, "%s: no endpoint: give "
		    "--endpoint URL or set AWS_ENDPOINT_URL", url));
	if ((rc = copy_field(conf->endpoint, sizeof(conf->endpoint), endpoint,
	    "the endpoint")) != QS_OK)
		return (rc);
	blen = strlen(conf->endpoint);
	while (blen > 0 && conf->endpoint[blen - 1] == '/')
		conf->endpoint[--blen] = '\0';
	if ((v = getenv("QSARC_S3_ALLOW_HTTP")) != NULL && strcmp(v, "1") == 0)
		conf->allow_http = 1;
	if (strncmp(conf->endpoint, "https://", 8) != 0 &&
	    !(conf->allow_http && strncmp(conf->endpoint, "http://", 7) == 0))
		return (qs_error_set(QS_EINVAL, "endpoint %s: only https:// is "
		    "accepted (plain http:// only with QSARC_S3_ALLOW_HTTP=1)",
		    conf->endpoint));

	if ((v = getenv("AWS_REGION")) == NULL || *v == '\0')
		if ((v = getenv("AWS_DEFAULT_REGION")) == NULL || *v == '\0')
			v = "us-east-1";
	if ((rc = copy_field(conf->region, sizeof(conf->region), v,
	    "AWS_REGION")) != QS_OK)
		return (rc);

	if ((v = getenv("AWS_ACCESS_KEY_ID")) != NULL && *v != '\0' &&
	    (rc = secret_dup(&conf->access_key, v, strlen(v),
	    "AWS_ACCESS_KEY_ID")) != QS_OK)
		goto fail;
	if ((v = getenv("AWS_SECRET_ACCESS_KEY")) != NULL && *v != '\0' &&
	    (rc = secret_dup(&conf->secret_key, v, strlen(v),
	    "AWS_SECRET_ACCESS_KEY")) != QS_OK)
		goto fail;
	if ((v = getenv("AWS_SESSION_TOKEN")) != NULL && *v != '\0' &&
	    (rc = secret_dup(&conf->session_token, v, strlen(v),
	    "AWS_SESSION_TOKEN")) != QS_OK)
		goto fail;
	if (conf->access_key == NULL || conf->secret_key == NULL) {
		if ((v = getenv("AWS_SHARED_CREDENTIALS_FILE")) != NULL &&
		    *v != '\0')
			rc = copy_field(path, sizeof(path), v,
			    "AWS_SHARED_CREDENTIALS_FILE");
		else if ((v = getenv("HOME")) != NULL &&
		    (size_t)snprintf(path, sizeof(path), "%s/.aws/credentials",
		    v) < sizeof(path))
			rc = QS_OK;
		else
			rc = qs_error_set(QS_EINVAL, "HOME is not set");
		if (rc != QS_OK)
			goto fail;
		if ((profile = getenv("AWS_PROFILE")) == NULL ||
		    *profile == '\0')
			profile = "default";
		rc = credentials_file(path, profile, conf);
		if (rc != QS_OK && rc != QS_ENOENT)
			goto fail;
		if (conf->access_key == NULL || conf->secret_key == NULL) {
			rc = qs_error_set(QS_EINVAL, "%s: no credentials: set "
			    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
			    "give them in %s [%s]", url, path, profile);
			goto fail;
		}
	}
	return (QS_OK);

fail:
	s3_conf_free(conf);
	return (rc);
}

void
s3_conf_free(struct s3_conf *conf)
{

	secmem_free(conf->access_key, SECRET_MAX);
	secmem_free(conf->secret_key, SECRET_MAX);
	secmem_free(conf->session_token, SECRET_MAX);
	conf->access_key = conf->secret_key = conf->session_token = NULL;
}

/* ---- Handles. ---- */

int
s3_open(const struct s3_conf *conf, struct s3 **sp)
{
	static int global_done;
	struct s3 *s;
	int rc;

	*sp = NULL;
	if (!global_done) {
		/* Once per process; the SMTP sender does the same. */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return (qs_error_set(QS_EIO, "libcurl did not start"));
		global_done = 1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	s->conf = *conf;
	s->conf.access_key = s->conf.secret_key = s->conf.session_token = NULL;
	if ((rc = secret_dup(&s->conf.access_key, conf->access_key,
	    strlen(conf->access_key), "the access key")) != QS_OK ||
	    (rc = secret_dup(&s->conf.secret_key, conf->secret_key,
	    strlen(conf->secret_key), "the secret key")) != QS_OK)
		goto fail;
	if (conf->session_token != NULL && (rc = secret_dup(
	    &s->conf.session_token, conf->session_token,
	    strlen(conf->session_token), "the session token")) != QS_OK)
		goto fail;
	s->date = -1;
	if ((s->curl = curl_easy_init()) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory (libcurl)");
		goto fail;
	}
	*sp = s;
	return (QS_OK);

fail:
	s3_close(s);
	return (rc);
}

int
s3_dup(const struct s3 *s, struct s3 **s2)
{

	return (s3_open(&s->conf, s2));
}

void
s3_set_retry_ms(struct s3 *s, unsigned ms)
{

	s->conf.retry_ms = ms;
}

void
s3_close(struct s3 *s)
{

	if (s == NULL)
		return;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	s3_conf_free(&s->conf);
	free(s);
}

int64_t
s3_server_time(const struct s3 *s)
{

	return (s->date);
}

void
s3_stats(const struct s3 *s, struct s3_stats *st)
{

	*st = s->st;
}

/* ---- Requests. ---- */

/* Percent-encode ${key} into ${out}, keeping its '/' separators. */
static int
url_key(struct s3 *s, const char *key, char *out, size_t cap)
{
	char full[KEY_MAX];
	char *seg, *save = NULL, *enc;
	size_t n = 0;

	if ((size_t)snprintf(full, sizeof(full), "%s%s", s->conf.prefix, key) >=
	    sizeof(full))
		return (qs_error_set(QS_EINVAL, "object key too long: %s", key));
	for (seg = strtok_r(full, "/", &save); seg != NULL;
	    seg = strtok_r(NULL, "/", &save)) {
		if ((enc = curl_easy_escape(s->curl, seg, 0)) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "/%s",
		    enc);
		curl_free(enc);
		if (n >= cap)
			return (qs_error_set(QS_EINVAL, "object key too long: "
			    "%s", key));
	}
	return (QS_OK);
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct reply *r = ctx;
	size_t n = size * nmemb, take = n;

	if (r->status < 200 || r->status >= 300) {
		/* An error document: kept apart from the caller's buffer. */
		if (take > sizeof(r->err) - 1 - r->errlen)
			take = sizeof(r->err) - 1 - r->errlen;
		memcpy(r->err + r->errlen, data, take);
		r->errlen += take;
		r->err[r->errlen] = '\0';
		return (n);
	}
	if (r->len + take > r->limit) {
		take = r->limit - r->len;
		r->overflow = 1;
	}
	if (r->grow && r->len + take > r->cap) {
		size_t cap = r->cap ? r->cap : 16384;
		uint8_t *nb;

		while (cap < r->len + take)
			cap *= 2;
		if (cap > r->limit)
			cap = r->limit;
		if ((nb = realloc(r->buf, cap)) == NULL)
			return (0);	/* libcurl fails the transfer */
		r->buf = nb;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, take);
	r->len += take;
	/* A ranged GET may get more than asked for from a careless server:
	 * keep what fits, fail only an unbounded reply. */
	return (r->grow && r->overflow ? 0 : n);
}

/* The body of a PUT being sent. */
struct upload {
	const uint8_t *p;
	size_t left;
};

static size_t
on_upload(char *out, size_t size, size_t nmemb, void *ctx)
{
	struct upload *up = ctx;
	size_t n = size * nmemb;

	if (n > up->left)
		n = up->left;
	if (n > 0)
		memcpy(out, up->p, n);
	up->p += n;
	up->left -= n;
	return (n);
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct reply *r = ctx;
	size_t n = size * nmemb, hl = sizeof(META_SHA) - 1;
	long st;

	/* Each status line (there may be a "100 Continue" first). */
	if (n > 12 && memcmp(data, "HTTP/", 5) == 0 &&
	    sscanf(data, "HTTP/%*s %ld", &st) == 1)
		r->status = st;

	if (n > 6 && strncasecmp(data, "Date:", 5) == 0) {
		char d[64];
		size_t dl = n - 5 < sizeof(d) - 1 ? n - 5 : sizeof(d) - 1;
		time_t t;

		memcpy(d, data + 5, dl);
		d[dl] = '\0';
		if ((t = curl_getdate(d, NULL)) != -1)
			r->date = (int64_t)t;
	}
	if (n > hl + 2 + 64 && strncasecmp(data, META_SHA ":", hl + 1) == 0) {
		const char *v = data + hl + 1;

		while (*v == ' ')
			v++;
		if ((size_t)(data + n - v) >= 64) {
			memcpy(r->sha, v, 64);
			r->sha[64] = '\0';
		}
	}
	return (n);
}

/* The text between <${tag}> and </${tag}> in ${xml}, or "" */
static void
xml_field(const char *xml, size_t len, const char *tag, char *out,
    size_t cap)
{
	char open[64], close[64];
	const char *a, *b, *end = xml + len;

	out[0] = '\0';
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((a = memmem(xml, len, open, strlen(open))) == NULL)
		return;
	a += strlen(open);
	if ((b = memmem(a, (size_t)(end - a), close, strlen(close))) == NULL)
		return;
	if ((size_t)(b - a) >= cap)
		b = a + cap - 1;
	memcpy(out, a, (size_t)(b - a));
	out[b - a] = '\0';
}

/* Whether a failed attempt may succeed if repeated. */
static int
retryable(CURLcode cc, long status, const char *code)
{

	if (cc != CURLE_OK)
		return (cc == CURLE_COULDNT_CONNECT ||
		    cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_SEND_ERROR ||
		    cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
		    cc == CURLE_PARTIAL_FILE || cc == CURLE_COULDNT_RESOLVE_HOST ||
		    cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_HTTP2 ||
		    cc == CURLE_HTTP2_STREAM);
	return (status == 500 || status == 502 || status == 503 ||
	    status == 504 || status == 429 ||
	    strcmp(code, "RequestTimeout") == 0 ||
	    strcmp(code, "SlowDown") == 0);
}

uint64_t
s3_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* A uniformly random number of milliseconds in [0, max]. */
static unsigned
jitter(unsigned max)
{
	uint32_t v;

	random_bytes(&v, sizeof(v));
	return (v % (max + 1));
}

void
s3_pause_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Map a final failed attempt to an error code with a detail. */
static int
failure(struct s3 *s, const struct request *rq, CURLcode cc, long status,
    const char *code, const char *msg, const char *errbuf)
{
	const char *what = rq->key != NULL ? rq->key : "";
	const char *b = s->conf.bucket;

	if (cc != CURLE_OK)
		return (qs_error_set(QS_EIO, "s3://%s/%s%s: %s %s: %s",
		    b, s->conf.prefix, what, rq->method, s->conf.endpoint,
		    errbuf[0] ? errbuf : curl_easy_strerror(cc)));
	if (status == 404)
		return (qs_error_set(QS_ENOENT, "s3://%s/%s%s: %s",
		    b, s->conf.prefix, what, strcmp(code, "NoSuchBucket") == 0 ?
		    "no such bucket" : "No such object"));
	if (status == 412)
		return (qs_error_set(QS_EEXIST, "s3://%s/%s%s: already exists",
		    b, s->conf.prefix, what));
	if (status == 507 || strcmp(code, "QuotaExceeded") == 0 ||
	    strcmp(code, "EntityTooLarge") == 0)
		return (qs_error_set(QS_ENOSPC, "s3://%s/%s%s: %s: the bucket "
		    "or its pool is full (HTTP %ld)", b, s->conf.prefix, what,
		    code[0] ? code : "no space", status));
	if (strcmp(code, "RequestTimeTooSkewed") == 0)
		return (qs_error_set(QS_EIO, "s3://%s: %s: this machine's "
		    "clock differs too much from the server's; fix the clock",
		    b, code));
	if (status == 403)
		return (qs_error_set(QS_EIO, "s3://%s/%s%s: access denied "
		    "(HTTP 403 %s%s%s): check the credentials and the bucket's "
		    "permissions", b, s->conf.prefix, what, code,
		    msg[0] ? ": " : "", msg));
	if (strcmp(code, "AuthorizationHeaderMalformed") == 0 ||
	    strcmp(code, "PermanentRedirect") == 0)
		return (qs_error_set(QS_EIO, "s3://%s: %s: wrong region? "
		    "(AWS_REGION is %s)", b, code, s->conf.region));
	return (qs_error_set(QS_EIO, "s3://%s/%s%s: %s: HTTP %ld %s%s%s", b,
	    s->conf.prefix, what, rq->method, status, code, msg[0] ? ": " : "",
	    msg));
}

/*
 * Make the request ${rq}, retrying as s3.h says; the reply body goes into
 * ${r}.  QS_OK for a 2xx status.
 */
static int
request(struct s3 *s, const struct request *rq, struct reply *r)
{
	char url[URL_MAX], sigv4[128], range[64], errbuf[CURL_ERROR_SIZE];
	char h_sha[64 + 32], h_meta[64 + 40], h_tok[SECRET_MAX + 32];
	char sha[CHECKSUM_SHA256_HEX], code[64], msg[256];
	struct curl_slist *hdr = NULL;
	uint64_t start = s3_monotonic_ms();
	unsigned backoff = BACKOFF_MIN_MS, wait;
	size_t n, base_len = r->len;
	struct upload up;
	long status = 0;
	CURLcode cc;
	int rc, attempt;

	n = (size_t)snprintf(url, sizeof(url), "%s/%s", s->conf.endpoint,
	    s->conf.bucket);
	if (rq->key != NULL &&
	    (rc = url_key(s, rq->key, url + n, sizeof(url) - n)) != QS_OK)
		return (rc);
	if (rq->query != NULL) {
		n = strlen(url);
		if ((size_t)snprintf(url + n, sizeof(url) - n, "?%s",
		    rq->query) >= sizeof(url) - n)
			return (qs_error_set(QS_EINVAL, "request too long"));
	}
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", s->conf.region);
	checksum_sha256_hex(rq->body != NULL ? rq->body : "", rq->bodylen,
	    sha);
	snprintf(h_sha, sizeof(h_sha), "x-amz-content-sha256: %s", sha);
	hdr = curl_slist_append(hdr, h_sha);
	/*
	 * No "Expect:" override here: libcurl 7.88 would sign the empty
	 * header and then not send it, and the gateway rejects the signature.
	 */
	if (strcmp(rq->method, "PUT") == 0) {
		/* Not libcurl's form type, which it would add for a body. */
		hdr = curl_slist_append(hdr,
		    "Content-Type: application/octet-stream");
		if (rq->key != NULL) {
			snprintf(h_meta, sizeof(h_meta), META_SHA ": %s", sha);
			hdr = curl_slist_append(hdr, h_meta);
		}
	}
	if (rq->if_absent)
		hdr = curl_slist_append(hdr, "If-None-Match: *");
	if (s->conf.session_token != NULL) {
		snprintf(h_tok, sizeof(h_tok), "x-amz-security-token: %s",
		    s->conf.session_token);
		hdr = curl_slist_append(hdr, h_tok);
		secmem_wipe(h_tok, sizeof(h_tok));
	}
	if (hdr == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));

	for (attempt = 0;; attempt++) {
		CURL *c = s->curl;

		curl_easy_reset(c);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
		    s->conf.allow_http ? "http,https" : "https");
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
		curl_easy_setopt(c, CURLOPT_USERNAME, s->conf.access_key);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->conf.secret_key);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
		/* A stall: under 1 byte/s for 30 s. */
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
		if (strcmp(rq->method, "PUT") == 0) {
			/*
			 * An upload, not POSTFIELDS: libcurl 7.88 signs an
			 * empty POSTFIELDS body in a way the gateway rejects.
			 */
			up.p = rq->body;
			up.left = rq->bodylen;
			curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
			curl_easy_setopt(c, CURLOPT_READDATA, &up);
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
			    (curl_off_t)rq->bodylen);
		} else if (strcmp(rq->method, "HEAD") == 0) {
			curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		} else if (strcmp(rq->method, "GET") != 0) {
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
		}
		if (rq->rlen != 0) {
			snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64,
			    rq->off, rq->off + rq->rlen - 1);
			curl_easy_setopt(c, CURLOPT_RANGE, range);
		}
		errbuf[0] = '\0';
		r->len = base_len;
		r->overflow = 0;
		r->sha[0] = '\0';
		r->status = 0;
		r->date = -1;
		r->errlen = 0;
		r->err[0] = '\0';
		s->st.requests++;
		s->st.bytes_up += rq->bodylen;
		cc = curl_easy_perform(c);
		status = 0;
		if (cc == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		s->st.bytes_down += r->len - base_len;
		if (r->date != -1)
			s->date = r->date;
		code[0] = msg[0] = '\0';
		if (cc == CURLE_OK && status >= 200 && status < 300) {
			rc = QS_OK;
			break;
		}
		if (cc == CURLE_OK && r->errlen > 0) {
			xml_field(r->err, r->errlen, "Code", code,
			    sizeof(code));
			xml_field(r->err, r->errlen, "Message", msg,
			    sizeof(msg));
		}
		if (status == 412 && rq->if_absent && attempt > 0) {
			/*
			 * An earlier attempt may have landed before its reply
			 * was lost: then the object there carries our hash.
			 */
			struct reply hr = { .limit = ERRBODY_MAX, .grow = 1 };
			struct request hq = { "HEAD", rq->key, NULL, NULL, 0,
			    0, 0, 0 };

			if (request(s, &hq, &hr) == QS_OK &&
			    strcmp(hr.sha, sha) == 0) {
				free(hr.buf);
				rc = QS_OK;
				break;
			}
			free(hr.buf);
		}
		wait = backoff / 2 + jitter(backoff / 2);
		if (!retryable(cc, status, code) ||
		    s3_monotonic_ms() - start + wait > s->conf.retry_ms) {
			rc = failure(s, rq, cc, status, code, msg, errbuf);
			if (attempt > 0 && retryable(cc, status, code)) {
				char first[QS_ERROR_MSG_MAX];

				snprintf(first, sizeof(first), "%s",
				    qs_error_message());
				qs_error_set(rc, "%s (gave up after %d "
				    "attempts in %.1f s)", first, attempt + 1,
				    (double)(s3_monotonic_ms() - start) / 1000.0);
			}
			break;
		}
		s->st.retries++;
		s3_pause_ms(wait);
		if (backoff < BACKOFF_MAX_MS)
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
			    backoff * 2;
	}
	curl_slist_free_all(hdr);
	return (rc);
}

/* ---- Operations. ---- */

int
s3_bucket_create(struct s3 *s)
{
	struct reply r = { .limit = ERRBODY_MAX, .grow = 1 };
	struct request rq = { "PUT", NULL, NULL, NULL, 0, 0, 0, 0 };
	int rc;

	rc = request(s, &rq, &r);
	free(r.buf);
	/* RGW answers 409 BucketAlreadyExists for a bucket one owns. */
	if (rc != QS_OK && strstr(qs_error_message(), "BucketAlreadyOwnedByYou")
	    == NULL && strstr(qs_error_message(), "BucketAlreadyExists") == NULL)
		return (rc);
	qs_error_clear();
	return (QS_OK);
}

int
s3_put(struct s3 *s, const char *key, const void *buf, size_t len, int flags)
{
	struct reply r = { .limit = ERRBODY_MAX, .grow = 1 };
	struct request rq = { "PUT", key, NULL, buf, len, 0, 0,
	    (flags & S3_PUT_IF_ABSENT) != 0 };
	int rc;

	rc = request(s, &rq, &r);
	free(r.buf);
	return (rc);
}

int
s3_get(struct s3 *s, const char *key, uint64_t off, size_t len, void *buf,
    size_t *got)
{
	struct reply r = { .buf = buf, .cap = len, .limit = len };
	struct request rq = { "GET", key, NULL, NULL, 0, off, len, 0 };
	int rc;

	*got = 0;
	if (len == 0)
		return (QS_OK);
	rc = request(s, &rq, &r);
	if (rc == QS_EIO && strstr(qs_error_message(), "HTTP 416") != NULL) {
		/* A range that starts at or after the end: nothing to read. */
		qs_error_clear();
		return (QS_OK);
	}
	if (rc == QS_OK)
		*got = r.len;
	return (rc);
}

/* The Content-Length of the last reply on ${s}. */
static uint64_t
content_length(struct s3 *s)
{
	curl_off_t cl = -1;

	curl_easy_getinfo(s->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	return (cl < 0 ? 0 : (uint64_t)cl);
}

int
s3_head(struct s3 *s, const char *key, uint64_t *size)
{
	struct reply r = { .limit = ERRBODY_MAX, .grow = 1 };
	struct request rq = { "HEAD", key, NULL, NULL, 0, 0, 0, 0 };
	int rc;

	rc = request(s, &rq, &r);
	free(r.buf);
	if (rc == QS_OK)
		*size = content_length(s);
	return (rc);
}

int
s3_delete(struct s3 *s, const char *key)
{
	struct reply r = { .limit = ERRBODY_MAX, .grow = 1 };
	struct request rq = { "DELETE", key, NULL, NULL, 0, 0, 0, 0 };
	int rc;

	rc = request(s, &rq, &r);
	free(r.buf);
	if (rc == QS_ENOENT) {
		qs_error_clear();
		rc = QS_OK;
	}
	return (rc);
}

/* Decode the five XML entities of ${in} (length ${len}) into ${out}. */
static int
xml_text(const char *in, size_t len, char *out, size_t cap)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	size_t i = 0, o = 0, k;

	while (i < len) {
		char c = in[i++];

		if (c == '&') {
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				size_t el = strlen(ents[k].ent);

				if (i - 1 + el <= len &&
				    memcmp(in + i - 1, ents[k].ent, el) == 0) {
					c = ents[k].c;
					i += el - 1;
					break;
				}
			}
			if (k == sizeof(ents) / sizeof(ents[0]))
				return (-1);
		}
		if (o + 1 >= cap)
			return (-1);
		out[o++] = c;
	}
	out[o] = '\0';
	return (0);
}

/* "2026-12-02T12:14:59.179Z" as unix seconds, or -1. */
static int64_t
iso8601(const char *v)
{
	struct tm tm;
	int y, mo, d, h, mi, sec;
	char z;

	if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) !=
	    6 || (z = v[strlen(v) - 1]) != 'Z')
		return (-1);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return ((int64_t)timegm(&tm));
}

int
s3_list(struct s3 *s, const char *prefix,
    int (*fn)(void *, const struct s3_object *), void *ctx)
{
	char full[KEY_MAX], token[1024], key[KEY_MAX], trunc[8], num[32];
	char when[64];
	char query[3 * KEY_MAX + 3 * 1024 + 64];
	size_t plen = strlen(s->conf.prefix);
	struct reply r = { .limit = LIST_MAX, .grow = 1 };
	int rc = QS_OK;

	if ((size_t)snprintf(full, sizeof(full), "%s%s", s->conf.prefix,
	    prefix) >= sizeof(full))
		return (qs_error_set(QS_EINVAL, "prefix too long: %s", prefix));
	token[0] = '\0';
	do {
		struct request rq = { "GET", NULL, query, NULL, 0, 0, 0, 0 };
		char *ep, *et = NULL;
		const char *p, *end;

		/* Parameters in the canonical (sorted) order SigV4 uses. */
		if ((ep = curl_easy_escape(s->curl, full, 0)) == NULL ||
		    (token[0] && (et = curl_easy_escape(s->curl, token, 0)) ==
		    NULL)) {
			curl_free(ep);
			rc = qs_error_set(QS_ENOMEM, "out of memory");
			break;
		}
		snprintf(query, sizeof(query), "%s%s%slist-type=2&prefix=%s",
		    et ? "continuation-token=" : "", et ? et : "", et ? "&" : "",
		    ep);
		curl_free(ep);
		curl_free(et);
		r.len = 0;
		if ((rc = request(s, &rq, &r)) != QS_OK)
			break;
		if (r.overflow) {
			rc = qs_error_set(QS_EIO, "s3://%s/%s: the listing "
			    "reply is larger than %u bytes", s->conf.bucket,
			    full, LIST_MAX);
			break;
		}
		p = (const char *)r.buf;
		end = p + r.len;
		while ((p = memmem(p, (size_t)(end - p), "<Contents>", 10)) !=
		    NULL) {
			const char *q = memmem(p, (size_t)(end - p),
			    "</Contents>", 11), *k1, *k2;
			char *e;
			uint64_t size;
			struct s3_object obj;

			if (q == NULL)
				break;
			xml_field(p, (size_t)(q - p), "Size", num, sizeof(num));
			xml_field(p, (size_t)(q - p), "LastModified", when,
			    sizeof(when));
			k1 = memmem(p, (size_t)(q - p), "<Key>", 5);
			k2 = k1 ? memmem(k1, (size_t)(q - k1), "</Key>", 6) :
			    NULL;
			errno = 0;
			size = strtoull(num, &e, 10);
			if (k1 == NULL || k2 == NULL || num[0] == '\0' ||
			    *e != '\0' || errno != 0 ||
			    xml_text(k1 + 5, (size_t)(k2 - k1 - 5), key,
			    sizeof(key)) != 0 || strncmp(key, s->conf.prefix,
			    plen) != 0) {
				rc = qs_error_set(QS_EIO, "s3://%s/%s: a "
				    "listing entry the client cannot read",
				    s->conf.bucket, full);
				break;
			}
			obj.key = key + plen;
			obj.size = size;
			obj.mtime = iso8601(when);
			if ((rc = fn(ctx, &obj)) != 0)
				break;
			p = q + 11;
		}
		if (rc != QS_OK)
			break;
		xml_field((const char *)r.buf, r.len, "IsTruncated", trunc,
		    sizeof(trunc));
		xml_field((const char *)r.buf, r.len, "NextContinuationToken",
		    key, sizeof(key));
		if (xml_text(key, strlen(key), token, sizeof(token)) != 0) {
			rc = qs_error_set(QS_EIO, "s3://%s/%s: a continuation "
			    "token the client cannot read", s->conf.bucket,
			    full);
			break;
		}
		if (strcmp(trunc, "true") == 0 && token[0] == '\0') {
			rc = qs_error_set(QS_EIO, "s3://%s/%s: a truncated "
			    "listing without a continuation token",
			    s->conf.bucket, full);
			break;
		}
	} while (strcmp(trunc, "true") == 0);
	free(r.buf);
	return (rc);
}
