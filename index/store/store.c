/*
 * Opening and closing a store, its accessors and keys, and the cache of
 * container descriptors (see store_internal.h for the other store*.c).
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/chunkid.h"
#include "crypto/gear.h"
#include "crypto/keystore.h"
#include "crypto/secmem.h"
#include "format/config.h"
#include "format/container_fmt.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "index/chunk/chunker.h"
#include "index/chunk/chunkindex.h"
#include "index/store/store.h"
#include "index/store/store_internal.h"

/* "PRIMARY: DETAIL; the backup copy is ..." keeping the loader's detail. */
static int
keystore_error(int rc, const char *path, const char *backup,
    const char *root)
{
	char msg[4 * 4096];

	if (qs_error_message()[0] != '\0')
		snprintf(msg, sizeof(msg), "%s", qs_error_message());
	else
		snprintf(msg, sizeof(msg), "%s: %s", path, qs_err_string(rc));
	return (qs_error_set(rc, "%s; the backup copy is %s (restore it with "
	    "'qsarc keystore %s restore --from backup')", msg, backup, root));
}

/*
 * Compare the generation of the unlocked primary with the backup copy's
 * header.  The backup lives outside the store, where someone who can only
 * write the store cannot roll it back together with the primary (the
 * config and its MAC are in the store and roll back with it).  A backup
 * ahead of the primary means the primary was replaced by an old copy:
 * refuse an exclusive (writing) job, and mark the handle so that no writer
 * seals under its keys; readers go on with a warning.  A backup behind is
 * the crash between the two writes of a save, repaired by the next save.
 */
static int
generation_check(struct store *s, int lockmode, const char *path,
    const char *backup)
{
	struct keystore_header_info binfo;
	char msg[4 * 4096];
	uint64_t gen = keystore_generation(s->ks);

	if (keystore_peek(backup, &binfo) != QS_OK) {
		qs_error_clear();
		return (QS_OK);
	}
	if (binfo.generation <= gen ||
	    memcmp(binfo.store_id, s->cfg.store_id, 16) != 0)
		return (QS_OK);
	snprintf(msg, sizeof(msg), "%s: the primary keystore (generation "
	    "%llu) is older than the backup copy %s (generation %llu): it was "
	    "replaced by an old copy, whose keys may have been revoked; "
	    "refusing to write under them (if the backup is genuine, run "
	    "'qsarc keystore %s restore --from backup')", path,
	    (unsigned long long)gen, backup,
	    (unsigned long long)binfo.generation, s->root);
	if ((s->ks_stale_msg = strdup(msg)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	s->ks_stale = 1;
	if ((lockmode & 0xff) == STORE_LOCK_EXCLUSIVE)
		return (qs_error_set(QS_ECORRUPT, "%s", msg));
	return (QS_OK);
}

/* 1 if the files ${a} and ${b} cannot be read or do not hold the same bytes. */
static int
store_files_differ(const char *a, const char *b)
{
	uint8_t *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;
	int d = 1;

	if (fileio_read_all(a, &x, &xl, 1 << 20) == QS_OK &&
	    fileio_read_all(b, &y, &yl, 1 << 20) == QS_OK)
		d = xl != yl || memcmp(x, y, xl) != 0;
	qs_error_clear();
	free(x);
	free(y);
	return (d);
}

static int
note_set(struct store *s, const char *msg)
{

	free(s->ks_note);
	if ((s->ks_note = strdup(msg)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	return (QS_OK);
}

/*
 * Complete a save cut short between its two writes (spec/keystore.md
 * 6.3): the primary at ${path}, unlocked at generation ${gen}, is ahead of
 * a backup copy of this store whose header says an older generation, so
 * the backup gets the primary's bytes.  Saves run only under the
 * exclusive lock, so under any lock the primary cannot change meanwhile.
 * 1 if it did, 0 if there was nothing to do, or an error.
 */
static int
complete_save(const struct store *s, const char *path, const char *backup,
    uint64_t gen, char *msg, size_t msglen)
{
	struct keystore_header_info pinfo, binfo;
	uint8_t *buf;
	size_t len;
	int rc;

	if (keystore_peek(backup, &binfo) != QS_OK ||
	    memcmp(binfo.store_id, s->cfg.store_id, 16) != 0 ||
	    binfo.generation >= gen ||
	    keystore_peek(path, &pinfo) != QS_OK || pinfo.generation != gen) {
		qs_error_clear();
		return (0);
	}
	if ((rc = fileio_read_all(path, &buf, &len, 1 << 20)) != QS_OK)
		return (rc);
	if ((rc = store_backup_dir_prepare(backup)) == QS_OK)
		rc = fileio_write_atomic(backup, buf, len, 0600, 0);
	free(buf);
	if (rc != QS_OK)
		return (rc);
	snprintf(msg, msglen, "completed an interrupted keystore save: the "
	    "backup copy %s was at generation %llu, the primary %s at %llu; "
	    "both are at %llu now", backup,
	    (unsigned long long)binfo.generation, path,
	    (unsigned long long)gen, (unsigned long long)gen);
	return (1);
}

/**
 * store_keystore_complete(s, pass, passlen, msg, msglen):
 * Complete an interrupted keystore save of an encrypted store.
 */
int
store_keystore_complete(struct store *s, const uint8_t *pass, size_t passlen,
    char *msg, size_t msglen)
{
	struct keystore *ks = NULL;
	char path[4096], backup[4096];
	uint64_t gen;
	int rc;

	msg[0] = '\0';
	if (!s->cfg.encrypted)
		return (0);
	store_keystore_paths(s, path, sizeof(path), backup, sizeof(backup));
	if (s->ks != NULL && !s->ks_damaged && !s->ks_stale) {
		gen = keystore_generation(s->ks);
	} else {
		if (keystore_load(path, s->cfg.store_id, pass, passlen, &ks) !=
		    QS_OK) {
			qs_error_clear();
			return (0);
		}
		gen = keystore_generation(ks);
		keystore_free(ks);
	}
	rc = complete_save(s, path, backup, gen, msg, msglen);
	if (rc < 0) {
		snprintf(msg, msglen, "could not complete an interrupted "
		    "keystore save (the backup copy %s is behind the primary "
		    "%s): %s", backup, path, qs_error_message());
		qs_error_clear();
		return (0);
	}
	return (rc);
}

/*
 * The primary at ${path} failed with ${prc} (its detail in ${pmsg}).  If
 * the backup copy unlocks with ${pass}, go on with its keys (readers need
 * no person to restore from an intact copy), saying why:
 *  - the primary is a save ahead under another passphrase (QS_EPASS, its
 *    header a generation above the backup's): a passphrase change cut
 *    between the two writes.  Readers go on; writers under the shared
 *    lock are refused (store_write_check) until the new passphrase is
 *    given; an exclusive job goes on, and its next save supersedes both
 *    copies (the change was never acknowledged).
 *  - the primary is older than the backup (a replayed copy, t_19): as
 *    generation_check: readers go on with a warning, writers refused.
 *  - otherwise the primary is damaged (the two copies of one generation
 *    hold the same bytes, so a copy that fails where its twin unlocks is
 *    damage, never a wrong passphrase): go on with the backup's keys; an
 *    exclusive job writes the backup's bytes back over the primary.
 * Return QS_OK with s->ks set, or the error to report.
 */
static int
backup_fallback(struct store *s, int lockmode, const char *path,
    const char *backup, int prc, const char *pmsg, const uint8_t *pass,
    size_t passlen)
{
	struct keystore_header_info pinfo, binfo;
	struct keystore *bks = NULL;
	char msg[4 * 4096];
	uint64_t bgen;
	uint8_t *buf;
	size_t len;
	int rc, pok, excl = (lockmode & 0xff) == STORE_LOCK_EXCLUSIVE;

	if ((rc = keystore_load(backup, s->cfg.store_id, pass, passlen,
	    &bks)) != QS_OK) {
		int brc = rc;

		qs_error_clear();
		/*
		 * Neither opens.  Two copies of one generation that differ
		 * show damage; else the passphrase is the likelier cause.
		 */
		if (prc == QS_EPASS && brc == QS_EPASS &&
		    keystore_peek(path, &pinfo) == QS_OK &&
		    keystore_peek(backup, &binfo) == QS_OK &&
		    pinfo.generation == binfo.generation &&
		    store_files_differ(path, backup))
			return (qs_error_set(QS_ECORRUPT, "%s and its backup "
			    "copy %s (both generation %llu) differ, so one is "
			    "damaged, and neither unlocks with this passphrase "
			    "(run 'qsarc keystore %s check' with the right one)",
			    path, backup, (unsigned long long)pinfo.generation,
			    s->root));
		qs_error_clear();
		if (prc == QS_EPASS)
			return (qs_error_set(QS_EPASS, "%s: wrong passphrase",
			    path));
		if (prc == QS_ENOENT)
			return (qs_error_set(QS_ECORRUPT, "%s: the primary "
			    "keystore is missing, and the backup copy %s does "
			    "not open either", path, backup));
		return (qs_error_set(prc, "%s; the backup copy %s does not "
		    "open either", pmsg, backup));
	}
	bgen = keystore_generation(bks);
	pok = keystore_peek(path, &pinfo) == QS_OK &&
	    memcmp(pinfo.store_id, s->cfg.store_id, 16) == 0;
	qs_error_clear();
	if (prc == QS_EPASS && pok && pinfo.generation > bgen) {
		/* The words of keystore_repair_hint, for one advice. */
		snprintf(msg, sizeof(msg), "the primary copy %s (generation "
		    "%llu) is a save ahead of the backup copy (generation "
		    "%llu), under another passphrase: a passphrase change was "
		    "interrupted between the two copies; give the new "
		    "passphrase and the next command completes the change (or "
		    "run 'qsarc rekey %s --change-passphrase' again); going on "
		    "with the keys of the backup copy %s", path,
		    (unsigned long long)pinfo.generation,
		    (unsigned long long)bgen, s->root, backup);
		if (excl) {
			/* This job's save must supersede both copies. */
			keystore_generation_at_least(bks, pinfo.generation);
			rc = note_set(s, msg);
		} else if ((s->ks_stale_msg = strdup(msg)) == NULL) {
			rc = qs_error_set(QS_ENOMEM, "out of memory");
		} else {
			s->ks_stale = 1;
			rc = QS_OK;
		}
		goto done;
	}
	if (prc == QS_EPASS && pok && pinfo.generation < bgen) {
		snprintf(msg, sizeof(msg), "%s: the primary keystore "
		    "(generation %llu) is older than the backup copy %s "
		    "(generation %llu), which this passphrase unlocks: it was "
		    "replaced by an old copy; if the backup is genuine, run "
		    "'qsarc keystore %s restore --from backup'", path,
		    (unsigned long long)pinfo.generation, backup,
		    (unsigned long long)bgen, s->root);
		if (excl) {
			rc = qs_error_set(QS_ECORRUPT, "%s", msg);
		} else if ((s->ks_stale_msg = strdup(msg)) == NULL) {
			rc = qs_error_set(QS_ENOMEM, "out of memory");
		} else {
			s->ks_stale = 1;
			rc = QS_OK;
		}
		goto done;
	}
	/* Damage. */
	s->ks_damaged = 1;
	if (prc == QS_EPASS)
		snprintf(msg, sizeof(msg), "%s: the primary keystore is "
		    "damaged: it does not unlock, but its backup copy %s of "
		    "the same generation %llu does", path, backup,
		    (unsigned long long)bgen);
	else if (prc == QS_ENOENT)
		snprintf(msg, sizeof(msg), "%s: the primary keystore is "
		    "missing", path);
	else
		snprintf(msg, sizeof(msg), "%s: the primary keystore is "
		    "damaged (%s)", path, pmsg);
	len = strlen(msg);
	/* Never put an older backup over a primary that says it is newer. */
	if (excl && !s->lock_readonly && (!pok || pinfo.generation <= bgen)) {
		rc = fileio_read_all(backup, &buf, &len, 1 << 20);
		if (rc == QS_OK) {
			rc = fileio_write_atomic(path, buf, len, 0600, 0);
			free(buf);
		}
		len = strlen(msg);
		if (rc == QS_OK)
			snprintf(msg + len, sizeof(msg) - len, "; restored it "
			    "from the backup copy %s (generation %llu)", backup,
			    (unsigned long long)bgen);
		else
			snprintf(msg + len, sizeof(msg) - len, "; using the "
			    "backup copy %s (generation %llu); restoring the "
			    "primary from it failed: %s", backup,
			    (unsigned long long)bgen, qs_error_message());
		qs_error_clear();
	} else {
		snprintf(msg + len, sizeof(msg) - len, "; using the backup "
		    "copy %s (generation %llu); the next exclusive command "
		    "(or 'qsarc keystore %s restore --from backup') restores "
		    "the primary from it", backup, (unsigned long long)bgen,
		    s->root);
	}
	rc = note_set(s, msg);
done:
	if (rc == QS_OK) {
		s->ks = bks;
		bks = NULL;
	}
	keystore_free(bks);
	return (rc);
}

/*
 * A plain config next to a keystore of this store (the primary
 * STORE/keystore, or a backup copy naming this store id at the default
 * path): `qsarc encrypt` was interrupted between the keystore and the
 * config (it writes them in that order; running it again finishes), or an
 * encrypted store's config was replaced by a plain one.  Either way the
 * store must not be opened as plain: QS_ECORRUPT naming the keystore.
 */
static int
plain_with_keystore(const struct store *s)
{
	struct keystore_header_info info;
	char path[4096];
	int rc;

	if ((rc = store_path_keystore(s->root, path, sizeof(path))) != QS_OK)
		return (rc);
	if (access(path, F_OK) != 0) {
		store_default_keystore_backup(s->cfg.store_id, path,
		    sizeof(path));
		if (keystore_peek(path, &info) != QS_OK ||
		    memcmp(info.store_id, s->cfg.store_id, 16) != 0) {
			qs_error_clear();
			return (QS_OK);
		}
	}
	return (qs_error_set(QS_ECORRUPT, "%s/config: the config says the "
	    "store is plain, but %s is a keystore for it: if 'qsarc encrypt' "
	    "was interrupted, run it again ('qsarc encrypt %s'); otherwise "
	    "the config was replaced by a plain one; refusing to open the "
	    "store as plain", s->root, path, s->root));
}

/**
 * store_open(root, lockmode, timeout_ms, pass, passlen, s):
 * Open the store at ${root}.
 */
int
store_open(const char *root, int lockmode, int timeout_ms,
    const uint8_t *pass, size_t passlen, struct store **sp)
{
	struct chunker_params cp;
	struct store *s;
	char path[4096], backup[4096];
	uint8_t *raw = NULL;
	uint8_t mac[32];
	int rc;

	if ((rc = store_root_check(root)) != QS_OK)
		return (rc);
	/* An empty handle: no lock, no cached descriptors. */
	if ((rc = secmem_init()) != QS_OK)
		return (rc);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	s->lock_fd = -1;
	pthread_mutex_init(&s->fd_mutex, NULL);
	for (size_t i = 0; i < STORE_FD_CACHE_SIZE; i++)
		s->fds[i].fd = -1;
	/*
	 * Absolute, so that threads and libarchive's disk writer (which
	 * changes directory) still find the store.
	 */
	if ((s->root = realpath(root, NULL)) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			rc = qs_error_set(QS_ENOENT, "%s: no qsarc store here "
			    "(no such directory)", root);
		else
			rc = qs_error_errno(root, "realpath");
		goto err;
	}
	/* Read the config before locking: "not a store" beats "busy". */
	if ((rc = store_config_read(root, &s->cfg, NULL)) != QS_OK)
		goto err;
	if (!(lockmode & STORE_OPEN_NOLOCK) &&
	    (rc = store_lock_take(s, lockmode, timeout_ms)) != QS_OK)
		goto err;
	/* Re-read under the lock: an exclusive holder may have changed it. */
	if ((rc = store_config_read(root, &s->cfg, &raw)) != QS_OK)
		goto err;
	/*
	 * A passphrase means the caller found the store encrypted.  Decide
	 * it here, on the config read under the lock: one swapped for a
	 * plain config between the caller's look and the lock must not make
	 * a job that brought a passphrase write in the clear.
	 */
	if (pass != NULL && !s->cfg.encrypted &&
	    !(lockmode & STORE_OPEN_TO_ENCRYPT)) {
		rc = qs_error_set(QS_EPASS, "%s: a passphrase was given but "
		    "the store is not encrypted; refusing, in case its config "
		    "was replaced", root);
		goto err;
	}
	if (!s->cfg.encrypted && !(lockmode & STORE_OPEN_TO_ENCRYPT) &&
	    (rc = plain_with_keystore(s)) != QS_OK)
		goto err;
	/* Parameters out of range mean a damaged (or hand-edited) config. */
	cp.min_size = s->cfg.chunk_min;
	cp.avg_size = s->cfg.chunk_avg;
	cp.max_size = s->cfg.chunk_max;
	if (s->cfg.zstd_level < 1 || s->cfg.zstd_level > 22 ||
	    s->cfg.container_size < (1U << 20) ||
	    s->cfg.container_size > (1U << 30)) {
		rc = qs_error_set(QS_ECORRUPT, "%s/config: compression level "
		    "%d or container size %u out of range", root,
		    s->cfg.zstd_level, s->cfg.container_size);
		goto err;
	}
	if (chunker_params_check(&cp) != QS_OK) {
		rc = qs_error_set(QS_ECORRUPT, "%s/config: invalid chunking "
		    "parameters %u/%u/%u", root, cp.min_size, cp.avg_size,
		    cp.max_size);
		goto err;
	}
	/* The keys: unlock the keystore, or take the config's plain keys. */
	if (s->cfg.encrypted && !(lockmode & STORE_OPEN_NOKEYS)) {
		if (pass == NULL) {
			rc = qs_error_set(QS_EINVAL, "%s: the store is "
			    "encrypted and no passphrase was given", root);
			goto err;
		}
		store_keystore_paths(s, path, sizeof(path), backup,
		    sizeof(backup));
		rc = keystore_load(path, s->cfg.store_id, pass, passlen,
		    &s->ks);
		if (rc == QS_EPASS || rc == QS_ECORRUPT ||
		    rc == QS_EVERSION || rc == QS_ENOENT) {
			char pmsg[2 * 4096];

			snprintf(pmsg, sizeof(pmsg), "%s", qs_error_message());
			if (pmsg[0] == '\0')
				snprintf(pmsg, sizeof(pmsg), "%s: %s", path,
				    qs_err_string(rc));
			qs_error_clear();
			rc = backup_fallback(s, lockmode, path, backup, rc,
			    pmsg, pass, passlen);
		} else if (rc != QS_OK) {
			rc = keystore_error(rc, path, backup, root);
		}
		if (rc != QS_OK)
			goto err;
		if (s->ks_note == NULL && !s->ks_stale) {
			char cmsg[2 * 4096 + 256];

			if ((rc = generation_check(s, lockmode, path,
			    backup)) != QS_OK)
				goto err;
			if (!s->ks_stale && store_keystore_complete(s, pass,
			    passlen, cmsg, sizeof(cmsg)) >= 0 &&
			    cmsg[0] != '\0' && (rc = note_set(s, cmsg)) !=
			    QS_OK)
				goto err;
		}
		/* Only the passphrase holder can have written this config. */
		store_config_mac(keystore_idkey(s->ks),
		    raw + CONFIG_HEADER_SIZE,
		    s->cfg.mac_input_end - CONFIG_HEADER_SIZE, mac);
		if (!chunkid_equal(mac, s->cfg.mac)) {
			rc = qs_error_set(QS_EAUTH, "%s/config: the config "
			    "does not authenticate with this store's keys "
			    "(it was changed by someone without the "
			    "passphrase)", root);
			goto err;
		}
		gear_derive(keystore_gearkey(s->ks), s->gear);
	} else if (s->cfg.has_plain_keys) {
		gear_derive(s->cfg.plain_gearkey, s->gear);
	}
	/* Keep the passphrase (secure memory) for later keystore saves. */
	if (pass != NULL) {
		if ((s->pass = secmem_alloc(passlen + 1)) == NULL) {
			rc = qs_error_set(QS_ENOMEM, "out of memory");
			goto err;
		}
		memcpy(s->pass, pass, passlen);
		s->passlen = passlen;
	}
	/* Last, the chunk index. */
	if ((rc = store_path_index(root, path, sizeof(path))) != QS_OK)
		goto err;
	if ((rc = chunkindex_open(path, &s->idx)) != QS_OK) {
		/* Damage there is repaired from the containers. */
		if (rc == QS_ECORRUPT)
			qs_error_set(rc, "%s (rebuild the index with 'qsarc "
			    "verify %s --rebuild-index')", qs_error_message(),
			    root);
		goto err;
	}
	/*
	 * Under the exclusive lock: the stream set of a store written before
	 * it existed is created, and changes a crash left pending settled.
	 */
	if ((lockmode & 0xff) == STORE_LOCK_EXCLUSIVE &&
	    !(lockmode & STORE_OPEN_NOLOCK) &&
	    (rc = store_streamset_settle(s)) != QS_OK)
		goto err;
	free(raw);
	*sp = s;
	return (QS_OK);

err:
	free(raw);
	store_close(s);
	return (rc);
}

/**
 * store_close(s):
 * Release everything, the lock last.  ${s} may be NULL.
 */
void
store_close(struct store *s)
{

	if (s == NULL)
		return;
	chunkindex_close(s->idx);
	keystore_free(s->ks);
	free(s->ks_stale_msg);
	free(s->ks_note);
	if (s->pass != NULL)
		secmem_free(s->pass, s->passlen + 1);
	for (size_t i = 0; i < STORE_FD_CACHE_SIZE; i++)
		if (s->fds[i].fd >= 0)
			close(s->fds[i].fd);
	pthread_mutex_destroy(&s->fd_mutex);
	secmem_wipe(s->cfg.plain_idkey, sizeof(s->cfg.plain_idkey));
	secmem_wipe(s->cfg.plain_gearkey, sizeof(s->cfg.plain_gearkey));
	secmem_wipe(s->gear, sizeof(s->gear));
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->root);
	free(s);
}

/**
 * store_root(s):
 * The store's directory.
 */
const char *
store_root(const struct store *s)
{

	return (s->root);
}

/**
 * store_config(s):
 * The store's config.
 */
const struct store_config *
store_config(const struct store *s)
{

	return (&s->cfg);
}

/**
 * store_index(s):
 * The store's chunk index.
 */
struct chunkindex *
store_index(struct store *s)
{

	return (s->idx);
}

/**
 * store_keystore(s):
 * The unlocked keystore, NULL for a plain store.
 */
struct keystore *
store_keystore(struct store *s)
{

	return (s->ks);
}

/**
 * store_write_check(s):
 * QS_OK, or QS_ECORRUPT if the primary keystore is older than the backup.
 */
int
store_write_check(const struct store *s)
{

	if (s->ks_stale)
		return (qs_error_set(QS_ECORRUPT, "%s", s->ks_stale_msg));
	return (QS_OK);
}

/**
 * store_warning(s):
 * A warning for the user, or NULL.
 */
const char *
store_warning(const struct store *s)
{

	return (s->ks_stale ? s->ks_stale_msg : s->ks_note);
}

/**
 * store_keystore_damaged(s):
 * Non-zero if the primary keystore failed its checks at open.
 */
int
store_keystore_damaged(const struct store *s)
{

	return (s->ks_damaged);
}

/**
 * store_write_keys(s, key_id, key, idkey):
 * The keys new data is written with.
 */
void
store_write_keys(const struct store *s, uint16_t *key_id,
    const uint8_t **key, const uint8_t **idkey)
{

	if (s->ks != NULL) {
		*key_id = keystore_current_id(s->ks);
		*key = keystore_key(s->ks, *key_id);
		*idkey = keystore_idkey(s->ks);
	} else {
		*key_id = 0;
		*key = NULL;
		*idkey = s->cfg.plain_idkey;
	}
}

/**
 * store_gear_table(s, table):
 * Fill ${table} with the gear table new data is chunked with.
 */
void
store_gear_table(const struct store *s, uint64_t table[256])
{

	memcpy(table, s->gear, sizeof(s->gear));
}

/**
 * store_read_keys(s, key_id, key, idkey):
 * The content key and id key of a record sealed under ${key_id}.
 */
int
store_read_keys(const struct store *s, uint16_t key_id, const uint8_t **key,
    const uint8_t **idkey)
{

	if (key_id == 0) {
		/* Plain data: written before encryption was enabled. */
		if (!s->cfg.has_plain_keys)
			return (QS_EAUTH);
		*key = NULL;
		*idkey = s->cfg.plain_idkey;
		return (QS_OK);
	}
	if (s->ks == NULL || (*key = keystore_key(s->ks, key_id)) == NULL)
		return (QS_EAUTH);
	*idkey = keystore_idkey(s->ks);
	return (QS_OK);
}

/**
 * store_container_fd(s, container_id, fd):
 * Return a cached read-only descriptor of the container.
 */
int
store_container_fd(struct store *s, uint64_t container_id, int *fdp)
{
	struct store_fd_slot *victim = &s->fds[0];
	char path[4096];
	int fd, rc = QS_OK;

	pthread_mutex_lock(&s->fd_mutex);
	s->fd_clock++;
	for (size_t i = 0; i < STORE_FD_CACHE_SIZE; i++) {
		if (s->fds[i].fd >= 0 &&
		    s->fds[i].container_id == container_id) {
			s->fds[i].last_use = s->fd_clock;
			*fdp = s->fds[i].fd;
			goto done;
		}
		if (s->fds[i].last_use < victim->last_use)
			victim = &s->fds[i];
	}
	if ((rc = store_container_path(s->root, container_id, path,
	    sizeof(path))) != QS_OK)
		goto done;
	if ((rc = fileio_open_regular(path, 0, &fd)) != QS_OK) {
		if (rc == QS_ENOENT)
			rc = qs_error_set(QS_ECORRUPT, "%s: container is "
			    "missing", path);
		goto done;
	}
	/*
	 * Another thread may still be reading through the victim's fd, so
	 * with more containers in use than slots we would close under it.
	 * Readers hold at most a few containers at a time and the cache has
	 * 64 slots, so the least recently used one is long idle.
	 */
	if (victim->fd >= 0)
		close(victim->fd);
	victim->fd = fd;
	victim->container_id = container_id;
	victim->last_use = s->fd_clock;
	*fdp = fd;
done:
	pthread_mutex_unlock(&s->fd_mutex);
	return (rc);
}

/**
 * store_container_stats(s, st):
 * Walk data/ and sum the container trailers.
 */
int
store_container_stats(struct store *s, struct store_container_stats *st)
{
	struct container_trailer t;
	uint8_t tbuf[CONTAINER_TRAILER_SIZE], hbuf[CONTAINER_HEADER_SIZE];
	struct container_header ch;
	char dpath[4096], fpath[4400];
	struct dirent *de, *fe;
	struct stat sb;
	DIR *d, *sub;
	size_t len;
	int fd, rc = QS_OK;

	/* Every data/XX/ID.qsc; unreadable files count without records. */
	memset(st, 0, sizeof(*st));
	if ((rc = store_path_data(s->root, dpath, sizeof(dpath))) != QS_OK)
		return (rc);
	if ((d = opendir(dpath)) == NULL)
		return (qs_error_errno(dpath, "open directory"));
	while (rc == QS_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(fpath, sizeof(fpath), "%s/%s", dpath, de->d_name);
		if ((sub = opendir(fpath)) == NULL)
			continue;
		while ((fe = readdir(sub)) != NULL) {
			len = strlen(fe->d_name);
			if (fe->d_name[0] == '.' || len < 5 ||
			    strcmp(fe->d_name + len - 4, ".qsc") != 0)
				continue;
			snprintf(fpath, sizeof(fpath), "%s/%s/%s", dpath,
			    de->d_name, fe->d_name);
			if (fileio_open_regular(fpath, 0, &fd) != QS_OK) {
				qs_error_clear();
				continue;
			}
			if (fstat(fd, &sb) == 0 && sb.st_size >=
			    CONTAINER_HEADER_SIZE + CONTAINER_TRAILER_SIZE &&
			    fileio_pread_full(fd, tbuf, sizeof(tbuf),
			    (uint64_t)sb.st_size - sizeof(tbuf), fpath) ==
			    QS_OK &&
			    container_fmt_trailer_decode(tbuf, sizeof(tbuf), &t) ==
			    QS_OK) {
				st->records += t.record_count;
				st->raw_bytes += t.raw_bytes;
				/* Version 2: the raw lengths are sealed. */
				if (fileio_pread_full(fd, hbuf, sizeof(hbuf), 0,
				    fpath) == QS_OK &&
				    container_fmt_header_decode(hbuf,
				    sizeof(hbuf), &ch) == QS_OK &&
				    ch.version == CONTAINER_VERSION_SEALED)
					st->sealed_records += t.record_count;
			}
			qs_error_clear();
			if (fstat(fd, &sb) == 0) {
				st->containers++;
				st->stored_bytes += (uint64_t)sb.st_size;
			}
			close(fd);
		}
		closedir(sub);
	}
	closedir(d);
	qs_error_clear();
	return (rc);
}

/**
 * store_relock(s, lockmode, timeout_ms):
 * Release the store lock, take it again in ${lockmode}, reopen the index.
 */
int
store_relock(struct store *s, int lockmode, int timeout_ms)
{
	char path[4096];
	int rc;

	chunkindex_close(s->idx);
	s->idx = NULL;
	(void)flock(s->lock_fd, LOCK_UN);
	if ((rc = store_lock_take(s, lockmode, timeout_ms)) != QS_OK)
		return (rc);
	if ((rc = store_path_index(s->root, path, sizeof(path))) != QS_OK)
		return (rc);
	return (chunkindex_open(path, &s->idx));
}

/**
 * store_open_reader(s, copy):
 * A second handle on the same store, sharing ${s}'s lock and keys.
 */
int
store_open_reader(struct store *s, struct store **copy)
{

	return (store_open(s->root, STORE_LOCK_SHARED | STORE_OPEN_NOLOCK, 0,
	    s->pass, s->passlen, copy));
}
