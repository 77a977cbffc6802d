/*
 * qsarc keys STORE: the content keys of an encrypted store.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "crypto/keystore.h"
#include "format/qs_err.h"
#include "index/jobs/key_usage.h"
#include "index/store/store.h"

/* Bytes, records and manifests under each key id (0: plain). */
struct key_usage {
	uint64_t bytes[1024];
	uint64_t records[1024];
	uint64_t manifests[1024];
};

static const char *
mode_name(const struct keystore *ks)
{

	return (keystore_mode(ks) == KEYSTORE_MODE_STATIC ? "static" :
	    "internal");
}

static const char *
state_name(const struct keystore_key_info *ki)
{

	return (ki->state == KEYSTORE_KEY_ACTIVE ? "active" : "retained");
}

static void
print_keys(const struct cmd_options *c, const struct keystore *ks,
    const struct key_usage *u)
{
	struct keystore_key_info ki;
	char when[64], next[64], b[32];

	if (keystore_mode(ks) == KEYSTORE_MODE_INTERNAL)
		cmd_output_utc(keystore_last_rotation(ks) +
		    (int64_t)keystore_rotation(ks), next, sizeof(next));
	else
		snprintf(next, sizeof(next), "none (static mode)");
	if (c->json) {
		/* Static mode has no next rotation: null, not a text. */
		printf("{\"mode\": \"%s\", \"rotation_days\": %llu, "
		    "\"next_rotation\": %s%s%s, \"keys\": [", mode_name(ks),
		    (unsigned long long)(keystore_rotation(ks) / 86400),
		    keystore_mode(ks) == KEYSTORE_MODE_INTERNAL ? "\"" : "",
		    keystore_mode(ks) == KEYSTORE_MODE_INTERNAL ? next : "null",
		    keystore_mode(ks) == KEYSTORE_MODE_INTERNAL ? "\"" : "");
	} else {
		printf("mode: %s, rotation every %llu days, next rotation: "
		    "%s\n", mode_name(ks),
		    (unsigned long long)(keystore_rotation(ks) / 86400), next);
		printf("%-6s %-20s %-9s %14s %10s %10s\n", "KEY", "CREATED",
		    "STATE", "BYTES", "RECORDS", "MANIFESTS");
		if (u->records[0] > 0 || u->manifests[0] > 0)
			printf("%-6s %-20s %-9s %14s %10llu %10llu\n", "0",
			    "-", "plain", cmd_output_bytes(u->bytes[0], b,
			    sizeof(b)), (unsigned long long)u->records[0],
			    (unsigned long long)u->manifests[0]);
	}
	for (size_t i = 0; i < keystore_key_count(ks); i++) {
		if (keystore_key_info(ks, i, &ki) != QS_OK)
			continue;
		cmd_output_utc(ki.created, when, sizeof(when));
		if (c->json)
			printf("%s\n  {\"id\": %u, \"created\": \"%s\", "
			    "\"state\": \"%s\", \"bytes\": %llu, "
			    "\"records\": %llu, \"manifests\": %llu}",
			    i ? "," : "", ki.id, when,
			    state_name(&ki),
			    (unsigned long long)u->bytes[ki.id],
			    (unsigned long long)u->records[ki.id],
			    (unsigned long long)u->manifests[ki.id]);
		else
			printf("%-6u %-20s %-9s %14s %10llu %10llu\n", ki.id,
			    when, state_name(&ki), cmd_output_bytes(
			    u->bytes[ki.id], b, sizeof(b)),
			    (unsigned long long)u->records[ki.id],
			    (unsigned long long)u->manifests[ki.id]);
	}
	if (c->json)
		printf("\n], \"plain_records\": %llu, \"plain_bytes\": %llu}\n",
		    (unsigned long long)u->records[0],
		    (unsigned long long)u->bytes[0]);
}

/**
 * cmd_keys(argc, argv):
 * qsarc keys STORE [--json]
 */
int
cmd_keys(int argc, char **argv)
{
	struct cmd_options c;
	struct key_usage *u = NULL;
	struct store *s = NULL;
	struct keystore *ks;
	int r, rc;

	if ((r = cmd_options_only("keys", argc, argv, &c)) >= 0)
		return (r);
	if (argc - optind != 1)
		return (cmd_output_usage("keys", "expected one STORE"));
	store_set_command("keys");
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &c,
	    NULL, &s)) != QS_OK)
		return (cmd_output_fail("keys", rc));
	if ((ks = store_keystore(s)) == NULL) {
		rc = qs_error_set(QS_EINVAL, "%s: the store is not encrypted",
		    argv[optind]);
		goto fail;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = key_usage_collect(s, u->bytes, u->records, u->manifests)) !=
	    QS_OK)
		goto fail;
	print_keys(&c, ks, u);
	free(u);
	store_close(s);
	return (EXIT_OK);

fail:
	r = cmd_output_fail("keys", rc);
	free(u);
	store_close(s);
	return (r);
}
