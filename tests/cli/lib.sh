# Shared helpers of the CLI scenarios (sourced by tests/cli/t_*.sh).
#
# The runner (tests/cli/run.sh) starts each scenario with bash in a fresh
# empty temporary directory as the current directory, and exports:
#   QSARC       absolute path of the binary under test
#   CLI_DIR     absolute path of tests/cli
#   DATA_DIR    absolute path of tests/data
#   QSARC_STRESS=1     run the long variants
#   QSARC_SANITIZED=1  the binary is an ASan/UBSan build: shrink big tests
#
# Conventions: a scenario exits 0 if everything checked out and non-zero
# otherwise (fail() does that).  Lines starting with "NOTE:", "SKIP:" or
# "KNOWN BUG:" are shown by the runner even when the scenario passes.

set -u
set -o pipefail

: "${QSARC:?QSARC must name the qsarc binary}"
CLI_DIR=${CLI_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
DATA_DIR=${DATA_DIR:-$(cd "$CLI_DIR/.." && pwd)/data}
QSARC_STRESS=${QSARC_STRESS:-0}
QSARC_SANITIZED=${QSARC_SANITIZED:-0}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# Output and error of the last run_q / expect_* command.
OUT=$PWD/.last.out
ERR=$PWD/.last.err
LAST_RC=0

# Never read a terminal for a passphrase, never show progress bars.
unset QSARC_PASSPHRASE QSARC_CRASH_AT QSARC_ENOSPC_AT QSARC_COUNT_FILE
export QSARC_STATE_DIR=$PWD/state

KNOWN_BUGS=0

# fail MSG...: report a failed check (with the last stderr) and exit.
fail() {
	echo "FAIL: $*" >&2
	if [ -s "$ERR" ]; then
		echo "---- stderr of the last command:" >&2
		head -c 2000 "$ERR" >&2
		echo "----" >&2
	fi
	exit 1
}

# note MSG...: an informative line the runner shows.
note() {
	echo "NOTE: $*"
}

# skip MSG...: the whole scenario does not apply here; passes.
skip() {
	echo "SKIP: $*"
	exit 0
}

# known_bug MSG...: a check failed because of a known product bug; report
# it loudly but do not fail the run.  List it in the report for the lead.
known_bug() {
	echo "KNOWN BUG: $*"
	KNOWN_BUGS=$((KNOWN_BUGS + 1))
}

# assert MSG CMD ARGS...: fail with MSG unless CMD succeeds.
assert() {
	local msg=$1
	shift
	"$@" || fail "$msg"
}

# q ARGS...: run qsarc.
q() {
	"$QSARC" "$@"
}

# run_q ARGS...: run qsarc with stdin from /dev/null unless redirected by
# the caller, capturing stdout in $OUT and stderr in $ERR; sets LAST_RC.
# Never fails itself.
run_q() {
	LAST_RC=0
	"$QSARC" "$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	crash_check "$*"
	return 0
}

# crash_check WHAT: fail if the last exit status was a signal (>= 128)
# or the sanitizers reported something.
crash_check() {
	if [ "$LAST_RC" -ge 128 ]; then
		fail "qsarc $1: died with status $LAST_RC (signal $((LAST_RC - 128)))"
	fi
	if grep -qE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$ERR" 2>/dev/null; then
		fail "qsarc $1: sanitizer report"
	fi
}

# expect_exit CODE CMD ARGS...: run CMD (a qsarc subcommand line when CMD
# is "q", else any command), expect exit status CODE.  stdout -> $OUT,
# stderr -> $ERR.  Standard input is inherited (redirect at the call).
expect_exit() {
	local want=$1
	shift
	LAST_RC=0
	if [ "$1" = q ]; then
		shift
		"$QSARC" "$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	else
		"$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	fi
	crash_check "$*"
	[ "$LAST_RC" -eq "$want" ] ||
		fail "$*: exit $LAST_RC, expected $want"
}

# expect_ok CMD ARGS...: expect_exit 0.
expect_ok() {
	expect_exit 0 "$@"
}

# expect_stderr_match REGEX CMD ARGS...: run as expect_exit does (any
# status below 128) and require stderr to match the extended REGEX.
expect_stderr_match() {
	local re=$1
	shift
	LAST_RC=0
	if [ "$1" = q ]; then
		shift
		"$QSARC" "$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	else
		"$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	fi
	crash_check "$*"
	grep -qE -- "$re" "$ERR" ||
		fail "$*: stderr does not match /$re/"
}

# expect_fail CODE REGEX CMD ARGS...: both: exit CODE and stderr matching.
expect_fail() {
	local want=$1 re=$2
	shift 2
	expect_exit "$want" "$@"
	grep -qE -- "$re" "$ERR" ||
		fail "$*: exit $want as expected but stderr does not match /$re/"
}

# err_matches REGEX: the last command's stderr matches.
err_matches() {
	grep -qE -- "$1" "$ERR"
}

# gen SEED SIZE [ZERO_PERCENT]: write SIZE bytes (K/M/G suffixes, powers of
# 1024) of deterministic pseudo-random data from integer SEED to stdout.
# With ZERO_PERCENT, that share of 64 KiB..1 MiB runs are zeros instead.
# With GEN_SHA=FILE in the environment, the sha256 (hex) of what was
# written goes to FILE at the end.
gen() {
	"$PY" - "$@" <<'EOF'
import hashlib, os, random, sys
seed = int(sys.argv[1]); size = sys.argv[2]
mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
n = int(size[:-1]) * mult[size[-1]] if size[-1] in mult else int(size)
zero = int(sys.argv[3]) if len(sys.argv) > 3 else 0
r = random.Random(seed)
out = sys.stdout.buffer
shaf = os.environ.get("GEN_SHA")
h = hashlib.sha256() if shaf else None
zeros = bytes(1 << 20)
while n > 0:
    k = min(n, r.randint(64 << 10, 1 << 20))
    if zero and r.randrange(100) < zero:
        b = zeros[:k]
    else:
        b = r.randbytes(k)
    if h:
        h.update(b)
    try:
        out.write(b)
    except BrokenPipeError:
        sys.exit(1)
    n -= k
out.flush()
if h:
    with open(shaf, "w") as f:
        f.write(h.hexdigest() + "\n")
EOF
}

# gen_file SEED SIZE FILE [ZERO_PERCENT]
gen_file() {
	gen "$1" "$2" ${4:+"$4"} >"$3" || fail "gen $1 $2 failed"
}

# sha FILE: the sha256 hex of FILE (or of stdin with "-").
sha() {
	sha256sum "${1:--}" | cut -d' ' -f1
}

# json_get KEY [FILE]: print field KEY of the JSON object in FILE (default
# $OUT).  KEY may be a dotted path, with numbers as list indices.
json_get() {
	"$PY" -c '
import json, sys
v = json.load(open(sys.argv[2]))
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1" "${2:-$OUT}" || fail "json_get $1: no such field or not JSON"
}

# ls_names STORE [--expired]: the stream names, one a line, from ls --json.
# Leaves $OUT and $ERR alone.
ls_names() {
	local store=$1
	shift
	# Its own stderr file, so that $ERR still holds the last command's.
	local rc=0
	"$QSARC" ls "$store" --json "$@" >"$OUT.ls" 2>"$ERR.ls" || rc=$?
	if [ $rc -ne 0 ]; then
		cp "$ERR.ls" "$ERR"
		fail "ls $store $*: exit $rc"
	fi
	"$PY" -c '
import json, sys
for s in json.load(open(sys.argv[1]))["streams"]:
    print(s["name"])' "$OUT.ls" || fail "ls --json output is not JSON"
}

# has_stream STORE NAME [--expired]: true if NAME is listed.
has_stream() {
	local store=$1 name=$2
	shift 2
	local names
	names=$(ls_names "$store" "$@") || exit 1
	printf '%s\n' "$names" | grep -qxF -- "$name"
}

# roundtrip STORE NAME FILE: put FILE as NAME, get it back, compare.
roundtrip() {
	expect_ok q put "$1" "$2" --input "$3"
	"$QSARC" get "$1" "$2" >"$PWD/.rt.out" 2>"$ERR" ||
		fail "get $1 $2: exit $?"
	cmp -s "$3" "$PWD/.rt.out" || fail "round trip of $3 as $2 differs"
	rm -f "$PWD/.rt.out"
}

# restores STORE NAME FILE: get NAME and compare with FILE (no put).
restores() {
	local rc=0
	"$QSARC" get "$1" "$2" >"$PWD/.rs.out" 2>"$ERR" || rc=$?
	[ "$rc" -eq 0 ] || fail "get $1 $2: exit $rc"
	cmp -s "$3" "$PWD/.rs.out" || fail "get $1 $2 differs from $3"
	rm -f "$PWD/.rs.out"
}

# now_ms: milliseconds since the epoch.
now_ms() {
	date +%s%3N
}

# flip_byte FILE OFFSET: xor the byte at OFFSET with 0xff, in place.
flip_byte() {
	"$PY" - "$1" "$2" <<'EOF' || fail "flip_byte $1 $2"
import os, sys
p, off = sys.argv[1], int(sys.argv[2])
with open(p, "r+b") as f:
    f.seek(off)
    b = f.read(1)
    if len(b) != 1:
        sys.exit("offset beyond end")
    f.seek(off)
    f.write(bytes([b[0] ^ 0xFF]))
EOF
}

# file_size FILE
file_size() {
	stat -c %s "$1"
}
