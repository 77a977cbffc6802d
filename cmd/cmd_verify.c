#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_alerts.h"
#include "format/qs_err.h"
#include "index/store/store.h"
#include "index/jobs/rebuild.h"
#include "index/jobs/verify.h"

enum {
	OPT_READ_DATA = OPT_FIRST_LOCAL,
	OPT_READ_DATA_SUBSET,
	OPT_REBUILD_INDEX
};

/* One stream's result, kept for the JSON output. */
struct vstream {
	char *name;
	int expired, intact;
	uint64_t references, problems;
};

struct vout {
	int json;
	int quiet;			/* --quiet: damage lines only */
	struct cmd_progress *meter;	/* ended before a text line */
	uint64_t nfindings;		/* findings printed */
	struct vstream *streams;
	size_t nstreams, cap;
	int oom;
	int ran;			/* the checks ran */
};

static void
json_u64(const char *key, uint64_t v, int comma)
{

	printf("%s\"%s\": %llu", comma ? ", " : "", key,
	    (unsigned long long)v);
}

static void
on_finding(void *ctx, const struct verify_finding *f)
{
	struct vout *o = ctx;

	cmd_progress_break(o->meter);
	if (o->json) {
		printf("%s\n  {\"kind\": ", o->nfindings ? "," : "");
		cmd_output_json_string(stdout, f->kind);
		printf(", \"stream\": ");
		if (f->stream != NULL)
			cmd_output_json_string(stdout, f->stream);
		else
			printf("null");
		printf(", \"expired\": %s, ", f->expired ? "true" : "false");
		cmd_output_json_name(stdout, "file", f->path, strlen(f->path));
		printf(", \"offset\": %lld, \"error\": ", (long long)f->offset);
		cmd_output_json_string(stdout, qs_err_string(f->code));
		printf(", \"message\": ");
		cmd_output_json_string(stdout, f->message);
		printf("}");
	} else {
		/* Names and details come from the store: escaped. */
		printf("DAMAGE %s", f->kind);
		if (f->stream != NULL) {
			printf(" stream ");
			cmd_output_text_str(stdout, f->stream);
		}
		printf(": ");
		cmd_output_text_str(stdout, f->message);
		putchar('\n');
	}
	o->nfindings++;
}

static void
on_stream(void *ctx, const struct verify_stream *vs)
{
	struct vout *o = ctx;
	struct vstream *ns;

	if (!o->json) {
		/* --quiet: an intact stream is no news. */
		if (o->quiet && vs->intact)
			return;
		cmd_progress_break(o->meter);
		printf("%s", vs->intact ? "intact  " : "DAMAGED ");
		cmd_output_text_str(stdout, vs->name);
		if (vs->intact)
			printf("%s (%llu chunk references)\n",
			    vs->expired ? " (expired)" : "",
			    (unsigned long long)vs->references);
		else
			printf("%s (%llu problems)\n",
			    vs->expired ? " (expired)" : "",
			    (unsigned long long)vs->damaged);
		return;
	}
	if (o->nstreams == o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 64;

		if ((ns = realloc(o->streams, ncap * sizeof(*ns))) == NULL) {
			o->oom = 1;
			return;
		}
		o->streams = ns;
		o->cap = ncap;
	}
	ns = &o->streams[o->nstreams];
	if ((ns->name = strdup(vs->name)) == NULL) {
		o->oom = 1;
		return;
	}
	ns->expired = vs->expired;
	ns->intact = vs->intact;
	ns->references = vs->references;
	ns->problems = vs->damaged;
	o->nstreams++;
}

static void
print_names(const struct vout *o, int intact)
{
	int first = 1;

	printf("[");
	for (size_t i = 0; i < o->nstreams; i++) {
		if (o->streams[i].intact != intact)
			continue;
		printf("%s", first ? "" : ", ");
		cmd_output_json_string(stdout, o->streams[i].name);
		first = 0;
	}
	printf("]");
}

/* Close the JSON document opened in cmd_verify. */
static void
json_end(const struct vout *o, const struct verify_counts *c,
    const char *mode, unsigned pct, int status, const char *error)
{

	printf("%s],\n \"streams\": [", o->nfindings ? "\n " : "");
	for (size_t i = 0; i < o->nstreams; i++) {
		const struct vstream *v = &o->streams[i];

		printf("%s\n  {\"name\": ", i ? "," : "");
		cmd_output_json_string(stdout, v->name);
		printf(", \"expired\": %s, \"intact\": %s",
		    v->expired ? "true" : "false", v->intact ? "true" :
		    "false");
		json_u64("references", v->references, 1);
		json_u64("problems", v->problems, 1);
		printf("}");
	}
	printf("%s],\n \"intact\": ", o->nstreams ? "\n " : "");
	print_names(o, 1);
	printf(",\n \"damaged\": ");
	print_names(o, 0);
	printf(",\n \"read_data\": \"%s\", \"read_percent\": %u,\n"
	    " \"counts\": {", mode, pct);
	json_u64("streams", c->streams, 0);
	json_u64("streams_damaged", c->streams_damaged, 1);
	json_u64("containers", c->containers, 1);
	json_u64("containers_damaged", c->containers_damaged, 1);
	json_u64("records", c->records, 1);
	json_u64("index_segments", c->index_segments, 1);
	json_u64("index_entries", c->index_entries, 1);
	json_u64("index_entries_bad", c->index_entries_bad, 1);
	json_u64("references", c->references, 1);
	json_u64("references_damaged", c->references_damaged, 1);
	json_u64("chunks_total", c->chunks_total, 1);
	json_u64("chunks_read", c->chunks_read, 1);
	json_u64("chunks_damaged", c->chunks_damaged, 1);
	json_u64("bytes_read", c->bytes_read, 1);
	json_u64("keystore_damaged", c->keystore_damaged, 1);
	json_u64("findings", c->findings, 1);
	printf("},\n \"ok\": %s, \"exit\": %d, \"error\": ",
	    status == EXIT_OK ? "true" : "false", status);
	if (error != NULL)
		cmd_output_json_string(stdout, error);
	else
		printf("null");
	printf("}\n");
}

/* Parse "10%" or "10": 1 to 100. */
static int
parse_percent(const char *s, unsigned *out)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (end == s || (*end != '\0' && strcmp(end, "%") != 0) || v < 1 ||
	    v > 100)
		return (-1);
	*out = (unsigned)v;
	return (0);
}

static void
print_rebuild(const struct vout *o, const struct rebuild_result *r,
    int status)
{

	if (o->json) {
		printf("%s],\n \"rebuild\": {", o->nfindings ? "\n " : "");
		json_u64("containers", r->containers, 0);
		json_u64("containers_damaged", r->containers_damaged, 1);
		json_u64("records", r->records, 1);
		json_u64("salvaged", r->salvaged, 1);
		json_u64("duplicates", r->duplicates, 1);
		json_u64("entries", r->entries, 1);
		json_u64("segments_quarantined", r->segments_quarantined, 1);
		printf("},\n \"ok\": %s, \"exit\": %d}\n",
		    status == EXIT_OK ? "true" : "false", status);
		return;
	}
	if (o->quiet && status == EXIT_OK)
		return;
	printf("index rebuilt: %llu entries from %llu records in %llu "
	    "containers (%llu damaged, %llu records kept from them, %llu "
	    "duplicate records)\n", (unsigned long long)r->entries,
	    (unsigned long long)r->records, (unsigned long long)r->containers,
	    (unsigned long long)r->containers_damaged,
	    (unsigned long long)r->salvaged,
	    (unsigned long long)r->duplicates);
	if (r->segments_quarantined)
		printf("%llu unreadable index files were replaced\n",
		    (unsigned long long)r->segments_quarantined);
}

static int
do_rebuild(const char *root, const struct cmd_options *c, struct vout *o)
{
	struct rebuild_result res;
	struct store *s = NULL;
	int rc, status;

	store_set_command("verify --rebuild-index");
	if (o->json) {
		printf("{");
		cmd_output_json_name(stdout, "store", root, strlen(root));
		printf(",\n \"findings\": [");
	}
	rc = rebuild_open(root, c->lock_timeout * 1000, &s, &res);
	if (rc == QS_OK)
		rc = rebuild_index(s, on_finding, o, &res);
	store_close(s);
	if (rc != QS_OK) {
		if (o->json)
			printf("%s]}\n", o->nfindings ? "\n " : "");
		return (cmd_output_fail("verify", rc));
	}
	status = res.containers_damaged ? EXIT_DAMAGE : EXIT_OK;
	print_rebuild(o, &res, status);
	return (status);
}

/* --read-data progress: the bytes read into the meter. */
static void
on_progress(void *ctx, uint64_t bytes, uint64_t chunks)
{

	(void)chunks;
	cmd_progress_set(ctx, bytes, UINT64_MAX, 0);
}

/*
 * Open the store and check it; return the exit status.  The NAMEs of
 * ${vo} are those at ${names}, where "latest" is resolved once the store
 * is open.
 */
static int
do_verify(const char *root, const struct cmd_options *c,
    const struct verify_opts *vo, char **names, struct vout *o,
    struct verify_counts *vc, char *error, size_t errlen)
{
	struct verify_counts kc;
	struct store *s = NULL;
	uint8_t *pass = NULL;
	size_t passlen = 0;
	int encrypted, rc, status;

	memset(vc, 0, sizeof(*vc));
	memset(&kc, 0, sizeof(kc));
	store_set_command("verify");
	if ((rc = store_peek_encrypted(root, &encrypted)) != QS_OK) {
		if (rc == QS_ECORRUPT) {
			vc->findings++;
			verify_error_finding(VERIFY_KIND_CONFIG, NULL, rc,
			    on_finding, o);
		}
		goto fail;
	}
	if (encrypted) {
		if ((rc = cmd_passphrase_read(c->passphrase_file,
		    c->passphrase_fd, c->passphrase_command, "Passphrase: ", 0,
		    &pass, &passlen)) != QS_OK)
			goto fail;
		/* Both keystore copies, before the keys are needed. */
		if ((rc = store_open(root, STORE_LOCK_SHARED |
		    STORE_OPEN_NOKEYS, c->lock_timeout * 1000, NULL, 0, &s)) ==
		    QS_OK) {
			char note[3 * 4096];

			/* A save cut between its two writes: complete it. */
			(void)store_keystore_complete(s, pass, passlen, note,
			    sizeof(note));
			if (note[0] != '\0') {
				fprintf(stderr, "qsarc: verify: ");
				cmd_output_text_str(stderr, note);
				fputc('\n', stderr);
			}
			rc = verify_keystores(s, pass, passlen, on_finding, o,
			    &kc);
		}
		store_close(s);
		s = NULL;
		if (rc != QS_OK && !(rc == QS_ECORRUPT &&
		    rebuild_index_damaged(root)))
			goto fail;
		qs_error_clear();
	}
	rc = store_open(root, STORE_LOCK_SHARED, c->lock_timeout * 1000, pass,
	    passlen, &s);
	cmd_passphrase_free(pass, passlen);
	pass = NULL;
	if (rc != QS_OK) {
		struct qs_error saved;

		qs_error_save(&saved);
		if (rc == QS_ECORRUPT && rebuild_index_damaged(root)) {
			qs_error_restore(&saved);
			vc->findings++;
			verify_error_finding(VERIFY_KIND_INDEX, NULL, rc,
			    on_finding, o);
			if (strstr(qs_error_message(), "--rebuild-index") !=
			    NULL)
				snprintf(error, errlen, "%s",
				    qs_error_message());
			else
				snprintf(error, errlen, "%s (rebuild it with "
				    "'qsarc verify %s --rebuild-index')",
				    qs_error_message(), root);
			status = EXIT_DAMAGE;
			goto out;
		}
		qs_error_restore(&saved);
		/*
		 * The primary keystore is damaged (reported above, with the
		 * passphrase known good from the backup copy).
		 */
		if (kc.keystore_damaged && (rc == QS_EPASS || rc == QS_EAUTH))
			rc = QS_ECORRUPT;
		goto fail;
	}
	if ((rc = cmd_options_latest(s, 0, names, vo->nnames)) != QS_OK) {
		store_close(s);
		goto fail;
	}
	/* The keys of the backup copy, or a stale primary: say so. */
	if (store_warning(s) != NULL && !kc.keystore_damaged) {
		fprintf(stderr, "qsarc: verify: warning: ");
		cmd_output_text_str(stderr, store_warning(s));
		fputc('\n', stderr);
	}
	rc = verify_store(s, vo, vc);
	store_close(s);
	o->ran = 1;
	vc->keystore_damaged = kc.keystore_damaged;
	vc->findings += kc.findings;
	if (rc != QS_OK)
		goto fail;
	status = vc->findings ? EXIT_DAMAGE : EXIT_OK;
	goto out;

fail:
	cmd_passphrase_free(pass, passlen);
	vc->keystore_damaged = kc.keystore_damaged;
	if (kc.findings > vc->findings)
		vc->findings = kc.findings;
	snprintf(error, errlen, "%s", qs_error_message()[0] ?
	    qs_error_message() : qs_err_string(rc));
	status = cmd_output_exit_code(rc);
	if (status == EXIT_OK)
		status = EXIT_ERROR;
out:
	return (status);
}

/* The parsed command line. */
struct verify_args {
	struct cmd_options c;
	int read_data;			/* --read-data or --read-data-subset */
	unsigned pct;			/* the percentage read */
	int rebuild;			/* --rebuild-index */
};

/* Parse into ${a}; -1 to go on, else the exit code (help, usage). */
static int
parse_args(int argc, char **argv, struct verify_args *a)
{
	static const struct option opts[] = {
		{ "read-data", no_argument, NULL, OPT_READ_DATA },
		{ "read-data-subset", required_argument, NULL,
		    OPT_READ_DATA_SUBSET },
		{ "rebuild-index", no_argument, NULL, OPT_REBUILD_INDEX },
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	int opt, r;

	memset(a, 0, sizeof(*a));
	cmd_options_init(&a->c);
	a->pct = 100;
	while ((opt = getopt_long(argc, argv, CMD_OPTIONS_SHORT, opts,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			return (cmd_help_print("verify"));
		case OPT_READ_DATA:
			a->read_data = 1;
			a->pct = 100;
			break;
		case OPT_READ_DATA_SUBSET:
			if (parse_percent(optarg, &a->pct) != 0)
				return (cmd_output_usage("verify",
				    "--read-data-subset needs a percentage "
				    "from 1%% to 100%%, not \"%s\"", optarg));
			a->read_data = 1;
			break;
		case OPT_REBUILD_INDEX:
			a->rebuild = 1;
			break;
		default:
			r = cmd_options_common("verify", &a->c, opt, optarg);
			if (r < 0)
				return (EXIT_USAGE);
			if (r == 0)
				return (cmd_options_unknown("verify", argv));
		}
	}
	if (argc - optind < 1)
		return (cmd_output_usage("verify", "expected a STORE"));
	if (a->rebuild && (argc - optind > 1 || a->read_data))
		return (cmd_output_usage("verify", "--rebuild-index takes "
		    "only the STORE"));
	return (-1);
}

/*
 * The text summary after the findings and streams: none with --quiet
 * unless damage was found; --verbose adds a line per figure and the time.
 */
static void
print_summary(const struct verify_counts *vc, int status,
    const struct cmd_options *c, double seconds)
{

	if (c->quiet && status != EXIT_DAMAGE)
		return;

	printf("checked %llu streams (%llu damaged), %llu containers "
	    "(%llu damaged), %llu index entries (%llu bad), %llu "
	    "chunk references; read %llu of %llu chunks (%llu "
	    "damaged, %llu bytes)\n",
	    (unsigned long long)vc->streams,
	    (unsigned long long)vc->streams_damaged,
	    (unsigned long long)vc->containers,
	    (unsigned long long)vc->containers_damaged,
	    (unsigned long long)vc->index_entries,
	    (unsigned long long)vc->index_entries_bad,
	    (unsigned long long)vc->references,
	    (unsigned long long)vc->chunks_read,
	    (unsigned long long)vc->chunks_total,
	    (unsigned long long)vc->chunks_damaged,
	    (unsigned long long)vc->bytes_read);
	if (status == EXIT_OK)
		printf("no damage found\n");
	else if (status == EXIT_DAMAGE)
		printf("DAMAGE FOUND: %llu problems\n",
		    (unsigned long long)vc->findings);
	if (!c->verbose)
		return;
	printf("streams checked: %llu, damaged: %llu\n",
	    (unsigned long long)vc->streams,
	    (unsigned long long)vc->streams_damaged);
	printf("containers checked: %llu, damaged: %llu\n",
	    (unsigned long long)vc->containers,
	    (unsigned long long)vc->containers_damaged);
	printf("index entries checked: %llu, bad: %llu\n",
	    (unsigned long long)vc->index_entries,
	    (unsigned long long)vc->index_entries_bad);
	printf("chunks read: %llu of %llu (%llu damaged), %llu bytes\n",
	    (unsigned long long)vc->chunks_read,
	    (unsigned long long)vc->chunks_total,
	    (unsigned long long)vc->chunks_damaged,
	    (unsigned long long)vc->bytes_read);
	printf("time: %.1f s\n", seconds);
}

/**
 * cmd_verify(argc, argv):
 * qsarc verify STORE [NAME...] [--read-data | --read-data-subset P]
 *     [--rebuild-index] [--json]
 */
int
cmd_verify(int argc, char **argv)
{
	struct cmd_progress *meter;
	struct cmd_options pc;
	struct verify_counts vc;
	struct verify_opts vo;
	struct verify_args a;
	struct vout o;
	const char *root, *mode;
	char error[QS_ERROR_MSG_MAX + 200];
	double t0;
	int r, status;

	if ((r = parse_args(argc, argv, &a)) >= 0)
		return (r);
	root = argv[optind];
	if ((r = cmd_options_names("verify", argv + optind + 1,
	    argc - optind - 1)) >= 0)
		return (r);
	memset(&o, 0, sizeof(o));
	o.json = a.c.json;
	o.quiet = a.c.quiet;
	if (a.rebuild)
		return (do_rebuild(root, &a.c, &o));

	memset(&vo, 0, sizeof(vo));
	vo.names = (const char *const *)(argv + optind + 1);
	vo.nnames = (size_t)(argc - optind - 1);
	vo.read_data = a.read_data;
	vo.read_percent = a.pct;
	vo.on_finding = on_finding;
	vo.on_stream = on_stream;
	vo.ctx = &o;
	mode = !a.read_data ? "none" : a.pct == 100 ? "all" : "subset";
	/* Findings and streams are printed as the checks go. */
	if (o.json) {
		printf("{");
		cmd_output_json_name(stdout, "store", root, strlen(root));
		printf(",\n \"findings\": [");
	}
	error[0] = '\0';
	t0 = cmd_clock_monotonic();
	/*
	 * Always a meter: SIGUSR1 asks it for a status line.  Only reading
	 * the data takes long enough for a progress line.
	 */
	pc = a.c;
	if (!a.read_data)
		pc.progress = 0;
	if ((meter = cmd_progress_start(&pc, "verify")) != NULL &&
	    a.read_data) {
		vo.on_progress = on_progress;
		vo.progress_ctx = meter;
	}
	o.meter = meter;
	status = do_verify(root, &a.c, &vo, argv + optind + 1, &o, &vc,
	    error, sizeof(error));
	cmd_progress_stop(meter);
	if (o.oom && status == EXIT_OK) {
		snprintf(error, sizeof(error), "out of memory");
		status = EXIT_ERROR;
	}
	if (o.json)
		json_end(&o, &vc, mode, a.read_data ? a.pct : 0, status,
		    error[0] ? error : NULL);
	if (error[0] != '\0') {
		fprintf(stderr, "qsarc: verify: ");
		cmd_output_text_str(stderr, error);
		fputc('\n', stderr);
	}
	if (!o.json && o.ran)
		print_summary(&vc, status, &a.c, cmd_clock_monotonic() - t0);
	for (size_t i = 0; i < o.nstreams; i++)
		free(o.streams[i].name);
	free(o.streams);
	fflush(stdout);
	/* The alert its help promises: damage found, or verify failed. */
	if (status == EXIT_DAMAGE && error[0] == '\0')
		snprintf(error, sizeof(error), "%llu finding(s); 'qsarc verify "
		    "%s' lists them", (unsigned long long)vc.findings, root);
	alerts_raise_after(cmd_alerts_env(), "verify", root, status,
	    error[0] ? error : NULL, NULL);
	return (status);
}
