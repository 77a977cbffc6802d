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
#include "index/jobs/rekey.h"
#include "index/store/store.h"

enum {
	OPT_MODE = OPT_FIRST_LOCAL,
	OPT_ROTATION_DAYS,
	OPT_CHANGE_PASSPHRASE,
	OPT_NEW_PASSPHRASE_FILE,
	OPT_NEW_PASSPHRASE_FD
};

struct rekey_progress_ctx {
	double start;
};

static void
rekey_progress_cb(void *ctx, const struct rekey_progress *p)
{
	struct rekey_progress_ctx *rc = ctx;

	fprintf(stderr, "\rrekey: container %llu of %llu (%.0f s)   ",
	    (unsigned long long)p->containers_done,
	    (unsigned long long)p->containers_total,
	    cmd_clock_monotonic() - rc->start);
	fflush(stderr);
}

/**
 * cmd_rekey(argc, argv):
 * qsarc rekey STORE [--change-passphrase | --mode M [--rotation-days N]]
 */
int
cmd_rekey(int argc, char **argv)
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
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	struct rekey_progress_ctx pc;
	struct rekey_result res;
	struct cmd_options c;
	struct store *s = NULL;
	struct keystore *ks;
	const char *newfile = NULL;
	uint8_t *newpass = NULL;
	size_t newlen = 0;
	uint64_t rotation = 0;
	int newfd = -1, change_pass = 0, mode = 0, rotated, synced;
	int opt, r, rc, status = EXIT_OK;
	char when[64];

	cmd_options_init(&c);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("rekey"));
		case OPT_MODE:
			if (cmd_options_key_mode("rekey", optarg, &mode) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_ROTATION_DAYS:
			if (cmd_options_rotation_days("rekey", optarg, &rotation) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_CHANGE_PASSPHRASE:
			change_pass = 1;
			break;
		case OPT_NEW_PASSPHRASE_FILE:
			newfile = optarg;
			break;
		case OPT_NEW_PASSPHRASE_FD:
			newfd = atoi(optarg);
			break;
		default:
			r = cmd_options_common("rekey", &c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_output_usage("rekey", "unknown option"));
		}
	}
	if (argc - optind != 1)
		return (cmd_output_usage("rekey", "expected one STORE"));
	if (change_pass && mode != 0)
		return (cmd_output_usage("rekey", "--change-passphrase and --mode "
		    "are separate operations"));
	if (rotation != 0 && mode == 0)
		return (cmd_output_usage("rekey", "--rotation-days goes with --mode"));
	if ((newfile != NULL || newfd >= 0) && !change_pass)
		return (cmd_output_usage("rekey", "--new-passphrase-* goes with "
		    "--change-passphrase"));
	store_set_command(change_pass ? "rekey --change-passphrase" :
	    mode ? "rekey --mode" : "rekey");
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_EXCLUSIVE,
	    &c, NULL, &s)) != QS_OK)
		goto fail;
	if ((ks = store_keystore(s)) == NULL) {
		rc = qs_error_set(QS_EINVAL, "%s: the store is not encrypted "
		    "(see 'qsarc encrypt')", argv[optind]);
		goto fail;
	}
	if ((rc = keystore_repair_sync_backup(s, &synced)) != QS_OK)
		goto fail;
	if (synced)
		fprintf(stderr, "qsarc: rekey: the backup keystore copy was "
		    "missing or behind the primary; rewrote both\n");
	if (change_pass) {
		if ((rc = cmd_passphrase_read(newfile, newfd,
		    "New passphrase: ", 1, &newpass, &newlen)) != QS_OK)
			goto fail;
		rc = store_keystore_save(s, newpass, newlen);
		cmd_passphrase_free(newpass, newlen);
		if (rc != QS_OK)
			goto fail;
		if (c.json)
			printf("{\"passphrase_changed\": true, "
			    "\"generation\": %llu}\n", (unsigned long long)
			    keystore_generation(ks));
		else
			fprintf(stderr, "qsarc: rekey: passphrase changed; both "
			    "keystore copies re-wrapped, no data rewritten\n");
	} else if (mode != 0) {
		pc.start = cmd_clock_monotonic();
		rc = rekey_change_mode(s, mode, rotation, cmd_clock_now(),
		    c.lock_timeout * 1000, cmd_progress_wanted(&c) ?
		    rekey_progress_cb : NULL, &pc, &res);
		if (cmd_progress_wanted(&c))
			cmd_progress_end();
		if (rc != QS_OK)
			goto fail;
		if (c.json)
			printf("{\"new_key_id\": %u, \"resumed\": %s, "
			    "\"containers_rewritten\": %llu, "
			    "\"records_rewritten\": %llu, "
			    "\"bytes_rewritten\": %llu, "
			    "\"manifests_rewritten\": %llu, "
			    "\"keys_retired\": %llu}\n", res.new_key_id,
			    res.resumed ? "true" : "false",
			    (unsigned long long)res.containers_rewritten,
			    (unsigned long long)res.records_rewritten,
			    (unsigned long long)res.bytes_rewritten,
			    (unsigned long long)res.manifests_rewritten,
			    (unsigned long long)res.keys_retired);
		else
			printf("mode %s, key %u: %llu containers and %llu "
			    "manifests re-encrypted, %llu old keys retired%s\n",
			    keystore_mode(ks) == KEYSTORE_MODE_STATIC ?
			    "static" : "internal", res.new_key_id,
			    (unsigned long long)res.containers_rewritten,
			    (unsigned long long)res.manifests_rewritten,
			    (unsigned long long)res.keys_retired,
			    res.resumed ? " (resumed)" : "");
	} else {
		if ((rc = rekey_rotate(s, cmd_clock_now(), &rotated)) != QS_OK)
			goto fail;
		cmd_output_utc(keystore_last_rotation(ks) +
		    (int64_t)keystore_rotation(ks), when, sizeof(when));
		if (c.json) {
			printf("{\"rotated\": %s, \"current_key\": %u, "
			    "\"mode\": \"%s\", \"next_rotation\": \"%s\"}\n",
			    rotated ? "true" : "false",
			    keystore_current_id(ks),
			    keystore_mode(ks) == KEYSTORE_MODE_STATIC ?
			    "static" : "internal",
			    keystore_mode(ks) == KEYSTORE_MODE_STATIC ? "" :
			    when);
		} else if (rotated) {
			printf("rotated: new content key %u\n",
			    keystore_current_id(ks));
		} else if (keystore_mode(ks) == KEYSTORE_MODE_STATIC) {
			printf("not due: static key mode (keys change only "
			    "with 'rekey --mode')\n");
		} else {
			cmd_output_utc(keystore_last_rotation(ks) +
			    (int64_t)keystore_rotation(ks), when,
			    sizeof(when));
			printf("not due: next rotation at %s\n", when);
		}
	}
	cmd_alert_after("rekey", argv[optind], status, NULL, s);
	store_close(s);
	return (status);

fail:
	r = cmd_output_fail("rekey", rc);
	cmd_alert_after("rekey", argv[optind], r, qs_error_message(), s);
	store_close(s);
	return (r);
}
