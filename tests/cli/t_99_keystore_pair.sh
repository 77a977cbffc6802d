# The two keystore copies as one pair, and integrity before version
# (issue 18 items 6, 7 and 8; spec/keystore.md 6.3, FORMAT.md 3.4,
# index.md 3.1):
#  6. a crash between the primary and backup writes of a passphrase
#     change: the next command with the new passphrase completes the save
#     (no person); with the old one, reads go on and the re-run of the
#     same rekey works; keystore check and verify give one hint;
#  7. a damaged primary (flipped salt / check bytes, truncated, deleted)
#     with an intact backup: get restores with the backup's keys (never
#     "wrong passphrase"), verify and check say damage, an exclusive job
#     repairs it;
#  8. a rotten version / flags byte (config 8, 10; index segment 8, 10;
#     keystore 8, 10, 12) is damage, not "written by a newer qsarc".
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
enc_setup 'old pair passphrase'
mkdir -p state
printf 'new pair passphrase\n' >pw2
chmod 600 pw pw2
P2="--passphrase-file $PWD/pw2"
gen_file 991 300K a.dat
gen_file 992 200K b.dat
at_ok $T0 init s --encrypt $KDF --keystore-backup "$PWD/s.qsk" $P
at_ok $T0 put s a --input a.dat $P
at_ok $T0 put s b --input b.dat $P
B=$PWD/s.qsk
cp -a s base.s
cp -a state base.state
cp "$B" base.qsk
fresh() {
	rm -rf s state && cp -a base.s s && cp -a base.state state
	cp base.qsk "$B"
}
gen_of() {
	"$PY" -c 'import struct, sys; print(struct.unpack_from("<Q", open(sys.argv[1], "rb").read(), 60)[0])' "$1"
}
no_is_does() {
	grep -q "is does" "$OUT" "$ERR" && fail "$1: message reads 'is does': $(cat "$OUT" "$ERR")"
	return 0
}

# ---- 6. A passphrase change killed between the two copies.
fresh
QSARC_COUNT_FILE=$PWD/count "$QSARC" rekey s --change-passphrase $P \
    --new-passphrase-file "$PWD/pw2" >/dev/null 2>&1 || fail "uncrashed passphrase change failed"
points=$(cat count)
between=""
for n in $(seq 1 "$points"); do
	fresh
	QSARC_CRASH_AT=$n "$QSARC" rekey s --change-passphrase $P \
	    --new-passphrase-file "$PWD/pw2" >/dev/null 2>&1 || true
	[ "$(gen_of s/keystore)" -gt "$(gen_of "$B")" ] && between="$between $n"
done
[ -n "$between" ] || fail "no crash point of $points falls between the two keystore writes"
for n in $between; do
	CTX="crash at $n of $points (between the copies)"
	crashed() {
		fresh
		QSARC_CRASH_AT=$n "$QSARC" rekey s --change-passphrase $P \
		    --new-passphrase-file "$PWD/pw2" >/dev/null 2>&1 || true
	}
	# The new passphrase: any command (here ls) completes the save.
	crashed
	expect_ok q ls s $P2
	err_matches "completed an interrupted keystore save" || fail "$CTX: ls did not complete the save: $(cat "$ERR")"
	cmp -s s/keystore "$B" || fail "$CTX: after ls the copies differ"
	expect_ok q keystore s check $P2
	grep -q '^ok' "$OUT" || fail "$CTX: check after the completion: $(cat "$OUT")"
	expect_ok q verify s $P2
	# The old passphrase: reads go on with the backup's keys; check and
	# verify give the same hint; writers under the shared lock wait for
	# the new passphrase; the re-run of the same command works.
	crashed
	get_cmp s a a.dat "$P"
	err_matches "passphrase change was interrupted" || fail "$CTX: get (old passphrase) does not say why: $(cat "$ERR")"
	expect_exit 5 q keystore s check $P
	no_is_does "$CTX: check"
	err_matches "give the new passphrase" || fail "$CTX: check (old passphrase) hint: $(cat "$ERR")"
	err_matches "restore --from backup" && fail "$CTX: check advises reverting the change: $(cat "$ERR")"
	expect_ok q verify s $P
	err_matches "give the new passphrase" || fail "$CTX: verify (old passphrase) hint differs: $(cat "$ERR")"
	expect_exit 6 q put s c --input b.dat $P
	expect_ok q rekey s --change-passphrase $P --new-passphrase-file "$PWD/pw2"
	expect_ok q keystore s check $P2
	grep -q '^ok' "$OUT" || fail "$CTX: check after the re-run: $(cat "$OUT")"
	get_cmp s b b.dat "$P2"
	expect_exit 5 q ls s $P
done
note "passphrase change: crash point(s)$between of $points fall between the two copies; each completed by the next command"

# ---- 7 and 8 (keystore). A damaged primary, the backup intact.
damage() {
	case $1 in
	trunc)	head -c 100 base.s/keystore >s/keystore ;;
	delete)	rm -f s/keystore ;;
	*)	flip_byte s/keystore "$1" ;;
	esac
}
for d in 32 40 72 8 10 12 trunc delete; do
	CTX="primary keystore: $d"
	fresh
	damage $d
	run_q get s a $P
	[ $LAST_RC -eq 5 ] && fail "$CTX: get says wrong passphrase: $(cat "$ERR")"
	[ $LAST_RC -eq 0 ] || fail "$CTX: get exit $LAST_RC, expected 0 (the backup copy is intact): $(cat "$ERR")"
	cmp -s "$OUT" a.dat || fail "$CTX: get: bytes differ"
	err_matches "primary keystore is (damaged|missing).*using the backup copy" || fail "$CTX: get does not say it used the backup: $(cat "$ERR")"
	err_matches "newer qsarc" && fail "$CTX: get calls damage a newer qsarc: $(cat "$ERR")"
	expect_exit 6 q verify s $P
	grep -qiE "wrong passphrase|newer qsarc" "$OUT" "$ERR" && fail "$CTX: verify calls damage a wrong passphrase or newer file: $(cat "$OUT" "$ERR")"
	expect_exit 6 q keystore s check $P
	no_is_does "$CTX: check"
	grep -qE '^primary:.*(damaged|missing)' "$OUT" || fail "$CTX: check: $(cat "$OUT")"
	err_matches "restore --from backup" || fail "$CTX: check hint: $(cat "$ERR")"
	# An exclusive job puts the backup back over the primary.
	expect_ok q clean s $P
	err_matches "restored it from the backup copy" || fail "$CTX: clean did not repair the primary: $(cat "$ERR")"
	cmp -s s/keystore "$B" || fail "$CTX: the repaired primary differs from the backup"
	expect_ok q keystore s check $P
done
# The damage raises an alert: with the relay down it is kept in the log.
fresh
at_ok $T0 alerts s configure --relay 127.0.0.1:1 --from qsarc@example.com --to ops@example.com
at_ok $T0 alerts s enable
alert_files s
flip_byte s/keystore 32
at_ok $T0 get s a --output got.dat --force $P
[ -f "$ALOG" ] && grep -q "keystore is damaged" "$ALOG" || fail "no alert kept for the damaged primary ($ALOG): $(cat "$ERR")"
# A wrong passphrase with both copies intact is still one.
fresh
printf 'not it\n' >bad
expect_exit 5 q get s a --passphrase-file "$PWD/bad"

# ---- 8. Config and index segment version / flags bytes.
expect_ok q init p
expect_ok q put p a --input a.dat
cp -a p base.p
for off in 8 10; do
	CTX="config byte $off"
	rm -rf p && cp -a base.p p
	flip_byte p/config $off
	expect_exit 6 q verify p
	grep -q "newer qsarc" "$OUT" "$ERR" && fail "$CTX: verify says newer qsarc"
	expect_exit 6 q get p a
	err_matches "damaged" || fail "$CTX: get: $(cat "$ERR")"
done
seg=$(ls base.p/index/seg-*.qsi | head -n1)
seg=${seg#base.}
for off in 8 10; do
	CTX="index segment byte $off"
	rm -rf p && cp -a base.p p
	flip_byte "$seg" $off
	expect_exit 6 q get p a
	err_matches "newer qsarc|not supported" && fail "$CTX: get calls damage a newer segment: $(cat "$ERR")"
	err_matches "rebuild-index" || fail "$CTX: get does not name the repair: $(cat "$ERR")"
	expect_exit 6 q verify p
	expect_ok q verify p --rebuild-index
	restores p a a.dat
done
