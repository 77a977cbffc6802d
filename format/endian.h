#ifndef QS_ENDIAN_H
#define QS_ENDIAN_H

/*
 * Little-endian encode/decode of fixed-width integers, and the check of
 * reserved bytes.  Every integer in
 * every qsarc file is little-endian; on-disk structures are byte arrays and
 * go through these helpers, never through a cast.
 */

#include <stddef.h>
#include <stdint.h>

static inline uint16_t
le16dec(const uint8_t *p)
{

	return ((uint16_t)(p[0] | ((uint16_t)p[1] << 8)));
}

static inline void
le16enc(uint8_t *p, uint16_t x)
{

	p[0] = (uint8_t)x;
	p[1] = (uint8_t)(x >> 8);
}

static inline uint32_t
le32dec(const uint8_t *p)
{

	return ((uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	    ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
}

static inline void
le32enc(uint8_t *p, uint32_t x)
{

	p[0] = (uint8_t)x;
	p[1] = (uint8_t)(x >> 8);
	p[2] = (uint8_t)(x >> 16);
	p[3] = (uint8_t)(x >> 24);
}

static inline uint64_t
le64dec(const uint8_t *p)
{

	return ((uint64_t)le32dec(p) | ((uint64_t)le32dec(p + 4) << 32));
}

static inline void
le64enc(uint8_t *p, uint64_t x)
{

	le32enc(p, (uint32_t)x);
	le32enc(p + 4, (uint32_t)(x >> 32));
}

/*
 * bytes_zero(p, len): whether ${len} bytes at ${p} are all zero (reserved
 * fields must be; readers check them).
 */
static inline int
bytes_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return (acc == 0);
}

#endif /* !QS_ENDIAN_H */
