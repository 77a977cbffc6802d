# Issue 14, item 5 (the rest): the size of a manifest or catalogue gave away
# its stream's exact chunk count (36 bytes a reference) and name length, and
# a catalogue's size its member count.  Sealed files are now version 3,
# whose frames are padded (FORMAT.md 6.2): sizes come in coarse classes.
# The attack: recover the chunk count from the manifest size alone.
. "$CLI_DIR/lib.sh"

enc_setup "padding test passphrase"
chmod 600 pw
expect_ok q init e --encrypt --avg-chunk 4K $KDF $P
# Streams of 1..40 chunks: incompressible data cut at 4 KiB on average.
for n in 1 2 3 5 8 13 21 30 40; do
	gen_file "$n" $((n * 4096)) "in$n.bin"
	expect_ok q put e "s$n" --input "in$n.bin" $P --json
	echo "$n $(json_get chunks) $(file_size "e/streams/s$n.qsm")" >>sizes
done
# Names of 1 and 200 bytes, one chunk each.
long=$(printf 'n%.0s' $(seq 200))
expect_ok q put e x --input in1.bin $P
expect_ok q put e "$long" --input in1.bin $P

"$PY" - "$PWD" <<'PYEOF' || fail "manifest sizes still give the chunk count away (above)"
import os, struct, sys
d = sys.argv[1]
rows = [tuple(map(int, l.split())) for l in open(os.path.join(d, "sizes"))]
names = [r[0] for r in rows]
rows = [(c, s) for _, c, s in rows]
# The attack: 64-byte header, refs frame 4+24+8+36n+16, summary frame
# 4+24+192+len(name)+16.  With the exact sizes of version 2 it recovers n.
def guess(size, namelen):
    return (size - 64 - (4 + 24 + 8 + 16) - (4 + 24 + 192 + namelen + 16)) / 36
hits = sum(1 for (n, size), k in zip(rows, names)
           if guess(size, 1 + len(str(k))) == n)
sizes = sorted(set(s for _, s in rows))
print("chunk counts", [n for n, _ in rows], "-> manifest sizes", sizes,
      "; exact recoveries:", hits)
v = [struct.unpack_from("<H", open(os.path.join(d, "e/streams/s%d.qsm" % k),
                                    "rb").read(), 8)[0] for k in names]
assert set(v) == {3}, "sealed manifests are not version 3: %s" % v
assert hits == 0, "the chunk count is recovered from %d sizes" % hits
# Up to 14 references the refs frame pads to 512: one size for 1..13.
small = set(s for n, s in rows if n <= 13)
assert len(small) == 1, "1..13 chunks give sizes %s" % sorted(small)
# Above 13 the padding classes grow with the size, so how many sizes 14..35
# references give depends on the random chunk counts (4 or 5 seen): ask for
# fewer sizes than counts, not a fixed number.
counts = set(n for n, _ in rows)
assert len(sizes) < len(counts), "%d distinct sizes for %d chunk counts" % (len(sizes), len(counts))
a = os.path.getsize(os.path.join(d, "e/streams/x.qsm"))
b = os.path.getsize(os.path.join(d, "e/streams/" + "n" * 200 + ".qsm"))
assert a == b, "name length shows: %d vs %d bytes" % (a, b)
PYEOF

# Catalogues: tars of 1..40 small members.
for n in 1 4 9 17 40; do
	rm -rf t && mkdir t
	for i in $(seq "$n"); do echo "file $i" >"t/f$i"; done
	tar cf "t$n.tar" t
	expect_ok q put e "t$n" --input "t$n.tar" $P
done
"$PY" - "$PWD" <<'PYEOF' || fail "catalogue sizes still give the member count away"
import glob, os, struct, sys
d = sys.argv[1]
sizes = sorted(set(os.path.getsize(f) for f in glob.glob(d + "/e/catalogs/*.qct")))
v = set(struct.unpack_from("<H", open(f, "rb").read(), 8)[0]
        for f in glob.glob(d + "/e/catalogs/*.qct"))
print("catalogue sizes", sizes, "versions", v)
assert v == {3}, v
assert len(sizes) <= 2, sizes
PYEOF

# Everything reads back, and verify checks the padding.
for n in 1 13 40; do
	rm -f got
	expect_ok q get e "s$n" --output got $P
	cmp -s got "in$n.bin" || fail "s$n does not restore"
done
expect_ok q ls e t17 $P
[ "$(grep -c '^t/f' "$OUT")" -eq 17 ] || fail "ls of t17 lists $(grep -c '^t/f' "$OUT") members"
expect_ok q verify e $P

# Padding is authenticated: a non-zero padding byte (sealed) cannot be made
# without the key, so any change to a padded frame is damage.
flip_byte e/streams/s1.qsm 200
expect_exit 6 q verify e $P

# Plain stores stay version 2: nothing in them is secret.
expect_ok q init p
expect_ok q put p a --input in5.bin
[ "$("$PY" -c 'import struct,sys; print(struct.unpack_from("<H", open(sys.argv[1],"rb").read(), 8)[0])' p/streams/a.qsm)" = 2 ] ||
	fail "a plain manifest is not version 2"
