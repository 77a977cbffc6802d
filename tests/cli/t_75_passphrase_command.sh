# --passphrase-command CMD / QSARC_PASSPHRASE_COMMAND (issue 16 item 13),
# as restic's --password-command and borg's BORG_PASSCOMMAND:
#  - CMD runs under /bin/sh -c; the first line of its output is the
#    passphrase (the rest is ignored, a trailing CR dropped), for every
#    command that reads one (init --encrypt, put, get, ls, verify, keystore
#    check, rekey --new-passphrase-command, replicate's two sides);
#  - its standard input is /dev/null: the tar stream put reads from stdin
#    is not eaten; its standard error is ours;
#  - a non-zero exit, a kill, no output or an empty first line: a clear
#    error and exit 5 (no passphrase); a wrong one is exit 5 naming the
#    source; one longer than 255 bytes is refused as from a file (exit 1);
#  - with --passphrase-file or --passphrase-fd: usage error (exit 2);
#  - an option beats QSARC_PASSPHRASE_COMMAND, which beats QSARC_PASSPHRASE;
#  - a plain store refuses it without running it;
#  - the command's environment holds no QSARC_PASSPHRASE.
. "$CLI_DIR/lib.sh"

KDF="--kdf-time 1 --kdf-memory 8M"
PW='pass phrase for t_75'
printf '%s\n' "$PW" >pw
chmod 600 pw
C="cat $PWD/pw"
unset QSARC_PASSPHRASE QSARC_PASSPHRASE_COMMAND
gen_file 7501 200K a.dat
tar cf t.tar a.dat

# ---- init and put, the output's later lines ignored.
expect_ok q init e --encrypt $KDF --keystore-backup "$PWD/kb.qsk" \
	--passphrase-command "cat $PWD/pw; echo a second line"
# The command cannot read the stream from put's standard input.
expect_ok q put e t --passphrase-command "head -c 4096 >/dev/null; $C" <t.tar
expect_ok q get e t --passphrase-file pw
cmp -s "$OUT" t.tar || fail "put with a passphrase command that reads stdin: the stream differs"
expect_ok q get e t --passphrase-command "printf '%s\r\n' '$PW'"
cmp -s "$OUT" t.tar || fail "get with --passphrase-command (CRLF) gave other bytes"
for sub in ls stats verify keys; do
	expect_ok q $sub e --passphrase-command "$C"
done
expect_ok q keystore e check --passphrase-command "$C"
mkdir x
QSARC_PASSPHRASE_COMMAND="$C" expect_ok q get e t --member a.dat --extract-to x
cmp -s x/a.dat a.dat || fail "get --member with QSARC_PASSPHRASE_COMMAND gave other bytes"

# ---- failures: exit 5, the reason said; the command's stderr shown.
expect_exit 5 q ls e --passphrase-command 'echo the vault is locked >&2; exit 3'
grep -q 'the --passphrase-command failed (exit 3)' "$ERR" || fail "exit 3 of the command: $(cat "$ERR")"
grep -q 'the vault is locked' "$ERR" || fail "the command's stderr is not shown: $(cat "$ERR")"
expect_exit 5 q ls e --passphrase-command 'true'
grep -q 'printed nothing' "$ERR" || fail "a command printing nothing: $(cat "$ERR")"
expect_exit 5 q ls e --passphrase-command "echo; $C"
grep -q 'empty first line' "$ERR" || fail "an empty first line: $(cat "$ERR")"
expect_exit 5 q ls e --passphrase-command 'kill -9 $$'
grep -q 'killed by signal 9' "$ERR" || fail "a killed command: $(cat "$ERR")"
expect_exit 5 q ls e --passphrase-command "$C; exit 1"
grep -q 'failed (exit 1)' "$ERR" || fail "a command printing the passphrase, then failing, was trusted: $(cat "$ERR")"
expect_exit 5 q ls e --passphrase-command 'echo wrong'
grep -q 'passphrase read from --passphrase-command' "$ERR" || fail "wrong passphrase: source not named: $(cat "$ERR")"
QSARC_PASSPHRASE_COMMAND='exit 4' expect_exit 5 q ls e
grep -q 'the QSARC_PASSPHRASE_COMMAND failed (exit 4)' "$ERR" || fail "QSARC_PASSPHRASE_COMMAND failing: $(cat "$ERR")"
expect_exit 1 q ls e --passphrase-command "head -c 300 /dev/zero | tr '\\0' x"
grep -q 'more than 255' "$ERR" || fail "a 300-byte passphrase: $(cat "$ERR")"
timeout 60 "$QSARC" ls e --passphrase-command 'yes' >"$OUT" 2>"$ERR" && fail "a runaway command (yes) was accepted"
grep -q 'printed more than 65536 bytes' "$ERR" || fail "a runaway command: $(cat "$ERR")"
expect_exit 5 q ls e --passphrase-command '/nonexistent/vault-tool'
grep -q 'failed (exit 127)' "$ERR" || fail "a missing program: $(cat "$ERR")"

# ---- mutually exclusive with the file and the descriptor, either order.
expect_exit 2 q ls e --passphrase-command "$C" --passphrase-file pw
expect_exit 2 q ls e --passphrase-file pw --passphrase-command "$C"
expect_exit 2 q ls e --passphrase-fd 3 --passphrase-command "$C" 3<pw
grep -q 'mutually exclusive' "$ERR" || fail "no 'mutually exclusive': $(cat "$ERR")"
expect_exit 2 q rekey e --change-passphrase --new-passphrase-file pw --new-passphrase-command "$C"
expect_exit 2 q replicate e e2 --source-passphrase-fd 3 --source-passphrase-command "$C" 3<pw

# ---- precedence: an option over the environment; the command over
# QSARC_PASSPHRASE.
QSARC_PASSPHRASE_COMMAND='exit 1' expect_ok q ls e --passphrase-file pw
QSARC_PASSPHRASE_COMMAND='exit 1' expect_ok q ls e --passphrase-command "$C"
QSARC_PASSPHRASE=wrong QSARC_PASSPHRASE_COMMAND="$C" expect_ok q ls e
# Its environment: no QSARC_PASSPHRASE (nor the passphrase anywhere).
QSARC_PASSPHRASE=wrong QSARC_PASSPHRASE_COMMAND="env >$PWD/env.txt; $C" expect_ok q ls e
[ -s env.txt ] || fail "the passphrase command did not run"
grep -q '^QSARC_PASSPHRASE=' env.txt && fail "QSARC_PASSPHRASE is in the passphrase command's environment"
grep -qF "$PW" env.txt && fail "the passphrase is in the passphrase command's environment"

# ---- a plain store: refused, and the command is not run.
expect_ok q init p
expect_exit 5 q ls p --passphrase-command "touch $PWD/ran; $C"
[ -e ran ] && fail "the passphrase command ran for a plain store"
QSARC_PASSPHRASE_COMMAND="touch $PWD/ran; $C" expect_exit 5 q ls p
[ -e ran ] && fail "QSARC_PASSPHRASE_COMMAND ran for a plain store"

# ---- rekey: the new passphrase from a command.
printf 'the new one\n' >pw2
expect_ok q rekey e --change-passphrase --passphrase-command "$C" \
	--new-passphrase-command "cat $PWD/pw2"
expect_exit 5 q ls e --passphrase-command "$C"
expect_ok q ls e --passphrase-command "cat $PWD/pw2"

# ---- replicate: a command per side.
expect_ok q init e2 --encrypt $KDF --keystore-backup "$PWD/kb2.qsk" --passphrase-command "$C"
expect_ok q replicate e e2 --source-passphrase-command "cat $PWD/pw2" \
	--target-passphrase-command "$C"
expect_ok q get e2 t --passphrase-command "$C"
cmp -s "$OUT" t.tar || fail "replicated stream differs"
exit 0
