# qsarc diff STORE OLD NEW: the members added, removed and changed between
# two tar streams of a tree, line by line, and the same as JSON.
. "$CLI_DIR/lib.sh"

T1='2021-03-04 05:06:07'
T2='2022-01-01 00:00:00'
mkdir -p t/keep t/gone t/sub
printf 'same\n' >t/keep/same.txt
printf 'twelve bytes' >t/keep/size.txt
printf 'time\n' >t/keep/time.txt
printf 'mode\n' >t/keep/mode.txt
printf 'bye\n' >t/gone/old.txt
printf 'bye\n' >t/removed.txt
ln -s keep/same.txt t/link
chmod 644 t/keep/*.txt
find t -exec touch -h -d "$T1" {} +
tar -cf v1.tar --sort=name -C . t

# Version 2: one file grows, one gets a new time, one a new mode, the link
# a new target, a directory and a file go, two files and a directory come.
printf 'thirteen bytes' >t/keep/size.txt
chmod 600 t/keep/mode.txt
rm -r t/gone t/removed.txt
rm t/link
ln -s keep/time.txt t/link
mkdir t/new
printf 'new\n' >t/new/a.txt
printf 'new\n' >t/sub/b.txt
find t -exec touch -h -d "$T1" {} +
touch -d "$T2" t/keep/time.txt
tar -cf v2.tar --sort=name -C . t

expect_ok q init s
expect_ok q put s v1 --input v1.tar
expect_ok q put s v2 --input v2.tar
expect_ok q diff s v1 v2
cat >want <<'EOF'
- t/gone/
- t/gone/old.txt
M t/keep/mode.txt (mode)
M t/keep/size.txt (size)
M t/keep/time.txt (mtime)
M t/link (link)
+ t/new/
+ t/new/a.txt
- t/removed.txt
+ t/sub/b.txt
EOF
if ! cmp -s want "$OUT"; then
	diff want "$OUT" >&2
	fail "diff s v1 v2: not the expected lines"
fi

# JSON: parses, and says the same.
expect_ok q diff s v1 v2 --json
"$PY" - "$OUT" want <<'EOF' || fail "diff --json does not match the text form"
import json, sys
j = json.load(open(sys.argv[1]))
tag = {"added": "+", "removed": "-", "changed": "M"}
lines = []
for c in j["changes"]:
    s = "%s %s" % (tag[c["change"]], c["path"])
    if c["change"] == "changed":
        s += " (%s)" % c["what"]
    lines.append(s)
want = open(sys.argv[2]).read().splitlines()
assert lines == want, (lines, want)
n = lambda t: sum(1 for l in want if l.startswith(t))
assert j["added"] == n("+") and j["removed"] == n("-") and j["changed"] == n("M"), j
EOF

# The other way round: additions become removals.
expect_ok q diff s v2 v1
grep -qx -- '+ t/gone/old.txt' "$OUT" || fail "diff s v2 v1 does not add t/gone/old.txt"
grep -qx -- '- t/new/a.txt' "$OUT" || fail "diff s v2 v1 does not remove t/new/a.txt"
# A stream against itself, and against the same bytes stored again: empty.
expect_ok q diff s v1 v1
[ ! -s "$OUT" ] || fail "diff s v1 v1 is not empty"
expect_ok q put s v1b --input v1.tar
expect_ok q diff s v1 v1b --json
[ "$(json_get changed)" = 0 ] && [ "$(json_get added)" = 0 ] && [ "$(json_get removed)" = 0 ] ||
	fail "diff of a stream with a copy of itself reports changes"
# Without a catalogue or without the stream: exit 3.
expect_ok q put s raw --input v1.tar --no-catalog
expect_fail 3 'no member catalogue' q diff s v1 raw
expect_exit 3 q diff s v1 nosuch
expect_exit 2 q diff s v1

# Catalogue files and their lifecycle (spec/CATALOGUE.md section 4).
ncat() { find s/catalogs -name '*.qct' | wc -l; }
n0=$(ncat)
[ "$n0" = 3 ] || fail "3 catalogued streams (v1 v2 v1b), $n0 catalogue files"
# An orphan (as a crash between the catalogue and the manifest commit
# leaves) and a temporary file: clean removes both, and no named one.
some=$(find s/catalogs -name '*.qct' | head -n 1)
cp "$some" s/catalogs/0123456789abcdef0123456789abcdef.qct
printf 'partial' >s/catalogs/.tmp-crashed
expect_ok q clean s --dry-run --json
[ "$(json_get catalogues_removed)" = 1 ] || fail "clean --dry-run: catalogues_removed $(json_get catalogues_removed), expected 1"
[ -e s/catalogs/0123456789abcdef0123456789abcdef.qct ] || fail "clean --dry-run removed the orphan"
expect_ok q clean s --json
[ "$(json_get catalogues_removed)" = 1 ] || fail "clean: catalogues_removed $(json_get catalogues_removed), expected 1"
[ ! -e s/catalogs/0123456789abcdef0123456789abcdef.qct ] || fail "clean left the orphan catalogue"
[ ! -e s/catalogs/.tmp-crashed ] || fail "clean left a temporary file in catalogs/"
[ "$(ncat)" = 3 ] || fail "clean removed a catalogue a manifest names"
expect_ok q diff s v1 v2
cmp -s want "$OUT" || fail "diff after clean differs"
# rm keeps the catalogue (unexpire brings the listing back); clean of the
# expired stream removes it.
expect_ok q rm s v1b
expect_ok q clean s
[ "$(ncat)" = 2 ] || fail "clean after rm v1b: $(ncat) catalogue files, expected 2"
expect_ok q rm s v2
expect_ok q ls s v2 --expired
grep -qx 't/new/a.txt' "$OUT" || fail "ls --expired NAME does not list the members of a removed stream"
expect_ok q unexpire s v2
expect_ok q ls s v2
grep -qx 't/new/a.txt' "$OUT" || fail "unexpire: the members of v2 are not listed"
# A damaged or missing catalogue: listing and diff fail (exit 6), but the
# stream still comes back whole.
for f in $(find s/catalogs -name '*.qct'); do flip_byte "$f" 100; done
expect_exit 6 q ls s v2
expect_exit 6 q diff s v1 v2
expect_exit 6 q get s v2 --member t/new/a.txt
restores s v2 v2.tar
find s/catalogs -name '*.qct' -delete
expect_exit 6 q ls s v1
err_matches 'missing' || fail "a missing catalogue is not reported as missing"
restores s v1 v1.tar
