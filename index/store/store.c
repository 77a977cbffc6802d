#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "crypto/chunkid.h"
#include "crypto/random.h"
#include "crypto/gear.h"
#include "crypto/kdf.h"
#include "crypto/keystore.h"
#include "crypto/secmem.h"
#include "format/config.h"
#include "format/fileio.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/chunk/chunker.h"
#include "index/chunk/chunkindex.h"
#include "index/store/store.h"

#define FD_CACHE_SIZE	64

struct fd_slot {
	uint64_t container_id;
	int fd;
	uint64_t last_use;
};

struct store {
	char *root;
	struct store_config cfg;
	int lock_fd;
	struct chunkindex *idx;
	struct keystore *ks;
	uint64_t gear[256];
	uint8_t *pass;			/* secure memory, for keystore saves */
	size_t passlen;
	pthread_mutex_t fd_mutex;
	struct fd_slot fds[FD_CACHE_SIZE];
	uint64_t fd_clock;
};

static char command_name[128] = "qsarc";

static int config_read(const char *, struct store_config *, uint8_t **);

/**
 * store_set_command(cmd):
 * Name the running command for the lock file.
 */
void
store_set_command(const char *cmd)
{

	snprintf(command_name, sizeof(command_name), "%s", cmd);
}

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

static int
path_join(char *buf, size_t buflen, const char *root, const char *rel)
{
	int n = snprintf(buf, buflen, "%s/%s", root, rel);

	if (n < 0 || (size_t)n >= buflen)
		return (qs_error_set(QS_EINVAL, "%s: path too long", root));
	return (QS_OK);
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
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", store_id[i]);
	snprintf(buf, buflen, "%s/keys/%s.qsk", dir, hex);
}

/*
 * The MAC of an encrypted store's config: keyed BLAKE2b-256 over every
 * field before the MAC field, under a key derived from the keystore's
 * chunk-id secret (spec/CRYPTO.md, "Config MAC").
 */
static void
config_mac(const uint8_t *idkey, const uint8_t *fields, size_t len,
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
	if ((rc = config_read(s->root, cfg, &raw)) == QS_OK && cfg->encrypted) {
		config_mac(idkey, raw + CONFIG_HEADER_SIZE,
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

	if ((rc = path_join(path, sizeof(path), root, "config")) != QS_OK)
		return (rc);
	if (config_encode(cfg, buf, sizeof(buf) - CONFIG_TRAILER_SIZE, &len,
	    &mac_at) != QS_OK)
		return (qs_error_set(QS_EINVAL, "%s: config too large", path));
	if (mac_at != 0) {
		if (idkey == NULL)
			return (qs_error_set(QS_EINVAL, "%s: no key for the "
			    "config MAC", path));
		config_mac(idkey, buf + CONFIG_HEADER_SIZE,
		    mac_at - 4 - CONFIG_HEADER_SIZE, buf + mac_at);
	}
	checksum_blake2b256(buf, len, buf + len);
	return (fileio_write_atomic(path, buf, len + CONFIG_TRAILER_SIZE,
	    0644, 0));
}

static int
config_read(const char *root, struct store_config *cfg, uint8_t **raw)
{
	uint8_t sum[CHECKSUM_BYTES];
	char path[4096];
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = path_join(path, sizeof(path), root, "config")) != QS_OK)
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
	if (memcmp(sum, buf + len, CHECKSUM_BYTES) != 0) {
		/* A newer version could have a different layout entirely. */
		if (len >= 10 && memcmp(buf, "QSARCCFG", 8) == 0 &&
		    (buf[8] | (buf[9] << 8)) != CONFIG_VERSION)
			rc = qs_error_set(QS_EVERSION,
			    "%s: config format version %u is not supported "
			    "by this qsarc (it reads version %d)", path,
			    (unsigned)(buf[8] | (buf[9] << 8)),
			    CONFIG_VERSION);
		else
			rc = qs_error_set(QS_ECORRUPT,
			    "%s: checksum mismatch: the config is damaged",
			    path);
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
	if ((rc = config_read(root, cfg, NULL)) == QS_OK)
		*encrypted = cfg->encrypted;
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

/**
 * store_init(root, opts, now):
 * Create a new store at ${root}.
 */
int
store_init(const char *root, const struct store_init_opts *o, int64_t now)
{
	static const char *subdirs[] = { "data", "index", "streams",
	    "expired", "catalogs" };
	struct chunker_params cp;
	struct store_config *cfg;
	struct keystore *ks = NULL;
	struct kdf_params kdf;
	char path[4096], backup[4096];
	int rc;

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
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if ((rc = fileio_mkdir(root, 0755)) != QS_OK)
		goto done;
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if ((rc = path_join(path, sizeof(path), root, subdirs[i])) !=
		    QS_OK || (rc = fileio_mkdir(path, 0755)) != QS_OK)
			goto done;
	}
	if ((rc = path_join(path, sizeof(path), root, "lock")) != QS_OK ||
	    (rc = fileio_write_atomic(path, "", 0, 0644, 0)) != QS_OK)
		goto done;

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
			if ((rc = absolute_path(o->keystore_backup, backup,
			    sizeof(backup))) != QS_OK)
				goto done;
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
		if ((rc = path_join(path, sizeof(path), root, "keystore")) !=
		    QS_OK)
			goto done;
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
	rc = config_write(root, cfg, ks != NULL ? keystore_idkey(ks) : NULL);
done:
	keystore_free(ks);
	free(cfg);
	return (rc);
}

static int
lock_take(struct store *s, int lockmode, int timeout_ms)
{
	char path[4096], info[256];
	int exclusive = (lockmode & 0xff) == STORE_LOCK_EXCLUSIVE;
	int rc, n;

	if ((rc = path_join(path, sizeof(path), s->root, "lock")) != QS_OK)
		return (rc);
	if (s->lock_fd < 0 &&
	    (s->lock_fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return (qs_error_set(QS_ENOENT,
			    "%s: no qsarc store here (no lock file)", s->root));
		return (qs_error_errno(path, "open"));
	}
	rc = fileio_flock_wait(s->lock_fd, exclusive, timeout_ms, path);
	if (rc == QS_EBUSY) {
		store_lock_holder(s->root, info, sizeof(info));
		return (qs_error_set(QS_EBUSY,
		    "%s: store is busy%s%s; waited %d s", s->root,
		    info[0] ? ": " : "", info, timeout_ms / 1000));
	}
	if (rc != QS_OK)
		return (rc);
	/*
	 * Say who holds the lock, for the "busy" message of others.  This
	 * is advisory text only, so it bypasses fileio's fault injection.
	 */
	n = snprintf(info, sizeof(info), "pid %ld, %s, since %ld\n",
	    (long)getpid(), command_name, (long)time(NULL));
	if (n > 0 && ftruncate(s->lock_fd, 0) == 0)
		(void)!pwrite(s->lock_fd, info, (size_t)n, 0);
	return (QS_OK);
}

/**
 * store_lock_holder(root, buf, buflen):
 * Describe who holds the store lock, from the lock file.
 */
void
store_lock_holder(const char *root, char *buf, size_t buflen)
{
	char path[4096];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if (path_join(path, sizeof(path), root, "lock") != QS_OK)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, buflen - 1);
	close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
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

	if ((rc = secmem_init()) != QS_OK)
		return (rc);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	s->lock_fd = -1;
	pthread_mutex_init(&s->fd_mutex, NULL);
	for (size_t i = 0; i < FD_CACHE_SIZE; i++)
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
	if ((rc = config_read(root, &s->cfg, NULL)) != QS_OK)
		goto err;
	if (!(lockmode & STORE_OPEN_NOLOCK) &&
	    (rc = lock_take(s, lockmode, timeout_ms)) != QS_OK)
		goto err;
	/* Re-read under the lock: an exclusive holder may have changed it. */
	if ((rc = config_read(root, &s->cfg, &raw)) != QS_OK)
		goto err;
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
		if (rc == QS_EPASS)
			rc = qs_error_set(QS_EPASS, "%s: wrong passphrase",
			    path);
		else if (rc == QS_ENOENT)
			rc = qs_error_set(QS_ECORRUPT, "%s: the primary "
			    "keystore is missing; the backup copy is %s "
			    "(restore it with 'qsarc keystore %s restore "
			    "--from backup')", path, backup, root);
		else if (rc != QS_OK)
			rc = qs_error_set(rc, "%s: %s; the backup copy is %s "
			    "(restore it with 'qsarc keystore %s restore "
			    "--from backup')", path, qs_err_string(rc), backup,
			    root);
		if (rc != QS_OK)
			goto err;
		/* Only the passphrase holder can have written this config. */
		config_mac(keystore_idkey(s->ks), raw + CONFIG_HEADER_SIZE,
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
	if (pass != NULL) {
		if ((s->pass = secmem_alloc(passlen + 1)) == NULL) {
			rc = qs_error_set(QS_ENOMEM, "out of memory");
			goto err;
		}
		memcpy(s->pass, pass, passlen);
		s->passlen = passlen;
	}
	if ((rc = path_join(path, sizeof(path), root, "index")) != QS_OK)
		goto err;
	if ((rc = chunkindex_open(path, &s->idx)) != QS_OK)
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
	if (s->pass != NULL)
		secmem_free(s->pass, s->passlen + 1);
	for (size_t i = 0; i < FD_CACHE_SIZE; i++)
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
 * store_keystore_paths(s, primary, plen, backup, blen):
 * The primary and backup keystore paths of an encrypted store.
 */
void
store_keystore_paths(const struct store *s, char *primary, size_t plen,
    char *backup, size_t blen)
{

	snprintf(primary, plen, "%s/keystore", s->root);
	snprintf(backup, blen, "%s", s->cfg.keystore_backup);
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
 * store_stream_path(s, name, expired, buf, buflen):
 * Write the manifest path of stream ${name} into ${buf}.
 */
int
store_stream_path(const struct store *s, const char *name, int expired,
    char *buf, size_t buflen)
{
	int n;

	n = snprintf(buf, buflen, "%s/%s/%s.qsm", s->root,
	    expired ? "expired" : "streams", name);
	if (n < 0 || (size_t)n >= buflen)
		return (qs_error_set(QS_EINVAL, "%s: path too long", s->root));
	return (QS_OK);
}

/**
 * store_stream_state(s, name):
 * 1 live, 2 expired, 0 neither, or a negative error.
 */
int
store_stream_state(const struct store *s, const char *name)
{
	char path[4096];
	int rc;

	for (int expired = 0; expired <= 1; expired++) {
		if ((rc = store_stream_path(s, name, expired, path,
		    sizeof(path))) != QS_OK)
			return (rc);
		if (access(path, F_OK) == 0)
			return (expired ? 2 : 1);
		if (errno != ENOENT)
			return (qs_error_errno(path, "access"));
	}
	return (0);
}

static int
name_cmp(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/**
 * store_names_free(names, count):
 * Free what store_list_streams returned.
 */
void
store_names_free(char **names, size_t count)
{

	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/**
 * store_list_streams(s, expired, names, count):
 * Return the sorted names of the live (or expired) streams.
 */
int
store_list_streams(const struct store *s, int expired, char ***namesp,
    size_t *countp)
{
	char path[4096];
	struct dirent *de;
	char **names = NULL, **nn;
	size_t count = 0, cap = 0, len;
	DIR *d;
	int rc = QS_OK;

	if ((rc = path_join(path, sizeof(path), s->root,
	    expired ? "expired" : "streams")) != QS_OK)
		return (rc);
	if ((d = opendir(path)) == NULL)
		return (qs_error_errno(path, "open directory"));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 ||
		    strcmp(de->d_name + len - 4, ".qsm") != 0)
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nn = realloc(names, cap * sizeof(*names))) ==
			    NULL)
				goto enomem;
			names = nn;
		}
		if ((names[count] = strndup(de->d_name, len - 4)) == NULL)
			goto enomem;
		count++;
	}
	closedir(d);
	if (count > 0)
		qsort(names, count, sizeof(*names), name_cmp);
	*namesp = names;
	*countp = count;
	return (QS_OK);

enomem:
	closedir(d);
	store_names_free(names, count);
	return (qs_error_set(QS_ENOMEM, "out of memory"));
}

/**
 * store_foreach_stream(s, which, fn, ctx):
 * Call ${fn}(${ctx}, name, expired) for the live, then the expired streams
 * that ${which} selects, each list in name order; stop at a non-zero return.
 */
int
store_foreach_stream(const struct store *s, int which,
    int (*fn)(void *, const char *, int), void *ctx)
{
	char **names;
	size_t n;
	int rc = QS_OK;

	for (int expired = 0; expired <= 1 && rc == QS_OK; expired++) {
		if (!(which & (expired ? STORE_STREAMS_EXPIRED :
		    STORE_STREAMS_LIVE)))
			continue;
		if ((rc = store_list_streams(s, expired, &names, &n)) != QS_OK)
			return (rc);
		for (size_t i = 0; i < n && rc == QS_OK; i++)
			rc = fn(ctx, names[i], expired);
		store_names_free(names, n);
	}
	return (rc);
}

static int
stream_move(struct store *s, const char *name, int to_expired)
{
	char from[4096], to[4096];
	int rc;

	if ((rc = manifest_fmt_name_check(name)) != QS_OK)
		return (rc);
	if ((rc = store_stream_path(s, name, !to_expired, from,
	    sizeof(from))) != QS_OK ||
	    (rc = store_stream_path(s, name, to_expired, to, sizeof(to))) !=
	    QS_OK)
		return (rc);
	if (access(from, F_OK) != 0)
		return (qs_error_set(QS_ENOENT, "%s: no %s stream named "
		    "\"%s\"", s->root, to_expired ? "live" : "expired", name));
	if ((rc = fileio_rename_noreplace(from, to)) == QS_EEXIST)
		qs_error_set(QS_EEXIST, "%s: a%s stream named \"%s\" already "
		    "exists", s->root, to_expired ? "n expired" : " live",
		    name);
	return (rc);
}

/**
 * store_expire(s, name):
 * Move the manifest of ${name} to expired/.
 */
int
store_expire(struct store *s, const char *name)
{

	return (stream_move(s, name, 1));
}

/**
 * store_unexpire(s, name):
 * Move the manifest of ${name} back from expired/.
 */
int
store_unexpire(struct store *s, const char *name)
{

	return (stream_move(s, name, 0));
}

/**
 * store_container_fd(s, container_id, fd):
 * Return a cached read-only descriptor of the container.
 */
int
store_container_fd(struct store *s, uint64_t container_id, int *fdp)
{
	struct fd_slot *victim = &s->fds[0];
	char path[4096];
	int fd, rc = QS_OK;

	pthread_mutex_lock(&s->fd_mutex);
	s->fd_clock++;
	for (size_t i = 0; i < FD_CACHE_SIZE; i++) {
		if (s->fds[i].fd >= 0 &&
		    s->fds[i].container_id == container_id) {
			s->fds[i].last_use = s->fd_clock;
			*fdp = s->fds[i].fd;
			goto done;
		}
		if (s->fds[i].last_use < victim->last_use)
			victim = &s->fds[i];
	}
	if ((rc = store_container_path(s->root, container_id, path, sizeof(path)))
	    != QS_OK)
		goto done;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			rc = qs_error_set(QS_ECORRUPT, "%s: container is "
			    "missing", path);
		else
			rc = qs_error_errno(path, "open");
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
	uint8_t tbuf[CONTAINER_TRAILER_SIZE];
	char dpath[4096], fpath[4400];
	struct dirent *de, *fe;
	struct stat sb;
	DIR *d, *sub;
	size_t len;
	int fd, rc = QS_OK;

	memset(st, 0, sizeof(*st));
	if ((rc = path_join(dpath, sizeof(dpath), s->root, "data")) != QS_OK)
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
			if ((fd = open(fpath, O_RDONLY | O_CLOEXEC)) < 0)
				continue;
			if (fstat(fd, &sb) == 0 && sb.st_size >=
			    CONTAINER_HEADER_SIZE + CONTAINER_TRAILER_SIZE &&
			    fileio_pread_full(fd, tbuf, sizeof(tbuf),
			    (uint64_t)sb.st_size - sizeof(tbuf), fpath) ==
			    QS_OK &&
			    container_fmt_trailer_decode(tbuf, sizeof(tbuf), &t) ==
			    QS_OK) {
				st->records += t.record_count;
				st->raw_bytes += t.raw_bytes;
			}
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
 * store_keystore_save(s, newpass, newlen):
 * Save the store's keystore under ${newpass} (NULL: the current one).
 */
int
store_keystore_save(struct store *s, const uint8_t *newpass, size_t newlen)
{
	struct keystore_header_info info, binfo;
	char primary[4096], backup[4096];
	uint8_t *copy;
	int rc;

	if (s->ks == NULL)
		return (qs_error_set(QS_EINVAL, "%s: the store is not "
		    "encrypted", s->root));
	store_keystore_paths(s, primary, sizeof(primary), backup,
	    sizeof(backup));
	if (keystore_peek(primary, &info) != QS_OK)
		kdf_params_default(&info.kdf);
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
	rc = keystore_save(s->ks, primary, backup, newpass, newlen, &info.kdf);
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

	if (s->cfg.encrypted)
		return (qs_error_set(QS_EEXIST, "%s: the store is already "
		    "encrypted", s->root));
	if (s->pass == NULL)
		return (qs_error_set(QS_EINVAL, "no passphrase"));
	if (backup != NULL) {
		if ((rc = absolute_path(backup, bpath, sizeof(bpath))) !=
		    QS_OK)
			return (rc);
	} else {
		store_default_keystore_backup(s->cfg.store_id, bpath,
		    sizeof(bpath));
	}
	if (strlen(bpath) > CONFIG_PATH_MAX)
		return (qs_error_set(QS_EINVAL, "%s: path too long", bpath));
	if ((rc = keystore_create(s->cfg.store_id, mode, rotation_secs, now,
	    &ks)) != QS_OK)
		return (rc);
	if ((rc = store_backup_dir_prepare(bpath)) != QS_OK)
		goto done;
	snprintf(primary, sizeof(primary), "%s/keystore", s->root);
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
	if ((rc = lock_take(s, lockmode, timeout_ms)) != QS_OK)
		return (rc);
	if ((rc = path_join(path, sizeof(path), s->root, "index")) != QS_OK)
		return (rc);
	return (chunkindex_open(path, &s->idx));
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
