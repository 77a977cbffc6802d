# Encryption at rest: a mode change killed part way resumes.
# A store of many small containers (1M target, ~20 MB under 3 keys, plus an
# expired stream) gets "rekey --mode internal" with QSARC_CRASH_AT=N (the
# N-th file mutation _exit(99)s, as SIGKILL would); then the same command is
# run again.  It must finish, say "(resumed)" whenever the primary keystore
# was left with a pending mode change (body offset 110, read with ks_read),
# and leave: one key, mode internal, no record under any other key
# (containers parsed directly), nothing pending, "keystore check" ok
# (both copies unlock and agree), every stream restoring byte-exact.
# The normal run tries a spread of points (all of the first and last ones,
# where the keystore saves are, plus an even spread
# through the container rewrites); QSARC_STRESS=1 tries every point;
# QSARC_SANITIZED=1 a smaller store and fewer points.
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
enc_setup 'crash test passphrase'
TM=$((T0 + 70 * DAY))
if [ "$QSARC_SANITIZED" = 1 ]; then
	SZ=2M; EDGE=4; MID=4
else
	SZ=5M; EDGE=8; MID=8
fi

# streams_ok STORE: every stream restores to its reference.
streams_ok() {
	local n rc
	for n in a b c; do
		rc=0
		"$QSARC" get "$1" $n $P 2>"$ERR" | sha256sum | cut -d' ' -f1 >got.sha || rc=$?
		[ $rc -eq 0 ] || fail "$CTX: get $n: exit $rc"
		cmp -s got.sha $n.sha || fail "$CTX: get $n: wrong bytes"
	done
	rc=0
	"$QSARC" get "$1" x --expired $P 2>"$ERR" | sha256sum | cut -d' ' -f1 >got.sha || rc=$?
	[ $rc -eq 0 ] || fail "$CTX: get --expired x: exit $rc"
	cmp -s got.sha x.sha || fail "$CTX: get --expired x: wrong bytes"
}

for n in a b c x; do
	case $n in a) seed=2501 ;; b) seed=2502 ;; c) seed=2503 ;; x) seed=2504 ;; esac
	gen_file $seed $SZ $n.dat
	sha $n.dat >$n.sha
done
at $T0 init s --encrypt $KDF --container-size 1M $P
at $T0 put s a --input a.dat $P
at $((T0 + 30 * DAY)) rekey s $P
at $((T0 + 30 * DAY)) put s b --input b.dat $P
at $((T0 + 30 * DAY)) put s x --input x.dat $P
at $((T0 + 60 * DAY)) rekey s $P
at $((T0 + 60 * DAY)) put s c --input c.dat $P
[ $LAST_RC -eq 0 ] || fail "setup: exit $LAST_RC"
expect_ok q rm s x $P
[ "$(container_scan s ids)" = "1 2 3" ] || fail "setup: record keys $(container_scan s ids), expected 1 2 3"
ncont=$(find s/data -name '*.qsc' | wc -l)
mv s base.s
mv state base.state

# Count the mutation points of the whole command.
reset_store
LAST_RC=0
QSARC_TEST_NOW=$TM QSARC_COUNT_FILE=$PWD/count "$QSARC" rekey s --mode internal $P >"$OUT" 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] || fail "uncrashed rekey --mode internal: exit $LAST_RC"
total=$(cat count)
[ "$total" -gt 10 ] 2>/dev/null || fail "QSARC_COUNT_FILE gave '$total'"
CTX="uncrashed"
[ "$(container_scan s ids)" = 4 ] || fail "uncrashed: record keys $(container_scan s ids), expected 4"
streams_ok s

# Which points: all, or the first and last EDGE plus MID spread between.
if [ "$QSARC_STRESS" = 1 ]; then
	points=$(seq 1 "$total")
else
	points=$( {
		seq 1 $EDGE
		seq $((total - EDGE + 1)) "$total"
		i=1
		while [ $i -le $MID ]; do
			echo $((EDGE + i * (total - 2 * EDGE) / (MID + 1)))
			i=$((i + 1))
		done
	} | awk '$1 >= 1' | sort -n | uniq)
fi

tried=0
resumed=0
fresh=0
t_start=$(now_ms)
for k in $points; do
	CTX="crash at $k of $total"
	reset_store
	LAST_RC=0
	QSARC_TEST_NOW=$TM QSARC_CRASH_AT=$k "$QSARC" rekey s --mode internal $P >"$OUT" 2>"$ERR" || LAST_RC=$?
	[ $LAST_RC -eq 99 ] || fail "$CTX: exit $LAST_RC, expected the injected crash (99)"
	# Pending: marked inside the sealed primary keystore (issue 14 item 8).
	pending=0
	[ "$(ks_read pending s/keystore pw)" = 0 ] || pending=1
	# Run the same command again: it must finish.
	at $((TM + 60)) rekey s --mode internal $P
	[ $LAST_RC -eq 0 ] || fail "$CTX: the rerun exits $LAST_RC: $(head -n1 "$ERR")"
	if [ $pending = 1 ]; then
		grep -q '(resumed)' "$OUT" || fail "$CTX: a mode change was left pending but the rerun does not say resumed: $(cat "$OUT")"
		resumed=$((resumed + 1))
	else
		grep -q '(resumed)' "$OUT" && fail "$CTX: nothing pending, yet the rerun says resumed"
		fresh=$((fresh + 1))
	fi
	[ "$(ks_read pending s/keystore pw)" = 0 ] || fail "$CTX: a mode change still pending after the rerun"
	[ ! -e s/rekey-pending ] || fail "$CTX: a rekey-pending file appeared"
	"$QSARC" keys s --json $P >keys.json 2>"$ERR" || fail "$CTX: keys: exit $?"
	nkeys=$(json_get keys keys.json | "$PY" -c 'import ast, sys; print(len(ast.literal_eval(sys.stdin.read())))')
	kid=$(json_get keys.0.id keys.json)
	[ "$nkeys" = 1 ] && [ "$(json_get mode keys.json)" = internal ] ||
		fail "$CTX: $nkeys keys, mode $(json_get mode keys.json); expected 1, internal"
	ids=$(container_scan s ids)
	[ "$ids" = "$kid" ] || fail "$CTX: containers hold records under keys '$ids', the only key is $kid"
	LAST_RC=0
	"$QSARC" keystore s check $P >"$OUT" 2>"$ERR" || LAST_RC=$?
	if [ $LAST_RC -ne 0 ]; then
		# What the copies' plaintext headers say (generation, key count).
		state=$("$PY" - s/keystore state/keys/*.qsk <<'EOF2'
import struct, sys
out = []
for f, name in zip(sys.argv[1:], ("primary", "backup")):
    d = open(f, "rb").read()
    out.append("%s generation %d with %d keys" % (name,
        struct.unpack_from("<Q", d, 60)[0],
        (struct.unpack_from("<I", d, 108)[0] - 112) // 44))
print(", ".join(out))
EOF2
)
		fail "$CTX: after the rerun 'keystore check' exits $LAST_RC ($state): $(head -n1 "$ERR")"
	fi
	streams_ok s
	tried=$((tried + 1))
done
t_end=$(now_ms)
note "mode change crash points tried: $tried of $total ($resumed resumed, $fresh started afresh) over $ncont containers, $(( (t_end - t_start) / 1000 )) s"
exit 0
