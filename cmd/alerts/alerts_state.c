/*
 * The store state and file system usage alert events are computed from
 * (see alerts_state.h).
 */

#include <sys/statvfs.h>

#include <stdio.h>
#include <string.h>

#include "crypto/keystore.h"
#include "format/config.h"
#include "format/qs_err.h"
#include "cmd/alerts/alerts_state.h"
#include "index/store/store.h"

/**
 * alerts_state_fs_usage(root, used_pct, avail):
 * The share of the file system holding ${root} that is used, in percent.
 */
int
alerts_state_fs_usage(const char *root, double *used_pct, uint64_t *avail)
{
	struct statvfs v;
	double used, total;

	if (statvfs(root, &v) != 0)
		return (qs_error_errno(root, "statvfs"));
	used = (double)(v.f_blocks - v.f_bfree);
	total = used + (double)v.f_bavail;
	*used_pct = total > 0 ? 100.0 * used / total : 0.0;
	*avail = (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
	return (QS_OK);
}

/**
 * alerts_state_store(s, now, st):
 * Examine the open store ${s}: keystore backup copy, key count, rotation.
 */
int
alerts_state_store(struct store *s, int64_t now, struct alerts_state *st)
{
	struct keystore_header_info pi, bi;
	struct keystore *ks;
	char primary[4096], backup[4096];
	int rc;

	memset(st, 0, sizeof(*st));
	if (s == NULL)
		return (qs_error_set(QS_EINVAL, "no store"));
	if (!store_config(s)->encrypted)
		return (QS_OK);
	st->encrypted = 1;
	store_keystore_paths(s, primary, sizeof(primary), backup,
	    sizeof(backup));
	snprintf(st->backup_path, sizeof(st->backup_path), "%s", backup);
	if (keystore_peek(primary, &pi) == QS_OK)
		st->primary_generation = pi.generation;
	else
		pi.generation = 0;
	rc = keystore_peek(backup, &bi);
	if (rc == QS_ENOENT)
		st->backup = ALERTS_STATE_BACKUP_MISSING;
	else if (rc != QS_OK || memcmp(bi.store_id, store_config(s)->store_id,
	    sizeof(bi.store_id)) != 0)
		st->backup = ALERTS_STATE_BACKUP_UNREADABLE;
	else {
		st->backup_generation = bi.generation;
		if (bi.generation < pi.generation)
			st->backup = ALERTS_STATE_BACKUP_OLDER;
	}
	qs_error_clear();
	if ((ks = store_keystore(s)) != NULL) {
		st->keys_known = 1;
		st->key_count = keystore_key_count(ks);
		st->last_rotation = keystore_last_rotation(ks);
		st->rotation_secs = keystore_rotation(ks);
		if (keystore_mode(ks) == KEYSTORE_MODE_INTERNAL &&
		    st->rotation_secs > 0 && now > st->last_rotation &&
		    (uint64_t)(now - st->last_rotation) >=
		    2 * st->rotation_secs)
			st->rotation_overdue = 1;
	}
	return (QS_OK);
}
