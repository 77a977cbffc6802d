# -q/--quiet and -v/--verbose, the common options of every store command
# (issue 16, item 15).  --quiet: nothing on stdout or stderr on success,
# errors still printed with their exit code, --json still printed;
# --verbose: more lines than the normal run for put, get, verify, clean;
# both: a usage error (exit 2).
. "$CLI_DIR/lib.sh"

lines() {
	wc -l <"$1" | tr -d ' '
}

# silent WHAT: the last command printed nothing at all.
silent() {
	[ ! -s "$OUT" ] || fail "$1: --quiet printed on stdout: $(head -c 300 "$OUT")"
	[ ! -s "$ERR" ] || fail "$1: --quiet printed on stderr"
}

# json_object WHAT FILE: FILE holds one JSON object.
json_object() {
	"$PY" -c 'import json, sys; o = json.load(open(sys.argv[1])); sys.exit(0 if isinstance(o, dict) else 1)' "$2" ||
		fail "$1: --json --quiet did not print a JSON object: $(head -c 300 "$2")"
}

mkdir d
gen_file 47 300K d/a.bin
gen_file 48 200K d/b.bin
tar cf t.tar d

# ---- init: quiet on success, the error on failure, the object with --json.
expect_ok q init s0
[ ! -s "$OUT" ] && [ ! -s "$ERR" ] || fail "init printed on success (the quiet check below assumes it does not)"
expect_ok q init s -q
silent "init -q"
expect_fail 1 'not empty' q init s --quiet
[ ! -s "$OUT" ] || fail "init -q: a failure printed on stdout"
expect_ok q init sj -q --json
json_object "init --json -q" "$OUT"

# ---- put: the normal run (with --progress) prints, -q does not.
expect_ok q put s n1 --progress <t.tar
[ -s "$ERR" ] || fail "put --progress printed nothing (no baseline for --quiet)"
expect_ok q put s n2 -q --progress <t.tar
silent "put -q --progress"
expect_ok q put s n3 --quiet <t.tar
silent "put --quiet"
expect_fail 3 'no such|no qsarc store' q put nostore n -q <t.tar
expect_fail 1 'already exists' q put s n1 -q <t.tar
expect_ok q put s n4 -q --json <t.tar
json_object "put --json -q" "$OUT"
grep -q '"name": "n4"' "$OUT" || fail "put --json -q: not the put object"
# --verbose: more than the normal run.
expect_ok q put s n5 <t.tar
normal=$(lines "$ERR")
expect_ok q put s n6 -v <t.tar
[ "$(lines "$ERR")" -gt "$normal" ] || fail "put -v: $(lines "$ERR") lines, the normal run $normal"
grep -q 'chunks' "$ERR" || fail "put -v: no chunk count"

# ---- get --verbose: the stream's figures on stderr, the stream intact.
expect_ok q get s n1 --output g0.tar
normal=$(lines "$ERR")
expect_ok q get s n1 --output g1.tar --verbose
[ "$(lines "$ERR")" -gt "$normal" ] || fail "get -v: $(lines "$ERR") lines, the normal run $normal"
cmp -s g1.tar t.tar || fail "get -v: the stream changed"
expect_ok q get s n1 --member d/a.bin -v --output m.tar
grep -q 'members' "$ERR" || fail "get --member -v: no member count"
expect_ok q get s n1 -q --output g2.tar
silent "get -q"

# ---- rm: quiet on success, the error and its code on failure, --json.
expect_ok q rm s n2
[ ! -s "$OUT" ] || fail "rm printed on stdout"
expect_ok q rm s n3 -q
silent "rm -q"
expect_fail 3 'no live stream' q rm s nope -q
expect_ok q rm s n5 -q --json
json_object "rm --json -q" "$OUT"
grep -q '"expired": \["n5"\]' "$OUT" || fail "rm --json -q: not the rm object"
expect_ok q unexpire s n5 -q
silent "unexpire -q"

# ---- verify: the report, then none with -q, more with -v.
expect_ok q verify s
normal=$(lines "$OUT")
[ "$normal" -gt 0 ] || fail "verify printed nothing (no baseline)"
expect_ok q verify s -q
silent "verify -q"
expect_ok q verify s -v
[ "$(lines "$OUT")" -gt "$normal" ] || fail "verify -v: $(lines "$OUT") lines, the normal run $normal"
expect_ok q verify s -q --json
json_object "verify --json -q" "$OUT"
expect_fail 3 'no qsarc store' q verify nostore -q
# Damage is the answer: -q still prints it, with exit 6.
cp -a s sd
c=$(containers sd | head -1)
flip_byte "$c" $(($(file_size "$c") / 2))
expect_exit 6 q verify sd -q --read-data
grep -q 'DAMAGE' "$OUT" || fail "verify -q: damage found but not printed"

# ---- clean: the summary, none with -q, more with -v.
expect_ok q clean s --dry-run
normal=$(lines "$OUT")
[ "$normal" -gt 0 ] || fail "clean printed nothing (no baseline)"
expect_ok q clean s --dry-run -q
silent "clean -q"
expect_ok q clean s --dry-run -v
[ "$(lines "$OUT")" -gt "$normal" ] || fail "clean -v: $(lines "$OUT") lines, the normal run $normal"
expect_ok q clean s -q --json
json_object "clean --json -q" "$OUT"
expect_ok q clean s --quiet
silent "clean --quiet"
expect_fail 3 'no qsarc store' q clean nostore -q

# ---- Both at once: a usage error, in every spelling, on every command.
for cmd in "init s9" "put s n9" "get s n1" "verify s" "clean s" "rm s n1" \
    "ls s" "stats s" "expire s --keep-last 9" "keys s"; do
	# shellcheck disable=SC2086
	expect_fail 2 'mutually exclusive' q $cmd -q -v </dev/null
	# shellcheck disable=SC2086
	expect_fail 2 'mutually exclusive' q $cmd --verbose --quiet </dev/null
done
expect_fail 2 'mutually exclusive' q verify s -qv
[ ! -e s9 ] || fail "init -q -v made a store"
has_stream s n1 || fail "rm -q -v removed a stream"

# ---- Each store command's --help shows both.
for sub in init put get ls diff find rm unexpire stats expire verify clean \
    replicate encrypt rekey keystore keys; do
	expect_ok q "$sub" --help
	grep -q -- '-q, --quiet' "$OUT" && grep -q -- '-v, --verbose' "$OUT" ||
		fail "$sub --help does not list -q/--quiet and -v/--verbose"
done
exit 0
