# Alerts raised by the state of an encrypted store, not by a failing job
# (issue 8): content keys at 1000 of the 1023 allowed, key rotation overdue
# (internal mode, no rotation for twice the period: the cron job stopped),
# and the keystore backup copy missing.  Each raises exactly one message
# per run, with the event in the subject, and never changes the job's exit
# code.  The keystore is filled to 1000 keys by the independent writer of
# t_22 (spec/keystore.md), so no thousand real rotations are needed.
. "$CLI_DIR/lib.sh"
sink_prepare
enc_setup 'alert events'
gen_file 411 100K a.dat

start_sink
at_ok $T0 init s --encrypt --rotation-days 7 $KDF $P
at_ok $T0 put s a --input a.dat $P
at_ok $T0 alerts s configure --relay "127.0.0.1:$PORT" --sender-name "Events" \
    --from qsarc@example.com --to ops@example.com
at_ok $T0 alerts s enable

# subject_of FILE: the Subject header of a received message.
subject_of() {
	"$PY" - "$1" <<'PYEOF'
import email, json, sys
d = json.load(open(sys.argv[1]))
print(email.message_from_string(d["data"])["Subject"])
PYEOF
}

# expect_alert WHAT REGEX ARGS...: run qsarc ARGS at the time in $WHEN;
# it must exit 0 and exactly one new message must arrive whose subject
# matches REGEX.
expect_alert() {
	local what=$1 re=$2 before
	shift 2
	before=$(nmsgs)
	at_ok "$WHEN" "$@"
	[ "$(nmsgs)" -eq $((before + 1)) ] ||
		fail "$what: $(( $(nmsgs) - before )) messages, expected 1 ($(cat "$ERR"))"
	subj=$(subject_of "$(last_msg)")
	echo "$subj" | grep -qE "$re" || fail "$what: subject '$subj' does not match $re"
	note "$what: one alert, subject '$subj'"
}

# 1. Nothing wrong: a get sends nothing.
WHEN=$T0
before=$(nmsgs)
at_ok $T0 get s a $P
[ "$(nmsgs)" -eq "$before" ] || fail "a healthy get sent $(( $(nmsgs) - before )) messages"

# 2. Rotation overdue: 15 days after the last rotation with a 7-day period.
WHEN=$((T0 + 15 * DAY))
expect_alert "rotation overdue" 'rotation overdue' get s a $P
cmp -s "$OUT" a.dat || fail "get under a rotation-overdue alert: wrong bytes"
at_ok $WHEN rekey s $P		# the cron job runs again: no more alert
WHEN=$((T0 + 16 * DAY))
before=$(nmsgs)
at_ok $WHEN get s a $P
[ "$(nmsgs)" -eq "$before" ] || fail "alert after the rotation caught up"

# 3. 1000 of 1023 content keys.
bk=$(awk '/backup:/ { print $2 }' <(QSARC_TEST_NOW=$WHEN "$QSARC" keystore s check $P 2>/dev/null) | sed 's/:$//')
[ -f "$bk" ] || fail "cannot find the backup keystore ('$bk')"
sed -n '/^cat >fill.py <<.EOF.$/,/^EOF$/p' "$CLI_DIR/t_22_encrypt_rotation.sh" | sed '1d;$d' >fill.py
[ -s fill.py ] || fail "cannot take fill.py from t_22"
"$PY" fill.py s/keystore pw 1000 s/keystore "$bk" || fail "fill.py failed"
expect_alert "1000 content keys" 'content keys' get s a $P

# 4. The backup copy missing (and still 1000 keys: one message, both
# events in it).
rm -f "$bk"
expect_alert "backup keystore missing" '\(\+[0-9]+ more\)|backup' get s a $P
grep -q 'backup' "$(last_msg)" || fail "the backup event is not in the message"
grep -q 'content keys' "$(last_msg)" || fail "the key-count event is not in the message"
