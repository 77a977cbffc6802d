# Help texts, usage errors and --version.
. "$CLI_DIR/lib.sh"

# The top-level help lists the subcommands.
expect_ok q --help
grep -q '^Usage: qsarc' "$OUT" || fail "--help: no Usage line"
grep -q 'Exit codes:' "$OUT" || fail "--help: no exit code table"
subs=$(sed -n '/^Subcommands:/,/^$/p' "$OUT" | awk 'NF >= 2 { print $1 }' |
    grep -v '^Subcommands:')
[ -n "$subs" ] || fail "--help lists no subcommands"
nsubs=0
for want in init put get ls rm unexpire stats help; do
	echo "$subs" | grep -qxF "$want" || fail "--help does not list $want"
done
expect_ok q -h
grep -q '^Usage: qsarc' "$OUT" || fail "-h: no Usage line"

# No arguments: usage on stderr, exit 2.
expect_exit 2 q
grep -q 'Usage: qsarc' "$ERR" || fail "no arguments: no usage on stderr"
[ ! -s "$OUT" ] || fail "no arguments: usage went to stdout"

# Every subcommand: --help and 'help SUB' exit 0 with its own Usage line.
for sub in $subs; do
	nsubs=$((nsubs + 1))
	rc=0
	"$QSARC" "$sub" --help >"$OUT" 2>"$ERR" || rc=$?
	LAST_RC=$rc
	crash_check "$sub --help"
	if [ "$rc" -ne 0 ]; then
		if [ "$sub" = help ]; then
			known_bug "'qsarc help --help' exits $rc (\"$(head -n1 "$ERR")\"), expected 0 with 'Usage: qsarc help'; the usage hint of 'qsarc help' itself points at this command"
			continue
		fi
		fail "$sub --help: exit $rc"
	fi
	grep -q "^Usage: qsarc $sub" "$OUT" ||
		fail "$sub --help: no 'Usage: qsarc $sub' line"
	cp "$OUT" help1
	expect_ok q help "$sub"
	cmp -s help1 "$OUT" || fail "'help $sub' differs from '$sub --help'"
done
expect_fail 2 'unknown subcommand' q help nosuchcommand

# Unknown subcommands and options.
expect_fail 2 'unknown subcommand "frobnicate"' q frobnicate
expect_fail 2 'unknown subcommand' q -x
expect_fail 2 'unknown subcommand' q --nosuchoption
for sub in init put get ls rm unexpire stats; do
	expect_exit 2 q "$sub" --no-such-option
	err_matches "qsarc: $sub: .*--help" ||
		fail "$sub --no-such-option: message does not say 'qsarc $sub: ... --help'"
done

# Missing and extra arguments.
expect_fail 2 'expected' q init
expect_exit 2 q init a b
expect_fail 2 'expected' q put
expect_exit 2 q put store </dev/null
expect_exit 2 q put store name extra </dev/null
expect_fail 2 'expected' q get
expect_exit 2 q get store
expect_exit 2 q get store a b
expect_exit 2 q ls
expect_exit 2 q ls a b c
expect_exit 2 q rm
expect_exit 2 q rm store
expect_exit 2 q unexpire store
expect_exit 2 q stats
expect_exit 2 q stats a b
[ ! -e store ] && [ ! -e a ] || fail "a usage error created a store"

# Option values out of range: exit 2, and no store is created.
for opt in "--level 0" "--level 23" "--level x" "--avg-chunk 3K" \
    "--avg-chunk 1K" "--avg-chunk 8M" "--container-size 0" \
    "--rotation-days 3" "--mode foo" "--kdf-time 0"; do
	# shellcheck disable=SC2086
	expect_exit 2 q init bad $opt
	[ ! -e bad/config ] || fail "init $opt: created a store"
	rmdir bad 2>/dev/null || true
done
expect_ok q init s
expect_fail 2 'threads' q put s x --threads 0 </dev/null
expect_fail 2 'threads' q put s x --threads 17 </dev/null
expect_fail 2 'lock-timeout' q put s x --lock-timeout -1 </dev/null
expect_fail 2 'lock-timeout' q ls s --lock-timeout abc
expect_exit 2 q put s x --passphrase-fd nope </dev/null
[ -z "$(ls s/streams)" ] || fail "a usage error stored a stream"

# put from a terminal is refused as a usage error (when script(1) exists).
if command -v script >/dev/null 2>&1; then
	rc=0
	script -qec "'$QSARC' put s tty-in" /dev/null >tty.log 2>&1 </dev/null || rc=$?
	[ "$rc" -eq 2 ] || fail "put with stdin a terminal: exit $rc, expected 2"
	grep -q 'terminal' tty.log || fail "put from a terminal: no message"
fi

# --version names the program version and the format versions.
expect_ok q --version
grep -qE '^qsarc [0-9]+\.[0-9]+' "$OUT" || fail "--version: no version"
for f in config container manifest; do
	grep -qE "$f v[0-9]+" "$OUT" || fail "--version does not mention $f format version"
done
grep -q '^writes:' "$OUT" && grep -q '^reads:' "$OUT" ||
	fail "--version: no writes/reads lines"

note "$nsubs subcommands checked"
