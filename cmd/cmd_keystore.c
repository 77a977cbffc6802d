/*
 * qsarc keystore STORE check|restore: the two keystore copies.
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "crypto/keystore.h"
#include "format/qs_err.h"
#include "index/jobs/rekey.h"
#include "index/store/store.h"

enum {
	OPT_FROM = OPT_FIRST_LOCAL
};

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
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	struct keystore_copy_status p, b;
	struct cmd_options c;
	struct store *s = NULL;
	const char *from = NULL, *action;
	uint8_t *pass = NULL;
	size_t passlen = 0;
	int opt, r, rc, status = EXIT_OK;

	cmd_options_init(&c);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return (cmd_help_print("keystore"));
		if (opt == OPT_FROM) {
			from = optarg;
			continue;
		}
		r = cmd_options_common("keystore", &c, opt, optarg);
		if (r < 0)
			return (EXIT_USAGE);
		if (r == 0)
			return (cmd_output_usage("keystore", "unknown option"));
	}
	if (argc - optind != 2)
		return (cmd_output_usage("keystore", "expected STORE and check or "
		    "restore"));
	action = argv[optind + 1];
	if (strcmp(action, "check") != 0 && strcmp(action, "restore") != 0)
		return (cmd_output_usage("keystore", "unknown action \"%s\"; use "
		    "check or restore", action));
	if (strcmp(action, "restore") == 0 && (from == NULL ||
	    (strcmp(from, "backup") != 0 && strcmp(from, "primary") != 0)))
		return (cmd_output_usage("keystore", "restore needs --from backup or "
		    "--from primary"));
	store_set_command(strcmp(action, "check") == 0 ? "keystore check" :
	    "keystore restore");
	if ((rc = store_open(argv[optind], (strcmp(action, "check") == 0 ?
	    STORE_LOCK_SHARED : STORE_LOCK_EXCLUSIVE) | STORE_OPEN_NOKEYS,
	    c.lock_timeout * 1000, NULL, 0, &s)) != QS_OK)
		return (cmd_output_fail("keystore", rc));
	if (!store_config(s)->encrypted) {
		rc = qs_error_set(QS_EINVAL, "%s: the store is not encrypted",
		    argv[optind]);
		goto fail;
	}
	if ((rc = cmd_passphrase_read(c.passphrase_file,
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
	cmd_passphrase_free(pass, passlen);
	store_close(s);
	return (status);

fail:
	r = cmd_output_fail("keystore", rc);
	cmd_passphrase_free(pass, passlen);
	store_close(s);
	return (r);
}
