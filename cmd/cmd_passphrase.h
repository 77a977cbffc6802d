#ifndef QS_CMD_PASSPHRASE_H
#define QS_CMD_PASSPHRASE_H

/*
 * Passphrases: where they come from, and opening a store with one.
 */

#include <stddef.h>
#include <stdint.h>

struct cmd_options;
struct store;

/*
 * One store of a command that opens two (replicate): where its passphrase
 * comes from, and how to name it.
 */
struct cmd_passphrase_side {
	const char *name;	/* "source" or "target" */
	const char *file;	/* a passphrase file, or NULL */
	int fd;			/* a descriptor to read it from, or -1 */
	const char *command;	/* a command that prints it, or NULL */
	int given;		/* given for this store itself, not shared */
	int timeout_ms;		/* how long to wait for the store lock */
};

/**
 * cmd_passphrase_open(root, lockmode, c, side, s):
 * Open the store at ${root} with ${lockmode}: peek at its config; refuse
 * (QS_EAUTH) a passphrase given for a plain store, since its config may
 * have been replaced; if it is encrypted, read the passphrase; open it.
 * The passphrase and lock wait come from the common options ${c}, or from
 * ${side} if not NULL (then only a passphrase given for that side itself
 * counts as given).  Return QS_OK or an error code (the detail is
 * recorded, not printed).
 */
int cmd_passphrase_open(const char *, int, const struct cmd_options *,
    const struct cmd_passphrase_side *, struct store **);

/**
 * cmd_passphrase_hint(c):
 * Append "(passphrase read from SOURCE)" to the recorded error detail.
 */
void cmd_passphrase_hint(const struct cmd_options *);

/**
 * cmd_passphrase_read(file, fd, command, prompt, confirm, pass, passlen):
 * Read a passphrase from ${file}, else ${fd} (if not -1), else the first
 * line of what ${command} (if not NULL) prints, else that of the command
 * in QSARC_PASSPHRASE_COMMAND, else QSARC_PASSPHRASE, else the terminal
 * (asked twice if ${confirm}).  A command runs as /bin/sh -c COMMAND with
 * standard input /dev/null and without QSARC_PASSPHRASE in its
 * environment; one that exits non-zero, is killed or prints nothing gives
 * QS_EPASS.  ${pass} is secure memory; free with cmd_passphrase_free().
 */
int cmd_passphrase_read(const char *, int, const char *, const char *, int,
    uint8_t **, size_t *);

/**
 * cmd_passphrase_free(pass, len):
 * Wipe and free a passphrase.  NULL is allowed.
 */
void cmd_passphrase_free(uint8_t *, size_t);

#endif /* !QS_CMD_PASSPHRASE_H */
