#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "crypto/keystore.h"
#include "format/qs_err.h"
#include "index/store/store.h"

enum {
	OPT_LEVEL = OPT_FIRST_LOCAL,
	OPT_AVG_CHUNK,
	OPT_CONTAINER_SIZE,
	OPT_ENCRYPT
};

/* The parsed command line. */
struct init_args {
	struct cmd_options c;
	struct store_init_opts o;
	struct cmd_options_encryption e;	/* --mode ... --kdf-memory */
};

/* Parse into ${a}; -1 to go on, else the exit code (help, usage). */
static int
parse_args(int argc, char **argv, struct init_args *a)
{
	static const struct option opts[] = {
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "avg-chunk", required_argument, NULL, OPT_AVG_CHUNK },
		{ "container-size", required_argument, NULL,
		    OPT_CONTAINER_SIZE },
		{ "encrypt", no_argument, NULL, OPT_ENCRYPT },
		CMD_OPTIONS_ENCRYPTION,
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_options *c = &a->c;
	struct store_init_opts *o = &a->o;
	uint64_t v;
	char *end;
	int opt, r;

	memset(a, 0, sizeof(*a));
	store_init_opts_default(o);
	cmd_options_init(c);
	a->e.mode = o->key_mode;
	a->e.rotation_secs = o->rotation_secs;
	a->e.keystore_backup = o->keystore_backup;
	a->e.kdf_t_cost = o->kdf_t_cost;
	a->e.kdf_m_cost_kib = o->kdf_m_cost_kib;
	while ((opt = getopt_long(argc, argv, CMD_OPTIONS_SHORT, opts,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("init"));
		case OPT_LEVEL:
			o->zstd_level = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || o->zstd_level < 1 ||
			    o->zstd_level > 22)
				return (cmd_output_usage("init",
				    "--level must be 1 "
				    "to 22, not \"%s\"", optarg));
			break;
		case OPT_AVG_CHUNK:
			if (cmd_options_size(optarg, &v) != 0 || v < 4096 ||
			    v > (4U << 20) || (v & (v - 1)) != 0)
				return (cmd_output_usage("init",
				    "--avg-chunk must be "
				    "a power of two from 4K to 4M, not \"%s\"",
				    optarg));
			o->chunk_avg = (uint32_t)v;
			o->chunk_min = (uint32_t)(v / 4);
			o->chunk_max = (uint32_t)(v * 4);
			break;
		case OPT_CONTAINER_SIZE:
			if (cmd_options_size(optarg, &v) != 0 ||
			    v < (1U << 20) || v > (1U << 30))
				return (cmd_output_usage("init",
				    "--container-size "
				    "must be 1M to 1G, not \"%s\"", optarg));
			o->container_size = (uint32_t)v;
			break;
		case OPT_ENCRYPT:
			o->encrypt = 1;
			break;
		default:
			if ((r = cmd_options_encryption("init", &a->e, opt,
			    optarg)) == 0)
				r = cmd_options_common("init", c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_options_unknown("init", argv));
		}
	}
	if (argc - optind != 1)
		return (cmd_output_usage("init",
		    "expected one STORE directory"));
	o->key_mode = a->e.mode;
	o->rotation_secs = a->e.rotation_secs;
	o->keystore_backup = a->e.keystore_backup;
	o->kdf_t_cost = a->e.kdf_t_cost;
	o->kdf_m_cost_kib = a->e.kdf_m_cost_kib;
	if (!o->encrypt && (a->e.mode_given || a->e.rotation_given ||
	    o->keystore_backup != NULL))
		return (cmd_output_usage("init", "--mode, --rotation-days and "
		    "--keystore-backup need --encrypt"));
	return (-1);
}

/*
 * --json: what was made.  The store is read back for its id and, when
 * encrypted, where the backup keystore copy went (the default path is
 * chosen inside store_init).
 */
static void
print_json(const char *root, int encrypted, int64_t now)
{
	char primary[4096], backup[4096];
	struct store *s = NULL;
	uint8_t id[16];

	printf("{");
	cmd_output_json_name(stdout, "store", root, strlen(root));
	if (store_peek_id(root, id) == QS_OK) {
		printf(", \"store_id\": \"");
		for (size_t i = 0; i < sizeof(id); i++)
			printf("%02x", id[i]);
		printf("\"");
	}
	printf(", \"encrypted\": %s, ", encrypted ? "true" : "false");
	cmd_output_json_time(stdout, "created", now);
	if (encrypted && store_open(root, STORE_LOCK_SHARED |
	    STORE_OPEN_NOKEYS, 0, NULL, 0, &s) == QS_OK) {
		store_keystore_paths(s, primary, sizeof(primary), backup,
		    sizeof(backup));
		printf(", ");
		cmd_output_json_name(stdout, "keystore", primary,
		    strlen(primary));
		printf(", ");
		cmd_output_json_name(stdout, "keystore_backup", backup,
		    strlen(backup));
		store_close(s);
	}
	qs_error_clear();
	printf("}\n");
}

/**
 * cmd_init(argc, argv):
 * qsarc init STORE [options]
 */
int
cmd_init(int argc, char **argv)
{
	struct init_args a;
	uint8_t *pass = NULL;
	size_t passlen = 0;
	int64_t now;
	int r, rc;

	if ((r = parse_args(argc, argv, &a)) >= 0)
		return (r);
	if (a.o.encrypt) {
		if ((rc = cmd_passphrase_read(a.c.passphrase_file,
		    a.c.passphrase_fd, a.c.passphrase_command,
		    "New passphrase: ", 1, &pass, &passlen)) != QS_OK)
			return (cmd_output_fail("init", rc));
		a.o.pass = pass;
		a.o.passlen = passlen;
	}
	now = cmd_clock_now();
	rc = store_init(argv[optind], &a.o, now);
	cmd_passphrase_free(pass, passlen);
	if (rc != QS_OK)
		return (cmd_output_fail("init", rc));
	if (a.c.json)
		print_json(argv[optind], a.o.encrypt, now);
	return (EXIT_OK);
}
