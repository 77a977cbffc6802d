# What the command line says (issue 16 item 15): a bad option is one
# usage line naming it (getopt's own line came first, a duplicate); the
# "store busy" message gives the lock holder's time as UTC with its age
# (it was unix seconds); the man page's JSON OUTPUT section documents
# every key the subcommands print (t_80 checks the other direction), the
# time convention, the "_hex" names and that errors are never JSON.
. "$CLI_DIR/lib.sh"

REPO=$(cd "$CLI_DIR/../.." && pwd)
expect_ok q init s

# ---- one line per bad option, naming it.
# usage_line WHAT REGEX ARGS...: exit 2, exactly one stderr line, matching.
usage_line() {
	local what=$1 re=$2
	shift 2
	expect_exit 2 q "$@"
	[ "$(wc -l <"$ERR")" -eq 1 ] ||
		fail "$what: $(wc -l <"$ERR") lines on stderr, expected one: $(cat "$ERR")"
	grep -qE -- "$re" "$ERR" || fail "$what: '$(cat "$ERR")' does not match /$re/"
}
usage_line "unknown option" '^qsarc: ls: unknown or ambiguous option "--bogus" \(see .qsarc ls --help.\)$' ls s --bogus
usage_line "unknown short option" '^qsarc: ls: unknown option "-x" \(see .qsarc ls --help.\)$' ls s -x
usage_line "missing value" '^qsarc: put: option "--input" needs a value' put s x --input
usage_line "value not taken" '^qsarc: stats: option "--json=1" takes no value' stats s --json=1
usage_line "ambiguous" '^qsarc: clean: unknown or ambiguous option "--passphrase"' clean s --passphrase
usage_line "shared options only" '^qsarc: rm: unknown or ambiguous option "--force"' rm s x --force
usage_line "alerts" '^qsarc: alerts: unknown or ambiguous option "--nope"' alerts s configure --nope

# ---- the lock holder's time: UTC and its age.
if command -v flock >/dev/null 2>&1; then
	since=$(($(date +%s) - 3725))
	printf 'pid 4242, put nightly, since %s\n' "$since" >s/lock
	rm -f held
	flock -x s/lock -c 'touch held; sleep 10' &
	holder=$!
	for i in $(seq 100); do [ -e held ] && break; sleep 0.05; done
	expect_exit 4 q ls s --lock-timeout 0
	kill $holder 2>/dev/null
	wait $holder 2>/dev/null
	want="since $(date -u -d @$since +%Y-%m-%dT%H:%M:%SZ) \\(1 h [0-9]+ min ago\\)"
	grep -qE "store is busy: pid 4242, put nightly, $want; waited 0 s" "$ERR" ||
		fail "busy message: '$(cat "$ERR")' lacks '$want'"
	grep -qF "since $since" "$ERR" && fail "busy message still shows unix seconds: $(cat "$ERR")"
	# A lock text that is not this shape is shown as it is (escaped).
	printf 'pid 1, x, since soon\n' >s/lock
	flock -x s/lock -c 'touch held2; sleep 10' &
	holder=$!
	for i in $(seq 100); do [ -e held2 ] && break; sleep 0.05; done
	expect_exit 4 q ls s --lock-timeout 0
	kill $holder 2>/dev/null
	wait $holder 2>/dev/null
	grep -qF 'pid 1, x, since soon;' "$ERR" || fail "odd lock text not kept: $(cat "$ERR")"
else
	note "flock(1) not installed: the lock holder message is not checked"
fi

# ---- the man page documents every key printed, and the conventions.
printf 'man page json passphrase\n' >pass
chmod 600 pass
P="--passphrase-file $PWD/pass"
mkdir objs
n=0
keep() {
	n=$((n + 1))
	cp "$2" "objs/$1.$n.json"
}
mkdir -p t && printf 'x\n' >t/f && tar cf v1.tar t
printf 'y\n' >>t/f && tar cf v2.tar t
for c in "init s2" "init e --encrypt $P --kdf-memory 8M --kdf-time 1" \
    "put s2 v1 --input v1.tar" "put s2 v2 --input v2.tar" "ls s2" "ls s2 v1" \
    "diff s2 v1 v2" "stats s2" "rm s2 v1" "unexpire s2 v1" \
    "expire s2 --keep-last 1 --dry-run" "verify s2" "clean s2 --dry-run" \
    "alerts s2 show" "replicate s2 e --target-passphrase-file $PWD/pass" \
    "keys e $P" "keystore e check $P" "keystore e restore --from primary $P" \
    "rekey e $P" "rekey e --mode static $P" \
    "rekey e --change-passphrase $P --new-passphrase-file $PWD/pass" \
    "encrypt s2 $P --kdf-memory 8M --kdf-time 1"; do
	sub=${c%% *}
	# shellcheck disable=SC2086
	expect_ok q $c --json
	keep "$sub" "$OUT"
done
expect_ok q get s2 v2 --json --output got.tar $P
keep get "$ERR"
expect_ok "$PY" "$REPO/cmd/gen_manpage.py" --qsarc "$QSARC" \
    --template "$REPO/cmd/qsarc.1.in" -o "$PWD/qsarc.1"
"$PY" - qsarc.1 objs <<'EOF' || fail "the man page's JSON OUTPUT section is incomplete (see above)"
import glob, json, os, re, sys
src = open(sys.argv[1]).read().replace("\\-", "-").replace("\\(dq", '"')
src = re.sub(r"\\f[BIRP]", "", src)
sec = re.search(r'^\.SH "?JSON OUTPUT"?\n(.*?)(?=^\.SH )', src, re.S | re.M)
if not sec:
    sys.exit("no JSON OUTPUT section")
text = sec.group(1)
doc = {}
for head, body in re.findall(r"^\.TP\n(?:\.B )?qsarc ([a-z]+)[^\n]*\n(.*?)(?=^\.TP|^\.PP|\Z)",
                             text, re.S | re.M):
    doc.setdefault(head, set()).update(re.findall(r'"([a-z_]+)"', body))
bad = 0

def keys(v, acc):
    if isinstance(v, dict):
        for k, x in v.items():
            acc.add(k)
            keys(x, acc)
    elif isinstance(v, list):
        for x in v:
            keys(x, acc)
    return acc

printed = {}
for f in glob.glob(os.path.join(sys.argv[2], "*.json")):
    sub = os.path.basename(f).split(".")[0]
    keys(json.load(open(f)), printed.setdefault(sub, set()))
# Keys every subcommand may print and the section explains once.
general = {k + "_hex" for k in ("path", "link", "uname", "gname", "store",
           "file", "keystore", "keystore_backup", "settings_file",
           "log_file", "auth_file")}
for sub in sorted(printed):
    if sub not in doc:
        print("FAIL: 'qsarc %s --json' prints an object the man page does "
              "not describe" % sub, file=sys.stderr)
        bad += 1
        continue
    missing = sorted(printed[sub] - doc[sub] - general)
    if missing:
        print("FAIL: qsarc %s --json prints keys the man page does not "
              "document: %s" % (sub, " ".join(missing)), file=sys.stderr)
        bad += 1
flat = " ".join(text.split())
for must, why in (("ISO 8601", "the time convention"),
                  ("never unix seconds", "the time convention"),
                  ("_hex", "the lossless names"),
                  ("U+FFFD", "the lossless names"),
                  ("Errors are never JSON", "the error decision"),
                  ("refuse", "commands that refuse --json")):
    if must not in flat:
        print("FAIL: JSON OUTPUT does not say %r (%s)" % (must, why),
              file=sys.stderr)
        bad += 1
print("checked %d subcommands' objects against the man page" % len(printed))
sys.exit(1 if bad else 0)
EOF
# SIGUSR1 and the timer are in the man page too (item 14).
grep -q 'SIGUSR1' qsarc.1 || fail "the man page does not mention SIGUSR1"
exit 0
