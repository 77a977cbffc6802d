#ifndef QS_ALERTS_ADDR_H
#define QS_ALERTS_ADDR_H

/*
 * What may go into an alert's headers and SMTP envelope: e-mail
 * addresses, the sender's display name and the relay "HOST[:PORT]".
 * Every check refuses CR, LF and other control characters, so that no
 * setting can ever inject a header or an SMTP command.
 */

#include <stddef.h>
#include <stdint.h>

#define ALERTS_MAX_RCPT		16	/* per list: to, cc, bcc */
#define ALERTS_ADDR_MAX		254
#define ALERTS_NAME_MAX		100
#define ALERTS_HOST_MAX		253
#define ALERTS_DEFAULT_PORT	25

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
 * alerts_addr_list_parse(s, list, max, n):
 * Split the comma-separated addresses ${s} (spaces around commas allowed;
 * "" is the empty list) into ${list}, at most ${max} entries, each checked
 * with alerts_addr_valid.  Return QS_OK or QS_EINVAL (with a detail naming
 * the bad address); outputs untouched on failure.
 */
int alerts_addr_list_parse(const char *, char (*)[ALERTS_ADDR_MAX + 1],
    size_t, size_t *);

/**
 * alerts_addr_name_valid(name):
 * Return 1 if ${name} is a usable sender display name: 1..100 bytes, no
 * control character (CR, LF, TAB, DEL...), valid UTF-8; else 0.
 */
int alerts_addr_name_valid(const char *);

/**
 * alerts_addr_is_hostchar(ch):
 * Return 1 if ${ch} may appear in a host name (letters, digits, '-' and
 * '.'), else 0.
 */
int alerts_addr_is_hostchar(unsigned char);

/**
 * alerts_addr_host_valid(host):
 * Return 1 if ${host} is a DNS name (labels of letters, digits and '-')
 * or a bracketed IPv6 address "[...]", else 0.
 */
int alerts_addr_host_valid(const char *);

/**
 * alerts_addr_relay_parse(s, host, hostlen, port):
 * Parse "HOST", "HOST:PORT", "[V6ADDR]" or "[V6ADDR]:PORT" into ${host}
 * (brackets kept for IPv6) and ${port} (ALERTS_DEFAULT_PORT when absent).
 * Return QS_OK or QS_EINVAL; outputs untouched on failure.
 */
int alerts_addr_relay_parse(const char *, char *, size_t, uint16_t *);

/**
 * alerts_addr_relay_is_loopback(host):
 * Return 1 if ${host} names loopback explicitly: a 127.x.y.z address or
 * "[::1]".  A name ("localhost", ...) is not enough: it is resolved, and
 * the password may go without TLS only where no resolver is asked.
 */
int alerts_addr_relay_is_loopback(const char *);

#endif /* !QS_ALERTS_ADDR_H */
