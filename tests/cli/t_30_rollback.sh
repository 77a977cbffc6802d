# Issue 14, item 10: rollback and deletion are detected (spec/SECURITY.md
# 5.2, spec/FORMAT.md 10).  For a plain and an encrypted store, with the
# backup keystore copy (and the stream set's generation record next to it,
# $QSARC_STATE_DIR/keys/STOREID.qsk.streams) kept current:
#  A. a normal put/rm/unexpire/expire/clean cycle never alarms;
#  B. attacks, each found by verify (exit 6) and ls (exit 6, a warning):
#     a deleted manifest; one moved from streams/ to expired/ and one back;
#     an older copy of one manifest put back; an older copy of the whole
#     store directory put back; a deleted stream set;
#  C. commands killed at every mutation point of put, rm, unexpire and
#     clean (QSARC_CRASH_AT) leave a store that verify and ls accept, and
#     the next command settles it;
#  D. a store without a set (0.1.0) is accepted and gets one from the
#     first write or exclusive open.
. "$CLI_DIR/lib.sh"

printf 'rollback pass t_30\n' >pw
chmod 600 pw
gen_file 301 150K f1
gen_file 302 150K f2
gen_file 303 150K f3
T0=1700000000

# damaged WHAT STORE OPTS...: verify and ls must both exit 6 and say why.
damaged() {
	local what=$1 st=$2
	shift 2
	expect_exit 6 q verify "$st" "$@"
	cat "$OUT" "$ERR" >verify.out
	grep -qi "stream set\|streamset" verify.out ||
		fail "$what: verify exit 6 but no word on the stream set: $(cat "$OUT" "$ERR")"
	expect_exit 6 q ls "$st" "$@"
	grep -q "warning" "$ERR" || fail "$what: ls exit 6 without a warning: $(cat "$ERR")"
}
# clean_ok CTX STORE OPTS...: verify and ls exit 0.
clean_ok() {
	local ctx=$1 st=$2
	shift 2
	LAST_RC=0
	"$QSARC" verify "$st" "$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	crash_check "$ctx: verify"
	[ $LAST_RC -eq 0 ] || fail "$ctx: verify: exit $LAST_RC: $(cat "$OUT" "$ERR")"
	LAST_RC=0
	"$QSARC" ls "$st" "$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	[ $LAST_RC -eq 0 ] || fail "$ctx: ls: exit $LAST_RC: $(cat "$ERR")"
}

for kind in plain encrypted; do
	rm -rf s old cur
	if [ $kind = plain ]; then
		P=""
		expect_ok q init s
	else
		P="--passphrase-file $PWD/pw"
		expect_ok q init s --encrypt --kdf-time 1 --kdf-memory 8M $P
	fi
	# A. the normal cycle.
	for n in a b c; do
		expect_ok q put s $n --input f1 $P
	done
	[ -f s/streamset ] || fail "$kind: put wrote no stream set"
	ls state/keys/*.streams >/dev/null 2>&1 || fail "$kind: no generation record in state/keys"
	clean_ok "$kind: after put" s $P
	expect_ok q rm s c $P
	clean_ok "$kind: after rm" s $P
	expect_ok q unexpire s c $P
	clean_ok "$kind: after unexpire" s $P
	QSARC_TEST_NOW=$((T0 + 86400)) expect_ok q put s d --input f2 $P
	expect_ok q expire s --keep-last 3 $P
	clean_ok "$kind: after expire" s $P
	expect_ok q clean s $P
	clean_ok "$kind: after clean" s $P
	# e shares its chunks with a, b and c: its old manifest stays
	# readable after clean (B3).
	expect_ok q put s e --input f1 $P
	expect_ok q rm s e $P
	clean_ok "$kind: cycle" s $P
	live=$(ls s/streams | wc -l)

	# B1. a deleted manifest.
	cp -p s/streams/a.qsm saved.qsm
	rm s/streams/a.qsm
	damaged "$kind: deleted manifest" s $P
	grep -q "a.qsm" verify.out || fail "$kind: verify does not name the deleted manifest: $(cat verify.out)"
	cp -p saved.qsm s/streams/a.qsm
	clean_ok "$kind: manifest back" s $P

	# B2. a manifest moved from streams/ to expired/, and one back.
	mv s/streams/b.qsm s/expired/b.qsm
	damaged "$kind: live moved to expired" s $P
	mv s/expired/b.qsm s/streams/b.qsm
	mv s/expired/e.qsm s/streams/e.qsm
	damaged "$kind: expired moved to live" s $P
	mv s/streams/e.qsm s/expired/e.qsm
	clean_ok "$kind: moves undone" s $P

	# B3. an older copy of one manifest: e is purged and put again.
	cp -p s/expired/e.qsm old-e.qsm
	expect_ok q clean s $P
	expect_ok q put s e --input f2 $P
	cp -p s/streams/e.qsm new-e.qsm
	cp -p old-e.qsm s/streams/e.qsm
	damaged "$kind: older copy of one manifest" s $P
	cp -p new-e.qsm s/streams/e.qsm
	clean_ok "$kind: manifest current again" s $P
	# A purged stream's manifest planted back into expired/.
	cp -p old-e.qsm s/expired/x.qsm 2>/dev/null
	rm -f s/expired/x.qsm

	# B4. an older copy of the whole store (the backup location current).
	cp -a s old
	expect_ok q put s f --input f3 $P
	expect_ok q rm s a $P
	cp -a s cur
	rm -rf s
	cp -a old s
	damaged "$kind: whole store rolled back" s $P
	grep -q "older" verify.out || fail "$kind: rollback not called older: $(cat verify.out)"
	# A writer refuses to build on the rolled back set.
	expect_exit 6 q put s g --input f1 $P
	rm -rf s
	mv cur s
	clean_ok "$kind: current store back" s $P

	# B5. the stream set deleted.
	cp -p s/streamset saved.set
	rm s/streamset
	damaged "$kind: stream set deleted" s $P
	cp -p saved.set s/streamset
	clean_ok "$kind: stream set back" s $P
	# B6. the set tampered with (one byte of the generation).
	cp -p s/streamset saved.set
	$PY - s/streamset <<'PYEOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[32] ^= 1
open(p, 'wb').write(bytes(b))
PYEOF
	damaged "$kind: stream set tampered with" s $P
	cp -p saved.set s/streamset
	clean_ok "$kind: stream set intact" s $P

	# C. crashes at every mutation point never alarm.
	for cmd in "put s z --input f1" "rm s z" "unexpire s z" "rm s z" "clean s"; do
		total=0
		# The store and the state directory (its generation record) as
		# they were before the command.
		cp -a s pre
		rm -rf pre-state
		cp -a state pre-state
		QSARC_COUNT_FILE=$PWD/count "$QSARC" $cmd $P >"$OUT" 2>"$ERR" ||
			fail "$kind: $cmd: exit $?: $(cat "$ERR")"
		total=$(cat count)
		cp -a s post
		rm -rf post-state
		cp -a state post-state
		for n in $(seq 1 "$total"); do
			rm -rf s state
			cp -a pre s
			cp -a pre-state state
			rc=0
			QSARC_CRASH_AT=$n "$QSARC" $cmd $P >"$OUT" 2>"$ERR" </dev/null || rc=$?
			[ $rc -eq 99 ] || [ $rc -eq 0 ] || fail "$kind: $cmd crash at $n: exit $rc: $(cat "$ERR")"
			clean_ok "$kind: $cmd crashed at $n of $total" s $P
			# The next writer settles it; the command is then redone.
			rc=0
			"$QSARC" $cmd $P >"$OUT" 2>"$ERR" </dev/null || rc=$?
			case $rc in
			0 | 3 | 8) ;;
			1) grep -q "already exists" "$ERR" ||
				fail "$kind: $cmd rerun after crash at $n: exit 1: $(cat "$ERR")" ;;
			*) fail "$kind: $cmd rerun after crash at $n: exit $rc: $(cat "$ERR")" ;;
			esac
			clean_ok "$kind: $cmd rerun after crash at $n" s $P
		done
		rm -rf s pre state pre-state
		mv post s
		mv post-state state
	done
	rm -rf old saved.qsm saved.set old-e.qsm new-e.qsm
done

# D. a store without a set (as 0.1.0 wrote them): no alarm, and the first
# write creates the set.
rm -rf s
expect_ok q init s
expect_ok q put s a --input f1
rm -f s/streamset state/keys/*.streams
clean_ok "no set yet" s
[ ! -e s/streamset ] || fail "a reader wrote the stream set"
expect_ok q put s b --input f2
[ -f s/streamset ] || fail "the first write did not create the stream set"
clean_ok "set created by put" s
rm s/streams/a.qsm
damaged "deleted after the set was created" s
