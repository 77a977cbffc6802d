# Encryption at rest: "rekey --change-passphrase".
#  - afterwards the old passphrase fails on both copies (get: exit 5;
#    keystore check: exit 5/6; restore from either copy: exit 5; and an
#    independent reader written from spec/keystore.md agrees), the new one
#    works everywhere;
#  - no data is rewritten: sha256 + mtime + inode of every file under
#    STORE/data and STORE/streams identical before/after;
#  - KDF parameters and content keys are kept; the generation advances in
#    step on both copies;
#  - --new-passphrase-fd works; an invalid new passphrase (empty, 256
#    bytes) or a wrong current one changes nothing.
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
KDF="--kdf-time 1 --kdf-memory 8M"

# snapshot OUT DIR...: path, inode, size, mtime_ns, sha256 of every file.
snapshot() {
	local out=$1
	shift
	"$PY" - "$@" >"$out" <<'EOF' || fail "snapshot failed"
import hashlib, os, sys
for top in sys.argv[1:]:
    for root, dirs, files in os.walk(top):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            st = os.stat(p)
            h = hashlib.sha256(open(p, "rb").read()).hexdigest()
            print(p, st.st_ino, st.st_size, st.st_mtime_ns, h)
EOF
}

# ks_state NAME FILE PASSFILE: "ks_read state" output, exit status in KS_RC.
ks_state() {
	KS_RC=0
	ks_read state "$2" "$3" >"$1" 2>/dev/null || KS_RC=$?
}

printf 'the old passphrase\n' >old
printf 'the new passphrase\n' >new
printf 'a third one' >third
expect_ok q init s --encrypt $KDF --passphrase-file old --container-size 1M
gen_file 2301 2500K a.dat
gen_file 2302 1200K b.dat
expect_ok q put s a --input a.dat --passphrase-file old
expect_ok q put s b --input b.dat --passphrase-file old
expect_ok q rm s b --passphrase-file old
backup=$(awk '/^backup:/ { print $2 }' <("$QSARC" keystore s check --passphrase-file old 2>/dev/null) | sed 's/:$//')
[ -f "$backup" ] || fail "cannot find the backup keystore ('$backup')"
ndata=$(find s/data -type f | wc -l)
[ "$ndata" -ge 3 ] || fail "test setup: expected several containers, got $ndata"
snapshot data.before s/data s/streams s/expired s/index s/config
ks_state ks.before s/keystore old
[ $KS_RC -eq 0 ] || fail "independent reader cannot unlock the new store (exit $KS_RC)"
read -r gen0 t0 m0 p0 ids0 sec0 <ks.before

# ---- invalid new passphrases and a wrong current one change nothing.
cp s/keystore p.before
cp "$backup" b.before
: >empty
"$PY" -c 'import sys; sys.stdout.write("x" * 256)' >long
for f in empty long; do
	expect_exit 1 q rekey s --change-passphrase --new-passphrase-file $f --passphrase-file old
	err_matches "1 to 255 bytes" || fail "new passphrase '$f': message does not give the allowed length"
done
expect_exit 5 q rekey s --change-passphrase --new-passphrase-file new --passphrase-file new
expect_exit 2 q rekey s --new-passphrase-file new --passphrase-file old
expect_exit 2 q rekey s --change-passphrase --mode static --passphrase-file old
cmp -s s/keystore p.before && cmp -s "$backup" b.before ||
	fail "a refused passphrase change modified a keystore copy"

# ---- the change.
t_a=$(now_ms)
expect_ok q rekey s --change-passphrase --new-passphrase-file new --passphrase-file old
t_b=$(now_ms)
err_matches "no data rewritten" || note "rekey --change-passphrase said: $(cat "$ERR")"
snapshot data.after s/data s/streams s/expired s/index s/config
diff data.before data.after >data.diff ||
	{ cat data.diff; fail "rekey --change-passphrase rewrote data/manifest/index/config files (sha256, mtime or inode differ)"; }

# The old passphrase: refused on both copies, by every path.
expect_exit 5 q get s a --passphrase-file old
err_matches "passphrase read from old" || fail "get with the old passphrase: message does not name the source"
expect_exit 5 q ls s --passphrase-file old
run_q keystore s check --passphrase-file old
[ $LAST_RC -eq 5 ] || [ $LAST_RC -eq 6 ] || fail "keystore check with the old passphrase: exit $LAST_RC, expected 5 or 6"
grep -q '^primary:.*does not unlock' "$OUT" && grep -q '^backup:.*does not unlock' "$OUT" ||
	fail "keystore check with the old passphrase should say neither copy unlocks: $(cat "$OUT")"
expect_exit 5 q keystore s restore --from backup --passphrase-file old
expect_exit 5 q keystore s restore --from primary --passphrase-file old
for f in s/keystore "$backup"; do
	ks_state x "$f" old
	[ $KS_RC -eq 5 ] || fail "independent reader: the old passphrase on $f gives $KS_RC, expected 5 (wrong passphrase)"
done

# The new one works everywhere, on both copies, keys and KDF unchanged.
expect_ok q keystore s check --passphrase-file new
grep -q '^ok' "$OUT" || fail "keystore check with the new passphrase: $(cat "$OUT")"
LAST_RC=0
"$QSARC" get s a --passphrase-file new >g.dat 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] && cmp -s g.dat a.dat || fail "get a with the new passphrase: exit $LAST_RC or wrong bytes"
LAST_RC=0
"$QSARC" get s b --expired --passphrase-file new >g.dat 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] && cmp -s g.dat b.dat || fail "get --expired b with the new passphrase: exit $LAST_RC or wrong bytes"
ks_state ks.p s/keystore new
[ $KS_RC -eq 0 ] || fail "independent reader: the new passphrase does not unlock the primary ($KS_RC)"
ks_state ks.b "$backup" new
[ $KS_RC -eq 0 ] || fail "independent reader: the new passphrase does not unlock the backup ($KS_RC)"
cmp -s s/keystore "$backup" || fail "the two copies differ after the change"
read -r gen1 t1 m1 p1 ids1 sec1 <ks.p
[ "$t1 $m1 $p1" = "$t0 $m0 $p0" ] || fail "KDF parameters changed: $t0 $m0 $p0 -> $t1 $m1 $p1"
[ "$ids1" = "$ids0" ] && [ "$sec1" = "$sec0" ] || fail "the content keys or secrets changed with the passphrase"
[ "$gen1" -gt "$gen0" ] || fail "generation did not advance ($gen0 -> $gen1)"
[ "$(stat -c %a s/keystore) $(stat -c %a "$backup")" = "600 600" ] ||
	fail "keystore modes after the change: $(stat -c %a s/keystore) $(stat -c %a "$backup")"

# ---- again, the new passphrase given on a descriptor, the current one
# in the environment.
LAST_RC=0
QSARC_PASSPHRASE='the new passphrase' "$QSARC" rekey s --change-passphrase --new-passphrase-fd 4 4<third >"$OUT" 2>"$ERR" || LAST_RC=$?
crash_check "rekey --change-passphrase --new-passphrase-fd"
[ $LAST_RC -eq 0 ] || fail "rekey --change-passphrase --new-passphrase-fd 4: exit $LAST_RC"
expect_exit 5 q ls s --passphrase-file new
expect_exit 5 q ls s --passphrase-file old
expect_ok q keystore s check --passphrase-file third
LAST_RC=0
"$QSARC" get s a --passphrase-file third >g.dat 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] && cmp -s g.dat a.dat || fail "get with the third passphrase: exit $LAST_RC"
snapshot data.after2 s/data s/streams s/expired s/index s/config
diff data.before data.after2 >/dev/null || fail "the second passphrase change rewrote data"
# New data after the change is readable with the current passphrase.
gen_file 2303 300K c.dat
expect_ok q put s c --input c.dat --passphrase-file third
LAST_RC=0
"$QSARC" get s c --passphrase-file third >g.dat 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] && cmp -s g.dat c.dat || fail "put/get after two passphrase changes failed"
note "passphrase change took $((t_b - t_a)) ms; $ndata data files untouched"
exit 0
