# The layer checker (tests/check_layers.py, run by make check-layers) passes
# on the tree as it is and fails, naming file and line, on each kind of
# violation it exists to catch: an include against the room stack, an
# outside library outside its home, printing below cmd/, an include cycle,
# an exported function not named after its file.
. "$CLI_DIR/lib.sh"

REPO=$(cd "$CLI_DIR/../.." && pwd)
CHECK=$REPO/tests/check_layers.py

fresh() {
	rm -rf tree
	mkdir tree
	cp -r "$REPO/format" "$REPO/crypto" "$REPO/index" "$REPO/cmd" tree/
}

# expect_violation WHAT PATTERN: the checker exits 1 and prints PATTERN.
expect_violation() {
	rc=0
	"$PY" "$CHECK" tree >"$OUT" 2>"$ERR" || rc=$?
	[ $rc -eq 1 ] || fail "$1: check_layers exited $rc, expected 1: $(cat "$OUT")"
	grep -q -- "$2" "$OUT" || fail "$1: the report does not say '$2': $(cat "$OUT")"
}

fresh
expect_ok "$PY" "$CHECK" tree
grep -q 'no violation' "$OUT" || fail "clean tree: no summary line: $(cat "$OUT")"

# A lower room including a higher one.
fresh
printf '#include "index/jobs/clean.h"\n' >>tree/index/store/store.c
expect_violation "upward include" 'index/store/store.c:[0-9]*: index/store may not include "index/jobs/clean.h"'

# format including crypto.
fresh
printf '#include "crypto/aead.h"\n' >>tree/format/endian.h
expect_violation "format above crypto" 'format/endian.h:[0-9]*: format may not include "crypto/aead.h"'

# libarchive outside index/tar, libsodium outside crypto.
fresh
printf '#include <archive.h>\n' >>tree/index/stream/get.c
expect_violation "libarchive in index/stream" 'index/stream/get.c:[0-9]*: <archive.h> may be included only in index/tar/'
fresh
printf '#include <sodium.h>\n' >>tree/index/chunk/chunker.c
expect_violation "libsodium in index/chunk" 'index/chunk/chunker.c:[0-9]*: <sodium.h> may be included only in crypto/'

# Printing below cmd/ (a comment that mentions printf is fine).
fresh
printf '/* printf("x") in a comment */\n' >>tree/index/chunk/chunker.c
expect_ok "$PY" "$CHECK" tree
printf 'static void p(void) { fprintf(stderr, "x"); }\n' >>tree/index/chunk/chunker.c
expect_violation "printing in index/chunk" 'index/chunk/chunker.c:[0-9]*: prints to the terminal'

# Two modules of one room including each other.
fresh
printf '#include "index/store/framefile.h"\n' >>tree/index/store/container_scan.h
printf '#include "index/store/container_scan.h"\n' >>tree/index/store/framefile.h
expect_violation "include cycle" 'include cycle: .*index/store/container_scan.*index/store/framefile'

# An exported function not named after its file (static ones may be).
fresh
printf 'static int\nhelper(void)\n{\n\treturn (0);\n}\n' >>tree/index/chunk/chunker.c
expect_ok "$PY" "$CHECK" tree
printf 'int\nhelper2(void)\n{\n\treturn (0);\n}\n' >>tree/index/chunk/chunker.c
expect_violation "misnamed export" 'index/chunk/chunker.c:[0-9]*: exports helper2(), which does not start'
# The stated exception: store_* across index/store/store*.c.
fresh
printf 'int\nstore_extra(void)\n{\n\treturn (0);\n}\n' >>tree/index/store/store_paths.c
expect_ok "$PY" "$CHECK" tree

# A file outside every room.
fresh
mkdir tree/index/misc
printf 'int x;\n' >tree/index/misc/x.c
expect_violation "file outside the rooms" 'index/misc/x.c: in no room'

exit 0
