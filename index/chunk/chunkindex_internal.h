#ifndef QS_CHUNKINDEX_INTERNAL_H
#define QS_CHUNKINDEX_INTERNAL_H

/*
 * What chunkindex.c (read half) and chunkindex_write.c (write half) share:
 * the tuning constants, the handle, mapped segments, the k-way merge, and
 * the helpers chunkindex.c defines for the write half.  Nobody else
 * includes this.
 */

#include <stddef.h>
#include <stdint.h>

#include "format/qs_err.h"
#include "format/segment.h"

/*
 * Tuning constants; spec/index.md explains the choices.  The Bloom
 * parameters are written into every segment header, so changing them only
 * affects new segments.
 */
#define BLOOM_BITS_PER_ENTRY	10	/* ~0.96% false positives with k=6 */
#define BLOOM_K			6
#define WRITE_BUF_SIZE		(1024 * 1024)
#define RUN_ENTRIES_DEFAULT	((size_t)1 << 20)
#define STAGE_MAX		((size_t)UINT32_MAX - 1)
#define SEGMENT_MODE		0600
#define RELEASE_CHUNK		((uint64_t)4 << 20)	/* see merge_next */
#define NAME_LEN		33	/* "seg-" 16 hex "-" 8 hex ".qsi" */

/* One mapped segment file. */
struct chunkindex_seg {
	char *path;
	const char *name;		/* points into path */
	uint8_t *map;
	size_t maplen;
	struct segment_header h;
	const uint8_t *ents;
	const uint8_t *bloom;
	uint64_t nblocks;
};

struct chunkindex {
	char *dir;
	struct chunkindex_seg **segs;	/* live segments, oldest first */
	size_t nsegs;
	char **dead;			/* obsolete segment paths to unlink */
	size_t ndead;
	uint64_t next_seq;
	size_t run_entries;

	/* Stage: dense array of encoded entries plus a hash of indices. */
	uint8_t *st_ents;
	size_t st_n;
	size_t st_cap;
	uint32_t *st_tab;		/* index + 1; 0 is empty */
	size_t st_tabcap;		/* power of two, or 0 */
};

/*
 * k-way merge over sorted sources; for equal ids the source with the
 * highest rank (the newest) wins and the others are skipped.  Each source
 * is checked to be strictly increasing as it is consumed.
 */
struct chunkindex_msrc {
	const uint8_t *base;
	const uint32_t *perm;		/* or NULL */
	const struct chunkindex_seg *seg; /* for messages; NULL: the stage */
	uint64_t n, i;
	size_t rank;
	const uint8_t *cur;
	uint64_t released;		/* map bytes [0, released) dropped */
};

struct chunkindex_merge {
	struct chunkindex_msrc *src;
	size_t nsrc;
	size_t *heap;
	size_t nh;
	const uint8_t *last;
};

/**
 * chunkindex_enomem():
 * Record and return QS_ENOMEM ("out of memory").
 */
static inline int
chunkindex_enomem(void)
{

	return (qs_error_set(QS_ENOMEM, "out of memory"));
}

/**
 * chunkindex_bloom_block(id, nblocks):
 * The Bloom filter block (of ${nblocks}) that holds the bits of ${id}:
 * floor(prefix * nblocks / 2^64), prefix being id[0..8) big-endian
 * (spec/index.md, "Bloom filter").
 */
uint64_t chunkindex_bloom_block(const uint8_t *, uint64_t);

/**
 * chunkindex_seg_map(path, name_seq, out):
 * Map the segment at ${path} (ownership of the string passes to the
 * segment, also on failure) and validate its header and size.  If
 * ${name_seq} is non-NULL the header's sequence number must equal it.
 */
int chunkindex_seg_map(char *, const uint64_t *, struct chunkindex_seg **);

/**
 * chunkindex_seg_free(s):
 * Unmap and free segment ${s}; NULL is allowed.
 */
void chunkindex_seg_free(struct chunkindex_seg *);

/**
 * chunkindex_seg_advise(s, advice):
 * madvise(2) the whole mapping of ${s}; failure is harmless.
 */
void chunkindex_seg_advise(struct chunkindex_seg *, int);

/**
 * chunkindex_push_ptr(arr, n, p):
 * Append ${p} to the array ${arr} of ${n} pointers.
 */
int chunkindex_push_ptr(void ***, size_t *, void *);

/**
 * chunkindex_stage_slot(idx, id, found):
 * The hash slot of ${id} in the stage of ${idx}: its slot (${found} = 1)
 * or the empty slot it would take (${found} = 0).  The table must exist.
 */
size_t chunkindex_stage_slot(const struct chunkindex *, const uint8_t *,
    int *);

/**
 * chunkindex_stage_sort(idx, permp):
 * Return in ${permp} a new array of the staged entries' indices in id
 * order (O(n) for uniform ids, O(n log n) for crafted ones).
 */
int chunkindex_stage_sort(const struct chunkindex *, uint32_t **);

/**
 * chunkindex_merge_init(m, segs, n, extra):
 * Set up the merge ${m} over segs[0..n) (rank = position) plus the
 * optional source ${extra} (ranked newest).
 */
int chunkindex_merge_init(struct chunkindex_merge *,
    struct chunkindex_seg *const *, size_t, const struct chunkindex_msrc *);

/**
 * chunkindex_merge_reset(c):
 * Restart the merge ${c} (a struct chunkindex_merge) from the first entry.
 */
void chunkindex_merge_reset(void *);

/**
 * chunkindex_merge_next(c, out):
 * Set ${out} to the merge's next entry and return 1; 0 at the end;
 * QS_ECORRUPT if a source is not strictly increasing.
 */
int chunkindex_merge_next(void *, const uint8_t **);

/**
 * chunkindex_merge_free(m):
 * Free what chunkindex_merge_init allocated.
 */
void chunkindex_merge_free(struct chunkindex_merge *);

#endif /* !QS_CHUNKINDEX_INTERNAL_H */
