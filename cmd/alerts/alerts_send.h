#ifndef QS_ALERTS_SEND_H
#define QS_ALERTS_SEND_H

/*
 * Handing a built message to the SMTP relay (libcurl lives here and only
 * here), and the auth file holding the relay's user name and password.
 */

#include <stddef.h>

struct alerts_conf;

/**
 * alerts_send_message(c, msg, len):
 * Send the ${len}-byte message ${msg} through the relay of ${c}: envelope
 * from c->from, recipients To + Cc + Bcc, STARTTLS if c->starttls, the
 * credentials of c->auth_file if set (refused without STARTTLS unless the
 * relay is on loopback); 10 s to connect, 30 s in all.  Return QS_OK if
 * the relay accepted it, else an error with a one-line detail (never a
 * credential).
 */
int alerts_send_message(const struct alerts_conf *, const char *, size_t);

/**
 * alerts_send_auth_check(path):
 * Check that ${path} is a usable auth file: a regular file owned by this
 * user, with no permission for group or others (0600 or stricter); first
 * line the user name, second line the password, each 1..255 bytes.
 * Return QS_OK, or QS_EINVAL/QS_EIO with a detail naming the file.  The
 * password is read into locked memory and wiped at once.
 */
int alerts_send_auth_check(const char *);

#endif /* !QS_ALERTS_SEND_H */
