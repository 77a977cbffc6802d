# Progress of long jobs: on stderr when it is a terminal, silent when it is
# not unless --progress, never on stdout; --no-progress silences it on a
# terminal; a stream written to stdout stays byte-exact while progress is
# drawn.  The terminal is a pseudo-terminal from script(1) (util-linux).
. "$CLI_DIR/lib.sh"

command -v script >/dev/null 2>&1 || skip "script(1) (util-linux) is not installed"
script -qfec true /dev/null </dev/null >/dev/null 2>&1 ||
	skip "script(1) cannot open a pseudo-terminal here"

# in_tty CMDLINE: run CMDLINE (a shell command line) with a pseudo-terminal
# as its stdin, stdout and stderr (unless it redirects them); what reached
# the terminal goes to tty.log.  Sets LAST_RC.
in_tty() {
	LAST_RC=0
	script -qfec "$1" /dev/null </dev/null >tty.log 2>&1 || LAST_RC=$?
}

# A progress line: "\rput: 12.0 MiB  100.0 MiB/s" (and "/ total  ETA" for
# get).  has_progress FILE WHAT
has_progress() {
	tr '\r' '\n' <"$1" | grep -qE "^$2: [0-9.]+ (B|KiB|MiB|GiB)"
}

size=24M
[ "$QSARC_SANITIZED" = 1 ] && size=8M
gen_file 7 "$size" big.bin
expect_ok q init s
Q="'$QSARC'"

# put with stderr on a terminal: a progress line on the terminal.
in_tty "$Q put '$PWD/s' t1 --input '$PWD/big.bin'"
[ "$LAST_RC" -eq 0 ] || fail "put in a terminal: exit $LAST_RC: $(head -c 300 tty.log)"
has_progress tty.log put || fail "put in a terminal showed no progress: $(head -c 300 tty.log | cat -v)"
grep -q $'\r' tty.log || fail "the progress line is not redrawn with carriage returns"

# The same with --no-progress: nothing but at most the summary line.
in_tty "$Q put '$PWD/s' t2 --input '$PWD/big.bin' --no-progress"
[ "$LAST_RC" -eq 0 ] || fail "put --no-progress in a terminal: exit $LAST_RC"
has_progress tty.log put && fail "put --no-progress still drew progress"

# stdout on the terminal but stderr redirected to a file: no progress
# anywhere (it follows stderr, not stdout).
in_tty "$Q put '$PWD/s' t3 --input '$PWD/big.bin' 2>'$PWD/e3'"
[ "$LAST_RC" -eq 0 ] || fail "put with stderr to a file: exit $LAST_RC"
has_progress tty.log put && fail "put drew progress on the terminal with stderr redirected"
has_progress e3 put && fail "put drew progress into a stderr file without --progress"

# No terminal at all: silent; with --progress, the progress goes to the
# stderr file, and stdout (the --json summary) holds only the JSON.
expect_ok q put s t4 --input big.bin
[ -s "$ERR" ] && fail "put without a terminal wrote to stderr: $(head -c 200 "$ERR")"
[ -s "$OUT" ] && fail "put without a terminal wrote to stdout"
expect_ok q put s t5 --input big.bin --progress --json
has_progress "$ERR" put || fail "put --progress wrote no progress to the stderr file"
grep -q $'\r' "$OUT" && fail "progress reached stdout"
"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["name"] == "t5", d' "$OUT" ||
	fail "put --progress --json: stdout is not the JSON summary alone"

# get: the stream on stdout stays byte-exact while the terminal shows
# progress on stderr.
in_tty "$Q get '$PWD/s' t1 >'$PWD/out1.bin'"
[ "$LAST_RC" -eq 0 ] || fail "get with stderr on a terminal: exit $LAST_RC: $(head -c 300 tty.log | cat -v)"
has_progress tty.log get || fail "get with stderr on a terminal showed no progress"
cmp -s big.bin out1.bin || fail "get's stdout differs from the stream while progress was shown"
# And with --progress into a file, no terminal anywhere.
LAST_RC=0
"$QSARC" get s t4 --progress >out2.bin 2>"$ERR" || LAST_RC=$?
crash_check "get --progress"
[ "$LAST_RC" -eq 0 ] || fail "get --progress: exit $LAST_RC"
has_progress "$ERR" get || fail "get --progress wrote no progress to the stderr file"
cmp -s big.bin out2.bin || fail "get --progress: stdout differs from the stream"
LAST_RC=0
"$QSARC" get s t4 >out3.bin 2>"$ERR" || LAST_RC=$?
[ "$LAST_RC" -eq 0 ] || fail "get: exit $LAST_RC"
[ -s "$ERR" ] && fail "get without a terminal wrote to stderr: $(head -c 200 "$ERR")"
cmp -s big.bin out3.bin || fail "get: stdout differs from the stream"

# clean, a batch job: silent without a terminal, progress with --progress,
# and its summary on stdout free of progress.
expect_ok q rm s t2 t3 t4
expect_ok q clean s
[ -s "$ERR" ] && fail "clean without a terminal wrote to stderr: $(head -c 200 "$ERR")"
grep -q $'\r' "$OUT" && fail "clean: progress reached stdout"
expect_ok q rm s t5
expect_ok q clean s --progress --json
grep -q $'\r' "$OUT" && fail "clean --progress: progress reached stdout"
"$PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$OUT" ||
	fail "clean --progress --json: stdout is not JSON"
restores s t1 big.bin
exit 0
