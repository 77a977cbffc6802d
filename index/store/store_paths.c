/*
 * Every path of a store is built here, so the layout of spec/FORMAT.md
 * ("Store layout") has one home:
 *
 *	ROOT/config, ROOT/lock, ROOT/keystore, ROOT/rekey-pending,
 *	ROOT/reserve,
 *	ROOT/alerts.conf, ROOT/alerts.log,
 *	ROOT/data/XX/XXXXXXXXXXXXXXXX.qsc, ROOT/index/,
 *	ROOT/streams/NAME.qsm, ROOT/expired/NAME.qsm, ROOT/catalogs/HEX.qct,
 *	and the backup keystore $QSARC_STATE_DIR/keys/STOREID.qsk.
 *
 * Each builder returns QS_OK, or QS_EINVAL ("ROOT: path too long") when the
 * result does not fit; ${buf} then holds the truncated text.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/qs_err.h"
#include "index/store/s3.h"
#include "index/store/store.h"
#include "index/store/store_internal.h"

int
store_root_check(const char *root)
{

	if (s3_url_is(root))
		return (qs_error_set(QS_EINVAL, "%s: stores on S3 are not "
		    "supported by this version yet; give a local directory "
		    "(./%s is a local directory of that name)", root, root));
	return (QS_OK);
}

/* snprintf's result to QS_OK or the "path too long" error. */
static int
fit(int n, size_t buflen, const char *root)
{

	if (n < 0 || (size_t)n >= buflen)
		return (qs_error_set(QS_EINVAL, "%s: path too long", root));
	return (QS_OK);
}

/* The 32 hex digits of a 16-byte id. */
static void
hex16(const uint8_t id[16], char hex[33])
{

	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
}

static int
join(const char *root, const char *rel, char *buf, size_t buflen)
{

	return (fit(snprintf(buf, buflen, "%s/%s", root, rel), buflen, root));
}

/**
 * store_path_config(root, buf, buflen):
 * "${root}/config".
 */
int
store_path_config(const char *root, char *buf, size_t buflen)
{

	return (join(root, "config", buf, buflen));
}

/**
 * store_path_lock(root, buf, buflen):
 * "${root}/lock".
 */
int
store_path_lock(const char *root, char *buf, size_t buflen)
{

	return (join(root, "lock", buf, buflen));
}

/**
 * store_path_index(root, buf, buflen):
 * "${root}/index", the chunk index's directory.
 */
int
store_path_index(const char *root, char *buf, size_t buflen)
{

	return (join(root, "index", buf, buflen));
}

/**
 * store_path_data(root, buf, buflen):
 * "${root}/data", the directory of the container subdirectories.
 */
int
store_path_data(const char *root, char *buf, size_t buflen)
{

	return (join(root, "data", buf, buflen));
}

/**
 * store_path_container_dir(root, container_id, buf, buflen):
 * "${root}/data/XX", the subdirectory of container ${container_id}.
 */
int
store_path_container_dir(const char *root, uint64_t container_id, char *buf,
    size_t buflen)
{

	return (fit(snprintf(buf, buflen, "%s/data/%02x", root,
	    (unsigned)(container_id >> 56)), buflen, root));
}

/**
 * store_container_path(root, container_id, buf, buflen):
 * Write "${root}/data/XX/XXXXXXXXXXXXXXXX.qsc" (hex of the id, first byte
 * as the subdirectory) into ${buf}.
 */
int
store_container_path(const char *root, uint64_t container_id, char *buf,
    size_t buflen)
{

	return (fit(snprintf(buf, buflen, "%s/data/%02x/%016llx.qsc", root,
	    (unsigned)(container_id >> 56),
	    (unsigned long long)container_id), buflen, root));
}

/**
 * store_path_streams(root, expired, buf, buflen):
 * "${root}/streams", or "${root}/expired" if ${expired}.
 */
int
store_path_streams(const char *root, int expired, char *buf, size_t buflen)
{

	return (join(root, expired ? "expired" : "streams", buf, buflen));
}

/**
 * store_stream_path(s, name, expired, buf, buflen):
 * Write the manifest path of stream ${name} into ${buf}.
 */
int
store_stream_path(const struct store *s, const char *name, int expired,
    char *buf, size_t buflen)
{

	return (fit(snprintf(buf, buflen, "%s/%s/%s.qsm", s->root,
	    expired ? "expired" : "streams", name), buflen, s->root));
}

/**
 * store_path_catalogues(root, buf, buflen):
 * "${root}/catalogs", the catalogue directory (the on-disk name keeps its
 * spelling).
 */
int
store_path_catalogues(const char *root, char *buf, size_t buflen)
{

	return (join(root, "catalogs", buf, buflen));
}

/**
 * store_path_catalogue(root, id, buf, buflen):
 * "${root}/catalogs/HEX.qct" for catalogue ${id}.
 */
int
store_path_catalogue(const char *root, const uint8_t id[16], char *buf,
    size_t buflen)
{
	char hex[33];

	hex16(id, hex);
	return (fit(snprintf(buf, buflen, "%s/catalogs/%s.qct", root, hex),
	    buflen, root));
}

/**
 * store_path_keystore(root, buf, buflen):
 * "${root}/keystore", the primary keystore.
 */
int
store_path_keystore(const char *root, char *buf, size_t buflen)
{

	return (join(root, "keystore", buf, buflen));
}

/**
 * store_keystore_paths(s, primary, plen, backup, blen):
 * The primary and backup keystore paths of an encrypted store.
 */
void
store_keystore_paths(const struct store *s, char *primary, size_t plen,
    char *backup, size_t blen)
{

	(void)store_path_keystore(s->root, primary, plen);
	snprintf(backup, blen, "%s", s->cfg.keystore_backup);
}

/**
 * store_default_keystore_backup(store_id, buf, buflen):
 * The default backup keystore path.
 */
void
store_default_keystore_backup(const uint8_t store_id[16], char *buf,
    size_t buflen)
{
	const char *dir = getenv("QSARC_STATE_DIR");
	char hex[33];

	if (dir == NULL || *dir == '\0')
		dir = "/var/lib/qsarc";
	hex16(store_id, hex);
	snprintf(buf, buflen, "%s/keys/%s.qsk", dir, hex);
}

/**
 * store_keystore_backup_in(dir, store_id, buf, buflen):
 * "${dir}/<store id in hex>.qsk": the backup copy when the operator names a
 * directory for it.
 */
int
store_keystore_backup_in(const char *dir, const uint8_t store_id[16],
    char *buf, size_t buflen)
{
	char hex[33], name[40];
	size_t n = strlen(dir);

	hex16(store_id, hex);
	snprintf(name, sizeof(name), "%s.qsk", hex);
	/* "DIR/" and "DIR" name the same directory. */
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if ((size_t)snprintf(buf, buflen, "%.*s/%s", (int)n, dir, name) >=
	    buflen)
		return (qs_error_set(QS_EINVAL, "%s: path too long", dir));
	return (QS_OK);
}

/**
 * store_path_rekey_pending(root, buf, buflen):
 * "${root}/rekey-pending", the marker of an unfinished rekey.
 */
int
store_path_rekey_pending(const char *root, char *buf, size_t buflen)
{

	return (join(root, "rekey-pending", buf, buflen));
}

/**
 * store_path_reserve(root, buf, buflen):
 * "${root}/reserve", the space kept for clean (store_reserve.c).
 */
int
store_path_reserve(const char *root, char *buf, size_t buflen)
{

	return (join(root, "reserve", buf, buflen));
}

/**
 * store_path_alerts_conf(root, buf, buflen):
 * "${root}/alerts.conf".
 */
int
store_path_alerts_conf(const char *root, char *buf, size_t buflen)
{

	return (join(root, "alerts.conf", buf, buflen));
}

/**
 * store_path_alerts_log(root, buf, buflen):
 * "${root}/alerts.log".
 */
int
store_path_alerts_log(const char *root, char *buf, size_t buflen)
{

	return (join(root, "alerts.log", buf, buflen));
}

/**
 * store_path_streamset(root, buf, buflen):
 * "${root}/streamset", the stream set record.
 */
int
store_path_streamset(const char *root, char *buf, size_t buflen)
{

	return (join(root, "streamset", buf, buflen));
}

/**
 * store_streamset_record_path(s, buf, buflen):
 * The generation record outside the store: the backup keystore path (the
 * default one for a plain store) with ".streams" appended.
 */
int
store_streamset_record_path(const struct store *s, char *buf, size_t buflen)
{
	char backup[4096];
	int n;

	if (s->cfg.encrypted && s->cfg.keystore_backup[0] != '\0')
		snprintf(backup, sizeof(backup), "%s", s->cfg.keystore_backup);
	else
		store_default_keystore_backup(s->cfg.store_id, backup,
		    sizeof(backup));
	n = snprintf(buf, buflen, "%s.streams", backup);
	if (n < 0 || (size_t)n >= buflen)
		return (qs_error_set(QS_EINVAL, "%s: path too long", backup));
	return (QS_OK);
}
