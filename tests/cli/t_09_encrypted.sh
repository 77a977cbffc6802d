# Encrypted stores: round trip, wrong and missing passphrases, no
# plaintext on disk, passphrase length limits.
. "$CLI_DIR/lib.sh"

KDF="--kdf-memory 8M --kdf-time 1"
printf 'correct horse battery staple' >pw
printf 'wrong horse' >bad

# shellcheck disable=SC2086
expect_ok q init e --encrypt --passphrase-file pw --keystore-backup "$PWD/e.qsk" $KDF
[ -f e/keystore ] || fail "no STORE/keystore"
[ -f e.qsk ] || fail "no keystore backup at --keystore-backup"
grep -q 'correct horse' -r e e.qsk && fail "the passphrase is stored in plain"

# A random file with a marker string in the middle, and a compressible
# text full of markers.
MARK=QSARC-PLAINTEXT-MARKER-7f3a91
{ gen 81 200K; printf '%s' "$MARK"; gen 82 200K; } >m.dat
for i in $(seq 2000); do echo "$MARK line $i"; done >t.dat
expect_ok q put e m --input m.dat --passphrase-file pw
expect_ok q put e t --input t.dat --passphrase-file pw
restores_enc() {
	"$QSARC" get e "$1" --passphrase-file pw >enc.out 2>"$ERR" ||
		fail "get $1 from the encrypted store: exit $?"
	cmp -s enc.out "$2" || fail "encrypted round trip of $1 differs"
}
restores_enc m m.dat
restores_enc t t.dat
n=$(grep -rc -- "$MARK" e | awk -F: '{ s += $NF } END { print s + 0 }')
[ "$n" = 0 ] || fail "the marker appears in $n places in the store: $(grep -rl -- "$MARK" e)"
grep -rqa -- 'line 1999' e && fail "plaintext 'line 1999' found in the store"
# The same data in a plain store does show the marker: the check above
# can see plaintext.
expect_ok q init p --level 1
expect_ok q put p m --input m.dat
grep -rqa -- "$MARK" p || fail "the marker is not visible in a plain store either: the check is blind"

# Other passphrase sources.
expect_ok q ls e --passphrase-fd 3 3<pw
grep -q '^m ' "$OUT" || fail "ls via --passphrase-fd does not list m"
QSARC_PASSPHRASE='correct horse battery staple' expect_ok q ls e
printf 'correct horse battery staple\n' >pwnl
expect_ok q ls e --passphrase-file pwnl

# Dedup works in an encrypted store.
expect_ok q put e m2 --input m.dat --passphrase-file pw --json
[ "$(json_get new_bytes)" = 0 ] || fail "encrypted dedup: new_bytes $(json_get new_bytes)"

# Wrong passphrase: exit 5 for every command, nothing changes.
find e -type f ! -name lock -exec sha256sum {} + | sort >before
for cmdline in "get e m" "ls e" "stats e" "rm e m" "unexpire e m"; do
	# shellcheck disable=SC2086
	expect_exit 5 q $cmdline --passphrase-file bad
	grep -qi passphrase "$ERR" || fail "$cmdline with a wrong passphrase: message does not say passphrase"
done
expect_exit 5 q put e x --input m.dat --passphrase-file bad
[ ! -s "$OUT" ] || fail "wrong passphrase: get wrote bytes"
find e -type f ! -name lock -exec sha256sum {} + | sort >after
cmp -s before after || fail "commands with a wrong passphrase changed the store"
has_stream e x --passphrase-file pw && fail "put with a wrong passphrase created a stream"

# Missing passphrase (no terminal): documented as exit 5 in cmd/cmd_output.h.
rc=0
"$QSARC" ls e </dev/null >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "ls without a passphrase"
[ $rc -ne 0 ] || fail "ls of an encrypted store without a passphrase succeeded"
grep -qi passphrase "$ERR" || fail "no passphrase: message does not say so"
[ $rc -eq 5 ] || known_bug "'qsarc ls ENCRYPTED_STORE' with no passphrase source and no terminal exits $rc; cmd/cmd_output.h documents 5 for a 'wrong or missing passphrase'"
expect_exit 5 q ls e --passphrase-file nosuchfile
grep -q nosuchfile "$ERR" || fail "missing passphrase file: not named"

# Damage in an encrypted container is found (authentication): exit 6.
cp -a e e.damaged
for c in $(find e.damaged/data -name '*.qsc'); do
	flip_byte "$c" $(( $(file_size "$c") / 2 ))
done
for n in m t; do
	rc=0
	"$QSARC" get e.damaged $n --passphrase-file pw >dm.out 2>"$ERR" || rc=$?
	LAST_RC=$rc; crash_check "get $n from a damaged encrypted container"
	[ $rc -eq 6 ] || fail "encrypted container of $n with a flipped byte: exit $rc, expected 6"
	grep -q '\.qsc' "$ERR" || fail "encrypted damage: container not named"
	grep -qi 'offset' "$ERR" || fail "encrypted damage: no offset"
	[ ! -s dm.out ] || cmp -s -n "$(file_size dm.out)" dm.out $n.dat ||
		fail "encrypted damage: output not a prefix"
done

# Passphrase lengths: 255 bytes works, 256 and 0 are refused (at init and
# when opening).
head -c 255 /dev/zero | tr '\0' 'k' >p255
head -c 256 /dev/zero | tr '\0' 'k' >p256
: >p0
printf '\n' >pnl
# shellcheck disable=SC2086
expect_ok q init e255 --encrypt --passphrase-file p255 --keystore-backup "$PWD/e255.qsk" $KDF
expect_ok q put e255 m --input m.dat --passphrase-file p255
"$QSARC" get e255 m --passphrase-file p255 2>"$ERR" | cmp -s - m.dat ||
	fail "255-byte passphrase: round trip differs"
# A 254-byte prefix of it is wrong.
head -c 254 p255 >p254
expect_exit 5 q ls e255 --passphrase-file p254
for f in p256 p0 pnl; do
	rc=0
	# shellcheck disable=SC2086
	"$QSARC" init "e-$f" --encrypt --passphrase-file "$f" \
	    --keystore-backup "$PWD/e-$f.qsk" $KDF >"$OUT" 2>"$ERR" || rc=$?
	LAST_RC=$rc; crash_check "init with passphrase $f"
	[ $rc -ne 0 ] || fail "init with passphrase file $f ($(wc -c <$f) bytes) succeeded"
	grep -q '255' "$ERR" || fail "init with $f: message does not give the limit"
	[ ! -e "e-$f/config" ] || fail "refused init left a config"
	rc=0
	"$QSARC" ls e255 --passphrase-file "$f" >"$OUT" 2>"$ERR" || rc=$?
	LAST_RC=$rc; crash_check "ls with passphrase $f"
	[ $rc -ne 0 ] || fail "ls with passphrase file $f succeeded"
done
QSARC_PASSPHRASE='' expect_exit 1 q init e-envempty --encrypt --keystore-backup "$PWD/x.qsk" $KDF
