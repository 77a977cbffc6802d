/*
 * Comparing member bytes between streams: chunk ids first, hashes where
 * the ids cannot tell.
 */

#include <stdlib.h>
#include <string.h>

#include "crypto/checksum.h"
#include "format/qs_err.h"
#include "index/stream/get.h"
#include "index/store/manifest.h"
#include "index/tar/contents.h"

struct contents_ref {
	uint64_t offset;
	uint8_t id[32];
};

struct contents_refs {
	struct contents_ref *r;
	size_t n;
	uint64_t length;		/* of the stream */
};

/**
 * contents_refs_load(s, name, expired, refs):
 * The chunk references of stream ${name} into a new ${refs}.
 */
int
contents_refs_load(struct store *s, const char *name, int expired,
    struct contents_refs **refsp)
{
	struct manifest_reader *mr;
	struct contents_refs *refs;
	const uint8_t *id;
	uint64_t count, offset;
	uint32_t len;
	int rc;

	if ((rc = manifest_reader_open(s, name, expired, &mr)) != QS_OK)
		return (rc);
	count = manifest_reader_summary(mr)->chunk_count;
	if ((refs = calloc(1, sizeof(*refs))) == NULL ||
	    count > SIZE_MAX / sizeof(*refs->r) ||
	    (refs->r = malloc((size_t)(count + 1) * sizeof(*refs->r))) ==
	    NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto err;
	}
	while ((rc = manifest_reader_next(mr, &id, &len, &offset)) == QS_OK) {
		/* The summary's count is checked at the end; never trust it. */
		if (refs->n == count) {
			rc = qs_error_set(QS_ECORRUPT, "stream \"%s\": more "
			    "references than its summary says", name);
			goto err;
		}
		refs->r[refs->n].offset = offset;
		memcpy(refs->r[refs->n].id, id, 32);
		refs->n++;
		refs->length = offset + len;
	}
	if (rc != 1)
		goto err;
	manifest_reader_free(mr);
	*refsp = refs;
	return (QS_OK);
err:
	manifest_reader_free(mr);
	contents_refs_free(refs);
	return (rc);
}

/**
 * contents_refs_free(refs):
 * Free ${refs}; NULL is allowed.
 */
void
contents_refs_free(struct contents_refs *refs)
{

	if (refs == NULL)
		return;
	free(refs->r);
	free(refs);
}

/* The index of the chunk of ${refs} holding byte ${pos} (< its length). */
static size_t
chunk_at(const struct contents_refs *refs, uint64_t pos)
{
	size_t lo = 0, hi = refs->n;

	/* The last chunk starting at or before ${pos}. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (refs->r[mid].offset <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return (lo);
}

/* The length of chunk ${i} of ${refs}. */
static uint64_t
chunk_len(const struct contents_refs *refs, size_t i)
{

	return ((i + 1 < refs->n ? refs->r[i + 1].offset : refs->length) -
	    refs->r[i].offset);
}

/**
 * contents_diff_span(a, astart, b, bstart, len, lo, hi):
 * 1 if the ranges lie in the same chunks at the same places; else 0 and
 * the span [${lo}, ${hi}) (relative to the starts) outside which they do.
 */
int
contents_diff_span(const struct contents_refs *a, uint64_t astart,
    const struct contents_refs *b, uint64_t bstart, uint64_t len,
    uint64_t *lo, uint64_t *hi)
{
	uint64_t front = 0, back = len, aend = astart + len, bend = bstart + len;
	size_t i, j;

	if (len == 0)
		return (1);
	*lo = 0;
	*hi = len;
	if (a->n == 0 || b->n == 0 || astart >= a->length ||
	    a->length - astart < len || bstart >= b->length ||
	    b->length - bstart < len)
		return (0);
	/*
	 * From the front: the chunks holding the first bytes, at the same
	 * place in them, then chunk for chunk while the ids agree (equal ids
	 * are equal bytes, so equal lengths, and the next ones line up).
	 */
	i = chunk_at(a, astart);
	j = chunk_at(b, bstart);
	if (astart - a->r[i].offset == bstart - b->r[j].offset) {
		while (i < a->n && j < b->n &&
		    memcmp(a->r[i].id, b->r[j].id, 32) == 0) {
			front = a->r[i].offset + chunk_len(a, i) - astart;
			if (front >= len)
				return (1);
			i++;
			j++;
		}
	}
	/*
	 * From the back the same way, the ends lined up: an edit in the
	 * middle of a big member, or a new header before its data (a new
	 * mtime), leaves only the chunks around it to read.
	 */
	i = chunk_at(a, aend - 1);
	j = chunk_at(b, bend - 1);
	if (a->r[i].offset + chunk_len(a, i) - aend ==
	    b->r[j].offset + chunk_len(b, j) - bend) {
		while (back > front &&
		    memcmp(a->r[i].id, b->r[j].id, 32) == 0) {
			back = a->r[i].offset > astart ? a->r[i].offset -
			    astart : 0;
			if (i == 0 || j == 0)
				break;
			i--;
			j--;
		}
	}
	if (back <= front)
		return (1);
	*lo = front;
	*hi = back;
	return (0);
}

/* A range and where its digest goes, sorted by start for get_ranges. */
struct sorted {
	struct byte_range r;
	size_t slot;
};

static int
sorted_cmp(const void *x, const void *y)
{
	const struct sorted *a = x, *b = y;

	return (a->r.start < b->r.start ? -1 : a->r.start > b->r.start);
}

struct digest_ctx {
	struct checksum_state st;
	const struct sorted *order;
	uint8_t (*digests)[32];
	size_t cur;		/* the range being hashed; SIZE_MAX: none */
};

/* Finish the digest of the range being hashed. */
static void
digest_close(struct digest_ctx *dc)
{

	if (dc->cur != SIZE_MAX)
		checksum_final(&dc->st, dc->digests[dc->order[dc->cur].slot]);
	dc->cur = SIZE_MAX;
}

static int
digest_sink(void *ctx, size_t idx, const uint8_t *buf, size_t len)
{
	struct digest_ctx *dc = ctx;

	if (idx != dc->cur) {
		digest_close(dc);
		checksum_init(&dc->st);
		dc->cur = idx;
	}
	checksum_update(&dc->st, buf, len);
	return (0);
}

/**
 * contents_digests(s, name, expired, ranges, n, digests):
 * The BLAKE2b-256 of the bytes of each range into ${digests}.
 */
int
contents_digests(struct store *s, const char *name, int expired,
    const struct byte_range *ranges, size_t n, uint8_t (*digests)[32])
{
	struct digest_ctx dc;
	struct get_result res;
	struct byte_range *rs = NULL;
	struct sorted *order;
	int rc;

	if (n == 0)
		return (QS_OK);
	if ((order = calloc(n, sizeof(*order))) == NULL ||
	    (rs = calloc(n, sizeof(*rs))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		order[i].r = ranges[i];
		order[i].slot = i;
	}
	qsort(order, n, sizeof(*order), sorted_cmp);
	for (size_t i = 0; i < n; i++)
		rs[i] = order[i].r;
	dc.order = order;
	dc.digests = digests;
	dc.cur = SIZE_MAX;
	rc = get_ranges(s, name, expired, rs, n, digest_sink, &dc, &res);
	digest_close(&dc);
done:
	free(rs);
	free(order);
	return (rc);
}
