/*
 * Addresses, the sender name and the relay: the values that reach an
 * alert's headers and SMTP envelope (see alerts_addr.h).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/qs_err.h"
#include "cmd/alerts/alerts_addr.h"
#include "cmd/alerts/alerts_text.h"

/* RFC 5322 atext, plus '.' (checked for placement separately). */
static int
is_atext(unsigned char ch)
{

	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return (1);
	return (ch != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", ch) != NULL);
}

/**
 * alerts_addr_is_hostchar(ch):
 * Return 1 if ${ch} may appear in a host name, else 0.
 */
int
alerts_addr_is_hostchar(unsigned char ch)
{

	return ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.');
}

/* A DNS name: labels of letters, digits and '-', no empty label. */
static int
domain_valid(const char *d, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > ALERTS_HOST_MAX)
		return (0);
	for (size_t i = 0; i < n; i++) {
		if (!alerts_addr_is_hostchar((unsigned char)d[i]))
			return (0);
		if (d[i] == '.') {
			if (label == 0)
				return (0);
			label = 0;
		} else {
			if (label == 0 && d[i] == '-')
				return (0);
			if (++label > 63)
				return (0);
		}
	}
	return (label > 0);
}

/**
 * alerts_addr_valid(addr):
 * Return 1 if ${addr} is a plain address "local@domain", else 0.
 */
int
alerts_addr_valid(const char *addr)
{
	const char *at = strchr(addr, '@');
	size_t n = strlen(addr), ll;

	if (at == NULL || n > ALERTS_ADDR_MAX || strchr(at + 1, '@') != NULL)
		return (0);
	ll = (size_t)(at - addr);
	if (ll == 0 || ll > 64 || addr[0] == '.' || addr[ll - 1] == '.')
		return (0);
	for (size_t i = 0; i < ll; i++) {
		if (addr[i] == '.') {
			if (addr[i + 1] == '.')
				return (0);
			continue;
		}
		if (!is_atext((unsigned char)addr[i]))
			return (0);
	}
	return (domain_valid(at + 1, n - ll - 1));
}

/**
 * alerts_addr_name_valid(name):
 * Return 1 if ${name} is a usable sender display name, else 0.
 */
int
alerts_addr_name_valid(const char *name)
{

	return (alerts_text_valid(name, ALERTS_NAME_MAX));
}

/**
 * alerts_addr_host_valid(host):
 * Return 1 if ${host} is a DNS name or a bracketed IPv6 address, else 0.
 */
int
alerts_addr_host_valid(const char *h)
{
	size_t n = strlen(h);

	if (n >= 2 && h[0] == '[') {
		if (h[n - 1] != ']' || n < 4 || n > 48)
			return (0);
		for (size_t i = 1; i < n - 1; i++)
			if (strchr("0123456789abcdefABCDEF:.", h[i]) == NULL)
				return (0);
		return (1);
	}
	return (domain_valid(h, n));
}

/**
 * alerts_addr_relay_parse(s, host, hostlen, port):
 * Parse "HOST", "HOST:PORT", "[V6ADDR]" or "[V6ADDR]:PORT".
 */
int
alerts_addr_relay_parse(const char *s, char *host, size_t hostlen,
    uint16_t *port)
{
	char h[ALERTS_HOST_MAX + 3];
	const char *colon, *end;
	unsigned long p = ALERTS_DEFAULT_PORT;
	size_t hl;
	char *e;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			goto bad;
		hl = (size_t)(end - s) + 1;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (colon == NULL && end[1] != '\0')
			goto bad;
	} else {
		colon = strchr(s, ':');
		hl = colon != NULL ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= sizeof(h) || hl >= hostlen)
		goto bad;
	memcpy(h, s, hl);
	h[hl] = '\0';
	if (!alerts_addr_host_valid(h))
		goto bad;
	if (colon != NULL) {
		if (colon[1] < '0' || colon[1] > '9')
			goto bad;
		errno = 0;
		p = strtoul(colon + 1, &e, 10);
		if (errno != 0 || *e != '\0' || p == 0 || p > 65535)
			goto bad;
	}
	memcpy(host, h, hl + 1);
	*port = (uint16_t)p;
	return (QS_OK);

bad:
	return (qs_error_set(QS_EINVAL, "relay \"%.300s\" is not HOST or "
	    "HOST:PORT (a host name or address, a port 1 to 65535)", s));
}

/**
 * alerts_addr_relay_is_loopback(host):
 * Return 1 if ${host} names loopback explicitly: 127.x.y.z or "[::1]".
 */
int
alerts_addr_relay_is_loopback(const char *host)
{
	unsigned int a, b, c, d;
	char tail;

	if (strcmp(host, "[::1]") == 0)
		return (1);
	if (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 &&
	    a == 127 && b < 256 && c < 256 && d < 256)
		return (1);
	return (0);
}

/**
 * alerts_addr_list_parse(s, list, max, n):
 * Split the comma-separated addresses ${s} into ${list}.
 */
int
alerts_addr_list_parse(const char *s, char (*list)[ALERTS_ADDR_MAX + 1],
    size_t max, size_t *n)
{
	char tmp[ALERTS_MAX_RCPT][ALERTS_ADDR_MAX + 1];
	const char *p = s, *e;
	size_t k = 0, len;

	if (max > ALERTS_MAX_RCPT)
		max = ALERTS_MAX_RCPT;
	while (*p == ' ')
		p++;
	while (*p != '\0') {
		e = strchr(p, ',');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (k == max)
			return (qs_error_set(QS_EINVAL, "more than %zu "
			    "addresses in \"%.200s\"", max, s));
		if (len == 0 || len > ALERTS_ADDR_MAX)
			goto bad;
		memcpy(tmp[k], p, len);
		tmp[k][len] = '\0';
		if (!alerts_addr_valid(tmp[k]))
			goto bad;
		k++;
		if (e == NULL)
			break;
		p = e + 1;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			goto bad;
	}
	memcpy(list, tmp, k * sizeof(tmp[0]));
	*n = k;
	return (QS_OK);

bad:
	/* Never echo control characters back. */
	for (len = 0; p[len] != '\0' && p[len] != ',' && len < 80; len++)
		if ((unsigned char)p[len] < 0x20 || p[len] == 0x7f)
			return (qs_error_set(QS_EINVAL, "an address holds a "
			    "control character (CR, LF, ...)"));
	return (qs_error_set(QS_EINVAL, "\"%.*s\" is not a plain e-mail "
	    "address like name@example.com", (int)len, p));
}
