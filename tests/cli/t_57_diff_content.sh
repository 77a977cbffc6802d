# diff compares content: a same-size, same-mtime edit is a change
# ("content"), told from the chunk ids under each member's bytes and, where
# they differ, from the bytes; a member whose header alone changed is not a
# content change; every changed attribute is listed, not just the first.
. "$CLI_DIR/lib.sh"

T1='2021-03-04 05:06:07'
T2='2022-01-01 00:00:00'
mkdir -p t
printf 'hello world\n' >t/a.txt
printf 'bee\n' >t/b.txt
printf 'sea\n' >t/c.txt
printf 'time\n' >t/e.txt
gen_file 7 1M t/d.bin
gen_file 8 1M t/same.bin
gen_file 9 1M t/f.bin
gen_file 10 1M t/g.bin
gen_file 11 1M t/h.bin
chmod 644 t/*
find t -exec touch -h -d "$T1" {} +
tar -cf v1.tar --sort=name -C . t
tar -cf v1own.tar --sort=name --owner=alice:1001 --group=staff:1002 -C . t

# Same size and time, other bytes: a.txt (small, one chunk with its
# neighbours) and d.bin (1 MiB, one byte in the middle).
printf 'hello World\n' >t/a.txt
# flip FILE OFFSET: change the byte at OFFSET (negative: from the end).
flip() {
	"$PY" - "$1" "$2" <<'EOF2'
import os, sys
f = open(sys.argv[1], "r+b")
off = int(sys.argv[2])
if off < 0:
    off += os.path.getsize(sys.argv[1])
f.seek(off)
b = f.read(1)
f.seek(off)
f.write(bytes([b[0] ^ 0x55]))
EOF2
}
flip t/d.bin 500000
# The first byte (in the chunk with the header) and the last one.
flip t/f.bin 0
flip t/g.bin -1
# Several attributes at once; and a new time only.
chmod 600 t/b.txt
printf 'ocean\n' >t/c.txt
chmod 755 t/c.txt
find t -exec touch -h -d "$T1" {} +
# A new time on a big member: only its first chunk holds other bytes.
touch -d "$T2" t/b.txt t/c.txt t/e.txt t/h.bin
tar -cf v2.tar --sort=name -C . t

expect_ok q init s
expect_ok q put s v1 --input v1.tar
expect_ok q put s v2 --input v2.tar
expect_ok q put s v1own --input v1own.tar
expect_ok q diff s v1 v2
cat >want <<'EOF2'
M t/a.txt (content)
M t/b.txt (mtime, mode)
M t/c.txt (size, mtime, mode)
M t/d.bin (content)
M t/e.txt (mtime)
M t/f.bin (content)
M t/g.bin (content)
M t/h.bin (mtime)
EOF2
if ! cmp -s want "$OUT"; then
	diff want "$OUT" >&2
	fail "diff s v1 v2: not the expected lines"
fi
expect_ok q diff s v1 v2 --json
"$PY" - "$OUT" <<'EOF2' || fail "diff --json: attributes wrong"
import json, sys
j = json.load(open(sys.argv[1]))
got = {c["path"]: (c["what"], c["attributes"]) for c in j["changes"]}
want = {"t/a.txt": ["content"], "t/b.txt": ["mtime", "mode"],
        "t/c.txt": ["size", "mtime", "mode"], "t/d.bin": ["content"],
        "t/e.txt": ["mtime"], "t/f.bin": ["content"],
        "t/g.bin": ["content"], "t/h.bin": ["mtime"]}
assert {p: a for p, (w, a) in got.items()} == want, got
assert all(w == ", ".join(a) for w, a in got.values()), got
assert j["changed"] == 8 and j["added"] == 0 and j["removed"] == 0, j
EOF2
# The other way round, the same members.
expect_ok q diff s v2 v1
grep -qx 'M t/d.bin (content)' "$OUT" || fail "diff s v2 v1: no content change of t/d.bin"
# Owner and group names: every member, and nothing else.
expect_ok q diff s v1 v1own
[ "$(grep -c ' (owner)$' "$OUT")" = "$(wc -l <"$OUT")" ] && [ "$(wc -l <"$OUT")" = 10 ] ||
	fail "diff s v1 v1own: $(cat "$OUT")"
# The same bytes again: nothing.
expect_ok q put s v2b --input v2.tar
expect_ok q diff s v2 v2b
[ -s "$OUT" ] && fail "diff of two copies of one tar: $(cat "$OUT")"
# A stream against itself: nothing.
expect_ok q diff s v1 v1
[ -s "$OUT" ] && fail "diff s v1 v1: $(cat "$OUT")"
exit 0
