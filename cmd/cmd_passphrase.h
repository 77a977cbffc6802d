#ifndef QS_CMD_PASSPHRASE_H
#define QS_CMD_PASSPHRASE_H

/*
 * Passphrases: where they come from, and opening a store with one.
 */

#include <stddef.h>
#include <stdint.h>

struct cmd_options;
struct store;

/**
 * cmd_passphrase_open(sub, root, lockmode, c, s):
 * Open the store, reading the passphrase first if it is encrypted.
 * Return QS_OK or an error code (the detail is recorded, not printed).
 */
int cmd_passphrase_open(const char *, const char *, int,
    const struct cmd_options *, struct store **);

/**
 * cmd_passphrase_hint(c):
 * Append "(passphrase read from SOURCE)" to the recorded error detail.
 */
void cmd_passphrase_hint(const struct cmd_options *);

/**
 * cmd_passphrase_read(file, fd, prompt, confirm, pass, passlen):
 * Read a passphrase from ${file}, else ${fd} (if not -1), else
 * QSARC_PASSPHRASE, else the terminal (asked twice if ${confirm}).
 * ${pass} is secure memory; free with cmd_passphrase_free().
 */
int cmd_passphrase_read(const char *, int, const char *, int, uint8_t **,
    size_t *);

/**
 * cmd_passphrase_free(pass, len):
 * Wipe and free a passphrase.  NULL is allowed.
 */
void cmd_passphrase_free(uint8_t *, size_t);

#endif /* !QS_CMD_PASSPHRASE_H */
