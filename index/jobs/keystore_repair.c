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
	if (keystore_peek(path, &info) == QS_OK) {
		cs->generation = info.generation;
		cs->header_ok = memcmp(info.store_id,
		    store_config(s)->store_id, 16) == 0;
	}
	cs->rc = keystore_load(path, store_config(s)->store_id, pass, passlen,
	    &ks);
	cs->unlocks = (cs->rc == QS_OK);
	if (cs->unlocks)
		cs->config_ok = (store_check_config_mac(s,
		    keystore_idkey(ks)) == QS_OK);
	keystore_free(ks);
	qs_error_clear();
}

/*
 * A copy that fails where the other unlocks (spec/keystore.md 6.3): a
 * header one generation or more above the other's under QS_EPASS is a
 * save ahead under another passphrase (ahead); below it, an older copy
 * (behind); else, as the two copies of one generation hold the same
 * bytes, damage (QS_ECORRUPT), whatever the failing check said (a wrong
 * passphrase, an unknown version or flag).
 */
static void
classify(struct keystore_copy_status *cs,
    const struct keystore_copy_status *other)
{

	if (!cs->present || cs->unlocks || !other->unlocks)
		return;
	if (cs->rc == QS_EPASS && cs->header_ok &&
	    cs->generation > other->generation)
		cs->ahead = 1;
	else if (cs->rc == QS_EPASS && cs->header_ok &&
	    cs->generation < other->generation)
		cs->behind = 1;
	else
		cs->rc = QS_ECORRUPT;
}

/**
 * keystore_repair_state(cs):
 * A few words for the state of one keystore copy.
 */
const char *
keystore_repair_state(const struct keystore_copy_status *cs)
{

	if (!cs->present)
		return ("missing");
	if (cs->unlocks)
		return ("ok");
	if (cs->ahead)
		return ("a save ahead, under another passphrase");
	if (cs->behind)
		return ("an older copy, under another passphrase");
	if (cs->rc == QS_EPASS)
		return ("locked: it does not unlock with this passphrase");
	if (cs->rc == QS_ECORRUPT)
		return ("damaged");
	if (cs->rc == QS_EVERSION)
		return ("written by a newer qsarc, or damaged");
	return (qs_err_string(cs->rc));
}

/**
 * keystore_repair_hint(root, p, b, buf, buflen):
 * The one repair advice for the pair.
 */
int
keystore_repair_hint(const char *root, const struct keystore_copy_status *p,
    const struct keystore_copy_status *b, char *buf, size_t buflen)
{
	const struct keystore_copy_status *bad, *good;

	buf[0] = '\0';
	if (p->unlocks && b->unlocks) {
		if (p->generation == b->generation)
			return (0);
		/* The newer copy is what the last save meant to write. */
		good = p->generation > b->generation ? p : b;
		snprintf(buf, buflen, "the copies differ (generation %llu and "
		    "%llu); run 'qsarc keystore %s restore --from %s'",
		    (unsigned long long)p->generation,
		    (unsigned long long)b->generation, root,
		    good == p ? "primary" : "backup");
		return (1);
	}
	if (!p->unlocks && !b->unlocks)
		return (0);
	good = p->unlocks ? p : b;
	bad = p->unlocks ? b : p;
	if (bad->ahead) {
		snprintf(buf, buflen, "the %s copy %s (generation %llu) is a "
		    "save ahead of the %s copy (generation %llu), under "
		    "another passphrase: a passphrase change was interrupted "
		    "between the two copies; give the new passphrase and the "
		    "next command completes the change (or run 'qsarc rekey %s "
		    "--change-passphrase' again)", bad == p ? "primary" :
		    "backup", bad->path, (unsigned long long)bad->generation,
		    good == p ? "primary" : "backup",
		    (unsigned long long)good->generation, root);
		return (1);
	}
	snprintf(buf, buflen, "the %s copy %s is %s; run 'qsarc keystore %s "
	    "restore --from %s'", bad == p ? "primary" : "backup", bad->path,
	    keystore_repair_state(bad), root, good == p ? "primary" : "backup");
	return (1);
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
	classify(primary, backup);
	classify(backup, primary);
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
