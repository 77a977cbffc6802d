/*
 * The encryption subcommands: encrypt, rekey, keystore, keys.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "crypto/kdf.h"
#include "crypto/keystore.h"
#include "format/qs_err.h"
#include "index/jobs/key_usage.h"
#include "index/jobs/keystore_repair.h"
#include "index/jobs/rekey.h"
#include "index/store/store.h"

enum {
	OPT_MODE = OPT_FIRST_LOCAL,
	OPT_ROTATION_DAYS,
	OPT_KEYSTORE_BACKUP,
	OPT_CHANGE_PASSPHRASE,
	OPT_NEW_PASSPHRASE_FILE,
	OPT_NEW_PASSPHRASE_FD,
	OPT_FROM,
	OPT_KDF_TIME,
	OPT_KDF_MEMORY
};

/**
 * cmd_encrypt(argc, argv):
 * qsarc encrypt STORE [--mode M] [--rotation-days N] [--keystore-backup P]
 */
int
cmd_encrypt(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "rotation-days", required_argument, NULL,
		    OPT_ROTATION_DAYS },
		{ "keystore-backup", required_argument, NULL,
		    OPT_KEYSTORE_BACKUP },
		{ "kdf-time", required_argument, NULL, OPT_KDF_TIME },
		{ "kdf-memory", required_argument, NULL, OPT_KDF_MEMORY },
		CMD_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct kdf_params kdf;
	struct cmd_common c;
	struct store *s = NULL;
	const char *backup = NULL;
	uint8_t *pass = NULL;
	size_t passlen = 0;
	uint64_t rotation = 0;
	int mode = KEYSTORE_MODE_INTERNAL;
	int opt, r, rc, encrypted;

	cmd_common_init(&c);
	kdf_params_default(&kdf);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help("encrypt"));
		case OPT_MODE:
			if (cmd_parse_key_mode("encrypt", optarg, &mode) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_ROTATION_DAYS:
			if (cmd_parse_rotation_days("encrypt", optarg, &rotation) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_KEYSTORE_BACKUP:
			backup = optarg;
			break;
		case OPT_KDF_TIME:
			if (cmd_parse_kdf_time("encrypt", optarg,
			    &kdf.t_cost) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_KDF_MEMORY:
			if (cmd_parse_kdf_memory("encrypt", optarg,
			    &kdf.m_cost_kib) != 0)
				return (EXIT_USAGE);
			break;
		default:
			r = cmd_common_option("encrypt", &c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_usage("encrypt", "unknown option"));
		}
	}
	if (argc - optind != 1)
		return (cmd_usage("encrypt", "expected one STORE"));
	store_set_command("encrypt");
	if ((rc = store_peek_encrypted(argv[optind], &encrypted)) != QS_OK)
		return (cmd_fail("encrypt", rc));
	if (encrypted) {
		fprintf(stderr, "qsarc: encrypt: %s: the store is already "
		    "encrypted\n", argv[optind]);
		return (EXIT_NOTHING);
	}
	if ((rc = cmd_read_passphrase("encrypt", c.passphrase_file,
	    c.passphrase_fd, "New passphrase: ", 1, &pass, &passlen)) != QS_OK)
		return (cmd_fail("encrypt", rc));
	rc = store_open(argv[optind], STORE_LOCK_EXCLUSIVE,
	    c.lock_timeout * 1000, pass, passlen, &s);
	cmd_free_passphrase(pass, passlen);
	if (rc == QS_OK)
		rc = store_enable_encryption(s, mode, rotation, backup, &kdf,
		    cmd_now());
	if (rc != QS_OK) {
		r = cmd_fail("encrypt", rc);
		store_close(s);
		return (r);
	}
	fprintf(stderr, "qsarc: encrypt: %s is now encrypted; new data is "
	    "sealed at once, data written before stays readable and is "
	    "encrypted by the next 'qsarc clean' (until then new data does "
	    "not deduplicate against it)\n", argv[optind]);
	store_close(s);
	return (EXIT_OK);
}

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
	    cmd_monotonic() - rc->start);
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
		CMD_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct rekey_progress_ctx pc;
	struct rekey_result res;
	struct cmd_common c;
	struct store *s = NULL;
	struct keystore *ks;
	const char *newfile = NULL;
	uint8_t *newpass = NULL;
	size_t newlen = 0;
	uint64_t rotation = 0;
	int newfd = -1, change_pass = 0, mode = 0, rotated, synced;
	int opt, r, rc, status = EXIT_OK;
	char when[64];

	cmd_common_init(&c);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help("rekey"));
		case OPT_MODE:
			if (cmd_parse_key_mode("rekey", optarg, &mode) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_ROTATION_DAYS:
			if (cmd_parse_rotation_days("rekey", optarg, &rotation) != 0)
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
			r = cmd_common_option("rekey", &c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_usage("rekey", "unknown option"));
		}
	}
	if (argc - optind != 1)
		return (cmd_usage("rekey", "expected one STORE"));
	if (change_pass && mode != 0)
		return (cmd_usage("rekey", "--change-passphrase and --mode "
		    "are separate operations"));
	if (rotation != 0 && mode == 0)
		return (cmd_usage("rekey", "--rotation-days goes with --mode"));
	if ((newfile != NULL || newfd >= 0) && !change_pass)
		return (cmd_usage("rekey", "--new-passphrase-* goes with "
		    "--change-passphrase"));
	store_set_command(change_pass ? "rekey --change-passphrase" :
	    mode ? "rekey --mode" : "rekey");
	if ((rc = cmd_open_store("rekey", argv[optind], STORE_LOCK_EXCLUSIVE,
	    &c, &s)) != QS_OK)
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
		if ((rc = cmd_read_passphrase("rekey", newfile, newfd,
		    "New passphrase: ", 1, &newpass, &newlen)) != QS_OK)
			goto fail;
		rc = store_keystore_save(s, newpass, newlen);
		cmd_free_passphrase(newpass, newlen);
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
		pc.start = cmd_monotonic();
		rc = rekey_change_mode(s, mode, rotation, cmd_now(),
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
		if ((rc = rekey_rotate(s, cmd_now(), &rotated)) != QS_OK)
			goto fail;
		cmd_format_utc(keystore_last_rotation(ks) +
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
			cmd_format_utc(keystore_last_rotation(ks) +
			    (int64_t)keystore_rotation(ks), when,
			    sizeof(when));
			printf("not due: next rotation at %s\n", when);
		}
	}
	alerts_raise_after(cmd_alerts_env(), "rekey", argv[optind], status,
	    NULL, s);
	store_close(s);
	return (status);

fail:
	r = cmd_fail("rekey", rc);
	alerts_raise_after(cmd_alerts_env(), "rekey", argv[optind], r,
	    qs_error_message(), s);
	store_close(s);
	return (r);
}

static const char *
copy_state(const struct keystore_copy_status *cs)
{

	if (!cs->present)
		return ("missing");
	if (cs->unlocks)
		return ("ok");
	if (cs->rc == QS_EPASS)
		return ("does not unlock with this passphrase");
	if (cs->rc == QS_ECORRUPT)
		return ("damaged");
	if (cs->rc == QS_EVERSION)
		return ("written by a newer qsarc");
	return (qs_err_string(cs->rc));
}

/**
 * cmd_keystore(argc, argv):
 * qsarc keystore STORE check | restore --from backup|primary
 */
int
cmd_keystore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		CMD_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct keystore_copy_status p, b;
	struct cmd_common c;
	struct store *s = NULL;
	const char *from = NULL, *action;
	uint8_t *pass = NULL;
	size_t passlen = 0;
	int opt, r, rc, status = EXIT_OK;

	cmd_common_init(&c);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return (cmd_help("keystore"));
		if (opt == OPT_FROM) {
			from = optarg;
			continue;
		}
		r = cmd_common_option("keystore", &c, opt, optarg);
		if (r < 0)
			return (EXIT_USAGE);
		if (r == 0)
			return (cmd_usage("keystore", "unknown option"));
	}
	if (argc - optind != 2)
		return (cmd_usage("keystore", "expected STORE and check or "
		    "restore"));
	action = argv[optind + 1];
	if (strcmp(action, "check") != 0 && strcmp(action, "restore") != 0)
		return (cmd_usage("keystore", "unknown action \"%s\"; use "
		    "check or restore", action));
	if (strcmp(action, "restore") == 0 && (from == NULL ||
	    (strcmp(from, "backup") != 0 && strcmp(from, "primary") != 0)))
		return (cmd_usage("keystore", "restore needs --from backup or "
		    "--from primary"));
	store_set_command(strcmp(action, "check") == 0 ? "keystore check" :
	    "keystore restore");
	if ((rc = store_open(argv[optind], (strcmp(action, "check") == 0 ?
	    STORE_LOCK_SHARED : STORE_LOCK_EXCLUSIVE) | STORE_OPEN_NOKEYS,
	    c.lock_timeout * 1000, NULL, 0, &s)) != QS_OK)
		return (cmd_fail("keystore", rc));
	if (!store_config(s)->encrypted) {
		rc = qs_error_set(QS_EINVAL, "%s: the store is not encrypted",
		    argv[optind]);
		goto fail;
	}
	if ((rc = cmd_read_passphrase("keystore", c.passphrase_file,
	    c.passphrase_fd, "Passphrase: ", 0, &pass, &passlen)) != QS_OK)
		goto fail;
	if (strcmp(action, "check") == 0) {
		rc = keystore_repair_check(s, pass, passlen, &p, &b);
		if (rc == QS_EAUTH)
			goto fail;
		printf("primary: %s: %s, generation %llu\n", p.path,
		    copy_state(&p), (unsigned long long)p.generation);
		printf("backup:  %s: %s, generation %llu\n", b.path,
		    copy_state(&b), (unsigned long long)b.generation);
		if (rc == QS_OK) {
			printf("ok: both copies unlock and are in step\n");
		} else {
			if (p.unlocks && b.unlocks)
				fprintf(stderr, "qsarc: keystore: the copies "
				    "differ (generation %llu and %llu); run "
				    "'qsarc keystore %s restore --from %s'\n",
				    (unsigned long long)p.generation,
				    (unsigned long long)b.generation,
				    argv[optind], p.generation > b.generation ?
				    "primary" : "backup");
			else if (p.unlocks)
				fprintf(stderr, "qsarc: keystore: the backup "
				    "copy %s is %s; run 'qsarc keystore %s "
				    "restore --from primary'\n", b.path,
				    copy_state(&b), argv[optind]);
			else if (b.unlocks)
				fprintf(stderr, "qsarc: keystore: the primary "
				    "copy %s is %s; run 'qsarc keystore %s "
				    "restore --from backup'\n", p.path,
				    copy_state(&p), argv[optind]);
			else if (p.rc == QS_EPASS || b.rc == QS_EPASS)
				status = EXIT_PASSPHRASE;
			else
				fprintf(stderr, "qsarc: keystore: neither copy "
				    "is usable\n");
			if (status == EXIT_OK)
				status = EXIT_DAMAGE;
			if (status == EXIT_PASSPHRASE) {
				qs_error_set(QS_EPASS, "%s: neither keystore "
				    "copy unlocks with this passphrase",
				    argv[optind]);
				cmd_passphrase_hint(&c);
				fprintf(stderr, "qsarc: keystore: %s\n",
				    qs_error_message());
			}
		}
	} else {
		rc = keystore_repair_restore(s, strcmp(from, "backup") == 0,
		    pass, passlen);
		if (rc == QS_EPASS)
			cmd_passphrase_hint(&c);
		if (rc != QS_OK)
			goto fail;
		printf("restored the %s copy from the %s copy\n",
		    strcmp(from, "backup") == 0 ? "primary" : "backup", from);
	}
	cmd_free_passphrase(pass, passlen);
	store_close(s);
	return (status);

fail:
	r = cmd_fail("keystore", rc);
	cmd_free_passphrase(pass, passlen);
	store_close(s);
	return (r);
}

/**
 * cmd_keys(argc, argv):
 * qsarc keys STORE [--json]
 */
int
cmd_keys(int argc, char **argv)
{
	static const struct option opts[] = {
		CMD_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct keystore_key_info ki;
	struct cmd_common c;
	struct store *s = NULL;
	struct keystore *ks;
	uint64_t *bytes = NULL, *records, *manifests;
	char when[64], next[64], b[32];
	int opt, r, rc;

	cmd_common_init(&c);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return (cmd_help("keys"));
		r = cmd_common_option("keys", &c, opt, optarg);
		if (r < 0)
			return (EXIT_USAGE);
		if (r == 0)
			return (cmd_usage("keys", "unknown option"));
	}
	if (argc - optind != 1)
		return (cmd_usage("keys", "expected one STORE"));
	store_set_command("keys");
	if ((rc = cmd_open_store("keys", argv[optind], STORE_LOCK_SHARED, &c,
	    &s)) != QS_OK)
		return (cmd_fail("keys", rc));
	if ((ks = store_keystore(s)) == NULL) {
		rc = qs_error_set(QS_EINVAL, "%s: the store is not encrypted",
		    argv[optind]);
		goto fail;
	}
	if ((bytes = calloc(3 * 1024, sizeof(*bytes))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto fail;
	}
	records = bytes + 1024;
	manifests = bytes + 2048;
	if ((rc = key_usage_collect(s, bytes, records, manifests)) != QS_OK)
		goto fail;
	if (keystore_mode(ks) == KEYSTORE_MODE_INTERNAL)
		cmd_format_utc(keystore_last_rotation(ks) +
		    (int64_t)keystore_rotation(ks), next, sizeof(next));
	else
		snprintf(next, sizeof(next), "none (static mode)");
	if (c.json) {
		printf("{\"mode\": \"%s\", \"rotation_days\": %llu, "
		    "\"next_rotation\": \"%s\", \"keys\": [",
		    keystore_mode(ks) == KEYSTORE_MODE_STATIC ? "static" :
		    "internal",
		    (unsigned long long)(keystore_rotation(ks) / 86400), next);
	} else {
		printf("mode: %s, rotation every %llu days, next rotation: "
		    "%s\n", keystore_mode(ks) == KEYSTORE_MODE_STATIC ?
		    "static" : "internal",
		    (unsigned long long)(keystore_rotation(ks) / 86400), next);
		printf("%-6s %-20s %-9s %14s %10s %10s\n", "KEY", "CREATED",
		    "STATE", "BYTES", "RECORDS", "MANIFESTS");
		if (records[0] > 0 || manifests[0] > 0)
			printf("%-6s %-20s %-9s %14s %10llu %10llu\n", "0",
			    "-", "plain", cmd_format_bytes(bytes[0], b,
			    sizeof(b)), (unsigned long long)records[0],
			    (unsigned long long)manifests[0]);
	}
	for (size_t i = 0; i < keystore_key_count(ks); i++) {
		if (keystore_key_info(ks, i, &ki) != QS_OK)
			continue;
		cmd_format_utc(ki.created, when, sizeof(when));
		if (c.json)
			printf("%s\n  {\"id\": %u, \"created\": %lld, "
			    "\"state\": \"%s\", \"bytes\": %llu, "
			    "\"records\": %llu, \"manifests\": %llu}",
			    i ? "," : "", ki.id, (long long)ki.created,
			    ki.state == KEYSTORE_KEY_ACTIVE ? "active" :
			    "retained", (unsigned long long)bytes[ki.id],
			    (unsigned long long)records[ki.id],
			    (unsigned long long)manifests[ki.id]);
		else
			printf("%-6u %-20s %-9s %14s %10llu %10llu\n", ki.id,
			    when, ki.state == KEYSTORE_KEY_ACTIVE ? "active" :
			    "retained", cmd_format_bytes(bytes[ki.id], b,
			    sizeof(b)), (unsigned long long)records[ki.id],
			    (unsigned long long)manifests[ki.id]);
	}
	if (c.json)
		printf("\n], \"plain_records\": %llu, \"plain_bytes\": %llu}\n",
		    (unsigned long long)records[0],
		    (unsigned long long)bytes[0]);
	free(bytes);
	store_close(s);
	return (EXIT_OK);

fail:
	r = cmd_fail("keys", rc);
	free(bytes);
	store_close(s);
	return (r);
}
