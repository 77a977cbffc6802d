/*
 * SMTP sending through libcurl and the relay's auth file (see
 * alerts_send.h).
 */

#include <sys/stat.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/secmem.h"
#include "format/qs_err.h"
#include "cmd/alerts/alerts_addr.h"
#include "cmd/alerts/alerts_conf.h"
#include "cmd/alerts/alerts_send.h"
#include "cmd/alerts/alerts_text.h"

#define AUTH_FILE_MAX	1024
#define AUTH_FIELD_MAX	255
#define CONNECT_TIMEOUT	10L
#define TOTAL_TIMEOUT	30L

/* ---- Credentials. ---- */

struct auth {
	char *buf;		/* secmem, AUTH_FILE_MAX + 1 bytes */
	const char *user;
	const char *pass;
};

static void
auth_free(struct auth *a)
{

	secmem_free(a->buf, AUTH_FILE_MAX + 1);
	a->buf = NULL;
}

/*
 * Read the auth file ${path}: a regular file owned by this user, with no
 * permission for group or others (0600 or stricter); first line the user
 * name, second line the password, each 1..255 bytes.  QS_EINVAL with a
 * detail if not.
 */
static int
auth_read(const char *path, struct auth *a)
{
	struct stat st;
	char *nl, *nl2;
	ssize_t r;
	size_t len = 0;
	int fd, rc;

	memset(a, 0, sizeof(*a));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return (qs_error_errno(path, "open the auth file"));

	/* Only a private regular file of ours. */
	if (fstat(fd, &st) != 0) {
		rc = qs_error_errno(path, "fstat");
		goto err0;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = qs_error_set(QS_EINVAL, "%s: the auth file is not a "
		    "regular file", path);
		goto err0;
	}
	if ((st.st_mode & 077) != 0) {
		rc = qs_error_set(QS_EINVAL, "%s: the auth file has mode "
		    "%04o; it holds a password, so it must not be readable "
		    "by group or others (chmod 600)", path,
		    (unsigned int)(st.st_mode & 07777));
		goto err0;
	}
	if (st.st_uid != geteuid()) {
		rc = qs_error_set(QS_EINVAL, "%s: the auth file is not owned "
		    "by the user running qsarc", path);
		goto err0;
	}

	/* Into locked memory: it holds the password. */
	if ((a->buf = secmem_alloc(AUTH_FILE_MAX + 1)) == NULL) {
		rc = QS_ENOMEM;
		goto err0;
	}
	while (len < AUTH_FILE_MAX) {
		r = read(fd, a->buf + len, AUTH_FILE_MAX - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = qs_error_errno(path, "read");
			goto err1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}

	/* Two lines: the user name, then the password. */
	a->buf[len] = '\0';
	if (len == AUTH_FILE_MAX || memchr(a->buf, '\0', len) != NULL ||
	    strchr(a->buf, '\r') != NULL)
		goto bad;
	if ((nl = strchr(a->buf, '\n')) == NULL)
		goto bad;
	*nl = '\0';
	if ((nl2 = strchr(nl + 1, '\n')) != NULL) {
		*nl2 = '\0';
		if (nl2[1] != '\0')
			goto bad;
	}
	a->user = a->buf;
	a->pass = nl + 1;
	if (strlen(a->user) == 0 || strlen(a->user) > AUTH_FIELD_MAX ||
	    strlen(a->pass) == 0 || strlen(a->pass) > AUTH_FIELD_MAX)
		goto bad;
	close(fd);
	return (QS_OK);

bad:
	rc = qs_error_set(QS_EINVAL, "%s: the auth file must hold two lines: "
	    "the user name, then the password (1 to %d bytes each)", path,
	    AUTH_FIELD_MAX);
err1:
	auth_free(a);
err0:
	close(fd);
	return (rc);
}

/* ---- Sending. ---- */

struct upload {
	const char *p;
	size_t left;
};

static size_t
upload_read(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct upload *u = ctx;
	size_t n = size * nitems;

	if (n > u->left)
		n = u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return (n);
}

static struct curl_slist *
rcpt_add(struct curl_slist *l, const char *addr, int *oom)
{
	char tmp[ALERTS_ADDR_MAX + 3];
	struct curl_slist *n;

	alerts_text_copyf(tmp, sizeof(tmp), "<%s>", addr);
	if ((n = curl_slist_append(l, tmp)) == NULL) {
		*oom = 1;
		return (l);
	}
	return (n);
}

/**
 * alerts_send_message(c, msg, len):
 * Send the message ${msg} through the relay of ${c}: envelope from
 * c->from, recipients To + Cc + Bcc.  Return QS_OK if the relay accepted
 * it, else an error with a one-line detail (never a credential).
 */
int
alerts_send_message(const struct alerts_conf *c, const char *msg, size_t len)
{
	char url[ALERTS_HOST_MAX + 32], from[ALERTS_ADDR_MAX + 3];
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *rcpt = NULL;
	struct upload u = { msg, len };
	struct auth a;
	CURL *h;
	CURLcode cc;
	long code = 0;
	int oom = 0, rc, have_auth = 0;

	/* The password, only where it cannot cross the network in clear. */
	memset(&a, 0, sizeof(a));
	if (c->auth_file[0] != '\0') {
		if (!c->starttls && !alerts_addr_relay_is_loopback(c->relay))
			return (qs_error_set(QS_EINVAL, "refusing to send the "
			    "password in clear text: use --starttls"));
		if ((rc = auth_read(c->auth_file, &a)) != QS_OK)
			return (rc);
		have_auth = 1;
	}

	/* The envelope: one list of To, Cc and Bcc. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		rc = qs_error_set(QS_ENOMEM, "libcurl failed to initialise");
		goto err0;
	}
	if ((h = curl_easy_init()) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "libcurl failed to initialise");
		goto err1;
	}
	alerts_text_copyf(url, sizeof(url), "smtp://%s:%u", c->relay,
	    (unsigned int)c->port);
	alerts_text_copyf(from, sizeof(from), "<%s>", c->from);
	for (size_t i = 0; i < c->nto; i++)
		rcpt = rcpt_add(rcpt, c->to[i], &oom);
	for (size_t i = 0; i < c->ncc; i++)
		rcpt = rcpt_add(rcpt, c->cc[i], &oom);
	for (size_t i = 0; i < c->nbcc; i++)
		rcpt = rcpt_add(rcpt, c->bcc[i], &oom);
	if (oom) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto err2;
	}

	/* The transfer: smtp only, bounded in time, no signals. */
	errbuf[0] = '\0';
	cc = CURLE_OK;
#define SETOPT(o, v)	do {						\
	if (cc == CURLE_OK)						\
		cc = curl_easy_setopt(h, o, v);				\
} while (0)
	SETOPT(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(CURLOPT_PROTOCOLS_STR, "smtp");
#endif
	SETOPT(CURLOPT_MAIL_FROM, from);
	SETOPT(CURLOPT_MAIL_RCPT, rcpt);
	SETOPT(CURLOPT_READFUNCTION, upload_read);
	SETOPT(CURLOPT_READDATA, &u);
	SETOPT(CURLOPT_UPLOAD, 1L);
	SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	SETOPT(CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	SETOPT(CURLOPT_TIMEOUT, TOTAL_TIMEOUT);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	if (c->starttls)
		SETOPT(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (have_auth) {
		SETOPT(CURLOPT_USERNAME, a.user);
		SETOPT(CURLOPT_PASSWORD, a.pass);
	}
#undef SETOPT
	if (cc != CURLE_OK) {
		rc = qs_error_set(QS_EINVAL, "libcurl: %s",
		    curl_easy_strerror(cc));
		goto err2;
	}

	/* Say what the relay answered, never what was sent. */
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 400)
			rc = qs_error_set(QS_EIO, "relay %s:%u refused "
			    "(SMTP %ld): %s", c->relay, (unsigned int)c->port,
			    code, errbuf[0] ? errbuf :
			    curl_easy_strerror(cc));
		else
			rc = qs_error_set(QS_EIO, "relay %s:%u: %s", c->relay,
			    (unsigned int)c->port, errbuf[0] ? errbuf :
			    curl_easy_strerror(cc));
		goto err2;
	}
	rc = QS_OK;

err2:
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
err1:
	curl_global_cleanup();
err0:
	auth_free(&a);
	return (rc);
}

/**
 * alerts_send_auth_check(path):
 * Check that ${path} is a usable auth file (see alerts_send.h).
 */
int
alerts_send_auth_check(const char *path)
{
	struct auth a;
	int rc;

	if ((rc = auth_read(path, &a)) != QS_OK)
		return (rc);
	auth_free(&a);
	return (QS_OK);
}
