/*
 * Raising alerts (see alerts_raise.h and README.md): the events of one
 * run, the message that tells them, and its delivery or its place in the
 * log of unsent alerts.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keystore.h"
#include "format/qs_err.h"
#include "cmd/alerts/alerts_conf.h"
#include "cmd/alerts/alerts_log.h"
#include "cmd/alerts/alerts_message.h"
#include "cmd/alerts/alerts_raise.h"
#include "cmd/alerts/alerts_send.h"
#include "cmd/alerts/alerts_state.h"
#include "cmd/alerts/alerts_text.h"

#define RESEND_MAX	20	/* older unsent alerts per message */
#define EV_MAX		8

/* One event of this run, as the message tells it. */
struct event {
	const char *kind;	/* log name */
	char title[160];	/* for the subject */
	char text[1024];	/* what happened */
	const char *todo;	/* what to do next */
};

struct events {
	struct event ev[EV_MAX];
	size_t n;
};

/* The events commands queued with alerts_raise_event. */
static struct {
	int kind;
	char detail[512];
} queued[EV_MAX];
static size_t nqueued;

/**
 * alerts_raise_event(kind, detail):
 * Queue the event ${kind} with ${detail} for the next alerts_raise_after.
 */
void
alerts_raise_event(int kind, const char *detail)
{

	for (size_t i = 0; i < nqueued; i++)
		if (queued[i].kind == kind)
			return;
	if (nqueued == EV_MAX)
		return;
	queued[nqueued].kind = kind;
	alerts_text_copyf(queued[nqueued].detail,
	    sizeof(queued[nqueued].detail), "%s", detail != NULL ? detail : "");
	nqueued++;
}

/* ---- Events. ---- */

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
	case ALERTS_RAISE_EXIT_ERROR:
		return ("error");
	case ALERTS_RAISE_EXIT_USAGE:
		return ("bad command line");
	case ALERTS_RAISE_EXIT_NOTFOUND:
		return ("no such store or stream");
	case ALERTS_RAISE_EXIT_BUSY:
		return ("store locked by another command");
	case ALERTS_RAISE_EXIT_PASSPHRASE:
		return ("wrong or missing passphrase");
	case ALERTS_RAISE_EXIT_DAMAGE:
		return ("damage found");
	case ALERTS_RAISE_EXIT_STOPPED:
		return ("stopped early");
	case ALERTS_RAISE_EXIT_NOTHING:
		return ("nothing to do");
	case ALERTS_RAISE_EXIT_PARTIAL:
		return ("some tar members refused");
	case ALERTS_RAISE_EXIT_NOSPACE:
		return ("too little free space");
	default:
		return ("failure");
	}
}

/* A new event of ${kind}, or NULL if this run has one already (or 8). */
static struct event *
ev_add(struct events *evs, const char *kind)
{
	struct event *e;

	for (size_t i = 0; i < evs->n; i++)
		if (strcmp(evs->ev[i].kind, kind) == 0)
			return (NULL);	/* one per kind per run */
	if (evs->n == EV_MAX)
		return (NULL);
	e = &evs->ev[evs->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	return (e);
}

/* The command's own outcome: damage found, or a failed batch job. */
static void
gather_exit(struct events *evs, const char *sub, int exit_code,
    const char *detail)
{
	struct event *e;

	/* Damage found is its own event, even for a failed batch job. */
	if (exit_code == ALERTS_RAISE_EXIT_DAMAGE &&
	    (e = ev_add(evs, "corruption"))) {
		alerts_text_copyf(e->title, sizeof(e->title), "%s found damage",
		    sub);
		alerts_text_copyf(e->text, sizeof(e->text), "'qsarc %s' "
		    "stopped with exit code 6 (damage found): %s", sub,
		    detail[0] ? detail : "(no detail)");
		e->todo = "Run 'qsarc verify STORE' to list what is damaged. "
		    "Do not run 'qsarc clean' until the damage is understood; "
		    "restore damaged files from a replica or backup if you "
		    "have one.";
	} else if (is_batch(sub) && exit_code != ALERTS_RAISE_EXIT_OK &&
	    exit_code != ALERTS_RAISE_EXIT_STOPPED &&
	    exit_code != ALERTS_RAISE_EXIT_NOTHING &&
	    /* clean queues its own event for it (encryption-waiting) */
	    exit_code != ALERTS_RAISE_EXIT_NOSPACE &&
	    (e = ev_add(evs, "command-failed"))) {
		alerts_text_copyf(e->title, sizeof(e->title), "%s failed "
		    "(exit %d: %s)", sub, exit_code, exit_meaning(exit_code));
		alerts_text_copyf(e->text, sizeof(e->text), "'qsarc %s' failed "
		    "with exit code %d (%s): %s", sub, exit_code,
		    exit_meaning(exit_code), detail[0] ? detail :
		    "(no detail)");
		e->todo = "Run the same command by hand to see its full "
		    "output, fix the cause named above, and check that the "
		    "next scheduled run succeeds.";
	}
}

/* The events the command queued while it worked. */
static void
gather_queued(struct events *evs, const char *sub)
{
	struct event *e;

	for (size_t i = 0; i < nqueued; i++) {
		if (queued[i].kind == ALERTS_RAISE_CORRUPTION &&
		    (e = ev_add(evs, "corruption"))) {
			alerts_text_copyf(e->title, sizeof(e->title),
			    "%s found damage", sub);
			alerts_text_copyf(e->text, sizeof(e->text), "%s",
			    queued[i].detail);
			e->todo = "Run 'qsarc verify STORE' to list what is "
			    "damaged; restore damaged files from a replica or "
			    "backup if you have one.";
		} else if (queued[i].kind == ALERTS_RAISE_ENCRYPTION_WAITING &&
		    (e = ev_add(evs, "encryption-waiting"))) {
			alerts_text_copyf(e->title, sizeof(e->title), "clean "
			    "could not encrypt old data: space is short");
			alerts_text_copyf(e->text, sizeof(e->text),
			    "'qsarc %s' stopped before encrypting the data "
			    "written before encryption was enabled, because "
			    "the file system has too little free space%s%s",
			    sub, queued[i].detail[0] ? ": " : ".",
			    queued[i].detail);
			e->todo = "Free space (expire old streams with 'qsarc "
			    "expire', then 'qsarc clean STORE') or grow the "
			    "file system; until then that data stays "
			    "unencrypted.";
		}
	}
}

/* The keystore's state: backup copy, key count, overdue rotation. */
static void
gather_store(struct events *evs, struct store *s, int64_t now)
{
	struct alerts_state st;
	struct event *e;
	const char *what;
	char when[64];

	if (s == NULL || alerts_state_store(s, now, &st) != QS_OK ||
	    !st.encrypted)
		return;
	if (st.backup != ALERTS_STATE_BACKUP_OK &&
	    (e = ev_add(evs, "keystore-backup"))) {
		what = st.backup == ALERTS_STATE_BACKUP_MISSING ? "missing" :
		    st.backup == ALERTS_STATE_BACKUP_UNREADABLE ?
		    "unreadable" : "older than the primary";
		alerts_text_copyf(e->title, sizeof(e->title), "keystore backup "
		    "copy %s", what);
		if (st.backup == ALERTS_STATE_BACKUP_OLDER)
			alerts_text_copyf(e->text, sizeof(e->text), "The "
			    "backup keystore copy %s has generation %llu, the "
			    "primary %llu: keys added since are not backed "
			    "up.", st.backup_path,
			    (unsigned long long)st.backup_generation,
			    (unsigned long long)st.primary_generation);
		else
			alerts_text_copyf(e->text, sizeof(e->text), "The "
			    "backup keystore copy %s is %s.", st.backup_path,
			    what);
		e->todo = "Run 'qsarc keystore STORE check', then "
		    "'qsarc keystore STORE restore --from primary' to "
		    "rewrite the backup copy.  Without a good backup "
		    "copy, losing the primary keystore loses every "
		    "stream.";
	}
	if (st.keys_known && st.key_count >= ALERTS_KEYS_WARN &&
	    (e = ev_add(evs, "keys-limit"))) {
		if (st.key_count >= KEYSTORE_MAX_KEYS)
			alerts_text_copyf(e->title, sizeof(e->title), "content "
			    "key limit reached (%d keys)", KEYSTORE_MAX_KEYS);
		else
			alerts_text_copyf(e->title, sizeof(e->title), "%zu of "
			    "%d content keys used", st.key_count,
			    KEYSTORE_MAX_KEYS);
		alerts_text_copyf(e->text, sizeof(e->text), "The store has %zu "
		    "content keys; at %d no new key can be made and "
		    "rotation stops.", st.key_count, KEYSTORE_MAX_KEYS);
		e->todo = "Run 'qsarc clean STORE' to retire keys that "
		    "protect nothing, or 'qsarc rekey STORE --mode "
		    "internal' to re-encrypt everything under one new "
		    "key.";
	}
	if (st.keys_known && st.rotation_overdue &&
	    (e = ev_add(evs, "rotation-overdue"))) {
		alerts_message_time(st.last_rotation, when, sizeof(when));
		alerts_text_copyf(e->title, sizeof(e->title), "key rotation "
		    "overdue");
		alerts_text_copyf(e->text, sizeof(e->text), "The last key "
		    "rotation was at %s, more than twice the rotation "
		    "period (%llu days) ago: the rotation cron job "
		    "('qsarc rekey STORE') has stopped running.", when,
		    (unsigned long long)(st.rotation_secs / 86400));
		e->todo = "Check the crontab and the logs of the "
		    "'qsarc rekey STORE' job, then run it by hand.";
	}
}

/* The file system holding the store, against the threshold of ${c}. */
static void
gather_disk(struct events *evs, const struct alerts_raise_env *env,
    const char *root, const char *store, const struct alerts_conf *c)
{
	struct event *e;
	uint64_t avail;
	double pct;
	char a[32];

	if (alerts_state_fs_usage(root, &pct, &avail) == QS_OK &&
	    pct >= (double)c->disk_pct && (e = ev_add(evs, "disk-full"))) {
		alerts_text_copyf(e->title, sizeof(e->title), "file system "
		    "%.0f%% full", pct);
		alerts_text_copyf(e->text, sizeof(e->text), "The file system "
		    "holding %s is %.1f%% used (threshold %d%%); %s "
		    "available.", store, pct, c->disk_pct,
		    env->format_bytes(avail, a, sizeof(a)));
		e->todo = "Free space: expire old streams ('qsarc expire'), "
		    "then run 'qsarc clean STORE'; or grow the file system. "
		    "put and clean fail when it is full.";
	}
}

/* ---- The message. ---- */

/* The body telling the events ${evs} of the command ${sub}. */
static void
event_body(struct alerts_text *t, const struct alerts_raise_env *env,
    const char *sub, const char *host, const char *store, int exit_code,
    const struct events *evs)
{
	char when[64];

	alerts_message_time(env->now, when, sizeof(when));
	alerts_text_fmt(t, "qsarc on %s raised %s for the store %s.\n\n"
	    "Command: qsarc %s %s\nStore:   %s\nHost:    %s\nTime:    %s\n"
	    "Exit:    %d%s%s%s\n", host, evs->n == 1 ? "an alert" : "alerts",
	    store, sub, store, store, host, when, exit_code,
	    exit_code != 0 ? " (" : "", exit_code != 0 ?
	    exit_meaning(exit_code) : "", exit_code != 0 ? ")" : "");
	for (size_t i = 0; i < evs->n; i++) {
		alerts_text_fmt(t, "\n* %s\n  What happened: %s\n"
		    "  What to do:    ", evs->ev[i].title, evs->ev[i].text);
		/* The advice says STORE: name the store itself. */
		for (const char *p = evs->ev[i].todo; *p != '\0'; p++) {
			if (strncmp(p, "STORE", 5) == 0) {
				alerts_text_str(t, store);
				p += 4;
			} else
				alerts_text_add(t, p, 1);
		}
		alerts_text_str(t, "\n");
	}
	alerts_text_fmt(t, "\n-- \nSent by qsarc; 'qsarc alerts %s show' lists "
	    "the settings and any unsent alerts.\n", store);
}

/*
 * Build and send one message (${subject}, ${body} followed by up to
 * RESEND_MAX of the ${npend} older unsent alerts ${pend}).  On success
 * set ${sent_pend} to how many older alerts went with it.
 */
static int
compose_and_send(const struct alerts_raise_env *env,
    const struct alerts_conf *c, const char *subject, const char *body,
    const struct alerts_log_entry *pend, size_t npend, size_t *sent_pend)
{
	char host[256], token[96], when[64];
	char *msg = NULL;
	size_t k = npend < RESEND_MAX ? npend : RESEND_MAX, mlen;
	struct alerts_text t;
	int rc;

	/* The body, then the older alerts that go with it. */
	alerts_message_host(host, sizeof(host));
	alerts_text_init(&t, strlen(body) + 256 + k * (ALERTS_BODY_MAX / 2 +
	    ALERTS_SUBJECT_MAX + 128));
	alerts_text_str(&t, body);
	if (k > 0) {
		alerts_text_fmt(&t, "\n===== %zu earlier alert%s that could "
		    "not be sent at the time%s =====\n", k, k == 1 ? "" : "s",
		    npend > k ? " (the oldest first; more follow in the "
		    "next message)" : "");
		for (size_t i = 0; i < k; i++) {
			alerts_message_time(pend[i].time, when, sizeof(when));
			alerts_text_fmt(&t, "\n--- %s: %s\n%s\n", when,
			    pend[i].subject, pend[i].body != NULL ?
			    pend[i].body : "");
		}
	}
	if (t.oom) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}

	/* The message, and the relay. */
	alerts_message_token(env->now, token, sizeof(token));
	if ((rc = alerts_message_build(c, host, subject, t.p, env->now,
	    token, &msg, &mlen)) != QS_OK)
		goto done;
	if ((rc = alerts_send_message(c, msg, mlen)) != QS_OK)
		goto done;
	*sent_pend = k;
done:
	free(msg);
	alerts_text_free(&t);
	return (rc);
}

/*
 * Write the log as the ${npend} older alerts ${pend} and the unsent alert
 * ${subject}/${body}.  Return what alerts_log_write returns, or 1 if there
 * was no memory to try.
 */
static int
log_unsent(const struct alerts_raise_env *env,
    const struct alerts_conf_paths *p, const struct alerts_log_entry *pend,
    size_t npend, const char *event, const char *subject, const char *body)
{
	struct alerts_log_entry *all;
	int rc;

	if ((all = calloc(npend + 1, sizeof(*all))) == NULL)
		return (1);
	if (npend > 0)
		memcpy(all, pend, npend * sizeof(*all));
	all[npend].time = env->now;
	alerts_text_copyf(all[npend].event, sizeof(all[npend].event), "%s",
	    event);
	alerts_text_copyf(all[npend].subject, sizeof(all[npend].subject),
	    "%s", subject);
	all[npend].body = (char *)(uintptr_t)body;
	rc = alerts_log_write(p, all, npend + 1);
	free(all);
	return (rc);
}

/*
 * The alerts lock could not be had (qs_error_message says why): keep the
 * alert ${subject}/${body} as a queued file, and say where; if even that
 * fails, name the alert in the warning so that it is at least logged.
 */
static void
queue_unsent(const struct alerts_raise_env *env, const char *sub,
    const struct alerts_conf_paths *p, const char *event,
    const char *subject, const char *body)
{
	struct alerts_log_entry e;
	char why[QS_ERROR_MSG_MAX], path[ALERTS_CONF_PATH_MAX + 64];

	snprintf(why, sizeof(why), "%s", qs_error_message());
	memset(&e, 0, sizeof(e));
	e.time = env->now;
	alerts_text_copyf(e.event, sizeof(e.event), "%s", event);
	alerts_text_copyf(e.subject, sizeof(e.subject), "%s", subject);
	e.body = (char *)(uintptr_t)body;
	if (alerts_log_queue(p, &e, path, sizeof(path)) == QS_OK)
		fprintf(env->err, "qsarc: %s: alert not sent: %s; kept in %s "
		    "(the next alert sent takes it along)\n", sub, why, path);
	else
		fprintf(env->err, "qsarc: %s: alert not sent: %s; and it could "
		    "not be kept: %s; the alert was: %s\n", sub, why,
		    qs_error_message(), subject);
	qs_error_set(QS_EBUSY, "%s", why);
}

/*
 * Deliver ${subject}/${body} (NULL: only older unsent alerts) for the
 * store at ${root} (alert files ${p}), with the older unsent alerts;
 * keep what could not be sent in the log (or, without the lock, queued).
 * ${sub} names the command for the warning.  With ${log_failure} 0
 * (alerts test) a failed new message is not logged.
 * Return QS_OK if sent (or nothing to send), else the error.
 */
static int
deliver(const struct alerts_raise_env *env, const char *sub,
    const char *root, const struct alerts_conf_paths *p,
    const struct alerts_conf *c, const char *event,
    const char *subject, const char *body, int log_failure,
    size_t *npend_sent)
{
	struct alerts_log_entry *pend = NULL;
	struct qs_error saved;
	char psubj[ALERTS_SUBJECT_MAX + 1];
	char pbody[256];
	size_t npend = 0, bad = 0, sent = 0;
	int lockfd = -1, rc, lrc;

	/* Under the alerts lock, the older unsent alerts. */
	*npend_sent = 0;
	if ((rc = alerts_log_lock(p, env->lock_timeout_ms, &lockfd)) !=
	    QS_OK) {
		if (log_failure && subject != NULL)
			queue_unsent(env, sub, p, event, subject, body);
		return (rc);
	}
	if ((lrc = alerts_log_absorb(p)) != QS_OK)
		fprintf(env->err, "qsarc: %s: queued alerts left where they "
		    "are: %s\n", sub, qs_error_message());
	if ((lrc = alerts_log_read(p, 0, &pend, &npend, &bad)) != QS_OK) {
		/* A damaged log must not stop the new alert. */
		fprintf(env->err, "qsarc: %s: %s; starting a new alert log\n",
		    sub, qs_error_message());
		pend = NULL;
		npend = 0;
	}

	/* No new alert: the older ones, if any, under their own subject. */
	if (subject == NULL && npend == 0) {
		rc = QS_OK;
		goto done;
	}
	if (subject == NULL) {
		char host[256], store[512];

		alerts_message_host(host, sizeof(host));
		alerts_message_store(root, store, sizeof(store));
		alerts_text_copyf(psubj, sizeof(psubj), "[qsarc] %s %s: %zu "
		    "unsent alert%s from earlier", host, store, npend,
		    npend == 1 ? "" : "s");
		alerts_text_copyf(pbody, sizeof(pbody), "The relay was "
		    "unreachable when these alerts were raised; here they are "
		    "now.\n");
		subject = psubj;
		body = pbody;
	}

	/* Sent: drop from the log what went with it. */
	rc = compose_and_send(env, c, subject, body, pend, npend, &sent);
	if (rc == QS_OK) {
		*npend_sent = sent;
		if (sent > 0 || bad > 0) {
			lrc = alerts_log_write(p, pend + sent, npend - sent);
			if (lrc != QS_OK)
				fprintf(env->err, "qsarc: %s: alert sent, but "
				    "the alert log could not be updated (older "
				    "alerts may be sent again): %s\n", sub,
				    qs_error_message());
		}
		goto done;
	}

	/* Not sent: keep a new alert in the log, and say so. */
	if (log_failure && subject != psubj) {
		qs_error_save(&saved);
		lrc = log_unsent(env, p, pend, npend, event, subject, body);
		if (lrc == 1) {
			qs_error_restore(&saved);
			goto done;
		}
		if (lrc != QS_OK) {
			fprintf(env->err, "qsarc: %s: alert not sent: %s; and "
			    "it could not be kept in %s: %s (the alert was: "
			    "%s)\n", sub, saved.msg, p->log, qs_error_message(),
			    subject);
			qs_error_restore(&saved);
			rc = QS_EIO;
			goto done_quiet;
		}
		qs_error_restore(&saved);
	}
done:
	alerts_log_unlock(lockfd);
	alerts_log_entries_free(pend, npend);
	if (rc != QS_OK && log_failure)
		fprintf(env->err, "qsarc: %s: alert not sent: %s; kept in "
		    "%s\n", sub, qs_error_message(), p->log);
	return (rc);

done_quiet:
	alerts_log_unlock(lockfd);
	alerts_log_entries_free(pend, npend);
	return (rc);
}

/* ---- The entry points. ---- */

/**
 * alerts_raise_after(env, sub, root, exit_code, detail, s):
 * At the end of the subcommand ${sub}: raise this run's alerts for the
 * store at ${root}.  Never changes the exit code.
 */
void
alerts_raise_after(const struct alerts_raise_env *env, const char *sub,
    const char *root, int exit_code, const char *detail, struct store *s)
{
	struct alerts_conf_paths p;
	struct alerts_conf c;
	struct events evs;
	struct qs_error saved;
	struct alerts_text body;
	char det[QS_ERROR_MSG_MAX], host[256], store[512];
	char subject[ALERTS_SUBJECT_MAX + 1];
	size_t pending_sent;
	int rc;

	/* Only a store with alerts configured and enabled. */
	alerts_text_init(&body, ALERTS_BODY_MAX / 2);
	if (root == NULL || sub == NULL)
		goto out;
	alerts_text_copyf(det, sizeof(det), "%s", detail != NULL ? detail :
	    "");
	qs_error_save(&saved);
	if ((rc = alerts_conf_paths(root, &p)) != QS_OK)
		goto restore;	/* not a store: the command said so */
	if (alerts_conf_has_legacy(&p))
		fprintf(env->err, "qsarc: %s: %s is ignored: alert settings "
		    "are no longer read from the store; run 'qsarc alerts %s "
		    "migrate' to move them to %s\n", sub, p.legacy, root,
		    p.conf);
	rc = alerts_conf_load(&p, &c);
	if (rc == QS_ENOENT)
		goto restore;
	if (rc != QS_OK) {
		fprintf(env->err, "qsarc: %s: alert not sent: %s\n", sub,
		    qs_error_message());
		goto restore;
	}
	if (!c.enabled)
		goto restore;

	/* This run's events. */
	alerts_message_host(host, sizeof(host));
	alerts_message_store(root, store, sizeof(store));
	evs.n = 0;
	gather_exit(&evs, sub, exit_code, det);
	gather_queued(&evs, sub);
	gather_store(&evs, s, env->now);
	qs_error_clear();
	gather_disk(&evs, env, root, store, &c);
	qs_error_clear();
	if (evs.n == 0) {
		/* Nothing new: still try to deliver older unsent alerts. */
		(void)deliver(env, sub, root, &p, &c, "", NULL, NULL, 1,
		    &pending_sent);
		goto restore;
	}

	/* One message telling them all, delivered or logged. */
	if (evs.n == 1)
		alerts_text_copyf(subject, sizeof(subject), "[qsarc] %s %s: %s",
		    host, store, evs.ev[0].title);
	else
		alerts_text_copyf(subject, sizeof(subject), "[qsarc] %s %s: %s "
		    "(+%zu more)", host, store, evs.ev[0].title, evs.n - 1);
	event_body(&body, env, sub, host, store, exit_code, &evs);
	if (body.oom) {
		fprintf(env->err, "qsarc: %s: alert not sent: out of memory\n",
		    sub);
		goto restore;
	}
	(void)deliver(env, sub, root, &p, &c, evs.ev[0].kind, subject, body.p, 1,
	    &pending_sent);
restore:
	qs_error_restore(&saved);
out:
	alerts_text_free(&body);
	nqueued = 0;
}

/**
 * alerts_raise_test(env, root, p, c, npend_sent):
 * Send a test message for the store at ${root} with the settings ${c}.
 */
int
alerts_raise_test(const struct alerts_raise_env *env, const char *root,
    const struct alerts_conf_paths *p, const struct alerts_conf *c,
    size_t *npend_sent)
{
	char host[256], store[512], when[64];
	char subject[ALERTS_SUBJECT_MAX + 1], body[1024];

	alerts_message_host(host, sizeof(host));
	alerts_message_store(root, store, sizeof(store));
	alerts_message_time(env->now, when, sizeof(when));
	alerts_text_copyf(subject, sizeof(subject), "[qsarc] %s %s: test "
	    "message", host, store);
	alerts_text_copyf(body, sizeof(body), "This is a test message from "
	    "qsarc on %s, sent by 'qsarc alerts %s test' at %s.\n\n"
	    "Command: qsarc alerts %s test\nStore:   %s\n\n"
	    "Nothing happened to the store.  Alerts are %s.\n", host, store,
	    when, store, store, c->enabled ? "enabled" : "disabled (run "
	    "'qsarc alerts STORE enable' to turn them on)");
	return (deliver(env, "alerts", root, p, c, "test", subject, body, 0,
	    npend_sent));
}
