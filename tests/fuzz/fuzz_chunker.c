/*
 * libFuzzer harness: the content-defined chunker (index/chunk/chunker.h).  The
 * first 3 bytes pick valid parameters, the rest is the data.  Checked
 * invariants: every cut is within [1, max_size], at least min_size unless
 * it is the final short tail, never past the data; the cuts do not depend
 * on how the data is fed (a prefix gives the same cut or asks for more);
 * and the cuts cover the data exactly.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/qs_err.h"
#include "index/chunk/chunker.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A fixed pseudo-random gear table (the real one is keyed; any works). */
static void
gear_fill(uint64_t t[256])
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 256; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t[i] = x;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chunker_params p;
	struct chunker *c;
	uint64_t table[256];
	size_t pos, cut, cut2, len, half;
	uint32_t avg_shift;

	if (size < 3)
		return (0);
	/* avg 1 KiB..64 KiB keeps inputs meaningful; min and max follow. */
	avg_shift = 10 + (data[0] % 7);
	p.avg_size = 1U << avg_shift;
	p.min_size = CHUNKER_MIN_LIMIT + (uint32_t)(data[1] % 8) *
	    ((p.avg_size - CHUNKER_MIN_LIMIT) / 8);
	if (p.min_size >= p.avg_size)
		p.min_size = p.avg_size / 2 > CHUNKER_MIN_LIMIT ?
		    p.avg_size / 2 : CHUNKER_MIN_LIMIT;
	p.max_size = p.avg_size * (2U + (data[2] % 3));
	data += 3;
	size -= 3;
	gear_fill(table);
	if (chunker_params_check(&p) != QS_OK) {
		qs_error_clear();
		return (0);
	}
	if ((c = chunker_new(&p, table)) == NULL)
		abort();
	for (pos = 0; pos < size; pos += cut) {
		len = size - pos;
		cut = chunker_find_cut(c, data + pos, len, 1);
		if (cut == 0 || cut > len || cut > p.max_size)
			abort();
		if (cut < p.min_size && cut != len)
			abort();
		/* Not final: the same cut, or "more please" before max. */
		cut2 = chunker_find_cut(c, data + pos, len, 0);
		if (cut2 != cut && !(cut2 == 0 && cut == len &&
		    len < p.max_size))
			abort();
		/* A prefix that contains the cut finds it too. */
		half = cut + (len - cut) / 2;
		cut2 = chunker_find_cut(c, data + pos, half, 0);
		if (half >= cut && cut2 != cut && !(cut2 == 0 &&
		    cut == half && half < p.max_size))
			abort();
		/* A shorter prefix: no cut before the real one. */
		if (cut > 1) {
			cut2 = chunker_find_cut(c, data + pos, cut - 1, 0);
			if (cut2 != 0 && cut2 != cut - 1)
				abort();
			if (cut2 == cut - 1 && cut - 1 != p.max_size)
				abort();
		}
	}
	if (pos != size)
		abort();
	chunker_free(c);
	return (0);
}
