# Full disk for the batch jobs that rewrite data (issue 9): clean
# (reclaiming and encrypting old data) and rekey (rotation, passphrase
# change, mode change), with ENOSPC injected at every write point
# (QSARC_ENOSPC_AT; format/fileio.h).  Each attempt must fail with a
# clear "No space" message and a non-zero exit, leave every stream
# restorable, and the same command run again with space must complete.
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
printf 'disk full\n' >pw
P="--passphrase-file pw"
# The checks of encrypted stores read the passphrase from here.
PASS='disk full'

KDF="--kdf-time 1 --kdf-memory 8M"

# count_points CMD...: run on a copy and print its mutation points.
count_points() {
	QSARC_COUNT_FILE=$PWD/count "$QSARC" "$@" >/dev/null 2>&1 || true
	cat count
}

# walk NAME ORIG MAKE CMD...: for every write point of CMD on a fresh copy
# of ORIG: ENOSPC there, check, then rerun without it.
walk() {
	local name=$1 orig=$2 points n tried=0 writes=0 behind=0
	shift 2
	# The backup keystore copies live outside the stores: restore the
	# state saved with the original store too.
	fresh() {
		rm -rf w state && cp -a "$orig" w && cp -a "state.$orig" state
	}
	fresh
	points=$(count_points "$@")
	[ "$points" -gt 0 ] || fail "$name: no mutation point counted"
	n=1
	while [ "$n" -le "$points" ]; do
		fresh
		tried=$((tried + 1))
		if QSARC_ENOSPC_AT=$n "$QSARC" "$@" >o.txt 2>e.txt; then
			n=$((n + 1))
			continue	# point $n was not a write
		fi
		rc=$?
		[ $rc -lt 128 ] || fail "$name: ENOSPC at $n crashed (exit $rc)"
		writes=$((writes + 1))
		grep -q 'No space' e.txt || fail "$name: ENOSPC at $n: no 'No space' in: $(head -2 e.txt)"
		grep -qv '^qsarc: ' e.txt && [ -n "$(grep -v '^qsarc: ' e.txt | grep -v '^rekey:\|^clean:' | head -1)" ] &&
			fail "$name: ENOSPC at $n: stray output: $(head -3 e.txt)"
		for s in a b c; do
			restores w "$s" "$s.dat"
		done
		# A failed keystore save may leave the backup copy one
		# generation behind the primary: verify says so, and the
		# rerun (rekey syncs the backup first) repairs it.
		run_q verify w
		if [ "$LAST_RC" -ne 0 ]; then
			grep '^DAMAGE' "$OUT" | grep -v 'backup keystore is older' |
			    grep -v '^DAMAGE FOUND' >other.dmg || true
			[ ! -s other.dmg ] || fail "$name: verify after ENOSPC at $n: $(head -3 other.dmg)"
			behind=$((behind + 1))
		fi
		# With space again, the same command completes.
		"$QSARC" "$@" >/dev/null 2>rerun.err ||
			fail "$name: rerun after ENOSPC at $n: $(head -2 rerun.err)"
		for s in a b c; do
			if [ -n "${AFTER_PASS:-}" ]; then
				QSARC_PASSPHRASE=$AFTER_PASS restores w "$s" "$s.dat"
			else
				restores w "$s" "$s.dat"
			fi
		done
		if [ -n "${AFTER_PASS:-}" ]; then
			QSARC_PASSPHRASE=$AFTER_PASS expect_ok q verify w
		else
			expect_ok q verify w
		fi
		n=$((n + 1))
	done
	note "$name: $points mutation points, $writes writes failed with ENOSPC ($behind left the backup keystore behind), all recovered"
}

mkdir -p state
gen_file 961 900K a.dat
gen_file 962 700K b.dat
gen_file 963 600K c.dat
step=1
[ "$QSARC_SANITIZED" = 1 ] && step=1

# A plain store with an expired stream: clean reclaims.
expect_ok q init plain --container-size 1M
for s in a b c x; do
	f=$s.dat; [ $s = x ] && f=a.dat
	expect_ok q put plain $s --input $f
done
expect_ok q rm plain x
cp -a state state.plain
walk "clean (reclaim)" plain clean w

# An encrypted store written before encryption: clean converts it.
expect_ok q init conv --container-size 1M
for s in a b c; do expect_ok q put conv $s --input $s.dat; done
expect_ok q encrypt conv $KDF --passphrase-file pw
cp -a state state.conv
export QSARC_PASSPHRASE="$PASS"
walk "clean (encrypt old data)" conv clean w

# An encrypted store: rotation, passphrase change, mode change.
expect_ok q init enc --container-size 1M --encrypt $KDF
for s in a b c; do expect_ok q put enc $s --input $s.dat; done
cp -a state state.enc
later=$(( $(date +%s) + 40 * 86400 ))
QSARC_TEST_NOW=$later walk "rekey (rotation)" enc rekey w
walk "rekey --mode static" enc rekey w --mode static

# A passphrase change that fails part way leaves the primary under the
# new passphrase and the backup under the old, or both under the old:
# either one opens the store, and the daily rekey with the one that opens
# the primary brings the backup in step.
printf 'new pass\n' >pw2
points=$(cd . && rm -rf w state && cp -a enc w && cp -a state.enc state &&
    count_points rekey w --change-passphrase --new-passphrase-file pw2)
writes=0
for n in $(seq 1 "$points"); do
	rm -rf w state && cp -a enc w && cp -a state.enc state
	QSARC_ENOSPC_AT=$n "$QSARC" rekey w --change-passphrase \
	    --new-passphrase-file pw2 >o.txt 2>e.txt && continue
	writes=$((writes + 1))
	grep -q 'No space' e.txt || fail "passphrase change: ENOSPC at $n: $(head -2 e.txt)"
	pass=$PASS
	QSARC_PASSPHRASE=$pass run_q ls w
	[ "$LAST_RC" -eq 0 ] || pass='new pass'
	for s in a b c; do
		QSARC_PASSPHRASE=$pass restores w "$s" "$s.dat"
	done
	QSARC_PASSPHRASE=$pass expect_ok q rekey w
	QSARC_PASSPHRASE=$pass expect_ok q keystore w check
done
note "rekey --change-passphrase: $points mutation points, $writes writes failed with ENOSPC, all recovered"
