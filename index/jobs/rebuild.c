#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/fileio.h"
#include "format/qs_err.h"
#include "index/chunk/chunkindex.h"
#include "index/jobs/rebuild.h"
#include "index/jobs/verify.h"
#include "index/store/container.h"
#include "index/store/container_scan.h"
#include "index/store/store.h"

/* Prefix of segment files set aside by rebuild_open. */
#define QUARANTINE_PREFIX	"damaged-"

/**
 * rebuild_index_damaged(root):
 * Non-zero if the index at ${root} cannot be opened because of damage.
 */
int
rebuild_index_damaged(const char *root)
{
	struct chunkindex *idx;
	char path[4096];
	int rc;

	if (store_path_index(root, path, sizeof(path)) != QS_OK) {
		qs_error_clear();
		return (0);
	}
	if ((rc = chunkindex_open(path, &idx)) == QS_OK) {
		chunkindex_close(idx);
		qs_error_clear();
		return (0);
	}
	if (rc == QS_ECORRUPT || rc == QS_EVERSION)
		return (1);
	qs_error_clear();
	return (0);
}

/* Take the store lock exclusively on a descriptor of our own. */
static int
lock_exclusive(const char *root, int timeout_ms, int *fdp)
{
	char path[4096], info[256];
	int fd, rc;

	if ((rc = store_path_lock(root, path, sizeof(path))) != QS_OK)
		return (rc);
	if ((rc = fileio_open_regular(path, O_RDWR, &fd)) != QS_OK)
		return (rc);
	if ((rc = fileio_flock_wait(fd, 1, timeout_ms, path)) != QS_OK) {
		close(fd);
		if (rc != QS_EBUSY)
			return (rc);
		store_lock_holder(root, info, sizeof(info));
		return (qs_error_set(QS_EBUSY, "%s: store is busy%s%s; "
		    "waited %d s", root, info[0] ? ": " : "", info,
		    timeout_ms / 1000));
	}
	*fdp = fd;
	return (QS_OK);
}

/* Rename every segment file of ${root}/index to "damaged-NAME". */
static int
quarantine_segments(const char *root, uint64_t *count)
{
	char dir[4096], from[4400], to[4400];
	struct dirent *de;
	DIR *d;
	int rc = QS_OK;

	if ((rc = store_path_index(root, dir, sizeof(dir))) != QS_OK)
		return (rc);
	if ((d = opendir(dir)) == NULL)
		return (qs_error_errno(dir, "open directory"));
	while (rc == QS_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || fileio_is_tmp_name(de->d_name) ||
		    strncmp(de->d_name, QUARANTINE_PREFIX,
		    strlen(QUARANTINE_PREFIX)) == 0)
			continue;
		snprintf(from, sizeof(from), "%s/%s", dir, de->d_name);
		snprintf(to, sizeof(to), "%s/%s%s", dir, QUARANTINE_PREFIX,
		    de->d_name);
		if ((rc = fileio_rename(from, to)) == QS_OK)
			(*count)++;
	}
	closedir(d);
	return (rc);
}

/* Remove the files quarantine_segments set aside. */
static int
quarantine_remove(const char *root)
{
	char dir[4096], path[4400];
	struct dirent *de;
	DIR *d;
	int rc = QS_OK;

	if ((rc = store_path_index(root, dir, sizeof(dir))) != QS_OK)
		return (rc);
	if ((d = opendir(dir)) == NULL)
		return (qs_error_errno(dir, "open directory"));
	while (rc == QS_OK && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, QUARANTINE_PREFIX,
		    strlen(QUARANTINE_PREFIX)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rc = fileio_unlink(path);
	}
	closedir(d);
	return (rc);
}

/**
 * rebuild_open(root, timeout_ms, s, res):
 * Open the store exclusively without keys, setting a damaged index aside.
 */
int
rebuild_open(const char *root, int timeout_ms, struct store **sp,
    struct rebuild_result *res)
{
	struct stat sb;
	char path[4096];
	int fd = -1, rc, rc2;

	memset(res, 0, sizeof(*res));
	rc = store_open(root, STORE_LOCK_EXCLUSIVE | STORE_OPEN_NOKEYS,
	    timeout_ms, NULL, 0, sp);
	if (rc != QS_ECORRUPT && rc != QS_EVERSION && rc != QS_ENOENT)
		return (rc);
	if ((rc2 = store_path_index(root, path, sizeof(path))) != QS_OK)
		return (rc2);
	if (rc == QS_ENOENT) {
		/* Only a missing index directory is ours to fix. */
		if (stat(root, &sb) != 0 || stat(path, &sb) == 0 ||
		    errno != ENOENT)
			return (rc);
		if ((rc2 = store_path_config(root, path, sizeof(path))) !=
		    QS_OK)
			return (rc2);
		if (access(path, F_OK) != 0)
			return (rc);
	} else {
		struct qs_error saved;

		qs_error_save(&saved);
		if (!rebuild_index_damaged(root)) {
			qs_error_restore(&saved);
			return (rc);
		}
	}
	/*
	 * Set the index aside under the lock (so no reader has it mapped),
	 * then let go: until the rebuild, the store just has an empty index,
	 * which readers report as missing chunks and writers fill anew.
	 */
	if ((rc2 = lock_exclusive(root, timeout_ms, &fd)) != QS_OK)
		return (rc2);
	if ((rc2 = store_path_index(root, path, sizeof(path))) == QS_OK) {
		if (rc == QS_ENOENT)
			rc2 = fileio_mkdir(path, STORE_MODE_DIR);
		else
			rc2 = quarantine_segments(root,
			    &res->segments_quarantined);
	}
	close(fd);
	if (rc2 != QS_OK)
		return (rc2);
	return (store_open(root, STORE_LOCK_EXCLUSIVE | STORE_OPEN_NOKEYS,
	    timeout_ms, NULL, 0, sp));
}

/* One record found by the rebuild scan. */
struct rentry {
	uint8_t id[32];
	uint64_t container_id;
	uint32_t offset;
	uint32_t length;
	uint8_t damaged;	/* found in a damaged container */
};

struct rctx_build {
	struct store *s;
	struct rentry *e;
	size_t n, cap;
	uint64_t cid;		/* the container being scanned */
	void (*cb)(void *, const struct verify_finding *);
	void *ctx;
	struct rebuild_result *res;
};

static int
rebuild_record_cb(void *ctx, const struct scan_record *rec)
{
	struct rctx_build *b = ctx;
	struct rentry *ne;

	/* container_scan checked the header; offsets fit in 32 bits. */
	if (rec->offset > UINT32_MAX || rec->offset + rec->length >
	    ((uint64_t)1 << 32))
		return (QS_ECORRUPT);
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 4096;

		if (ncap > SIZE_MAX / sizeof(*b->e) ||
		    (ne = realloc(b->e, ncap * sizeof(*ne))) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		b->e = ne;
		b->cap = ncap;
	}
	ne = &b->e[b->n++];
	memcpy(ne->id, rec->h.chunk_id, 32);
	ne->container_id = b->cid;
	ne->offset = (uint32_t)rec->offset;
	ne->length = rec->length;
	ne->damaged = 0;
	return (QS_OK);
}

static int
rebuild_container_cb(void *ctx, uint64_t cid)
{
	struct rctx_build *b = ctx;
	struct verify_finding f;
	char msg[QS_ERROR_MSG_MAX + 128], path[4096];
	int64_t off;
	size_t mark = b->n;
	int rc;

	b->res->containers++;
	b->cid = cid;
	qs_error_clear();
	if ((rc = container_scan(b->s, cid, rebuild_record_cb, b)) == QS_OK) {
		b->res->records += b->n - mark;
		return (QS_OK);
	}
	if (rc == QS_ENOMEM)
		return (rc);
	b->res->containers_damaged++;
	b->res->records += b->n - mark;
	b->res->salvaged += b->n - mark;
	for (size_t i = mark; i < b->n; i++)
		b->e[i].damaged = 1;
	snprintf(msg, sizeof(msg), "%s", qs_error_message()[0] ?
	    qs_error_message() : qs_err_string(rc));
	verify_detail_location(msg, path, sizeof(path), &off);
	if (path[0] == '\0')
		(void)store_container_path(store_root(b->s), cid, path,
		    sizeof(path));
	snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
	    " (damaged container: %zu records before the damage kept, the "
	    "rest skipped)", b->n - mark);
	if (b->cb != NULL) {
		f.kind = VERIFY_KIND_CONTAINER;
		f.stream = NULL;
		f.expired = 0;
		f.path = path;
		f.offset = off;
		f.code = rc;
		f.message = msg;
		b->cb(b->ctx, &f);
	}
	return (QS_OK);
}

/* By id; then undamaged first; then the newest (highest) container. */
static int
rentry_cmp(const void *pa, const void *pb)
{
	const struct rentry *a = pa, *b = pb;
	int c;

	if ((c = memcmp(a->id, b->id, 32)) != 0)
		return (c);
	if (a->damaged != b->damaged)
		return (a->damaged < b->damaged ? -1 : 1);
	if (a->container_id != b->container_id)
		return (a->container_id > b->container_id ? -1 : 1);
	return (a->offset < b->offset ? -1 : a->offset > b->offset);
}

static int
rebuild_gen(void *ctx, int (*emit_entry)(void *, const uint8_t[32],
    const struct chunk_loc *), void *ectx)
{
	struct rctx_build *b = ctx;
	struct chunk_loc loc;
	int rc;

	for (size_t i = 0; i < b->n; i++) {
		if (i > 0 && memcmp(b->e[i].id, b->e[i - 1].id, 32) == 0) {
			b->res->duplicates++;
			continue;
		}
		loc.container_id = b->e[i].container_id;
		loc.offset = b->e[i].offset;
		loc.length = b->e[i].length;
		if ((rc = emit_entry(ectx, b->e[i].id, &loc)) != QS_OK)
			return (rc);
		b->res->entries++;
	}
	return (QS_OK);
}

/**
 * rebuild_index(s, on_warning, ctx, res):
 * Rebuild the chunk index of ${s} from its containers.
 */
int
rebuild_index(struct store *s,
    void (*cb)(void *, const struct verify_finding *), void *ctx,
    struct rebuild_result *res)
{
	struct rctx_build b;
	int rc;

	memset(&b, 0, sizeof(b));
	b.s = s;
	b.cb = cb;
	b.ctx = ctx;
	b.res = res;
	res->containers = res->containers_damaged = res->records = 0;
	res->salvaged = res->duplicates = res->entries = 0;
	if ((rc = container_scan_foreach(s, rebuild_container_cb, &b)) !=
	    QS_OK)
		goto done;
	if (b.n > 1)
		qsort(b.e, b.n, sizeof(*b.e), rentry_cmp);
	if ((rc = chunkindex_replace_all(store_index(s), rebuild_gen, &b)) !=
	    QS_OK)
		goto done;
	rc = quarantine_remove(store_root(s));
done:
	free(b.e);
	return (rc);
}
