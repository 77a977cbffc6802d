# --json is honest (issue 16 item 15): every subcommand that accepts it
# prints one JSON object (init, rm, unexpire, encrypt, keystore check and
# restore, get included) or refuses the flag (help, alerts actions other
# than show); every time in any object is an ISO 8601 UTC string, never
# unix seconds; a name that is not UTF-8 keeps its bytes in "KEY_hex"
# beside the U+FFFD "KEY" (\351 and \303\251 used to print the same
# string); errors are text on stderr for every subcommand, never JSON.
. "$CLI_DIR/lib.sh"

# All commands run at one fixed clock, so that a unix time anywhere in the
# output is recognisable: 1234567890 is 2009-02-13T23:31:30Z.
export QSARC_TEST_NOW=1234567890
ISO=2009-02-13T23:31:30Z
mkdir objs
N=0

# one SUB FILE: FILE holds exactly one JSON object; keep it as objs/SUB.N.
one() {
	# (json.load refuses a second object after the first: "Extra data".)
	"$PY" -c '
import json, sys
assert isinstance(json.load(open(sys.argv[1])), dict), "not an object"
' "$2" 2>/dev/null ||
		fail "$1 --json: not one JSON object: '$(head -c 300 "$2")'"
	N=$((N + 1))
	cp "$2" "objs/$1.$N.json"
}

# js SUB WANT ARGS...: run qsarc ARGS (exit WANT), one object on stdout.
js() {
	local sub=$1 want=$2
	shift 2
	expect_exit "$want" q "$@"
	one "$sub" "$OUT"
}

printf 'json honest passphrase\n' >pass
chmod 600 pass
P="--passphrase-file $PWD/pass"
KDF="--kdf-memory 8M --kdf-time 1"

# A tar whose member names are \351 (Latin-1 e acute, not UTF-8) and
# \303\251 (the same letter in UTF-8): two different names.
mkdir -p t
printf 'latin\n' >"t/$(printf 'caf\351')"
printf 'utf8\n' >"t/$(printf 'caf\303\251')"
ln -s "$(printf 'caf\351')" "t/$(printf 'lnk\351')"
tar cf v1.tar t
printf 'changed\n' >>"t/$(printf 'caf\351')"
tar cf v2.tar t
gen_file 5 200K raw.bin

# ---- one object from every subcommand that takes --json.
js init 0 init s --json
js init 0 init e --encrypt $P $KDF --json
js put 0 put s v1 --input v1.tar --json
js put 0 put s v2 --input v2.tar --json
js put 0 put s raw --input raw.bin --no-catalog --json
js ls 0 ls s --json
js ls 0 ls s v1 --json
js diff 0 diff s v1 v2 --json
js find 0 find s "*" --json
js stats 0 stats s --json
js rm 0 rm s raw --json
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d == {"expired": ["raw"]}, d' "$OUT" ||
	fail "rm --json: $(cat "$OUT")"
js unexpire 0 unexpire s raw --json
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d == {"unexpired": ["raw"]}, d' "$OUT" ||
	fail "unexpire --json: $(cat "$OUT")"
js expire 0 expire s --keep-last 2 --dry-run --json
js verify 0 verify s --json
js clean 0 clean s --dry-run --json
js alerts 0 alerts s show --json
js replicate 0 replicate s e --json --target-passphrase-file "$PWD/pass"
js keys 0 keys e --json $P
js keystore 0 keystore e check --json $P
js keystore 0 keystore e restore --from primary --json $P
js rekey 0 rekey e --json $P
js rekey 0 rekey e --mode static --json $P
js rekey 0 rekey e --json $P
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["next_rotation"] is None, d' "$OUT" ||
	fail "rekey --json in static mode: next_rotation is not null: $(cat "$OUT")"
js keys 0 keys e --json $P
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["next_rotation"] is None, d' "$OUT" ||
	fail "keys --json in static mode: next_rotation is not null: $(cat "$OUT")"
js encrypt 0 encrypt s --json $P $KDF
js encrypt 8 encrypt s --json $P
# get: the stream on stdout, the object on stderr.
expect_ok q get s v1 --json --output got.tar $P
one get "$ERR"
cmp -s got.tar v1.tar || fail "get --json --output: the stream differs"
# keystore check of a damaged pair: still the object (exit 6).
rm e/keystore
js keystore 6 keystore e check --json $P
"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is False and d["primary"]["state"] == "missing", d
assert d["restore_from"] == "backup" and d["backup"]["state"] == "ok", d
' "$OUT" || fail "keystore check --json of a missing primary: $(cat "$OUT")"

# ---- refused rather than ignored.
expect_fail 2 'json' q help ls --json
[ -s "$OUT" ] && fail "help --json printed: $(head -c 200 "$OUT")"
expect_fail 2 'json' q alerts s enable --json
expect_fail 2 'json' q alerts s configure --relay 127.0.0.1 --json

# ---- one time convention: ISO 8601 UTC strings everywhere.
"$PY" - objs "$ISO" <<'EOF' || fail "a time in --json output is not an ISO 8601 UTC string (see above)"
import glob, json, os, re, sys
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
time_keys = {"created", "mtime", "time", "next_rotation"}
bad, seen = [], 0

def walk(v, where):
    global seen
    if isinstance(v, dict):
        for k, x in v.items():
            w = where + "." + k
            if k in time_keys:
                seen += 1
                if not (x is None or (isinstance(x, str) and iso.match(x))):
                    bad.append("%s = %r" % (w, x))
            walk(x, w)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk(x, "%s[%d]" % (where, i))
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        # The fixed clock, or near it: a unix time where a string belongs.
        if 1234560000 <= v <= 1234600000:
            bad.append("%s = %r (unix seconds)" % (where, v))
    elif isinstance(v, str) and iso.match(v) is None and re.fullmatch(r"\d{10}", v):
        bad.append("%s = %r (unix seconds as text)" % (where, v))

for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    walk(json.load(open(f)), os.path.basename(f))
for b in bad:
    print("FAIL:", b, file=sys.stderr)
if seen < 10:
    print("FAIL: only %d time keys seen" % seen, file=sys.stderr)
    sys.exit(1)
sys.exit(1 if bad else 0)
EOF
# The streams were put at the fixed clock: their "created" says so.
"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert all(s["created"] == sys.argv[2] for s in d["streams"]), d
' objs/ls.6.json "$ISO" || fail "ls --json: created is not $ISO: $(cat objs/ls.6.json)"

# ---- names that are not UTF-8: lossless, and told apart.
"$PY" - objs/ls.7.json objs/diff.8.json <<'EOF' || fail "a non-UTF-8 name lost its bytes in --json (see above)"
import json, sys
ls = json.load(open(sys.argv[1]))
m = {x["path"]: x for x in ls["members"]}
utf8 = "t/caf\u00e9"
assert utf8 in m and "path_hex" not in m[utf8], ("the UTF-8 name", sorted(m))
lat = [x for x in ls["members"] if x.get("path_hex") == b"t/caf\xe9".hex()]
assert len(lat) == 1, ("no path_hex for t/caf\\351", ls["members"])
assert lat[0]["path"] == "t/caf\ufffd", lat
assert lat[0]["path"] != utf8
lnk = [x for x in ls["members"] if x.get("path_hex") == b"t/lnk\xe9".hex()]
assert len(lnk) == 1 and lnk[0]["link_hex"] == b"caf\xe9".hex(), lnk
# Round trip: the hex gives back the bytes of every member name.
for x in ls["members"]:
    raw = bytes.fromhex(x["path_hex"]) if "path_hex" in x else x["path"].encode()
    assert raw.decode("utf-8", "replace") == x["path"], x
d = json.load(open(sys.argv[2]))
ch = [c for c in d["changes"] if c.get("path_hex") == b"t/caf\xe9".hex()]
assert len(ch) == 1 and ch[0]["change"] == "changed", d
EOF

# A store path that is not UTF-8 (verify names it in "store" and "file").
bad=$(printf 'st\351re')
expect_ok q init "$bad"
js verify 0 verify "$bad" --json
"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["store"] == "st\ufffdre" and d["store_hex"] == b"st\xe9re".hex(), d
' "$OUT" || fail "verify --json of a store path that is not UTF-8: $(head -c 200 "$OUT")"

# ---- errors: text on stderr for every subcommand, never JSON; stdout
# stays empty.
for cmdline in "ls nosuch --json" "put nosuch x --input raw.bin --json" \
    "get s nosuch --json" "stats nosuch --json" "rm s nosuch --json" \
    "init s --json" "keys s --json --passphrase-file /nonexistent"; do
	LAST_RC=0
	# shellcheck disable=SC2086
	"$QSARC" $cmdline >"$OUT" 2>"$ERR" || LAST_RC=$?
	crash_check "$cmdline"
	[ "$LAST_RC" -ne 0 ] || fail "qsarc $cmdline: exit 0"
	[ -s "$OUT" ] && fail "qsarc $cmdline failed but printed on stdout: $(head -c 200 "$OUT")"
	grep -q '^qsarc: [a-z]*: ' "$ERR" || fail "qsarc $cmdline: no 'qsarc: SUB: detail' error line: $(head -c 200 "$ERR")"
	grep -q '^{' "$ERR" && fail "qsarc $cmdline: a JSON error on stderr (errors are text): $(head -c 200 "$ERR")"
done
exit 0
