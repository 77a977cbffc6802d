# Encryption at rest: the 1023-key limit reached the real way, by 1022
# rotations (one "rekey" per period with an increasing QSARC_TEST_NOW),
# with a little data put under every 100th key.  Then: 1023 keys, ids
# 1..1023 each created at its rotation time, one active; the next rotation
# and a mode change are refused (exit 1, naming the limit) without touching
# either keystore copy; everything restores; keystore check is ok.
# Long (about 1000 runs): only with QSARC_STRESS=1.  The normal run covers
# the limit cheaply in t_22 (keystore filled by an independent writer).
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
[ "$QSARC_STRESS" = 1 ] || skip "1022 rotations: only with QSARC_STRESS=1 (the normal run checks the limit in t_22)"
enc_setup 'key limit passphrase'

QSARC_TEST_NOW=$T0 "$QSARC" init s --encrypt --rotation-days 7 $KDF $P >"$OUT" 2>"$ERR" ||
	fail "init: exit $?"
t_start=$(now_ms)
puts=""
for i in $(seq 2 1023); do
	t=$((T0 + (i - 1) * 7 * DAY))
	QSARC_TEST_NOW=$t "$QSARC" rekey s $P >"$OUT" 2>"$ERR" || fail "rotation to key $i: exit $?"
	grep -qx "rotated: new content key $i" "$OUT" || fail "rotation at step $i: $(cat "$OUT")"
	if [ $((i % 100)) -eq 0 ] || [ $i -eq 1023 ]; then
		gen_file $((2900 + i)) 64K d$i.dat
		QSARC_TEST_NOW=$t "$QSARC" put s d$i --input d$i.dat $P >"$OUT" 2>"$ERR" ||
			fail "put under key $i: exit $?"
		puts="$puts $i"
	fi
done
t_end=$(now_ms)
cp s/keystore ks.p
backup=$(awk '/^backup:/ { print $2 }' <("$QSARC" keystore s check $P 2>/dev/null) | sed 's/:$//')
cp "$backup" ks.b
"$QSARC" keys s --json $P >k.json 2>"$ERR" || fail "keys --json: exit $?"
"$PY" - k.json "$T0" $puts <<'EOF' || fail "keys --json after 1022 rotations is wrong"
import calendar, json, sys, time
d = json.load(open(sys.argv[1]))
t0 = int(sys.argv[2])
puts = {int(x) for x in sys.argv[3:]}
ks = d["keys"]
assert len(ks) == 1023, len(ks)
assert [k["id"] for k in ks] == list(range(1, 1024)), "ids"
for k in ks:
    # --json times are ISO 8601 UTC strings.
    assert calendar.timegm(time.strptime(k["created"], "%Y-%m-%dT%H:%M:%SZ")) == t0 + (k["id"] - 1) * 7 * 86400, k
    assert k["state"] == ("active" if k["id"] == 1023 else "retained"), k
    assert (k["records"] > 0) == (k["id"] in puts), k
EOF
for when in $((T0 + 1030 * 7 * DAY)) $((T0 + 2000 * 7 * DAY)); do
	LAST_RC=0
	QSARC_TEST_NOW=$when "$QSARC" rekey s $P >"$OUT" 2>"$ERR" || LAST_RC=$?
	crash_check "rekey at the limit"
	[ $LAST_RC -eq 1 ] && err_matches "1023" || fail "rotation past 1023 keys: exit $LAST_RC: $(cat "$OUT" "$ERR")"
done
LAST_RC=0
"$QSARC" rekey s --mode static $P >"$OUT" 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 1 ] && err_matches "1023" || fail "mode change at the limit: exit $LAST_RC"
limit_msg=$(head -n1 "$ERR")
cmp -s s/keystore ks.p && cmp -s "$backup" ks.b || fail "a refused rotation or mode change changed a keystore copy"
[ ! -e s/rekey-pending ] || fail "refused mode change left rekey-pending"
expect_ok q keystore s check $P
for i in $puts; do
	LAST_RC=0
	"$QSARC" get s d$i $P >got.dat 2>"$ERR" || LAST_RC=$?
	[ $LAST_RC -eq 0 ] && cmp -s got.dat d$i.dat || fail "get d$i: exit $LAST_RC or wrong bytes"
done
note "1022 rotations in $(( (t_end - t_start) / 1000 )) s; keystore $(file_size s/keystore) bytes; mode change refused with: $limit_msg"
exit 0
