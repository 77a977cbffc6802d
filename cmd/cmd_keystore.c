/*
 * qsarc keystore STORE check|restore: the two keystore copies.
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "crypto/keystore.h"
#include "format/qs_err.h"
#include "index/jobs/keystore_repair.h"
#include "index/store/store.h"

enum {
	OPT_FROM = OPT_FIRST_LOCAL
};

/* The state of a copy as one word, for --json. */
static const char *
copy_word(const struct keystore_copy_status *cs)
{

	if (!cs->present)
		return ("missing");
	if (cs->unlocks)
		return ("ok");
	/* The same states as keystore_repair_state says in words. */
	if (cs->ahead)
		return ("ahead");
	if (cs->behind)
		return ("behind");
	if (cs->rc == QS_EPASS)
		return ("wrong_passphrase");
	if (cs->rc == QS_ECORRUPT)
		return ("damaged");
	if (cs->rc == QS_EVERSION)
		return ("newer_version");
	return ("error");
}

static void
json_copy(const char *key, const struct keystore_copy_status *cs)
{

	printf("\"%s\": {", key);
	cmd_output_json_name(stdout, "path", cs->path, strlen(cs->path));
	printf(", \"state\": \"%s\", \"generation\": %llu}", copy_word(cs),
	    (unsigned long long)cs->generation);
}

/* The parsed command line. */
struct keystore_args {
	struct cmd_options c;
	int restore;		/* restore, not check */
	int from_backup;	/* restore --from backup, not primary */
};

/* Parse into ${a}; -1 to go on, else the exit code (help, usage). */
static int
parse_args(int argc, char **argv, struct keystore_args *a)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	static const struct {
		const char *name;
		int value;
	} actions[] = { { "check", 0 }, { "restore", 1 } },
	    froms[] = { { "primary", 0 }, { "backup", 1 } };
	const char *from = NULL, *action;
	size_t i, j;
	int opt, r;

	memset(a, 0, sizeof(*a));
	cmd_options_init(&a->c);
	while ((opt = getopt_long(argc, argv, CMD_OPTIONS_SHORT, opts,
	    NULL)) != -1) {
		if (opt == OPT_HELP)
			return (cmd_help_print("keystore"));
		if (opt == OPT_FROM) {
			from = optarg;
			continue;
		}
		r = cmd_options_common("keystore", &a->c, opt, optarg);
		if (r < 0)
			return (EXIT_USAGE);
		if (r == 0)
			return (cmd_options_unknown("keystore", argv));
	}
	if (argc - optind != 2)
		return (cmd_output_usage("keystore", "expected STORE and check "
		    "or restore"));
	action = argv[optind + 1];
	for (i = 0; i < 2 && strcmp(action, actions[i].name) != 0; i++)
		;
	if (i == 2)
		return (cmd_output_usage("keystore", "unknown action \"%s\"; "
		    "use check or restore", action));
	a->restore = actions[i].value;
	if (!a->restore)
		return (-1);
	for (j = 0; j < 2 && from != NULL && strcmp(from, froms[j].name) != 0;
	    j++)
		;
	if (from == NULL || j == 2)
		return (cmd_output_usage("keystore", "restore needs --from "
		    "backup or --from primary"));
	a->from_backup = froms[j].value;
	return (-1);
}

/*
 * check: print both copies' state, and on stderr which to restore from;
 * ${status} gets the exit code (damage, or no copy unlocks).
 */
static int
check_copies(const struct keystore_args *a, struct store *s,
    const char *root, const uint8_t *pass, size_t passlen, int *status)
{
	struct keystore_copy_status p, b;
	char hint[3 * 4096];
	int rc;

	*status = EXIT_OK;
	/* A save cut between its two writes is completed first. */
	(void)store_keystore_complete(s, pass, passlen, hint, sizeof(hint));
	if (hint[0] != '\0') {
		fprintf(stderr, "qsarc: keystore: ");
		cmd_output_text_str(stderr, hint);
		fputc('\n', stderr);
	}
	rc = keystore_repair_check(s, pass, passlen, &p, &b);
	if (rc == QS_EAUTH)
		return (rc);
	if (a->c.json) {
		/* The object also when a copy is bad: it is the answer. */
		printf("{");
		json_copy("primary", &p);
		printf(", ");
		json_copy("backup", &b);
		printf(", \"ok\": %s, \"restore_from\": %s}\n",
		    rc == QS_OK ? "true" : "false", rc == QS_OK ? "null" :
		    p.unlocks && b.unlocks ? (p.generation > b.generation ?
		    "\"primary\"" : "\"backup\"") : p.unlocks ? "\"primary\"" :
		    b.unlocks ? "\"backup\"" : "null");
	} else {
		printf("primary: %s: %s, generation %llu\n", p.path,
		    keystore_repair_state(&p), (unsigned long long)p.generation);
		printf("backup:  %s: %s, generation %llu\n", b.path,
		    keystore_repair_state(&b), (unsigned long long)b.generation);
	}
	if (rc == QS_OK) {
		if (!a->c.json)
			printf("ok: both copies unlock and are in step\n");
		return (QS_OK);
	}
	if (keystore_repair_hint(root, &p, &b, hint, sizeof(hint))) {
		fprintf(stderr, "qsarc: keystore: ");
		cmd_output_text_str(stderr, hint);
		fputc('\n', stderr);
		/* Not damage: the passphrase given is not the current one. */
		if (p.ahead || b.ahead)
			*status = EXIT_PASSPHRASE;
	} else if (p.rc == QS_EPASS || b.rc == QS_EPASS)
		*status = EXIT_PASSPHRASE;
	else
		fprintf(stderr, "qsarc: keystore: neither copy is usable\n");
	if (*status == EXIT_OK)
		*status = EXIT_DAMAGE;
	if (*status == EXIT_PASSPHRASE && !p.unlocks && !b.unlocks) {
		qs_error_set(QS_EPASS, "%s: neither keystore copy unlocks with "
		    "this passphrase", root);
		cmd_passphrase_hint(&a->c);
		fprintf(stderr, "qsarc: keystore: ");
		cmd_output_text_str(stderr, qs_error_message());
		fputc('\n', stderr);
	}
	return (QS_OK);
}

/* restore: rewrite one copy from the other. */
static int
restore_copy(const struct keystore_args *a, struct store *s,
    const uint8_t *pass, size_t passlen)
{
	int rc;

	rc = keystore_repair_restore(s, a->from_backup, pass, passlen);
	if (rc == QS_EPASS)
		cmd_passphrase_hint(&a->c);
	if (rc != QS_OK)
		return (rc);
	if (a->c.json)
		printf("{\"restored\": \"%s\", \"from\": \"%s\"}\n",
		    a->from_backup ? "primary" : "backup", a->from_backup ?
		    "backup" : "primary");
	else
		printf("restored the %s copy from the %s copy\n",
		    a->from_backup ? "primary" : "backup", a->from_backup ?
		    "backup" : "primary");
	return (QS_OK);
}

/**
 * cmd_keystore(argc, argv):
 * qsarc keystore STORE check | restore --from backup|primary
 */
int
cmd_keystore(int argc, char **argv)
{
	struct keystore_args a;
	struct store *s = NULL;
	uint8_t *pass = NULL;
	size_t passlen = 0;
	int r, rc, status = EXIT_OK;

	if ((r = parse_args(argc, argv, &a)) >= 0)
		return (r);
	store_set_command(a.restore ? "keystore restore" : "keystore check");
	/* The keys are not unlocked: the copies are what is in question. */
	if ((rc = store_open(argv[optind], (a.restore ? STORE_LOCK_EXCLUSIVE :
	    STORE_LOCK_SHARED) | STORE_OPEN_NOKEYS, a.c.lock_timeout * 1000,
	    NULL, 0, &s)) != QS_OK)
		return (cmd_output_fail("keystore", rc));
	if (!store_config(s)->encrypted) {
		rc = qs_error_set(QS_EINVAL, "%s: the store is not encrypted",
		    argv[optind]);
		goto fail;
	}
	if ((rc = cmd_passphrase_read(a.c.passphrase_file, a.c.passphrase_fd,
	    a.c.passphrase_command, "Passphrase: ", 0, &pass, &passlen)) !=
	    QS_OK)
		goto fail;
	if (a.restore)
		rc = restore_copy(&a, s, pass, passlen);
	else
		rc = check_copies(&a, s, argv[optind], pass, passlen, &status);
	if (rc != QS_OK)
		goto fail;
	cmd_passphrase_free(pass, passlen);
	store_close(s);
	return (status);

fail:
	r = cmd_output_fail("keystore", rc);
	cmd_passphrase_free(pass, passlen);
	store_close(s);
	return (r);
}
