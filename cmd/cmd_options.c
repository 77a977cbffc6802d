/*
 * The shared options and value parsers of the subcommands.
 */

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd_help.h"
#include "cmd/cmd_options.h"
#include "cmd/cmd_output.h"
#include "crypto/keystore.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/store/manifest.h"

/**
 * cmd_options_init(c):
 * Defaults for the shared options.
 */
void
cmd_options_init(struct cmd_options *c)
{

	memset(c, 0, sizeof(*c));
	c->passphrase_fd = -1;
	c->lock_timeout = 60;
	c->progress = -1;
}

/* The last --lock-timeout parsed (cmd_options_lock_timeout). */
static int last_lock_timeout = 60;

/**
 * cmd_options_lock_timeout():
 * The seconds of the last --lock-timeout parsed, or the default 60.
 */
int
cmd_options_lock_timeout(void)
{

	return (last_lock_timeout);
}

static int
parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

/**
 * cmd_options_names(sub, names, n):
 * -1 if every NAME is valid, else a usage error (EXIT_USAGE).
 */
int
cmd_options_names(const char *sub, char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (manifest_fmt_name_check(names[i]) == QS_OK)
			continue;
		return (cmd_output_usage(sub, "%s", qs_error_message()));
	}
	return (-1);
}

/*
 * A command and a file or descriptor are two answers to one question:
 * refuse the pair rather than pick one silently.  1, or -1 after a usage
 * error.
 */
static int
passphrase_exclusive(const char *sub, const struct cmd_options *c)
{

	if (c->passphrase_command == NULL ||
	    (c->passphrase_file == NULL && c->passphrase_fd < 0))
		return (1);
	cmd_output_usage(sub, "--passphrase-command and %s are mutually "
	    "exclusive", c->passphrase_file != NULL ? "--passphrase-file" :
	    "--passphrase-fd");
	return (-1);
}

/**
 * cmd_options_latest_prefix(name):
 * The PREFIX of the keyword "latest[:PREFIX]" in ${name}, or NULL.
 */
const char *
cmd_options_latest_prefix(const char *name)
{

	if (strcmp(name, "latest") == 0)
		return ("");
	if (strncmp(name, "latest:", 7) == 0)
		return (name + 7);
	return (NULL);
}

/* The names cmd_options_latest made, freed at exit (for leak checkers). */
static char **latest_names;
static size_t latest_count;
static int latest_registered;

static void
latest_free(void)
{

	for (size_t i = 0; i < latest_count; i++)
		free(latest_names[i]);
	free(latest_names);
}

/**
 * cmd_options_latest(s, expired, names, n):
 * Resolve the "latest[:PREFIX]" NAMEs at ${names} in place.
 */
int
cmd_options_latest(struct store *s, int expired, char **names, size_t n)
{
	char name[STREAM_NAME_MAX + 1], **grown;
	const char *prefix;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if ((prefix = cmd_options_latest_prefix(names[i])) == NULL)
			continue;
		if ((rc = manifest_latest(s, prefix, expired, name)) != QS_OK)
			return (rc);
		if (!latest_registered) {
			if (atexit(latest_free) != 0)
				return (qs_error_set(QS_ENOMEM,
				    "out of memory"));
			latest_registered = 1;
		}
		if ((grown = realloc(latest_names, (latest_count + 1) *
		    sizeof(*grown))) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		latest_names = grown;
		if ((latest_names[latest_count] = strdup(name)) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		names[i] = latest_names[latest_count++];
	}
	return (QS_OK);
}

/**
 * cmd_options_common(sub, c, opt, arg):
 * Handle a shared option; 1 handled, 0 not ours, -1 usage error printed.
 */
int
cmd_options_common(const char *sub, struct cmd_options *c, int opt,
    const char *arg)
{
	long v;

	switch (opt) {
	case OPT_PASSPHRASE_FILE:
		c->passphrase_file = arg;
		return (passphrase_exclusive(sub, c));
	case OPT_PASSPHRASE_COMMAND:
		c->passphrase_command = arg;
		return (passphrase_exclusive(sub, c));
	case OPT_PASSPHRASE_FD:
		if (parse_int(arg, 0, 1 << 20, &v) != 0) {
			cmd_output_usage(sub,
			    "--passphrase-fd needs a descriptor "
			    "number, not \"%s\"", arg);
			return (-1);
		}
		c->passphrase_fd = (int)v;
		return (passphrase_exclusive(sub, c));
	case OPT_LOCK_TIMEOUT:
		if (parse_int(arg, 0, 86400, &v) != 0) {
			cmd_output_usage(sub,
			    "--lock-timeout needs seconds (0 to "
			    "86400), not \"%s\"", arg);
			return (-1);
		}
		c->lock_timeout = (int)v;
		last_lock_timeout = (int)v;
		return (1);
	case OPT_PROGRESS:
		c->progress = 1;
		return (1);
	case OPT_NO_PROGRESS:
		c->progress = 0;
		return (1);
	case OPT_JSON:
		c->json = 1;
		return (1);
	case 'q':
	case 'v':
		/* Less and more at once has no meaning: refuse the pair. */
		*(opt == 'q' ? &c->quiet : &c->verbose) = 1;
		if (c->quiet && c->verbose) {
			cmd_output_usage(sub, "--quiet and --verbose are "
			    "mutually exclusive");
			return (-1);
		}
		return (1);
	case OPT_THREADS:
		if (parse_int(arg, 1, 16, &v) != 0) {
			cmd_output_usage(sub,
			    "--threads needs 1 to 16, not \"%s\"",
			    arg);
			return (-1);
		}
		c->threads = (int)v;
		return (1);
	default:
		return (0);
	}
}

/**
 * cmd_options_unknown(sub, argv):
 * The one usage line for the option getopt_long refused; EXIT_USAGE.
 */
int
cmd_options_unknown(const char *sub, char *const *argv)
{
	const char *word = optind > 0 ? argv[optind - 1] : "?";

	/*
	 * A short option getopt does not know (-x): optopt is that letter.
	 * Otherwise optopt names a known long option whose value was missing
	 * or extra (their values are past the character range).
	 */
	if (optopt > 0 && optopt < 256)
		return (cmd_output_usage(sub, "unknown option \"-%c\"",
		    optopt));
	if (optopt != 0 && strchr(word, '=') != NULL)
		return (cmd_output_usage(sub, "option \"%s\" takes no value",
		    word));
	if (optopt != 0)
		return (cmd_output_usage(sub, "option \"%s\" needs a value",
		    word));
	return (cmd_output_usage(sub, "unknown or ambiguous option \"%s\"",
	    word));
}

/**
 * cmd_options_only(sub, argc, argv, c):
 * Parse a command line of only the shared options; -1 to go on, else the
 * exit code.
 */
int
cmd_options_only(const char *sub, int argc, char **argv,
    struct cmd_options *c)
{
	static const struct option opts[] = {
		CMD_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	int opt, r;

	cmd_options_init(c);
	while ((opt = getopt_long(argc, argv, CMD_OPTIONS_SHORT, opts,
	    NULL)) != -1) {
		if (opt == OPT_HELP)
			return (cmd_help_print(sub));
		r = cmd_options_common(sub, c, opt, optarg);
		if (r < 0)
			return (EXIT_USAGE);
		if (r == 0)
			return (cmd_options_unknown(sub, argv));
	}
	return (-1);
}

/**
 * cmd_options_encryption(sub, e, opt, arg):
 * Handle one of the encryption options shared by init and encrypt.
 */
int
cmd_options_encryption(const char *sub, struct cmd_options_encryption *e,
    int opt, const char *arg)
{

	switch (opt) {
	case OPT_MODE:
		if (cmd_options_key_mode(sub, arg, &e->mode) != 0)
			return (-1);
		e->mode_given = 1;
		return (1);
	case OPT_ROTATION_DAYS:
		if (cmd_options_rotation_days(sub, arg, &e->rotation_secs) !=
		    0)
			return (-1);
		e->rotation_given = 1;
		return (1);
	case OPT_KEYSTORE_BACKUP:
		e->keystore_backup = arg;
		return (1);
	case OPT_KDF_TIME:
		return (cmd_options_kdf_time(sub, arg, &e->kdf_t_cost) != 0 ?
		    -1 : 1);
	case OPT_KDF_MEMORY:
		return (cmd_options_kdf_memory(sub, arg, &e->kdf_m_cost_kib) !=
		    0 ? -1 : 1);
	default:
		return (0);
	}
}

/**
 * cmd_options_key_mode(sub, arg, mode):
 * "internal" or "static" into ${mode}; 0, or a printed usage error
 * (EXIT_USAGE).
 */
int
cmd_options_key_mode(const char *sub, const char *arg, int *mode)
{
	static const struct {
		const char *name;
		int mode;
	} modes[] = {
		{ "internal", KEYSTORE_MODE_INTERNAL },
		{ "static", KEYSTORE_MODE_STATIC }
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(arg, modes[i].name) == 0) {
			*mode = modes[i].mode;
			return (0);
		}
	}
	return (cmd_output_usage(sub, "--mode must be internal or static, "
	    "not \"%s\"", arg));
}

/**
 * cmd_options_rotation_days(sub, arg, secs):
 * A rotation period in days (7 to 70 years) into ${secs} seconds; 0, or a
 * printed usage error (EXIT_USAGE).
 */
int
cmd_options_rotation_days(const char *sub, const char *arg, uint64_t *secs)
{
	char *end;
	long days = strtol(arg, &end, 10);

	if (*end != '\0' || end == arg || days < 7 || days > 70 * 365)
		return (cmd_output_usage(sub,
		    "--rotation-days must be 7 to %d (70 "
		    "years), not \"%s\"", 70 * 365, arg));
	*secs = (uint64_t)days * 86400;
	return (0);
}

/**
 * cmd_options_kdf_time(sub, arg, t) / cmd_options_kdf_memory(sub, arg, kib):
 * --kdf-time (1 to 10 passes) and --kdf-memory (8M to 1G, into KiB;
 * crypto/kdf.h's KDF_T_MAX, KDF_M_MAX_KIB; the product is checked when the
 * keystore is saved);
 * 0, or a printed usage error (EXIT_USAGE).
 */
int
cmd_options_kdf_time(const char *sub, const char *arg, uint32_t *t)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (end == arg || *end != '\0' || v < 1 || v > 10)
		return (cmd_output_usage(sub,
		    "--kdf-time must be 1 to 10, not "
		    "\"%s\"", arg));
	*t = (uint32_t)v;
	return (0);
}

int
cmd_options_kdf_memory(const char *sub, const char *arg, uint32_t *kib)
{
	uint64_t v;

	if (cmd_options_size(arg, &v) != 0 || v < (8U << 20) ||
	    v > (1ULL << 30))
		return (cmd_output_usage(sub,
		    "--kdf-memory must be 8M to 1G, not "
		    "\"%s\"", arg));
	*kib = (uint32_t)(v / 1024);
	return (0);
}

/* The power of two a size suffix stands for ("K": 10); 0 if none. */
static unsigned
unit_shift(char c)
{
	static const char units[] = "kmg";
	const char *u;

	if (c == '\0' || (u = strchr(units, c | 0x20)) == NULL)
		return (0);
	return (10 * (unsigned)(u - units + 1));
}

/**
 * cmd_options_size(s, out):
 * Parse "123", "64K", "32M", "1G" (powers of 1024).
 */
int
cmd_options_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return (-1);
	if (*end != '\0') {
		if ((shift = unit_shift(*end)) == 0)
			return (-1);
		end++;
	}
	if (*end == 'i' && shift != 0)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		return (-1);
	*out = (uint64_t)v << shift;
	return (0);
}

/**
 * cmd_options_duration(s, out):
 * A duration into whole seconds: "90" (seconds), or one or more
 * NUMBER UNIT terms ("45s", "30m", "2h", "90d", "2w", "1h30m", "1.5d");
 * fractions are cut to whole seconds.  Return 0 or -1.
 */
int
cmd_options_duration(const char *s, int64_t *out)
{
	static const struct {
		char suffix;
		int64_t seconds;
	} units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 }
	};
	const char *p = s, *p0;
	int64_t total = 0, whole, frac, scale, mult, term;
	size_t i;

	if (*p == '\0')
		return (-1);
	while (*p != '\0') {
		/*
		 * Digits by hand, not strtod: no sign, spaces, exponents or
		 * hex, and an exact result (1.1d is 95040 s, not 95039).
		 */
		if ((*p < '0' || *p > '9') && *p != '.')
			return (-1);
		p0 = p;
		for (whole = 0; *p >= '0' && *p <= '9'; p++) {
			if (whole > (INT64_MAX - 9) / 10)
				return (-1);
			whole = whole * 10 + (*p - '0');
		}
		frac = 0;
		scale = 1;
		if (*p == '.') {
			if (p[1] < '0' || p[1] > '9')
				return (-1);
			/* Digits past 1e-12 of a unit do not change a second. */
			for (p++; *p >= '0' && *p <= '9'; p++) {
				if (scale < 1000000000000LL) {
					frac = frac * 10 + (*p - '0');
					scale *= 10;
				}
			}
		}
		if (*p == '\0' && p0 == s) {
			/* A bare number: seconds. */
			*out = whole;
			return (0);
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (*p == units[i].suffix)
				break;
		if (*p == '\0' || i == sizeof(units) / sizeof(units[0]))
			return (-1);
		p++;
		mult = units[i].seconds;
		if (whole > INT64_MAX / mult)
			return (-1);
		/* frac / scale < 1 and mult <= 604800: no overflow. */
		term = whole * mult + frac * mult / scale;
		if (term > INT64_MAX - total)
			return (-1);
		total += term;
	}
	*out = total;
	return (0);
}
