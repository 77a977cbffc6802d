#ifndef QS_ALERTS_MESSAGE_H
#define QS_ALERTS_MESSAGE_H

/*
 * The alert e-mail as bytes: the RFC 5322 message, and the names, times
 * and ids written into it.  Nothing here sends or prints.
 */

#include <stddef.h>
#include <stdint.h>

struct alerts_conf;

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
 * alerts_message_time(t, buf, len):
 * "2026-11-28 10:00:00 UTC" for the unix time ${t} (the number if it
 * does not convert), as alert subjects, bodies and 'alerts show' write it.
 */
void alerts_message_time(int64_t, char *, size_t);

/**
 * alerts_message_host(buf, len):
 * This host's name as alerts name it: one printable word
 * ("unknown-host" if it has none).
 */
void alerts_message_host(char *, size_t);

/**
 * alerts_message_store(root, buf, len):
 * The store at ${root} as alerts name it: its absolute path if it
 * resolves, control characters shown as '?'.
 */
void alerts_message_store(const char *, char *, size_t);

/**
 * alerts_message_token(now, buf, len):
 * A new unique left part for a Message-ID, made of ${now}, the process id
 * and random bytes.
 */
void alerts_message_token(int64_t, char *, size_t);

#endif /* !QS_ALERTS_MESSAGE_H */
