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
		CMD_OPTIONS_ENCRYPTION,
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_options_encryption e;
	int opt, r;

	memset(a, 0, sizeof(*a));
	cmd_options_init(&a->c);
	kdf_params_default(&a->kdf);
	memset(&e, 0, sizeof(e));
	e.mode = KEYSTORE_MODE_INTERNAL;
	e.kdf_t_cost = a->kdf.t_cost;
	e.kdf_m_cost_kib = a->kdf.m_cost_kib;
	while ((opt = getopt_long(argc, argv, CMD_OPTIONS_SHORT, opts,
	    NULL)) != -1) {
		if (opt == OPT_HELP)
			return (cmd_help_print("encrypt"));
		if ((r = cmd_options_encryption("encrypt", &e, opt,
		    optarg)) == 0)
			r = cmd_options_common("encrypt", &a->c, opt, optarg);
		if (r < 0)
			return (EXIT_USAGE);
		if (r == 0)
			return (cmd_options_unknown("encrypt", argv));
	}
	a->mode = e.mode;
	a->rotation = e.rotation_secs;
	a->backup = e.keystore_backup;
	a->kdf.t_cost = e.kdf_t_cost;
	a->kdf.m_cost_kib = e.kdf_m_cost_kib;
	if (argc - optind != 1)
		return (cmd_output_usage("encrypt", "expected one STORE"));
	return (-1);
}

/*
 * --json: {"store", "encrypted": true, "changed", "mode", "keystore",
 * "keystore_backup"} (the last three only when this run encrypted ${s}).
 */
static void
print_json(const char *root, struct store *s, int changed)
{
	char primary[4096], backup[4096];
	const struct keystore *ks;

	printf("{");
	cmd_output_json_name(stdout, "store", root, strlen(root));
	printf(", \"encrypted\": true, \"changed\": %s",
	    changed ? "true" : "false");
	if (s != NULL && (ks = store_keystore(s)) != NULL) {
		store_keystore_paths(s, primary, sizeof(primary), backup,
		    sizeof(backup));
		printf(", \"mode\": \"%s\", ", keystore_mode(ks) ==
		    KEYSTORE_MODE_STATIC ? "static" : "internal");
		cmd_output_json_name(stdout, "keystore", primary,
		    strlen(primary));
		printf(", ");
		cmd_output_json_name(stdout, "keystore_backup", backup,
		    strlen(backup));
	}
	printf("}\n");
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
		if (a.c.json)
			print_json(argv[optind], NULL, 0);
		return (EXIT_NOTHING);
	}
	/* The new passphrase, then the store opened plain, then sealed. */
	if ((rc = cmd_passphrase_read(a.c.passphrase_file, a.c.passphrase_fd,
	    a.c.passphrase_command, "New passphrase: ", 1, &pass,
	    &passlen)) != QS_OK)
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
	if (!a.c.quiet)
		fprintf(stderr, "qsarc: encrypt: %s is now encrypted; new "
		    "data is sealed at once, data written before stays "
		    "readable and is encrypted by the next 'qsarc clean' "
		    "(until then new data does not deduplicate against it)\n",
		    argv[optind]);
	if (a.c.json)
		print_json(argv[optind], s, 1);
	store_close(s);
	return (EXIT_OK);
}
