#include <stdlib.h>
#include <string.h>

#include "index/tar/tarfind.h"

#define HDR		512
#define MAGIC_OFF	257	/* "ustar" in POSIX and GNU headers */
#define SUM_OFF		148	/* checksum: 8 bytes, octal */
#define SIZE_OFF	124	/* size: 12 bytes, octal or base-256 */
#define TYPE_OFF	156

struct tarfind {
	uint64_t fed;			/* stream bytes fed */
	uint8_t tail[HDR - 1];		/* the last bytes fed */
	size_t tlen;
	/*
	 * The header at ${cont} continues an extension header: not a member
	 * start.  UINT64_MAX: none expected.
	 */
	uint64_t cont;
	uint64_t *cuts;			/* member starts, increasing */
	size_t head, tail_i, cap;	/* pending: cuts[tail_i, head) */
};

/* The value of an octal field, or -1 if it is not one. */
static int64_t
octal(const uint8_t *f, size_t n)
{
	int64_t v = 0;
	size_t i = 0;
	int digits = 0;

	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++)
		v = v * 8 + (f[i] - '0');
	if (digits == 0 || (i < n && f[i] != ' ' && f[i] != '\0'))
		return (-1);
	return (v);
}

/* The size field: octal, or GNU base-256 (high bit set); -1 if neither. */
static int64_t
size_field(const uint8_t *h)
{
	const uint8_t *f = h + SIZE_OFF;
	uint64_t v = 0;
	size_t i;

	if ((f[0] & 0x80) == 0)
		return (octal(f, 12));
	/* Sizes past 2^62 are not sizes of anything a header continues. */
	for (i = 0; i < 4; i++)
		if (f[i] != (i == 0 ? 0x80 : 0))
			return (-1);
	for (i = 4; i < 12; i++)
		v = (v << 8) | f[i];
	return (v > ((uint64_t)1 << 62) ? -1 : (int64_t)v);
}

/*
 * Is ${h} a tar header: the magic ("ustar" then NUL or space) and a stored
 * checksum equal to the sum of its bytes with the checksum field read as
 * spaces (unsigned, as POSIX says, or signed, as some old tars wrote)?
 */
static int
is_header(const uint8_t *h)
{
	int64_t want;
	uint32_t us = 0;
	int32_t ss = 0;
	size_t i;

	if (h[MAGIC_OFF + 5] != '\0' && h[MAGIC_OFF + 5] != ' ')
		return (0);
	if ((want = octal(h + SUM_OFF, 8)) < 0)
		return (0);
	for (i = 0; i < HDR; i++) {
		uint8_t b = (i >= SUM_OFF && i < SUM_OFF + 8) ? ' ' : h[i];

		us += b;
		ss += (int8_t)b;
	}
	return ((int64_t)us == want || (int64_t)ss == want);
}

static int
push_cut(struct tarfind *tf, uint64_t pos)
{
	uint64_t *p;

	if (tf->tail_i > 0 && tf->tail_i * 2 >= tf->head) {
		memmove(tf->cuts, tf->cuts + tf->tail_i,
		    (tf->head - tf->tail_i) * sizeof(*tf->cuts));
		tf->head -= tf->tail_i;
		tf->tail_i = 0;
	}
	if (tf->head == tf->cap) {
		size_t ncap = tf->cap ? tf->cap * 2 : 256;

		if ((p = realloc(tf->cuts, ncap * sizeof(*p))) == NULL)
			return (-1);
		tf->cuts = p;
		tf->cap = ncap;
	}
	tf->cuts[tf->head++] = pos;
	return (0);
}

/* A header was found at stream offset ${pos}: a cut, unless it continues. */
static int
found(struct tarfind *tf, const uint8_t *h, uint64_t pos)
{
	int continues = (pos == tf->cont);
	int64_t size;

	switch (h[TYPE_OFF]) {
	case 'x': case 'g': case 'L': case 'K': case 'X':
		/* The real header follows this one's data. */
		if ((size = size_field(h)) >= 0)
			tf->cont = pos + HDR + (((uint64_t)size + HDR - 1) &
			    ~(uint64_t)(HDR - 1));
		break;
	default:
		break;
	}
	if (continues)
		return (0);
	return (push_cut(tf, pos));
}

/*
 * Every header in ${buf} (stream offset ${base}) whose start s satisfies
 * ${from} <= s and whose 512 bytes lie inside ${buf}.
 */
static int
scan(struct tarfind *tf, const uint8_t *buf, size_t len, uint64_t base,
    uint64_t from)
{
	const uint8_t *p = buf + MAGIC_OFF, *end = buf + len, *m;

	if (len < HDR)
		return (0);
	while ((m = memmem(p, (size_t)(end - p), "ustar", 5)) != NULL) {
		const uint8_t *h = m - MAGIC_OFF;

		if (h + HDR > end)
			break;
		if (base + (uint64_t)(h - buf) >= from && is_header(h) &&
		    found(tf, h, base + (uint64_t)(h - buf)) != 0)
			return (-1);
		p = m + 1;
	}
	return (0);
}

/**
 * tarfind_new():
 * A finder at offset 0.
 */
struct tarfind *
tarfind_new(void)
{
	struct tarfind *tf;

	if ((tf = calloc(1, sizeof(*tf))) == NULL)
		return (NULL);
	tf->cont = UINT64_MAX;
	return (tf);
}

/**
 * tarfind_feed(tf, buf, len):
 * Scan the next ${len} bytes: first the headers that straddle the end of
 * what came before (in a small joined copy), then those wholly in ${buf}.
 */
int
tarfind_feed(struct tarfind *tf, const uint8_t *buf, size_t len)
{
	uint8_t join[2 * (HDR - 1)];
	size_t take, keep;

	if (len == 0)
		return (0);
	if (tf->tlen > 0) {
		take = len < HDR - 1 ? len : HDR - 1;
		memcpy(join, tf->tail, tf->tlen);
		memcpy(join + tf->tlen, buf, take);
		/* Only headers that start in the tail: the rest come next. */
		if (scan(tf, join, tf->tlen + take, tf->fed - tf->tlen,
		    tf->fed - tf->tlen) != 0)
			return (-1);
		/*
		 * A header found there may also start in ${buf}'s first
		 * bytes: scan() of ${buf} below only takes starts at or
		 * after ${tf->fed}, and the joined scan saw at most those
		 * starting before ${tf->fed} + take - 511 <= ${tf->fed}.
		 */
	}
	if (scan(tf, buf, len, tf->fed, tf->fed) != 0)
		return (-1);
	/* Keep the last 511 bytes of the stream. */
	if (len >= HDR - 1) {
		memcpy(tf->tail, buf + len - (HDR - 1), HDR - 1);
		tf->tlen = HDR - 1;
	} else {
		keep = tf->tlen + len > HDR - 1 ? HDR - 1 - len : tf->tlen;
		memmove(tf->tail, tf->tail + tf->tlen - keep, keep);
		memcpy(tf->tail + keep, buf, len);
		tf->tlen = keep + len;
	}
	tf->fed += len;
	return (0);
}

/**
 * tarfind_next(tf, pos, limit):
 * The first start in (${pos}, ${limit}), or UINT64_MAX.
 */
uint64_t
tarfind_next(struct tarfind *tf, uint64_t pos, uint64_t limit)
{

	while (tf->tail_i < tf->head && tf->cuts[tf->tail_i] <= pos)
		tf->tail_i++;
	if (tf->tail_i < tf->head && tf->cuts[tf->tail_i] < limit)
		return (tf->cuts[tf->tail_i]);
	return (UINT64_MAX);
}

/**
 * tarfind_free(tf):
 * Free ${tf}.
 */
void
tarfind_free(struct tarfind *tf)
{

	if (tf == NULL)
		return;
	free(tf->cuts);
	free(tf);
}
