#ifndef QS_CHUNK_COMPRESSOR_H
#define QS_CHUNK_COMPRESSOR_H

/*
 * zstd for chunk payloads: the only place in the store that knows zstd
 * (the catalogue in index/tar/ has its own frames).
 */

#include <stddef.h>
#include <stdint.h>

struct chunk_compressor;

/**
 * chunk_compressor_new(level, cc):
 * A zstd compressor and decompressor (one per thread) compressing at
 * ${level}.
 */
int chunk_compressor_new(int, struct chunk_compressor **);

/**
 * chunk_compressor_free(cc):
 * Free ${cc}; NULL is allowed.
 */
void chunk_compressor_free(struct chunk_compressor *);

/**
 * chunk_compressor_run(cc, in, len, out, outcap, outlen, flags):
 * Compress ${len} bytes of ${in} into ${out}.  If the result is not
 * smaller, copy the chunk raw instead.  ${outcap} must be at least
 * chunk_compressor_bound(${len}).  Sets ${flags} to RECORD_FLAG_ZSTD or 0.
 */
int chunk_compressor_run(struct chunk_compressor *, const uint8_t *, size_t,
    uint8_t *, size_t, size_t *, uint8_t *);

/**
 * chunk_compressor_unpack(cc, in, len, out, raw_len):
 * Decompress the ${len} bytes at ${in} into ${out}, which must come out as
 * exactly ${raw_len} bytes.  Return QS_OK, or QS_ECORRUPT without a detail
 * (the caller knows which record it was).
 */
int chunk_compressor_unpack(struct chunk_compressor *, const uint8_t *,
    size_t, uint8_t *, size_t);

/**
 * chunk_compressor_bound(len):
 * The output room chunk_compressor_run needs for ${len} bytes.
 */
size_t chunk_compressor_bound(size_t);

#endif /* !QS_CHUNK_COMPRESSOR_H */
