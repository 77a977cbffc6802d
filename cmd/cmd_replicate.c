/*
 * qsarc replicate SRC DST [NAME...]: copy streams to another store.
 *
 * Each stream is read from the source (every chunk checked) and put into
 * the target, which cuts, names, compresses and seals it with its own
 * secrets and settings: chunks the target already holds are not written
 * again, and its tar catalogue is made afresh from the bytes.  The target
 * stream records where it came from (source store id and stream hash), so
 * a later run knows it is already there; a name that exists on the target
 * with other content is an error, never overwritten.  Encrypted data stays
 * encrypted only if the target is encrypted.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "index/tar/tarscan.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/stream/get.h"
#include "index/stream/put.h"
#include "index/store/store.h"
#include "index/store/manifest.h"

enum {
	OPT_DRY_RUN = OPT_FIRST_LOCAL,
	OPT_SRC_PASS_FILE,
	OPT_SRC_PASS_FD,
	OPT_DST_PASS_FILE,
	OPT_DST_PASS_FD,
	OPT_ALLOW_PLAIN
};

struct totals {
	uint64_t copied, present, chunks_sent, bytes_sent, bytes_skipped;
	uint64_t logical;
};

/* Compare two streams byte for byte (a target stream not made by us). */
static int
same_content(struct store *src, struct store *dst, const char *name,
    int *same)
{
	struct pump *pa = NULL, *pb = NULL;
	uint8_t a[65536], b[65536];
	ssize_t na, nb, got;
	int fa = -1, fb = -1, rc, rc2;

	*same = 1;
	if ((rc = pump_start(src, name, &fa, &pa)) != QS_OK)
		return (rc);
	if ((rc = pump_start(dst, name, &fb, &pb)) != QS_OK)
		goto done;
	for (;;) {
		if ((na = read(fa, a, sizeof(a))) < 0) {
			rc = qs_error_errno("pipe", "read");
			goto done;
		}
		for (nb = 0; nb < na; nb += got) {
			if ((got = read(fb, b + nb, (size_t)(na - nb))) <= 0)
				break;
		}
		if (nb != na || memcmp(a, b, (size_t)na) != 0) {
			*same = 0;
			break;
		}
		if (na == 0) {
			/* The target must end here too. */
			if (read(fb, b, 1) != 0)
				*same = 0;
			break;
		}
	}
done:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	rc2 = pa != NULL ? pump_join(pa) : QS_OK;
	if (pb != NULL && pump_join(pb) != QS_OK && rc2 == QS_OK &&
	    *same)
		rc2 = QS_EIO;
	if (rc == QS_OK && rc2 != QS_OK && *same)
		rc = rc2;
	return (rc);
}

static int
copy_stream(struct store *src, struct store *dst, const char *name,
    const struct manifest_summary *sum, struct totals *t)
{
	struct put_result pr;
	struct put_opts po;
	void *scan = NULL;
	int rc;

	memset(&po, 0, sizeof(po));
	if ((rc = tarscan_attach(&po, dst, &po, &scan)) != QS_OK)
		return (rc);
	po.input_name = "the source store";
	po.origin_store_id = store_config(src)->store_id;
	po.origin_hash = sum->stream_hash;
	/* The ingest time travels with the stream (expiry rules use it). */
	rc = pump_copy(dst, src, name, &po, sum->created, &pr);
	tarscan_detach(scan);
	if (rc != QS_OK)
		return (rc);
	t->copied++;
	t->chunks_sent += pr.new_chunks;
	t->bytes_sent += pr.new_stored_bytes;
	t->bytes_skipped += pr.length - pr.new_raw_bytes;
	t->logical += pr.length;
	return (QS_OK);
}

/* Is ${name} already on the target, as this stream? */
static int
target_state(struct store *src, struct store *dst, const char *name,
    const struct manifest_summary *sum, int *present)
{
	struct manifest_reader *mr;
	const struct manifest_summary *ts;
	int state, rc, same = 0, origin;

	*present = 0;
	if ((state = store_stream_state(dst, name)) < 0)
		return (state);
	if (state == 0)
		return (QS_OK);
	if (state == 2)
		return (qs_error_set(QS_EEXIST, "%s: \"%s\" exists there as an "
		    "expired stream; unexpire or clean it first",
		    store_root(dst), name));
	if ((rc = manifest_reader_open(dst, name, 0, &mr)) != QS_OK)
		return (rc);
	ts = manifest_reader_summary(mr);
	origin = (ts->features & MANIFEST_FEATURE_ORIGIN) &&
	    memcmp(ts->origin_store_id, store_config(src)->store_id, 16) == 0;
	if (origin && memcmp(ts->origin_hash, sum->stream_hash, 32) == 0)
		same = 1;
	else if (origin || ts->length != sum->length)
		same = 0;
	else
		same = -1;		/* put there separately: compare */
	manifest_reader_free(mr);
	if (same < 0 && (rc = same_content(src, dst, name, &same)) != QS_OK)
		return (rc);
	if (!same)
		return (qs_error_set(QS_EEXIST, "%s: a stream named \"%s\" "
		    "exists there with other content; it is not overwritten",
		    store_root(dst), name));
	*present = 1;
	return (QS_OK);
}

/**
 * cmd_replicate(argc, argv):
 * qsarc replicate SRC DST [NAME...]
 */
int
cmd_replicate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "source-passphrase-file", required_argument, NULL,
		    OPT_SRC_PASS_FILE },
		{ "source-passphrase-fd", required_argument, NULL,
		    OPT_SRC_PASS_FD },
		{ "target-passphrase-file", required_argument, NULL,
		    OPT_DST_PASS_FILE },
		{ "target-passphrase-fd", required_argument, NULL,
		    OPT_DST_PASS_FD },
		{ "allow-plaintext-target", no_argument, NULL,
		    OPT_ALLOW_PLAIN },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	struct manifest_reader *mr;
	struct manifest_summary *sum = NULL;
	struct totals t;
	struct cmd_passphrase_side sside = { "source", NULL, -1, 0, 60000 };
	struct cmd_passphrase_side dside = { "target", NULL, -1, 0, 60000 };
	struct cmd_options c;
	struct store *src = NULL, *dst = NULL;
	const char *sfile = NULL, *dfile = NULL;
	char **names = NULL;
	size_t n = 0;
	double t0;
	char a[32], b[32], d[32];
	int sfd = -1, dfd = -1, dry_run = 0, allow_plain = 0;
	int sexplicit, dexplicit;
	int opt, r, rc, present, senc, denc, status = EXIT_OK, i;

	cmd_options_init(&c);
	memset(&t, 0, sizeof(t));
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("replicate"));
		case OPT_DRY_RUN:
			dry_run = 1;
			break;
		case OPT_SRC_PASS_FILE:
			sfile = optarg;
			break;
		case OPT_SRC_PASS_FD:
			sfd = atoi(optarg);
			break;
		case OPT_DST_PASS_FILE:
			dfile = optarg;
			break;
		case OPT_DST_PASS_FD:
			dfd = atoi(optarg);
			break;
		case OPT_ALLOW_PLAIN:
			allow_plain = 1;
			break;
		default:
			r = cmd_options_common("replicate", &c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_output_usage("replicate",
				    "unknown option"));
		}
	}
	if (argc - optind < 2)
		return (cmd_output_usage("replicate", "expected SOURCE and TARGET "
		    "stores"));
	/* --passphrase-file and QSARC_PASSPHRASE serve a side with none. */
	sexplicit = (sfile != NULL || sfd >= 0);
	dexplicit = (dfile != NULL || dfd >= 0);
	if (sfile == NULL && sfd < 0) {
		sfile = c.passphrase_file;
		sfd = c.passphrase_fd;
	}
	if (dfile == NULL && dfd < 0) {
		dfile = c.passphrase_file;
		dfd = c.passphrase_fd;
	}
	store_set_command("replicate");
	if ((rc = store_peek_encrypted(argv[optind], &senc)) != QS_OK ||
	    (rc = store_peek_encrypted(argv[optind + 1], &denc)) != QS_OK)
		goto fail;
	if (senc && !denc) {
		if (!allow_plain) {
			rc = qs_error_set(QS_EINVAL, "%s is encrypted and %s is "
			    "not: replicating would store the data in the "
			    "clear there; enable encryption on the target "
			    "('qsarc encrypt') or pass --allow-plaintext-target",
			    argv[optind], argv[optind + 1]);
			goto fail;
		}
		fprintf(stderr, "qsarc: replicate: WARNING: %s is encrypted "
		    "but %s is NOT: the copies there are stored in the clear "
		    "(--allow-plaintext-target)\n", argv[optind],
		    argv[optind + 1]);
	}
	sside.file = sfile;
	sside.fd = sfd;
	sside.given = sexplicit;
	dside.file = dfile;
	dside.fd = dfd;
	dside.given = dexplicit;
	if ((rc = cmd_passphrase_open(argv[optind], STORE_LOCK_SHARED, &c,
	    &sside, &src)) != QS_OK ||
	    (rc = cmd_passphrase_open(argv[optind + 1], STORE_LOCK_SHARED, &c,
	    &dside, &dst)) != QS_OK)
		goto fail;
	if (memcmp(store_config(src)->store_id, store_config(dst)->store_id,
	    16) == 0) {
		rc = qs_error_set(QS_EINVAL, "source and target are the same "
		    "store");
		goto fail;
	}
	if (argc - optind > 2) {
		n = (size_t)(argc - optind - 2);
		if ((names = calloc(n, sizeof(*names))) == NULL) {
			rc = qs_error_set(QS_ENOMEM, "out of memory");
			goto fail;
		}
		for (size_t k = 0; k < n; k++)
			if ((names[k] = strdup(argv[optind + 2 + (int)k])) ==
			    NULL) {
				rc = qs_error_set(QS_ENOMEM, "out of memory");
				goto fail;
			}
	} else if ((rc = store_list_streams(src, 0, &names, &n)) != QS_OK) {
		goto fail;
	}
	if ((sum = malloc(sizeof(*sum))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto fail;
	}
	t0 = cmd_clock_monotonic();
	for (i = 0; i < (int)n; i++) {
		if ((rc = manifest_reader_open(src, names[i], 0, &mr)) !=
		    QS_OK)
			goto fail;
		*sum = *manifest_reader_summary(mr);
		manifest_reader_free(mr);
		if ((rc = target_state(src, dst, names[i], sum, &present)) !=
		    QS_OK)
			goto fail;
		if (present) {
			t.present++;
			continue;
		}
		if (dry_run) {
			if (!c.json)
				printf("would copy %s (%s)\n", names[i],
				    cmd_output_bytes(sum->length, a,
				    sizeof(a)));
			t.copied++;
			t.logical += sum->length;
			continue;
		}
		if (cmd_progress_wanted(&c))
			fprintf(stderr, "replicate: %s (%s)...\n", names[i],
			    cmd_output_bytes(sum->length, a, sizeof(a)));
		if ((rc = copy_stream(src, dst, names[i], sum, &t)) != QS_OK)
			goto fail;
	}
	if (c.json) {
		printf("{\"dry_run\": %s, \"streams_copied\": %llu, "
		    "\"streams_present\": %llu, \"chunks_sent\": %llu, "
		    "\"bytes_sent\": %llu, \"bytes_skipped\": %llu, "
		    "\"logical_bytes\": %llu, \"plaintext_target\": %s, "
		    "\"seconds\": %.3f}\n", dry_run ? "true" : "false",
		    (unsigned long long)t.copied,
		    (unsigned long long)t.present,
		    (unsigned long long)t.chunks_sent,
		    (unsigned long long)t.bytes_sent,
		    (unsigned long long)t.bytes_skipped,
		    (unsigned long long)t.logical,
		    (senc && !denc) ? "true" : "false", cmd_clock_monotonic() - t0);
	} else {
		printf("%s%llu streams copied (%s), %llu already there; "
		    "%llu chunks sent (%s), %s skipped as already present\n",
		    dry_run ? "dry run: " : "", (unsigned long long)t.copied,
		    cmd_output_bytes(t.logical, a, sizeof(a)),
		    (unsigned long long)t.present,
		    (unsigned long long)t.chunks_sent,
		    cmd_output_bytes(t.bytes_sent, b, sizeof(b)),
		    cmd_output_bytes(t.bytes_skipped, d, sizeof(d)));
		if (senc && !denc)
			printf("WARNING: the target is NOT encrypted: these "
			    "copies are stored in the clear\n");
	}
	cmd_alert_after("replicate", argv[optind], status, NULL, src);
	free(sum);
	store_names_free(names, n);
	store_close(dst);
	store_close(src);
	return (status);

fail:
	r = cmd_output_fail("replicate", rc);
	if (argc - optind >= 1)
		cmd_alert_after("replicate", argv[optind], r,
		    qs_error_message(), src);
	free(sum);
	store_names_free(names, n);
	store_close(dst);
	store_close(src);
	return (r);
}
