# Issue 14, item 3 (rest): a store is never opened as plain when a
# keystore for it exists (the primary STORE/keystore, or a backup copy of
# its store id at the default path).  Attack: plant a plain config next to
# an encrypted store's keystore; before, every command without a
# passphrase took the store for plain (put wrote in the clear, exit 0).
# And the normal crash state it must not break: `qsarc encrypt` killed
# between writing the keystore and the config is refused the same way,
# with a message naming `qsarc encrypt`, and running encrypt again
# finishes the job.
. "$CLI_DIR/lib.sh"

printf 'a passphrase for t_15 keystore\n' >pw
chmod 600 pw
P="--passphrase-file $PWD/pw"
KDF="--kdf-time 1 --kdf-memory 8M"
gen_file 151 200K a.bin
expect_ok q init e --encrypt $KDF $P
expect_ok q put e x --input a.bin $P
expect_ok q init p
cp e/config e.config

# A. a plain config planted next to e's keystore.
cp p/config e/config
for cmd in "ls e" "get e x" "put e y --input a.bin" "stats e" "verify e"; do
	expect_exit 6 q $cmd
	grep -q "keystore" "$ERR" && grep -q "qsarc encrypt" "$ERR" ||
		fail "$cmd on a plain config next to a keystore: no clear refusal: $(cat "$ERR")"
	grep -q "e/keystore" "$ERR" || fail "$cmd: the refusal does not name the keystore: $(cat "$ERR")"
done
[ ! -e e/streams/y.qsm ] || fail "put wrote a stream under the planted plain config"
cp e.config e/config
expect_ok q ls e $P
grep -qw x "$OUT" || fail "e does not list x once its config is back"

# B. the backup rule: a copy of plain store p (same store id) encrypted
# leaves a backup keystore of p's id at the default path; p itself (a
# plain config, no primary keystore) is then refused, naming that backup.
expect_ok q put p z --input a.bin
rm -rf base && cp -a p base && cp -a state base.state
cp -a p p2
expect_ok q encrypt p2 $KDF $P
expect_exit 6 q ls p
grep -q "state/keys/.*\.qsk" "$ERR" && grep -q "qsarc encrypt" "$ERR" ||
	fail "plain p next to a backup keystore of its id: no clear refusal: $(cat "$ERR")"
# Another store's backup keystore does not count.
rm -rf state && cp -a base.state state
expect_ok q ls p

# C. encrypt killed at every mutation point: a keystore next to a plain
# config is refused with the message naming encrypt; encrypt rerun works.
QSARC_COUNT_FILE=$PWD/count "$QSARC" encrypt p $KDF $P >/dev/null 2>"$ERR" || fail "encrypt: $(cat "$ERR")"
total=$(cat count)
seen=0
for k in $(seq 1 "$total"); do
	rm -rf p state && cp -a base p && cp -a base.state state
	rc=0
	QSARC_CRASH_AT=$k "$QSARC" encrypt p $KDF $P >/dev/null 2>"$ERR" || rc=$?
	[ $rc -eq 99 ] || fail "encrypt crashed at $k: exit $rc"
	if [ -e p/keystore ]; then
		rc=0
		"$QSARC" ls p >"$OUT" 2>"$ERR" || rc=$?
		if [ $rc -ne 0 ] && grep -q "plain" "$ERR"; then
			[ $rc -eq 6 ] || fail "crash at $k: keystore next to the plain config: exit $rc"
			grep -q "qsarc encrypt" "$ERR" || fail "crash at $k: the refusal does not name encrypt: $(cat "$ERR")"
			seen=$((seen + 1))
		fi
	fi
	expect_ok q encrypt p $KDF $P
	rm -f got.bin
	expect_ok q get p z --output got.bin $P
	cmp -s got.bin a.bin || fail "crash at $k: z differs after encrypt was rerun"
done
[ $seen -ge 1 ] || fail "no crash point left a keystore next to a plain config ($total points)"
note "encrypt crash points: $total; $seen left a keystore next to the plain config (refused, then finished by encrypt)"
