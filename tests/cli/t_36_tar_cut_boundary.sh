# Issue 18, item 10: a tar cut on a member boundary (tar killed between two
# members: no end-of-archive blocks) was stored with exit 0 and its
# catalogue said "complete".  Now it is refused like a tar cut inside a
# member, unless --allow-truncated; a tar with its end blocks is stored.
. "$CLI_DIR/lib.sh"

mkdir -p src
echo one >src/a
gen_file 361 3000 src/b
tar cf full.tar src
"$PY" - <<'PYEOF' || fail "cannot cut the tar"
import tarfile
d = open("full.tar", "rb").read()
last = tarfile.open("full.tar").getmembers()[-1]
end = last.offset_data + (last.size + 511) // 512 * 512
open("cut.tar", "wb").write(d[:end])
# One zero block is an end marker too (libarchive and GNU tar accept it).
open("one.tar", "wb").write(d[:end] + bytes(512))
PYEOF
expect_ok q init s
expect_fail 1 'without the end-of-archive blocks' q put s cut --input cut.tar
has_stream s cut && fail "the cut tar was stored"
expect_ok q put s cut --input cut.tar --allow-truncated
restores s cut cut.tar
expect_ok q put s full --input full.tar
expect_ok q put s one --input one.tar
expect_ok q ls s full --json
grep -q '"complete": true' "$OUT" || fail "a whole tar is not complete: $(cat "$OUT")"
# Not tar at all: not concerned.
expect_ok q put s raw --input src/b
