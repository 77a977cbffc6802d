#ifndef QS_EXPIRE_H
#define QS_EXPIRE_H

/*
 * Expiry: a stream is expired by moving its manifest to expired/ (it can
 * still be read with --expired, and its chunks stay live for verify) and
 * deleted for good when clean purges expired/; only then do its chunks
 * become dead and reclaimable.
 */

#include <stddef.h>
#include <stdint.h>

struct store;

/*
 * The counted rules of a retention policy, as restic's forget has them:
 * keep the newest stream of each of the N most recent hours, days, ISO
 * weeks, months or years (UTC) that hold one; "last" is a bucket of its
 * own per stream (the N newest).
 */
enum {
	EXPIRE_LAST,
	EXPIRE_HOURLY,
	EXPIRE_DAILY,
	EXPIRE_WEEKLY,
	EXPIRE_MONTHLY,
	EXPIRE_YEARLY,
	EXPIRE_NCOUNTS
};

/* Which streams to keep; a stream no rule keeps is expired. */
struct expire_policy {
	const char *prefix;		/* only names starting so; NULL: all */
	long keep[EXPIRE_NCOUNTS];	/* N buckets per rule; -1: no rule */
	int64_t within;			/* seconds before the newest; -1 */
	int64_t older_than;		/* keep those put at most this many
					   seconds before now; -1: no rule */
};

#define EXPIRE_SHADOWED	(-1)
#define EXPIRE_BEYOND	(-2)

/* What the policy made of one stream. */
struct expire_verdict {
	char *name;
	int64_t created;		/* put time, unix seconds */
	int expired;			/* no rule keeps it */
	/*
	 * Per counted rule given: its bucket's number (1 the newest) if the
	 * rule keeps it, else EXPIRE_SHADOWED (a newer stream has its
	 * bucket) or EXPIRE_BEYOND (the rule's N buckets were used up); 0
	 * for a rule not given.
	 */
	long rank[EXPIRE_NCOUNTS];
	int within;			/* kept by policy.within */
	int newer;			/* kept by policy.older_than */
};

/**
 * expire_rule(s, policy, now, dry_run, verdicts, count):
 * Apply ${policy} to the live streams whose names start with its prefix,
 * newest first by put time (the same second: the later name is newer),
 * and expire (none with ${dry_run}) those no rule keeps.  Return one
 * verdict per stream considered, newest first (free with
 * expire_verdicts_free).  The put time is the manifest's, never the input's.
 */
int expire_rule(struct store *, const struct expire_policy *, int64_t, int,
    struct expire_verdict **, size_t *);

/**
 * expire_verdicts_free(v, count):
 * Free what expire_rule returned.  NULL is allowed.
 */
void expire_verdicts_free(struct expire_verdict *, size_t);

/**
 * expire_purge(s, dry_run, removed):
 * Delete the manifests of all expired streams (none with ${dry_run}) and add
 * their number to ${removed}.  Clean's step, under the exclusive lock.
 */
int expire_purge(struct store *, int, uint64_t *);

#endif /* !QS_EXPIRE_H */
