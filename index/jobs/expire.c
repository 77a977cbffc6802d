#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/fileio.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "format/streamset_fmt.h"
#include "index/jobs/expire.h"
#include "index/store/manifest.h"
#include "index/store/store.h"

static int
expire_cmp(const void *a, const void *b)
{
	const struct expire_verdict *x = a, *y = b;

	/*
	 * Newest first.  Put times are whole seconds; streams put in the
	 * same second are ordered by name, the later name counting as newer
	 * (dated names such as srv-2026-11-28 sort that way).
	 */
	if (x->created != y->created)
		return (x->created > y->created ? -1 : 1);
	return (-strcmp(x->name, y->name));
}

/*
 * The bucket of put time ${t} under counted rule ${rule}; ${nr} (the
 * stream's place, newest first) for "last", where each stream is its own.
 * UTC, so that a bucket does not depend on the machine's zone or move at
 * a daylight-saving change.
 */
static int64_t
expire_bucket(int rule, int64_t t, size_t nr)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char week[16];

	if (rule == EXPIRE_LAST || gmtime_r(&tt, &tm) == NULL)
		return ((int64_t)nr);
	switch (rule) {
	case EXPIRE_HOURLY:
		return ((((int64_t)tm.tm_year * 100 + tm.tm_mon) * 100 +
		    tm.tm_mday) * 100 + tm.tm_hour);
	case EXPIRE_DAILY:
		return (((int64_t)tm.tm_year * 100 + tm.tm_mon) * 100 +
		    tm.tm_mday);
	case EXPIRE_WEEKLY:
		/* ISO 8601 week and its year, as restic (Go's ISOWeek). */
		if (strftime(week, sizeof(week), "%G%V", &tm) == 0)
			return ((int64_t)nr);
		return (strtoll(week, NULL, 10));
	case EXPIRE_MONTHLY:
		return ((int64_t)tm.tm_year * 100 + tm.tm_mon);
	default:
		return ((int64_t)tm.tm_year);
	}
}

/**
 * expire_verdicts_free(v, count):
 * Free the verdicts of expire_rule.
 */
void
expire_verdicts_free(struct expire_verdict *v, size_t n)
{

	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/**
 * expire_rule(s, policy, now, dry_run, verdicts, count):
 * Apply the policy; expire the streams no rule keeps; return the verdicts.
 */
int
expire_rule(struct store *s, const struct expire_policy *pol, int64_t now,
    int dry_run, struct expire_verdict **outp, size_t *noutp)
{
	struct manifest_reader *mr;
	struct expire_verdict *v = NULL;
	char **names = NULL;
	size_t n = 0, m = 0;
	int64_t last[EXPIRE_NCOUNTS];
	long left[EXPIRE_NCOUNTS], used[EXPIRE_NCOUNTS];
	int have_last[EXPIRE_NCOUNTS];
	int rc;

	if ((rc = store_list_streams(s, 0, &names, &n)) != QS_OK)
		return (rc);
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if (pol->prefix != NULL &&
		    strncmp(names[i], pol->prefix, strlen(pol->prefix)) != 0)
			continue;
		/* Put time from the manifest, never from the input. */
		if ((rc = manifest_reader_open(s, names[i], 0, &mr)) != QS_OK)
			goto done;
		v[m].created = manifest_reader_summary(mr)->created;
		manifest_reader_free(mr);
		/* The verdict owns the name from here. */
		v[m].name = names[i];
		names[i] = NULL;
		m++;
	}
	qsort(v, m, sizeof(*v), expire_cmp);
	for (int r = 0; r < EXPIRE_NCOUNTS; r++) {
		left[r] = pol->keep[r];
		used[r] = 0;
		have_last[r] = 0;
	}
	/*
	 * restic's forget: going from the newest, a counted rule keeps a
	 * stream whose bucket differs from the previous stream's while it
	 * has buckets left, so it keeps the newest stream of each of its N
	 * most recent buckets.  Every rule sees every stream; one that any
	 * rule keeps stays.
	 */
	for (size_t i = 0; i < m; i++) {
		int keep = 0;

		for (int r = 0; r < EXPIRE_NCOUNTS; r++) {
			int64_t b;

			if (pol->keep[r] < 0)
				continue;
			b = expire_bucket(r, v[i].created, i);
			if (have_last[r] && b == last[r]) {
				v[i].rank[r] = EXPIRE_SHADOWED;
				continue;
			}
			if (left[r] == 0) {
				v[i].rank[r] = EXPIRE_BEYOND;
				continue;
			}
			last[r] = b;
			have_last[r] = 1;
			left[r]--;
			v[i].rank[r] = ++used[r];
			keep = 1;
		}
		/* Within AGE of the newest stream, not of now (restic). */
		if (pol->within >= 0 && v[0].created - v[i].created <=
		    pol->within)
			keep = v[i].within = 1;
		if (pol->older_than >= 0 && now - v[i].created <=
		    pol->older_than)
			keep = v[i].newer = 1;
		v[i].expired = !keep;
	}
	for (size_t i = 0; i < m; i++) {
		if (v[i].expired && !dry_run &&
		    (rc = store_expire(s, v[i].name)) != QS_OK)
			goto done;
	}
	*outp = v;
	*noutp = m;
	v = NULL;
	rc = QS_OK;
done:
	expire_verdicts_free(v, m);
	store_names_free(names, n);
	return (rc);
}

struct purge_ctx {
	struct store *s;
	int dry_run;
	uint64_t *removed;
};

static int
purge_op(void *path)
{

	return (fileio_unlink(path));
}

static int
purge_one(void *ctx, const char *name, int expired)
{
	struct purge_ctx *pc = ctx;
	char path[4096];
	int rc;

	(*pc->removed)++;
	if (pc->dry_run)
		return (QS_OK);
	if ((rc = store_stream_path(pc->s, name, expired, path,
	    sizeof(path))) != QS_OK)
		return (rc);
	/* The set forgets the stream around the unlink. */
	return (store_streamset_change(pc->s, name, STREAMSET_ABSENT, NULL,
	    purge_op, path));
}

/**
 * expire_purge(s, dry_run, removed):
 * Delete the manifests of all expired streams; count them in ${removed}.
 */
int
expire_purge(struct store *s, int dry_run, uint64_t *removed)
{
	struct purge_ctx pc = { s, dry_run, removed };

	return (store_foreach_stream(s, STORE_STREAMS_EXPIRED, purge_one, &pc));
}
