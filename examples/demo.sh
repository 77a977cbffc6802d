#!/bin/sh
# The main job on an example: a real tar stream into a new store, back out,
# compared byte for byte, and the store's statistics.  Run by `make demo`.
set -eu
QSARC=${QSARC:-build/qsarc}
work=$(mktemp -d "${TMPDIR:-/tmp}/qsarc-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

src=/usr/share/doc
[ -d /usr/include ] && src=/usr/include
echo "== tar of $src into a new store"
"$QSARC" init "$work/store"
tar cf - -C "$(dirname "$src")" "$(basename "$src")" 2>/dev/null > "$work/in.tar"
"$QSARC" put "$work/store" demo-1 --input "$work/in.tar"
echo "== the same tree again (deduplicated)"
"$QSARC" put "$work/store" demo-2 < "$work/in.tar"
echo "== restore and compare"
"$QSARC" get "$work/store" demo-1 > "$work/out.tar"
cmp "$work/in.tar" "$work/out.tar"
echo "restored stream is byte-identical ($(wc -c < "$work/in.tar") bytes)"
"$QSARC" ls "$work/store"
"$QSARC" stats "$work/store"
