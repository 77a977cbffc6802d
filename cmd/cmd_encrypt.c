/*
 * qsarc encrypt STORE: turn on encryption for a plain store (irreversible).
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "crypto/kdf.h"
#include "crypto/keystore.h"
#include "format/qs_err.h"
#include "index/store/store.h"

enum {
	OPT_MODE = OPT_FIRST_LOCAL,
	OPT_ROTATION_DAYS,
	OPT_KEYSTORE_BACKUP,
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
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	struct kdf_params kdf;
	struct cmd_options c;
	struct store *s = NULL;
	const char *backup = NULL;
	uint8_t *pass = NULL;
	size_t passlen = 0;
	uint64_t rotation = 0;
	int mode = KEYSTORE_MODE_INTERNAL;
	int opt, r, rc, encrypted;

	cmd_options_init(&c);
	kdf_params_default(&kdf);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("encrypt"));
		case OPT_MODE:
			if (cmd_options_key_mode("encrypt", optarg, &mode) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_ROTATION_DAYS:
			if (cmd_options_rotation_days("encrypt", optarg, &rotation) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_KEYSTORE_BACKUP:
			backup = optarg;
			break;
		case OPT_KDF_TIME:
			if (cmd_options_kdf_time("encrypt", optarg,
			    &kdf.t_cost) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_KDF_MEMORY:
			if (cmd_options_kdf_memory("encrypt", optarg,
			    &kdf.m_cost_kib) != 0)
				return (EXIT_USAGE);
			break;
		default:
			r = cmd_options_common("encrypt", &c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_output_usage("encrypt", "unknown option"));
		}
	}
	if (argc - optind != 1)
		return (cmd_output_usage("encrypt", "expected one STORE"));
	store_set_command("encrypt");
	if ((rc = store_peek_encrypted(argv[optind], &encrypted)) != QS_OK)
		return (cmd_output_fail("encrypt", rc));
	if (encrypted) {
		fprintf(stderr, "qsarc: encrypt: %s: the store is already "
		    "encrypted\n", argv[optind]);
		return (EXIT_NOTHING);
	}
	if ((rc = cmd_passphrase_read(c.passphrase_file,
	    c.passphrase_fd, "New passphrase: ", 1, &pass, &passlen)) != QS_OK)
		return (cmd_output_fail("encrypt", rc));
	rc = store_open(argv[optind], STORE_LOCK_EXCLUSIVE,
	    c.lock_timeout * 1000, pass, passlen, &s);
	cmd_passphrase_free(pass, passlen);
	if (rc == QS_OK)
		rc = store_enable_encryption(s, mode, rotation, backup, &kdf,
		    cmd_clock_now());
	if (rc != QS_OK) {
		r = cmd_output_fail("encrypt", rc);
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
