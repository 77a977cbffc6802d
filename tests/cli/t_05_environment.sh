# Errors of the environment: terminals, missing stores, non-store
# directories, unwritable outputs, readers that go away.
. "$CLI_DIR/lib.sh"

expect_ok q init s
gen_file 41 3M a.dat
roundtrip s a a.dat

# get to a terminal is refused (and put from one), via script(1).
if command -v script >/dev/null 2>&1 && script -qec true /dev/null </dev/null >/dev/null 2>&1; then
	rc=0
	script -qec "'$QSARC' get s a" /dev/null </dev/null >tty.log 2>&1 || rc=$?
	[ $rc -eq 2 ] || fail "get to a terminal: exit $rc, expected 2"
	grep -q 'terminal' tty.log || fail "get to a terminal: no message"
	[ "$(wc -c <tty.log)" -lt 1000 ] || fail "get to a terminal wrote the stream"
	# With --output the terminal does not matter.
	rc=0
	script -qec "'$QSARC' get s a --output $PWD/tty.out" /dev/null </dev/null >tty.log 2>&1 || rc=$?
	[ $rc -eq 0 ] || fail "get --output with a terminal stdout: exit $rc"
	cmp -s tty.out a.dat || fail "get --output with a terminal stdout differs"
else
	note "script(1) not available: terminal checks skipped"
fi

# A store that does not exist: exit 3, message naming the path.
for cmdline in "ls nostore" "stats nostore" "get nostore a" "rm nostore a" \
    "unexpire nostore a" "ls $PWD/no/such/dir"; do
	# shellcheck disable=SC2086
	expect_exit 3 q $cmdline </dev/null
	p=$(echo "$cmdline" | awk '{ print $2 }')
	grep -qF -- "$p" "$ERR" || fail "$cmdline: message does not name $p"
done
expect_fail 3 'nostore' q put nostore a --input a.dat
[ ! -e nostore ] || fail "put to a missing store created it"

# A directory that is not a store: exit 3.
mkdir plain
expect_fail 3 'plain' q put plain a --input a.dat
expect_fail 3 'plain' q ls plain
expect_fail 3 'plain' q get plain a
[ -z "$(ls -A plain)" ] || fail "put to a non-store directory wrote into it: $(ls -A plain)"
# A regular file as the store.
echo hello >afile
rc=0; "$QSARC" ls afile >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "ls afile"
[ $rc -eq 1 ] || [ $rc -eq 3 ] || fail "ls on a regular file: exit $rc"
err_matches afile || fail "ls on a regular file: message does not name it"

# init on a non-empty directory, on an existing store, on a file.
mkdir full && echo x >full/f
expect_exit 1 q init full
err_matches 'full' && err_matches 'empty' || fail "init on a non-empty directory: unclear message"
[ "$(ls -A full)" = f ] || fail "init on a non-empty directory changed it"
cp s/config config.before
expect_exit 1 q init s
cmp -s config.before s/config || fail "init over a store changed its config"
restores s a a.dat
rc=0; "$QSARC" init afile >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "init afile"
[ $rc -ne 0 ] || fail "init on a regular file succeeded"
[ "$(cat afile)" = hello ] || fail "init on a regular file changed it"
# init in an existing empty directory and in a new one both work.
mkdir empty
expect_ok q init empty
roundtrip empty x a.dat
rc=0; "$QSARC" init no/parent/here >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "init no/parent/here"
[ $rc -ne 0 ] && err_matches 'no/parent' || [ $rc -eq 0 ] ||
	fail "init with a missing parent: exit $rc, unclear message"

# --input that does not exist / is a directory.
rc=0; "$QSARC" put s b --input nosuchfile >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "put --input nosuchfile"
[ $rc -ne 0 ] || fail "put --input of a missing file succeeded"
err_matches nosuchfile || fail "put --input of a missing file: message does not name it"
has_stream s b && fail "failed put created stream b"
rc=0; "$QSARC" put s b --input "$PWD/plain" >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "put --input DIR"
[ $rc -ne 0 ] || fail "put --input of a directory succeeded"
cp "$ERR" isdir.err
has_stream s b && fail "failed put created stream b"
grep -qiE 'plain|directory' isdir.err ||
	known_bug "'qsarc put S N --input DIR' fails (exit $rc) with \"$(head -n1 isdir.err)\": names neither the file nor the reason (EISDIR)"

# Writing fails: /dev/full, a missing output directory.
rc=0; "$QSARC" get s a >/dev/full 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get >/dev/full"
[ $rc -eq 1 ] || fail "get to /dev/full: exit $rc, expected 1"
grep -qi 'space' "$ERR" || fail "get to /dev/full: message does not say no space"
rc=0; "$QSARC" get s a --output nodir/out >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get --output nodir/out"
[ $rc -ne 0 ] || fail "get --output into a missing directory succeeded"
err_matches nodir || fail "get --output nodir/out: message does not name the path"

# A failed get --output does not leave a partial or temporary file.
rc=0; "$QSARC" get s nosuch --output out.nosuch >"$OUT" 2>"$ERR" || rc=$?
[ $rc -eq 3 ] || fail "get --output of a missing stream: exit $rc"
[ ! -e out.nosuch ] || fail "get --output of a missing stream created the file"
ls -A | grep -q '^\.tmp-' && fail "failed get --output left a temporary file"

# A reader that goes away: an error exit, not a signal or a hang.
gen_file 42 40M big.dat
expect_ok q put s big --input big.dat
rc=0
"$QSARC" get s big 2>"$ERR" | head -c 1000 >head.out
rc=${PIPESTATUS[0]}
LAST_RC=$rc; crash_check "get | head"
[ $rc -eq 1 ] || fail "get into a closed pipe: exit $rc, expected 1"
cmp -s head.out <(head -c 1000 big.dat) || fail "get | head: wrong first bytes"

# Closed standard descriptors: put with stdin closed must fail or store an
# empty stream, never read one of the store's own files; get with stdout
# closed must fail, never write the stream into a store file.
rc=0
"$QSARC" put s closed <&- >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "put <&-"
if [ $rc -eq 0 ]; then
	"$QSARC" get s closed >closed.out 2>"$ERR" || fail "get closed"
	if [ -s closed.out ]; then
		known_bug "'qsarc put S N <&-' (stdin closed) exits 0 and stores $(wc -c <closed.out) bytes read from the store's own lock file (it got fd 0): \"$(head -c 40 closed.out | tr -c '[:print:]' '.')...\"; expected an error or an empty stream (open /dev/null on fds 0-2 at startup)"
	fi
fi
gen_file 43 5000 c.dat
expect_ok q put s c --input c.dat
find s -type f ! -name lock -exec sha256sum {} + | sort >files.before
lock_before=$(cat s/lock)
rc=0
"$QSARC" get s c >&- 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get >&-"
find s -type f ! -name lock -exec sha256sum {} + | sort >files.after
cmp -s files.before files.after || fail "get with stdout closed changed store files"
if [ $rc -eq 0 ]; then
	if cmp -s <(head -c 100 s/lock) <(head -c 100 c.dat); then
		known_bug "'qsarc get S N >&-' (stdout closed) exits 0 and writes the stream into STORE/lock (which got fd 1); expected a write error, exit 1"
	else
		known_bug "'qsarc get S N >&-' (stdout closed) exits 0; expected a write error (exit 1)"
	fi
fi
restores s c c.dat

# The lock file describes its last holder in one clean line (no stale
# bytes of a longer earlier description left behind).
expect_ok q ls s
expect_ok q put s "$(printf 'L%.0s' $(seq 150))" --input c.dat
expect_ok q ls s
if [ "$(wc -l <s/lock)" -gt 1 ] || ! grep -q '^pid [0-9]*, ls, since [0-9]*$' s/lock; then
	known_bug "STORE/lock is rewritten without truncation: after 'put' with a long name then 'ls' it holds \"$(tr '\n' '|' <s/lock | head -c 80)\" (stale bytes of the longer earlier line)"
fi
