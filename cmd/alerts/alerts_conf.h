#ifndef QS_ALERTS_CONF_H
#define QS_ALERTS_CONF_H

/*
 * The alert settings: STORE/alerts.conf (text, LF line endings, at most
 * 16 KiB):
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
 * unknown version is QS_EVERSION.  The file is written atomically
 * (fileio_write_atomic, mode 0644: it holds no secret; credentials stay in
 * the auth file it names).  It is changed only under alerts_log_lock.
 */

#include <stddef.h>
#include <stdint.h>

#include "cmd/alerts/alerts_addr.h"

#define ALERTS_CONF_VERSION	1
#define ALERTS_CONF_MAX		(16 * 1024)
#define ALERTS_PATH_MAX		1024
#define ALERTS_DEFAULT_DISK_PCT	95

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
 * alerts_conf_load(root, c):
 * Read STORE/alerts.conf of the store at ${root}.  Return QS_OK, QS_ENOENT
 * (alerts never configured), QS_ECORRUPT, QS_EVERSION or QS_EIO.
 */
int alerts_conf_load(const char *, struct alerts_conf *);

/**
 * alerts_conf_save(root, c):
 * Validate ${c} and write it atomically as STORE/alerts.conf.  The caller
 * holds alerts_log_lock.  Return QS_OK, QS_EINVAL or an I/O error.
 */
int alerts_conf_save(const char *, const struct alerts_conf *);

/**
 * alerts_conf_missing(c):
 * Return NULL if ${c} has what sending needs (a relay, a sender address
 * and at least one To recipient), else a constant phrase saying what is
 * missing ("no relay (--relay HOST[:PORT])", ...).
 */
const char *alerts_conf_missing(const struct alerts_conf *);

#endif /* !QS_ALERTS_CONF_H */
