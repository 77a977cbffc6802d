# E-mail alerts through a real SMTP server on loopback (smtp_sink.py, an
# aiosmtpd server run by /usr/bin/python3 on a free port, killed at the
# end).  Covers: configure/enable/show/test, envelope and headers (To, Cc,
# Bcc only in the envelope, From with the sender name), header injection
# refused, auth file mode check and AUTH, a refusing relay, the unsent
# alert log and its later delivery; a failing clean raising exactly one
# alert (alerts_raise_after, called by the batch commands) and a stopped
# relay leaving the job's exit code alone.  The settings and the log live
# outside the store, in $QSARC_STATE_DIR/alerts (alert_files names them;
# spec/SECURITY.md 5.5); t_18 covers a hostile STORE/alerts.conf.
. "$CLI_DIR/lib.sh"

SINKPY=/usr/bin/python3
"$SINKPY" -c 'import aiosmtpd' 2>/dev/null ||
	fail "python3-aiosmtpd is missing (make deps installs it)"

MAIL=$PWD/mail
mkdir -p "$MAIL"
trap stop_sink EXIT
trap 'stop_sink; exit 1' TERM INT

# msg_py FILE CODE: run CODE with m (the parsed email.message), d (the
# JSON record) and hdr (the raw header block) bound; its exit status.
msg_py() {
	"$PY" - "$1" "$2" <<'EOF'
import email, json, sys
d = json.load(open(sys.argv[1]))
hdr = d["data"].split("\r\n\r\n", 1)[0]
m = email.message_from_string(d["data"])
exec(sys.argv[2])
EOF
}

HOST=$(uname -n)

# ---- A store, and enable refused before configure. ----
expect_ok q init s
SREAL=$(cd s && pwd -P)
alert_files s
case $ACONF in "$QSARC_STATE_DIR"/alerts/*.conf) ;; *) fail "settings file $ACONF is not under \$QSARC_STATE_DIR/alerts" ;; esac
expect_fail 1 'refused' q alerts s enable
[ ! -e "$ACONF" ] || fail "a refused enable wrote the settings"
expect_ok q alerts s show
grep -q 'disabled' "$OUT" || fail "show before configure does not say disabled"
expect_fail 1 'not configured' q alerts s test
expect_fail 3 '' q alerts nostore show

# ---- Header injection and bad values refused at configure time. ----
start_sink
expect_exit 2 q alerts s configure --relay "127.0.0.1:$PORT" \
    --from $'qsarc@example.com\r\nBcc: evil@example.com' --to ops@example.com
expect_exit 2 q alerts s configure --relay "127.0.0.1:$PORT" \
    --from qsarc@example.com --to $'ops@example.com\nX: y'
expect_exit 2 q alerts s configure --sender-name $'Backup\r\nBcc: evil@example.com'
expect_exit 2 q alerts s configure --to 'Ops <ops@example.com>'
expect_exit 2 q alerts s configure --relay 'smtp.example.com:99999'
expect_exit 2 q alerts s configure --disk-threshold 0
[ ! -e "$ACONF" ] || fail "a refused configure wrote the settings"

# A partial configure is kept but cannot be enabled.
expect_ok q alerts s configure --relay "127.0.0.1:$PORT" --sender-name "Backup host 3"
expect_fail 1 'refused.*sender address' q alerts s enable
expect_ok q alerts s configure --from qsarc@example.com
expect_fail 1 'refused.*recipient' q alerts s enable
expect_ok q alerts s configure --to ops@example.com,oncall@example.com \
    --cc a@example.com --bcc audit@example.com
expect_ok q alerts s enable
expect_ok q alerts s show
grep -q 'enabled' "$OUT" || fail "show does not say enabled"
grep -q 'audit@example.com' "$OUT" || fail "show does not list the Bcc recipient"
grep -q 'unsent alerts: 0' "$OUT" || fail "show does not count unsent alerts"
# The settings file is validated: a hand edit is detected.
[ "$(stat -c %a "$ACONF")" = 600 ] || fail "settings file mode $(stat -c %a "$ACONF")"
[ ! -e s/alerts.conf ] || fail "configure wrote STORE/alerts.conf"
cp "$ACONF" conf.bak
sed -i 's/^to ops@/to xps@/' "$ACONF"
expect_fail 6 '\.conf: checksum mismatch' q alerts s show
cp conf.bak "$ACONF"

# ---- test delivers exactly one message: envelope and headers. ----
n0=$(nmsgs)
expect_ok q alerts s test
grep -q 'accepted' "$OUT" || fail "test does not say the relay accepted it"
[ "$(nmsgs)" -eq $((n0 + 1)) ] || fail "test delivered $(($(nmsgs) - n0)) messages, expected 1"
m=$(last_msg)
msg_py "$m" '
assert d["mail_from"] == "qsarc@example.com", d["mail_from"]
assert sorted(d["rcpt_tos"]) == sorted(["ops@example.com", "oncall@example.com",
    "a@example.com", "audit@example.com"]), d["rcpt_tos"]
' || fail "envelope of the test message is wrong"
msg_py "$m" '
from email.utils import getaddresses
assert m["From"] == "\"Backup host 3\" <qsarc@example.com>", m["From"]
to = [a for _, a in getaddresses(m.get_all("To", []))]
assert to == ["ops@example.com", "oncall@example.com"], to
cc = [a for _, a in getaddresses(m.get_all("Cc", []))]
assert cc == ["a@example.com"], cc
assert m.get_all("Bcc") is None, "a Bcc header"
assert "audit@example.com" not in hdr, "the Bcc address is in a header"
assert m["Date"] and m["Message-ID"], "no Date or Message-ID"
assert m["Subject"].startswith("[qsarc] "), m["Subject"]
assert "test message" in m["Subject"], m["Subject"]
' || fail "headers of the test message are wrong"
note "test message subject: $(msg_py "$m" 'print(m["Subject"])')"

# ---- --starttls is required, never downgraded: a relay without TLS fails. ----
expect_ok q alerts s configure --starttls
expect_fail 1 'not sent.*STARTTLS' q alerts s test
expect_ok q alerts s configure --no-starttls

# ---- A relay that refuses: test says so; nothing is logged for a test. ----
stop_sink
start_sink 0 --reject
expect_ok q alerts s configure --relay "127.0.0.1:$PORT"
expect_fail 1 'not sent.*554' q alerts s test
[ ! -e "$ALOG" ] || fail "a failed test message went into the alert log"
stop_sink

# ---- Credentials from a file: mode checked, never shown. ----
start_sink 0 --auth 'backupuser:s3cret-PW'
printf 'backupuser\ns3cret-PW\n' >auth
chmod 644 auth
expect_fail 1 'mode 0644' q alerts s configure --relay "127.0.0.1:$PORT" --auth-file auth
chmod 600 auth
expect_ok q alerts s configure --relay "127.0.0.1:$PORT" --auth-file auth
expect_fail 1 'clear text' q alerts s configure --relay "smtp.example.com:587" --auth-file auth
expect_ok q alerts s show
grep -q 's3cret' "$OUT" && fail "show prints the password"
grep -q 's3cret' "$ACONF" && fail "the settings hold the password"
n0=$(nmsgs)
expect_ok q alerts s test
[ "$(nmsgs)" -eq $((n0 + 1)) ] || fail "authenticated test not delivered"
msg_py "$(last_msg)" 'assert d["auth_user"] == "backupuser", d["auth_user"]
assert "s3cret" not in d["data"]' || fail "not authenticated as backupuser, or the password leaked"
# Loosened afterwards: refused when sending, and nothing is sent.
chmod 640 auth
expect_fail 1 'not sent.*mode 0640' q alerts s test
chmod 600 auth
expect_ok q alerts s configure --no-auth-file
stop_sink

# ---- An unsent alert kept in the log goes with the next message. ----
start_sink
expect_ok q alerts s configure --relay "127.0.0.1:$PORT"
printf 'qsarc-alerts-log 1\n1700000000\tcommand-failed\t[qsarc] h s: put failed (exit 1: error)\tline one\\nline two\n' >"$ALOG"
expect_ok q alerts s show
grep -q 'unsent alerts: 1' "$OUT" || fail "show does not list the unsent alert"
grep -q 'put failed' "$OUT" || fail "show does not give the unsent alert's subject"
n0=$(nmsgs)
expect_ok q alerts s test
grep -q 'with 1 earlier unsent alert' "$OUT" || fail "test did not include the unsent alert"
[ "$(nmsgs)" -eq $((n0 + 1)) ] || fail "expected one message with the unsent alert"
msg_py "$(last_msg)" 'assert "put failed (exit 1: error)" in d["data"] and "line two" in d["data"]' ||
	fail "the unsent alert is not in the message"
[ ! -e "$ALOG" ] || fail "the delivered alert is still in the log"

# ---- The hook in the batch jobs. ----
# A damaged store: one container cut short, so clean stops with exit 6.
expect_ok q init d --container-size 1M
gen_file 71 3M d.dat
expect_ok q put d D --input d.dat
expect_ok q rm d D
c=$(find d/data -name '*.qsc' | sort | head -n1)
chmod u+w "$c"
truncate -s 100 "$c"
cp -a d d_plain
cp -a d d_down
rc_plain=0
"$QSARC" clean d_plain >"$OUT" 2>"$ERR" || rc_plain=$?
[ "$rc_plain" -ne 0 ] || fail "clean on a damaged store succeeded; the test needs it to fail"
note "clean on the damaged store exits $rc_plain"

for st in d d_down; do
	expect_ok q alerts $st configure --relay "127.0.0.1:$PORT" \
	    --sender-name "Backup host 3" --from qsarc@example.com \
	    --to ops@example.com --cc a@example.com --bcc audit@example.com
	expect_ok q alerts $st enable
done

# With the relay up: exactly one alert, the right subject, same exit code.
n0=$(nmsgs)
expect_exit "$rc_plain" q clean d
[ "$(nmsgs)" -eq $((n0 + 1)) ] || fail "failing clean sent $(($(nmsgs) - n0)) messages, expected 1"
DREAL=$(cd d && pwd -P)
"$PY" - "$(last_msg)" "$HOST" "$DREAL" <<'EOF' || fail "the clean alert is wrong"
import email, json, sys
d = json.load(open(sys.argv[1]))
hdr = d["data"].split("\r\n\r\n", 1)[0]
m = email.message_from_string(d["data"])
s = m["Subject"]
want = "[qsarc] %s %s: clean " % (sys.argv[2], sys.argv[3])
assert s.startswith(want), (s, want)
assert "audit@example.com" in d["rcpt_tos"] and "audit@example.com" not in hdr
assert "Command: qsarc clean" in d["data"], "no command in the body"
assert "What to do" in d["data"], "no advice in the body"
print("NOTE: alert subject:", s)
EOF

# With the relay down: exit code unchanged, a warning, the alert logged.
stop_sink
n0=$(nmsgs)
expect_exit "$rc_plain" q clean d_down
err_matches "qsarc: clean: alert not sent: .*; kept in .*/alerts/[0-9a-f]{32}\.log" ||
	fail "no 'alert not sent' warning"
expect_ok q alerts d_down show
grep -q 'unsent alerts: 1' "$OUT" || fail "the unsent alert is not listed"
grep -q 'clean' "$OUT" || fail "the unsent alert's subject is not listed"

# The relay is back (same port): the next job delivers it, once.
start_sink "$PORT"
gen_file 72 200K e.dat
# d and d_down are copies of one store (one store id): forget the stream
# set record the other copy wrote, or this write looks like a rollback.
forget_streams_record
expect_ok q put d_down E --input e.dat
[ "$(nmsgs)" -eq $((n0 + 1)) ] || fail "the kept alert was not delivered once (got $(($(nmsgs) - n0)))"
msg_py "$(last_msg)" 'assert "unsent" in m["Subject"] and ": clean " in d["data"]' ||
	fail "the delivered message does not hold the kept alert"
expect_ok q alerts d_down show
grep -q 'unsent alerts: 0' "$OUT" || fail "the delivered alert is still listed"
n1=$(nmsgs)
gen_file 73 200K f.dat
expect_ok q put d_down F --input f.dat
[ "$(nmsgs)" -eq "$n1" ] || fail "a successful put with nothing to report sent a message"

# Copies of a store (cp -a: the same store id) share its alert settings.
alert_files d
dconf=$ACONF
alert_files d_down
[ "$ACONF" = "$dconf" ] || fail "cp -a copies of a store have different alert settings"

# Encrypted store: keystore backup copy missing, rotation overdue.
printf 'correct horse battery staple\n' >pw
T0=1700000000
QSARC_TEST_NOW=$T0 expect_ok q init e --encrypt --passphrase-file pw \
    --keystore-backup "$PWD/e.qsk" --rotation-days 7 --kdf-memory 8M --kdf-time 1
expect_ok q alerts e configure --relay "127.0.0.1:$PORT" \
    --from qsarc@example.com --to ops@example.com
expect_ok q alerts e enable
gen_file 75 100K h.dat
n0=$(nmsgs)
QSARC_TEST_NOW=$((T0 + 86400)) expect_ok q put e H1 --input h.dat --passphrase-file pw
[ "$(nmsgs)" -eq "$n0" ] || fail "a healthy encrypted store raised an alert"
mv e.qsk e.qsk.away
QSARC_TEST_NOW=$((T0 + 86400)) expect_ok q put e H2 --input h.dat --passphrase-file pw
[ "$(nmsgs)" -eq $((n0 + 1)) ] || fail "no alert for the missing keystore backup"
msg_py "$(last_msg)" 'assert "keystore backup copy missing" in m["Subject"], m["Subject"]
assert "correct horse" not in d["data"]' || fail "wrong keystore-backup alert"
mv e.qsk.away e.qsk
# Fifteen days without rotation, period seven: the cron job has stopped.
n0=$(nmsgs)
QSARC_TEST_NOW=$((T0 + 15 * 86400)) expect_ok q put e H3 --input h.dat --passphrase-file pw
[ "$(nmsgs)" -eq $((n0 + 1)) ] || fail "no alert for an overdue rotation"
msg_py "$(last_msg)" 'assert "rotation overdue" in m["Subject"], m["Subject"]' ||
	fail "wrong rotation alert"

# File system nearly full (threshold 1%): a put raises it.
used=$(df -P . | awk 'NR == 2 { sub("%", "", $5); print $5 }')
if [ "${used:-0}" -ge 2 ]; then
	expect_ok q alerts d_down configure --disk-threshold 1
	n0=$(nmsgs)
	gen_file 74 100K g.dat
	expect_ok q put d_down G --input g.dat
	[ "$(nmsgs)" -eq $((n0 + 1)) ] || fail "no file-system-full alert"
	msg_py "$(last_msg)" 'assert "full" in m["Subject"], m["Subject"]' ||
		fail "the file-system alert has the wrong subject"
else
	note "the test file system is ${used}% used: disk-full alert not checked"
fi

# Disabled: a failing clean sends nothing (d_down shares the settings of d).
expect_ok q alerts d disable
n0=$(nmsgs)
expect_exit "$rc_plain" q clean d
[ "$(nmsgs)" -eq "$n0" ] || fail "disabled alerts still sent a message"

exit 0
