/*
 * The alerts subcommand: qsarc alerts STORE configure|enable|disable|show|
 * test|migrate.  Each action parses, makes one call into the alert engine
 * (cmd/alerts/) and prints; the engine decides nothing about output.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "cmd/alerts/alerts_addr.h"
#include "cmd/alerts/alerts_conf.h"
#include "cmd/alerts/alerts_log.h"
#include "cmd/alerts/alerts_message.h"
#include "cmd/alerts/alerts_raise.h"
#include "cmd/alerts/alerts_send.h"
#include "cmd/alerts/alerts_state.h"
#include "index/store/store.h"

#define LOCK_WAIT_MS	60000

/* The engine reads the exit codes it is given as these values. */
_Static_assert((int)ALERTS_RAISE_EXIT_OK == (int)EXIT_OK &&
    (int)ALERTS_RAISE_EXIT_ERROR == (int)EXIT_ERROR &&
    (int)ALERTS_RAISE_EXIT_USAGE == (int)EXIT_USAGE &&
    (int)ALERTS_RAISE_EXIT_NOTFOUND == (int)EXIT_NOTFOUND &&
    (int)ALERTS_RAISE_EXIT_BUSY == (int)EXIT_BUSY &&
    (int)ALERTS_RAISE_EXIT_PASSPHRASE == (int)EXIT_PASSPHRASE &&
    (int)ALERTS_RAISE_EXIT_DAMAGE == (int)EXIT_DAMAGE &&
    (int)ALERTS_RAISE_EXIT_STOPPED == (int)EXIT_STOPPED &&
    (int)ALERTS_RAISE_EXIT_NOTHING == (int)EXIT_NOTHING &&
    (int)ALERTS_RAISE_EXIT_PARTIAL == (int)EXIT_PARTIAL &&
    (int)ALERTS_RAISE_EXIT_NOSPACE == (int)EXIT_NOSPACE,
    "alerts_raise.h and cmd.h disagree on the exit codes");

/**
 * cmd_alerts_env():
 * The program's environment for the alert engine, as of now.
 */
const struct alerts_raise_env *
cmd_alerts_env(void)
{
	static struct alerts_raise_env env;

	env.now = cmd_clock_now();
	env.err = stderr;
	env.format_bytes = cmd_output_bytes;
	env.lock_timeout_ms = cmd_options_lock_timeout() * 1000;
	return (&env);
}

/* ---- The command line. ---- */

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

/* What 'qsarc alerts' was asked; the settings only go with configure. */
struct args {
	const char *root, *action;
	const char *relay, *name, *from, *to, *cc, *bcc, *auth, *disk;
	int starttls;		/* -1: not given */
	int noauth, json;
	int nopts;		/* settings given (--json is not one) */
	struct alerts_conf_paths p;	/* where the alert files are */
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
	char msg[2048];
	va_list ap;

	/* Details may quote alerts.conf or the relay: escaped. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "qsarc: alerts: ");
	cmd_output_text_str(stderr, msg);
	fprintf(stderr, "\n");
	return (EXIT_ERROR);
}

/* ---- show. ---- */

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
		cmd_output_json_string(stdout, l[i]);
	}
	printf("]");
}

static void
show_json(const struct args *a, const struct alerts_conf *c,
    const struct alerts_log_entry *pend, size_t npend)
{
	const char *missing = alerts_conf_missing(c);

	/* The paths are the file system's: lossless (KEY_hex) if not UTF-8. */
	printf("{");
	cmd_output_json_name(stdout, "settings_file", a->p.conf,
	    strlen(a->p.conf));
	printf(", ");
	cmd_output_json_name(stdout, "log_file", a->p.log, strlen(a->p.log));
	printf(", \"enabled\": %s, \"relay\": ", c->enabled ? "true" :
	    "false");
	cmd_output_json_string(stdout, c->relay);
	printf(", \"port\": %u, \"starttls\": %s, \"sender_name\": ",
	    (unsigned int)c->port, c->starttls ? "true" : "false");
	cmd_output_json_string(stdout, c->sender_name);
	printf(", \"from\": ");
	cmd_output_json_string(stdout, c->from);
	json_list("to", c->to, c->nto);
	json_list("cc", c->cc, c->ncc);
	json_list("bcc", c->bcc, c->nbcc);
	printf(", ");
	cmd_output_json_name(stdout, "auth_file", c->auth_file,
	    strlen(c->auth_file));
	printf(", \"disk_threshold\": %d, \"missing\": ", c->disk_pct);
	if (missing != NULL)
		cmd_output_json_string(stdout, missing);
	else
		printf("null");
	printf(", \"unsent\": [");
	for (size_t i = 0; i < npend; i++) {
		printf("%s{", i ? ", " : "");
		cmd_output_json_time(stdout, "time", pend[i].time);
		printf(", \"event\": ");
		cmd_output_json_string(stdout, pend[i].event);
		printf(", \"subject\": ");
		cmd_output_json_string(stdout, pend[i].subject);
		printf("}");
	}
	printf("]}\n");
}

static void
show_text(const struct args *args, const struct alerts_conf *c,
    const struct alerts_log_entry *pend, size_t npend, size_t bad)
{
	const char *missing = alerts_conf_missing(c);
	const char *root = args->root;
	char when[64], a[32];
	uint64_t avail = 0;
	double pct = -1;

	/* The settings. */
	printf("%-15s%s\n", "alerts:", c->enabled ? "enabled" : "disabled");
	printf("%-15s", "settings:");
	cmd_output_text_str(stdout, args->p.conf);
	printf("\n");
	if (missing != NULL)
		printf("%-15s%s\n", "incomplete:", missing);
	printf("%-15s%s%s%s:%u%s\n", "relay:", c->relay[0] ? "" : "(none)",
	    c->relay, c->relay[0] ? "" : " port", (unsigned int)c->port,
	    c->starttls ? " (STARTTLS required)" : " (no TLS)");
	printf("%-15s\"%s\" <%s>\n", "from:", c->sender_name[0] ?
	    c->sender_name : "qsarc", c->from[0] ? c->from : "(none)");
	print_list("to:", c->to, c->nto);
	print_list("cc:", c->cc, c->ncc);
	print_list("bcc:", c->bcc, c->nbcc);
	if (c->auth_file[0] != '\0')
		printf("%-15suser name and password read from %s\n", "auth:",
		    c->auth_file);
	else
		printf("%-15snone\n", "auth:");

	/* The disk check, as of now. */
	if (alerts_state_fs_usage(root, &pct, &avail) != QS_OK)
		pct = -1;
	if (pct >= 0)
		printf("%-15salert at %d%% used (now %.1f%% used, %s free)\n",
		    "disk:", c->disk_pct, pct, cmd_output_bytes(avail, a,
		    sizeof(a)));
	else
		printf("%-15salert at %d%% used\n", "disk:", c->disk_pct);

	/* The unsent alerts. */
	printf("%-15s%zu\n", "unsent alerts:", npend);
	for (size_t i = 0; i < npend; i++) {
		alerts_message_time(pend[i].time, when, sizeof(when));
		/* The log is a store file: its text is escaped. */
		printf("  %s  ", when);
		cmd_output_text_str(stdout, pend[i].subject);
		putchar('\n');
	}
	if (bad > 0)
		printf("  (%zu damaged line%s in the alert log skipped)\n", bad,
		    bad == 1 ? "" : "s");
}

static int
act_show(const struct args *a, struct alerts_conf *c, int configured)
{
	struct alerts_log_entry *pend = NULL;
	size_t npend = 0, bad = 0;

	(void)configured;	/* the defaults show what is missing */
	if (alerts_log_read(&a->p, 1, &pend, &npend, &bad) != QS_OK) {
		fprintf(stderr, "qsarc: alerts: ");
		cmd_output_text_str(stderr, qs_error_message());
		fputc('\n', stderr);
		npend = 0;
		pend = NULL;
	}
	if (a->json)
		show_json(a, c, pend, npend);
	else
		show_text(a, c, pend, npend, bad);
	alerts_log_entries_free(pend, npend);
	return (EXIT_OK);
}

/* ---- test. ---- */

static int
act_test(const struct args *a, struct alerts_conf *c, int configured)
{
	size_t npend_sent = 0, nrcpt = c->nto + c->ncc + c->nbcc;
	const char *missing = alerts_conf_missing(c);

	if (!configured)
		return (fail_msg("test: alerts are not configured; run 'qsarc "
		    "alerts %s configure ...' first", a->root));
	if (missing != NULL)
		return (fail_msg("test: alerts are not configured yet: %s",
		    missing));
	if (alerts_raise_test(cmd_alerts_env(), a->root, &a->p, c,
	    &npend_sent) !=
	    QS_OK)
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

/* ---- enable, disable. ---- */

static int
act_enable(const struct args *a, struct alerts_conf *c, int configured)
{
	const char *missing;
	int rc;

	if (!configured)
		return (fail_msg("enable: refused: alerts are not configured; "
		    "first run 'qsarc alerts %s configure --relay "
		    "HOST[:PORT] --from ADDR --to ADDR[,ADDR...]'", a->root));
	if ((missing = alerts_conf_missing(c)) != NULL)
		return (fail_msg("enable: refused: %s", missing));
	c->enabled = 1;
	if ((rc = alerts_conf_save(&a->p, c)) != QS_OK)
		return (cmd_output_fail("alerts", rc));
	printf("alerts: enabled\n");
	return (EXIT_OK);
}

static int
act_disable(const struct args *a, struct alerts_conf *c, int configured)
{
	int rc;

	if (!configured) {
		printf("alerts: disabled (never configured)\n");
		return (EXIT_OK);
	}
	c->enabled = 0;
	if ((rc = alerts_conf_save(&a->p, c)) != QS_OK)
		return (cmd_output_fail("alerts", rc));
	printf("alerts: disabled\n");
	return (EXIT_OK);
}

/* ---- configure. ---- */

/* Resolve and check --auth-file at configure time. */
static int
check_auth_file(const char *arg, char *out, size_t outlen)
{
	char real[PATH_MAX];

	if (realpath(arg, real) == NULL)
		return (fail_msg("configure: --auth-file %s: %s", arg,
		    strerror(errno)));
	if (strlen(real) >= outlen)
		return (fail_msg("configure: --auth-file: path too long"));
	if (alerts_send_auth_check(real) != QS_OK)
		return (fail_msg("configure: %s", qs_error_message()));
	memcpy(out, real, strlen(real) + 1);	/* fits: checked above */
	return (EXIT_OK);
}

/* The sender: --sender-name and --from. */
static int
configure_sender(const struct args *a, struct alerts_conf *nc)
{

	if (a->name != NULL) {
		if (a->name[0] != '\0' && !alerts_addr_name_valid(a->name))
			return (cmd_output_usage("alerts", "--sender-name must be 1 "
			    "to %d bytes of printable text, without CR, LF or "
			    "other control characters", ALERTS_NAME_MAX));
		snprintf(nc->sender_name, sizeof(nc->sender_name), "%s",
		    a->name);
	}
	if (a->from != NULL) {
		if (!alerts_addr_valid(a->from)) {
			if (strpbrk(a->from, "\r\n") != NULL)
				return (cmd_output_usage("alerts", "--from: an "
				    "address holds a control character (CR, "
				    "LF, ...)"));
			return (cmd_output_usage("alerts", "--from \"%s\" is not a "
			    "plain address like name@example.com", a->from));
		}
		snprintf(nc->from, sizeof(nc->from), "%s", a->from);
	}
	return (EXIT_OK);
}

/* Apply the settings of ${a} to ${nc}; EXIT_OK or a printed error. */
static int
configure_apply(const struct args *a, struct alerts_conf *nc)
{
	long v;
	char *end;
	int status;

	if (a->relay != NULL && alerts_addr_relay_parse(a->relay, nc->relay,
	    sizeof(nc->relay), &nc->port) != QS_OK)
		goto usage_detail;
	if ((status = configure_sender(a, nc)) != EXIT_OK)
		return (status);
	if (a->to != NULL && alerts_addr_list_parse(a->to, nc->to,
	    ALERTS_MAX_RCPT, &nc->nto) != QS_OK)
		goto usage_detail;
	if (a->cc != NULL && alerts_addr_list_parse(a->cc, nc->cc,
	    ALERTS_MAX_RCPT, &nc->ncc) != QS_OK)
		goto usage_detail;
	if (a->bcc != NULL && alerts_addr_list_parse(a->bcc, nc->bcc,
	    ALERTS_MAX_RCPT, &nc->nbcc) != QS_OK)
		goto usage_detail;
	if (a->starttls >= 0)
		nc->starttls = a->starttls;
	if (a->noauth)
		nc->auth_file[0] = '\0';
	if (a->auth != NULL && check_auth_file(a->auth, nc->auth_file,
	    sizeof(nc->auth_file)) != EXIT_OK)
		return (EXIT_ERROR);
	if (a->disk != NULL) {
		v = strtol(a->disk, &end, 10);
		if (*end == '%')
			end++;
		if (end == a->disk || *end != '\0' || v < 1 || v > 100)
			return (cmd_output_usage("alerts", "--disk-threshold is a "
			    "percentage from 1 to 100, not \"%s\"", a->disk));
		nc->disk_pct = (int)v;
	}
	return (EXIT_OK);

usage_detail:
	return (cmd_output_usage("alerts", "%s", qs_error_message()));
}

static int
act_configure(const struct args *a, struct alerts_conf *c, int configured)
{
	struct alerts_conf nc;
	const char *missing;
	int rc, status;

	/* The new settings, checked as a whole. */
	(void)configured;	/* configure starts from the defaults */
	if (a->nopts == 0)
		return (cmd_output_usage("alerts", "configure needs at least one "
		    "setting"));
	nc = *c;
	if ((status = configure_apply(a, &nc)) != EXIT_OK)
		return (status);
	if (nc.auth_file[0] != '\0' && !nc.starttls &&
	    !alerts_addr_relay_is_loopback(nc.relay))
		return (fail_msg("configure: refused: with --auth-file the "
		    "password would cross the network in clear text; add "
		    "--starttls (only a relay on loopback may authenticate "
		    "without it)"));
	if (nc.enabled && (missing = alerts_conf_missing(&nc)) != NULL)
		return (fail_msg("configure: refused: alerts are enabled and "
		    "this would leave %s; disable them first", missing));

	/* Saved: say what is still missing. */
	if ((rc = alerts_conf_save(&a->p, &nc)) != QS_OK)
		return (cmd_output_fail("alerts", rc));
	missing = alerts_conf_missing(&nc);
	printf("alerts: configured%s%s%s\n", missing != NULL ?
	    " (not complete yet: " : "", missing != NULL ? missing : "",
	    missing != NULL ? ")" : nc.enabled ? " (enabled)" :
	    " (disabled; 'qsarc alerts STORE enable' turns them on)");
	return (EXIT_OK);
}

/* ---- migrate. ---- */

/*
 * Move the settings of an old STORE/alerts.conf to the operator's file.
 * The old file is the store's, so anyone who could write the store may
 * have written it: the auth file it names is not carried over (the store
 * must not choose which file's contents are sent) and alerts come out
 * disabled, to be reviewed with 'show' and turned on with 'enable'.
 */
static int
act_migrate(const struct args *a, struct alerts_conf *c, int configured)
{
	struct alerts_conf old;
	int rc;

	(void)c;
	if (configured)
		return (fail_msg("migrate: refused: %s already holds the alert "
		    "settings; remove %s by hand if it is stale", a->p.conf,
		    a->p.legacy));
	if ((rc = alerts_conf_load_legacy(&a->p, &old)) != QS_OK) {
		if (rc == QS_ENOENT)
			return (fail_msg("migrate: %s: nothing to migrate",
			    a->p.legacy));
		return (cmd_output_fail("alerts", rc));
	}
	if (old.auth_file[0] != '\0')
		fprintf(stderr, "qsarc: alerts: migrate: the auth file %s named "
		    "by the store is not carried over; add it with 'qsarc "
		    "alerts %s configure --auth-file F'\n", old.auth_file,
		    a->root);
	old.auth_file[0] = '\0';
	old.enabled = 0;
	if ((rc = alerts_conf_save(&a->p, &old)) != QS_OK)
		return (cmd_output_fail("alerts", rc));
	if ((rc = fileio_unlink(a->p.legacy)) != QS_OK)
		return (cmd_output_fail("alerts", rc));
	printf("alerts: settings moved from %s to %s (disabled: check them "
	    "with 'qsarc alerts %s show', then 'enable')\n", a->p.legacy,
	    a->p.conf, a->root);
	return (EXIT_OK);
}

/* ---- The subcommand. ---- */

/*
 * The actions, with the settings they start from (the operator's settings
 * file, or the defaults if ${configured} is 0).  Those that change it run
 * under the alerts lock; test takes it itself (to send), show needs none.
 */
static const struct action {
	const char *name;
	int locked;
	int (*run)(const struct args *, struct alerts_conf *, int);
} actions[] = {
	{ "configure", 1, act_configure },
	{ "enable", 1, act_enable },
	{ "disable", 1, act_disable },
	{ "show", 0, act_show },
	{ "test", 0, act_test },
	{ "migrate", 1, act_migrate }
};

static const struct action *
action_find(const char *name)
{

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].name, name) == 0)
			return (&actions[i]);
	return (NULL);
}

/* Parse the command line into ${a}; -1, or the exit code to return. */
static int
parse_args(int argc, char **argv, struct args *a)
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
	int opt;

	memset(a, 0, sizeof(*a));
	a->starttls = -1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		a->nopts++;
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("alerts"));
		case OPT_RELAY: a->relay = optarg; break;
		case OPT_SENDER_NAME: a->name = optarg; break;
		case OPT_FROM: a->from = optarg; break;
		case OPT_TO: a->to = optarg; break;
		case OPT_CC: a->cc = optarg; break;
		case OPT_BCC: a->bcc = optarg; break;
		case OPT_STARTTLS: a->starttls = 1; break;
		case OPT_NO_STARTTLS: a->starttls = 0; break;
		case OPT_AUTH_FILE: a->auth = optarg; break;
		case OPT_NO_AUTH_FILE: a->noauth = 1; break;
		case OPT_DISK_THRESHOLD: a->disk = optarg; break;
		case OPT_JSON: a->json = 1; a->nopts--; break;
		default:
			return (cmd_options_unknown("alerts", argv));
		}
	}
	if (argc - optind != 2)
		return (cmd_output_usage("alerts", "expected STORE and one of "
		    "configure, enable, disable, show, test, migrate"));
	a->root = argv[optind];
	a->action = argv[optind + 1];
	if (strcmp(a->action, "configure") != 0 && a->nopts > 0)
		return (cmd_output_usage("alerts", "settings are given only with "
		    "'configure'"));
	if (a->json && strcmp(a->action, "show") != 0)
		return (cmd_output_usage("alerts", "--json goes with 'show'"));
	if (action_find(a->action) == NULL)
		return (cmd_output_usage("alerts", "unknown action \"%s\" (configure, "
		    "enable, disable, show, test, migrate)", a->action));
	if (a->auth != NULL && a->noauth)
		return (cmd_output_usage("alerts", "--auth-file and --no-auth-file "
		    "exclude each other"));
	return (-1);
}

/**
 * cmd_alerts(argc, argv):
 * qsarc alerts STORE configure|enable|disable|show|test [options]
 */
int
cmd_alerts(int argc, char **argv)
{
	const struct action *act;
	struct alerts_conf c;
	struct args a;
	int rc, enc, lockfd = -1, configured = 1, status;

	if ((status = parse_args(argc, argv, &a)) >= 0)
		return (status);
	act = action_find(a.action);

	/* It must be a store (no passphrase needed: only its config). */
	if ((rc = store_peek_encrypted(a.root, &enc)) != QS_OK)
		return (cmd_output_fail("alerts", rc));
	if ((rc = alerts_conf_paths(a.root, &a.p)) != QS_OK)
		return (cmd_output_fail("alerts", rc));
	if (act->run != act_migrate && alerts_conf_has_legacy(&a.p))
		fprintf(stderr, "qsarc: alerts: %s is ignored: alert settings "
		    "are no longer read from the store; run 'qsarc alerts %s "
		    "migrate' to move them to %s\n", a.p.legacy, a.root,
		    a.p.conf);

	/*
	 * The settings as they are, read under the alerts lock by the actions
	 * that change them; show and test only read (the file is replaced
	 * atomically), so a held lock does not hide them.
	 */
	if (act->locked &&
	    (rc = alerts_log_lock(&a.p, LOCK_WAIT_MS, &lockfd)) != QS_OK)
		return (cmd_output_fail("alerts", rc));
	rc = alerts_conf_load(&a.p, &c);
	if (rc == QS_ENOENT) {
		qs_error_clear();
		alerts_conf_init(&c);
		configured = 0;
	} else if (rc != QS_OK) {
		alerts_log_unlock(lockfd);
		if (act->run == act_configure && rc != QS_EINVAL)
			fprintf(stderr, "qsarc: alerts: (remove %s to start "
			    "over)\n", a.p.conf);
		return (cmd_output_fail("alerts", rc));
	}

	/* The action. */
	status = act->run(&a, &c, configured);
	alerts_log_unlock(lockfd);
	return (status);
}
