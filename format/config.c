#include <string.h>

#include "format/config.h"
#include "format/endian.h"
#include "format/qs_err.h"

static const uint8_t config_magic[8] = "QSARCCFG";

enum {
	TAG_STORE_ID = 0x0001,
	TAG_CREATED = 0x0002,
	TAG_CHUNKING = 0x0003,
	TAG_ZSTD_LEVEL = 0x0004,
	TAG_CONTAINER_SIZE = 0x0005,
	TAG_PLAIN_IDKEY = 0x0006,
	TAG_PLAIN_GEARKEY = 0x0007,
	TAG_ENCRYPTION = 0x8008,
	TAG_MAC = 0x8009,
	TAG_CRITICAL = 0x8000
};

struct config_header_disk {
	uint8_t magic[8];
	uint8_t version[2];
	uint8_t flags[2];
	uint8_t body_len[4];
};
_Static_assert(sizeof(struct config_header_disk) == CONFIG_HEADER_SIZE,
    "config header size");

static int
put_tlv(uint8_t *buf, size_t buflen, size_t *pos, uint16_t tag,
    const void *val, size_t len)
{

	if (len > 0xffff || buflen - *pos < 4 + len)
		return (QS_EINVAL);
	le16enc(buf + *pos, tag);
	le16enc(buf + *pos + 2, (uint16_t)len);
	memcpy(buf + *pos + 4, val, len);
	*pos += 4 + len;
	return (QS_OK);
}

/**
 * config_encode(c, buf, buflen, len, mac_at):
 * Encode ${c} (without the trailer) into ${buf}.
 */
int
config_encode(const struct store_config *c, uint8_t *buf, size_t buflen,
    size_t *len, size_t *mac_at)
{
	struct config_header_disk h;
	uint8_t v[CONFIG_PATH_MAX + 1];
	size_t pos = CONFIG_HEADER_SIZE;
	size_t plen;
	int rc = QS_OK;

	if (buflen < CONFIG_HEADER_SIZE)
		return (QS_EINVAL);
	rc |= put_tlv(buf, buflen, &pos, TAG_STORE_ID, c->store_id, 16);
	le64enc(v, (uint64_t)c->created);
	rc |= put_tlv(buf, buflen, &pos, TAG_CREATED, v, 8);
	le32enc(v, c->chunk_min);
	le32enc(v + 4, c->chunk_avg);
	le32enc(v + 8, c->chunk_max);
	rc |= put_tlv(buf, buflen, &pos, TAG_CHUNKING, v, 12);
	le32enc(v, (uint32_t)c->zstd_level);
	rc |= put_tlv(buf, buflen, &pos, TAG_ZSTD_LEVEL, v, 4);
	le32enc(v, c->container_size);
	rc |= put_tlv(buf, buflen, &pos, TAG_CONTAINER_SIZE, v, 4);
	if (c->has_plain_keys) {
		rc |= put_tlv(buf, buflen, &pos, TAG_PLAIN_IDKEY,
		    c->plain_idkey, 32);
		rc |= put_tlv(buf, buflen, &pos, TAG_PLAIN_GEARKEY,
		    c->plain_gearkey, 32);
	}
	if (c->encrypted) {
		plen = strlen(c->keystore_backup);
		if (plen > CONFIG_PATH_MAX)
			return (QS_EINVAL);
		v[0] = 1;
		memcpy(v + 1, c->keystore_backup, plen);
		rc |= put_tlv(buf, buflen, &pos, TAG_ENCRYPTION, v, plen + 1);
	}
	if (rc != QS_OK || buflen - pos < c->unknown_len)
		return (QS_EINVAL);
	memcpy(buf + pos, c->unknown, c->unknown_len);
	pos += c->unknown_len;
	if (c->encrypted &&
	    put_tlv(buf, buflen, &pos, TAG_MAC, c->mac, 32) != QS_OK)
		return (QS_EINVAL);
	*mac_at = c->encrypted ? pos - 32 : 0;

	memcpy(h.magic, config_magic, 8);
	le16enc(h.version, CONFIG_VERSION);
	le16enc(h.flags, 0);
	le32enc(h.body_len, (uint32_t)(pos - CONFIG_HEADER_SIZE));
	memcpy(buf, &h, sizeof(h));
	*len = pos;
	return (QS_OK);
}

/*
 * Decoding is driven by the table of known fields below: each known tag
 * may appear once, has a fixed value length (or 0: its decoder checks) and
 * a decoder that stores it.  Tags not in the table are unknown: critical
 * ones refuse the config, the others are kept verbatim.
 */
struct config_field {
	uint16_t tag;
	uint16_t len;			/* 0: variable, checked by decode */
	int required;
	/* Store the value ${v} of ${vlen} bytes (field at ${pos} of ${end}). */
	int (*decode)(struct store_config *, const uint8_t *, uint16_t,
	    size_t, size_t);
};

static int
dec_store_id(struct store_config *c, const uint8_t *v, uint16_t vlen,
    size_t pos, size_t end)
{

	(void)vlen, (void)pos, (void)end;
	memcpy(c->store_id, v, 16);
	return (QS_OK);
}

static int
dec_created(struct store_config *c, const uint8_t *v, uint16_t vlen,
    size_t pos, size_t end)
{

	(void)vlen, (void)pos, (void)end;
	c->created = (int64_t)le64dec(v);
	return (QS_OK);
}

static int
dec_chunking(struct store_config *c, const uint8_t *v, uint16_t vlen,
    size_t pos, size_t end)
{

	(void)vlen, (void)pos, (void)end;
	c->chunk_min = le32dec(v);
	c->chunk_avg = le32dec(v + 4);
	c->chunk_max = le32dec(v + 8);
	return (QS_OK);
}

static int
dec_zstd_level(struct store_config *c, const uint8_t *v, uint16_t vlen,
    size_t pos, size_t end)
{

	(void)vlen, (void)pos, (void)end;
	c->zstd_level = (int32_t)le32dec(v);
	return (QS_OK);
}

static int
dec_container_size(struct store_config *c, const uint8_t *v, uint16_t vlen,
    size_t pos, size_t end)
{

	(void)vlen, (void)pos, (void)end;
	c->container_size = le32dec(v);
	return (QS_OK);
}

static int
dec_plain_idkey(struct store_config *c, const uint8_t *v, uint16_t vlen,
    size_t pos, size_t end)
{

	(void)vlen, (void)pos, (void)end;
	memcpy(c->plain_idkey, v, 32);
	c->has_plain_keys |= 1;
	return (QS_OK);
}

static int
dec_plain_gearkey(struct store_config *c, const uint8_t *v, uint16_t vlen,
    size_t pos, size_t end)
{

	(void)vlen, (void)pos, (void)end;
	memcpy(c->plain_gearkey, v, 32);
	c->has_plain_keys |= 2;
	return (QS_OK);
}

static int
dec_mac(struct store_config *c, const uint8_t *v, uint16_t vlen, size_t pos,
    size_t end)
{

	/* Always the last field: it covers all before it. */
	if (pos + 4 + (size_t)vlen != end)
		return (QS_ECORRUPT);
	memcpy(c->mac, v, 32);
	c->mac_input_end = pos;
	return (QS_OK);
}

static int
dec_encryption(struct store_config *c, const uint8_t *v, uint16_t vlen,
    size_t pos, size_t end)
{

	(void)pos, (void)end;
	/* A scheme other than 1 is a newer qsarc's. */
	if (vlen < 1 || v[0] != 1 || vlen - 1 > CONFIG_PATH_MAX)
		return (QS_EVERSION);
	c->encrypted = 1;
	memcpy(c->keystore_backup, v + 1, (size_t)vlen - 1);
	c->keystore_backup[vlen - 1] = '\0';
	if (memchr(v + 1, '\0', (size_t)vlen - 1) != NULL)
		return (QS_ECORRUPT);
	return (QS_OK);
}

static const struct config_field config_fields[] = {
	{ TAG_STORE_ID,		16,	1,	dec_store_id },
	{ TAG_CREATED,		8,	1,	dec_created },
	{ TAG_CHUNKING,		12,	1,	dec_chunking },
	{ TAG_ZSTD_LEVEL,	4,	1,	dec_zstd_level },
	{ TAG_CONTAINER_SIZE,	4,	1,	dec_container_size },
	{ TAG_PLAIN_IDKEY,	32,	0,	dec_plain_idkey },
	{ TAG_PLAIN_GEARKEY,	32,	0,	dec_plain_gearkey },
	{ TAG_ENCRYPTION,	0,	0,	dec_encryption },
	{ TAG_MAC,		32,	0,	dec_mac },
};
#define NFIELDS	(sizeof(config_fields) / sizeof(config_fields[0]))
_Static_assert(NFIELDS <= 32, "one bit per known field");

/* The index of ${tag} in config_fields, or -1 for an unknown tag. */
static int
field_find(uint16_t tag)
{

	for (size_t i = 0; i < NFIELDS; i++)
		if (config_fields[i].tag == tag)
			return ((int)i);
	return (-1);
}

/* Keep an unknown field verbatim, or refuse a critical one. */
static int
unknown_keep(struct store_config *c, uint16_t tag, const uint8_t *field,
    uint16_t vlen)
{

	if (tag & TAG_CRITICAL)
		return (QS_EVERSION);
	if (c->unknown_len + 4 + vlen > CONFIG_UNKNOWN_MAX)
		return (QS_ECORRUPT);
	memcpy(c->unknown + c->unknown_len, field, 4 + (size_t)vlen);
	c->unknown_len += 4 + (size_t)vlen;
	return (QS_OK);
}

/*
 * The rules across fields, given the bit set ${seen} of the known fields
 * present: every required field, both plain keys or neither, a MAC exactly
 * when encrypted, and keys of one kind or the other.
 */
static int
fields_check(struct store_config *c, uint32_t seen)
{

	for (size_t i = 0; i < NFIELDS; i++)
		if (config_fields[i].required && !(seen & (1U << i)))
			return (QS_ECORRUPT);
	if (c->has_plain_keys != 0 && c->has_plain_keys != 3)
		return (QS_ECORRUPT);
	c->has_plain_keys = (c->has_plain_keys == 3);
	if (c->encrypted != ((seen & (1U << field_find(TAG_MAC))) != 0))
		return (QS_ECORRUPT);
	if (!c->has_plain_keys && !c->encrypted)
		return (QS_ECORRUPT);
	return (QS_OK);
}

/**
 * config_decode(buf, len, c):
 * Parse a config body (without the trailer).
 */
int
config_decode(const uint8_t *buf, size_t len, struct store_config *c)
{
	const struct config_field *f;
	struct config_header_disk h;
	uint32_t seen = 0;
	size_t pos, end;
	uint16_t tag, vlen;
	int i, rc;

	/* The header: magic, then version and flags, then the body length. */
	if (len < sizeof(h))
		return (QS_ECORRUPT);
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, config_magic, 8) != 0)
		return (QS_ECORRUPT);
	if (le16dec(h.version) != CONFIG_VERSION || le16dec(h.flags) != 0)
		return (QS_EVERSION);
	end = CONFIG_HEADER_SIZE + (size_t)le32dec(h.body_len);
	if (end != len)
		return (QS_ECORRUPT);
	memset(c, 0, sizeof(*c));
	/* The fields, each bounded by what remains of the body. */
	for (pos = CONFIG_HEADER_SIZE; pos < end; pos += 4 + (size_t)vlen) {
		if (end - pos < 4)
			return (QS_ECORRUPT);
		tag = le16dec(buf + pos);
		vlen = le16dec(buf + pos + 2);
		if (end - pos - 4 < vlen)
			return (QS_ECORRUPT);
		if ((i = field_find(tag)) < 0) {
			if ((rc = unknown_keep(c, tag, buf + pos, vlen)) !=
			    QS_OK)
				return (rc);
			continue;
		}
		/* A known tag may appear once. */
		f = &config_fields[i];
		if (seen & (1U << i))
			return (QS_ECORRUPT);
		seen |= 1U << i;
		if (f->len != 0 && vlen != f->len)
			return (QS_ECORRUPT);
		if ((rc = f->decode(c, buf + pos + 4, vlen, pos, end)) != QS_OK)
			return (rc);
	}
	/* The rules across fields. */
	return (fields_check(c, seen));
}
