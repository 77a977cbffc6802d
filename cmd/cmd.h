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

/*
 * Old names, for callers not yet moved to the new ones (cmd_alerts.c and
 * the branches merged with it).  Remove once nothing uses them.
 */
#define cmd_help(sub)	cmd_help_print(sub)
#define cmd_exit_code	cmd_output_exit_code
#define cmd_fail	cmd_output_fail
#define cmd_usage	cmd_output_usage
#define cmd_now	cmd_clock_now
#define cmd_monotonic	cmd_clock_monotonic
#define cmd_common_init	cmd_options_init
#define cmd_common_option	cmd_options_common
#define cmd_parse_key_mode	cmd_options_key_mode
#define cmd_parse_rotation_days	cmd_options_rotation_days
#define cmd_parse_kdf_time	cmd_options_kdf_time
#define cmd_parse_kdf_memory	cmd_options_kdf_memory
#define cmd_parse_size	cmd_options_size
#define cmd_free_passphrase	cmd_passphrase_free
#define cmd_format_utc	cmd_output_utc
#define cmd_format_bytes	cmd_output_bytes
#define cmd_utf8_char	cmd_output_utf8_char
#define cmd_json_string	cmd_output_json_string
#define cmd_common	cmd_options
#define CMD_COMMON_OPTIONS	CMD_OPTIONS_COMMON

#endif /* !QS_CMD_H */
