# Crash points of the keystore operations not walked elsewhere (issue 9):
# a passphrase change and a keystore restore (each way).  QSARC_CRASH_AT=N
# kills the command at its N-th file mutation (format/fileio.h); after
# each crash every stream restores with the old or the new passphrase,
# and the daily rekey (which brings a lagging backup in step) or the same
# restore run again leaves both copies unlocking and in step.  After a
# crash of a rotation, the next command of any kind does (issue 18 item 6).
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
mkdir -p state
printf 'old pass\n' >pw
printf 'new pass\n' >pw2
KDF="--kdf-time 1 --kdf-memory 8M"
gen_file 971 300K a.dat
gen_file 972 200K b.dat
expect_ok q init s --encrypt --passphrase-file pw $KDF
expect_ok q put s a --input a.dat --passphrase-file pw
expect_ok q put s b --input b.dat --passphrase-file pw
cp -a s s.orig
cp -a state state.orig
fresh() {
	rm -rf s state && cp -a s.orig s && cp -a state.orig state
}

# which_pass: the passphrase that opens the store now.
which_pass() {
	for p in pw pw2; do
		"$QSARC" ls s --passphrase-file "$p" >/dev/null 2>&1 && {
			echo "$p"
			return
		}
	done
	echo none
}

# count CMD...: mutation points of CMD on a fresh copy.
count() {
	fresh
	QSARC_COUNT_FILE=$PWD/count "$QSARC" "$@" >/dev/null 2>&1 || true
	cat count
}

total=0
# ---- passphrase change
points=$(count rekey s --change-passphrase --passphrase-file pw --new-passphrase-file pw2)
[ "$points" -gt 0 ] || fail "passphrase change: no mutation point"
for n in $(seq 1 "$points"); do
	fresh
	rc=0
	QSARC_CRASH_AT=$n "$QSARC" rekey s --change-passphrase \
	    --passphrase-file pw --new-passphrase-file pw2 >/dev/null 2>&1 || rc=$?
	[ $rc -eq 99 ] || [ $rc -eq 0 ] || fail "passphrase change: crash at $n gave exit $rc"
	p=$(which_pass)
	[ "$p" != none ] || fail "passphrase change: after a crash at $n neither passphrase opens the store"
	for st in a b; do
		rc=0
		"$QSARC" get s "$st" --passphrase-file "$p" >got 2>/dev/null || rc=$?
		[ $rc -eq 0 ] && cmp -s got "$st.dat" || fail "passphrase change: crash at $n: $st does not restore"
	done
	expect_ok q rekey s --passphrase-file "$p"
	expect_ok q keystore s check --passphrase-file "$p"
	total=$((total + 1))
done
note "rekey --change-passphrase: $points crash points tried, all recovered"

# ---- a rotation (issue 18 item 6): after a crash at any point, the next
# command of any kind (ls) leaves both copies in step, with no repair run.
points=$(QSARC_TEST_NOW=$(( $(date +%s) + 400 * 86400 )) count rekey s --passphrase-file pw)
for n in $(seq 1 "$points"); do
	fresh
	rc=0
	QSARC_TEST_NOW=$(( $(date +%s) + 400 * 86400 )) QSARC_CRASH_AT=$n \
	    "$QSARC" rekey s --passphrase-file pw >/dev/null 2>&1 || rc=$?
	[ $rc -eq 99 ] || [ $rc -eq 0 ] || fail "rotation: crash at $n gave exit $rc"
	expect_ok q ls s --passphrase-file pw
	expect_ok q keystore s check --passphrase-file pw
	grep -q '^ok' "$OUT" || fail "rotation: crash at $n: the copies are not in step after the next command: $(cat "$OUT" "$ERR")"
	total=$((total + 1))
done
note "rekey rotation: $points crash points tried, each brought in step by the next ls"

# ---- keystore restore, both ways
for from in backup primary; do
	fresh
	points=$(count keystore s restore --from $from --passphrase-file pw)
	for n in $(seq 1 "$points"); do
		fresh
		[ $from = backup ] && rm -f s/keystore
		rc=0
		QSARC_CRASH_AT=$n "$QSARC" keystore s restore --from $from \
		    --passphrase-file pw >/dev/null 2>&1 || rc=$?
		[ $rc -eq 99 ] || [ $rc -eq 0 ] || fail "restore --from $from: crash at $n gave exit $rc"
		# Run again: it completes and both copies are in step.
		expect_ok q keystore s restore --from $from --passphrase-file pw
		expect_ok q keystore s check --passphrase-file pw
		restores_pw() {
			"$QSARC" get s "$1" --passphrase-file pw >got 2>/dev/null &&
			    cmp -s got "$2" || fail "restore --from $from: crash at $n: $1 does not restore"
		}
		restores_pw a a.dat
		restores_pw b b.dat
		total=$((total + 1))
	done
	note "keystore restore --from $from: $points crash points tried, all recovered"
done
note "$total crash points in all"
