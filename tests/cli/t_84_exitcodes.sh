# Exit codes: one table, the same in cmd/cmd_output.h, README.md, the man page and
# 'qsarc --help'; and each code asserted through the CLI.
. "$CLI_DIR/lib.sh"

REPO=$(cd "$CLI_DIR/../.." && pwd)

# ---- The table, four times.
"$PY" - "$REPO/cmd/cmd_output.h" "$REPO/README.md" "$REPO/cmd/qsarc.1.in" \
    "$QSARC" <<'EOF' || fail "the exit code tables differ (see above)"
import re, subprocess, sys
hdr, readme, man, qsarc = sys.argv[1:5]
bad = []

# cmd/cmd_output.h: enum { EXIT_OK = 0, ... }
enum = {}
for name, num in re.findall(r"\b(EXIT_[A-Z]+)\s*=\s*(\d+)", open(hdr).read()):
    enum[int(num)] = name
if len(enum) < 9:
    bad.append("cmd/cmd_output.h: found only %d EXIT_ codes" % len(enum))

# README.md: the table under "## Exit codes".
text = open(readme).read()
m = re.search(r"^## Exit codes\n(.*?)(?=^## )", text, re.S | re.M)
if not m:
    sys.exit("README.md has no '## Exit codes' section")
rd = {}
for num, meaning in re.findall(r"^\|\s*(\d+)\s*\|\s*(.*?)\s*\|\s*$",
                               m.group(1), re.M):
    rd[int(num)] = re.sub(r"\s+", " ", meaning.replace("`", "")).strip()

# The man page template: .TP / .B N / meaning lines, under EXIT STATUS.
src = open(man).read()
m = re.search(r"^\.SH \"?EXIT STATUS\"?\n(.*?)(?=^\.SH )", src, re.S | re.M)
if not m:
    sys.exit("cmd/qsarc.1.in has no EXIT STATUS section")
mp = {}
for num, body in re.findall(r"^\.TP\n\.B (\d+)\n(.*?)(?=^\.TP|\Z)",
                            m.group(1), re.S | re.M):
    words = []
    for line in body.strip().split("\n"):
        line = re.sub(r"^\.[A-Z]+ ", "", line)
        words.append(line.replace("\\-", "-").replace("\\(em", "-"))
    mp[int(num)] = re.sub(r"\s+", " ", " ".join(words)).strip()

# qsarc --help: "Exit codes: 0 ok, 1 error, ..."
h = subprocess.run([qsarc, "--help"], stdout=subprocess.PIPE,
                   universal_newlines=True).stdout
m = re.search(r"Exit codes:(.*?)\n\n|Exit codes:(.*)\Z", h, re.S)
hp = set()
if m:
    hp = {int(n) for n in re.findall(r"(\d+) [a-z]", (m.group(1) or m.group(2)))}

for name, table in (("README.md", rd), ("qsarc.1", mp),
                    ("qsarc --help", dict.fromkeys(hp, ""))):
    if set(table) != set(enum):
        bad.append("%s lists codes %s, cmd/cmd_output.h has %s" %
                   (name, sorted(table), sorted(enum)))
for n in sorted(set(rd) & set(mp)):
    if rd[n] != mp[n]:
        bad.append("code %d: README.md says %r, the man page %r" %
                   (n, rd[n], mp[n]))
for b in bad:
    print("FAIL: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

# expect_exit_any CMD ARGS...: run as expect_exit does, any status < 128.
expect_exit_any() {
	LAST_RC=0
	if [ "$1" = q ]; then
		shift
		"$QSARC" "$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	else
		"$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	fi
	crash_check "$*"
}

# ---- 0 success, 2 usage.
expect_ok q init s
gen_file 1 300K in.bin
expect_ok q put s a --input in.bin
expect_ok q ls s
expect_fail 2 '^qsarc: put: ' q put
expect_fail 2 '^qsarc: ls: ' q ls s --no-such-option
expect_fail 2 '^qsarc: ' q no-such-subcommand
expect_fail 2 '^qsarc: clean: ' q clean s --max-duration soon
expect_fail 2 '^qsarc: put: ' q put s b --lock-timeout -1
expect_exit 2 q
# An invalid NAME is a usage error wherever a name is read (issue 16,
# item 9: it was 1); nothing is stored.
for bad in '-x' '.hidden' 'a/b' ''; do
	expect_fail 2 '^qsarc: put: ' q put s "$bad" --input in.bin
	expect_fail 2 '^qsarc: get: ' q get s "$bad" --output never.bin
	expect_fail 2 '^qsarc: rm: ' q rm s a "$bad"
	expect_fail 2 '^qsarc: ls: ' q ls s "$bad"
	expect_fail 2 '^qsarc: diff: ' q diff s a "$bad"
done
has_stream s a || fail "rm with an invalid second NAME expired the first"

# ---- 1 generic error: a name that exists, a directory that is not empty.
expect_fail 1 '^qsarc: put: .*already exists' q put s a --input in.bin
expect_fail 1 '^qsarc: init: ' q init s

# ---- 3 not found: no store, no stream.
expect_fail 3 '^qsarc: ls: ' q ls "$PWD/no-store"
expect_fail 3 '^qsarc: get: ' q get s no-such-stream --output out.bin
[ -e out.bin ] && fail "get of a missing stream created its --output"
expect_fail 3 '^qsarc: rm: ' q rm s no-such-stream
# rm is all or nothing: a missing NAME after a good one moves neither, and
# a NAME given twice counts once (it half-expired and exited 3).
expect_fail 3 '^qsarc: rm: no-such-stream: no live stream' q rm s a no-such-stream
has_stream s a || fail "rm a no-such-stream expired a"
expect_ok q rm s a a
has_stream s a --expired || fail "rm s a a did not expire a"
expect_fail 3 'already expired' q rm s a
expect_ok q unexpire s a a
has_stream s a || fail "unexpire s a a did not bring a back"
expect_fail 3 '^qsarc: verify: ' q verify s no-such-stream

# ---- 4 store busy: another process holds the lock past --lock-timeout.
if command -v flock >/dev/null 2>&1; then
	flock -x s/lock sleep 6 &
	holder=$!
	for _ in $(seq 50); do
		flock -n -s s/lock true 2>/dev/null || break
		sleep 0.1
	done
	flock -n -s s/lock true 2>/dev/null && fail "flock did not take s/lock"
	t0=$(now_ms)
	expect_fail 4 '^qsarc: put: ' q put s busy --input in.bin --lock-timeout 1
	t1=$(now_ms)
	[ $((t1 - t0)) -ge 900 ] || fail "put gave up after $((t1 - t0)) ms, before --lock-timeout 1"
	[ $((t1 - t0)) -lt 5000 ] || fail "put waited $((t1 - t0)) ms with --lock-timeout 1"
	expect_fail 4 '^qsarc: clean: ' q clean s --lock-timeout 1
	expect_fail 4 '^qsarc: ls: ' q ls s --lock-timeout 0
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	has_stream s busy && fail "a busy put stored its stream"
else
	note "flock(1) missing: exit 4 not checked"
fi

# ---- 5 wrong passphrase, or none available.
printf 'right passphrase\n' >pass
printf 'wrong passphrase\n' >wrong
chmod 600 pass wrong
expect_ok q init e --encrypt --passphrase-file pass --kdf-memory 8M --kdf-time 1
expect_ok q put e a --input in.bin --passphrase-file pass
expect_fail 5 '^qsarc: ls: ' q ls e --passphrase-file wrong
expect_fail 5 '^qsarc: get: ' q get e a --passphrase-file wrong --output o5
QSARC_PASSPHRASE='wrong passphrase' expect_fail 5 '^qsarc: stats: ' q stats e
# An unreadable --passphrase-fd is "no passphrase" (5), as a missing file
# is (it was 1).
expect_fail 5 '^qsarc: ls: .*passphrase' q ls e --passphrase-fd 9
if command -v setsid >/dev/null 2>&1; then
	# No source and no terminal to ask on.
	expect_fail 5 '^qsarc: ls: .*passphrase' setsid -w "$QSARC" ls e </dev/null
fi

# ---- 6 damage found.
cp -a s s6
chmod -R u+w s6
ctr=$(find s6/data -name '*.qsc' | head -n 1)
[ -n "$ctr" ] || fail "no container in s6"
flip_byte "$ctr" $(($(file_size "$ctr") / 2))
expect_fail 6 '^qsarc: get: ' q get s6 a --output o6
[ -e o6 ] && fail "get of a damaged stream created its --output"
expect_exit 6 q verify s6 --read-data
# A passphrase for a plain store: refused as possible tampering.
expect_fail 5 '^qsarc: ls: ' q ls s --passphrase-file pass

# ---- 8 nothing to do.
expect_ok q expire s --keep-last 100
expect_exit 8 q expire s --keep-last 100 --fail-if-nothing
has_stream s a || fail "expire --keep-last 100 expired a stream"
expect_exit 8 q expire s --keep-last 100 --json --fail-if-nothing
[ "$(json_get expired)" = "[]" ] || fail "expire with nothing to do lists streams"
expect_fail 8 '^qsarc: encrypt: ' q encrypt e --passphrase-file pass

# ---- Messages: a failing command says why on stderr, each line
# "qsarc: SUBCOMMAND: detail" (progress lines, drawn with \r, and the JSON
# of get --member --json aside), and leaves stdout empty.
bad_lines=""
while IFS= read -r line; do
	[ -n "$line" ] || continue
	eval "set -- $line"
	sub=$1
	LAST_RC=0
	"$QSARC" "$@" </dev/null >"$OUT" 2>"$ERR" || LAST_RC=$?
	crash_check "$line"
	[ "$LAST_RC" -ne 0 ] || fail "qsarc $line: succeeded; expected a failure"
	[ -s "$ERR" ] || fail "qsarc $line: exit $LAST_RC without a message"
	[ -s "$OUT" ] && fail "qsarc $line: wrote to stdout on failure: $(head -c 200 "$OUT")"
	while IFS= read -r l; do
		case $l in
		"qsarc: $sub: "?*) ;;
		*$'\r'*|'{'*) ;;
		*) bad_lines="$bad_lines
  qsarc $line: $l" ;;
		esac
	done <"$ERR"
done <<'EOF2'
init s
init n --level 99
init n --mode bogus
put s a --input in.bin
put s bad/name --input in.bin
put nostore x --input in.bin
put s x --input no-such-file
put s x --threads 0
get s nosuch --output o1
get s a --member nosuch --output o2
get s a --extract-to dd
get nostore a
ls nostore
ls s nosuch
diff s a nosuch
diff s a
rm s nosuch
unexpire s nosuch
stats nostore
expire s
expire s --older-than xyz
verify nostore
clean s --rewrite-threshold 0
clean s --max-duration 0
replicate s nostore
replicate e s --passphrase-file pass
encrypt e --passphrase-file pass
rekey s
keystore s check
keystore e restore --from bogus --passphrase-file pass
keys s
alerts s enable
alerts s bogus
help bogus
ls e --passphrase-file wrong
ls e --passphrase-fd 99
ls e --passphrase-file no-such-file
init n2 --encrypt --passphrase-file /dev/null
EOF2
[ -z "$bad_lines" ] || fail "stderr lines not of the form 'qsarc: SUBCOMMAND: detail':$bad_lines"
# The one message without a subcommand to name.
expect_fail 2 '^qsarc: unknown subcommand' q no-such-subcommand

# "5 wrong passphrase (or none available)": a passphrase file that does
# not exist leaves none available.
expect_exit_any q ls e --passphrase-file no-such-file
case $LAST_RC in
5) ;;
3) fail "a missing --passphrase-file exits 3 (\"not found: no such store or stream\"), not 5 (\"wrong passphrase (or none available)\"): cmd_read_passphrase's open error is QS_ENOENT, which cmd_exit_code maps to 3; the same ENOENT-to-3 mapping makes a missing 'put --input' file and a missing 'get --output' directory exit 3" ;;
*) fail "ls with a missing --passphrase-file: exit $LAST_RC" ;;
esac

# ---- 7 stopped early by --max-duration: clean of a just-encrypted store
# encrypts the old data stream by stream, checking the clock in between.
n=12
size=32M
[ "$QSARC_SANITIZED" = 1 ] && size=8M
expect_ok q init m
for i in $(seq $n); do
	head -c "$size" /dev/urandom >blob
	expect_ok q put m "s$i" --input blob
done
rm -f blob
expect_ok q encrypt m --passphrase-file pass --kdf-memory 8M --kdf-time 1
run_q clean m --max-duration 1s --passphrase-file pass --json
case $LAST_RC in
7)
	err_matches '^qsarc: clean: .*max-duration' ||
		fail "clean exit 7 without saying why"
	[ "$(json_get stopped_early)" = True ] ||
		fail "clean exit 7 but stopped_early is not true"
	# The next run finishes the work.
	expect_ok q clean m --passphrase-file pass --json
	[ "$(json_get stopped_early)" = False ] || fail "second clean stopped early"
	;;
0)
	note "clean of $n x $size finished within --max-duration 1s: exit 7 not checked here"
	;;
*)
	fail "clean --max-duration 1s: exit $LAST_RC"
	;;
esac
expect_ok q get m "s$n" --passphrase-file pass --output last.bin
[ "$(file_size last.bin)" -gt 0 ] || fail "stream s$n is empty after clean"
exit 0
