/*
 * Tests for cmd/alerts/: the alerts.conf parser and validator (files
 * built by hand here, checksum included, so the parser is tested against
 * the documented grammar and not only against its own encoder), address
 * and name validation (header injection), the message builder (Bcc never
 * in a header), and the unsent-alert log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "format/qs_err.h"
#include "cmd/alerts/alerts_addr.h"
#include "cmd/alerts/alerts_conf.h"
#include "cmd/alerts/alerts_log.h"
#include "cmd/alerts/alerts_message.h"
#include "cmd/alerts/alerts_state.h"

#include "testlib.h"

/* Append "checksum HEX\n" (BLAKE2b-256 of everything before) to ${t}. */
static char *
with_checksum(const char *t)
{
	uint8_t d[CHECKSUM_BYTES];
	size_t n = strlen(t);
	char *out = malloc(n + 80);

	assert_non_null(out);
	checksum_blake2b256(t, n, d);
	memcpy(out, t, n);
	memcpy(out + n, "checksum ", 9);
	for (size_t i = 0; i < CHECKSUM_BYTES; i++)
		sprintf(out + n + 9 + 2 * i, "%02x", d[i]);
	strcpy(out + n + 9 + 2 * CHECKSUM_BYTES, "\n");
	return (out);
}

static int
parse_text(const char *t, struct alerts_conf *c)
{

	return (alerts_conf_parse((const uint8_t *)t, strlen(t), c));
}

/* Parse ${body} (without checksum line) after adding a correct one. */
static int
parse_summed(const char *body, struct alerts_conf *c)
{
	char *t = with_checksum(body);
	int rc = parse_text(t, c);

	free(t);
	return (rc);
}

#define GOOD_BODY							\
	"qsarc-alerts 1\n"						\
	"enabled 1\n"							\
	"relay smtp.example.com\n"					\
	"port 587\n"							\
	"starttls 1\n"							\
	"sender-name Backup host 3\n"					\
	"from qsarc@example.com\n"					\
	"to ops@example.com\n"						\
	"to oncall@example.com\n"					\
	"cc a@example.com\n"						\
	"bcc audit@example.com\n"					\
	"auth-file /etc/qsarc/smtp-auth\n"				\
	"disk-threshold 90\n"

static void
test_conf_parse_good(void **state)
{
	struct alerts_conf c;

	(void)state;
	assert_int_equal(parse_summed(GOOD_BODY, &c), QS_OK);
	assert_int_equal(c.enabled, 1);
	assert_string_equal(c.relay, "smtp.example.com");
	assert_int_equal(c.port, 587);
	assert_int_equal(c.starttls, 1);
	assert_string_equal(c.sender_name, "Backup host 3");
	assert_string_equal(c.from, "qsarc@example.com");
	assert_int_equal(c.nto, 2);
	assert_string_equal(c.to[1], "oncall@example.com");
	assert_int_equal(c.ncc, 1);
	assert_int_equal(c.nbcc, 1);
	assert_string_equal(c.bcc[0], "audit@example.com");
	assert_string_equal(c.auth_file, "/etc/qsarc/smtp-auth");
	assert_int_equal(c.disk_pct, 90);
}

static void
test_conf_roundtrip(void **state)
{
	struct alerts_conf c, d;
	char *buf, *t;
	size_t len;

	(void)state;
	assert_int_equal(parse_summed(GOOD_BODY, &c), QS_OK);
	assert_int_equal(alerts_conf_encode(&c, &buf, &len), QS_OK);
	/* The encoder writes exactly the documented text. */
	t = with_checksum(GOOD_BODY);
	assert_int_equal(len, strlen(t));
	assert_memory_equal(buf, t, len);
	assert_int_equal(alerts_conf_parse((uint8_t *)buf, len, &d), QS_OK);
	assert_memory_equal(&c, &d, sizeof(c));
	free(buf);
	free(t);
}

static void
test_conf_parse_bad(void **state)
{
	static const char *bad[] = {
		/* Unknown key. */
		"qsarc-alerts 1\nenabled 0\ncolour blue\n",
		/* Repeated single-valued key. */
		"qsarc-alerts 1\nenabled 0\nport 25\nport 26\n",
		/* Bad values. */
		"qsarc-alerts 1\nenabled 2\n",
		"qsarc-alerts 1\nenabled 0\nport 0\n",
		"qsarc-alerts 1\nenabled 0\nport 65536\n",
		"qsarc-alerts 1\nenabled 0\nport 025\n",
		"qsarc-alerts 1\nenabled 0\ndisk-threshold 101\n",
		"qsarc-alerts 1\nenabled 0\nrelay bad host\n",
		"qsarc-alerts 1\nenabled 0\nfrom not-an-address\n",
		"qsarc-alerts 1\nenabled 0\nto a@b.com\rBcc: x@y.com\n",
		"qsarc-alerts 1\nenabled 0\nsender-name A\tB\n",
		"qsarc-alerts 1\nenabled 0\nauth-file relative/path\n",
		/* Enabled but incomplete. */
		"qsarc-alerts 1\nenabled 1\nrelay r.example.com\n"
		    "from a@example.com\n",
		/* Missing enabled line. */
		"qsarc-alerts 1\nrelay r.example.com\n",
		/* Wrong magic. */
		"qsarc-alert 1\nenabled 0\n",
		/* A line without a value. */
		"qsarc-alerts 1\nenabled 0\nstarttls\n",
		NULL
	};
	struct alerts_conf c;
	char seventeen[4096];

	(void)state;
	for (size_t i = 0; bad[i] != NULL; i++) {
		memset(&c, 0x5a, sizeof(c));
		assert_int_equal(parse_summed(bad[i], &c), QS_ECORRUPT);
		/* Untouched on failure. */
		assert_int_equal(((unsigned char *)&c)[0], 0x5a);
	}
	/* More than ALERTS_MAX_RCPT To lines. */
	strcpy(seventeen, "qsarc-alerts 1\nenabled 0\n");
	for (int i = 0; i < ALERTS_MAX_RCPT + 1; i++)
		sprintf(seventeen + strlen(seventeen), "to u%d@example.com\n",
		    i);
	assert_int_equal(parse_summed(seventeen, &c), QS_ECORRUPT);
}

static void
test_conf_parse_damage(void **state)
{
	struct alerts_conf c;
	char *t = with_checksum(GOOD_BODY);
	char *u;
	size_t n = strlen(t);

	(void)state;
	/* Unknown version. */
	assert_int_equal(parse_summed("qsarc-alerts 2\nenabled 0\n", &c),
	    QS_EVERSION);
	/* A changed byte: checksum mismatch. */
	u = strdup(t);
	assert_non_null(u);
	u[strlen("qsarc-alerts 1\nenabled 1\nrelay s")] = 'S';
	assert_int_equal(parse_text(u, &c), QS_ECORRUPT);
	assert_non_null(strstr(qs_error_message(), "checksum"));
	free(u);
	/* Truncated: no final newline, no checksum line, nothing. */
	assert_int_equal(alerts_conf_parse((uint8_t *)t, n - 1, &c),
	    QS_ECORRUPT);
	assert_int_equal(parse_text(GOOD_BODY, &c), QS_ECORRUPT);
	assert_int_equal(alerts_conf_parse((uint8_t *)t, 0, &c), QS_ECORRUPT);
	/* Something after the checksum line. */
	u = malloc(n + 16);
	assert_non_null(u);
	memcpy(u, t, n);
	strcpy(u + n, "enabled 0\n");
	assert_int_equal(parse_text(u, &c), QS_ECORRUPT);
	free(u);
	/* A NUL byte inside. */
	u = strdup(t);
	assert_non_null(u);
	u[20] = '\0';
	assert_int_equal(alerts_conf_parse((uint8_t *)u, n, &c), QS_ECORRUPT);
	free(u);
	free(t);
}

static void
test_addr_valid(void **state)
{
	static const char *good[] = { "ops@example.com", "a.b+c@x-y.example",
	    "o'brien@example.org", "x@localhost", "1@2.3", NULL };
	static const char *bad[] = { "", "ops", "@example.com", "ops@",
	    "a@@b.com", "a@b@c.com", ".a@b.com", "a.@b.com", "a..b@c.com",
	    "a b@c.com", "<a@b.com>", "Ops <a@b.com>", "a@b.com,c@d.com",
	    "a@b.com\r\nBcc: x@y.com", "a@b.com\n", "a\r@b.com",
	    "a@-b.com", "a@b..com", "a@b.com.", "a@b_c.com", "\"a\"@b.com",
	    "a@[127.0.0.1]", NULL };
	char longaddr[300];

	(void)state;
	for (size_t i = 0; good[i] != NULL; i++)
		assert_int_equal(alerts_addr_valid(good[i]), 1);
	for (size_t i = 0; bad[i] != NULL; i++)
		assert_int_equal(alerts_addr_valid(bad[i]), 0);
	memset(longaddr, 'a', sizeof(longaddr));
	strcpy(longaddr + 65, "@example.com");
	assert_int_equal(alerts_addr_valid(longaddr), 0);	/* local > 64 */
}

static void
test_name_valid(void **state)
{
	char big[ALERTS_NAME_MAX + 2];

	(void)state;
	assert_int_equal(alerts_addr_name_valid("Backup host 3"), 1);
	assert_int_equal(alerts_addr_name_valid("Sauvegarde \xc3\xa9t\xc3\xa9"),
	    1);
	assert_int_equal(alerts_addr_name_valid("Quote \" and \\ ok"), 1);
	assert_int_equal(alerts_addr_name_valid(""), 0);
	assert_int_equal(alerts_addr_name_valid("a\r\nBcc: x@y.com"), 0);
	assert_int_equal(alerts_addr_name_valid("a\nb"), 0);
	assert_int_equal(alerts_addr_name_valid("a\tb"), 0);
	assert_int_equal(alerts_addr_name_valid("a\x7f"), 0);
	assert_int_equal(alerts_addr_name_valid("a\xc2\x85"), 0);  /* NEL */
	assert_int_equal(alerts_addr_name_valid("a\xc3"), 0);	/* cut */
	/* A surrogate. */
	assert_int_equal(alerts_addr_name_valid("a\xed\xa0\x80"), 0);
	memset(big, 'x', sizeof(big));
	big[ALERTS_NAME_MAX] = '\0';
	assert_int_equal(alerts_addr_name_valid(big), 1);
	big[ALERTS_NAME_MAX] = 'x';
	big[ALERTS_NAME_MAX + 1] = '\0';
	assert_int_equal(alerts_addr_name_valid(big), 0);
}

static void
test_relay_parse(void **state)
{
	char host[300];
	uint16_t port;

	(void)state;
	assert_int_equal(alerts_addr_relay_parse("smtp.example.com", host,
	    sizeof(host), &port), QS_OK);
	assert_string_equal(host, "smtp.example.com");
	assert_int_equal(port, ALERTS_DEFAULT_PORT);
	assert_int_equal(alerts_addr_relay_parse("smtp.example.com:587", host,
	    sizeof(host), &port), QS_OK);
	assert_string_equal(host, "smtp.example.com");
	assert_int_equal(port, 587);
	assert_int_equal(alerts_addr_relay_parse("[::1]:2525", host,
	    sizeof(host), &port), QS_OK);
	assert_string_equal(host, "[::1]");
	assert_int_equal(port, 2525);
	assert_int_equal(alerts_addr_relay_parse("127.0.0.1:65535", host,
	    sizeof(host), &port), QS_OK);
	assert_int_equal(port, 65535);
	port = 7;
	strcpy(host, "unchanged");
	assert_int_equal(alerts_addr_relay_parse("h:0", host, sizeof(host),
	    &port), QS_EINVAL);
	assert_int_equal(alerts_addr_relay_parse("h:65536", host, sizeof(host),
	    &port), QS_EINVAL);
	assert_int_equal(alerts_addr_relay_parse("h:", host, sizeof(host),
	    &port), QS_EINVAL);
	assert_int_equal(alerts_addr_relay_parse(":25", host, sizeof(host),
	    &port), QS_EINVAL);
	assert_int_equal(alerts_addr_relay_parse("h:25x", host, sizeof(host),
	    &port), QS_EINVAL);
	assert_int_equal(alerts_addr_relay_parse("h:-25", host, sizeof(host),
	    &port), QS_EINVAL);
	assert_int_equal(alerts_addr_relay_parse("a b:25", host, sizeof(host),
	    &port), QS_EINVAL);
	assert_int_equal(alerts_addr_relay_parse("h\r\n:25", host, sizeof(host),
	    &port), QS_EINVAL);
	assert_int_equal(alerts_addr_relay_parse("[::1", host, sizeof(host),
	    &port), QS_EINVAL);
	assert_int_equal(alerts_addr_relay_parse("smtp://h", host, sizeof(host),
	    &port), QS_EINVAL);
	assert_string_equal(host, "unchanged");
	assert_int_equal(port, 7);
	assert_int_equal(alerts_addr_relay_is_loopback("127.0.0.1"), 1);
	assert_int_equal(alerts_addr_relay_is_loopback("127.1.2.3"), 1);
	/* Only named explicitly: a name is resolved (SECURITY.md 5.5). */
	assert_int_equal(alerts_addr_relay_is_loopback("localhost"), 0);
	assert_int_equal(alerts_addr_relay_is_loopback("[::1]"), 1);
	assert_int_equal(alerts_addr_relay_is_loopback("128.0.0.1"), 0);
	assert_int_equal(alerts_addr_relay_is_loopback("127.0.0.1.evil.com"),
	    0);
	assert_int_equal(alerts_addr_relay_is_loopback("smtp.example.com"), 0);
}

static void
test_addr_list(void **state)
{
	char list[ALERTS_MAX_RCPT][ALERTS_ADDR_MAX + 1];
	char many[2048] = "";
	size_t n = 99;

	(void)state;
	assert_int_equal(alerts_addr_list_parse("a@x.com, b@y.org ,c@z.net",
	    list, ALERTS_MAX_RCPT, &n), QS_OK);
	assert_int_equal(n, 3);
	assert_string_equal(list[0], "a@x.com");
	assert_string_equal(list[1], "b@y.org");
	assert_string_equal(list[2], "c@z.net");
	assert_int_equal(alerts_addr_list_parse("", list, ALERTS_MAX_RCPT,
	    &n), QS_OK);
	assert_int_equal(n, 0);
	n = 42;
	assert_int_equal(alerts_addr_list_parse("a@x.com,", list,
	    ALERTS_MAX_RCPT, &n), QS_EINVAL);
	assert_int_equal(alerts_addr_list_parse("a@x.com,,b@y.org", list,
	    ALERTS_MAX_RCPT, &n), QS_EINVAL);
	assert_int_equal(alerts_addr_list_parse("a@x.com\r\nBcc: e@v.il",
	    list, ALERTS_MAX_RCPT, &n), QS_EINVAL);
	assert_null(strchr(qs_error_message(), '\n'));
	assert_int_equal(n, 42);
	for (int i = 0; i < ALERTS_MAX_RCPT + 1; i++)
		sprintf(many + strlen(many), "%su%d@example.com", i ? "," : "",
		    i);
	assert_int_equal(alerts_addr_list_parse(many, list, ALERTS_MAX_RCPT,
	    &n), QS_EINVAL);
}

static void
good_conf(struct alerts_conf *c)
{

	assert_int_equal(parse_summed(GOOD_BODY, c), QS_OK);
}

/* The header block (up to the first empty line) of ${msg}, malloc'd. */
static char *
headers_of(const char *msg)
{
	const char *e = strstr(msg, "\r\n\r\n");

	assert_non_null(e);
	return (strndup(msg, (size_t)(e - msg) + 2));
}

static void
test_message_headers(void **state)
{
	struct alerts_conf c;
	char *msg, *h;
	size_t len;

	(void)state;
	good_conf(&c);
	c.bcc[1][0] = '\0';
	strcpy(c.bcc[1], "secret-watcher@example.net");
	c.nbcc = 2;
	assert_int_equal(alerts_message_build(&c, "host3", "[qsarc] host3 "
	    "/backup/store: clean failed", "line one\nline two\n", 0,
	    "tok.1", &msg, &len), QS_OK);
	assert_int_equal(strlen(msg), len);
	h = headers_of(msg);
	assert_non_null(h);
	/* Bcc: nowhere, not even the addresses, not in the body either. */
	assert_null(strstr(msg, "Bcc"));
	assert_null(strstr(msg, "bcc"));
	assert_null(strstr(msg, "audit@example.com"));
	assert_null(strstr(msg, "secret-watcher"));
	assert_non_null(strstr(h,
	    "From: \"Backup host 3\" <qsarc@example.com>\r\n"));
	assert_non_null(strstr(h,
	    "To: ops@example.com,\r\n oncall@example.com\r\n"));
	assert_non_null(strstr(h, "Cc: a@example.com\r\n"));
	assert_non_null(strstr(h,
	    "Subject: [qsarc] host3 /backup/store: clean failed\r\n"));
	assert_non_null(strstr(h, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
	assert_non_null(strstr(h, "Message-ID: <tok.1@host3>\r\n"));
	/* Every line ends in CRLF; no bare LF anywhere. */
	for (size_t i = 0; i < len; i++)
		if (msg[i] == '\n')
			assert_true(i > 0 && msg[i - 1] == '\r');
	assert_non_null(strstr(msg, "\r\n\r\nline one\r\nline two\r\n"));
	free(h);
	free(msg);

	/* No Cc recipients: no Cc header. */
	c.ncc = 0;
	assert_int_equal(alerts_message_build(&c, "h", "s", "b", 1700000000,
	    "t", &msg, &len), QS_OK);
	assert_null(strstr(msg, "Cc:"));
	assert_non_null(strstr(msg, "Date: Tue, 14 Nov 2023 22:13:20 +0000"));
	free(msg);
}

static void
test_message_injection(void **state)
{
	struct alerts_conf c;
	char *msg = NULL;
	size_t len;

	(void)state;
	good_conf(&c);
	/* CR/LF in any header value is refused, not sent. */
	assert_int_equal(alerts_message_build(&c, "h", "subject\r\nBcc: "
	    "x@evil.example", "b", 0, "t", &msg, &len), QS_EINVAL);
	assert_null(msg);
	assert_int_equal(alerts_message_build(&c, "h\nX: y", "s", "b", 0, "t",
	    &msg, &len), QS_EINVAL);
	assert_int_equal(alerts_message_build(&c, "h", "s", "b", 0, "t\r",
	    &msg, &len), QS_EINVAL);
	strcpy(c.sender_name, "Evil\r\nBcc: x@evil.example");
	assert_int_equal(alerts_message_build(&c, "h", "s", "b", 0, "t",
	    &msg, &len), QS_EINVAL);
	good_conf(&c);
	strcpy(c.to[0], "a@b.com\r\nBcc: x@evil.example");
	assert_int_equal(alerts_message_build(&c, "h", "s", "b", 0, "t",
	    &msg, &len), QS_EINVAL);
	/* And the encoder refuses to save such a configuration. */
	assert_int_equal(alerts_conf_encode(&c, &msg, &len), QS_EINVAL);
	good_conf(&c);
	strcpy(c.sender_name, "Evil\nname");
	assert_int_equal(alerts_conf_encode(&c, &msg, &len), QS_EINVAL);
	assert_null(msg);
	/* Incomplete settings: nothing to build. */
	good_conf(&c);
	c.nto = 0;
	assert_int_equal(alerts_message_build(&c, "h", "s", "b", 0, "t",
	    &msg, &len), QS_EINVAL);
	assert_non_null(alerts_conf_missing(&c));
}

static void
test_message_encoding(void **state)
{
	struct alerts_conf c;
	char body[3000];
	char *msg;
	size_t len, col = 0;

	(void)state;
	good_conf(&c);
	/* A quote in the name is escaped inside the quoted string. */
	strcpy(c.sender_name, "Ops \"night\" \\ shift");
	assert_int_equal(alerts_message_build(&c, "h", "s", "b", 0, "t",
	    &msg, &len), QS_OK);
	assert_non_null(strstr(msg,
	    "From: \"Ops \\\"night\\\" \\\\ shift\" <qsarc@example.com>\r\n"));
	free(msg);
	/* Non-ASCII: RFC 2047 ("Été" is w4l0w6k= in base64). */
	strcpy(c.sender_name, "\xc3\x89t\xc3\xa9");
	assert_int_equal(alerts_message_build(&c, "h",
	    "caf\xc3\xa9", "b", 0, "t", &msg, &len), QS_OK);
	assert_non_null(strstr(msg, "From: =?UTF-8?B?w4l0w6k=?= "
	    "<qsarc@example.com>\r\n"));
	assert_non_null(strstr(msg, "Subject: =?UTF-8?B?Y2Fmw6k=?=\r\n"));
	free(msg);
	/* Lines longer than 900 bytes are wrapped; none exceeds 998. */
	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	good_conf(&c);
	assert_int_equal(alerts_message_build(&c, "h", "s", body, 0, "t",
	    &msg, &len), QS_OK);
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\r' || msg[i] == '\n')
			col = 0;
		else
			assert_true(++col <= 998);
	}
	free(msg);
	/* Odd characters in the host and token are replaced. */
	assert_int_equal(alerts_message_build(&c, "ho st<>", "s", "b", 0,
	    "a@b", &msg, &len), QS_OK);
	assert_non_null(strstr(msg, "Message-ID: <a-b@ho-st-->\r\n"));
	free(msg);
}

static char tmpdir[64];

static int
mk_tmpdir(void **state)
{

	(void)state;
	return (make_tmpdir(tmpdir, sizeof(tmpdir), "alerts"));
}

static int
rm_tmpdir(void **state)
{

	(void)state;
	return (rm_tree(tmpdir));
}

/* The alert files of a made-up store id under ${tmpdir}. */
static void
test_paths(struct alerts_conf_paths *p)
{
	const char *id = "00112233445566778899aabbccddeeff";

	memset(p, 0, sizeof(*p));
	assert_true(snprintf(p->state, sizeof(p->state), "%s/state", tmpdir) <
	    (int)sizeof(p->state));
	assert_true(snprintf(p->dir, sizeof(p->dir), "%.64s/alerts", p->state) <
	    (int)sizeof(p->dir));
	snprintf(p->id, sizeof(p->id), "%s", id);
	assert_true(snprintf(p->conf, sizeof(p->conf), "%.80s/%s.conf", p->dir,
	    id) < (int)sizeof(p->conf));
	assert_true(snprintf(p->log, sizeof(p->log), "%.80s/%s.log", p->dir,
	    id) < (int)sizeof(p->log));
	assert_true(snprintf(p->lock, sizeof(p->lock), "%.80s/%s.lock", p->dir,
	    id) < (int)sizeof(p->lock));
	snprintf(p->legacy, sizeof(p->legacy), "%s/alerts.conf", tmpdir);
}

static void
test_conf_file(void **state)
{
	struct alerts_conf_paths p;
	struct alerts_conf c, d;
	struct stat st;

	(void)state;
	test_paths(&p);
	assert_int_equal(alerts_conf_load(&p, &c), QS_ENOENT);
	good_conf(&c);
	assert_int_equal(alerts_conf_save(&p, &c), QS_OK);
	assert_int_equal(alerts_conf_load(&p, &d), QS_OK);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(stat(p.conf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);	/* private: SECURITY.md 5.4 */
	assert_int_equal(stat(p.dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* An enabled but incomplete configuration is never written. */
	c.relay[0] = '\0';
	assert_int_equal(alerts_conf_save(&p, &c), QS_EINVAL);
	assert_int_equal(alerts_conf_load(&p, &d), QS_OK);
	assert_string_equal(d.relay, "smtp.example.com");

	/* Writable by others, or a link: refused (SECURITY.md 5.5). */
	assert_int_equal(chmod(p.conf, 0620), 0);
	assert_int_equal(alerts_conf_load(&p, &d), QS_EINVAL);
	assert_non_null(strstr(qs_error_message(), "writable by group"));
	assert_int_equal(chmod(p.conf, 0600), 0);
	assert_int_equal(chmod(p.dir, 0777), 0);
	assert_int_equal(alerts_conf_load(&p, &d), QS_EINVAL);
	assert_int_equal(chmod(p.dir, 0700), 0);
	assert_int_equal(rename(p.conf, p.log), 0);
	assert_int_equal(symlink(p.log, p.conf), 0);
	assert_int_equal(alerts_conf_load(&p, &d), QS_EINVAL);
	assert_non_null(strstr(qs_error_message(), "symbolic link"));
	unlink(p.conf);

	/* The old store-side file is read only by the migration. */
	assert_int_equal(alerts_conf_has_legacy(&p), 0);
	assert_int_equal(rename(p.log, p.legacy), 0);
	assert_int_equal(alerts_conf_has_legacy(&p), 1);
	assert_int_equal(alerts_conf_load(&p, &d), QS_ENOENT);
	assert_int_equal(alerts_conf_load_legacy(&p, &d), QS_OK);
	assert_string_equal(d.relay, "smtp.example.com");
	unlink(p.legacy);
}

static void
test_log(void **state)
{
	struct alerts_log_entry e[ALERTS_LOG_KEEP + 50], *r;
	struct alerts_conf_paths p;
	const char *path;
	size_t n, bad;
	FILE *f;

	(void)state;
	test_paths(&p);
	path = p.log;
	assert_int_equal(alerts_conf_dir_make(&p), QS_OK);
	assert_int_equal(alerts_log_read(&p, 1, &r, &n, &bad), QS_OK);
	assert_int_equal(n, 0);
	memset(e, 0, sizeof(e));
	for (size_t i = 0; i < ALERTS_LOG_KEEP + 50; i++) {
		e[i].time = 1700000000 + (int64_t)i;
		strcpy(e[i].event, "command-failed");
		snprintf(e[i].subject, sizeof(e[i].subject), "subject %zu", i);
		e[i].body = (char *)(uintptr_t)"a\tb\\n\nc\r\n";
	}
	/* Bounded: the newest ALERTS_LOG_KEEP are kept. */
	assert_int_equal(alerts_log_write(&p, e, ALERTS_LOG_KEEP + 50),
	    QS_OK);
	assert_int_equal(alerts_log_read(&p, 0, &r, &n, &bad), QS_OK);
	assert_int_equal(n, ALERTS_LOG_KEEP);
	assert_int_equal(bad, 0);
	assert_int_equal(r[0].time, 1700000050);
	assert_string_equal(r[0].subject, "subject 50");
	assert_string_equal(r[n - 1].subject, "subject 149");
	assert_string_equal(r[0].event, "command-failed");
	/* Tabs, backslashes and line ends survive. */
	assert_string_equal(r[5].body, "a\tb\\n\nc\r\n");
	alerts_log_entries_free(r, n);

	/* A damaged line is skipped, the others kept. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("qsarc-alerts-log 1\n"
	    "1\tdisk-full\tfirst\tbody 1\n"
	    "garbage line\n"
	    "2\tbad event!\tx\ty\n"
	    "3\tcorruption\tbad \\q escape\tz\n"
	    "4\tcorruption\tsecond\tbody\\n2\n"
	    "5\tcorruption\ttorn", f);
	fclose(f);
	assert_int_equal(alerts_log_read(&p, 0, &r, &n, &bad), QS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(bad, 4);
	assert_string_equal(r[0].subject, "first");
	assert_string_equal(r[1].body, "body\n2");
	alerts_log_entries_free(r, n);

	/* Unknown version, not a log. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("qsarc-alerts-log 9\n", f);
	fclose(f);
	assert_int_equal(alerts_log_read(&p, 0, &r, &n, &bad), QS_EVERSION);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("hello\n", f);
	fclose(f);
	assert_int_equal(alerts_log_read(&p, 0, &r, &n, &bad), QS_ECORRUPT);

	/* Writing nothing removes the log. */
	assert_int_equal(alerts_log_write(&p, e, 0), QS_OK);
	assert_int_equal(access(path, F_OK), -1);
}

/* Queued while the lock was held: seen by show, moved into the log. */
static void
test_queue(void **state)
{
	struct alerts_log_entry e, *r;
	struct alerts_conf_paths p;
	char q1[ALERTS_CONF_PATH_MAX + 64], q2[ALERTS_CONF_PATH_MAX + 64];
	size_t n, bad;

	(void)state;
	test_paths(&p);
	memset(&e, 0, sizeof(e));
	e.time = 20;
	strcpy(e.event, "command-failed");
	strcpy(e.subject, "logged");
	e.body = (char *)(uintptr_t)"b";
	assert_int_equal(alerts_log_write(&p, &e, 1), QS_OK);
	e.time = 30;
	strcpy(e.subject, "queued later");
	assert_int_equal(alerts_log_queue(&p, &e, q1, sizeof(q1)), QS_OK);
	e.time = 10;
	strcpy(e.subject, "queued earlier");
	assert_int_equal(alerts_log_queue(&p, &e, q2, sizeof(q2)), QS_OK);
	assert_string_not_equal(q1, q2);
	assert_int_equal(access(q1, F_OK), 0);

	/* Not in the log yet, but listed with the queued ones, by time. */
	assert_int_equal(alerts_log_read(&p, 0, &r, &n, &bad), QS_OK);
	assert_int_equal(n, 1);
	alerts_log_entries_free(r, n);
	assert_int_equal(alerts_log_read(&p, 1, &r, &n, &bad), QS_OK);
	assert_int_equal(n, 3);
	assert_string_equal(r[0].subject, "queued earlier");
	assert_string_equal(r[1].subject, "logged");
	assert_string_equal(r[2].subject, "queued later");
	alerts_log_entries_free(r, n);

	/* Absorbed: in the log, the queued files gone. */
	assert_int_equal(alerts_log_absorb(&p), QS_OK);
	assert_int_equal(access(q1, F_OK), -1);
	assert_int_equal(access(q2, F_OK), -1);
	assert_int_equal(alerts_log_read(&p, 0, &r, &n, &bad), QS_OK);
	assert_int_equal(n, 3);
	assert_string_equal(r[2].subject, "queued later");
	alerts_log_entries_free(r, n);
	assert_int_equal(alerts_log_absorb(&p), QS_OK);	/* none: no-op */

	/* A damaged queued file does not hold up the others; it goes. */
	assert_int_equal(alerts_log_queue(&p, &e, q1, sizeof(q1)), QS_OK);
	snprintf(q2, sizeof(q2), "%.900s/%s.unsent-damaged", p.dir, p.id);
	{
		FILE *f = fopen(q2, "w");

		assert_non_null(f);
		fputs("not a log\n", f);
		fclose(f);
	}
	assert_int_equal(alerts_log_absorb(&p), QS_OK);
	assert_int_equal(access(q2, F_OK), -1);
	assert_int_equal(alerts_log_read(&p, 0, &r, &n, &bad), QS_OK);
	assert_int_equal(n, 4);
	alerts_log_entries_free(r, n);
	assert_int_equal(alerts_log_write(&p, &e, 0), QS_OK);
}

static void
test_lock(void **state)
{
	struct alerts_conf_paths p;
	struct stat st;
	int a = -1, b = -1;

	(void)state;
	test_paths(&p);
	assert_int_equal(alerts_log_lock(&p, 0, &a), QS_OK);
	assert_int_equal(stat(p.lock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A second open file description conflicts, even in-process. */
	assert_int_equal(alerts_log_lock(&p, 120, &b), QS_EBUSY);
	alerts_log_unlock(a);
	assert_int_equal(alerts_log_lock(&p, 0, &b), QS_OK);
	alerts_log_unlock(b);
	alerts_log_unlock(-1);
}

static void
test_fs_usage(void **state)
{
	double pct = -1;
	uint64_t avail = 0;

	(void)state;
	assert_int_equal(alerts_state_fs_usage(tmpdir, &pct, &avail), QS_OK);
	assert_true(pct >= 0.0 && pct <= 100.0);
	assert_int_equal(alerts_state_fs_usage("/nonexistent/qsarc", &pct,
	    &avail), QS_ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_parse_good),
		cmocka_unit_test(test_conf_roundtrip),
		cmocka_unit_test(test_conf_parse_bad),
		cmocka_unit_test(test_conf_parse_damage),
		cmocka_unit_test(test_addr_valid),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_relay_parse),
		cmocka_unit_test(test_addr_list),
		cmocka_unit_test(test_message_headers),
		cmocka_unit_test(test_message_injection),
		cmocka_unit_test(test_message_encoding),
		cmocka_unit_test(test_conf_file),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_fs_usage),
	};

	return (cmocka_run_group_tests(tests, mk_tmpdir, rm_tmpdir));
}
