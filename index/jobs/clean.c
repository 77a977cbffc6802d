#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/chunkid.h"
#include "crypto/keystore.h"
#include "format/endian.h"
#include "format/fileio.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/tar/catalogue.h"
#include "index/tar/tarscan.h"
#include "index/chunk/chunkindex.h"
#include "index/jobs/clean.h"
#include "index/jobs/expire.h"
#include "index/store/container.h"
#include "index/store/chunk_reader.h"
#include "index/stream/pump.h"
#include "index/stream/put.h"
#include "index/jobs/key_usage.h"
#include "index/jobs/reseal.h"
#include "index/jobs/rewrite.h"
#include "index/store/container_scan.h"
#include "index/store/store.h"
#include "index/store/manifest.h"

/* 16 bits and 11 probes per live chunk: about 0.05% false positives. */
#define BLOOM_BITS	16
#define BLOOM_PROBES	11

/*
 * A Bloom filter of the live chunk ids.  Ids are keyed hashes, so their
 * bytes are uniform: probes come straight from them (double hashing over
 * two 64-bit words), no extra hashing.
 */
struct bloom {
	uint64_t *bits;
	uint64_t nbits;
};

static int
bloom_init(struct bloom *b, uint64_t entries)
{

	b->nbits = entries * BLOOM_BITS + 1024;
	if ((b->bits = calloc((size_t)(b->nbits / 64 + 1), 8)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory for the live "
		    "chunk filter (%llu entries)", (unsigned long long)entries));
	return (QS_OK);
}

static void
bloom_add(struct bloom *b, const uint8_t id[32])
{
	uint64_t h1 = le64dec(id), h2 = le64dec(id + 8) | 1;

	for (int i = 0; i < BLOOM_PROBES; i++) {
		uint64_t bit = (h1 + (uint64_t)i * h2) % b->nbits;

		b->bits[bit / 64] |= 1ULL << (bit % 64);
	}
}

static int
bloom_has(void *ctx, const uint8_t id[32])
{
	struct bloom *b = ctx;
	uint64_t h1 = le64dec(id), h2 = le64dec(id + 8) | 1;

	for (int i = 0; i < BLOOM_PROBES; i++) {
		uint64_t bit = (h1 + (uint64_t)i * h2) % b->nbits;

		if (!(b->bits[bit / 64] & (1ULL << (bit % 64))))
			return (0);
	}
	return (1);
}

struct plan_entry {
	uint64_t id;
	uint64_t size;		/* file bytes */
	uint64_t live_bytes;	/* bytes of live records */
	uint64_t plain_live;	/* bytes of live unencrypted records */
	int action;		/* 0 keep, 1 delete, 2 rewrite */
};

struct clean_ctx {
	struct store *s;
	const struct clean_opts *o;
	struct clean_result *res;
	struct bloom live;
	struct plan_entry *plan;
	size_t nplan, capplan;
	uint64_t *drop;		/* sorted ids of containers to forget */
	size_t ndrop;
	double start;
	uint64_t live_records[1024];
	uint64_t plain_manifests;	/* live manifests with key 0 */
};

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static int
out_of_time(struct clean_ctx *c)
{

	return (c->o->max_seconds > 0 &&
	    now_seconds() - c->start > c->o->max_seconds);
}

static void
progress(struct clean_ctx *c, const char *what, uint64_t done,
    uint64_t total)
{

	if (c->o->progress != NULL)
		c->o->progress(c->o->progress_ctx, what, done, total);
}

/* Bytes free on the store's file system. */
static int
free_space(struct clean_ctx *c, uint64_t *avail)
{
	struct statvfs sv;

	if (statvfs(store_root(c->s), &sv) != 0)
		return (qs_error_errno(store_root(c->s), "statvfs"));
	*avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	return (QS_OK);
}

/*
 * Whether ${bytes} of new data fit with ${after} bytes left for what
 * clean writes after them (a new index and stream set: the reserve's
 * size, store_reserve_target).
 */
static int
room_for(struct clean_ctx *c, uint64_t bytes, uint64_t after, int *fits)
{
	uint64_t avail = 0;
	int rc;

	if ((rc = free_space(c, &avail)) != QS_OK)
		return (rc);
	*fits = avail >= bytes + after;
	return (QS_OK);
}

/* Remove ".tmp-*" leftovers in one directory. */
static int
remove_tmp_in(struct clean_ctx *c, const char *dir)
{
	char path[4400];
	struct dirent *de;
	DIR *d;
	int rc = QS_OK;

	if ((d = opendir(dir)) == NULL)
		return (QS_OK);
	while ((de = readdir(d)) != NULL) {
		if (!fileio_is_tmp_name(de->d_name))
			continue;
		c->res->tmp_removed++;
		if (c->o->dry_run)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((rc = fileio_unlink(path)) != QS_OK)
			break;
	}
	closedir(d);
	return (rc);
}

static int
remove_leftovers(struct clean_ctx *c)
{
	const char *root = store_root(c->s);
	char path[4200];
	struct dirent *de;
	DIR *d;
	int rc;

	/* The store's own directory, then each of its fixed directories. */
	if ((rc = remove_tmp_in(c, root)) != QS_OK)
		return (rc);
	for (int i = 0; i < 5; i++) {
		if (i == 0)
			rc = store_path_index(root, path, sizeof(path));
		else if (i <= 2)
			rc = store_path_streams(root, i == 2, path,
			    sizeof(path));
		else if (i == 3)
			rc = store_path_data(root, path, sizeof(path));
		else
			rc = store_path_catalogues(root, path, sizeof(path));
		if (rc != QS_OK || (rc = remove_tmp_in(c, path)) != QS_OK)
			return (rc);
	}
	if ((rc = store_path_data(root, path, sizeof(path))) != QS_OK)
		return (rc);
	if ((d = opendir(path)) == NULL)
		return (QS_OK);
	rc = QS_OK;
	while (rc == QS_OK && (de = readdir(d)) != NULL) {
		char sub[4600];

		if (de->d_name[0] == '.' || strlen(de->d_name) != 2)
			continue;
		snprintf(sub, sizeof(sub), "%s/%.2s", path, de->d_name);
		rc = remove_tmp_in(c, sub);
	}
	closedir(d);
	return (rc);
}

/* Mark every chunk of every live stream.  A damaged manifest stops clean. */
static int
mark_live(struct clean_ctx *c)
{
	struct manifest_reader *mr;
	char **names;
	size_t n;
	uint64_t refs = 0, bound;
	const uint8_t *id;
	uint32_t raw_len;
	uint64_t off;
	int rc;

	if ((rc = store_list_streams(c->s, 0, &names, &n)) != QS_OK)
		return (rc);
	for (size_t i = 0; i < n; i++) {
		if ((rc = manifest_reader_open(c->s, names[i], 0, &mr)) !=
		    QS_OK)
			goto done;
		refs += manifest_reader_summary(mr)->chunk_count;
		manifest_reader_free(mr);
	}
	bound = chunkindex_count(store_index(c->s));
	if ((rc = bloom_init(&c->live, refs < bound ? refs : bound)) != QS_OK)
		goto done;
	for (size_t i = 0; i < n; i++) {
		uint16_t key_id;

		if ((rc = manifest_reader_open(c->s, names[i], 0, &mr)) !=
		    QS_OK)
			goto done;
		while ((rc = manifest_reader_next(mr, &id, &raw_len, &off)) ==
		    QS_OK)
			bloom_add(&c->live, id);
		manifest_reader_free(mr);
		if (rc != 1)
			goto done;
		if ((rc = manifest_key_id(c->s, names[i], 0, &key_id)) !=
		    QS_OK)
			goto done;
		if (key_id == 0)
			c->plain_manifests++;
		progress(c, "mark", i + 1, n);
	}
	rc = QS_OK;
done:
	if (rc != QS_OK && rc != QS_ENOMEM)
		qs_error_set(rc, "%s (clean stops: it cannot tell live data "
		    "from dead while a stream is damaged; run 'qsarc verify')",
		    qs_error_message());
	store_names_free(names, n);
	return (rc);
}

/*
 * Whether a record is referenced.  Unencrypted chunks (key 0) are named
 * with the plain id key and only unencrypted manifests name them, so once
 * none is left they are all dead, Bloom filter or not.
 */
static int
keep_live(void *ctx, const uint8_t id[32], uint16_t key_id)
{
	struct clean_ctx *c = ctx;

	if (key_id == 0 && c->plain_manifests == 0 &&
	    store_keystore(c->s) != NULL)
		return (0);
	return (bloom_has(&c->live, id));
}

struct scan_ctx {
	struct clean_ctx *c;
	struct plan_entry *pe;
};

static int
plan_record(void *ctx, const struct scan_record *rec)
{
	struct scan_ctx *sc = ctx;
	struct chunk_loc loc;

	if (chunkindex_lookup(store_index(sc->c->s), rec->h.chunk_id, &loc) !=
	    QS_OK || loc.container_id != sc->pe->id ||
	    loc.offset != rec->offset ||
	    !keep_live(sc->c, rec->h.chunk_id, rec->h.key_id))
		return (QS_OK);
	sc->pe->live_bytes += rec->length;
	if (rec->h.key_id == 0)
		sc->pe->plain_live += rec->length;
	sc->c->live_records[rec->h.key_id & 1023]++;
	return (QS_OK);
}

static int
plan_container(void *ctx, uint64_t container_id)
{
	struct clean_ctx *c = ctx;
	struct plan_entry *pe;
	struct scan_ctx sc;
	char path[4096];
	struct stat sb;
	int rc;

	if (c->nplan == c->capplan) {
		c->capplan = c->capplan ? c->capplan * 2 : 256;
		if ((pe = realloc(c->plan, c->capplan * sizeof(*pe))) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		c->plan = pe;
	}
	pe = &c->plan[c->nplan];
	memset(pe, 0, sizeof(*pe));
	pe->id = container_id;
	if ((rc = store_container_path(store_root(c->s), container_id, path,
	    sizeof(path))) != QS_OK)
		return (rc);
	if (stat(path, &sb) == 0)
		pe->size = (uint64_t)sb.st_size;
	sc.c = c;
	sc.pe = pe;
	if ((rc = container_scan(c->s, container_id, plan_record, &sc)) !=
	    QS_OK)
		return (qs_error_set(rc, "%s (clean stops; run 'qsarc verify')",
		    qs_error_message()));
	c->res->stored_before += pe->size;
	if (pe->live_bytes == 0) {
		pe->action = 1;
	} else {
		/* Header and trailer are not dead weight: a copy has them. */
		uint64_t body = pe->size > CONTAINER_HEADER_SIZE +
		    CONTAINER_TRAILER_SIZE ? pe->size - CONTAINER_HEADER_SIZE -
		    CONTAINER_TRAILER_SIZE : 0;

		if (body > pe->live_bytes && (double)(body - pe->live_bytes) >
		    c->o->rewrite_threshold * (double)body)
			pe->action = 2;
	}
	if (store_keystore(c->s) != NULL)
		c->res->plain_bytes += pe->plain_live;
	c->nplan++;
	return (QS_OK);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

struct emit_ctx {
	struct clean_ctx *c;
	int (*emit)(void *, const uint8_t[32], const struct chunk_loc *);
	void *emit_ctx;
	const uint64_t *drop;
	size_t ndrop;
	int filter_live;
};

static int
emit_live(void *ctx, const uint8_t id[32], const struct chunk_loc *loc)
{
	struct emit_ctx *e = ctx;

	if (e->filter_live && !bloom_has(&e->c->live, id))
		return (QS_OK);
	if (e->ndrop > 0 && bsearch(&loc->container_id, e->drop, e->ndrop,
	    sizeof(uint64_t), cmp_u64) != NULL)
		return (QS_OK);
	return (e->emit(e->emit_ctx, id, loc));
}

static int
gen_index(void *ctx, int (*emit)(void *, const uint8_t[32],
    const struct chunk_loc *), void *emit_ctx)
{
	struct emit_ctx *e = ctx;

	e->emit = emit;
	e->emit_ctx = emit_ctx;
	return (chunkindex_foreach(store_index(e->c->s), emit_live, e));
}

/*
 * Replace the index with the entries that pass the filter, then delete
 * the containers in ${drop} (which the new index no longer mentions).
 */
static int
reindex_and_drop(struct clean_ctx *c, const uint64_t *drop, size_t ndrop,
    int filter_live)
{
	struct emit_ctx e = { c, NULL, NULL, drop, ndrop, filter_live };
	char path[4096];
	int rc;

	if ((rc = chunkindex_replace_all(store_index(c->s), gen_index, &e)) !=
	    QS_OK)
		return (rc);
	for (size_t i = 0; i < ndrop; i++) {
		if ((rc = store_container_path(store_root(c->s), drop[i], path,
		    sizeof(path))) != QS_OK ||
		    (rc = fileio_unlink(path)) != QS_OK)
			return (rc);
	}
	return (QS_OK);
}

static int
reclaim(struct clean_ctx *c)
{
	struct container_writer *cw = NULL, *cw_plain = NULL;
	struct chunk_reader *r = NULL;
	struct rewrite_stats st;
	const uint8_t *key, *idkey;
	uint64_t copies = 0, after = 0;
	uint16_t key_id;
	size_t done = 0, todo = 0;
	int rc, fits, indexed = 0;

	/* Step 1: a plan per container (keep, delete, rewrite). */
	if ((rc = container_scan_foreach(c->s, plan_container, c)) != QS_OK)
		return (rc);
	/* Step 2: count what the plan reclaims (all a dry run does). */
	if ((c->drop = calloc(c->nplan + 1, sizeof(uint64_t))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	for (size_t i = 0; i < c->nplan; i++) {
		if (c->plan[i].action == 1) {
			c->drop[c->ndrop++] = c->plan[i].id;
			c->res->containers_deleted++;
			c->res->bytes_reclaimed += c->plan[i].size;
		} else if (c->plan[i].action == 2) {
			todo++;
			c->res->containers_rewritten++;
			/* The copy keeps the live records plus framing. */
			c->res->bytes_reclaimed += c->plan[i].size -
			    c->plan[i].live_bytes - CONTAINER_HEADER_SIZE -
			    CONTAINER_TRAILER_SIZE;
			copies += c->plan[i].live_bytes;
		}
	}
	qsort(c->drop, c->ndrop, sizeof(uint64_t), cmp_u64);
	if (c->o->dry_run)
		return (QS_OK);
	/*
	 * Step 2b: on a file system short of space, the deletions first:
	 * they write only a new index (which the reserve covers, and which a
	 * rewrite's copies could leave no room for), and the space they free
	 * is what the copies need.  Otherwise one index for both saves
	 * writing it twice.
	 */
	if (todo > 0 && (rc = store_reserve_target(store_root(c->s),
	    &after)) != QS_OK)
		return (rc);
	if (todo > 0 && c->ndrop > 0) {
		if ((rc = room_for(c, copies, after, &fits)) != QS_OK)
			return (rc);
		if (!fits) {
			if ((rc = reindex_and_drop(c, c->drop, c->ndrop, 1)) !=
			    QS_OK)
				return (rc);
			c->ndrop = 0;
			indexed = 1;
		}
	}

	/*
	 * Step 3: rewrite the containers the plan names.  Plain records
	 * that are still live stay plain (cw_plain): their ids are under
	 * the plain id key, so sealing them would not hide them; phase 2
	 * converts their streams instead.
	 */
	store_write_keys(c->s, &key_id, &key, &idkey);
	if ((rc = chunk_reader_new(c->s, &r)) != QS_OK ||
	    (rc = container_writer_new(c->s, key_id, key, &cw)) != QS_OK ||
	    (key_id != 0 && (rc = container_writer_new(c->s, 0, NULL,
	    &cw_plain)) != QS_OK))
		goto done;
	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < c->nplan; i++) {
		if (c->plan[i].action != 2)
			continue;
		if (out_of_time(c)) {
			c->res->stopped_early = 1;
			break;
		}
		/*
		 * A copy that does not fit waits for the next run (the
		 * space the deletions freed may be enough then): failing
		 * here would keep what the other containers reclaim.
		 */
		if ((rc = room_for(c, c->plan[i].live_bytes, after, &fits)) !=
		    QS_OK)
			goto done;
		if (!fits) {
			c->res->containers_rewritten--;
			c->res->rewrites_waiting++;
			continue;
		}
		/*
		 * The old container stays until the new index is durable:
		 * entries of its dead chunks still lead into it, and a put
		 * after a crash here would reference them.
		 */
		if ((rc = rewrite_container(c->s, c->plan[i].id, r, cw,
		    cw_plain, keep_live, c, 0, &st)) != QS_OK)
			goto done;
		c->drop[c->ndrop++] = c->plan[i].id;
		progress(c, "reclaim", ++done, todo);
	}
	/*
	 * Step 4: the index forgets dead chunks and dropped containers, then
	 * they go.
	 */
	qsort(c->drop, c->ndrop, sizeof(uint64_t), cmp_u64);
	if (indexed && c->ndrop == 0)
		rc = QS_OK;	/* step 2b's index is the one */
	else
		rc = reindex_and_drop(c, c->drop, c->ndrop, 1);
done:
	container_writer_free(cw);
	container_writer_free(cw_plain);
	chunk_reader_free(r);
	return (rc);
}

/*
 * Phase 2: data written before encryption was enabled.  Its chunks were
 * cut with the old gear table and named with the old id key, both of which
 * were on disk in the clear, so re-sealing them is not enough: each such
 * stream is read back and put again under the same name (new cuts, new
 * ids, sealed), replacing its manifest only once the new copy is complete
 * and checked; the plain chunks then become dead and phase 1, run again,
 * reclaims them.  New puts deduplicate against the converted data.
 */
static int
convert_stream(struct clean_ctx *c, struct store *rs, const char *name,
    int64_t created)
{
	struct put_result pr;
	struct put_opts po;
	struct tarscan *scan = NULL;
	int rc;

	memset(&po, 0, sizeof(po));
	/*
	 * A truncated tar already stored was accepted once (--allow-truncated):
	 * converting it must not refuse it now.
	 */
	if (c->o->catalogue &&
	    (rc = tarscan_attach(c->s, &po, 1, &scan)) != QS_OK)
		return (rc);
	po.replace = 1;
	rc = pump_copy(c->s, rs, name, &po, created, &pr);
	tarscan_detach(scan);
	return (rc);
}

/*
 * An upper bound on the new bytes converting stream ${name} writes: its
 * data again (the stored bytes of the plain records it references, at
 * most its length), plus padding and record headers, the manifest and the
 * index entries of its chunks.
 */
static int
conversion_need(struct clean_ctx *c, const char *name, uint64_t length,
    uint64_t chunks, uint64_t *need)
{
	struct manifest_reader *mr;
	struct chunk_loc loc;
	const uint8_t *id;
	uint32_t raw_len;
	uint64_t off, stored = 0;
	int rc;

	if ((rc = manifest_reader_open(c->s, name, 0, &mr)) != QS_OK)
		return (rc);
	while ((rc = manifest_reader_next(mr, &id, &raw_len, &off)) == QS_OK)
		if (chunkindex_lookup(store_index(c->s), id, &loc) == QS_OK)
			stored += loc.length;
		else
			stored += raw_len;
	manifest_reader_free(mr);
	if (rc != 1)
		return (rc);
	if (stored > length)
		stored = length;
	/* Padding adds at most 1/8 (PADME); 256 bytes a chunk for the rest. */
	*need = stored + stored / 8 + chunks * 256 + STORE_RESERVE_MIN;
	return (QS_OK);
}

static int reclaim_again(struct clean_ctx *);

/*
 * Reclaim what the conversions so far left dead, with a fresh reader
 * (a rewrite may have moved records the old one had indexed).
 */
static int
reclaim_between(struct clean_ctx *c, struct store **rs)
{
	uint64_t removed = 0;
	int rc;

	store_close(*rs);
	*rs = NULL;
	if ((rc = catalogue_remove_unreferenced(c->s, 0, &removed)) != QS_OK ||
	    (rc = reclaim_again(c)) != QS_OK)
		return (rc);
	c->res->catalogues_removed += removed;
	return (store_open_reader(c->s, rs));
}

static int
encrypt_old_data(struct clean_ctx *c, int *converted)
{
	struct manifest_reader *mr;
	struct store *rs = NULL;
	uint64_t need, length, chunks, avail, keep;
	int64_t created;
	uint16_t key_id;
	char **names;
	size_t n, done = 0, total = 0;
	int rc;

	/* Step 1: how many live streams are plain (for progress). */
	*converted = 0;
	if ((rc = store_list_streams(c->s, 0, &names, &n)) != QS_OK)
		return (rc);
	for (size_t i = 0; i < n; i++)
		if (manifest_key_id(c->s, names[i], 0, &key_id) == QS_OK &&
		    key_id == 0)
			total++;
	qs_error_clear();
	if (total == 0 || c->o->dry_run)
		goto done;
	/* A second handle: the pump reads with it in a thread of its own. */
	if ((rc = store_open_reader(c->s, &rs)) != QS_OK)
		goto done;
	/*
	 * Step 2: convert them one by one, each when its copy fits the space
	 * free (keeping room for the reserve, which clean makes again at its
	 * end).  When one does not fit, reclaim first what the conversions
	 * so far left dead: the space comes back in pieces, container by
	 * container, as each stream's plain chunks die.  A stream that still
	 * does not fit waits; smaller ones after it may not.
	 */
	for (size_t i = 0; i < n; i++) {
		if ((rc = manifest_key_id(c->s, names[i], 0, &key_id)) !=
		    QS_OK)
			goto done;
		if (key_id != 0)
			continue;
		if (out_of_time(c)) {
			c->res->stopped_early = 1;
			break;
		}
		if ((rc = manifest_reader_open(c->s, names[i], 0, &mr)) !=
		    QS_OK)
			goto done;
		created = manifest_reader_summary(mr)->created;
		length = manifest_reader_summary(mr)->length;
		chunks = manifest_reader_summary(mr)->chunk_count;
		manifest_reader_free(mr);
		if ((rc = conversion_need(c, names[i], length, chunks,
		    &need)) != QS_OK ||
		    (rc = store_reserve_target(store_root(c->s), &keep)) !=
		    QS_OK)
			goto done;
		need += keep;
		if ((rc = free_space(c, &avail)) != QS_OK)
			goto done;
		if (avail < need && *converted) {
			if ((rc = reclaim_between(c, &rs)) != QS_OK)
				goto done;
			*converted = 0;
			if ((rc = free_space(c, &avail)) != QS_OK)
				goto done;
		}
		if (avail < need) {
			c->res->encryption_waiting = 1;
			c->res->streams_waiting++;
			if (need > c->res->space_needed)
				c->res->space_needed = need;
			c->res->space_free = avail;
			continue;
		}
		if ((rc = convert_stream(c, rs, names[i], created)) != QS_OK)
			goto done;
		c->res->manifests_rewritten++;
		*converted = 1;
		progress(c, "encrypt", ++done, total);
	}
	rc = QS_OK;
done:
	store_close(rs);
	store_names_free(names, n);
	return (rc);
}

struct plain_left {
	int found;
};

static int
plain_record(void *ctx, const struct scan_record *rec)
{
	struct plain_left *pl = ctx;

	if (rec->h.key_id == 0) {
		pl->found = 1;
		return (1);
	}
	return (QS_OK);
}

static int
plain_container(void *ctx, uint64_t container_id)
{
	struct clean_ctx *c = ctx;
	struct plain_left pl = { 0 };
	int rc;

	rc = container_scan(c->s, container_id, plain_record, &pl);
	if (pl.found)
		return (1);
	return (rc);
}

/*
 * store_foreach_stream callback: 1 (stop) if ${name}'s manifest is plain,
 * or cannot be read (then it may be: keep the keys).
 */
static int
plain_manifest(void *ctx, const char *name, int expired)
{
	struct clean_ctx *c = ctx;
	uint16_t key_id;

	if (manifest_key_id(c->s, name, expired, &key_id) != QS_OK ||
	    key_id == 0)
		return (1);
	return (QS_OK);
}

/* Once no plain record or manifest is left, the plain keys can go. */
static int
drop_plain_keys_if_done(struct clean_ctx *c)
{
	int rc;

	if ((rc = container_scan_foreach(c->s, plain_container, c)) != QS_OK)
		return (rc == 1 ? QS_OK : rc);
	if ((rc = store_foreach_stream(c->s, STORE_STREAMS_ALL,
	    plain_manifest, c)) == 1) {
		qs_error_clear();
		return (QS_OK);
	}
	if (rc != QS_OK)
		return (rc);
	return (store_drop_plain_keys(c->s));
}

/* Phase 1 once more, keeping the counts of the first pass. */
static int
reclaim_again(struct clean_ctx *c)
{
	struct clean_result saved = *c->res;
	int rc;

	free(c->live.bits);
	free(c->plan);
	free(c->drop);
	c->live.bits = NULL;
	c->plan = NULL;
	c->drop = NULL;
	c->nplan = c->capplan = c->ndrop = 0;
	memset(c->live_records, 0, sizeof(c->live_records));
	c->plain_manifests = 0;
	c->res->plain_bytes = 0;
	c->res->stored_before = 0;
	if ((rc = mark_live(c)) != QS_OK || (rc = reclaim(c)) != QS_OK)
		return (rc);
	/* The plain bytes this pass still found were not converted. */
	c->res->bytes_encrypted = saved.plain_bytes > c->res->plain_bytes ?
	    saved.plain_bytes - c->res->plain_bytes : 0;
	c->res->stored_before = saved.stored_before;
	c->res->plain_bytes = saved.plain_bytes;
	return (QS_OK);
}

struct manifest_keys {
	struct store *s;
	uint64_t *count;	/* per key id */
};

/* store_foreach_stream callback: count ${name}'s key (unreadable: none). */
static int
count_manifest_key(void *ctx, const char *name, int expired)
{
	struct manifest_keys *mk = ctx;
	uint16_t key_id;

	if (manifest_key_id(mk->s, name, expired, &key_id) == QS_OK)
		mk->count[key_id & 1023]++;
	return (QS_OK);
}

static int
retire_keys(struct clean_ctx *c)
{
	struct keystore *ks = store_keystore(c->s);
	struct keystore_key_info ki;
	struct manifest_keys mk;
	uint64_t *bytes, *records, *manifests;
	int rc;

	if (ks == NULL)
		return (QS_OK);
	if ((bytes = calloc(3 * 1024, sizeof(*bytes))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	records = bytes + 1024;
	manifests = bytes + 2048;
	mk.s = c->s;
	mk.count = manifests;
	if (c->o->dry_run) {
		/* What is live now is what a real run would leave. */
		memcpy(records, c->live_records, sizeof(c->live_records));
		rc = store_foreach_stream(c->s, STORE_STREAMS_LIVE,
		    count_manifest_key, &mk);
	} else {
		rc = key_usage_collect(c->s, bytes, records, manifests);
	}
	if (rc != QS_OK)
		goto done;
	for (size_t i = keystore_key_count(ks); i-- > 0;) {
		if (keystore_key_info(ks, i, &ki) != QS_OK ||
		    ki.id == keystore_current_id(ks) ||
		    records[ki.id] != 0 || manifests[ki.id] != 0)
			continue;
		c->res->retired[c->res->keys_retired++] = ki.id;
		if (!c->o->dry_run && (rc = keystore_retire(ks, ki.id)) !=
		    QS_OK)
			goto done;
	}
	if (!c->o->dry_run && c->res->keys_retired > 0)
		rc = store_keystore_save(c->s, NULL, 0);
done:
	free(bytes);
	return (rc);
}

static uint64_t
stored_bytes(struct store *s)
{
	struct store_container_stats cs;

	if (store_container_stats(s, &cs) != QS_OK)
		return (0);
	return (cs.stored_bytes);
}

/*
 * store_foreach_stream callback: rewrite a manifest of an older version
 * than a new one would be (version 1, 0.1.0: frames not bound to their
 * file; version 2 when sealed: frames not padded; spec/FORMAT.md 6.1) in
 * the current version, with its catalogue, if it is under the key a new
 * one would be written with,
 * so that nothing else about it changes (which key protects it, which id
 * key names its chunks).  Others are left for a mode change or, plain
 * streams of an encrypted store, the conversion of step 2.
 */
static int
upgrade_one(void *ctx, const char *name, int expired)
{
	struct clean_ctx *c = ctx;
	struct manifest_header h;
	const uint8_t *key, *idkey;
	uint16_t key_id;
	int rc;

	if ((rc = manifest_header_get(c->s, name, expired, &h)) != QS_OK)
		return (rc);
	store_write_keys(c->s, &key_id, &key, &idkey);
	if (h.key_id != key_id || h.version == (key_id != 0 ?
	    MANIFEST_VERSION_PADDED : MANIFEST_VERSION))
		return (QS_OK);
	if (out_of_time(c)) {
		c->res->stopped_early = 1;
		return (1);
	}
	if (!c->o->dry_run && (rc = reseal_manifest(c->s, name, expired)) !=
	    QS_OK)
		return (rc);
	c->res->manifests_upgraded++;
	return (QS_OK);
}

static int
upgrade_manifests(struct clean_ctx *c)
{
	int rc;

	rc = store_foreach_stream(c->s, STORE_STREAMS_ALL, upgrade_one, c);
	return (rc == 1 ? QS_OK : rc);
}

/*
 * Make the reserve again at the end (also after a failure, so the next
 * run has it), at the size the store now needs, or with what is free if
 * that is less (reserve_missing: not at full size); the command's own
 * error stays the one reported.
 */
static void
reserve_restore(struct clean_ctx *c)
{
	const char *root = store_root(c->s);
	struct qs_error saved;
	uint64_t want = 0, avail = 0;
	int rc;

	qs_error_save(&saved);
	if ((rc = store_reserve_target(root, &want)) == QS_OK &&
	    (rc = store_reserve_make(root, want, 0)) == 1 &&
	    free_space(c, &avail) == QS_OK) {
		/* Short of room: what is free, rather than none. */
		avail = avail / (64 << 10) * (64 << 10);
		if (avail >= (64 << 10) && avail < want)
			(void)store_reserve_make(root, avail, 0);
	}
	if (rc != QS_OK)
		c->res->reserve_missing = 1;
	qs_error_restore(&saved);
}

/**
 * clean_store(s, opts, res):
 * Run clean on store ${s} (opened exclusively).
 */
int
clean_store(struct store *s, const struct clean_opts *o,
    struct clean_result *res)
{
	struct clean_ctx c;
	uint64_t removed = 0;
	int converted = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.o = o;
	c.res = res;
	c.start = now_seconds();

	/*
	 * Step 0: the reserve goes first: on a full file system its space is
	 * what the writes before the first deletion (stream set, new index)
	 * use.
	 */
	if (!o->dry_run && (rc = store_reserve_release(store_root(s))) !=
	    QS_OK)
		goto done;
	/*
	 * Step 1 (phase 1, reclaim): leftovers, live marks, expired streams
	 * and their catalogues, then the containers.  Expired manifests go
	 * after the marking, so their chunks are not marked live.
	 */
	if ((rc = remove_leftovers(&c)) != QS_OK ||
	    (rc = mark_live(&c)) != QS_OK ||
	    (rc = expire_purge(s, o->dry_run, &res->expired_removed)) !=
	    QS_OK ||
	    (rc = catalogue_remove_unreferenced(s, o->dry_run,
	    &res->catalogues_removed)) != QS_OK ||
	    (rc = reclaim(&c)) != QS_OK)
		goto done;
	/* Step 1b: manifests written by 0.1.0 become version 2. */
	if (!res->stopped_early) {
		if ((rc = upgrade_manifests(&c)) != QS_OK)
			goto done;
		/* Their old catalogues are no longer named. */
		if (res->manifests_upgraded > 0 && !o->dry_run &&
		    (rc = catalogue_remove_unreferenced(s, 0, &removed)) !=
		    QS_OK)
			goto done;
		res->catalogues_removed += removed;
		removed = 0;
	}
	/* Step 2 (phase 2): encrypt data written before encryption. */
	if (store_keystore(s) != NULL && !res->stopped_early) {
		if ((rc = encrypt_old_data(&c, &converted)) != QS_OK)
			goto done;
		/* What the conversion left dead goes now. */
		if (converted && ((rc = catalogue_remove_unreferenced(s,
		    o->dry_run, &removed)) != QS_OK ||
		    (rc = reclaim_again(&c)) != QS_OK))
			goto done;
		res->catalogues_removed += removed;
		if (!o->dry_run && !res->encryption_waiting &&
		    !res->stopped_early &&
		    (rc = drop_plain_keys_if_done(&c)) != QS_OK)
			goto done;
	}
	/* Step 3 (phase 3): content keys that protect nothing any more. */
	if (!res->stopped_early && (rc = retire_keys(&c)) != QS_OK)
		goto done;
	/* Step 4: compact what the rewrites added, so the index stays small. */
	if (!o->dry_run && (rc = chunkindex_compact(store_index(s))) != QS_OK)
		goto done;
	/* Step 5: the totals; a dry run can only estimate. */
	if (o->dry_run)
		res->stored_after = res->stored_before - res->bytes_reclaimed;
	else
		res->stored_after = stored_bytes(s);
	if (!o->dry_run)
		res->bytes_reclaimed = res->stored_before > res->stored_after ?
		    res->stored_before - res->stored_after : 0;
done:
	/* Step 6: the reserve again, once the work has freed what it could. */
	if (!o->dry_run)
		reserve_restore(&c);
	res->seconds = now_seconds() - c.start;
	free(c.live.bits);
	free(c.plan);
	free(c.drop);
	return (rc);
}
