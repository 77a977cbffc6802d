# Encrypted stores: record headers must not identify a known file (issue
# 14 item 5).  Version 1 records carried raw_len and the compressed
# stored_len in the clear, in stream order: cutting a candidate file at
# the observed raw lengths and compressing each piece reproduced every
# stored_len byte for byte, without any key.  This scenario repeats that
# experiment from the container bytes alone ($PY, no key):
#  (a) the clear headers give no cut points: every raw_len is 0, and so
#      is each trailer's raw total (version 1: they sum to the file size);
#  (b) even given the true cut points (from the reader with the
#      passphrase, which an attacker does not have), no stored_len equals
#      the compressed piece plus the tag, and the sequence of record sizes
#      in file order is not the sequence of the stream (records are
#      shuffled, payloads padded);
#  (c) the store still restores, verifies, and the reader reads it.
. "$CLI_DIR/lib.sh"
enc_setup 'record sizes passphrase'
chmod 600 pw

# A known file of compressible text and random blocks: many chunks.
"$PY" - known.dat <<'EOF' || fail "setup: known file"
import random, sys
r = random.Random(3901)
words = [bytes(r.choice(b"abcdefghij klmnop") for _ in range(r.randint(2, 9)))
         for _ in range(400)]
out = open(sys.argv[1], "wb")
for i in range(24):
    if i % 3 == 0:
        out.write(r.randbytes(r.randint(20000, 90000)))
    else:
        out.write(b" ".join(r.choice(words) for _ in range(12000)))
EOF
# shellcheck disable=SC2086
expect_ok q init s --encrypt $KDF --avg-chunk 64K $P
expect_ok q put s known --input known.dat $P

# The attack: read only the container files.
"$PY" - s known.dat >attack.out <<'EOF' || fail "the key-free attack failed to run"
import os, struct, sys, zstandard
root, known = sys.argv[1], open(sys.argv[2], "rb").read()
recs, trailer_raw = [], 0
for d, _, files in sorted(os.walk(os.path.join(root, "data"))):
    for f in sorted(files):
        if not f.endswith(".qsc"):
            continue
        b = open(os.path.join(d, f), "rb").read()
        end = len(b) - 64
        trailer_raw += struct.unpack_from("<Q", b, end + 24)[0]
        off = 64
        while off < end:
            raw, stored = struct.unpack_from("<II", b, off + 8)
            recs.append((raw, stored))
            off += 80 + stored
# Cut at the observed raw lengths, compress each piece as qsarc does.
cut_ok = sum(r for r, _ in recs) == len(known) and all(r for r, _ in recs)
match = 0
if cut_ok:
    pos, z = 0, zstandard.ZstdCompressor(level=3)
    for raw, stored in recs:
        piece = known[pos:pos + raw]
        pos += raw
        c = len(z.compress(piece))
        if min(c, raw) + 16 == stored:
            match += 1
print("records", len(recs))
print("raw_sum", sum(r for r, _ in recs))
print("trailer_raw", trailer_raw)
print("cut_ok", int(cut_ok))
print("exact", match)
EOF
cat attack.out >&2
n=$(awk '$1 == "records" {print $2}' attack.out)
[ "$n" -ge 8 ] || fail "setup: expected at least 8 records, got $n"
awk '$1 == "cut_ok" && $2 == 0' attack.out | grep -q . ||
	fail "(a) the clear raw lengths still cut the known file into its chunks ($(grep exact attack.out) of $n sizes match)"
awk '$1 == "raw_sum" && $2 == 0' attack.out | grep -q . ||
	fail "(a) clear raw_len fields are not all zero: $(grep raw_sum attack.out)"
awk '$1 == "trailer_raw" && $2 == 0' attack.out | grep -q . ||
	fail "(a) the trailers give the raw total: $(grep trailer_raw attack.out)"

# (b) The strongest attacker: told the true cut points and which record
# holds which chunk (the reader, with the passphrase, gives both).
"$PY" - "$CLI_DIR/../../examples/reader" s known.dat pw >oracle.out <<'EOF' || fail "(b) the oracle run failed"
import os, struct, sys, zstandard
sys.path.insert(0, sys.argv[1])
import qsarc_read as qr
pw = open(sys.argv[4], "rb").read().rstrip(b"\n")
st = qr.Store(sys.argv[2], pw)
known = open(sys.argv[3], "rb").read()
_, refs = st.manifest("known")
z = zstandard.ZstdCompressor(level=3)
pos, exact, stream_sizes, where = 0, 0, [], []
for cid, raw_len in refs:
    piece = known[pos:pos + raw_len]
    pos += raw_len
    want = min(len(z.compress(piece)), raw_len) + 16
    ctr, off, length = st.lookup(cid)
    with open(st.container_path(ctr), "rb") as f:
        f.seek(off + 12)
        stored = struct.unpack("<I", f.read(4))[0]
    exact += stored == want
    stream_sizes.append(want)
    where.append((ctr, off))
assert pos == len(known), "the manifest does not cover the known file"
# The record sizes in file order against the stream's sizes in order.
file_sizes = []
for ctr in sorted(set(c for c, _ in where)):
    b = open(st.container_path(ctr), "rb").read()
    off = 64
    while off < len(b) - 64:
        stored = struct.unpack_from("<I", b, off + 12)[0]
        file_sizes.append(stored)
        off += 80 + stored
in_order = where == sorted(where, key=lambda w: (sorted(set(
    c for c, _ in where)).index(w[0]), w[1]))
print("chunks", len(refs))
print("exact", exact)
print("sequence_equal", int(file_sizes == stream_sizes))
print("stream_order", int(in_order))
EOF
cat oracle.out >&2
chunks=$(awk '$1 == "chunks" {print $2}' oracle.out)
exact=$(awk '$1 == "exact" {print $2}' oracle.out)
[ "$exact" -eq 0 ] || fail "(b) $exact of $chunks record sizes equal the compressed chunk plus the tag"
grep -qx 'sequence_equal 0' oracle.out || fail "(b) the record sizes in file order are the stream's sizes"
grep -qx 'stream_order 0' oracle.out || fail "(b) the records are in stream order"
note "$chunks chunks: 0 exact sizes, records out of stream order"

# (c) Still a working store.
get_cmp s known known.dat $P
expect_ok q verify s --read-data $P
"$PY" "$CLI_DIR/../../examples/reader/qsarc_read.py" s get known --passphrase-file pw >reader.dat ||
	fail "(c) the reader cannot read the store"
cmp -s reader.dat known.dat || fail "(c) the reader's output differs"
# stats cannot total sealed lengths without reading every record: it says so.
expect_ok q stats s $P
grep -q 'lengths are sealed' "$OUT" || fail "(c) stats does not say its unique bytes leave out the sealed records: $(cat "$OUT")"

# (d) A store of version 1 containers (the committed fixture) takes version
# 2 containers beside them; both read, with qsarc and with the reader.
VEC=$CLI_DIR/../../spec/vectors
forget_streams_record
cp -r "$VEC/store-encrypted" old
chmod -R u+w old
VP="--passphrase-file $VEC/store-encrypted.passphrase"
expect_ok q get old hello.txt $VP
cp "$OUT" hello.before
expect_ok q put old known --input known.dat $VP
get_cmp old known known.dat $VP
expect_ok q get old hello.txt $VP
cmp -s "$OUT" hello.before || fail "(d) hello.txt of the fixture reads differently after a version 2 put"
# (The fixture's backup keystore is elsewhere: verify reports only that.)
run_q verify old --read-data $VP
grep -Eq '[0-9]+ containers \(0 damaged\)' "$OUT" && grep -q 'chunks (0 damaged' "$OUT" ||
	fail "(d) verify --read-data of the mixed store: $(cat "$OUT")"
other=$(grep '^DAMAGE ' "$OUT" | grep -v 'backup keystore is missing' | grep -v '^DAMAGE FOUND' || true)
[ -z "$other" ] || fail "(d) verify of the mixed store finds damage: $other"
"$PY" "$CLI_DIR/../../examples/reader/qsarc_read.py" old verify --passphrase-file "$VEC/store-encrypted.passphrase" >rv.out ||
	fail "(d) the reader's verify of a mixed version 1 / 2 store failed: $(cat rv.out)"
