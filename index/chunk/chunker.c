#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/qs_err.h"
#include "index/chunk/chunker.h"

/*
 * See spec/chunker.md.  In short, with bits = log2(avg_size):
 *
 *   h = 0; for i = min_size, min_size + 1, ..., n - 1 (n = min(len, max)):
 *       h = (h << 1) + gear[buf[i]]               (mod 2^64)
 *       if (h & (i < avg_size ? mask_s : mask_l)) == 0: cut after byte i
 *
 * mask_s has the top (bits + 2) bits of the word set, mask_l the top
 * (bits - 2) bits.  We use the top bits rather than FastCDC's spread masks:
 * with a left-shifting gear hash, bit k of h depends on the last k + 1 bytes
 * only, so the top bits see the longest window (about 64 bytes) and the
 * mask is trivially reproducible by other implementations.
 */

struct chunker {
	uint64_t gear[256];
	uint64_t mask_s;	/* stricter mask, used before avg_size */
	uint64_t mask_l;	/* looser mask, used from avg_size on */
	size_t min_size, avg_size, max_size;
};

/**
 * chunker_params_check(p):
 * Return QS_OK if ${p}->avg_size is a power of two, 1 KiB <= min_size <
 * avg_size < max_size <= 16 MiB and max_size >= 2 * avg_size; otherwise
 * record a detail with qs_error_set() and return QS_EINVAL.
 */
int
chunker_params_check(const struct chunker_params *p)
{

	if (p == NULL)
		return (qs_error_set(QS_EINVAL, "chunker: no parameters"));
	if (p->avg_size == 0 || (p->avg_size & (p->avg_size - 1)) != 0)
		return (qs_error_set(QS_EINVAL,
		    "chunker: average size %lu is not a power of two",
		    (unsigned long)p->avg_size));
	if (p->min_size < CHUNKER_MIN_LIMIT || p->min_size >= p->avg_size ||
	    p->avg_size >= p->max_size || p->max_size > CHUNKER_MAX_LIMIT)
		return (qs_error_set(QS_EINVAL, "chunker: sizes min %lu, "
		    "avg %lu, max %lu must satisfy 1 KiB <= min < avg < max "
		    "<= 16 MiB", (unsigned long)p->min_size,
		    (unsigned long)p->avg_size, (unsigned long)p->max_size));
	/* avg_size <= 8 MiB here, so 2 * avg_size cannot overflow. */
	if (p->max_size < 2 * p->avg_size)
		return (qs_error_set(QS_EINVAL, "chunker: max size %lu is less "
		    "than twice the average size %lu",
		    (unsigned long)p->max_size, (unsigned long)p->avg_size));
	return (QS_OK);
}

/* Return a mask with the top ${n} bits of a 64-bit word set, 0 < n < 64. */
static uint64_t
top_bits(unsigned int n)
{

	return (~(uint64_t)0 << (64 - n));
}

/**
 * chunker_new(p, table):
 * Return a chunker holding copies of the parameters ${p} and the 256-entry
 * gear ${table}, or NULL on ENOMEM or if chunker_params_check(${p}) fails
 * (the error detail is recorded).  Free it with chunker_free().
 */
struct chunker *
chunker_new(const struct chunker_params *p, const uint64_t table[256])
{
	struct chunker *c;
	unsigned int bits;

	if (chunker_params_check(p) != QS_OK)
		goto err0;
	if ((c = malloc(sizeof(*c))) == NULL) {
		qs_error_set(QS_ENOMEM, "chunker: out of memory");
		goto err0;
	}
	memcpy(c->gear, table, sizeof(c->gear));
	/* avg_size is a power of two in [2 KiB, 8 MiB]: bits in [11, 23]. */
	for (bits = 0; ((uint32_t)1 << bits) < p->avg_size; bits++)
		continue;
	c->mask_s = top_bits(bits + 2);
	c->mask_l = top_bits(bits - 2);
	c->min_size = p->min_size;
	c->avg_size = p->avg_size;
	c->max_size = p->max_size;
	return (c);

err0:
	return (NULL);
}

/**
 * chunker_free(c):
 * Wipe the gear table copy in ${c} and free ${c}.  ${c} may be NULL.
 */
void
chunker_free(struct chunker *c)
{
	volatile uint64_t *g;
	size_t i;

	if (c == NULL)
		return;
	/*
	 * The table is derived from the store's chunker secret.  libsodium is
	 * not used in index/, so wipe through a volatile pointer (which, like
	 * any zeroing, is no guarantee the value is gone from memory).
	 */
	g = c->gear;
	for (i = 0; i < 256; i++)
		g[i] = 0;
	free(c);
}

/*
 * Scan ${p}[i .. end) continuing the gear hash in *${hp}; return the chunk
 * length (index of the matching byte + 1) at the first byte whose updated
 * hash has no bit of ${mask} set, or 0 if none does.
 */
static inline size_t
scan(const uint64_t *restrict gear, const uint8_t *restrict p, size_t i,
    size_t end, uint64_t mask, uint64_t *hp)
{
	uint64_t h = *hp;

	for (; i < end; i++) {
		h = (h << 1) + gear[p[i]];
		if ((h & mask) == 0) {
			*hp = h;
			return (i + 1);
		}
	}
	*hp = h;
	return (0);
}

/**
 * chunker_find_cut(c, buf, len, final):
 * ${buf} starts at a chunk boundary.  Return the length of the first chunk
 * in ${buf}: the end of the first cut point found in ${buf}[0 .. min(${len},
 * max_size)), or max_size if ${len} >= max_size and there is no cut point.
 * If there is no cut point and ${len} < max_size, return ${len} when
 * ${final} is non-zero (the remaining bytes are the last chunk, even when
 * shorter than min_size), else 0 meaning "give me more bytes".  Never
 * returns 0 when ${final} != 0 and ${len} > 0.  The result does not depend
 * on how the stream was split into calls, so callers may feed any amount;
 * since the scan restarts at min_size on every call, feeding at least
 * max_size bytes per call (when available) avoids rescanning.
 */
size_t
chunker_find_cut(const struct chunker *c, const uint8_t *buf, size_t len,
    int final)
{
	size_t n, normal, cut;
	uint64_t h = 0;

	/* Bytes before min_size are skipped: they never affect the cut. */
	n = (len < c->max_size) ? len : c->max_size;
	if (n > c->min_size) {
		normal = (n < c->avg_size) ? n : c->avg_size;
		if ((cut = scan(c->gear, buf, c->min_size, normal, c->mask_s,
		    &h)) != 0)
			return (cut);
		if ((cut = scan(c->gear, buf, normal, n, c->mask_l, &h)) != 0)
			return (cut);
	}
	if (len >= c->max_size)
		return (c->max_size);
	return (final ? len : 0);
}
