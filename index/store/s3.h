#ifndef QS_S3_H
#define QS_S3_H

/*
 * A small S3 client: the object operations a store needs (a whole-object
 * PUT, optionally conditional; a ranged GET; HEAD; DELETE; a prefix LIST),
 * over libcurl with its SigV4 signing, path-style addressing, one kept-alive
 * connection per handle, and bounded retries.
 *
 * A handle is used by one thread at a time.  Credentials live in secmem
 * memory and never appear in an error detail.
 *
 * Errors: QS_ENOENT for a missing key or bucket (404), QS_EEXIST when a
 * conditional PUT finds the key taken (412), QS_ENOSPC for a full bucket or
 * pool (QuotaExceeded, 507), QS_EIO for everything else: refused
 * credentials (403), a wrong region, a clock off by more than the server
 * allows, an endpoint that does not answer, and retries given up.  The
 * detail names the bucket and key, the HTTP status and S3's error code.
 *
 * Retries: transport failures (refused or reset connections, timeouts, a
 * stall of 30 s without a byte), 500, 502, 503, 504, 429 and S3's
 * RequestTimeout/SlowDown are retried with exponential backoff (100 ms
 * doubling to 5 s, each wait
 * between half and all of it, chosen at random), until s3_conf.retry_ms have passed since
 * the first attempt.  Every operation here is idempotent, including a
 * conditional PUT: a retry that finds the key taken checks whether the
 * object there is the one this PUT sent (by the SHA-256 it carries as
 * metadata) and then reports success.
 */

#include <stddef.h>
#include <stdint.h>

struct s3;

struct s3_conf {
	char endpoint[256];	/* "https://host[:port]", no trailing slash */
	char region[64];	/* signing region ("us-east-1" by default) */
	char bucket[64];
	char prefix[256];	/* "" or "dir/sub/" (always ends in '/') */
	char *access_key;	/* secmem, NUL-terminated */
	char *secret_key;	/* secmem, NUL-terminated */
	char *session_token;	/* secmem or NULL */
	int allow_http;		/* accept an http:// endpoint */
	unsigned retry_ms;	/* total time retries may take */
};

#define S3_RETRY_MS_DEFAULT	120000u

/**
 * s3_url_is(arg):
 * Whether the store argument ${arg} names an S3 store ("s3://...").
 */
int s3_url_is(const char *);

/**
 * s3_conf_load(url, endpoint, conf):
 * Fill ${conf} for the store URL ${url} ("s3://BUCKET[/PREFIX]") from the
 * environment, following the AWS conventions: the endpoint is ${endpoint}
 * if not NULL, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL; the region
 * AWS_REGION, else AWS_DEFAULT_REGION, else "us-east-1"; the keys
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else
 * the [AWS_PROFILE or "default"] section of AWS_SHARED_CREDENTIALS_FILE
 * or ~/.aws/credentials.  An http:// endpoint is accepted only with
 * QSARC_S3_ALLOW_HTTP=1.  Return QS_OK or QS_EINVAL with a detail saying
 * what is missing or malformed (never a key).  Free with s3_conf_free.
 */
int s3_conf_load(const char *, const char *, struct s3_conf *);

/**
 * s3_conf_free(conf):
 * Wipe and free the credentials in ${conf}.
 */
void s3_conf_free(struct s3_conf *);

/**
 * s3_open(conf, s):
 * A client for the bucket and prefix of ${conf} (copied, credentials
 * included) in ${s}.  No request is made.  QS_OK, QS_EINVAL, QS_ENOMEM.
 */
int s3_open(const struct s3_conf *, struct s3 **);

/**
 * s3_dup(s, s2):
 * A second client in ${s2} for the same bucket and credentials as ${s},
 * with its own connection, for another thread.
 */
int s3_dup(const struct s3 *, struct s3 **);

/**
 * s3_set_retry_ms(s, ms):
 * Let retries of requests on ${s} take at most ${ms} in all.
 */
void s3_set_retry_ms(struct s3 *, unsigned);

/**
 * s3_close(s):
 * Close the connection and free ${s} (NULL is allowed).
 */
void s3_close(struct s3 *);

/**
 * s3_bucket_create(s):
 * Create the bucket of ${s}; an existing bucket owned by this user is
 * QS_OK.
 */
int s3_bucket_create(struct s3 *);

#define S3_PUT_IF_ABSENT	1	/* If-None-Match: *; QS_EEXIST if taken */

/**
 * s3_put(s, key, buf, len, flags):
 * Store the ${len} bytes at ${buf} as the object ${key} (relative to the
 * prefix).  A PUT is atomic: the object is visible whole or not at all.
 * With S3_PUT_IF_ABSENT an existing object is left alone and the result is
 * QS_EEXIST.
 */
int s3_put(struct s3 *, const char *, const void *, size_t, int);

/**
 * s3_get(s, key, off, len, buf, got):
 * Read up to ${len} bytes of the object ${key} from offset ${off} into
 * ${buf}; the number read is in ${got} (less than ${len} only at the end
 * of the object).  QS_ENOENT if there is no such object.
 */
int s3_get(struct s3 *, const char *, uint64_t, size_t, void *, size_t *);

/**
 * s3_head(s, key, size):
 * The size of the object ${key} in ${size}; QS_ENOENT if there is none.
 */
int s3_head(struct s3 *, const char *, uint64_t *);

/**
 * s3_delete(s, key):
 * Delete the object ${key}.  A missing object is QS_OK (S3 does not tell).
 */
int s3_delete(struct s3 *, const char *);

struct s3_object {
	const char *key;	/* relative to the store prefix */
	uint64_t size;
	int64_t mtime;		/* LastModified, unix seconds (server clock) */
};

/**
 * s3_list(s, prefix, fn, ctx):
 * Call ${fn}(ctx, obj) for every object whose key (relative to the store
 * prefix) starts with ${prefix}, in S3's (byte) order, following
 * continuation tokens.  A non-zero return from ${fn} stops the walk and is
 * returned.
 */
int s3_list(struct s3 *, const char *,
    int (*)(void *, const struct s3_object *), void *);

/**
 * s3_server_time(s):
 * The server's clock (unix seconds) from the Date header of the last reply
 * on ${s}, or -1 if there was none.  Leases are measured on this clock, so
 * that a client's own clock does not matter.
 */
int64_t s3_server_time(const struct s3 *);

/**
 * s3_monotonic_ms() / s3_pause_ms(ms):
 * The monotonic clock in milliseconds, and a sleep of ${ms} that resumes
 * after signals: the timing of retries here and of the S3 lock's lease.
 */
uint64_t s3_monotonic_ms(void);
void s3_pause_ms(unsigned);

struct s3_stats {
	uint64_t requests;	/* HTTP requests sent, retries included */
	uint64_t retries;
	uint64_t bytes_up;	/* request bodies */
	uint64_t bytes_down;	/* response bodies */
};

/**
 * s3_stats(s, st):
 * The request counters of ${s} in ${st}.
 */
void s3_stats(const struct s3 *, struct s3_stats *);

#endif /* !QS_S3_H */
