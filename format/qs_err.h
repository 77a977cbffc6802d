#ifndef QS_ERR_H
#define QS_ERR_H

/*
 * Error codes shared by every layer.  Functions return QS_OK (0) or one of
 * the negative codes below.  The layer that detects a problem records a
 * one-line detail (file, offset, reason) with qs_error_set(); only cmd/
 * prints it.  The detail is per thread, so worker threads copy theirs into
 * the job they hand back (qs_error_save / qs_error_restore).
 */

#include <stddef.h>

enum {
	QS_OK = 0,
	QS_ENOMEM = -1,		/* out of memory */
	QS_EIO = -2,		/* a system call failed; errno was recorded */
	QS_ECORRUPT = -3,	/* data on disk is damaged or inconsistent */
	QS_EAUTH = -4,		/* authentication of sealed data failed */
	QS_EVERSION = -5,	/* file written by a newer, unknown format */
	QS_EPASS = -6,		/* wrong passphrase */
	QS_ENOENT = -7,		/* the named thing does not exist */
	QS_EEXIST = -8,		/* the named thing already exists */
	QS_EBUSY = -9,		/* the store is locked by another process */
	QS_EINVAL = -10,	/* an argument is out of range */
	QS_EINPUT = -11,	/* the input stream failed or ended early */
	QS_ELIMIT = -12,	/* a documented limit was reached */
	QS_ENOSPC = -13		/* no space left on the file system */
};

#define QS_ERROR_MSG_MAX 512

struct qs_error {
	int code;
	char msg[QS_ERROR_MSG_MAX];
};

/**
 * qs_err_string(code):
 * Return a short constant description of ${code}.
 */
const char *qs_err_string(int);

/**
 * qs_error_set(code, fmt, ...):
 * Record ${code} with a printf-style detail for this thread, replacing any
 * earlier detail, and return ${code} so callers can write
 * "return (qs_error_set(QS_ECORRUPT, ...))".
 */
int qs_error_set(int, const char *, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * qs_error_prefix(code, path):
 * Record ${code} with the current detail prefixed by "${path}: "; return
 * ${code}.  For a codec's detail that does not know the file it came from.
 */
int qs_error_prefix(int, const char *);

/**
 * qs_error_errno(path, what):
 * Record the current errno as QS_EIO (or QS_ENOSPC, QS_ENOENT when errno says
 * so) with the detail "${path}: ${what}: strerror(errno)"; return the code.
 */
int qs_error_errno(const char *, const char *);

/**
 * qs_error_message():
 * Return this thread's last recorded detail ("" if none).
 */
const char *qs_error_message(void);

/**
 * qs_error_clear():
 * Forget this thread's recorded detail.
 */
void qs_error_clear(void);

/**
 * qs_error_save(err) / qs_error_restore(err):
 * Copy this thread's detail into ${err}, or make ${err} this thread's detail.
 */
void qs_error_save(struct qs_error *);
void qs_error_restore(const struct qs_error *);

#endif /* !QS_ERR_H */
