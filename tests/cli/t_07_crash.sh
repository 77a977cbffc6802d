# Crash safety: SIGKILL during put, a crash at every mutation point of a
# small put (QSARC_CRASH_AT), and ENOSPC (QSARC_ENOSPC_AT).
. "$CLI_DIR/lib.sh"

# check_store STORE: the earlier streams restore, ls and stats work.
check_store() {
	restores "$1" early e.dat
	restores "$1" early2 e2.dat
	expect_ok q ls "$1"
	expect_ok q stats "$1" --json
}

# victim_state STORE NAME REF: NAME must be absent (live and expired) or,
# if present, restore exactly as REF.  Sets VICTIM to absent or present.
victim_state() {
	if has_stream "$1" "$2" --expired; then
		fail "$2 is listed as expired after a crash"
	fi
	if has_stream "$1" "$2"; then
		restores "$1" "$2" "$3"
		VICTIM=present
	else
		[ ! -e "$1/streams/$2.qsm" ] || fail "$2.qsm exists but ls does not list it"
		expect_exit 3 q get "$1" "$2"
		VICTIM=absent
	fi
}

expect_ok q init s --container-size 1M
gen_file 61 2M e.dat
gen_file 62 700K e2.dat
expect_ok q put s early --input e.dat
expect_ok q put s early2 --input e2.dat
cp -a s base

# ---- 1. SIGKILL part way through a put of a 200 MB stream from a slow
# generator, at a few moments.
slowgen() {
	"$PY" -c '
import random, sys, time
r = random.Random(int(sys.argv[1])); o = sys.stdout.buffer
try:
    for i in range(200):
        o.write(r.randbytes(1 << 20)); o.flush(); time.sleep(0.01)
except BrokenPipeError:
    pass
' "$1" 2>/dev/null
}
killed=0
for delay in 0.2 0.8 1.5; do
	slowgen 63 | "$QSARC" put s killed 2>kill.err &
	pid=$!
	sleep "$delay"
	kill -0 "$pid" 2>/dev/null || fail "put ended before being killed at ${delay}s: $(cat kill.err)"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	wait
	killed=$((killed + 1))
	check_store s
	has_stream s killed && fail "a put killed after ${delay}s left a stream"
	has_stream s killed --expired && fail "a killed put left an expired stream"
	[ ! -e s/streams/killed.qsm ] || fail "killed.qsm exists after the kill"
done
note "$killed puts killed with SIGKILL; tmp files left: $(find s -name '.tmp-*' | wc -l)"
# The next put under the same name works, with the same generator.
slowgen 63 >k.dat
expect_ok q put s killed --input k.dat
restores s killed k.dat
check_store s

# ---- 2. A crash at every mutation point of a small put.  The stream
# shares its first 2 MiB with "early" and has 1.5 MiB of new data (two
# containers), so the walk covers dedup, container, index and manifest
# writes.
{ cat e.dat; gen 64 1500K; } >v.dat
rm -rf c && cp -a base c && forget_streams_record
QSARC_COUNT_FILE=$PWD/count expect_ok q put c victim --input v.dat
points=$(cat count)
[ "$points" -ge 5 ] 2>/dev/null || fail "QSARC_COUNT_FILE gave '$points' mutation points"
restores c victim v.dat
present=0
absent=0
n=1
while [ "$n" -le "$points" ]; do
	rm -rf c && cp -a base c && forget_streams_record
	rc=0
	QSARC_CRASH_AT=$n "$QSARC" put c victim --input v.dat >"$OUT" 2>"$ERR" || rc=$?
	[ $rc -eq 99 ] || fail "QSARC_CRASH_AT=$n of $points: exit $rc, expected 99"
	check_store c
	victim_state c victim v.dat
	if [ "$VICTIM" = present ]; then
		present=$((present + 1))
		# Complete: a second put of the name is refused.
		expect_exit 1 q put c victim --input v.dat
		expect_ok q put c victim2 --input v.dat
		restores c victim2 v.dat
	else
		absent=$((absent + 1))
		expect_ok q put c victim --input v.dat
		restores c victim v.dat
	fi
	check_store c
	n=$((n + 1))
done
note "put: $points crash points tried ($absent left no stream, $present a complete one)"
[ $absent -ge 1 ] || fail "no crash point left the stream absent?"

# The same walk for rm and unexpire (the stream is in exactly one state)
# and for init (a store, or no config at all).
for sub in rm unexpire; do
	rm -rf c && cp -a base c && forget_streams_record
	[ $sub = unexpire ] && { expect_ok q rm c early2; cp -a c base.rm; }
	QSARC_COUNT_FILE=$PWD/count expect_ok q $sub c early2
	p=$(cat count)
	n=1
	while [ "$n" -le "$p" ]; do
		rm -rf c
		if [ $sub = unexpire ]; then cp -a base.rm c; else cp -a base c; fi; forget_streams_record
		rc=0
		QSARC_CRASH_AT=$n "$QSARC" $sub c early2 >"$OUT" 2>"$ERR" || rc=$?
		[ $rc -eq 99 ] || fail "$sub with QSARC_CRASH_AT=$n: exit $rc"
		live=0; exp=0
		has_stream c early2 && live=1
		has_stream c early2 --expired && exp=1
		[ $((live + exp)) -eq 1 ] ||
			fail "$sub crashed at $n: early2 live=$live expired=$exp"
		if [ $live = 1 ]; then
			restores c early2 e2.dat
		else
			expect_ok q get c early2 --expired
			cmp -s "$OUT" e2.dat || fail "$sub crashed at $n: expired early2 differs"
		fi
		restores c early e.dat
		n=$((n + 1))
	done
	note "$sub: $p crash points tried"
	points=$((points + p))
done
rm -rf base.rm
QSARC_COUNT_FILE=$PWD/count expect_ok q init i0
p=$(cat count)
n=1
while [ "$n" -le "$p" ]; do
	rm -rf ic
	rc=0
	QSARC_CRASH_AT=$n "$QSARC" init ic >"$OUT" 2>"$ERR" || rc=$?
	[ $rc -eq 99 ] || fail "init with QSARC_CRASH_AT=$n: exit $rc"
	rc=0
	"$QSARC" ls ic >"$OUT" 2>"$ERR" || rc=$?
	LAST_RC=$rc; crash_check "ls after init crashed at $n"
	[ $rc -eq 0 ] || [ $rc -eq 3 ] || fail "init crashed at $n: ls exit $rc"
	if [ $rc -eq 0 ]; then
		roundtrip ic x e2.dat
	fi
	n=$((n + 1))
done
note "init: $p crash points tried"
points=$((points + p))

# get --output: the output file is absent or complete.
QSARC_COUNT_FILE=$PWD/count expect_ok q get s early --output g.out
p=$(cat count)
n=1
while [ "$n" -le "$p" ]; do
	rm -f g.out
	rc=0
	QSARC_CRASH_AT=$n "$QSARC" get s early --output g.out >"$OUT" 2>"$ERR" || rc=$?
	[ $rc -eq 99 ] || fail "get --output with QSARC_CRASH_AT=$n: exit $rc"
	[ ! -e g.out ] || cmp -s g.out e.dat || fail "get --output crashed at $n left a partial file"
	n=$((n + 1))
done
rm -f .tmp-g.out-*
note "get --output: $p crash points tried"
points=$((points + p))
note "total crash points tried: $points"

# ---- 3. ENOSPC at every mutation point of the same put: a point that is a
# write fails with a 'No space' message and leaves no stream; others pass.
rm -rf c && cp -a base c && forget_streams_record
QSARC_COUNT_FILE=$PWD/count expect_ok q put c victim --input v.dat
points=$(cat count)
hit=0
n=1
step=1
while [ "$n" -le "$points" ]; do
	rm -rf c && cp -a base c && forget_streams_record
	rc=0
	QSARC_ENOSPC_AT=$n "$QSARC" put c victim --input v.dat >"$OUT" 2>"$ERR" || rc=$?
	LAST_RC=$rc; crash_check "put with QSARC_ENOSPC_AT=$n"
	if [ $rc -eq 0 ]; then
		restores c victim v.dat
	else
		[ $rc -eq 1 ] || fail "ENOSPC at $n: exit $rc, expected 1"
		grep -q 'No space' "$ERR" || fail "ENOSPC at $n: message does not say 'No space'"
		hit=$((hit + 1))
		has_stream c victim && fail "ENOSPC at $n: a stream was created"
		[ ! -e c/streams/victim.qsm ] || fail "ENOSPC at $n: victim.qsm exists"
		expect_ok q put c victim --input v.dat
		restores c victim v.dat
	fi
	check_store c
	n=$((n + step))
done
[ $hit -ge 3 ] || fail "only $hit ENOSPC points produced a failure"
note "ENOSPC: $hit of $(( (points + step - 1) / step )) points were writes and failed cleanly"

# ENOSPC during get --output: exit 1, no output file.
rc=0
QSARC_ENOSPC_AT=1 "$QSARC" get s early --output n.out >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get --output with ENOSPC"
if [ $rc -ne 0 ]; then
	grep -q 'No space' "$ERR" || fail "get --output ENOSPC: no 'No space' message"
	[ ! -e n.out ] || fail "get --output ENOSPC left the output file"
fi
