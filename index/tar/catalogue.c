#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "crypto/chunkid.h"
#include "crypto/random.h"
#include "format/endian.h"
#include "format/fileio.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/tar/catalogue.h"
#include "index/store/framefile.h"
#include "index/store/store.h"
#include "index/store/manifest.h"

/*
 * Member frames are zstd-compressed: names and owners repeat a lot (a
 * tree's catalogue shrinks about tenfold), and the catalogue is the one
 * per-stream file that does not deduplicate.
 */
#define FRAME_FLAG_ZSTD	0x01
#define CATALOGUE_ZSTD_LEVEL	3

struct catalogue_writer {
	struct store *store;
	struct framefile_writer *fw;
	uint8_t id[16];
	uint8_t *pt;
	uint8_t *zbuf;
	size_t used;
	uint32_t count;
	uint64_t members;
};

struct catalogue_reader {
	struct framefile_reader *fr;
	struct catalogue_end end;
	uint8_t *raw;			/* a decompressed member frame */
	const uint8_t *pt;
	size_t len, pos;
	uint32_t left;
	uint64_t seen;
};

/**
 * catalogue_writer_new(s, cw):
 * Start a new catalogue file under a fresh random id.
 */
int
catalogue_writer_new(struct store *s, struct catalogue_writer **cwp)
{
	struct catalogue_writer *cw;
	char path[4096];
	int rc;

	if ((cw = calloc(1, sizeof(*cw))) == NULL ||
	    (cw->pt = malloc(MANIFEST_FRAME_MAX)) == NULL ||
	    (cw->zbuf = malloc(MANIFEST_FRAME_MAX)) == NULL) {
		if (cw != NULL)
			free(cw->pt);
		free(cw);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	cw->store = s;
	random_bytes(cw->id, sizeof(cw->id));
	if ((rc = store_path_catalogues(store_root(s), path, sizeof(path))) !=
	    QS_OK || (rc = fileio_mkdir(path, STORE_MODE_DIR)) != QS_OK ||
	    (rc = store_path_catalogue(store_root(s), cw->id, path,
	    sizeof(path))) != QS_OK ||
	    (rc = framefile_writer_new(s, path, catalogue_fmt_magic(), 0,
	    &cw->fw)) != QS_OK) {
		catalogue_writer_free(cw);
		return (rc);
	}
	cw->used = 8;
	*cwp = cw;
	return (QS_OK);
}

/*
 * A member frame: type, flags, 2 reserved, count u32, then the members;
 * with FRAME_FLAG_ZSTD, the raw length u32 and one zstd frame of them.
 * The members may take up to MANIFEST_FRAME_MAX - 12 bytes raw, so the
 * frame (compressed, or raw when that is not smaller) always fits.
 */
static int
writer_flush(struct catalogue_writer *cw)
{
	size_t raw = cw->used - 8, z;
	int rc;

	if (cw->count == 0)
		return (QS_OK);
	memset(cw->zbuf, 0, 12);
	cw->zbuf[0] = MANIFEST_FRAME_MEMBERS;
	le32enc(cw->zbuf + 4, cw->count);
	z = ZSTD_compress(cw->zbuf + 12, MANIFEST_FRAME_MAX - 12, cw->pt + 8,
	    raw, CATALOGUE_ZSTD_LEVEL);
	if (!ZSTD_isError(z) && z < raw) {
		cw->zbuf[1] = FRAME_FLAG_ZSTD;
		le32enc(cw->zbuf + 8, (uint32_t)raw);
		rc = framefile_writer_frame(cw->fw, cw->zbuf, 12 + z, 0);
	} else {
		memcpy(cw->zbuf + 8, cw->pt + 8, raw);
		rc = framefile_writer_frame(cw->fw, cw->zbuf, 8 + raw, 0);
	}
	cw->used = 8;
	cw->count = 0;
	return (rc);
}

/**
 * catalogue_writer_add(cw, m):
 * Append member ${m}.
 */
int
catalogue_writer_add(struct catalogue_writer *cw, const struct catalogue_member *m)
{
	size_t len;
	int rc;

	if (catalogue_fmt_member_encode(m, cw->pt + cw->used,
	    MANIFEST_FRAME_MAX - 4 - cw->used, &len) != QS_OK) {
		if ((rc = writer_flush(cw)) != QS_OK)
			return (rc);
		if (catalogue_fmt_member_encode(m, cw->pt + cw->used,
		    MANIFEST_FRAME_MAX - 4 - cw->used, &len) != QS_OK)
			return (qs_error_set(QS_EINVAL, "member too large"));
	}
	cw->used += len;
	cw->count++;
	cw->members++;
	return (QS_OK);
}

/**
 * catalogue_writer_commit(cw, end, id, hash):
 * Write the final frame, commit, return the id and file hash.
 */
int
catalogue_writer_commit(struct catalogue_writer *cw,
    const struct catalogue_end *end, uint8_t id[16], uint8_t hash[32])
{
	struct framefile_writer *fw;
	struct catalogue_end e = *end;
	size_t len;
	int rc;

	e.members = cw->members;
	if ((rc = writer_flush(cw)) != QS_OK)
		goto done;
	if (catalogue_fmt_end_encode(&e, cw->pt, MANIFEST_FRAME_MAX, &len) !=
	    QS_OK) {
		rc = qs_error_set(QS_EINVAL, "catalogue message too long");
		goto done;
	}
	if ((rc = framefile_writer_frame(cw->fw, cw->pt, len, 1)) != QS_OK)
		goto done;
	fw = cw->fw;
	cw->fw = NULL;
	if ((rc = framefile_writer_commit(fw, hash)) == QS_OK)
		memcpy(id, cw->id, 16);
done:
	catalogue_writer_free(cw);
	return (rc);
}

/**
 * catalogue_writer_free(cw):
 * Abandon an uncommitted catalogue.
 */
void
catalogue_writer_free(struct catalogue_writer *cw)
{

	if (cw == NULL)
		return;
	framefile_writer_free(cw->fw);
	free(cw->pt);
	free(cw->zbuf);
	free(cw);
}

/* Decompress the member frame in cr->pt; point cr->pt at the result. */
static int
reader_inflate(struct catalogue_reader *cr)
{
	size_t raw, n;

	if (cr->raw == NULL &&
	    (cr->raw = malloc(MANIFEST_FRAME_MAX)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if (cr->len < 12 || (raw = le32dec(cr->pt + 8)) >
	    MANIFEST_FRAME_MAX - 12)
		goto bad;
	/* The 8-byte frame header, then the members, as if never packed. */
	memcpy(cr->raw, cr->pt, 8);
	n = ZSTD_decompress(cr->raw + 8, raw, cr->pt + 12, cr->len - 12);
	if (ZSTD_isError(n) || n != raw)
		goto bad;
	cr->pt = cr->raw;
	cr->len = 8 + raw;
	return (QS_OK);
bad:
	return (qs_error_set(QS_ECORRUPT, "%s: damaged compressed member "
	    "frame", framefile_reader_path(cr->fr)));
}

/**
 * catalogue_reader_open(s, summary, cr):
 * Open the catalogue a manifest summary names.
 */
int
catalogue_reader_open(struct store *s, const struct manifest_summary *sum,
    struct catalogue_reader **crp)
{
	struct catalogue_reader *cr;
	uint8_t hash[32];
	const uint8_t *pt;
	char path[4096];
	size_t len;
	int rc;

	if (!(sum->features & MANIFEST_FEATURE_CATALOGUE))
		return (qs_error_set(QS_ENOENT, "stream \"%s\" has no member "
		    "catalogue (not a tar stream, or put with --no-catalog)",
		    sum->name));
	if ((rc = store_path_catalogue(store_root(s),
	    sum->catalogue_id, path, sizeof(path))) !=
	    QS_OK)
		return (rc);
	if ((cr = calloc(1, sizeof(*cr))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = framefile_reader_open(s, path, catalogue_fmt_magic(),
	    &cr->fr)) != QS_OK) {
		if (rc == QS_ENOENT)
			rc = qs_error_set(QS_ECORRUPT, "%s: the catalogue of "
			    "stream \"%s\" is missing", path, sum->name);
		goto err;
	}
	/*
	 * The whole file against the sealed summary, through the descriptor
	 * its frames will be read from, before any member is used.
	 */
	if ((rc = framefile_reader_hash(cr->fr, hash)) != QS_OK)
		goto err;
	if (!chunkid_equal(hash, sum->catalogue_hash)) {
		rc = qs_error_set(QS_ECORRUPT, "%s: does not match the "
		    "hash in the manifest of \"%s\" (damaged or replaced)",
		    path, sum->name);
		goto err;
	}
	framefile_reader_final(cr->fr, &pt, &len);
	if ((rc = catalogue_fmt_end_decode(pt, len, &cr->end)) != QS_OK) {
		qs_error_set(rc, "%s: damaged final record", path);
		goto err;
	}
	*crp = cr;
	return (QS_OK);

err:
	catalogue_reader_free(cr);
	return (rc);
}

/**
 * catalogue_reader_open_stream(s, name, expired, cr):
 * Open the catalogue of stream ${name}.
 */
int
catalogue_reader_open_stream(struct store *s, const char *name, int expired,
    struct catalogue_reader **crp)
{
	struct manifest_reader *mr;
	struct manifest_summary *sum;
	int rc;

	/* A summary is ~400 bytes: not on the stack of deep callers. */
	if ((sum = malloc(sizeof(*sum))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = manifest_reader_open(s, name, expired, &mr)) == QS_OK) {
		*sum = *manifest_reader_summary(mr);
		manifest_reader_free(mr);
		rc = catalogue_reader_open(s, sum, crp);
	}
	free(sum);
	return (rc);
}

/**
 * catalogue_reader_end(cr):
 * The catalogue's final record.
 */
const struct catalogue_end *
catalogue_reader_end(const struct catalogue_reader *cr)
{

	return (&cr->end);
}

/**
 * catalogue_reader_next(cr, m):
 * The next member, or 1 after the last.
 */
int
catalogue_reader_next(struct catalogue_reader *cr, struct catalogue_member *m)
{
	size_t used;
	int rc;

	while (cr->left == 0) {
		if (cr->pt != NULL && cr->pos != cr->len)
			return (qs_error_set(QS_ECORRUPT, "%s: trailing bytes "
			    "in a member frame",
			    framefile_reader_path(cr->fr)));
		if ((rc = framefile_reader_next(cr->fr, &cr->pt, &cr->len)) ==
		    1) {
			if (cr->seen != cr->end.members)
				return (qs_error_set(QS_ECORRUPT, "%s: %llu "
				    "members, the final record says %llu",
				    framefile_reader_path(cr->fr),
				    (unsigned long long)cr->seen,
				    (unsigned long long)cr->end.members));
			return (1);
		}
		if (rc != QS_OK)
			return (rc);
		if (cr->len < 8 || cr->pt[0] != MANIFEST_FRAME_MEMBERS ||
		    (cr->pt[1] & ~FRAME_FLAG_ZSTD) != 0 || cr->pt[2] != 0 ||
		    cr->pt[3] != 0 || (cr->left = le32dec(cr->pt + 4)) == 0)
			return (qs_error_set(QS_ECORRUPT, "%s: malformed "
			    "member frame", framefile_reader_path(cr->fr)));
		cr->pos = 8;
		if (cr->pt[1] & FRAME_FLAG_ZSTD) {
			if ((rc = reader_inflate(cr)) != QS_OK)
				return (rc);
		}
	}
	if (catalogue_fmt_member_decode(cr->pt + cr->pos, cr->len - cr->pos, m,
	    &used) != QS_OK)
		return (qs_error_set(QS_ECORRUPT, "%s: malformed member",
		    framefile_reader_path(cr->fr)));
	cr->pos += used;
	cr->left--;
	cr->seen++;
	return (QS_OK);
}

/**
 * catalogue_reader_free(cr):
 * Free ${cr}; NULL is allowed.
 */
void
catalogue_reader_free(struct catalogue_reader *cr)
{

	if (cr == NULL)
		return;
	framefile_reader_free(cr->fr);
	free(cr->raw);
	free(cr);
}

static int
id_cmp(const void *a, const void *b)
{

	return (memcmp(a, b, 16));
}

/* The catalogue ids that manifests name, 16 bytes each. */
struct id_set {
	struct store *s;
	uint8_t *ids;
	size_t n, cap;
};

/* store_foreach_stream callback: add the catalogue id ${name} names. */
static int
collect_id(void *ctx, const char *name, int expired)
{
	struct id_set *is = ctx;
	struct manifest_reader *mr;
	const struct manifest_summary *sum;
	uint8_t *nids;
	int rc = QS_OK;

	if ((rc = manifest_reader_open(is->s, name, expired, &mr)) != QS_OK)
		return (rc);
	sum = manifest_reader_summary(mr);
	if (sum->features & MANIFEST_FEATURE_CATALOGUE) {
		if (is->n == is->cap) {
			is->cap = is->cap ? is->cap * 2 : 64;
			if ((nids = realloc(is->ids, is->cap * 16)) == NULL) {
				rc = qs_error_set(QS_ENOMEM, "out of memory");
				goto done;
			}
			is->ids = nids;
		}
		memcpy(is->ids + 16 * is->n++, sum->catalogue_id, 16);
	}
done:
	manifest_reader_free(mr);
	return (rc);
}

/**
 * catalogue_remove_unreferenced(s, dry_run, removed):
 * Delete catalogue files that no manifest names.
 */
int
catalogue_remove_unreferenced(struct store *s, int dry_run, uint64_t *removed)
{
	struct id_set is = { s, NULL, 0, 0 };
	uint8_t id[16];
	char dir[4096], path[4400];
	struct dirent *de;
	DIR *d;
	int rc;

	*removed = 0;
	if ((rc = store_foreach_stream(s, STORE_STREAMS_ALL, collect_id,
	    &is)) != QS_OK)
		goto done;
	if (is.n > 1)
		qsort(is.ids, is.n, 16, id_cmp);
	if ((rc = store_path_catalogues(store_root(s), dir, sizeof(dir))) !=
	    QS_OK)
		goto done;
	if ((d = opendir(dir)) == NULL)
		goto done;
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 36 ||
		    strcmp(de->d_name + 32, ".qct") != 0)
			continue;
		for (int i = 0; i < 16; i++) {
			unsigned v;

			if (sscanf(de->d_name + 2 * i, "%2x", &v) != 1)
				break;
			id[i] = (uint8_t)v;
		}
		if (is.n > 0 && bsearch(id, is.ids, is.n, 16, id_cmp) != NULL)
			continue;
		(*removed)++;
		if (dry_run)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((rc = fileio_unlink(path)) != QS_OK)
			break;
	}
	closedir(d);
done:
	free(is.ids);
	return (rc);
}
