#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/chunk/chunkindex.h"
#include "index/store/store.h"
#include "index/store/manifest.h"

static void
print_stats(const struct cmd_options *c, struct store *s,
    const struct store_container_stats *cs, size_t count, uint64_t logical)
{
	double ratio;
	char a[32], b[32], d[32];

	ratio = cs->stored_bytes ? (double)logical / (double)cs->stored_bytes :
	    0.0;
	if (c->json) {
		printf("{\"streams\": %zu, \"logical_bytes\": %llu, "
		    "\"unique_bytes\": %llu, \"stored_bytes\": %llu, "
		    "\"chunks\": %llu, \"containers\": %llu, "
		    "\"index_entries\": %llu, \"index_segments\": %zu, "
		    "\"encrypted\": %s, \"ratio\": %.3f}\n", count,
		    (unsigned long long)logical,
		    (unsigned long long)cs->raw_bytes,
		    (unsigned long long)cs->stored_bytes,
		    (unsigned long long)cs->records,
		    (unsigned long long)cs->containers,
		    (unsigned long long)chunkindex_count(store_index(s)),
		    chunkindex_segment_count(store_index(s)),
		    store_config(s)->encrypted ? "true" : "false", ratio);
	} else {
		printf("streams:         %zu\n", count);
		printf("logical bytes:   %llu (%s)\n",
		    (unsigned long long)logical,
		    cmd_output_bytes(logical, a, sizeof(a)));
		printf("unique bytes:    %llu (%s)%s\n",
		    (unsigned long long)cs->raw_bytes,
		    cmd_output_bytes(cs->raw_bytes, b, sizeof(b)),
		    cs->sealed_records ? ", not counting the encrypted "
		    "records, whose lengths are sealed" : "");
		printf("stored bytes:    %llu (%s)\n",
		    (unsigned long long)cs->stored_bytes,
		    cmd_output_bytes(cs->stored_bytes, d, sizeof(d)));
		printf("chunks:          %llu\n",
		    (unsigned long long)cs->records);
		printf("containers:      %llu\n",
		    (unsigned long long)cs->containers);
		printf("encrypted:       %s\n",
		    store_config(s)->encrypted ? "yes" : "no");
		printf("ratio:           %.2f\n", ratio);
	}
}

/**
 * cmd_stats(argc, argv):
 * qsarc stats STORE [--json]
 */
int
cmd_stats(int argc, char **argv)
{
	struct store_container_stats cs;
	struct manifest_reader *mr;
	struct cmd_options c;
	struct store *s = NULL;
	char **names = NULL;
	size_t count = 0;
	uint64_t logical = 0;
	int r, rc, status = EXIT_OK;

	if ((r = cmd_options_only("stats", argc, argv, &c)) >= 0)
		return (r);
	if (argc - optind != 1)
		return (cmd_output_usage("stats", "expected one STORE"));
	store_set_command("stats");
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &c, NULL,
	    &s)) != QS_OK)
		return (cmd_output_fail("stats", rc));
	if ((rc = store_list_streams(s, 0, &names, &count)) != QS_OK ||
	    (rc = store_container_stats(s, &cs)) != QS_OK) {
		r = cmd_output_fail("stats", rc);
		store_names_free(names, count);
		store_close(s);
		return (r);
	}
	for (size_t i = 0; i < count; i++) {
		if ((rc = manifest_reader_open(s, names[i], 0, &mr)) != QS_OK) {
			status = cmd_output_fail("stats", rc);
			continue;
		}
		logical += manifest_reader_summary(mr)->length;
		manifest_reader_free(mr);
	}
	print_stats(&c, s, &cs, count, logical);
	store_names_free(names, count);
	store_close(s);
	return (status);
}
