/*
 * A new store, its config file (and the config MAC of an encrypted one),
 * keystore saves and turning encryption on.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "crypto/chunkid.h"
#include "crypto/gear.h"
#include "crypto/kdf.h"
#include "crypto/keystore.h"
#include "crypto/random.h"
#include "crypto/secmem.h"
#include "format/config.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "index/chunk/chunker.h"
#include "index/store/store.h"
#include "index/store/store_internal.h"

/**
 * store_init_opts_default(o):
 * Fill ${o} with the defaults.
 */
void
store_init_opts_default(struct store_init_opts *o)
{

	memset(o, 0, sizeof(*o));
	o->chunk_min = CHUNKER_DEFAULT_MIN;
	o->chunk_avg = CHUNKER_DEFAULT_AVG;
	o->chunk_max = CHUNKER_DEFAULT_MAX;
	o->zstd_level = STORE_DEFAULT_ZSTD_LEVEL;
	o->container_size = STORE_DEFAULT_CONTAINER_SIZE;
}

/**
 * store_config_mac(idkey, fields, len, mac):
 * The MAC of an encrypted store's config: keyed BLAKE2b-256 over every
 * field before the MAC field, under a key derived from the keystore's
 * chunk-id secret (spec/CRYPTO.md, "Config MAC").
 */
void
store_config_mac(const uint8_t *idkey, const uint8_t *fields, size_t len,
    uint8_t mac[32])
{
	uint8_t mackey[32];

	/*
	 * A personalised derivation: a chunk id (also keyed with idkey, but
	 * never personalised) can never equal this key, whatever the chunk.
	 */
	chunkid_derive(idkey, "qsarc-config-mac", mackey);
	chunkid_compute(mackey, fields, len, mac);
	secmem_wipe(mackey, sizeof(mackey));
}

/**
 * store_check_config_mac(s, idkey):
 * Check the config of an encrypted store against the chunk-id secret
 * ${idkey} of a keystore copy.
 */
int
store_check_config_mac(struct store *s, const uint8_t *idkey)
{
	struct store_config *cfg;
	uint8_t *raw = NULL;
	uint8_t mac[32];
	int rc;

	if ((cfg = malloc(sizeof(*cfg))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = store_config_read(s->root, cfg, &raw)) == QS_OK &&
	    cfg->encrypted) {
		store_config_mac(idkey, raw + CONFIG_HEADER_SIZE,
		    cfg->mac_input_end - CONFIG_HEADER_SIZE, mac);
		if (!chunkid_equal(mac, cfg->mac))
			rc = qs_error_set(QS_EAUTH, "%s/config: the config "
			    "does not authenticate with this keystore (it "
			    "was changed by someone without the passphrase)",
			    s->root);
	}
	free(raw);
	free(cfg);
	return (rc);
}

/*
 * Write the config: fields (with the MAC of an encrypted store, computed
 * with ${idkey}), then BLAKE2b-256 of all of it.
 */
static int
config_write(const char *root, const struct store_config *cfg,
    const uint8_t *idkey)
{
	uint8_t buf[CONFIG_MAX_SIZE];
	char path[4096];
	size_t len, mac_at;
	int rc;

	if ((rc = store_path_config(root, path, sizeof(path))) != QS_OK)
		return (rc);
	if (config_encode(cfg, buf, sizeof(buf) - CONFIG_TRAILER_SIZE, &len,
	    &mac_at) != QS_OK)
		return (qs_error_set(QS_EINVAL, "%s: config too large", path));
	if (mac_at != 0) {
		if (idkey == NULL)
			return (qs_error_set(QS_EINVAL, "%s: no key for the "
			    "config MAC", path));
		store_config_mac(idkey, buf + CONFIG_HEADER_SIZE,
		    mac_at - 4 - CONFIG_HEADER_SIZE, buf + mac_at);
	}
	checksum_blake2b256(buf, len, buf + len);
	return (fileio_write_atomic(path, buf, len + CONFIG_TRAILER_SIZE,
	    STORE_MODE_FILE, 0));
}

/**
 * store_config_read(root, cfg, raw):
 * Read and check the config at ${root}; hand its bytes over in ${raw}.
 */
int
store_config_read(const char *root, struct store_config *cfg, uint8_t **raw)
{
	uint8_t sum[CHECKSUM_BYTES];
	char path[4096];
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = store_root_check(root)) != QS_OK ||
	    (rc = store_path_config(root, path, sizeof(path))) != QS_OK)
		return (rc);
	if ((rc = fileio_read_all(path, &buf, &len, CONFIG_MAX_SIZE)) !=
	    QS_OK) {
		if (rc == QS_ENOENT)
			return (qs_error_set(QS_ENOENT,
			    "%s: no qsarc store here (no config file)", root));
		return (rc);
	}
	if (len < CONFIG_HEADER_SIZE + CONFIG_TRAILER_SIZE) {
		rc = qs_error_set(QS_ECORRUPT, "%s: truncated (%zu bytes)",
		    path, len);
		goto done;
	}
	len -= CONFIG_TRAILER_SIZE;
	checksum_blake2b256(buf, len, sum);
	/*
	 * Integrity before the version: every config version ends in this
	 * checksum (spec/FORMAT.md 3), so a mismatch is damage even where the
	 * version or flags read as a newer qsarc's (a rotten byte 8).
	 */
	if (memcmp(sum, buf + len, CHECKSUM_BYTES) != 0) {
		rc = qs_error_set(QS_ECORRUPT,
		    "%s: checksum mismatch: the config is damaged", path);
		goto done;
	}
	rc = config_decode(buf, len, cfg);
	if (rc == QS_EVERSION)
		qs_error_set(rc, "%s: written by a newer qsarc (unknown "
		    "version, flag or required field)", path);
	else if (rc != QS_OK)
		qs_error_set(rc, "%s: malformed config", path);
	if (rc == QS_OK && raw != NULL) {
		*raw = buf;
		return (QS_OK);
	}
done:
	free(buf);
	return (rc);
}

/**
 * store_peek_encrypted(root, encrypted):
 * Read only the config of the store at ${root} and set ${encrypted}.
 */
int
store_peek_encrypted(const char *root, int *encrypted)
{
	struct store_config *cfg;
	int rc;

	if ((cfg = malloc(sizeof(*cfg))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = store_config_read(root, cfg, NULL)) == QS_OK)
		*encrypted = cfg->encrypted;
	free(cfg);
	return (rc);
}

/**
 * store_peek_id(root, id):
 * Read only the config of the store at ${root} and copy its store id.
 */
int
store_peek_id(const char *root, uint8_t id[16])
{
	struct store_config *cfg;
	int rc;

	if ((cfg = malloc(sizeof(*cfg))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = store_config_read(root, cfg, NULL)) == QS_OK)
		memcpy(id, cfg->store_id, 16);
	free(cfg);
	return (rc);
}

static int
dir_is_empty_or_absent(const char *root)
{
	struct dirent *de;
	DIR *d;
	int rc = QS_OK;

	if ((d = opendir(root)) == NULL) {
		if (errno == ENOENT)
			return (QS_OK);
		return (qs_error_errno(root, "open directory"));
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			rc = qs_error_set(QS_EEXIST,
			    "%s: directory is not empty; a new store needs "
			    "an empty or new directory", root);
			break;
		}
	}
	closedir(d);
	return (rc);
}

/* Make ${path} absolute (relative to the working directory) in ${buf}. */
static int
absolute_path(const char *path, char *buf, size_t buflen)
{
	char cwd[4096];
	int n;

	if (path[0] == '/') {
		n = snprintf(buf, buflen, "%s", path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return (qs_error_errno(".", "getcwd"));
		n = snprintf(buf, buflen, "%s/%s", cwd, path);
	}
	if (n < 0 || (size_t)n >= buflen)
		return (qs_error_set(QS_EINVAL, "%s: path too long", path));
	return (QS_OK);
}

/*
 * The backup keystore path for the --keystore-backup argument ${given},
 * absolute, in ${buf}: a directory (existing, or written with a trailing
 * '/') holds the copy as STOREID.qsk; anything else is the file itself.
 */
static int
backup_path(const char *given, const uint8_t store_id[16], char *buf,
    size_t buflen)
{
	char dir[4096];
	size_t gl = strlen(given);
	struct stat sb;
	int rc;

	if ((rc = absolute_path(given, buf, buflen)) != QS_OK)
		return (rc);
	if ((gl > 0 && given[gl - 1] == '/') ||
	    (stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode))) {
		snprintf(dir, sizeof(dir), "%s", buf);
		return (store_keystore_backup_in(dir, store_id, buf, buflen));
	}
	return (QS_OK);
}

/**
 * store_backup_dir_prepare(backup):
 * Create the directories leading to the backup keystore, mode 0700.
 */
int
store_backup_dir_prepare(const char *backup)
{
	char dir[4096];
	char *slash;
	int rc;

	snprintf(dir, sizeof(dir), "%s", backup);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return (QS_OK);
	*slash = '\0';
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		rc = fileio_mkdir(dir, 0700);
		*p = '/';
		if (rc != QS_OK)
			return (rc);
	}
	return (fileio_mkdir(dir, 0700));
}

/*
 * Undo a store_init that failed: remove what it made, so that nothing is
 * left behind and the same command can simply be run again.  ${root} was
 * created by it if ${made_root}; ${backup}, if not NULL, is a backup
 * keystore copy it wrote.  Best effort: the original error is kept.
 */
static void
init_undo(const char *root, int made_root, const char *backup)
{
	static int (*const dirs[])(const char *, char *, size_t) = {
		store_path_data, store_path_index, store_path_catalogues,
	};
	struct qs_error saved;
	char path[4096];
	size_t i;

	qs_error_save(&saved);
	if (store_path_config(root, path, sizeof(path)) == QS_OK)
		(void)unlink(path);
	if (store_path_keystore(root, path, sizeof(path)) == QS_OK)
		(void)unlink(path);
	if (store_path_lock(root, path, sizeof(path)) == QS_OK)
		(void)unlink(path);
	if (store_path_reserve(root, path, sizeof(path)) == QS_OK)
		(void)unlink(path);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (dirs[i](root, path, sizeof(path)) == QS_OK)
			(void)rmdir(path);
	if (store_path_streams(root, 0, path, sizeof(path)) == QS_OK)
		(void)rmdir(path);
	if (store_path_streams(root, 1, path, sizeof(path)) == QS_OK)
		(void)rmdir(path);
	if (made_root)
		(void)rmdir(root);
	if (backup != NULL)
		(void)unlink(backup);
	qs_error_restore(&saved);
}

/**
 * store_init(root, opts, now):
 * Create a new store at ${root}, all or nothing.
 */
int
store_init(const char *root, const struct store_init_opts *o, int64_t now)
{
	struct chunker_params cp;
	struct store_config *cfg;
	struct keystore *ks = NULL;
	struct kdf_params kdf;
	char path[4096], backup[4096];
	struct stat sb;
	int rc, made_root, started = 0, backup_written = 0;

	/* Check the options before anything touches the disk. */
	if ((rc = store_root_check(root)) != QS_OK)
		return (rc);
	cp.min_size = o->chunk_min;
	cp.avg_size = o->chunk_avg;
	cp.max_size = o->chunk_max;
	if ((rc = chunker_params_check(&cp)) != QS_OK)
		return (rc);
	if (o->zstd_level < 1 || o->zstd_level > 22)
		return (qs_error_set(QS_EINVAL,
		    "compression level %d is out of range (1 to 22)",
		    o->zstd_level));
	if (o->container_size < (1U << 20) || o->container_size > (1U << 30))
		return (qs_error_set(QS_EINVAL,
		    "container size %u is out of range (1 MiB to 1 GiB)",
		    o->container_size));
	if ((rc = dir_is_empty_or_absent(root)) != QS_OK)
		return (rc);
	made_root = lstat(root, &sb) != 0;
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	/* The layout: the directories, then the (empty) lock file. */
	started = 1;
	if ((rc = fileio_mkdir(root, STORE_MODE_DIR)) != QS_OK)
		goto done;
	if ((rc = store_path_data(root, path, sizeof(path))) != QS_OK ||
	    (rc = fileio_mkdir(path, STORE_MODE_DIR)) != QS_OK ||
	    (rc = store_path_index(root, path, sizeof(path))) != QS_OK ||
	    (rc = fileio_mkdir(path, STORE_MODE_DIR)) != QS_OK ||
	    (rc = store_path_streams(root, 0, path, sizeof(path))) != QS_OK ||
	    (rc = fileio_mkdir(path, STORE_MODE_DIR)) != QS_OK ||
	    (rc = store_path_streams(root, 1, path, sizeof(path))) != QS_OK ||
	    (rc = fileio_mkdir(path, STORE_MODE_DIR)) != QS_OK ||
	    (rc = store_path_catalogues(root, path, sizeof(path))) != QS_OK ||
	    (rc = fileio_mkdir(path, STORE_MODE_DIR)) != QS_OK ||
	    (rc = store_path_lock(root, path, sizeof(path))) != QS_OK ||
	    (rc = fileio_write_atomic(path, "", 0, STORE_MODE_FILE, 0)) != QS_OK)
		goto done;
	/*
	 * The space clean gives back on a full disk; a file system without
	 * room for it gets none (clean makes it later if it can).
	 */
	store_reserve_keep(root);

	/* The config: a fresh store id, the parameters, then the keys. */
	random_bytes(cfg->store_id, sizeof(cfg->store_id));
	cfg->created = now;
	cfg->chunk_min = o->chunk_min;
	cfg->chunk_avg = o->chunk_avg;
	cfg->chunk_max = o->chunk_max;
	cfg->zstd_level = o->zstd_level;
	cfg->container_size = o->container_size;
	if (o->encrypt) {
		/* The secrets exist only inside the sealed keystore. */
		if (o->keystore_backup != NULL) {
			if ((rc = backup_path(o->keystore_backup,
			    cfg->store_id, backup, sizeof(backup))) != QS_OK)
				goto done;
			if (lstat(backup, &sb) == 0) {
				rc = qs_error_set(QS_EEXIST, "%s: exists; the "
				    "backup keystore of a new store must be a "
				    "new file", backup);
				goto done;
			}
		} else
			store_default_keystore_backup(cfg->store_id, backup,
			    sizeof(backup));
		if (strlen(backup) > CONFIG_PATH_MAX) {
			rc = qs_error_set(QS_EINVAL, "%s: path too long",
			    backup);
			goto done;
		}
		kdf_params_default(&kdf);
		if (o->kdf_t_cost)
			kdf.t_cost = o->kdf_t_cost;
		if (o->kdf_m_cost_kib)
			kdf.m_cost_kib = o->kdf_m_cost_kib;
		if ((rc = keystore_create(cfg->store_id, o->key_mode ?
		    o->key_mode : KEYSTORE_MODE_INTERNAL, o->rotation_secs,
		    now, &ks)) != QS_OK)
			goto done;
		if ((rc = store_backup_dir_prepare(backup)) != QS_OK)
			goto done;
		if ((rc = store_path_keystore(root, path, sizeof(path))) !=
		    QS_OK)
			goto done;
		backup_written = 1;
		if ((rc = keystore_save(ks, path, backup, o->pass, o->passlen,
		    &kdf)) != QS_OK)
			goto done;
		cfg->encrypted = 1;
		snprintf(cfg->keystore_backup, sizeof(cfg->keystore_backup),
		    "%s", backup);
	} else {
		cfg->has_plain_keys = 1;
		random_bytes(cfg->plain_idkey, 32);
		random_bytes(cfg->plain_gearkey, 32);
	}
	/* The config last: without it the directory is not a store. */
	rc = config_write(root, cfg, ks != NULL ? keystore_idkey(ks) : NULL);
done:
	if (rc != QS_OK && started)
		init_undo(root, made_root, backup_written ? backup : NULL);
	keystore_free(ks);
	free(cfg);
	return (rc);
}

/**
 * store_keystore_save(s, newpass, newlen):
 * Save the store's keystore under ${newpass} (NULL: the current one).
 */
int
store_keystore_save(struct store *s, const uint8_t *newpass, size_t newlen)
{
	struct keystore_header_info binfo;
	struct kdf_params kdf;
	char primary[4096], backup[4096];
	uint8_t *copy;
	int rc;

	if (s->ks == NULL)
		return (qs_error_set(QS_EINVAL, "%s: the store is not "
		    "encrypted", s->root));
	store_keystore_paths(s, primary, sizeof(primary), backup,
	    sizeof(backup));
	/*
	 * The KDF parameters authenticated when the keystore was unlocked
	 * (or last saved), not a re-read of the header someone may have
	 * edited since.
	 */
	keystore_kdf(s->ks, &kdf);
	if (newpass == NULL) {
		newpass = s->pass;
		newlen = s->passlen;
	}
	/*
	 * A backup newer than what we hold means the primary was rolled back
	 * (a snapshot restored): saving would destroy keys only the backup
	 * still has.
	 */
	if (keystore_peek(backup, &binfo) == QS_OK &&
	    binfo.generation > keystore_generation(s->ks))
		return (qs_error_set(QS_ECORRUPT, "%s: the backup keystore %s "
		    "is newer (generation %llu) than the primary (%llu); "
		    "refusing to overwrite it: run 'qsarc keystore %s restore "
		    "--from backup' first", primary, backup,
		    (unsigned long long)binfo.generation,
		    (unsigned long long)keystore_generation(s->ks), s->root));
	qs_error_clear();
	if ((rc = store_backup_dir_prepare(backup)) != QS_OK)
		return (rc);
	rc = keystore_save(s->ks, primary, backup, newpass, newlen, &kdf);
	if (rc != QS_OK) {
		if (qs_error_message()[0] == '\0')
			qs_error_set(rc, "%s: saving the keystore failed: %s",
			    primary, qs_err_string(rc));
		return (rc);
	}
	if (newpass != s->pass) {
		if ((copy = secmem_alloc(newlen + 1)) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		memcpy(copy, newpass, newlen);
		if (s->pass != NULL)
			secmem_free(s->pass, s->passlen + 1);
		s->pass = copy;
		s->passlen = newlen;
	}
	return (QS_OK);
}

/**
 * store_enable_encryption(s, mode, rotation_secs, backup, kdf, now):
 * Turn a plain store into an encrypted one.
 */
int
store_enable_encryption(struct store *s, int mode, uint64_t rotation_secs,
    const char *backup, const struct kdf_params *kdf, int64_t now)
{
	struct keystore *ks = NULL;
	struct store_config *cfg = NULL;
	char primary[4096], bpath[4096];
	int rc;

	/* Where the backup keystore goes, absolute. */
	if (s->cfg.encrypted)
		return (qs_error_set(QS_EEXIST, "%s: the store is already "
		    "encrypted", s->root));
	if (s->pass == NULL)
		return (qs_error_set(QS_EINVAL, "no passphrase"));
	if (backup != NULL) {
		if ((rc = backup_path(backup, s->cfg.store_id, bpath,
		    sizeof(bpath))) != QS_OK)
			return (rc);
	} else {
		store_default_keystore_backup(s->cfg.store_id, bpath,
		    sizeof(bpath));
	}
	if (strlen(bpath) > CONFIG_PATH_MAX)
		return (qs_error_set(QS_EINVAL, "%s: path too long", bpath));
	/* New keys, saved in both keystore copies before the config says so. */
	if ((rc = keystore_create(s->cfg.store_id, mode, rotation_secs, now,
	    &ks)) != QS_OK)
		return (rc);
	if ((rc = store_backup_dir_prepare(bpath)) != QS_OK)
		goto done;
	(void)store_path_keystore(s->root, primary, sizeof(primary));
	/*
	 * A keystore left by an earlier attempt that died before the config
	 * changed protects nothing yet; it is simply replaced.
	 */
	if ((rc = keystore_save(ks, primary, bpath, s->pass, s->passlen, kdf))
	    != QS_OK)
		goto done;
	if ((cfg = malloc(sizeof(*cfg))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	/* The config switch (with its MAC) makes the store encrypted. */
	*cfg = s->cfg;
	cfg->encrypted = 1;
	snprintf(cfg->keystore_backup, sizeof(cfg->keystore_backup), "%s",
	    bpath);
	if ((rc = config_write(s->root, cfg, keystore_idkey(ks))) != QS_OK)
		goto done;
	s->cfg = *cfg;
	s->ks = ks;
	ks = NULL;
	gear_derive(keystore_gearkey(s->ks), s->gear);
done:
	free(cfg);
	keystore_free(ks);
	return (rc);
}

/**
 * store_drop_plain_keys(s):
 * Remove the plain keys from the config of an encrypted store.
 */
int
store_drop_plain_keys(struct store *s)
{
	struct store_config *cfg;
	int rc;

	if (!s->cfg.encrypted || !s->cfg.has_plain_keys)
		return (QS_OK);
	if ((cfg = malloc(sizeof(*cfg))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	*cfg = s->cfg;
	cfg->has_plain_keys = 0;
	memset(cfg->plain_idkey, 0, sizeof(cfg->plain_idkey));
	memset(cfg->plain_gearkey, 0, sizeof(cfg->plain_gearkey));
	if ((rc = config_write(s->root, cfg, keystore_idkey(s->ks))) == QS_OK)
		s->cfg = *cfg;
	secmem_wipe(cfg, sizeof(*cfg));
	free(cfg);
	return (rc);
}
