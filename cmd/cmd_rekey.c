/*
 * qsarc rekey STORE: rotate the content key, change the passphrase or the
 * key mode.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "crypto/keystore.h"
#include "format/qs_err.h"
#include "index/jobs/keystore_repair.h"
#include "index/jobs/rekey.h"
#include "index/store/store.h"

/* (--mode and --rotation-days have the shared codes of cmd_options.h.) */
enum {
	OPT_CHANGE_PASSPHRASE = OPT_FIRST_LOCAL,
	OPT_NEW_PASSPHRASE_FILE,
	OPT_NEW_PASSPHRASE_FD,
	OPT_NEW_PASSPHRASE_COMMAND
};

/* The parsed command line. */
struct rekey_args {
	struct cmd_options c;
	int change_pass;		/* --change-passphrase */
	const char *newfile;		/* --new-passphrase-file */
	int newfd;			/* --new-passphrase-fd, or -1 */
	const char *newcmd;		/* --new-passphrase-command */
	int mode;			/* --mode, or 0 */
	uint64_t rotation;		/* --rotation-days in seconds, or 0 */
};

struct rekey_progress_ctx {
	struct cmd_progress *meter;
	uint64_t total;		/* the meter's, 0 before the first call */
};

/* The engine's figures into the meter: "rekey: 3 / 10 containers". */
static void
rekey_progress_cb(void *ctx, const struct rekey_progress *p)
{
	struct rekey_progress_ctx *rc = ctx;

	if (rc->total != p->containers_total) {
		rc->total = p->containers_total;
		cmd_progress_phase(rc->meter, NULL, "containers", rc->total);
	}
	cmd_progress_set(rc->meter, p->containers_done, UINT64_MAX, 0);
}

static const char *
mode_name(const struct keystore *ks)
{

	return (keystore_mode(ks) == KEYSTORE_MODE_STATIC ? "static" :
	    "internal");
}

/* Parse into ${a}; -1 to go on, else the exit code (help, usage). */
static int
parse_args(int argc, char **argv, struct rekey_args *a)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "rotation-days", required_argument, NULL,
		    OPT_ROTATION_DAYS },
		{ "change-passphrase", no_argument, NULL,
		    OPT_CHANGE_PASSPHRASE },
		{ "new-passphrase-file", required_argument, NULL,
		    OPT_NEW_PASSPHRASE_FILE },
		{ "new-passphrase-fd", required_argument, NULL,
		    OPT_NEW_PASSPHRASE_FD },
		{ "new-passphrase-command", required_argument, NULL,
		    OPT_NEW_PASSPHRASE_COMMAND },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	int opt, r;

	memset(a, 0, sizeof(*a));
	cmd_options_init(&a->c);
	a->newfd = -1;
	while ((opt = getopt_long(argc, argv, CMD_OPTIONS_SHORT, opts,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("rekey"));
		case OPT_MODE:
			if (cmd_options_key_mode("rekey", optarg, &a->mode) !=
			    0)
				return (EXIT_USAGE);
			break;
		case OPT_ROTATION_DAYS:
			if (cmd_options_rotation_days("rekey", optarg,
			    &a->rotation) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_CHANGE_PASSPHRASE:
			a->change_pass = 1;
			break;
		case OPT_NEW_PASSPHRASE_FILE:
			a->newfile = optarg;
			break;
		case OPT_NEW_PASSPHRASE_FD:
			a->newfd = atoi(optarg);
			break;
		case OPT_NEW_PASSPHRASE_COMMAND:
			a->newcmd = optarg;
			break;
		default:
			r = cmd_options_common("rekey", &a->c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_options_unknown("rekey", argv));
		}
	}
	if (argc - optind != 1)
		return (cmd_output_usage("rekey", "expected one STORE"));
	if (a->change_pass && a->mode != 0)
		return (cmd_output_usage("rekey", "--change-passphrase and "
		    "--mode are separate operations"));
	if (a->rotation != 0 && a->mode == 0)
		return (cmd_output_usage("rekey", "--rotation-days goes with "
		    "--mode"));
	if (a->newcmd != NULL && (a->newfile != NULL || a->newfd >= 0))
		return (cmd_output_usage("rekey", "--new-passphrase-command "
		    "and --new-passphrase-%s are mutually exclusive",
		    a->newfile != NULL ? "file" : "fd"));
	if ((a->newfile != NULL || a->newfd >= 0 || a->newcmd != NULL) &&
	    !a->change_pass)
		return (cmd_output_usage("rekey", "--new-passphrase-* goes "
		    "with --change-passphrase"));
	return (-1);
}

/* --change-passphrase: re-wrap both keystore copies. */
static int
change_passphrase(const struct rekey_args *a, struct store *s,
    struct keystore *ks)
{
	uint8_t *newpass = NULL;
	size_t newlen = 0;
	int rc;

	if ((rc = cmd_passphrase_read(a->newfile, a->newfd, a->newcmd,
	    "New passphrase: ", 1, &newpass, &newlen)) != QS_OK)
		return (rc);
	rc = store_keystore_save(s, newpass, newlen);
	cmd_passphrase_free(newpass, newlen);
	if (rc != QS_OK)
		return (rc);
	if (a->c.json)
		printf("{\"passphrase_changed\": true, \"generation\": %llu}\n",
		    (unsigned long long)keystore_generation(ks));
	else if (!a->c.quiet)
		fprintf(stderr, "qsarc: rekey: passphrase changed; both "
		    "keystore copies re-wrapped, no data rewritten\n");
	return (QS_OK);
}

static void
print_mode_change(const struct rekey_args *a, const struct keystore *ks,
    const struct rekey_result *res)
{

	if (a->c.json)
		printf("{\"new_key_id\": %u, \"resumed\": %s, "
		    "\"containers_rewritten\": %llu, "
		    "\"records_rewritten\": %llu, "
		    "\"bytes_rewritten\": %llu, "
		    "\"manifests_rewritten\": %llu, "
		    "\"keys_retired\": %llu}\n", res->new_key_id,
		    res->resumed ? "true" : "false",
		    (unsigned long long)res->containers_rewritten,
		    (unsigned long long)res->records_rewritten,
		    (unsigned long long)res->bytes_rewritten,
		    (unsigned long long)res->manifests_rewritten,
		    (unsigned long long)res->keys_retired);
	else if (!a->c.quiet)
		printf("mode %s, key %u: %llu containers and %llu "
		    "manifests re-encrypted, %llu old keys retired%s\n",
		    mode_name(ks), res->new_key_id,
		    (unsigned long long)res->containers_rewritten,
		    (unsigned long long)res->manifests_rewritten,
		    (unsigned long long)res->keys_retired,
		    res->resumed ? " (resumed)" : "");
}

/* --mode: a fresh key, everything re-encrypted under it. */
static int
change_mode(const struct rekey_args *a, struct store *s, struct keystore *ks)
{
	struct rekey_progress_ctx pc;
	struct rekey_result res;
	int rc;

	/* Always a meter: SIGUSR1 asks it for a status line. */
	pc.total = 0;
	pc.meter = cmd_progress_start(&a->c, "rekey");
	cmd_progress_phase(pc.meter, NULL, "containers", 0);
	rc = rekey_change_mode(s, a->mode, a->rotation, cmd_clock_now(),
	    a->c.lock_timeout * 1000, pc.meter != NULL ? rekey_progress_cb :
	    NULL, &pc, &res);
	cmd_progress_stop(pc.meter);
	if (rc != QS_OK)
		return (rc);
	print_mode_change(a, ks, &res);
	return (QS_OK);
}

/* No option: the daily rotation, if due. */
static int
rotate(const struct rekey_args *a, struct store *s, struct keystore *ks)
{
	char when[64];
	int rotated, rc;

	if ((rc = rekey_rotate(s, cmd_clock_now(), &rotated)) != QS_OK)
		return (rc);
	cmd_output_utc(keystore_last_rotation(ks) +
	    (int64_t)keystore_rotation(ks), when, sizeof(when));
	if (a->c.json)
		/* Static mode has no next rotation: null (as keys). */
		printf("{\"rotated\": %s, \"current_key\": %u, "
		    "\"mode\": \"%s\", \"next_rotation\": %s%s%s}\n",
		    rotated ? "true" : "false", keystore_current_id(ks),
		    mode_name(ks), keystore_mode(ks) == KEYSTORE_MODE_STATIC ?
		    "" : "\"", keystore_mode(ks) == KEYSTORE_MODE_STATIC ?
		    "null" : when, keystore_mode(ks) == KEYSTORE_MODE_STATIC ?
		    "" : "\"");
	else if (a->c.quiet)
		;	/* the exit code says it went well */
	else if (rotated)
		printf("rotated: new content key %u\n",
		    keystore_current_id(ks));
	else if (keystore_mode(ks) == KEYSTORE_MODE_STATIC)
		printf("not due: static key mode (keys change only with "
		    "'rekey --mode')\n");
	else
		printf("not due: next rotation at %s\n", when);
	return (QS_OK);
}

/**
 * cmd_rekey(argc, argv):
 * qsarc rekey STORE [--change-passphrase | --mode M [--rotation-days N]]
 */
int
cmd_rekey(int argc, char **argv)
{
	struct rekey_args a;
	struct store *s = NULL;
	struct keystore *ks;
	int r, rc, synced, status = EXIT_OK;

	if ((r = parse_args(argc, argv, &a)) >= 0)
		return (r);
	store_set_command(a.change_pass ? "rekey --change-passphrase" :
	    a.mode ? "rekey --mode" : "rekey");
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_EXCLUSIVE,
	    &a.c, NULL, &s)) != QS_OK)
		goto fail;
	if ((ks = store_keystore(s)) == NULL) {
		rc = qs_error_set(QS_EINVAL, "%s: the store is not encrypted "
		    "(see 'qsarc encrypt')", argv[optind]);
		goto fail;
	}
	/* Whatever the operation, both copies leave it in step. */
	if ((rc = keystore_repair_sync_backup(s, &synced)) != QS_OK)
		goto fail;
	if (synced)
		fprintf(stderr, "qsarc: rekey: the backup keystore copy was "
		    "missing or behind the primary; rewrote both\n");
	if (a.change_pass)
		rc = change_passphrase(&a, s, ks);
	else if (a.mode != 0)
		rc = change_mode(&a, s, ks);
	else
		rc = rotate(&a, s, ks);
	if (rc != QS_OK)
		goto fail;
	alerts_raise_after(cmd_alerts_env(), "rekey", argv[optind], status, NULL, s);
	store_close(s);
	return (status);

fail:
	r = cmd_output_fail("rekey", rc);
	alerts_raise_after(cmd_alerts_env(), "rekey", argv[optind], r, qs_error_message(), s);
	store_close(s);
	return (r);
}
