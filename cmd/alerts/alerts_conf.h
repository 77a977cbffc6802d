#ifndef QS_ALERTS_CONF_H
#define QS_ALERTS_CONF_H

/*
 * The alert settings are the operator's, not the store's (spec/SECURITY.md
 * 5.5): they live outside the store, in the state directory, keyed by the
 * store id:
 *
 *   $QSARC_STATE_DIR/alerts/STOREID.conf    the settings (below)
 *   $QSARC_STATE_DIR/alerts/STOREID.log     unsent alerts (alerts_log.h)
 *   $QSARC_STATE_DIR/alerts/STOREID.lock    the alerts lock
 *   $QSARC_STATE_DIR/alerts/STOREID.unsent-*  alerts queued while the lock
 *                                           was held (alerts_log.h)
 *   $QSARC_STATE_DIR/alerts/path-HASH.id    STOREID and a newline: the
 *                                           store last configured at the
 *                                           real path whose BLAKE2b-256 is
 *                                           HASH, for when its config
 *                                           cannot be read (damage)
 *
 * ($QSARC_STATE_DIR defaults to /var/lib/qsarc; STOREID is the 32 hex
 * digits of the store id.)  The directory and the settings file must be
 * owned by the user running qsarc and not writable by group or others;
 * the settings file must be a regular file (a symbolic link is refused).
 * Anything else is refused with QS_EINVAL naming the file and the reason.
 * STORE/alerts.conf, where settings were kept before, is never read for
 * sending: it is only the input of 'qsarc alerts STORE migrate'.
 *
 * The settings file (text, LF line endings, at most 16 KiB):
 *
 *   qsarc-alerts 1                  magic and version, first line
 *   enabled 0|1
 *   relay HOST                      letters, digits, '.', '-' (or [IPv6])
 *   port N                          1..65535
 *   starttls 0|1
 *   sender-name TEXT                printable, no control characters
 *   from ADDR
 *   to ADDR                         one line per address (repeatable)
 *   cc ADDR                         (repeatable)
 *   bcc ADDR                        (repeatable)
 *   auth-file PATH                  absolute path (optional)
 *   disk-threshold N                1..100 (percent used)
 *   checksum HEX                    BLAKE2b-256 of every byte before this
 *                                   line; the last line
 *
 * Keys are matched exactly; an unknown key, a repeated single-valued key,
 * a bad value or a checksum mismatch makes the whole file QS_ECORRUPT; an
 * unknown version is QS_EVERSION.  The checksum only catches damage and
 * hand edits: the file is trusted because of who owns it.  It is written
 * atomically (fileio_write_atomic, mode 0600) and changed only under
 * alerts_log_lock.
 */

#include <stddef.h>
#include <stdint.h>

#include "cmd/alerts/alerts_addr.h"

#define ALERTS_CONF_VERSION	1
#define ALERTS_CONF_MAX		(16 * 1024)
#define ALERTS_PATH_MAX		1024
#define ALERTS_DEFAULT_DISK_PCT	95
#define ALERTS_CONF_PATH_MAX	1200

/* Where the alert files of one store are (alerts_conf_paths). */
struct alerts_conf_paths {
	char state[ALERTS_CONF_PATH_MAX];	/* $QSARC_STATE_DIR */
	char dir[ALERTS_CONF_PATH_MAX];		/* STATE/alerts */
	char id[33];				/* the store id, hex */
	char conf[ALERTS_CONF_PATH_MAX];	/* DIR/ID.conf */
	char log[ALERTS_CONF_PATH_MAX];		/* DIR/ID.log */
	char lock[ALERTS_CONF_PATH_MAX];	/* DIR/ID.lock */
	char legacy[ALERTS_CONF_PATH_MAX];	/* STORE/alerts.conf */
	char byroot[ALERTS_CONF_PATH_MAX];	/* DIR/path-HASH.id, or "" */
};

struct alerts_conf {
	int enabled;
	char relay[ALERTS_HOST_MAX + 3];	/* room for "[...]" */
	uint16_t port;
	int starttls;
	char sender_name[ALERTS_NAME_MAX + 1];
	char from[ALERTS_ADDR_MAX + 1];
	char to[ALERTS_MAX_RCPT][ALERTS_ADDR_MAX + 1];
	size_t nto;
	char cc[ALERTS_MAX_RCPT][ALERTS_ADDR_MAX + 1];
	size_t ncc;
	char bcc[ALERTS_MAX_RCPT][ALERTS_ADDR_MAX + 1];
	size_t nbcc;
	char auth_file[ALERTS_PATH_MAX + 1];
	int disk_pct;
};

/**
 * alerts_conf_init(c):
 * Fill ${c} with the defaults: disabled, nothing configured, port 25,
 * no STARTTLS, disk threshold 95%.
 */
void alerts_conf_init(struct alerts_conf *);

/**
 * alerts_conf_parse(buf, len, c):
 * Parse and validate the text of an alerts.conf file (see above) into
 * ${c}.  Return QS_OK, QS_EVERSION (unknown version) or QS_ECORRUPT (with
 * a detail naming the line).  ${c} is untouched on failure.
 */
int alerts_conf_parse(const uint8_t *, size_t, struct alerts_conf *);

/**
 * alerts_conf_encode(c, buf, len):
 * Validate ${c} (as alerts_conf_parse would) and render it as the text of
 * an alerts.conf file in a new malloc'd buffer ${buf} of ${len} bytes
 * (caller frees).  Return QS_OK, QS_EINVAL (a field is invalid) or
 * QS_ENOMEM.
 */
int alerts_conf_encode(const struct alerts_conf *, char **, size_t *);

/**
 * alerts_conf_paths(root, p):
 * Fill ${p} with the paths of the alert files of the store at ${root}
 * (see above), reading its store id from its config, or, if that cannot
 * be read, from the path-HASH.id file of its real path (so that damage to
 * the config still raises an alert).  Return QS_OK, what reading the
 * config returns (QS_ENOENT: not a store), or QS_EINVAL if a path is too
 * long.
 */
int alerts_conf_paths(const char *, struct alerts_conf_paths *);

/**
 * alerts_conf_load(p, c):
 * Read the settings file p->conf into ${c}, after checking it and its
 * directory (owner, mode, regular file: see above).  Return QS_OK,
 * QS_ENOENT (alerts never configured), QS_EINVAL (refused for its owner,
 * mode or type), QS_ECORRUPT, QS_EVERSION or QS_EIO; every detail names
 * the file.
 */
int alerts_conf_load(const struct alerts_conf_paths *, struct alerts_conf *);

/**
 * alerts_conf_load_legacy(p, c):
 * Parse the old store-side settings p->legacy (STORE/alerts.conf, opened
 * as an untrusted store file) into ${c}, for 'qsarc alerts STORE
 * migrate' only.  Return as alerts_conf_load (QS_ENOENT: none).
 */
int alerts_conf_load_legacy(const struct alerts_conf_paths *,
    struct alerts_conf *);

/**
 * alerts_conf_has_legacy(p):
 * Return 1 if the store has an old STORE/alerts.conf (of any type), else 0.
 */
int alerts_conf_has_legacy(const struct alerts_conf_paths *);

/**
 * alerts_conf_dir_make(p):
 * Create p->state and p->dir (mode 0700) if missing, and check p->dir as
 * alerts_conf_load does.  Return QS_OK, QS_EINVAL or an I/O error.
 */
int alerts_conf_dir_make(const struct alerts_conf_paths *);

/**
 * alerts_conf_save(p, c):
 * Validate ${c} and write it atomically as p->conf (mode 0600), creating
 * the directory (alerts_conf_dir_make), and record the store id for its
 * real path (p->byroot).  The caller holds alerts_log_lock.
 * Return QS_OK, QS_EINVAL or an I/O error.
 */
int alerts_conf_save(const struct alerts_conf_paths *,
    const struct alerts_conf *);

/**
 * alerts_conf_missing(c):
 * Return NULL if ${c} has what sending needs (a relay, a sender address
 * and at least one To recipient), else a constant phrase saying what is
 * missing ("no relay (--relay HOST[:PORT])", ...).
 */
const char *alerts_conf_missing(const struct alerts_conf *);

#endif /* !QS_ALERTS_CONF_H */
