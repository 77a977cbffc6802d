# Shared helpers of the CLI scenarios (sourced by tests/cli/t_*.sh).
#
# The runner (tests/cli/run.sh) starts each scenario with bash in a fresh
# empty temporary directory as the current directory, and exports:
#   QSARC       absolute path of the binary under test: the test build
#               (build/qsarc-test, with the QSARC_CRASH_AT/QSARC_TEST_NOW
#               hooks compiled in)
#   QSARC_RELEASE  absolute path of the release build (build/qsarc), or empty
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

# forget_streams_record: remove the stream set's generation records in
# $QSARC_STATE_DIR/keys (spec/FORMAT.md 14.2).  A test that copies a store
# and writes to the copy puts back an older copy of the store, which is
# what the record catches (SECURITY.md 5.2, t_30_rollback); forgetting it
# makes the copy's next write start a fresh record.
forget_streams_record() {
	rm -f "$QSARC_STATE_DIR"/keys/*.streams
	# The committed encrypted fixture (spec/vectors/stores.md) records its
	# backup keystore at this fixed path, so the generation record of every
	# copy of it lands beside it, shared by all tests and runs.
	rm -f /tmp/qsarc-vectors/store-encrypted.qsk.streams
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

# ---- helpers shared by several scenarios (added when their copies were
# merged; the scenario-specific variants stay in the scenarios).

# enc_setup PASSPHRASE: the usual start of an encryption scenario: $KDF
# (fast KDF options for init/encrypt), $T0 and $DAY (for at), PASSPHRASE
# plus a newline in ./pw, and $P, the option that reads it.
enc_setup() {
	KDF="--kdf-time 1 --kdf-memory 8M"
	DAY=86400
	T0=1700000000
	printf '%s\n' "$1" >pw
	P="--passphrase-file $PWD/pw"
}

# at TIME ARGS...: run qsarc as run_q does, with the clock at TIME (epoch
# seconds, QSARC_TEST_NOW); sets LAST_RC, never fails on the status.
at() {
	local t=$1
	shift
	LAST_RC=0
	QSARC_TEST_NOW=$t "$QSARC" "$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	crash_check "$* (at $t)"
}

# at_ok TIME ARGS...: at, and fail unless qsarc exited 0.
at_ok() {
	at "$@"
	[ "$LAST_RC" -eq 0 ] || fail "${*:2} (at $1): exit $LAST_RC"
}

# get_cmp STORE NAME FILE [OPTIONS...]: get NAME (into ./got.dat; the
# OPTIONS are word-split, so "$P" may be passed as one) and fail unless it
# exits 0 and equals FILE.  Failures start with "$CTX: " if CTX is set.
get_cmp() {
	local rc=0
	"$QSARC" get "$1" "$2" ${@:4} >got.dat 2>"$ERR" || rc=$?
	[ $rc -eq 0 ] || fail "${CTX:+$CTX: }get $1 $2 ${*:4}: exit $rc"
	cmp -s got.dat "$3" ||
		fail "${CTX:+$CTX: }get $1 $2 ${*:4}: bytes differ from $3"
}

# keys_json STORE OUT [OPTIONS...]: "keys STORE --json OPTIONS" into OUT;
# fail unless it exits 0.
keys_json() {
	"$QSARC" keys "$1" --json ${@:3} >"$2" 2>"$ERR" ||
		fail "keys $1 --json: exit $?"
}

# kq JSON EXPR: print the Python expression EXPR over the keys --json output
# in file JSON, with d the whole object and k its keys by id.
kq() {
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
k = {x["id"]: x for x in d["keys"]}
print(eval(sys.argv[2]))' "$1" "$2" || fail "kq $2 failed"
}

# pyjson EXPR: fail unless the Python expression EXPR is true over the JSON
# in $OUT (as j; same(a, b) compares two paths).
pyjson() {
	"$PY" -c '
import json, os, sys
same = lambda a, b: os.path.abspath(a) == os.path.abspath(b)
j = json.load(open(sys.argv[2]))
sys.exit(0 if eval(sys.argv[1]) else 1)' "$1" "$OUT" ||
		fail "JSON check failed: $1 ($(head -c 1500 "$OUT"))"
}

# tried WHAT: count one corruption attempt in $TRIED, and in $DETECTED if
# the last command (a verify) exited 6; fail otherwise.
tried() {
	TRIED=$((TRIED + 1))
	if [ "$LAST_RC" -eq 6 ]; then
		DETECTED=$((DETECTED + 1))
	else
		fail "corruption not detected ($1): verify exit $LAST_RC"
	fi
}

# containers STORE: the container files of STORE, sorted.
containers() {
	find "$1/data" -name '*.qsc' | sort
}

# tree_sum DIR: one sha256 over the paths and contents of every file under
# DIR but the lock file.
tree_sum() {
	(cd "$1" && find . -type f ! -name lock -print0 | sort -z |
	    xargs -0 sha256sum) | sha
}

# reset_store: replace ./s and ./state by copies of ./base.s and
# ./base.state.
reset_store() {
	rm -rf s state
	cp -a base.s s
	cp -a base.state state
}

# within A B PCT: |A - B| <= PCT% of max(A, B) (integers).
within() {
	local a=$1 b=$2 p=$3 d m
	d=$((a > b ? a - b : b - a))
	m=$((a > b ? a : b))
	[ $((d * 100)) -le $((m * p)) ]
}

# marked SEED SIZE MARKER FILE: SIZE random bytes (from SEED) with the
# text MARKER every 4 KiB, into FILE.
marked() {
	"$PY" - "$@" <<'EOF' || fail "marked $*"
import random, sys
seed, size, marker, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
r = random.Random(seed)
b = bytearray(r.randbytes(size))
for off in range(100, size - len(marker), 4096):
    b[off:off + len(marker)] = marker
open(out, "wb").write(b)
EOF
}

# files_with DIR MARKER...: the files under DIR containing any MARKER.
files_with() {
	"$PY" - "$@" <<'EOF'
import os, sys
ms = [m.encode() for m in sys.argv[2:]]
for root, dirs, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(root, f)
        d = open(p, "rb").read()
        if any(m in d for m in ms):
            print(p)
EOF
}

# container_scan STORE [WHAT]: walk the records of every container of STORE
# (STORE/data/**/*.qsc, .tmp-* skipped, in path order), checking each
# container's structure (the trailer magic, every record magic, records
# ending exactly at the trailer; fails otherwise), and print, by WHAT:
#   records   "PATH OFFSET KEYID STORED CHUNKID" per record (the default);
#   per-id    "KEYID RECORDS" per record key id, by id;
#   ids       the distinct record key ids on one line, by id;
#   per-file  "PATH KEYID... RECORDS" per container (its distinct key ids).
container_scan() {
	"$PY" - "$1/data" "${2:-records}" <<'EOF' || fail "container scan of $1 failed"
import collections, os, struct, sys
what = sys.argv[2]
count = collections.Counter()
for root, dirs, files in sorted(os.walk(sys.argv[1])):
    for f in sorted(files):
        if not f.endswith(".qsc") or f.startswith(".tmp-"):
            continue
        p = os.path.join(root, f)
        d = open(p, "rb").read()
        end = len(d) - 64
        if d[end:end + 8] != b"QSARCEND":
            sys.exit("%s: no trailer" % p)
        off, ids = 64, []
        while off < end:
            if d[off:off + 4] != b"QSRC":
                sys.exit("%s: offset %d: no record magic" % (p, off))
            kid, raw, stored = struct.unpack_from("<HII", d, off + 6)
            if what == "records":
                print(p, off, kid, stored, d[off + 16:off + 48].hex())
            ids.append(kid)
            count[kid] += 1
            off += 80 + stored
        if off != end:
            sys.exit("%s: records overrun the trailer" % p)
        if what == "per-file":
            print(p, " ".join(str(i) for i in sorted(set(ids))), len(ids))
if what == "per-id":
    for k in sorted(count):
        print(k, count[k])
elif what == "ids":
    print(" ".join(str(i) for i in sorted(count)))
EOF
}

# config_tlvs CONFIG: "TAG LEN VALUE-HEX" per TLV of the store config file
# CONFIG (TAG as 4 hex digits; format/config.c: 16-byte header with the
# body length at 12, TLVs of u16 tag, u16 length, value; 32-byte trailer);
# fails if it does not parse.
config_tlvs() {
	"$PY" - "$1" <<'EOF' || fail "cannot parse $1"
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"QSARCCFG", "magic"
(blen,) = struct.unpack_from("<I", d, 12)
assert len(d) == 16 + blen + 32, "length"
pos = 16
while pos < 16 + blen:
    tag, n = struct.unpack_from("<HH", d, pos)
    print("%04x %d %s" % (tag, n, d[pos + 4:pos + 4 + n].hex()))
    pos += 4 + n
assert pos == 16 + blen, "TLVs overrun"
EOF
}

# config_tags CONFIG: the TLV tags of CONFIG (4 hex digits each) on one
# line, space separated.
config_tags() {
	local t
	t=$(config_tlvs "$1") || exit 1
	printf '%s\n' "$t" | cut -d' ' -f1 | paste -sd' ' -
}

# ks_read WHAT KEYSTORE [PASSFILE]: an independent keystore reader, from
# spec/keystore.md alone (python3-argon2, python3-nacl).  PASSFILE holds
# the passphrase (one trailing newline is not part of it).  Prints, by
# WHAT:
#   header  the plaintext header as JSON: t, m, p, generation (no PASSFILE);
#   info    the unlocked keystore as JSON: t, m, p, generation, mode, nkeys
#           and secrets (id key, gear key, then each content key; hex);
#   state   "GENERATION T M P KEYID,KEYID... SHA256-OF-ALL-SECRETS";
#   keys    "KEYID:KEY-HEX" per content key;
#   pending the target key id of an unfinished mode change (body version
#           2, offset 110), 0 if none.
# Exit status 5 for a wrong passphrase, 6 for a damaged keystore.
ks_read() {
	"$PY" - "$@" <<'EOF'
import hashlib, json, struct, sys
from argon2.low_level import Type, hash_secret_raw
import nacl.bindings as nb
import nacl.exceptions
what = sys.argv[1]
d = open(sys.argv[2], "rb").read()
if len(d) < 112 or d[:8] != b"QSARCKEY":
    sys.exit(6)
t, m, p = struct.unpack_from("<III", d, 16)
(gen,) = struct.unpack_from("<Q", d, 60)
if what == "header":
    print(json.dumps({"t": t, "m": m, "p": p, "generation": gen}))
    sys.exit(0)
pw = open(sys.argv[3], "rb").read()
pw = pw[:-1] if pw.endswith(b"\n") else pw
kek = hash_secret_raw(pw, d[28:44], time_cost=t, memory_cost=m,
                      parallelism=p, hash_len=32, type=Type.ID, version=19)
if hashlib.blake2b(b"qsarc-kek-check", key=kek,
                   digest_size=32).digest()[:16] != d[68:84]:
    sys.exit(5)
try:
    body = nb.crypto_aead_xchacha20poly1305_ietf_decrypt(
        d[112:], d[:112], d[84:108], kek)
except nacl.exceptions.CryptoError:
    sys.exit(6)
(n,) = struct.unpack_from("<H", body, 108)
ents = [body[112 + 44 * i:112 + 44 * i + 44] for i in range(n)]
ids = [struct.unpack_from("<H", e)[0] for e in ents]
if what == "info":
    print(json.dumps({"t": t, "m": m, "p": p, "generation": gen,
                      "mode": body[2], "nkeys": n,
                      "secrets": [body[44:76].hex(), body[76:108].hex()] +
                                 [e[12:44].hex() for e in ents]}))
elif what == "state":
    print(gen, t, m, p, ",".join(str(i) for i in ids),
          hashlib.sha256(body[44:108] + body[112:]).hexdigest())
elif what == "keys":
    for i, e in zip(ids, ents):
        print("%d:%s" % (i, e[12:44].hex()))
elif what == "pending":
    print(struct.unpack_from("<H", body, 110)[0] if body[0] >= 2 else 0)
else:
    sys.exit("ks_read: unknown WHAT " + what)
EOF
}

# ---- an SMTP server on loopback for the alert tests (tests/cli/
# smtp_sink.py, python3-aiosmtpd): each message it receives becomes a JSON
# file msg-*.json in $MAIL (set it, and mkdir it, before start_sink; the
# caller also traps stop_sink on EXIT).
SINK_PID=""
SINKPY=/usr/bin/python3

# start_sink [PORT] [ARGS...]: start the sink (free port if 0 or absent);
# sets PORT.
# sink_prepare: what every alert scenario does first: require aiosmtpd,
# make $MAIL (where start_sink's relay drops messages), stop the relay on
# any exit, and keep alert settings in ./state.
sink_prepare() {
	"$SINKPY" -c 'import aiosmtpd' 2>/dev/null ||
		fail "python3-aiosmtpd is missing (make deps installs it)"
	MAIL=$PWD/mail
	mkdir -p "$MAIL"
	trap stop_sink EXIT
	trap 'stop_sink; exit 1' TERM INT
	export QSARC_STATE_DIR=$PWD/state
}

start_sink() {
	local want=${1:-0}
	shift || true
	rm -f "$PWD/port"
	"$SINKPY" "$CLI_DIR/smtp_sink.py" "$MAIL" --port-file "$PWD/port" \
	    --port "$want" --lifetime 300 "$@" >>"$PWD/sink.log" 2>&1 &
	SINK_PID=$!
	for _ in $(seq 100); do
		[ -s "$PWD/port" ] && break
		kill -0 "$SINK_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$PWD/port" ] || { cat "$PWD/sink.log" >&2; fail "the SMTP sink did not start"; }
	PORT=$(cat "$PWD/port")
}

stop_sink() {
	if [ -n "$SINK_PID" ]; then
		kill "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null
		SINK_PID=""
	fi
}

nmsgs() {
	find "$MAIL" -name 'msg-*.json' | wc -l
}

# alert_files STORE: set ACONF and ALOG to the alert settings file and the
# unsent-alert log of STORE (outside the store, in $QSARC_STATE_DIR/alerts,
# keyed by the store id), as 'alerts STORE show --json' names them.  Leaves
# $OUT and $ERR alone.
alert_files() {
	"$QSARC" alerts "$1" show --json >"$OUT.af" 2>"$ERR.af" ||
		fail "alerts $1 show --json: exit $? ($(cat "$ERR.af"))"
	ACONF=$(json_get settings_file "$OUT.af")
	ALOG=$(json_get log_file "$OUT.af")
}

# last_msg: the newest received message file.
last_msg() {
	find "$MAIL" -name 'msg-*.json' | sort | tail -n1
}

