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

/* The parsed command line. */
struct encrypt_args {
	struct cmd_options c;
	struct kdf_params kdf;		/* --kdf-time, --kdf-memory */
	const char *backup;		/* --keystore-backup, or NULL */
	uint64_t rotation;		/* --rotation-days in seconds, or 0 */
	int mode;			/* --mode */
};

/* Parse into ${a}; -1 to go on, else the exit code (help, usage). */
static int
parse_args(int argc, char **argv, struct encrypt_args *a)
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
	int opt, r;

	memset(a, 0, sizeof(*a));
	cmd_options_init(&a->c);
	kdf_params_default(&a->kdf);
	a->mode = KEYSTORE_MODE_INTERNAL;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("encrypt"));
		case OPT_MODE:
			if (cmd_options_key_mode("encrypt", optarg,
			    &a->mode) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_ROTATION_DAYS:
			if (cmd_options_rotation_days("encrypt", optarg,
			    &a->rotation) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_KEYSTORE_BACKUP:
			a->backup = optarg;
			break;
		case OPT_KDF_TIME:
			if (cmd_options_kdf_time("encrypt", optarg,
			    &a->kdf.t_cost) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_KDF_MEMORY:
			if (cmd_options_kdf_memory("encrypt", optarg,
			    &a->kdf.m_cost_kib) != 0)
				return (EXIT_USAGE);
			break;
		default:
			r = cmd_options_common("encrypt", &a->c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_output_usage("encrypt",
				    "unknown option"));
		}
	}
	if (argc - optind != 1)
		return (cmd_output_usage("encrypt", "expected one STORE"));
	return (-1);
}

/**
 * cmd_encrypt(argc, argv):
 * qsarc encrypt STORE [--mode M] [--rotation-days N] [--keystore-backup P]
 */
int
cmd_encrypt(int argc, char **argv)
{
	struct encrypt_args a;
	struct store *s = NULL;
	uint8_t *pass = NULL;
	size_t passlen = 0;
	int r, rc, encrypted;

	if ((r = parse_args(argc, argv, &a)) >= 0)
		return (r);
	store_set_command("encrypt");
	if ((rc = store_peek_encrypted(argv[optind], &encrypted)) != QS_OK)
		return (cmd_output_fail("encrypt", rc));
	if (encrypted) {
		fprintf(stderr, "qsarc: encrypt: %s: the store is already "
		    "encrypted\n", argv[optind]);
		return (EXIT_NOTHING);
	}
	/* The new passphrase, then the store opened plain, then sealed. */
	if ((rc = cmd_passphrase_read(a.c.passphrase_file, a.c.passphrase_fd,
	    "New passphrase: ", 1, &pass, &passlen)) != QS_OK)
		return (cmd_output_fail("encrypt", rc));
	rc = store_open(argv[optind], STORE_LOCK_EXCLUSIVE |
	    STORE_OPEN_TO_ENCRYPT, a.c.lock_timeout * 1000, pass, passlen, &s);
	cmd_passphrase_free(pass, passlen);
	if (rc == QS_OK)
		rc = store_enable_encryption(s, a.mode, a.rotation, a.backup,
		    &a.kdf, cmd_clock_now());
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
