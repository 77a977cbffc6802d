# clean (issue 4): space comes back.
#  - 10 streams of 256 KiB blocks: each has two blocks of its own, one block
#    the next two streams reuse, and the reused blocks of the two before
#    it; expire --keep-last 5 expires the oldest five: their containers are
#    either all dead (deleted) or mostly dead but holding blocks the live
#    streams use (rewritten);
#  - clean --dry-run changes nothing, and its numbers (bytes_reclaimed,
#    containers_deleted, containers_rewritten) match the real run within 1%;
#  - afterwards the stored bytes are within 5% of a store built from the
#    five remaining streams alone (same init options), everything left
#    restores, the expired streams are gone, verify is clean, a second
#    clean finds nothing to do, leftovers of killed commands are removed;
#  - put during clean: started together, the put either waits and succeeds
#    or reports busy (exit 4); never a lost chunk (everything restores),
#    also when the put reuses the chunks of the stream being reclaimed.
. "$CLI_DIR/lib.sh"

T0=1700000000
# Small chunks: how much of a shared block deduplicates next to other data
# depends on where the (keyed, per store) chunker cuts; with 4 KiB chunks
# that varies by about 1% between stores, with 16 KiB by up to 6%.
INIT="--container-size 1M --avg-chunk 4K"

# ---- the data, in one Python run (it is slow to start here).
"$PY" - <<'EOF' || fail "data generation"
import random
B = 256 << 10
def blk(tag, i, j=0):
    return random.Random(hash((tag, i, j)) & 0xffffffff).randbytes(B)
X = [random.Random(7000 + i).randbytes(B) for i in range(10)]
for i in range(10):
    r = random.Random(7100 + i)
    d = r.randbytes(B) + X[i] + r.randbytes(B)
    for k in (1, 2):
        if i - k >= 0:
            d += X[i - k]
    open("s%d.dat" % i, "wb").write(d)
for i in range(4):
    open("c%d.dat" % i, "wb").write(random.Random(7200 + i).randbytes(600 << 10))
EOF

expect_ok q init s $INIT
for i in 0 1 2 3 4 5 6 7 8 9; do
	at_ok $((T0 + i * 60)) put s s$i --input s$i.dat
done
# The reference: the five that stay, alone, in the same order.
expect_ok q init ref $INIT
for i in 5 6 7 8 9; do
	at_ok $((T0 + i * 60)) put ref s$i --input s$i.dat
done
expect_ok q stats ref --json
REF=$(json_get stored_bytes)

at_ok $((T0 + 3600)) expire s --keep-last 5 --json
for i in 0 1 2 3 4; do
	has_stream s s$i --expired || fail "s$i is not expired after expire --keep-last 5"
done
expect_ok q stats s --json
BEFORE=$(json_get stored_bytes)

# ---- usage.
expect_exit 2 q clean s --rewrite-threshold 0
expect_exit 2 q clean s --rewrite-threshold 100
expect_exit 2 q clean s --max-duration soon
expect_exit 2 q clean

# ---- a leftover of a killed command.
echo junk >s/index/.tmp-killed-leftover
sum0=$(tree_sum s)

# ---- dry run, then the real run.
expect_ok q clean s --dry-run --json
cp "$OUT" dry.json
[ "$(json_get dry_run)" = True ] || fail "clean --dry-run --json: dry_run is not true"
[ "$(tree_sum s)" = "$sum0" ] || fail "clean --dry-run changed files of the store"
for i in 0 1 2 3 4; do
	expect_ok q get s s$i --expired
	cmp -s "$OUT" s$i.dat || fail "after clean --dry-run: get --expired s$i differs"
done
expect_ok q clean s --dry-run
grep -q '^dry run: ' "$OUT" || fail "clean --dry-run (text) does not start with 'dry run:': $(head -1 "$OUT")"
expect_ok q clean s --json
cp "$OUT" real.json
[ "$(json_get dry_run)" = False ] || fail "clean --json: dry_run is not false"
for k in bytes_reclaimed containers_deleted containers_rewritten expired_streams_removed leftovers_removed stored_before; do
	dv=$(json_get $k dry.json)
	rv=$(json_get $k real.json)
	within "$dv" "$rv" 1 || fail "clean --dry-run said $k $dv, the real run $rv"
done
[ "$(json_get containers_deleted real.json)" -ge 1 ] || fail "the scenario deleted no container"
[ "$(json_get containers_rewritten real.json)" -ge 1 ] || fail "the scenario rewrote no container"
[ "$(json_get expired_streams_removed real.json)" = 5 ] || fail "clean removed $(json_get expired_streams_removed real.json) expired streams, expected 5"
[ "$(json_get leftovers_removed real.json)" -ge 1 ] || fail "clean removed no leftover"
[ ! -e s/index/.tmp-killed-leftover ] || fail "the .tmp- leftover is still there"
note "dry run: $(json_get bytes_reclaimed dry.json) bytes, $(json_get containers_deleted dry.json) deleted, $(json_get containers_rewritten dry.json) rewritten; real: $(json_get bytes_reclaimed real.json), $(json_get containers_deleted real.json), $(json_get containers_rewritten real.json)"

expect_ok q stats s --json
AFTER=$(json_get stored_bytes)
[ "$AFTER" = "$(json_get stored_after real.json)" ] || fail "clean says stored_after $(json_get stored_after real.json), stats says $AFTER"
[ $((BEFORE - AFTER)) = "$(json_get bytes_reclaimed real.json)" ] || fail "clean says it reclaimed $(json_get bytes_reclaimed real.json), stats went from $BEFORE to $AFTER"
note "stored bytes: $BEFORE before, $AFTER after clean, $REF in a store of the 5 remaining streams alone"
within "$AFTER" "$REF" 5 || fail "after clean the store holds $AFTER bytes, a store of the remaining 5 streams alone $REF (more than 5% apart)"
for i in 5 6 7 8 9; do
	restores s s$i s$i.dat
done
for i in 0 1 2 3 4; do
	expect_exit 3 q get s s$i --expired
done
[ -z "$(ls_names s --expired)" ] || fail "expired streams still listed after clean"
if "$QSARC" verify --help >/dev/null 2>&1; then
	expect_ok q verify s
else
	note "no 'qsarc verify' in this binary"
fi
expect_ok q clean s --json
[ "$(json_get bytes_reclaimed)" = 0 ] && [ "$(json_get containers_deleted)" = 0 ] && [ "$(json_get containers_rewritten)" = 0 ] ||
	fail "a second clean still found work: $(cat "$OUT")"

# ---- put during clean.  Each round: a stream is put and removed, then
# clean (reclaiming it) and a put of the same bytes under a new name start
# together.  Round 3's put does not wait for the lock (--lock-timeout 0).
busy=0
waited=0
for r in 1 2 3; do
	expect_ok q put s e$r --input c$r.dat
	expect_ok q rm s e$r
	lt=""
	[ $r = 3 ] && lt="--lock-timeout 0"
	"$QSARC" clean s >clean.out 2>clean.err &
	cpid=$!
	prc=0
	"$QSARC" put s p$r --input c$r.dat $lt >put.out 2>put.err || prc=$?
	crc=0
	wait $cpid || crc=$?
	LAST_RC=$crc
	cp clean.err "$ERR"
	crash_check "clean (round $r)"
	[ $crc -eq 0 ] || fail "clean with a concurrent put (round $r): exit $crc"
	LAST_RC=$prc
	cp put.err "$ERR"
	crash_check "put during clean (round $r)"
	case $prc in
	0)
		waited=$((waited + 1))
		restores s p$r c$r.dat
		;;
	4)
		busy=$((busy + 1))
		grep -qiE 'busy|lock' put.err || fail "put during clean: exit 4 without saying busy/locked: $(cat put.err)"
		has_stream s p$r && fail "a put that reported busy left stream p$r"
		;;
	*) fail "put during clean (round $r): exit $prc: $(cat put.err)" ;;
	esac
	# Nothing lost: every live stream restores (a later clean too).
	for i in 5 6 7 8 9; do
		restores s s$i s$i.dat
	done
	expect_ok q clean s
	[ $prc -eq 0 ] && restores s p$r c$r.dat
done
note "put during clean: $waited waited and succeeded, $busy reported busy (exit 4)"
exit 0
