#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/store/chunk_compressor.h"

struct chunk_compressor {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	int level;
};

/**
 * chunk_compressor_new(level, cc):
 * A zstd compressor and decompressor (one per thread) compressing at
 * ${level}.
 */
int
chunk_compressor_new(int level, struct chunk_compressor **ccp)
{
	struct chunk_compressor *cc;

	if ((cc = calloc(1, sizeof(*cc))) == NULL ||
	    (cc->cctx = ZSTD_createCCtx()) == NULL ||
	    (cc->dctx = ZSTD_createDCtx()) == NULL) {
		chunk_compressor_free(cc);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	cc->level = level;
	*ccp = cc;
	return (QS_OK);
}

/**
 * chunk_compressor_free(cc):
 * Free ${cc}; NULL is allowed.
 */
void
chunk_compressor_free(struct chunk_compressor *cc)
{

	if (cc == NULL)
		return;
	ZSTD_freeCCtx(cc->cctx);
	ZSTD_freeDCtx(cc->dctx);
	free(cc);
}

/**
 * chunk_compressor_unpack(cc, in, len, out, raw_len):
 * Decompress ${in} into exactly ${raw_len} bytes at ${out}.
 */
int
chunk_compressor_unpack(struct chunk_compressor *cc, const uint8_t *in,
    size_t len, uint8_t *out, size_t raw_len)
{
	size_t n;

	n = ZSTD_decompressDCtx(cc->dctx, out, raw_len, in, len);
	if (ZSTD_isError(n) || n != raw_len)
		return (QS_ECORRUPT);
	return (QS_OK);
}

/**
 * chunk_compressor_bound(len):
 * The output room chunk_compressor_run needs for ${len} bytes.
 */
size_t
chunk_compressor_bound(size_t len)
{

	return (ZSTD_compressBound(len));
}

/**
 * chunk_compressor_run(cc, in, len, out, outcap, outlen, flags):
 * Compress ${in}, or copy it raw if that is not smaller.
 */
int
chunk_compressor_run(struct chunk_compressor *cc, const uint8_t *in, size_t len,
    uint8_t *out, size_t outcap, size_t *outlen, uint8_t *flags)
{
	size_t n;

	n = ZSTD_compressCCtx(cc->cctx, out, outcap, in, len, cc->level);
	if (!ZSTD_isError(n) && n < len) {
		*outlen = n;
		*flags = RECORD_FLAG_ZSTD;
		return (QS_OK);
	}
	memcpy(out, in, len);
	*outlen = len;
	*flags = 0;
	return (QS_OK);
}
