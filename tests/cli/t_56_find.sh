# qsarc find STORE PATTERN: the members PATTERN chooses (as get --member
# does) in the catalogues of every live stream, one line each (stream,
# mtime, size, path); --prefix, --json; nothing matched is exit 3, a damaged
# catalogue exit 6 with the other streams still searched.
. "$CLI_DIR/lib.sh"

T1='2021-03-04 05:06:07'
mkdir -p t/etc/app t/var
printf 'fstab v1\n' >t/etc/fstab
printf 'k=v\n' >t/etc/app/app.conf
printf 'gone\n' >t/var/gone.log
find t -exec touch -h -d "$T1" {} +
tar -cf v1.tar --sort=name -C . t
rm t/var/gone.log
printf 'x=y\n' >t/etc/new.conf
printf 'fstab, version 2\n' >t/etc/fstab
touch -d "$T1" t/etc/new.conf t/etc/fstab
tar -cf v2.tar --sort=name -C . t
expect_ok q init s
expect_ok q put s srv-1 --input v1.tar
expect_ok q put s srv-2 --input v2.tar
expect_ok q put s raw --input v1.tar --no-catalog

# An exact path: one line a stream, in name order, path last.
expect_ok q find s t/etc/fstab
cat >want <<'EOF2'
srv-1  2021-03-04T05:06:07Z            9  t/etc/fstab
srv-2  2021-03-04T05:06:07Z           17  t/etc/fstab
EOF2
if ! cmp -s want "$OUT"; then
	diff want "$OUT" >&2
	fail "find s t/etc/fstab: not the expected lines"
fi
# A pattern ('**' crosses '/'), a directory, a member in one stream only.
expect_ok q find s '**/*.conf'
[ "$(awk '{ print $1, $4 }' "$OUT" | tr '\n' ' ')" = "srv-1 t/etc/app/app.conf srv-2 t/etc/app/app.conf srv-2 t/etc/new.conf " ] ||
	fail "find s '**/*.conf': $(cat "$OUT")"
expect_ok q find s t/var
grep -q 'srv-1 .* t/var/gone.log$' "$OUT" || fail "find s t/var: gone.log of srv-1 not found"
grep -q '^srv-2 .*gone' "$OUT" && fail "find s t/var: srv-2 has no gone.log"
# --prefix: only those streams.
expect_ok q find s t/etc/fstab --prefix srv-2
[ "$(wc -l <"$OUT")" = 1 ] && grep -q '^srv-2 ' "$OUT" || fail "find --prefix srv-2: $(cat "$OUT")"
# --json: the same, with counts; the uncatalogued stream is counted.
expect_ok q find s '*.conf' --json
"$PY" - "$OUT" <<'EOF2' || fail "find --json: wrong object"
import json, sys
j = json.load(open(sys.argv[1]))
got = [(m["stream"], m["path"], m["type"], m["size"], m["mtime"]) for m in j["matches"]]
assert got == [("srv-1", "t/etc/app/app.conf", "file", 4, "2021-03-04T05:06:07Z"),
               ("srv-2", "t/etc/app/app.conf", "file", 4, "2021-03-04T05:06:07Z"),
               ("srv-2", "t/etc/new.conf", "file", 4, "2021-03-04T05:06:07Z")], got
assert j["count"] == 3 and j["streams_searched"] == 2 and j["streams_uncatalogued"] == 1, j
EOF2

# Nothing matched: exit 3 (as get --member), with a message; --json still
# prints its object.
expect_fail 3 'no member of 2 catalogued streams matches "nosuch"' q find s nosuch
[ -s "$OUT" ] && fail "find with no match printed: $(cat "$OUT")"
expect_exit 3 q find s nosuch --json
[ "$(json_get count)" = 0 ] || fail "find --json with no match: count $(json_get count)"
expect_exit 3 q find s t/etc/fstab --prefix nosuch
expect_exit 3 q find nostore t/etc/fstab
# Usage errors.
expect_exit 2 q find s
expect_exit 2 q find s ''
expect_exit 2 q find s a b

# A damaged catalogue: exit 6, naming it, and the other stream is searched.
cats=$(find s/catalogs -name '*.qct' | sort)
[ "$(echo "$cats" | wc -l)" = 2 ] || fail "expected 2 catalogue files"
flip_byte "$(echo "$cats" | head -n 1)" 100
expect_exit 6 q find s t/etc/fstab
[ "$(wc -l <"$OUT")" = 1 ] || fail "find with one damaged catalogue: $(cat "$OUT")"
exit 0
