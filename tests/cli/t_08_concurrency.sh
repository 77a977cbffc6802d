# Concurrency: parallel puts, the same name raced, readers during a put,
# and the store lock (busy, exit 4).
. "$CLI_DIR/lib.sh"

if [ "$QSARC_SANITIZED" = 1 ]; then sz=8M; else sz=30M; fi
expect_ok q init s --container-size 4M
gen_file 71 "$sz" a.dat
gen_file 72 "$sz" b.dat 30
gen_file 73 1M small.dat

# Two puts of different names started together: both succeed (or one
# says busy, exit 4), and both restore.
round=0
pairs="a.dat:b.dat a.dat:a.dat b.dat:a.dat"
[ "$QSARC_STRESS" = 1 ] && pairs="$pairs $pairs $pairs a.dat:a.dat b.dat:b.dat"
for pair in $pairs; do
	pair=${pair/:/ }
	set -- $pair
	round=$((round + 1))
	n1=p${round}x n2=p${round}y
	"$QSARC" put s "$n1" --input "$1" >/dev/null 2>err1 &
	p1=$!
	"$QSARC" put s "$n2" --input "$2" >/dev/null 2>err2 &
	p2=$!
	r1=0; wait $p1 || r1=$?
	r2=0; wait $p2 || r2=$?
	for r in $r1 $r2; do
		[ "$r" -eq 0 ] || [ "$r" -eq 4 ] ||
			fail "parallel puts ($pair): exits $r1 and $r2; $(cat err1 err2)"
	done
	[ "$r1" -eq 0 ] && restores s "$n1" "$1"
	[ "$r2" -eq 0 ] && restores s "$n2" "$2"
	[ "$r1" -eq 4 ] && grep -qi busy err1 || [ "$r1" -eq 0 ] || fail "exit 4 without 'busy'"
	[ "$r2" -eq 4 ] && grep -qi busy err2 || [ "$r2" -eq 0 ] || fail "exit 4 without 'busy'"
	note "parallel puts ($pair): exits $r1 and $r2"
done
# Earlier streams still fine after the others were written.
restores s p1x a.dat

# The same name from two puts at once: exactly one wins, the stream is
# exactly one of the inputs.
"$QSARC" put s same --input a.dat >/dev/null 2>err1 &
p1=$!
"$QSARC" put s same --input b.dat >/dev/null 2>err2 &
p2=$!
r1=0; wait $p1 || r1=$?
r2=0; wait $p2 || r2=$?
[ $r1 -lt 128 ] && [ $r2 -lt 128 ] || fail "racing puts crashed: $r1 $r2"
if [ $r1 -eq 0 ] && [ $r2 -eq 0 ]; then
	fail "two puts of the same name both succeeded"
fi
[ $r1 -eq 0 ] || [ $r2 -eq 0 ] || [ $r1 -eq 4 ] || [ $r2 -eq 4 ] ||
	fail "racing puts of one name: neither succeeded ($r1, $r2): $(cat err1 err2)"
"$QSARC" get s same >same.out 2>"$ERR" || fail "get same"
if [ $r1 -eq 0 ]; then cmp -s same.out a.dat || fail "same: not the winner's bytes"
else cmp -s same.out b.dat || fail "same: not the winner's bytes"; fi
[ "$(ls_names s | grep -c '^same$')" = 1 ] || fail "same listed more than once"

# Readers while a put runs: ls, stats and get work during it.
"$PY" -c '
import random, sys, time
r = random.Random(74); o = sys.stdout.buffer
for i in range(40):
    o.write(r.randbytes(1 << 19)); o.flush(); time.sleep(0.02)
' | "$QSARC" put s during 2>err.during &
pd=$!
sleep 0.3
expect_ok q ls s
expect_ok q stats s
restores s p1x a.dat
rd=0; wait $pd || rd=$?
[ $rd -eq 0 ] || fail "put during readers: exit $rd: $(cat err.during)"
has_stream s during || fail "stream 'during' missing"

# An exclusive lock held by someone else: put, get, ls report busy (4)
# after --lock-timeout.
[ -e s/lock ] || fail "no STORE/lock file"
if ! command -v flock >/dev/null 2>&1; then
	skip "flock(1) not available: lock tests skipped"
fi
rm -f locked
flock -x s/lock -c 'touch locked; sleep 5' &
fl=$!
i=0
while [ ! -e locked ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -e locked ] || fail "flock did not take the lock"
t0=$(now_ms)
expect_exit 4 q put s blocked --lock-timeout 1 --input small.dat
t1=$(now_ms)
grep -qi busy "$ERR" || fail "put on a locked store: no 'busy' in '$(cat "$ERR")'"
[ $((t1 - t0)) -ge 900 ] || fail "put --lock-timeout 1 gave up after $((t1 - t0)) ms"
[ $((t1 - t0)) -lt 4000 ] || fail "put --lock-timeout 1 waited $((t1 - t0)) ms"
expect_fail 4 '[Bb]usy' q get s p1x --lock-timeout 0
expect_fail 4 '[Bb]usy' q ls s --lock-timeout 0
expect_fail 4 '[Bb]usy' q stats s --lock-timeout 0
expect_fail 4 '[Bb]usy' q rm s p1x --lock-timeout 0
has_stream s blocked && fail "a busy put created a stream"
# A put that waits long enough gets through once the lock is released.
expect_ok q put s waited --lock-timeout 20 --input small.dat
t2=$(now_ms)
[ $((t2 - t0)) -ge 3000 ] || fail "put got through while the lock was held ($((t2 - t0)) ms)"
wait $fl
restores s waited small.dat

# A shared lock held by another reader does not block put or get.
rm -f locked
flock -s s/lock -c 'touch locked; sleep 1.5' &
fl=$!
i=0
while [ ! -e locked ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
expect_ok q put s shared --lock-timeout 1 --input small.dat
restores s shared small.dat
wait "$fl" || fail "flock -s failed"
