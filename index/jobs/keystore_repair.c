#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/keystore.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "index/jobs/keystore_repair.h"
#include "index/store/store.h"

static void
copy_status(struct store *s, const char *path, const uint8_t *pass,
    size_t passlen, struct keystore_copy_status *cs)
{
	struct keystore_header_info info;
	struct keystore *ks = NULL;

	memset(cs, 0, sizeof(*cs));
	snprintf(cs->path, sizeof(cs->path), "%s", path);
	cs->present = (access(path, F_OK) == 0);
	if (keystore_peek(path, &info) == QS_OK)
		cs->generation = info.generation;
	cs->rc = keystore_load(path, store_config(s)->store_id, pass, passlen,
	    &ks);
	cs->unlocks = (cs->rc == QS_OK);
	if (cs->unlocks)
		cs->config_ok = (store_check_config_mac(s,
		    keystore_idkey(ks)) == QS_OK);
	keystore_free(ks);
	qs_error_clear();
}

/**
 * keystore_repair_check(s, pass, passlen, primary, backup):
 * Examine both keystore copies.
 */
int
keystore_repair_check(struct store *s, const uint8_t *pass, size_t passlen,
    struct keystore_copy_status *primary, struct keystore_copy_status *backup)
{
	char ppath[4096], bpath[4096];

	if (!store_config(s)->encrypted)
		return (qs_error_set(QS_EINVAL, "%s: the store is not "
		    "encrypted", store_root(s)));
	store_keystore_paths(s, ppath, sizeof(ppath), bpath, sizeof(bpath));
	copy_status(s, ppath, pass, passlen, primary);
	copy_status(s, bpath, pass, passlen, backup);
	if ((primary->unlocks && !primary->config_ok) ||
	    (backup->unlocks && !backup->config_ok))
		return (qs_error_set(QS_EAUTH, "%s/config: the config does "
		    "not authenticate with the keystore (it was changed by "
		    "someone without the passphrase)", store_root(s)));
	if (primary->unlocks && backup->unlocks &&
	    primary->generation == backup->generation)
		return (QS_OK);
	return (QS_ECORRUPT);
}

/**
 * keystore_repair_restore(s, from_backup, pass, passlen):
 * Rebuild one keystore copy from the other.
 */
int
keystore_repair_restore(struct store *s, int from_backup, const uint8_t *pass,
    size_t passlen)
{
	struct keystore_header_info sinfo, dinfo;
	struct keystore *ks = NULL;
	char ppath[4096], bpath[4096];
	const char *src, *dst;
	uint8_t *buf;
	size_t len;
	int rc;

	if (!store_config(s)->encrypted)
		return (qs_error_set(QS_EINVAL, "%s: the store is not "
		    "encrypted", store_root(s)));
	store_keystore_paths(s, ppath, sizeof(ppath), bpath, sizeof(bpath));
	src = from_backup ? bpath : ppath;
	dst = from_backup ? ppath : bpath;
	rc = keystore_load(src, store_config(s)->store_id, pass, passlen, &ks);
	/* The config (which names the backup path) must be genuine. */
	if (rc == QS_OK)
		rc = store_check_config_mac(s, keystore_idkey(ks));
	keystore_free(ks);
	if (rc == QS_EAUTH)
		return (rc);
	if (rc == QS_EPASS)
		return (qs_error_set(rc, "%s: wrong passphrase", src));
	if (rc != QS_OK)
		return (qs_error_set(rc, "%s: cannot use this copy: %s", src,
		    qs_err_string(rc)));
	/*
	 * An older primary over a newer backup would throw away the keys
	 * only the backup has, and is what a replayed primary asks for.
	 */
	if (!from_backup && keystore_peek(src, &sinfo) == QS_OK &&
	    keystore_peek(dst, &dinfo) == QS_OK &&
	    dinfo.generation > sinfo.generation)
		return (qs_error_set(QS_ECORRUPT, "%s: the primary keystore "
		    "(generation %llu) is older than the backup copy %s "
		    "(generation %llu); refusing to overwrite the backup with "
		    "it (restore --from backup instead, or move the backup "
		    "away first if you know the primary is the genuine one)",
		    src, (unsigned long long)sinfo.generation, dst,
		    (unsigned long long)dinfo.generation));
	qs_error_clear();
	if ((rc = fileio_read_all(src, &buf, &len, 1 << 20)) != QS_OK)
		return (rc);
	if (!from_backup && (rc = store_backup_dir_prepare(dst)) != QS_OK) {
		free(buf);
		return (rc);
	}
	rc = fileio_write_atomic(dst, buf, len, 0600, 0);
	free(buf);
	return (rc);
}

/**
 * keystore_repair_sync_backup(s, synced):
 * Rewrite both keystore copies if the backup is missing or behind.
 */
int
keystore_repair_sync_backup(struct store *s, int *synced)
{
	struct keystore_header_info pinfo, binfo;
	char ppath[4096], bpath[4096];

	*synced = 0;
	if (store_keystore(s) == NULL)
		return (QS_OK);
	store_keystore_paths(s, ppath, sizeof(ppath), bpath, sizeof(bpath));
	if (keystore_peek(ppath, &pinfo) != QS_OK ||
	    pinfo.generation != keystore_generation(store_keystore(s))) {
		qs_error_clear();
		return (QS_OK);
	}
	if (keystore_peek(bpath, &binfo) == QS_OK &&
	    binfo.generation >= pinfo.generation)
		return (QS_OK);
	qs_error_clear();
	*synced = 1;
	return (store_keystore_save(s, NULL, 0));
}
