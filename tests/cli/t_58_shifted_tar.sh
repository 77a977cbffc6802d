# Issue 17, "dedup that survives a shifted tar": a tar with bytes in front
# of it (or after other data) is not a tar to libarchive, so its members got
# no cuts and the stream shared almost nothing with the same tar stored
# before (79% new for a 100-byte prefix on this tree).  Headers are now also
# found by their content; a 100-byte insertion anywhere must add under 5%.
. "$CLI_DIR/lib.sh"

# A tree of 300 text-like files of 0.3-200 KB, some with names long enough
# for pax extension headers.
"$PY" - <<'PYEOF' || fail "making the tree failed"
import os, random
r = random.Random(58)
vocab = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 9)))
         for _ in range(3000)]
deep = "tree/" + "/".join("directory-level-%02d" % i for i in range(8))
os.makedirs(deep)
for i in range(300):
    n = r.choice([300, 2000, 5000, 12000, 30000, 80000, 200000])
    d = deep if i % 5 == 0 else "tree"
    with open("%s/f%04d.c" % (d, i), "w") as f:
        f.write(" ".join(r.choice(vocab) for _ in range(n // 5))[:n])
PYEOF
tar --format=pax -cf base.tar tree
"$PY" - <<'PYEOF' || fail "making the variants failed"
import random
r = random.Random(5858)
d = open("base.tar", "rb").read()
ins = bytes(r.randrange(256) for _ in range(100))
open("prefix.tar", "wb").write(ins + d)
for i in range(4):
    m = r.randrange(len(d))
    open("insert%d.tar" % i, "wb").write(d[:m] + ins + d[m:])
PYEOF
size=$(file_size base.tar)

expect_ok q init s
expect_ok q put s base --input base.tar
for v in prefix insert0 insert1 insert2 insert3; do
	# prefix.tar is not a tar to libarchive (no catalogue); it is stored.
	expect_ok q put s "$v" --input "$v.tar" --json
	new=$(json_get new_bytes)
	[ $((new * 100)) -lt $((size * 5)) ] ||
		fail "$v: $new of $size bytes new (want under 5%)"
	note "$v: $new of $size bytes new"
	restores s "$v" "$v.tar"
done

# The tar after 300 KB of other data (as in a disk image or a concatenation):
# only the other data is new.
gen_file 7 300K other.bin
cat other.bin base.tar >after.tar
expect_ok q put s after --input after.tar --json
new=$(json_get new_bytes)
[ "$new" -lt $((300 * 1024 + size / 20)) ] ||
	fail "after other data: $new of $(file_size after.tar) bytes new"
restores s after after.tar
expect_ok q verify s
