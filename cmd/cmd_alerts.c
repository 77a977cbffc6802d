/*
 * The alerts subcommand (configure, enable, disable, show, test) and the
 * alert hook of the batch jobs, with the SMTP sending through libcurl.
 * The settings and log files, the message builder and the store-state
 * checks are in index/alerts.c; this file decides what to say and prints.
 */

#include <sys/random.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "crypto/keystore.h"
#include "crypto/secmem.h"
#include "format/qs_err.h"
#include "cmd/alerts/alerts.h"
#include "index/store/store.h"

#define AUTH_FILE_MAX	1024
#define AUTH_FIELD_MAX	255
#define RESEND_MAX	20	/* older unsent alerts per message */
#define LOCK_WAIT_MS	60000
#define CONNECT_TIMEOUT	10L
#define TOTAL_TIMEOUT	30L

/* snprintf whose truncation is intended (bounded one-line fields). */
static void
bfmt(char *buf, size_t len, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void
bfmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

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

	bfmt(tmp, sizeof(tmp), "<%s>", addr);
	if ((n = curl_slist_append(l, tmp)) == NULL) {
		*oom = 1;
		return (l);
	}
	return (n);
}

/*
 * Send the message ${msg} through the relay of ${c}: envelope from
 * c->from, recipients To + Cc + Bcc.  Return QS_OK if the relay accepted
 * it, else an error with a one-line detail (never a credential).
 */
static int
alert_send(const struct alerts_conf *c, const char *msg, size_t len)
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

	memset(&a, 0, sizeof(a));
	if (c->auth_file[0] != '\0') {
		if (!c->starttls && !alerts_relay_is_loopback(c->relay))
			return (qs_error_set(QS_EINVAL, "refusing to send the "
			    "password in clear text: use --starttls"));
		if ((rc = auth_read(c->auth_file, &a)) != QS_OK)
			return (rc);
		have_auth = 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		rc = qs_error_set(QS_ENOMEM, "libcurl failed to initialise");
		goto err0;
	}
	if ((h = curl_easy_init()) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "libcurl failed to initialise");
		goto err1;
	}
	bfmt(url, sizeof(url), "smtp://%s:%u", c->relay,
	    (unsigned int)c->port);
	bfmt(from, sizeof(from), "<%s>", c->from);
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

/* ---- Composing. ---- */

static void
host_name(char *buf, size_t len)
{

	if (gethostname(buf, len) != 0 || buf[0] == '\0')
		bfmt(buf, len, "unknown-host");
	buf[len - 1] = '\0';
	/* The host name goes into a header: keep it one printable word. */
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			*p = '-';
}

/* The store as shown in messages: its absolute path if it resolves. */
static void
store_name(const char *root, char *buf, size_t len)
{
	char real[PATH_MAX];

	if (realpath(root, real) != NULL)
		bfmt(buf, len, "%s", real);
	else
		bfmt(buf, len, "%s", root);
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
}

static void
msg_token(char *buf, size_t len, int64_t now)
{
	uint8_t r[8];
	ssize_t got = getrandom(r, sizeof(r), GRND_NONBLOCK);

	if (got != (ssize_t)sizeof(r)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (uint8_t)((uint64_t)ts.tv_nsec >> (8 * (i % 4)));
	}
	bfmt(buf, len, "qsarc.%lld.%ld.%02x%02x%02x%02x%02x%02x%02x%02x",
	    (long long)now, (long)getpid(), r[0], r[1], r[2], r[3], r[4],
	    r[5], r[6], r[7]);
}

static void
fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		bfmt(buf, len, "%lld", (long long)t);
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* Bounded text accumulation for subjects and bodies. */
struct text {
	char *p;
	size_t len, cap;
};

static void
text_add(struct text *t, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len + 1 >= t->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	t->len += (size_t)n;
	if (t->len >= t->cap)
		t->len = t->cap - 1;
}

/*
 * Build and send one message (${subject}, ${body} followed by up to
 * RESEND_MAX of the ${npend} older unsent alerts ${pend}).  On success
 * set ${sent_pend} to how many older alerts went with it.
 */
static int
compose_and_send(const struct alerts_conf *c, const char *subject,
    const char *body, const struct alerts_entry *pend, size_t npend,
    size_t *sent_pend)
{
	char host[256], token[96], when[64];
	char *full = NULL, *msg = NULL;
	size_t k = npend < RESEND_MAX ? npend : RESEND_MAX, cap, mlen;
	struct text t;
	int rc;

	host_name(host, sizeof(host));
	cap = strlen(body) + 256 + k * (ALERTS_BODY_MAX / 2 +
	    ALERTS_SUBJECT_MAX + 128);
	if ((full = malloc(cap)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	t.p = full;
	t.len = 0;
	t.cap = cap;
	full[0] = '\0';
	text_add(&t, "%s", body);
	if (k > 0) {
		text_add(&t, "\n===== %zu earlier alert%s that could not be "
		    "sent at the time%s =====\n", k, k == 1 ? "" : "s",
		    npend > k ? " (the oldest first; more follow in the "
		    "next message)" : "");
		for (size_t i = 0; i < k; i++) {
			fmt_time(pend[i].time, when, sizeof(when));
			text_add(&t, "\n--- %s: %s\n%s\n", when,
			    pend[i].subject, pend[i].body != NULL ?
			    pend[i].body : "");
		}
	}
	msg_token(token, sizeof(token), cmd_now());
	if ((rc = alerts_message_build(c, host, subject, full, cmd_now(),
	    token, &msg, &mlen)) != QS_OK)
		goto done;
	if ((rc = alert_send(c, msg, mlen)) != QS_OK)
		goto done;
	*sent_pend = k;
done:
	free(msg);
	free(full);
	return (rc);
}

/* ---- The hook. ---- */

#define EV_MAX	8

struct event {
	const char *kind;	/* log name */
	char title[160];	/* for the subject */
	char text[1024];	/* what happened */
	const char *todo;	/* what to do next */
};

static struct {
	int kind;
	char detail[512];
} queued[EV_MAX];
static size_t nqueued;

/**
 * cmd_alert_event(kind, detail):
 * Queue the event ${kind} with ${detail} for the next cmd_alert_after.
 */
void
cmd_alert_event(int kind, const char *detail)
{

	for (size_t i = 0; i < nqueued; i++)
		if (queued[i].kind == kind)
			return;
	if (nqueued == EV_MAX)
		return;
	queued[nqueued].kind = kind;
	bfmt(queued[nqueued].detail, sizeof(queued[nqueued].detail),
	    "%s", detail != NULL ? detail : "");
	nqueued++;
}

static int
is_batch(const char *sub)
{
	static const char *const jobs[] = { "put", "get", "clean", "rekey",
	    "replicate", "verify", "expire", NULL };

	for (size_t i = 0; jobs[i] != NULL; i++)
		if (strcmp(sub, jobs[i]) == 0)
			return (1);
	return (0);
}

static const char *
exit_meaning(int code)
{

	switch (code) {
	case EXIT_ERROR:	return ("error");
	case EXIT_USAGE:	return ("bad command line");
	case EXIT_NOTFOUND:	return ("no such store or stream");
	case EXIT_BUSY:		return ("store locked by another command");
	case EXIT_PASSPHRASE:	return ("wrong or missing passphrase");
	case EXIT_DAMAGE:	return ("damage found");
	case EXIT_STOPPED:	return ("stopped early");
	case EXIT_NOTHING:	return ("nothing to do");
	default:		return ("failure");
	}
}

static struct event *
ev_add(struct event *ev, size_t *n, const char *kind)
{

	for (size_t i = 0; i < *n; i++)
		if (strcmp(ev[i].kind, kind) == 0)
			return (NULL);	/* one per kind per run */
	if (*n == EV_MAX)
		return (NULL);
	memset(&ev[*n], 0, sizeof(ev[*n]));
	ev[*n].kind = kind;
	return (&ev[(*n)++]);
}

/* Collect this run's events into ${ev}; return how many. */
static size_t
gather(const char *sub, const char *root, const char *store, int exit_code,
    const char *detail, struct store *s, const struct alerts_conf *c,
    struct event *ev)
{
	struct alerts_store_state st;
	struct event *e;
	uint64_t avail;
	double pct;
	size_t n = 0;
	char a[32];

	/* Damage found is its own event, even for a failed batch job. */
	if (exit_code == EXIT_DAMAGE && (e = ev_add(ev, &n, "corruption"))) {
		bfmt(e->title, sizeof(e->title), "%s found damage", sub);
		bfmt(e->text, sizeof(e->text), "'qsarc %s' stopped with "
		    "exit code 6 (damage found): %s", sub, detail[0] ?
		    detail : "(no detail)");
		e->todo = "Run 'qsarc verify STORE' to list what is damaged. "
		    "Do not run 'qsarc clean' until the damage is understood; "
		    "restore damaged files from a replica or backup if you "
		    "have one.";
	} else if (is_batch(sub) && exit_code != EXIT_OK &&
	    exit_code != EXIT_STOPPED && exit_code != EXIT_NOTHING &&
	    (e = ev_add(ev, &n, "command-failed"))) {
		bfmt(e->title, sizeof(e->title), "%s failed (exit %d: %s)",
		    sub, exit_code, exit_meaning(exit_code));
		bfmt(e->text, sizeof(e->text), "'qsarc %s' failed with "
		    "exit code %d (%s): %s", sub, exit_code,
		    exit_meaning(exit_code), detail[0] ? detail :
		    "(no detail)");
		e->todo = "Run the same command by hand to see its full "
		    "output, fix the cause named above, and check that the "
		    "next scheduled run succeeds.";
	}
	for (size_t i = 0; i < nqueued; i++) {
		if (queued[i].kind == CMD_ALERT_CORRUPTION &&
		    (e = ev_add(ev, &n, "corruption"))) {
			bfmt(e->title, sizeof(e->title), "%s found damage",
			    sub);
			bfmt(e->text, sizeof(e->text), "%s",
			    queued[i].detail);
			e->todo = "Run 'qsarc verify STORE' to list what is "
			    "damaged; restore damaged files from a replica or "
			    "backup if you have one.";
		} else if (queued[i].kind == CMD_ALERT_ENCRYPTION_WAITING &&
		    (e = ev_add(ev, &n, "encryption-waiting"))) {
			bfmt(e->title, sizeof(e->title), "clean could "
			    "not encrypt old data: space is short");
			bfmt(e->text, sizeof(e->text), "'qsarc %s' "
			    "stopped before encrypting the data written "
			    "before encryption was enabled, because the file "
			    "system has too little free space%s%s", sub,
			    queued[i].detail[0] ? ": " : ".",
			    queued[i].detail);
			e->todo = "Free space (expire old streams with 'qsarc "
			    "expire', then 'qsarc clean STORE') or grow the "
			    "file system; until then that data stays "
			    "unencrypted.";
		}
	}
	if (s != NULL && alerts_store_state(s, cmd_now(), &st) == QS_OK &&
	    st.encrypted) {
		if (st.backup != ALERTS_BACKUP_OK &&
		    (e = ev_add(ev, &n, "keystore-backup"))) {
			const char *what = st.backup ==
			    ALERTS_BACKUP_MISSING ? "missing" : st.backup ==
			    ALERTS_BACKUP_UNREADABLE ? "unreadable" :
			    "older than the primary";

			bfmt(e->title, sizeof(e->title), "keystore backup "
			    "copy %s", what);
			if (st.backup == ALERTS_BACKUP_OLDER)
				bfmt(e->text, sizeof(e->text), "The backup "
				    "keystore copy %s has generation %llu, the "
				    "primary %llu: keys added since are not "
				    "backed up.", st.backup_path,
				    (unsigned long long)st.backup_generation,
				    (unsigned long long)st.primary_generation);
			else
				bfmt(e->text, sizeof(e->text), "The backup "
				    "keystore copy %s is %s.", st.backup_path,
				    what);
			e->todo = "Run 'qsarc keystore STORE check', then "
			    "'qsarc keystore STORE restore --from primary' to "
			    "rewrite the backup copy.  Without a good backup "
			    "copy, losing the primary keystore loses every "
			    "stream.";
		}
		if (st.keys_known && st.key_count >= ALERTS_KEYS_WARN &&
		    (e = ev_add(ev, &n, "keys-limit"))) {
			if (st.key_count >= KEYSTORE_MAX_KEYS)
				bfmt(e->title, sizeof(e->title), "content "
				    "key limit reached (%d keys)",
				    KEYSTORE_MAX_KEYS);
			else
				bfmt(e->title, sizeof(e->title), "%zu of "
				    "%d content keys used", st.key_count,
				    KEYSTORE_MAX_KEYS);
			bfmt(e->text, sizeof(e->text), "The store has %zu "
			    "content keys; at %d no new key can be made and "
			    "rotation stops.", st.key_count,
			    KEYSTORE_MAX_KEYS);
			e->todo = "Run 'qsarc clean STORE' to retire keys that "
			    "protect nothing, or 'qsarc rekey STORE --mode "
			    "internal' to re-encrypt everything under one new "
			    "key.";
		}
		if (st.keys_known && st.rotation_overdue &&
		    (e = ev_add(ev, &n, "rotation-overdue"))) {
			char when[64];

			fmt_time(st.last_rotation, when, sizeof(when));
			bfmt(e->title, sizeof(e->title), "key rotation "
			    "overdue");
			bfmt(e->text, sizeof(e->text), "The last key "
			    "rotation was at %s, more than twice the rotation "
			    "period (%llu days) ago: the rotation cron job "
			    "('qsarc rekey STORE') has stopped running.", when,
			    (unsigned long long)(st.rotation_secs / 86400));
			e->todo = "Check the crontab and the logs of the "
			    "'qsarc rekey STORE' job, then run it by hand.";
		}
	}
	qs_error_clear();
	if (alerts_fs_usage(root, &pct, &avail) == QS_OK &&
	    pct >= (double)c->disk_pct && (e = ev_add(ev, &n, "disk-full"))) {
		bfmt(e->title, sizeof(e->title), "file system %.0f%% "
		    "full", pct);
		bfmt(e->text, sizeof(e->text), "The file system holding "
		    "%s is %.1f%% used (threshold %d%%); %s available.", store,
		    pct, c->disk_pct, cmd_format_bytes(avail, a, sizeof(a)));
		e->todo = "Free space: expire old streams ('qsarc expire'), "
		    "then run 'qsarc clean STORE'; or grow the file system. "
		    "put and clean fail when it is full.";
	}
	qs_error_clear();
	return (n);
}

/*
 * Deliver ${subject}/${body} (NULL: only older unsent alerts) for the
 * store at ${root}, with the older unsent alerts; keep what could not be
 * sent in the log.  ${sub} names the command for the warning.  With
 * ${log_failure} 0 (alerts test) a failed new message is not logged.
 * Return QS_OK if sent (or nothing to send), else the error.
 */
static int
deliver(const char *sub, const char *root, const struct alerts_conf *c,
    const char *event, const char *subject, const char *body,
    int log_failure, size_t *npend_sent)
{
	struct alerts_entry *pend = NULL, *all = NULL;
	char psubj[ALERTS_SUBJECT_MAX + 1];
	char pbody[256];
	size_t npend = 0, bad = 0, sent = 0;
	int lockfd = -1, rc, lrc;

	*npend_sent = 0;
	if ((rc = alerts_lock(root, LOCK_WAIT_MS, &lockfd)) != QS_OK) {
		if (log_failure)
			fprintf(stderr, "qsarc: %s: alert not sent and not "
			    "kept: %s\n", sub, qs_error_message());
		return (rc);
	}
	if ((lrc = alerts_log_read(root, &pend, &npend, &bad)) != QS_OK) {
		/* A damaged log must not stop the new alert. */
		fprintf(stderr, "qsarc: %s: %s; starting a new alert log\n",
		    sub, qs_error_message());
		pend = NULL;
		npend = 0;
	}
	if (subject == NULL && npend == 0) {
		rc = QS_OK;
		goto done;
	}
	if (subject == NULL) {
		char host[256], store[512];

		host_name(host, sizeof(host));
		store_name(root, store, sizeof(store));
		bfmt(psubj, sizeof(psubj), "[qsarc] %s %s: %zu unsent "
		    "alert%s from earlier", host, store, npend, npend == 1 ?
		    "" : "s");
		bfmt(pbody, sizeof(pbody), "The relay was unreachable "
		    "when these alerts were raised; here they are now.\n");
		subject = psubj;
		body = pbody;
	}
	rc = compose_and_send(c, subject, body, pend, npend, &sent);
	if (rc == QS_OK) {
		*npend_sent = sent;
		if (sent > 0 || bad > 0) {
			lrc = alerts_log_write(root, pend + sent, npend - sent);
			if (lrc != QS_OK)
				fprintf(stderr, "qsarc: %s: alert sent, but the "
				    "alert log could not be updated (older "
				    "alerts may be sent again): %s\n", sub,
				    qs_error_message());
		}
		goto done;
	}
	if (log_failure && subject != psubj) {
		struct alerts_entry e;
		struct qs_error saved;

		qs_error_save(&saved);
		if ((all = calloc(npend + 1, sizeof(*all))) == NULL) {
			qs_error_restore(&saved);
			goto done;
		}
		if (npend > 0)
			memcpy(all, pend, npend * sizeof(*all));
		memset(&e, 0, sizeof(e));
		e.time = cmd_now();
		bfmt(e.event, sizeof(e.event), "%s", event);
		bfmt(e.subject, sizeof(e.subject), "%s", subject);
		e.body = (char *)(uintptr_t)body;
		all[npend] = e;
		lrc = alerts_log_write(root, all, npend + 1);
		free(all);
		if (lrc != QS_OK) {
			fprintf(stderr, "qsarc: %s: alert not sent: %s; and "
			    "it could not be kept in %s/alerts.log: %s\n", sub,
			    saved.msg, root, qs_error_message());
			qs_error_restore(&saved);
			rc = QS_EIO;
			goto done_quiet;
		}
		qs_error_restore(&saved);
	}
done:
	alerts_unlock(lockfd);
	alerts_entries_free(pend, npend);
	if (rc != QS_OK && log_failure)
		fprintf(stderr, "qsarc: %s: alert not sent: %s; kept in "
		    "%s/alerts.log\n", sub, qs_error_message(), root);
	return (rc);

done_quiet:
	alerts_unlock(lockfd);
	alerts_entries_free(pend, npend);
	return (rc);
}

/**
 * cmd_alert_after(sub, root, exit_code, detail, s):
 * At the end of the subcommand ${sub}: raise this run's alerts for the
 * store at ${root}.  Never changes the exit code.
 */
void
cmd_alert_after(const char *sub, const char *root, int exit_code,
    const char *detail, struct store *s)
{
	struct alerts_conf c;
	struct event ev[EV_MAX];
	struct qs_error saved;
	char det[QS_ERROR_MSG_MAX], host[256], store[512], when[64];
	char subject[ALERTS_SUBJECT_MAX + 1];
	char *body = NULL;
	size_t n, pending_sent;
	struct text t;
	int rc;

	if (root == NULL || sub == NULL)
		goto out;
	bfmt(det, sizeof(det), "%s", detail != NULL ? detail : "");
	qs_error_save(&saved);
	rc = alerts_conf_load(root, &c);
	if (rc == QS_ENOENT) {
		qs_error_restore(&saved);
		goto out;
	}
	if (rc != QS_OK) {
		fprintf(stderr, "qsarc: %s: alert not sent: %s\n", sub,
		    qs_error_message());
		qs_error_restore(&saved);
		goto out;
	}
	if (!c.enabled) {
		qs_error_restore(&saved);
		goto out;
	}
	host_name(host, sizeof(host));
	store_name(root, store, sizeof(store));
	n = gather(sub, root, store, exit_code, det, s, &c, ev);
	if (n == 0) {
		/* Nothing new: still try to deliver older unsent alerts. */
		(void)deliver(sub, root, &c, "", NULL, NULL, 1, &pending_sent);
		qs_error_restore(&saved);
		goto out;
	}
	if (n == 1)
		bfmt(subject, sizeof(subject), "[qsarc] %s %s: %s", host,
		    store, ev[0].title);
	else
		bfmt(subject, sizeof(subject), "[qsarc] %s %s: %s "
		    "(+%zu more)", host, store, ev[0].title, n - 1);
	if ((body = malloc(ALERTS_BODY_MAX / 2)) == NULL) {
		fprintf(stderr, "qsarc: %s: alert not sent: out of memory\n",
		    sub);
		qs_error_restore(&saved);
		goto out;
	}
	t.p = body;
	t.len = 0;
	t.cap = ALERTS_BODY_MAX / 2;
	body[0] = '\0';
	fmt_time(cmd_now(), when, sizeof(when));
	text_add(&t, "qsarc on %s raised %s for the store %s.\n\n"
	    "Command: qsarc %s %s\nStore:   %s\nHost:    %s\nTime:    %s\n"
	    "Exit:    %d%s%s%s\n", host, n == 1 ? "an alert" : "alerts",
	    store, sub, store, store, host, when, exit_code,
	    exit_code != 0 ? " (" : "", exit_code != 0 ?
	    exit_meaning(exit_code) : "", exit_code != 0 ? ")" : "");
	for (size_t i = 0; i < n; i++) {
		text_add(&t, "\n* %s\n  What happened: %s\n  What to do:    ",
		    ev[i].title, ev[i].text);
		/* The advice says STORE: name the store itself. */
		for (const char *p = ev[i].todo; *p != '\0'; p++) {
			if (strncmp(p, "STORE", 5) == 0) {
				text_add(&t, "%s", store);
				p += 4;
			} else
				text_add(&t, "%c", *p);
		}
		text_add(&t, "\n");
	}
	text_add(&t, "\n-- \nSent by qsarc; 'qsarc alerts %s show' lists "
	    "the settings and any unsent alerts.\n", store);
	(void)deliver(sub, root, &c, ev[0].kind, subject, body, 1,
	    &pending_sent);
	qs_error_restore(&saved);
out:
	free(body);
	nqueued = 0;
}

/* ---- The subcommand. ---- */

enum {
	OPT_RELAY = OPT_FIRST_LOCAL,
	OPT_SENDER_NAME,
	OPT_FROM,
	OPT_TO,
	OPT_CC,
	OPT_BCC,
	OPT_STARTTLS,
	OPT_NO_STARTTLS,
	OPT_AUTH_FILE,
	OPT_NO_AUTH_FILE,
	OPT_DISK_THRESHOLD
};

static int
fail_msg(const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static int
fail_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "qsarc: alerts: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return (EXIT_ERROR);
}

static void
print_list(const char *label, const char (*l)[ALERTS_ADDR_MAX + 1],
    size_t n)
{

	printf("%-15s", label);
	if (n == 0)
		printf("(none)");
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", l[i]);
	printf("\n");
}

static void
json_list(const char *key, const char (*l)[ALERTS_ADDR_MAX + 1], size_t n)
{

	printf(", \"%s\": [", key);
	for (size_t i = 0; i < n; i++) {
		printf("%s", i ? ", " : "");
		cmd_json_string(stdout, l[i]);
	}
	printf("]");
}

static int
alerts_show(const char *root, const struct alerts_conf *c, int json)
{
	struct alerts_entry *pend = NULL;
	size_t npend = 0, bad = 0;
	const char *missing = alerts_conf_missing(c);
	char when[64], a[32];
	uint64_t avail = 0;
	double pct = -1;
	int rc;

	if ((rc = alerts_log_read(root, &pend, &npend, &bad)) != QS_OK) {
		fprintf(stderr, "qsarc: alerts: %s\n", qs_error_message());
		npend = 0;
		pend = NULL;
	}
	if (alerts_fs_usage(root, &pct, &avail) != QS_OK)
		pct = -1;
	if (json) {
		printf("{\"enabled\": %s, \"relay\": ", c->enabled ? "true" :
		    "false");
		cmd_json_string(stdout, c->relay);
		printf(", \"port\": %u, \"starttls\": %s, \"sender_name\": ",
		    (unsigned int)c->port, c->starttls ? "true" : "false");
		cmd_json_string(stdout, c->sender_name);
		printf(", \"from\": ");
		cmd_json_string(stdout, c->from);
		json_list("to", c->to, c->nto);
		json_list("cc", c->cc, c->ncc);
		json_list("bcc", c->bcc, c->nbcc);
		printf(", \"auth_file\": ");
		cmd_json_string(stdout, c->auth_file);
		printf(", \"disk_threshold\": %d, \"missing\": ", c->disk_pct);
		if (missing != NULL)
			cmd_json_string(stdout, missing);
		else
			printf("null");
		printf(", \"unsent\": [");
		for (size_t i = 0; i < npend; i++) {
			printf("%s{\"time\": %lld, \"event\": ", i ? ", " : "",
			    (long long)pend[i].time);
			cmd_json_string(stdout, pend[i].event);
			printf(", \"subject\": ");
			cmd_json_string(stdout, pend[i].subject);
			printf("}");
		}
		printf("]}\n");
	} else {
		printf("%-15s%s\n", "alerts:", c->enabled ? "enabled" :
		    "disabled");
		if (missing != NULL)
			printf("%-15s%s\n", "incomplete:", missing);
		printf("%-15s%s%s%s:%u%s\n", "relay:", c->relay[0] ? "" :
		    "(none)", c->relay, c->relay[0] ? "" : " port",
		    (unsigned int)c->port, c->starttls ? " (STARTTLS "
		    "required)" : " (no TLS)");
		printf("%-15s\"%s\" <%s>\n", "from:", c->sender_name[0] ?
		    c->sender_name : "qsarc", c->from[0] ? c->from :
		    "(none)");
		print_list("to:", c->to, c->nto);
		print_list("cc:", c->cc, c->ncc);
		print_list("bcc:", c->bcc, c->nbcc);
		if (c->auth_file[0] != '\0')
			printf("%-15suser name and password read from %s\n",
			    "auth:", c->auth_file);
		else
			printf("%-15snone\n", "auth:");
		if (pct >= 0)
			printf("%-15salert at %d%% used (now %.1f%% used, %s "
			    "free)\n", "disk:", c->disk_pct, pct,
			    cmd_format_bytes(avail, a, sizeof(a)));
		else
			printf("%-15salert at %d%% used\n", "disk:",
			    c->disk_pct);
		printf("%-15s%zu\n", "unsent alerts:", npend);
		for (size_t i = 0; i < npend; i++) {
			fmt_time(pend[i].time, when, sizeof(when));
			printf("  %s  %s\n", when, pend[i].subject);
		}
		if (bad > 0)
			printf("  (%zu damaged line%s in the alert log "
			    "skipped)\n", bad, bad == 1 ? "" : "s");
	}
	alerts_entries_free(pend, npend);
	return (EXIT_OK);
}

static int
alerts_test(const char *root, const struct alerts_conf *c)
{
	char host[256], store[512], when[64];
	char subject[ALERTS_SUBJECT_MAX + 1], body[1024];
	size_t npend_sent = 0, nrcpt = c->nto + c->ncc + c->nbcc;
	const char *missing = alerts_conf_missing(c);
	int rc;

	if (missing != NULL)
		return (fail_msg("test: alerts are not configured yet: %s",
		    missing));
	host_name(host, sizeof(host));
	store_name(root, store, sizeof(store));
	fmt_time(cmd_now(), when, sizeof(when));
	bfmt(subject, sizeof(subject), "[qsarc] %s %s: test message",
	    host, store);
	bfmt(body, sizeof(body), "This is a test message from qsarc on "
	    "%s, sent by 'qsarc alerts %s test' at %s.\n\n"
	    "Command: qsarc alerts %s test\nStore:   %s\n\n"
	    "Nothing happened to the store.  Alerts are %s.\n", host, store,
	    when, store, store, c->enabled ? "enabled" : "disabled (run "
	    "'qsarc alerts STORE enable' to turn them on)");
	rc = deliver("alerts", root, c, "test", subject, body, 0,
	    &npend_sent);
	if (rc != QS_OK)
		return (fail_msg("test: not sent: %s", qs_error_message()));
	printf("sent: the relay %s:%u accepted the test message for %zu "
	    "recipient%s", c->relay, (unsigned int)c->port, nrcpt,
	    nrcpt == 1 ? "" : "s");
	if (npend_sent > 0)
		printf(" (with %zu earlier unsent alert%s)", npend_sent,
		    npend_sent == 1 ? "" : "s");
	printf("\n");
	return (EXIT_OK);
}

/* Resolve and check --auth-file at configure time. */
static int
check_auth_file(const char *arg, char *out, size_t outlen)
{
	char real[PATH_MAX];
	struct auth a;
	int rc;

	if (realpath(arg, real) == NULL)
		return (fail_msg("configure: --auth-file %s: %s", arg,
		    strerror(errno)));
	if (strlen(real) >= outlen)
		return (fail_msg("configure: --auth-file: path too long"));
	if ((rc = auth_read(real, &a)) != QS_OK)
		return (fail_msg("configure: %s", qs_error_message()));
	auth_free(&a);
	bfmt(out, outlen, "%s", real);
	return (EXIT_OK);
}

/**
 * cmd_alerts(argc, argv):
 * qsarc alerts STORE configure|enable|disable|show|test [options]
 */
int
cmd_alerts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "relay", required_argument, NULL, OPT_RELAY },
		{ "sender-name", required_argument, NULL, OPT_SENDER_NAME },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "cc", required_argument, NULL, OPT_CC },
		{ "bcc", required_argument, NULL, OPT_BCC },
		{ "starttls", no_argument, NULL, OPT_STARTTLS },
		{ "no-starttls", no_argument, NULL, OPT_NO_STARTTLS },
		{ "auth-file", required_argument, NULL, OPT_AUTH_FILE },
		{ "no-auth-file", no_argument, NULL, OPT_NO_AUTH_FILE },
		{ "disk-threshold", required_argument, NULL,
		    OPT_DISK_THRESHOLD },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct alerts_conf c, nc;
	const char *relay = NULL, *name = NULL, *from = NULL, *to = NULL;
	const char *cc = NULL, *bcc = NULL, *auth = NULL, *disk = NULL;
	const char *root, *action, *missing;
	int starttls = -1, noauth = 0, json = 0, nopts = 0;
	int opt, rc, enc, lockfd = -1, status;
	long v;
	char *end;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		nopts++;
		switch (opt) {
		case OPT_HELP:
			return (cmd_help("alerts"));
		case OPT_RELAY: relay = optarg; break;
		case OPT_SENDER_NAME: name = optarg; break;
		case OPT_FROM: from = optarg; break;
		case OPT_TO: to = optarg; break;
		case OPT_CC: cc = optarg; break;
		case OPT_BCC: bcc = optarg; break;
		case OPT_STARTTLS: starttls = 1; break;
		case OPT_NO_STARTTLS: starttls = 0; break;
		case OPT_AUTH_FILE: auth = optarg; break;
		case OPT_NO_AUTH_FILE: noauth = 1; break;
		case OPT_DISK_THRESHOLD: disk = optarg; break;
		case OPT_JSON: json = 1; nopts--; break;
		default:
			return (cmd_usage("alerts", "unknown option"));
		}
	}
	if (argc - optind != 2)
		return (cmd_usage("alerts", "expected STORE and one of "
		    "configure, enable, disable, show, test"));
	root = argv[optind];
	action = argv[optind + 1];
	if (strcmp(action, "configure") != 0 && nopts > 0)
		return (cmd_usage("alerts", "settings are given only with "
		    "'configure'"));
	if (json && strcmp(action, "show") != 0)
		return (cmd_usage("alerts", "--json goes with 'show'"));
	if (strcmp(action, "configure") != 0 && strcmp(action, "enable") != 0 &&
	    strcmp(action, "disable") != 0 && strcmp(action, "show") != 0 &&
	    strcmp(action, "test") != 0)
		return (cmd_usage("alerts", "unknown action \"%s\" (configure, "
		    "enable, disable, show, test)", action));
	if (auth != NULL && noauth)
		return (cmd_usage("alerts", "--auth-file and --no-auth-file "
		    "exclude each other"));
	/* It must be a store (no passphrase needed: only its config). */
	if ((rc = store_peek_encrypted(root, &enc)) != QS_OK)
		return (cmd_fail("alerts", rc));

	if ((rc = alerts_lock(root, LOCK_WAIT_MS, &lockfd)) != QS_OK)
		return (cmd_fail("alerts", rc));
	rc = alerts_conf_load(root, &c);
	if (rc == QS_ENOENT) {
		qs_error_clear();
		alerts_conf_init(&c);
		if (strcmp(action, "configure") != 0) {
			alerts_unlock(lockfd);
			if (strcmp(action, "enable") == 0)
				return (fail_msg("enable: refused: alerts are "
				    "not configured; first run 'qsarc alerts "
				    "%s configure --relay HOST[:PORT] --from "
				    "ADDR --to ADDR[,ADDR...]'", root));
			if (strcmp(action, "disable") == 0) {
				printf("alerts: disabled (never configured)\n");
				return (EXIT_OK);
			}
			if (strcmp(action, "show") == 0)
				return (alerts_show(root, &c, json));
			return (fail_msg("test: alerts are not configured; "
			    "run 'qsarc alerts %s configure ...' first",
			    root));
		}
	} else if (rc != QS_OK) {
		alerts_unlock(lockfd);
		if (strcmp(action, "configure") == 0)
			fprintf(stderr, "qsarc: alerts: (remove %s/alerts.conf "
			    "to start over)\n", root);
		return (cmd_fail("alerts", rc));
	}

	status = EXIT_OK;
	if (strcmp(action, "configure") == 0) {
		if (nopts == 0) {
			alerts_unlock(lockfd);
			return (cmd_usage("alerts", "configure needs at least "
			    "one setting"));
		}
		nc = c;
		if (relay != NULL && alerts_relay_parse(relay, nc.relay,
		    sizeof(nc.relay), &nc.port) != QS_OK)
			goto usage_detail;
		if (name != NULL) {
			if (name[0] != '\0' && !alerts_name_valid(name)) {
				alerts_unlock(lockfd);
				return (cmd_usage("alerts", "--sender-name must "
				    "be 1 to %d bytes of printable text, "
				    "without CR, LF or other control "
				    "characters", ALERTS_NAME_MAX));
			}
			bfmt(nc.sender_name, sizeof(nc.sender_name), "%s",
			    name);
		}
		if (from != NULL) {
			if (!alerts_addr_valid(from)) {
				alerts_unlock(lockfd);
				if (strpbrk(from, "\r\n") != NULL)
					return (cmd_usage("alerts", "--from: an "
					    "address holds a control character "
					    "(CR, LF, ...)"));
				return (cmd_usage("alerts", "--from \"%s\" is "
				    "not a plain address like "
				    "name@example.com", from));
			}
			bfmt(nc.from, sizeof(nc.from), "%s", from);
		}
		if (to != NULL && alerts_addr_list_parse(to, nc.to,
		    ALERTS_MAX_RCPT, &nc.nto) != QS_OK)
			goto usage_detail;
		if (cc != NULL && alerts_addr_list_parse(cc, nc.cc,
		    ALERTS_MAX_RCPT, &nc.ncc) != QS_OK)
			goto usage_detail;
		if (bcc != NULL && alerts_addr_list_parse(bcc, nc.bcc,
		    ALERTS_MAX_RCPT, &nc.nbcc) != QS_OK)
			goto usage_detail;
		if (starttls >= 0)
			nc.starttls = starttls;
		if (noauth)
			nc.auth_file[0] = '\0';
		if (auth != NULL && check_auth_file(auth, nc.auth_file,
		    sizeof(nc.auth_file)) != EXIT_OK) {
			alerts_unlock(lockfd);
			return (EXIT_ERROR);
		}
		if (disk != NULL) {
			v = strtol(disk, &end, 10);
			if (*end == '%')
				end++;
			if (end == disk || *end != '\0' || v < 1 || v > 100) {
				alerts_unlock(lockfd);
				return (cmd_usage("alerts", "--disk-threshold "
				    "is a percentage from 1 to 100, not "
				    "\"%s\"", disk));
			}
			nc.disk_pct = (int)v;
		}
		if (nc.auth_file[0] != '\0' && !nc.starttls &&
		    !alerts_relay_is_loopback(nc.relay)) {
			alerts_unlock(lockfd);
			return (fail_msg("configure: refused: with --auth-file "
			    "the password would cross the network in clear "
			    "text; add --starttls (only a relay on loopback "
			    "may authenticate without it)"));
		}
		if (nc.enabled && (missing = alerts_conf_missing(&nc)) !=
		    NULL) {
			alerts_unlock(lockfd);
			return (fail_msg("configure: refused: alerts are "
			    "enabled and this would leave %s; disable them "
			    "first", missing));
		}
		if ((rc = alerts_conf_save(root, &nc)) != QS_OK) {
			alerts_unlock(lockfd);
			return (cmd_fail("alerts", rc));
		}
		missing = alerts_conf_missing(&nc);
		printf("alerts: configured%s%s%s\n", missing != NULL ?
		    " (not complete yet: " : "", missing != NULL ? missing :
		    "", missing != NULL ? ")" : nc.enabled ? " (enabled)" :
		    " (disabled; 'qsarc alerts STORE enable' turns them on)");
	} else if (strcmp(action, "enable") == 0) {
		if ((missing = alerts_conf_missing(&c)) != NULL) {
			alerts_unlock(lockfd);
			return (fail_msg("enable: refused: %s", missing));
		}
		c.enabled = 1;
		if ((rc = alerts_conf_save(root, &c)) != QS_OK) {
			alerts_unlock(lockfd);
			return (cmd_fail("alerts", rc));
		}
		printf("alerts: enabled\n");
	} else if (strcmp(action, "disable") == 0) {
		c.enabled = 0;
		if ((rc = alerts_conf_save(root, &c)) != QS_OK) {
			alerts_unlock(lockfd);
			return (cmd_fail("alerts", rc));
		}
		printf("alerts: disabled\n");
	} else if (strcmp(action, "show") == 0) {
		alerts_unlock(lockfd);
		return (alerts_show(root, &c, json));
	} else {
		/* test takes the lock itself (deliver). */
		alerts_unlock(lockfd);
		return (alerts_test(root, &c));
	}
	alerts_unlock(lockfd);
	return (status);

usage_detail:
	alerts_unlock(lockfd);
	return (cmd_usage("alerts", "%s", qs_error_message()));
}
