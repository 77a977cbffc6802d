#ifndef QS_CMD_H
#define QS_CMD_H

/*
 * Everything the subcommands share, in one include: the only layer that
 * prints.  Every message is one line, "qsarc: SUBCOMMAND: detail", on
 * stderr; results go to stdout.  The exit codes are in cmd/cmd_output.h,
 * the subcommands' entry points in cmd/cmd_help.h.
 */

#include "cmd/cmd_clock.h"
#include "cmd/cmd_help.h"
#include "cmd/cmd_options.h"
#include "cmd/cmd_output.h"
#include "cmd/cmd_passphrase.h"
#include "cmd/cmd_progress.h"

#endif /* !QS_CMD_H */
