# Progress of long jobs: on stderr when it is a terminal, silent when it is
# not unless --progress, never on stdout; --no-progress silences it on a
# terminal; a stream written to stdout stays byte-exact while progress is
# drawn.  The terminal is a pseudo-terminal from script(1) (util-linux).
# Issue 16 item 14: the line is redrawn on a timer (twice a second, with
# the elapsed time, new against deduplicated bytes, an ETA where the size
# is known), also while the input stalls; verify --read-data, clean, rekey
# --mode and replicate draw it too; SIGUSR1 gets a one-line status from a
# job that looks stuck, whatever the progress settings.
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
	tr '\r' '\n' <"$1" | grep -E "^$2: [0-9.]+ (B|KiB|MiB|GiB)" >/dev/null
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

# ---- issue 16 item 14 ------------------------------------------------------

# lines FILE WHAT: the progress lines of WHAT, one per redraw.
lines() {
	tr '\r' '\n' <"$1" | grep -E "^$2: " || true
}

# A timer, not a byte count: a stream that stalls for 1.6 s after 2 MiB
# shows the clock running (several redraws with "elapsed") before its end;
# every 64 MiB, a stream this small showed one line, at the end.
gen_file 21 6M s1.bin
LAST_RC=0
{ head -c 2M s1.bin; sleep 1.6; tail -c +$((2 * 1024 * 1024 + 1)) s1.bin; } |
    "$QSARC" put s slow --progress >"$OUT" 2>"$ERR" || LAST_RC=$?
crash_check "put slow --progress"
[ "$LAST_RC" -eq 0 ] || fail "put of a stalling pipe: exit $LAST_RC"
n=$(lines "$ERR" put | grep -c 'elapsed')
[ "$n" -ge 3 ] || fail "put of a stream that stalls 1.6 s: $n redraws with the elapsed time, expected 3 or more (twice a second): $(tr '\r' '\n' <"$ERR" | head -n 5)"
lines "$ERR" put | grep -E '0:0[12] elapsed' >/dev/null ||
	fail "put: the elapsed time never reached 0:01 during the stall: $(lines "$ERR" put | tail -n 2)"
lines "$ERR" put | grep -E ' in, [0-9.]+ (B|KiB|MiB) new, [0-9.]+ (B|KiB|MiB) dedup' >/dev/null ||
	fail "put: no new/deduplicated split in the progress line: $(lines "$ERR" put | tail -n 1)"
restores s slow s1.bin

# A file of known size: "done / total" and an ETA; the same data again is
# all deduplicated by the last line.
expect_ok q put s known --input s1.bin --progress
last=$(lines "$ERR" put | tail -n 1)
echo "$last" | grep -qE '^put: 6\.0 MiB / 6\.0 MiB in, 0 B new, 6\.0 MiB dedup, .* elapsed, ETA [0-9]+:[0-9]{2}' ||
	fail "put --input of a known size: last line '$last', expected 6.0 MiB / 6.0 MiB, 0 B new, 6.0 MiB dedup and an ETA"

# verify --read-data: bytes read.
expect_ok q verify s --read-data --progress
lines "$ERR" verify | grep -E '^verify: [0-9.]+ (KiB|MiB|GiB)' >/dev/null ||
	fail "verify --read-data --progress drew no progress: $(head -c 300 "$ERR" | tr '\r' '\n')"
expect_ok q verify s --progress
[ -n "$(lines "$ERR" verify)" ] &&
	fail "verify without --read-data drew a progress line (nothing to count)"

# clean: each step a phase with its count ("clean mark: 3 / 3 streams").
expect_ok q rm s known
expect_ok q clean s --progress
tr '\r' '\n' <"$ERR" | grep -E '^clean mark: [0-9]+ / [0-9]+ streams' >/dev/null ||
	fail "clean --progress: no 'clean mark: N / M streams' line: $(tr '\r' '\n' <"$ERR" | head -n 3)"

# rekey --mode: containers re-encrypted, of how many.
enc_setup 'progress test passphrase'
expect_ok q init e --encrypt $P $KDF
expect_ok q put e x --input s1.bin $P
expect_ok q rekey e --mode static $P --progress
lines "$ERR" rekey | grep -E '^rekey: [0-9]+ / [0-9]+ containers' >/dev/null ||
	fail "rekey --mode --progress: no 'rekey: N / M containers' line: $(tr '\r' '\n' <"$ERR" | head -n 3)"

# replicate: each stream a phase, bytes of its known length.
expect_ok q init r
expect_ok q replicate s r slow --progress
tr '\r' '\n' <"$ERR" | grep -E '^replicate slow: [0-9.]+ (B|KiB|MiB) / 6\.0 MiB in' >/dev/null ||
	fail "replicate --progress: no 'replicate slow: N / 6.0 MiB' line: $(tr '\r' '\n' <"$ERR" | head -n 3)"
restores r slow s1.bin

# SIGUSR1: a put whose input stopped answers with one status line on
# stderr, without --progress and without a terminal, and carries on (the
# default action of SIGUSR1 killed it).
mkfifo stuck.fifo
LAST_RC=0
"$QSARC" put s stuck --input stuck.fifo >stuck.out 2>stuck.err &
pid=$!
exec 7>stuck.fifo
head -c 1M s1.bin >&7
got=0
for i in $(seq 50); do
	sleep 0.2
	kill -USR1 $pid 2>/dev/null || break
	# (The first answers may come before the first MiB is read.)
	if grep -q '^qsarc: put: status: 1\.0 MiB in' stuck.err; then
		got=1
		break
	fi
done
head -c 2M s1.bin | tail -c 1M >&7
exec 7>&-
wait $pid || LAST_RC=$?
[ "$LAST_RC" -eq 0 ] || fail "put after SIGUSR1: exit $LAST_RC (signal $((LAST_RC - 128)) if above 128): $(head -c 300 stuck.err)"
[ $got = 1 ] || fail "SIGUSR1: no 'qsarc: put: status:' line on stderr: $(head -c 300 stuck.err)"
grep -qE '^qsarc: put: status: 1\.0 MiB in, .* elapsed, last change [0-9]+:[0-9]{2} ago$' stuck.err ||
	fail "SIGUSR1: the status line lacks the figures: $(grep status stuck.err | head -n 1)"
[ "$(grep -c 'status' stuck.err)" -ge 1 ] && [ "$(tr -cd '\r' <stuck.err | wc -c)" -eq 0 ] ||
	fail "SIGUSR1 without --progress drew progress lines too"
head -c 2M s1.bin >want.bin
restores s stuck want.bin
exit 0
