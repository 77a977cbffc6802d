# Encryption at rest: passphrase sources and limits.
#  - a wrong passphrase gives exit 5, names where it was read from
#    (--passphrase-file path, --passphrase-fd, QSARC_PASSPHRASE) and
#    changes nothing in the store or the backup keystore;
#  - 255 bytes work (all 255 count), 256 are refused, empty is refused;
#  - one trailing newline of a file/fd is stripped, not two;
#  - --passphrase-fd and QSARC_PASSPHRASE work; the file beats the
#    environment; no source and no terminal is an error, not a hang.
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
KDF="--kdf-time 1 --kdf-memory 8M"

# snapshot OUT DIR...: path, mode, size, mtime and sha256 of every file
# (and mode of every directory) under DIR..., to compare before/after.
snapshot() {
	local out=$1
	shift
	"$PY" - "$@" >"$out" <<'EOF' || fail "snapshot failed"
import hashlib, os, sys
for top in sys.argv[1:]:
    for root, dirs, files in os.walk(top):
        dirs.sort()
        st = os.stat(root)
        print("D", root, oct(st.st_mode))
        for f in sorted(files):
            p = os.path.join(root, f)
            st = os.stat(p)
            if f == "lock":
                # Holds who has the lock: rewritten by any exclusive open.
                print("F", p, oct(st.st_mode))
                continue
            h = hashlib.sha256(open(p, "rb").read()).hexdigest()
            print("F", p, oct(st.st_mode), st.st_size, st.st_mtime_ns, h)
EOF
}

printf 'correct horse battery staple\n' >pw
printf 'correct horse battery stapl\n' >bad
gen_file 2001 300K a.dat
gen_file 2002 200K b.dat
expect_ok q init s --encrypt $KDF --passphrase-file pw
expect_ok q put s a --input a.dat --passphrase-file pw
snapshot before s state

# ---- wrong passphrase from each source, on every kind of command.
wrong_file() {
	expect_exit 5 q "$@" --passphrase-file bad
	err_matches "wrong passphrase" || fail "$1 (wrong passphrase file): message does not say 'wrong passphrase'"
	err_matches "passphrase read from bad" || fail "$1 (wrong passphrase file): message does not name the file 'bad'"
}
wrong_fd() {
	LAST_RC=0
	"$QSARC" "$@" --passphrase-fd 3 3<bad >"$OUT" 2>"$ERR" || LAST_RC=$?
	crash_check "$* --passphrase-fd 3"
	[ $LAST_RC -eq 5 ] || fail "$1 (wrong passphrase on fd 3): exit $LAST_RC, expected 5"
	err_matches "passphrase read from --passphrase-fd" || fail "$1: message does not name --passphrase-fd"
}
wrong_env() {
	LAST_RC=0
	QSARC_PASSPHRASE='not it' "$QSARC" "$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	crash_check "$* (QSARC_PASSPHRASE)"
	[ $LAST_RC -eq 5 ] || fail "$1 (wrong QSARC_PASSPHRASE): exit $LAST_RC, expected 5"
	err_matches "passphrase read from QSARC_PASSPHRASE" || fail "$1: message does not name QSARC_PASSPHRASE"
}
n=0
for how in wrong_file wrong_fd wrong_env; do
	$how ls s
	$how get s a --output got.dat
	[ ! -e got.dat ] || fail "get --output with a wrong passphrase created the output file"
	$how put s b --input b.dat
	$how stats s
	$how keys s
	$how rm s a
	$how rekey s
	$how rekey s --mode static
	n=$((n + 8))
done
# rekey --change-passphrase: the current one is wrong.
printf 'new one\n' >new
expect_exit 5 q rekey s --change-passphrase --new-passphrase-file new --passphrase-file bad
err_matches "passphrase read from bad" || fail "rekey --change-passphrase: message does not name the file"
n=$((n + 1))
# keystore check/restore also refuse with exit 5; their message should say
# where the passphrase came from too.
unnamed=""
for action in "check" "restore --from backup" "restore --from primary"; do
	expect_exit 5 q keystore s $action --passphrase-file bad
	n=$((n + 1))
	err_matches "read from bad" || unnamed="$unnamed '$action'"
done
[ -z "$unnamed" ] ||
	fail "qsarc keystore s {$unnamed } --passphrase-file bad: exit 5 as expected, but the message does not name where the passphrase was read from (e.g. '$(head -n1 "$ERR")')"
snapshot after s state
diff before after >snap.diff || { cat snap.diff; fail "the store or its backup keystore changed after $n wrong-passphrase attempts"; }
note "$n wrong-passphrase attempts: all exit 5, store and backup byte-identical (sha256, mode, mtime)"

# ---- the right passphrase from each source.
LAST_RC=0
"$QSARC" get s a --passphrase-file pw >g.dat 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] && cmp -s g.dat a.dat || fail "get with --passphrase-file: exit $LAST_RC or wrong bytes"
LAST_RC=0
"$QSARC" get s a --passphrase-fd 3 3<pw >g.dat 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] && cmp -s g.dat a.dat || fail "get with --passphrase-fd: exit $LAST_RC or wrong bytes"
LAST_RC=0
QSARC_PASSPHRASE='correct horse battery staple' "$QSARC" get s a >g.dat 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] && cmp -s g.dat a.dat || fail "get with QSARC_PASSPHRASE: exit $LAST_RC or wrong bytes"
# put with the stream on stdin and the passphrase on fd 3 (from a pipe).
LAST_RC=0
printf 'correct horse battery staple' | "$QSARC" put s b --passphrase-fd 3 3<&0 <b.dat >"$OUT" 2>"$ERR" || LAST_RC=$?
crash_check "put --passphrase-fd 3 from a pipe"
[ $LAST_RC -eq 0 ] || fail "put with the passphrase on a pipe (fd 3): exit $LAST_RC"
LAST_RC=0
"$QSARC" get s b --passphrase-file pw >g.dat 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] && cmp -s g.dat b.dat || fail "stream put with --passphrase-fd does not restore"
# The file wins over the environment (documented order: file, fd, env).
LAST_RC=0
QSARC_PASSPHRASE=wrong "$QSARC" ls s --passphrase-file pw >"$OUT" 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] || fail "--passphrase-file should take precedence over QSARC_PASSPHRASE (exit $LAST_RC)"

# ---- trailing newlines: one is stripped, a second one is part of it.
printf 'correct horse battery staple\n\n' >pw2nl
expect_exit 5 q ls s --passphrase-file pw2nl
printf 'correct horse battery staple\r\n' >pwcrlf
expect_ok q ls s --passphrase-file pwcrlf
printf 'correct horse battery staple' >pwnonl
expect_ok q ls s --passphrase-file pwnonl

# ---- no source at all and no terminal: exit 5 (missing passphrase), no prompt.
if command -v setsid >/dev/null 2>&1; then
	LAST_RC=0
	setsid -w "$QSARC" ls s </dev/null >"$OUT" 2>"$ERR" || LAST_RC=$?
	crash_check "ls without a passphrase"
	[ $LAST_RC -eq 5 ] || fail "ls of an encrypted store without any passphrase source: exit $LAST_RC, expected 5 (missing passphrase)"
	err_matches "no passphrase" || fail "ls without a passphrase: message does not say so"
fi

# ---- lengths: 255 bytes work, and every one of them counts.
"$PY" -c 'import sys; sys.stdout.buffer.write(bytes((33 + i % 90) for i in range(255)))' >p255
"$PY" -c 'import sys; sys.stdout.buffer.write(bytes((33 + i % 90) for i in range(254)))' >p254
"$PY" -c 'import sys; sys.stdout.buffer.write(bytes((33 + i % 90) for i in range(254)) + b"#")' >p255x
"$PY" -c 'import sys; sys.stdout.buffer.write(bytes((33 + i % 90) for i in range(256)))' >p256
"$PY" -c 'import sys; sys.stdout.buffer.write(bytes((33 + i % 90) for i in range(256)) + b"\n")' >p256nl
{ cat p255; echo; } >p255nl
[ "$(file_size p255)" -eq 255 ] || fail "test setup: p255 is not 255 bytes"
expect_ok q init s255 --encrypt $KDF --passphrase-file p255
expect_ok q put s255 a --input a.dat --passphrase-file p255nl
LAST_RC=0
QSARC_PASSPHRASE=$(cat p255) "$QSARC" get s255 a >g.dat 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] && cmp -s g.dat a.dat || fail "255-byte passphrase via QSARC_PASSPHRASE: exit $LAST_RC or wrong bytes"
expect_exit 5 q ls s255 --passphrase-file p254
expect_exit 5 q ls s255 --passphrase-file p255x

# 256 bytes: refused (not truncated to 255, not a wrong passphrase).
for f in p256 p256nl; do
	expect_exit 1 q ls s255 --passphrase-file $f
	err_matches "more than 255" || fail "ls with a 256-byte passphrase ($f): message does not give the limit"
done
LAST_RC=0
QSARC_PASSPHRASE=$(cat p256) "$QSARC" ls s255 >"$OUT" 2>"$ERR" || LAST_RC=$?
crash_check "ls with a 256-byte QSARC_PASSPHRASE"
[ $LAST_RC -eq 1 ] && err_matches "QSARC_PASSPHRASE is more than 255" ||
	fail "256-byte QSARC_PASSPHRASE: exit $LAST_RC, expected 1 with a message naming the source and the limit"
expect_exit 1 q init s256 --encrypt $KDF --passphrase-file p256
err_matches "more than 255" || fail "init with a 256-byte passphrase: message does not give the limit"
[ ! -e s256/config ] || fail "init with a 256-byte passphrase made a store"

# Empty: refused, from each source.
: >empty
printf '\n' >justnl
for f in empty justnl; do
	expect_exit 1 q ls s --passphrase-file $f
	err_matches "1 to 255 bytes" || fail "empty passphrase ($f): message does not give the allowed length"
	expect_exit 1 q init se --encrypt $KDF --passphrase-file $f
	[ ! -e se/config ] || fail "init with an empty passphrase made a store"
done
LAST_RC=0
"$QSARC" ls s --passphrase-fd 3 3</dev/null >"$OUT" 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 1 ] && err_matches "from --passphrase-fd is 0 bytes" || fail "empty passphrase on fd: exit $LAST_RC"
LAST_RC=0
QSARC_PASSPHRASE= "$QSARC" ls s >"$OUT" 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 1 ] && err_matches "QSARC_PASSPHRASE is 0 bytes" || fail "empty QSARC_PASSPHRASE: exit $LAST_RC"
# A missing passphrase file is an error naming it (1 or 3, not 5).
run_q ls s --passphrase-file nosuch
[ $LAST_RC -eq 5 ] || fail "missing passphrase file: exit $LAST_RC, expected 5 (no passphrase to be had)"
err_matches "nosuch" || fail "missing passphrase file: message does not name it"
# A bad descriptor number is a usage error.
expect_exit 2 q ls s --passphrase-fd x
exit 0
