# Encryption at rest: the two keystore copies ("keystore check/restore").
#  - primary deleted: ls/get/keys go on with the backup copy (issue 18
#    item 7), warning and naming it; check exit 6; restore --from backup
#    rebuilds it (0600); all streams restore;
#  - one byte of the primary damaged (magic, KDF salt, generation, body,
#    tag): detected by check (exit 6) and get (which restores from the
#    backup copy's keys, with a warning naming the keystore); restore
#    --from backup fixes it;
#  - backup damaged or deleted (with its directory): check names the
#    backup; restore --from primary fixes it (0600 file, 0700 directory);
#  - backup older than the primary (copy aside, rotate, put it back):
#    check completes the save (issue 18 item 6: it says so, then ok);
#  - a crash at each mutation point of a rotation: check ok, or reports the
#    stale backup, which restore --from primary fixes;
#  - primary older than the backup (e.g. the store rolled back from a
#    snapshot): check says restore --from backup; a rotation must not
#    overwrite the newer backup with a different key under a reused id.
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
enc_setup 'keystore repair passphrase'

all_restore() {
	get_cmp s a a.dat "$P"
	get_cmp s b b.dat "$P"
}
check_ok() {
	LAST_RC=0
	"$QSARC" keystore s check $P >"$OUT" 2>"$ERR" || LAST_RC=$?
	crash_check "keystore check"
	[ $LAST_RC -eq 0 ] && grep -q '^ok' "$OUT" || fail "$CTX: keystore check: exit $LAST_RC: $(cat "$OUT" "$ERR")"
}
# gen_of FILE: the generation in a keystore's plaintext header.
gen_of() {
	"$PY" -c 'import struct, sys; print(struct.unpack_from("<Q", open(sys.argv[1], "rb").read(), 60)[0])' "$1"
}

gen_file 2601 900K a.dat
gen_file 2602 600K b.dat
at $T0 init s --encrypt $KDF $P
at $T0 put s a --input a.dat $P
at $((T0 + 30 * DAY)) rekey s $P
at $((T0 + 30 * DAY)) put s b --input b.dat $P
[ $LAST_RC -eq 0 ] || fail "setup: exit $LAST_RC"
backup=$(awk '/^backup:/ { print $2 }' <("$QSARC" keystore s check $P 2>/dev/null) | sed 's/:$//')
[ -f "$backup" ] || fail "cannot find the backup keystore ('$backup')"
bname=$(basename "$backup")
cp s/keystore P0
cp "$backup" B0
CTX=setup
check_ok

# ---- 1. Primary deleted.
CTX="primary deleted"
rm s/keystore
for cmd in "ls s" "get s a --output got.dat --force" "keys s"; do
	expect_ok q $cmd $P
	err_matches "$bname" || fail "$CTX: '$cmd' does not name the backup copy $backup"
	err_matches "restore --from backup" || fail "$CTX: '$cmd' does not say how to restore"
	[ -e s/keystore ] && fail "$CTX: '$cmd' (a reader) wrote the primary"
done
cmp -s got.dat a.dat || fail "$CTX: get with the backup's keys: bytes differ"
note "primary missing: $(head -n1 "$ERR")"
expect_exit 6 q keystore s check $P
grep -q '^primary:.*missing' "$OUT" || fail "$CTX: check does not report the primary missing: $(cat "$OUT")"
grep -q '^backup:.*ok' "$OUT" || fail "$CTX: check does not report the backup ok"
err_matches "restore --from backup" || fail "$CTX: check does not say to restore from the backup"
expect_ok q keystore s restore --from backup $P
cmp -s s/keystore "$backup" || fail "$CTX: the restored primary differs from the backup"
[ "$(stat -c %a s/keystore)" = 600 ] || fail "$CTX: restored primary has mode $(stat -c %a s/keystore)"
check_ok
all_restore

# ---- 2. One byte of the primary damaged.
size=$(file_size s/keystore)
for off in 0 30 61 150 $((size - 1)); do
	CTX="primary byte $off flipped"
	cp P0 s/keystore
	flip_byte s/keystore $off
	run_q keystore s check $P
	[ $LAST_RC -ne 0 ] || fail "$CTX: keystore check exits 0"
	[ $LAST_RC -eq 6 ] || fail "$CTX: keystore check exit $LAST_RC, expected 6 (the backup is fine)"
	grep -q '^primary:.*ok,' "$OUT" && fail "$CTX: check calls the primary ok"
	grep -q '^backup:.*ok,' "$OUT" || fail "$CTX: check does not call the backup ok"
	err_matches "restore --from backup" || fail "$CTX: check does not say to restore from the backup"
	# get goes on with the backup copy's keys (the salt too: its twin
	# of the same generation unlocks, so it is damage, not the passphrase).
	run_q get s a $P
	[ $LAST_RC -eq 0 ] || fail "$CTX: get exit $LAST_RC, expected 0 (the backup copy)"
	err_matches "keystore is damaged" || fail "$CTX: get's warning does not say the keystore is damaged"
	cmp -s "$OUT" a.dat || fail "$CTX: get with the backup's keys: bytes differ"
	expect_ok q keystore s restore --from backup $P
	cmp -s s/keystore P0 || fail "$CTX: restore --from backup did not bring back the primary"
	check_ok
	all_restore
done

# ---- 3. The backup damaged, then deleted with its directory.
CTX="backup damaged"
flip_byte "$backup" 200
expect_exit 6 q keystore s check $P
grep -q '^primary:.*ok,' "$OUT" || fail "$CTX: the primary is not reported ok"
grep -q '^backup:.*ok,' "$OUT" && fail "$CTX: the damaged backup is reported ok"
err_matches "$bname" || fail "$CTX: check does not name the backup copy"
err_matches "restore --from primary" || fail "$CTX: check does not say to restore from the primary"
all_restore
expect_ok q keystore s restore --from primary $P
cmp -s s/keystore "$backup" || fail "$CTX: the restored backup differs from the primary"
check_ok
CTX="backup deleted"
rm -rf "$QSARC_STATE_DIR/keys"
expect_exit 6 q keystore s check $P
grep -q '^backup:.*missing' "$OUT" || fail "$CTX: check does not report the backup missing: $(cat "$OUT")"
all_restore
expect_ok q keystore s restore --from primary $P
[ "$(stat -c %a "$QSARC_STATE_DIR/keys")" = 700 ] || fail "$CTX: recreated backup directory has mode $(stat -c %a "$QSARC_STATE_DIR/keys")"
[ "$(stat -c %a "$backup")" = 600 ] || fail "$CTX: recreated backup has mode $(stat -c %a "$backup")"
check_ok
# Restoring from a copy that is not there / does not unlock fails cleanly.
rm s/keystore
run_q keystore s restore --from primary $P
[ $LAST_RC -ne 0 ] || fail "restore --from a missing primary exits 0"
[ -f "$backup" ] || fail "a failed restore --from primary removed the backup"
expect_ok q keystore s restore --from backup $P
expect_exit 2 q keystore s restore $P
expect_exit 2 q keystore s restore --from elsewhere $P
expect_exit 2 q keystore s fix $P

# ---- 4. Backup older than the primary.
CTX="stale backup"
cp "$backup" B1
at $((T0 + 60 * DAY)) rekey s $P
grep -q '^rotated' "$OUT" || fail "$CTX: setup rotation: $(cat "$OUT")"
cp B1 "$backup"
g1=$(gen_of s/keystore)
g2=$(gen_of "$backup")
[ "$g2" -lt "$g1" ] || fail "$CTX: setup: generations $g1 / $g2"
expect_ok q keystore s check $P
err_matches "completed an interrupted keystore save" || fail "$CTX: check does not say it completed the save: $(cat "$ERR")"
err_matches "$g1" && err_matches "$g2" || fail "$CTX: check does not give both generations"
cmp -s s/keystore "$backup" || fail "$CTX: the backup is not the primary's copy now"
check_ok
all_restore

# ---- 5. A crash at each mutation point of a rotation.
mv s base.s
cp -a state base.state
reset_store
LAST_RC=0
QSARC_TEST_NOW=$((T0 + 90 * DAY)) QSARC_COUNT_FILE=$PWD/count "$QSARC" rekey s $P >"$OUT" 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] || fail "uncrashed rotation: exit $LAST_RC"
total=$(cat count)
stale=""
tmpleft=""
for k in $(seq 1 "$total"); do
	CTX="rotation crashed at $k of $total"
	reset_store
	LAST_RC=0
	QSARC_TEST_NOW=$((T0 + 90 * DAY)) QSARC_CRASH_AT=$k "$QSARC" rekey s $P >"$OUT" 2>"$ERR" || LAST_RC=$?
	[ $LAST_RC -eq 99 ] || fail "$CTX: exit $LAST_RC, expected 99"
	all_restore
	at $((T0 + 90 * DAY)) rekey s $P
	[ $LAST_RC -eq 0 ] || fail "$CTX: rerun of rekey: exit $LAST_RC"
	run_q keystore s check $P
	if [ $LAST_RC -ne 0 ]; then
		[ $LAST_RC -eq 6 ] && err_matches "restore --from primary" ||
			fail "$CTX: check exit $LAST_RC without the remedy: $(cat "$ERR")"
		stale="$stale $k"
		expect_ok q keystore s restore --from primary $P
		check_ok
	fi
	ls -a s "$QSARC_STATE_DIR/keys" | grep -q '^\.tmp-' && tmpleft="$tmpleft $k"
	all_restore
done
[ -n "$stale" ] && note "rotation crashed at point(s)$stale of $total: the backup stays one generation behind (the rerun says 'not due'); keystore check reports it and restore --from primary fixes it"
[ -n "$tmpleft" ] && note "rotation crashed at point(s)$tmpleft: a .tmp-* keystore file (mode $(stat -c %a $(ls -d s/.tmp-* "$QSARC_STATE_DIR"/keys/.tmp-* 2>/dev/null | head -n1) 2>/dev/null)) stays behind after the rerun"
note "rotation crash points tried: $total of $total"

# ---- 6. Primary older than the backup.
CTX="stale primary"
reset_store
cp s/keystore P2
at $((T0 + 120 * DAY)) rekey s $P
grep -q '^rotated: new content key' "$OUT" || fail "$CTX: setup rotation: $(cat "$OUT")"
newkey=$(sed -n 's/^rotated: new content key //p' "$OUT")
gen_file 2603 300K n.dat
at $((T0 + 120 * DAY)) put s n --input n.dat $P
cp "$backup" B3
cp P2 s/keystore
expect_exit 6 q keystore s check $P
err_matches "restore --from backup" || fail "$CTX: check does not say to restore from the backup: $(cat "$ERR")"
run_q get s n $P
[ $LAST_RC -eq 6 ] || fail "$CTX: get of data under key $newkey (missing from the stale primary): exit $LAST_RC, expected 6"
note "$CTX: get says '$(head -n1 "$ERR")'"
# The daily cron job runs now: it must not destroy the backup's key.
at $((T0 + 150 * DAY)) rekey s $P
rk=$LAST_RC
rkout=$(cat "$OUT" "$ERR" | tr '\n' ' ')
run_q keystore s restore --from backup $P
LAST_RC=0
"$QSARC" get s n $P >got.dat 2>"$ERR" || LAST_RC=$?
if [ $LAST_RC -ne 0 ] || ! cmp -s got.dat n.dat; then
	if cmp -s "$backup" B3; then
		fail "$CTX: the backup is intact but stream n does not restore after restore --from backup"
	fi
	fail "primary keystore older than the backup (generation $(gen_of B3) backup, $(gen_of P2) primary, e.g. the store restored from a snapshot): 'QSARC_TEST_NOW=<due> qsarc rekey s' exits $rk ('$rkout') and overwrites the newer backup with a keystore that has a different key under the same id $newkey; the original key $newkey is gone from both copies, so stream n (put under it) can never be read again (get: '$(head -n1 "$ERR")'). Expected: refuse to save over a backup with a higher generation and point to 'keystore restore --from backup'."
else
	note "$CTX: the cron rekey (exit $rk: $rkout) left the backup usable; after restore --from backup every stream restores"
fi
exit 0
