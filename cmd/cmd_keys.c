/*
 * qsarc keys STORE: the content keys of an encrypted store.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "crypto/keystore.h"
#include "format/qs_err.h"
#include "index/jobs/rekey.h"
#include "index/store/store.h"

/**
 * cmd_keys(argc, argv):
 * qsarc keys STORE [--json]
 */
int
cmd_keys(int argc, char **argv)
{
	static const struct option opts[] = {
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	struct keystore_key_info ki;
	struct cmd_options c;
	struct store *s = NULL;
	struct keystore *ks;
	uint64_t *bytes = NULL, *records, *manifests;
	char when[64], next[64], b[32];
	int opt, r, rc;

	cmd_options_init(&c);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_HELP)
			return (cmd_help_print("keys"));
		r = cmd_options_common("keys", &c, opt, optarg);
		if (r < 0)
			return (EXIT_USAGE);
		if (r == 0)
			return (cmd_output_usage("keys", "unknown option"));
	}
	if (argc - optind != 1)
		return (cmd_output_usage("keys", "expected one STORE"));
	store_set_command("keys");
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &c, NULL,
	    &s)) != QS_OK)
		return (cmd_output_fail("keys", rc));
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
		cmd_output_utc(keystore_last_rotation(ks) +
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
			    "-", "plain", cmd_output_bytes(bytes[0], b,
			    sizeof(b)), (unsigned long long)records[0],
			    (unsigned long long)manifests[0]);
	}
	for (size_t i = 0; i < keystore_key_count(ks); i++) {
		if (keystore_key_info(ks, i, &ki) != QS_OK)
			continue;
		cmd_output_utc(ki.created, when, sizeof(when));
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
			    "retained", cmd_output_bytes(bytes[ki.id], b,
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
	r = cmd_output_fail("keys", rc);
	free(bytes);
	store_close(s);
	return (r);
}
