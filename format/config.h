#ifndef QS_CONFIG_H
#define QS_CONFIG_H

/*
 * The store's config file, "STORE/config".  Byte layout in spec/FORMAT.md
 * ("Config"): a 16-byte header, tag-length-value fields, and a 32-byte
 * BLAKE2b-256 trailer that the caller computes and checks (this layer has
 * no crypto).  A tag with bit 15 set is critical: a reader that does not
 * know it must refuse the store (QS_EVERSION).  Unknown non-critical tags
 * are kept and written back unchanged.
 */

#include <stddef.h>
#include <stdint.h>

#define CONFIG_HEADER_SIZE	16
#define CONFIG_TRAILER_SIZE	32
#define CONFIG_VERSION		1
#define CONFIG_MAX_SIZE		65536
#define CONFIG_PATH_MAX		4000
#define CONFIG_UNKNOWN_MAX	4096

struct store_config {
	uint8_t store_id[16];
	int64_t created;
	uint32_t chunk_min, chunk_avg, chunk_max;
	int32_t zstd_level;
	uint32_t container_size;	/* target bytes per container */
	int has_plain_keys;		/* plain id and gear keys present */
	uint8_t plain_idkey[32];
	uint8_t plain_gearkey[32];
	int encrypted;			/* a keystore holds the keys */
	char keystore_backup[CONFIG_PATH_MAX + 1];
	uint8_t unknown[CONFIG_UNKNOWN_MAX];	/* unknown TLVs, verbatim */
	size_t unknown_len;
	/*
	 * Encrypted stores: a MAC under a key from the keystore over every
	 * field before it (it is the last field), so that nobody without
	 * the passphrase can turn encryption off or add plain keys.
	 */
	uint8_t mac[32];
	size_t mac_input_end;	/* decode: offset where the MAC field starts */
};

/**
 * config_encode(c, buf, buflen, len, mac_at):
 * Encode ${c} (without the trailer) into ${buf}; return QS_OK and the
 * length in ${len}, or QS_EINVAL if it does not fit.  For an encrypted
 * store the last field is the MAC: ${mac_at} is the offset of its 32-byte
 * value (which holds ${c}->mac; the caller computes the real one over
 * ${buf}[CONFIG_HEADER_SIZE .. ${mac_at} - 4) and writes it there), else 0.
 */
int config_encode(const struct store_config *, uint8_t *, size_t, size_t *,
    size_t *);

/**
 * config_decode(buf, len, c):
 * Parse a config body (without the trailer).  Return QS_OK, QS_ECORRUPT
 * (malformed, missing required field, an encrypted config without its MAC
 * as the last field, or a plain one with a MAC), or QS_EVERSION (unknown
 * version, flags or critical tag).  The MAC is not checked here.
 */
int config_decode(const uint8_t *, size_t, struct store_config *);

#endif /* !QS_CONFIG_H */
