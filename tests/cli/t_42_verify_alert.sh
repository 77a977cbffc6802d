# Issue 16, item 7: verify sends the alert its help promises.  A healthy
# verify sends nothing; one that finds damage sends one "verify found
# damage" alert (exit 6); one that fails (store busy, exit 4) sends one
# "verify failed" alert.  Before, verify never raised any.
. "$CLI_DIR/lib.sh"
sink_prepare
gen_file 421 3M a.dat

start_sink
expect_ok q init s --container-size 1M
expect_ok q put s a --input a.dat
expect_ok q alerts s configure --relay "127.0.0.1:$PORT" --from qsarc@example.com --to ops@example.com
expect_ok q alerts s enable

subject_of() {
	"$PY" - "$1" <<'PYEOF'
import email, json, sys
d = json.load(open(sys.argv[1]))
print(email.message_from_string(d["data"])["Subject"])
PYEOF
}

# 1. Healthy: nothing sent.
expect_ok q verify s --read-data
[ "$(nmsgs)" -eq 0 ] || fail "a healthy verify sent $(nmsgs) messages"

# 2. Busy (someone holds the lock): exit 4 and one "failed" alert.
flock -x s/lock sleep 5 &
holder=$!
sleep 0.5
expect_exit 4 q verify s --lock-timeout 1
wait $holder
[ "$(nmsgs)" -eq 1 ] || fail "a failed verify sent $(nmsgs) messages, expected 1"
subj=$(subject_of "$(last_msg)")
echo "$subj" | grep -q "verify failed" || fail "failed verify: subject '$subj'"

# 3. Damage: one byte of a container flipped; exit 6 and one alert.
c=$(find s/data -name '*.qsc' | sort | head -n1)
chmod u+w "$c"
flip_byte "$c" $(( $(file_size "$c") / 2 ))
expect_exit 6 q verify s --read-data
[ "$(nmsgs)" -eq 2 ] || fail "verify finding damage sent $(( $(nmsgs) - 1 )) messages, expected 1"
subj=$(subject_of "$(last_msg)")
echo "$subj" | grep -q "verify found damage" || fail "damage: subject '$subj'"
grep -q "finding(s)" "$(last_msg)" || fail "the damage alert does not say how many findings"
