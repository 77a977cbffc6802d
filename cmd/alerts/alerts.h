#ifndef QS_ALERTS_H
#define QS_ALERTS_H

/*
 * E-mail alerts: the settings file, the log of unsent alerts, the message
 * builder and the store-state checks that raise alerts.  Sending (libcurl)
 * and printing live in cmd/ (cmd/cmd_alerts.c); nothing here prints.
 *
 * STORE/alerts.conf (text, LF line endings, at most 16 KiB):
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
 * the auth file it names).
 *
 * STORE/alerts.log (text): the alerts that could not be sent, oldest
 * first, at most ALERTS_LOG_KEEP of them.  First line "qsarc-alerts-log 1",
 * then one line per alert: "TIME<TAB>EVENT<TAB>SUBJECT<TAB>BODY" with TIME
 * in unix seconds and SUBJECT and BODY escaped (backslash, tab, LF and CR
 * as \\ \t \n \r).  It is rewritten whole and atomically on every change,
 * which keeps it bounded and durable; readers skip malformed lines (they
 * count them) so that one damaged line never loses the others.
 *
 * Both files are changed only under an exclusive flock(2) on the store
 * directory (alerts_lock), never on STORE/lock, so alerts never wait for
 * or block the store's own lock.
 */

#include <stddef.h>
#include <stdint.h>

struct store;

#define ALERTS_CONF_VERSION	1
#define ALERTS_LOG_VERSION	1
#define ALERTS_CONF_MAX		(16 * 1024)
#define ALERTS_MAX_RCPT		16	/* per list: to, cc, bcc */
#define ALERTS_ADDR_MAX		254
#define ALERTS_NAME_MAX		100
#define ALERTS_HOST_MAX		253
#define ALERTS_PATH_MAX		1024
#define ALERTS_DEFAULT_PORT	25
#define ALERTS_DEFAULT_DISK_PCT	95
#define ALERTS_LOG_KEEP		100	/* unsent alerts kept */
#define ALERTS_LOG_MAX		(4 * 1024 * 1024)
#define ALERTS_SUBJECT_MAX	400
#define ALERTS_BODY_MAX		8192	/* one alert's body */
#define ALERTS_EVENT_MAX	32
#define ALERTS_KEYS_WARN	1000	/* content keys: warn at this many */

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

struct alerts_entry {
	int64_t time;
	char event[ALERTS_EVENT_MAX + 1];
	char subject[ALERTS_SUBJECT_MAX + 1];
	char *body;			/* malloc'd */
};

/* The state of a store as far as alerts care (alerts_store_state). */
enum {
	ALERTS_BACKUP_OK = 0,
	ALERTS_BACKUP_MISSING = 1,
	ALERTS_BACKUP_UNREADABLE = 2,
	ALERTS_BACKUP_OLDER = 3
};

struct alerts_store_state {
	int encrypted;
	int keys_known;			/* the keystore was unlocked */
	/* Keystore copies (encrypted stores). */
	int backup;			/* ALERTS_BACKUP_* */
	char backup_path[4096];
	uint64_t primary_generation, backup_generation;
	/* Content keys (keys_known). */
	size_t key_count;
	int rotation_overdue;		/* internal mode, > 2 periods */
	int64_t last_rotation;
	uint64_t rotation_secs;
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
 * holds alerts_lock.  Return QS_OK, QS_EINVAL or an I/O error.
 */
int alerts_conf_save(const char *, const struct alerts_conf *);

/**
 * alerts_conf_missing(c):
 * Return NULL if ${c} has what sending needs (a relay, a sender address
 * and at least one To or Cc recipient), else a constant phrase saying
 * what is missing ("no relay (--relay)", ...).
 */
const char *alerts_conf_missing(const struct alerts_conf *);

/**
 * alerts_addr_valid(addr):
 * Return 1 if ${addr} is a plain address "local@domain" (at most 254
 * bytes; local part of RFC 5322 atext characters and dots, domain of
 * letters, digits, '-' and '.' labels), else 0.  Anything with a CR, LF,
 * space, '<', '>', ',' or quote is refused, so an address can never
 * inject a header or an SMTP command.
 */
int alerts_addr_valid(const char *);

/**
 * alerts_name_valid(name):
 * Return 1 if ${name} is a usable sender display name: 1..100 bytes, no
 * control character (CR, LF, TAB, DEL...), valid UTF-8; else 0.
 */
int alerts_name_valid(const char *);

/**
 * alerts_relay_parse(s, host, hostlen, port):
 * Parse "HOST", "HOST:PORT", "[V6ADDR]" or "[V6ADDR]:PORT" into ${host}
 * (brackets kept for IPv6) and ${port} (ALERTS_DEFAULT_PORT when absent).
 * Return QS_OK or QS_EINVAL; outputs untouched on failure.
 */
int alerts_relay_parse(const char *, char *, size_t, uint16_t *);

/**
 * alerts_relay_is_loopback(host):
 * Return 1 if ${host} is "localhost", a 127.x.y.z address or "[::1]".
 */
int alerts_relay_is_loopback(const char *);

/**
 * alerts_addr_list_parse(s, list, max, n):
 * Split the comma-separated addresses ${s} (spaces around commas allowed;
 * "" is the empty list) into ${list}, at most ${max} entries, each checked
 * with alerts_addr_valid.  Return QS_OK or QS_EINVAL (with a detail naming
 * the bad address); outputs untouched on failure.
 */
int alerts_addr_list_parse(const char *, char (*)[ALERTS_ADDR_MAX + 1],
    size_t, size_t *);

/**
 * alerts_message_build(c, host, subject, body, now, token, msg, len):
 * Build the RFC 5322 message for ${c}: From ("sender name" <from>), To,
 * Cc (only if there are Cc recipients), Subject ${subject}, Date (${now},
 * UTC), Message-ID <${token}@${host}>, MIME-Version, a text/plain UTF-8
 * body ${body} (LF or CRLF line ends become CRLF; lines longer than 900
 * bytes are wrapped).  Bcc recipients never appear in any header: they go
 * only in the SMTP envelope.  Non-ASCII names and subjects are encoded
 * (RFC 2047).  Return QS_OK and a new malloc'd buffer in ${msg} (caller
 * frees), QS_EINVAL (a header value holds CR or LF, or ${c} is
 * incomplete) or QS_ENOMEM.
 */
int alerts_message_build(const struct alerts_conf *, const char *,
    const char *, const char *, int64_t, const char *, char **, size_t *);

/**
 * alerts_lock(root, timeout_ms, fd):
 * Take the exclusive alerts lock of the store at ${root} (flock on the
 * store directory), waiting at most ${timeout_ms}.  Return QS_OK and the
 * descriptor to pass to alerts_unlock in ${fd}, QS_EBUSY on timeout, or
 * QS_EIO/QS_ENOENT.
 */
int alerts_lock(const char *, int, int *);

/**
 * alerts_unlock(fd):
 * Release a lock from alerts_lock.  ${fd} < 0 is ignored.
 */
void alerts_unlock(int);

/**
 * alerts_log_read(root, entries, n, bad):
 * Read STORE/alerts.log into a new array ${entries} of ${n} entries
 * (free with alerts_entries_free); malformed lines are skipped and counted
 * in ${bad}.  A missing log is QS_OK with ${n} 0.  Return QS_OK,
 * QS_EVERSION, QS_ECORRUPT (bad first line), QS_ENOMEM or QS_EIO.
 */
int alerts_log_read(const char *, struct alerts_entry **, size_t *,
    size_t *);

/**
 * alerts_log_write(root, entries, n):
 * Replace STORE/alerts.log atomically with the last ALERTS_LOG_KEEP of the
 * ${n} ${entries} (oldest first); ${n} 0 removes the log.  The caller
 * holds alerts_lock.  Return QS_OK or an I/O error.
 */
int alerts_log_write(const char *, const struct alerts_entry *, size_t);

/**
 * alerts_entries_free(entries, n):
 * Free an array from alerts_log_read.  NULL is allowed.
 */
void alerts_entries_free(struct alerts_entry *, size_t);

/**
 * alerts_fs_usage(root, used_pct, avail):
 * The share of the file system holding ${root} that is used, in percent
 * as df(1) computes it (used / (used + available to unprivileged users)),
 * and the bytes available.  Return QS_OK or QS_EIO.
 */
int alerts_fs_usage(const char *, double *, uint64_t *);

/**
 * alerts_store_state(s, now, st):
 * Examine the open store ${s}: for an encrypted store, the keystore
 * backup copy (missing, unreadable, or an older generation than the
 * primary: keystore headers only, no passphrase needed) and, if the
 * keystore is unlocked, the content key count and whether rotation is
 * overdue (internal mode and no rotation for two periods at ${now}).
 * Return QS_OK (${st} filled) or QS_EINVAL for a NULL store.
 */
int alerts_store_state(struct store *, int64_t, struct alerts_store_state *);

#endif /* !QS_ALERTS_H */
