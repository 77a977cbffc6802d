#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "format/qs_err.h"

static _Thread_local struct qs_error last_error;

/**
 * qs_err_string(code):
 * Return a short constant description of ${code}.
 */
const char *
qs_err_string(int code)
{

	switch (code) {
	case QS_OK:		return ("success");
	case QS_ENOMEM:		return ("out of memory");
	case QS_EIO:		return ("input/output error");
	case QS_ECORRUPT:	return ("data is damaged");
	case QS_EAUTH:		return ("authentication failed");
	case QS_EVERSION:	return ("unsupported format version");
	case QS_EPASS:		return ("wrong passphrase");
	case QS_ENOENT:		return ("not found");
	case QS_EEXIST:		return ("already exists");
	case QS_EBUSY:		return ("store is busy");
	case QS_EINVAL:		return ("invalid argument");
	case QS_EINPUT:		return ("input stream failed");
	case QS_ELIMIT:		return ("limit reached");
	case QS_ENOSPC:		return ("no space left on device");
	default:		return ("unknown error");
	}
}

/**
 * qs_error_set(code, fmt, ...):
 * Record ${code} with a printf-style detail for this thread, replacing any
 * earlier detail (which may itself be an argument), and return ${code}.
 */
int
qs_error_set(int code, const char *fmt, ...)
{
	char msg[QS_ERROR_MSG_MAX];
	va_list ap;

	/* Format aside: an argument may be qs_error_message() itself. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	last_error.code = code;
	memcpy(last_error.msg, msg, sizeof(msg));
	return (code);
}

/**
 * qs_error_prefix(code, path):
 * Record ${code} with the current detail prefixed by "${path}: ".
 */
int
qs_error_prefix(int code, const char *path)
{

	return (qs_error_set(code, "%s: %s", path, qs_error_message()));
}

/**
 * qs_error_errno(path, what):
 * Record the current errno as QS_EIO (or QS_ENOSPC, QS_ENOENT when errno says
 * so) with the detail "${path}: ${what}: strerror(errno)"; return the code.
 */
int
qs_error_errno(const char *path, const char *what)
{
	int saved = errno;
	int code;

	if (saved == ENOSPC || saved == EDQUOT)
		code = QS_ENOSPC;
	else if (saved == ENOENT)
		code = QS_ENOENT;
	else if (saved == ENOMEM)
		code = QS_ENOMEM;
	else
		code = QS_EIO;
	return (qs_error_set(code, "%s: %s: %s", path, what, strerror(saved)));
}

/**
 * qs_error_message():
 * Return this thread's last recorded detail ("" if none).
 */
const char *
qs_error_message(void)
{

	return (last_error.msg);
}

/**
 * qs_error_clear():
 * Forget this thread's recorded detail.
 */
void
qs_error_clear(void)
{

	last_error.code = QS_OK;
	last_error.msg[0] = '\0';
}

/**
 * qs_error_save(err):
 * Copy this thread's detail into ${err}.
 */
void
qs_error_save(struct qs_error *err)
{

	*err = last_error;
}

/**
 * qs_error_restore(err):
 * Make ${err} this thread's detail.
 */
void
qs_error_restore(const struct qs_error *err)
{

	last_error = *err;
}
