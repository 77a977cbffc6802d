# Security, issue 14 items 6 and 9: alert settings are the operator's, not
# the store's (spec/SECURITY.md 5.5).
#
# 1. The attack of item 6: someone who can write the store plants a valid
#    STORE/alerts.conf (its checksum is unkeyed) naming a relay on loopback
#    without TLS and, as auth file, a two-line 0600 file of the user who
#    runs qsarc.  Before the fix the next job sent that file's two lines as
#    SMTP credentials to the planted relay.  Now nothing may reach the
#    relay, the secret must not appear anywhere it received, and the job
#    warns naming 'qsarc alerts STORE migrate'.
# 2. migrate imports such a file disabled and without its auth file.
# 3. The operator's settings file is refused when writable by others, a
#    symbolic link, or owned by another user; credentials need TLS unless
#    the relay is a loopback address named literally.
# 4. Item 9: with the alerts lock held by someone else (and the store
#    directory, the old lock), an alert is still kept (queued), and the
#    next job delivers it.  A damaged config still raises its alert.
. "$CLI_DIR/lib.sh"
"$SINKPY" -c 'import aiosmtpd' 2>/dev/null ||
	fail "python3-aiosmtpd is missing (make deps installs it)"
MAIL=$PWD/mail
mkdir -p "$MAIL"
HOLDER=""
stop_all() {
	stop_sink
	if [ -n "$HOLDER" ]; then
		kill "$HOLDER" 2>/dev/null
		wait "$HOLDER" 2>/dev/null
		HOLDER=""
	fi
}
trap stop_all EXIT
trap 'stop_all; exit 1' TERM INT

SECRET_USER=rootsecret-user
SECRET_PASS=rootsecret-PASSWORD-42
printf '%s\n%s\n' "$SECRET_USER" "$SECRET_PASS" >secret
chmod 600 secret

# no_secret_received: nothing the sink got or logged holds the secret.
no_secret_received() {
	if grep -rqs -e "$SECRET_PASS" -e "$SECRET_USER" "$MAIL" sink.log; then
		fail "the secret file's contents reached the planted relay"
	fi
}

# ---- 1. A hostile STORE/alerts.conf. ----
# The sink takes exactly the secret as credentials, so that a build which
# sends them gets its message accepted (and recorded).
start_sink 0 --auth "$SECRET_USER:$SECRET_PASS"
expect_ok q init s
gen_file 181 100K a.dat
"$PY" - s/alerts.conf "$PORT" "$PWD/secret" <<'EOF' || fail "cannot plant alerts.conf"
import hashlib, sys
path, port, secret = sys.argv[1:]
text = ("qsarc-alerts 1\nenabled 1\nrelay 127.0.0.1\nport %s\nstarttls 0\n"
        "from attacker@example.com\nto attacker@example.com\n"
        "auth-file %s\ndisk-threshold 1\n" % (port, secret))
text += "checksum %s\n" % hashlib.blake2b(text.encode(), digest_size=32).hexdigest()
open(path, "w").write(text)
EOF
expect_exit 3 q get s nosuch		# a failed batch job: an alert event
[ "$(nmsgs)" -eq 0 ] || fail "$(nmsgs) message(s) reached the relay named by the store"
no_secret_received
err_matches "s/alerts.conf is ignored.*qsarc alerts s migrate" ||
	fail "no warning naming 'qsarc alerts STORE migrate' for a store-side alerts.conf"
expect_ok q put s A --input a.dat
err_matches "alerts.conf is ignored" || fail "put does not warn about STORE/alerts.conf"
[ "$(nmsgs)" -eq 0 ] || fail "$(nmsgs) message(s) reached the relay named by the store"
no_secret_received
expect_ok q alerts s show
grep -q 'disabled' "$OUT" || fail "show takes the store's alerts.conf for the settings"
grep -q 'rootsecret\|attacker' "$OUT" && fail "show lists the store's settings"
err_matches "alerts.conf is ignored.*migrate" || fail "show does not warn about STORE/alerts.conf"
stop_sink

# ---- 2. migrate: disabled, without the auth file the store named. ----
alert_files s
expect_ok q alerts s migrate
err_matches 'auth file .*secret.* not carried over' ||
	fail "migrate does not say the auth file was dropped"
expect_fail 1 'refused: .* already holds' q alerts s migrate
[ -f "$ACONF" ] || fail "migrate did not write $ACONF"
[ ! -e s/alerts.conf ] || fail "migrate left s/alerts.conf"
grep -q '^enabled 0$' "$ACONF" || fail "migrate did not leave alerts disabled"
grep -q '^auth-file' "$ACONF" && fail "migrate carried over the auth file named by the store"
expect_ok q alerts s show
grep -q "127.0.0.1:$PORT" "$OUT" || fail "migrate lost the relay"

# ---- 3. The operator's settings file: owner, mode, type; TLS. ----
start_sink
expect_ok q alerts s configure --relay "127.0.0.1:$PORT" --from q@example.com \
    --to ops@example.com
expect_ok q alerts s enable
chmod 620 "$ACONF"
expect_fail 1 "$ACONF: refused: .*writable by group or others" q alerts s show
n0=$(nmsgs)
expect_exit 3 q get s nosuch
err_matches "alert not sent: .*$ACONF: refused" ||
	fail "a group-writable settings file was not refused by the batch job"
[ "$(nmsgs)" -eq "$n0" ] || fail "sent with a group-writable settings file"
chmod 600 "$ACONF"
adir=$(dirname "$ACONF")
chmod 777 "$adir"
expect_fail 1 "$adir: refused: .*writable by group or others" q alerts s show
chmod 700 "$adir"
mv "$ACONF" conf.real
ln -s "$PWD/conf.real" "$ACONF"
expect_fail 1 "symbolic link" q alerts s show
rm "$ACONF"
mv conf.real "$ACONF"
if [ "$(id -u)" = 0 ]; then
	chown nobody "$ACONF"
	expect_fail 1 "$ACONF: refused: .*owned by uid" q alerts s show
	chown 0 "$ACONF"
else
	note "not root: the other-owner refusal is not checked"
fi
expect_ok q alerts s show
# Credentials without TLS: only to a loopback address named literally.
expect_fail 1 'clear text' q alerts s configure --relay "localhost:$PORT" --auth-file secret
expect_ok q alerts s configure --relay "127.0.0.1:$PORT" --auth-file secret
expect_ok q alerts s configure --no-auth-file
stop_sink

# ---- 4. Item 9: the alerts lock held by someone else. ----
start_sink
expect_ok q init l
expect_ok q alerts l configure --relay "127.0.0.1:$PORT" --from q@example.com \
    --to ops@example.com
expect_ok q alerts l enable
n0=$(nmsgs)
expect_ok q alerts l test		# creates the lock file
[ "$(nmsgs)" -eq $((n0 + 1)) ] || fail "the test message was not delivered"
# Hold every lock an alert could use: the store directory (the alerts lock
# before the fix) and the alerts lock files under $QSARC_STATE_DIR.
rm -f held
"$PY" - l "$QSARC_STATE_DIR/alerts" held <<'EOF' &
import fcntl, glob, os, sys, time
fds = [os.open(sys.argv[1], os.O_RDONLY)]
fds += [os.open(p, os.O_RDWR) for p in glob.glob(os.path.join(sys.argv[2], "*.lock"))]
for f in fds:
    fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[3], "w").close()
time.sleep(300)
EOF
HOLDER=$!
for _ in $(seq 100); do [ -e held ] && break; sleep 0.1; done
[ -e held ] || fail "the lock holder did not start"
n0=$(nmsgs)
expect_exit 3 q get l nosuch --lock-timeout 1
err_matches "get: alert not sent: .*lock.*; kept in " ||
	fail "an alert that could not take its lock was not kept"
err_matches "not kept" && fail "the alert was dropped"
[ "$(nmsgs)" -eq "$n0" ] || fail "sent although the alerts lock was held"
expect_ok q alerts l show
grep -q 'unsent alerts: 1' "$OUT" || fail "the queued alert is not listed while the lock is held"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null
HOLDER=""
# The next job takes it along, once.
expect_ok q put l A --input a.dat
[ "$(nmsgs)" -eq $((n0 + 1)) ] || fail "the queued alert was not delivered once (got $(($(nmsgs) - n0)))"
grep -q 'get failed' "$(last_msg)" || fail "the delivered message does not hold the queued alert"
expect_ok q alerts l show
grep -q 'unsent alerts: 0' "$OUT" || fail "the delivered alert is still listed"
[ -z "$(find "$QSARC_STATE_DIR/alerts" -name '*.unsent-*')" ] || fail "a queued file was left behind"
expect_ok q put l B --input a.dat
[ "$(nmsgs)" -eq $((n0 + 1)) ] || fail "the queued alert was sent twice"

# The settings are found by the store id; with the config damaged, by the
# store id recorded for the store's path at configure time.
cp l/config config.bak
flip_byte l/config 20
n0=$(nmsgs)
expect_exit 6 q put l C --input a.dat
[ "$(nmsgs)" -eq $((n0 + 1)) ] || fail "no alert for a damaged config ($(($(nmsgs) - n0)) messages)"
grep -q 'found damage' "$(last_msg)" || fail "the alert for a damaged config does not say damage"
cp config.bak l/config
exit 0
