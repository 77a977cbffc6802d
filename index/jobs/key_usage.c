#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "format/catalogue_fmt.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/jobs/key_usage.h"
#include "index/store/container_scan.h"
#include "index/store/manifest.h"
#include "index/store/store.h"

struct usage_ctx {
	struct store *s;
	uint64_t *bytes, *records;
	uint16_t target;
	int needs;		/* a record under another key was seen */
};

static int
usage_record(void *ctx, const struct scan_record *rec)
{
	struct usage_ctx *u = ctx;

	if (u->bytes != NULL) {
		u->bytes[rec->h.key_id & 1023] += rec->length;
		u->records[rec->h.key_id & 1023]++;
	}
	/*
	 * Unencrypted records (key 0) keep their ids under the plain id key
	 * until clean re-identifies and encrypts them; a mode change leaves
	 * them alone.
	 */
	if (rec->h.key_id != u->target && rec->h.key_id != 0)
		u->needs = 1;
	return (QS_OK);
}

/**
 * key_usage_container(s, container_id, target, bytes, records, other):
 * Add a container's record bytes and records per key id; flag others.
 */
int
key_usage_container(struct store *s, uint64_t container_id, uint16_t target,
    uint64_t *bytes, uint64_t *records, int *other)
{
	struct usage_ctx u = { s, bytes, records, target, 0 };
	int rc;

	if ((rc = container_scan(s, container_id, usage_record, &u)) !=
	    QS_OK)
		return (rc);
	if (u.needs)
		*other = 1;
	return (QS_OK);
}

static int
usage_container(void *ctx, uint64_t container_id)
{
	struct usage_ctx *u = ctx;

	return (container_scan(u->s, container_id, usage_record, u));
}

struct manifests_usage_ctx {
	struct store *s;
	uint64_t *count;
};

static int
manifest_usage(void *arg, const char *name, int expired)
{
	struct manifests_usage_ctx *m = arg;
	uint16_t key_id;
	int rc;

	if ((rc = manifest_key_id(m->s, name, expired, &key_id)) == QS_OK)
		m->count[key_id & 1023]++;
	return (rc);
}

static int
manifests_usage(struct store *s, uint64_t *count)
{
	struct manifests_usage_ctx m = { s, count };

	return (store_foreach_stream(s, STORE_STREAMS_ALL, manifest_usage,
	    &m));
}

/*
 * Add to ${count}[key id] the catalogue files sealed under each key: their
 * header is a manifest header with the catalogue magic.  A file that does
 * not open or decode seals nothing (verify reports it).
 */
static int
catalogues_usage(struct store *s, uint64_t *count)
{
	struct manifest_header h;
	uint8_t hdr[MANIFEST_HEADER_SIZE];
	char dir[4096], path[4400];
	struct dirent *de;
	DIR *d;
	FILE *f;
	int rc;

	if ((rc = store_path_catalogues(store_root(s), dir, sizeof(dir))) !=
	    QS_OK)
		return (rc);
	if ((d = opendir(dir)) == NULL)
		return (QS_OK);
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 36 ||
		    strcmp(de->d_name + 32, ".qct") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		if (fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr) &&
		    manifest_fmt_header_decode_magic(hdr, sizeof(hdr),
		    catalogue_fmt_magic(), &h) == QS_OK)
			count[h.key_id & 1023]++;
		fclose(f);
	}
	closedir(d);
	return (QS_OK);
}

/**
 * key_usage_collect(s, bytes, records, count):
 * Record bytes, records and manifests per key id.
 */
int
key_usage_collect(struct store *s, uint64_t *bytes, uint64_t *records,
    uint64_t *count)
{
	struct usage_ctx u = { s, bytes, records, 0, 0 };
	int rc;

	memset(bytes, 0, 1024 * sizeof(*bytes));
	memset(records, 0, 1024 * sizeof(*records));
	memset(count, 0, 1024 * sizeof(*count));
	if ((rc = container_scan_foreach(s, usage_container, &u)) != QS_OK)
		return (rc);
	/* Catalogues count as manifests: a key sealing one is in use. */
	if ((rc = catalogues_usage(s, count)) != QS_OK)
		return (rc);
	return (manifests_usage(s, count));
}
