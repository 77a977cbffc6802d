#ifndef QS_ALERTS_TEXT_H
#define QS_ALERTS_TEXT_H

/*
 * Text helpers the alert modules share: one growable (optionally bounded)
 * text buffer for the settings file, the log, message headers and bodies,
 * and the UTF-8 checks behind every "printable text" rule.
 */

#include <stddef.h>

/*
 * A growable NUL-terminated text.  With ${limit} non-zero the text never
 * grows past ${limit} - 1 bytes: what does not fit is cut (subjects and
 * bodies are bounded so that the log can take them back).  An allocation
 * failure is remembered in ${oom} and makes every later append a no-op.
 */
struct alerts_text {
	char *p;
	size_t len, cap;
	size_t limit;
	int oom;
};

/**
 * alerts_text_init(t, limit):
 * Make ${t} empty, bounded to ${limit} - 1 bytes (0: unbounded).
 */
void alerts_text_init(struct alerts_text *, size_t);

/**
 * alerts_text_add(t, s, n):
 * Append the ${n} bytes at ${s} to ${t}.
 */
void alerts_text_add(struct alerts_text *, const char *, size_t);

/**
 * alerts_text_str(t, s):
 * Append the string ${s} to ${t}.
 */
void alerts_text_str(struct alerts_text *, const char *);

/**
 * alerts_text_fmt(t, fmt, ...):
 * Append the printf-style ${fmt} to ${t}.
 */
void alerts_text_fmt(struct alerts_text *, const char *, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * alerts_text_free(t):
 * Free the text of ${t} and make it empty.
 */
void alerts_text_free(struct alerts_text *);

/**
 * alerts_text_copyf(buf, len, fmt, ...):
 * snprintf into ${buf} of ${len} bytes where cutting is intended (the
 * bounded one-line fields of settings, events and log entries).
 */
void alerts_text_copyf(char *, size_t, const char *, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/**
 * alerts_text_utf8_len(s):
 * Return the length of the UTF-8 sequence at ${s} (1 to 4), or 0 if it
 * is invalid, overlong, a surrogate or a C1 control character.
 */
size_t alerts_text_utf8_len(const unsigned char *);

/**
 * alerts_text_valid(s, max):
 * Return 1 if ${s} is 1..${max} bytes of printable UTF-8 text (no control
 * character at all), else 0.
 */
int alerts_text_valid(const char *, size_t);

#endif /* !QS_ALERTS_TEXT_H */
