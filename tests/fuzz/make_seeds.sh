#!/usr/bin/env bash
# Makes the seed corpora of the libFuzzer harnesses from real files:
#   tests/fuzz/seedstore/          a tiny plain store made with build/qsarc
#                                  (stream "F"); the store harnesses run on
#                                  a copy of it, so its files are valid
#                                  inputs for them
#   tests/fuzz/corpus/HARNESS/     a few small files per harness, cut from
#                                  that store, an encrypted store, and
#                                  tests/data/tar-variants (if present)
# Run from anywhere:  QSARC=build/qsarc tests/fuzz/make_seeds.sh
# Rerunning replaces the seed store and corpora (new store id and keys).

set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
QSARC=${QSARC:-$root/build/qsarc}
[ -x "$QSARC" ] || { echo "make_seeds.sh: build $QSARC first" >&2; exit 1; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qsarc-seeds.XXXXXX")
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
export QSARC_STATE_DIR=$tmp/state
unset QSARC_PASSPHRASE

# The plain store: 24 KiB of pseudo-random bytes, its first half again.
"$QSARC" init "$tmp/s" --avg-chunk 4K --container-size 1M >/dev/null
"$PY" -c '
import random, sys
r = random.Random(1); b = r.randbytes(12288)
sys.stdout.buffer.write(b + b)' >"$tmp/F.dat"
"$QSARC" put "$tmp/s" F --input "$tmp/F.dat" >/dev/null
# A second stream, for more manifests (a small tar if there is one).
tar=$(ls -S "$root"/tests/data/tar-variants/*.tar 2>/dev/null | tail -n1 || true)
if [ -n "$tar" ]; then
	"$QSARC" put "$tmp/s" T --input "$tar" >/dev/null
fi

# An encrypted store with a cheap KDF, for keystore and sealed headers.
printf 'seed-pass' >"$tmp/pass"
"$QSARC" init "$tmp/e" --encrypt --passphrase-file "$tmp/pass" \
    --kdf-time 1 --kdf-memory 8M --avg-chunk 4K >/dev/null
"$QSARC" put "$tmp/e" E --input "$tmp/F.dat" \
    --passphrase-file "$tmp/pass" >/dev/null

# The template store of the store harnesses: stream F only.
rm -rf "$here/seedstore"
mkdir -p "$here/seedstore"
cp -R "$tmp/s/." "$here/seedstore/"
rm -f "$here/seedstore/streams/T.qsm" "$here/seedstore/lock"
: >"$here/seedstore/lock"
chmod -R u+w "$here/seedstore"

"$PY" - "$tmp" "$here" "$root" <<'PYEOF'
import glob, os, random, shutil, struct, sys

tmp, here, root = sys.argv[1:4]
corpus = os.path.join(here, "corpus")

def put(harness, name, data):
    d = os.path.join(corpus, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def read(p):
    with open(p, "rb") as f:
        return f.read()

for h in glob.glob(os.path.join(corpus, "*")):
    shutil.rmtree(h)

def frames(m):
    """Plaintexts of the frames of a plain manifest."""
    out, off = [], 64
    while off + 4 <= len(m):
        n = struct.unpack_from("<I", m, off)[0]
        out.append(m[off + 4:off + 4 + n - 16])
        off += 4 + n
    return out

# Records and containers.
for store in ("s", "e"):
    for i, c in enumerate(sorted(glob.glob(f"{tmp}/{store}/data/*/*.qsc"))[:2]):
        b = read(c)
        put("fuzz_record", f"{store}{i}-header", b[:64])
        put("fuzz_record", f"{store}{i}-trailer", b[-64:])
        put("fuzz_record", f"{store}{i}-record", b[64:144])
seedc = sorted(glob.glob(f"{here}/seedstore/data/*/*.qsc"))
for i, c in enumerate(seedc):
    put("fuzz_container_store", f"container{i}", read(c))

# Manifests.
for store in ("s", "e"):
    for m in sorted(glob.glob(f"{tmp}/{store}/streams/*.qsm")):
        b = read(m)
        name = os.path.basename(m)[:-4]
        put("fuzz_manifest", f"{store}-{name}-header", b[:64])
        if store == "s":
            for j, pt in enumerate(frames(b)):
                put("fuzz_manifest", f"{store}-{name}-frame{j}", pt)
put("fuzz_manifest_store", "F", read(f"{here}/seedstore/streams/F.qsm"))

# Configs (body without the 32-byte checksum trailer).
for store in ("s", "e"):
    put("fuzz_config", f"config-{store}", read(f"{tmp}/{store}/config")[:-32])

# Keystores: the real files (header decoding), and synthetic plaintext
# bodies in the layout of format/keystore_fmt.c (the real ones are sealed).
put("fuzz_keystore_fmt", "keystore-primary", read(f"{tmp}/e/keystore"))
for p in glob.glob(f"{tmp}/state/keys/*.qsk"):
    put("fuzz_keystore_fmt", "keystore-backup", read(p))
r = random.Random(2)
for nkeys in (1, 3):
    body = struct.pack("<HBBQqQ", 1, 1, 0, 30 * 86400, 1700000000, 1)
    body += r.randbytes(16) + r.randbytes(32) + r.randbytes(32)
    body += struct.pack("<HH", nkeys, 0)
    for k in range(nkeys):
        body += struct.pack("<HBBq", k + 1, 1 if k == nkeys - 1 else 2, 0,
                            1700000000 + k) + r.randbytes(32)
    put("fuzz_keystore_fmt", f"body-{nkeys}keys", body)

# Index segments (small ones).
for store in ("s", "e"):
    for i, p in enumerate(sorted(glob.glob(f"{tmp}/{store}/index/seg-*.qsi"))):
        b = read(p)
        if len(b) <= 65536:
            put("fuzz_segment", f"{store}-seg{i}", b)

# Chunker: 3 parameter bytes, then data: random, zeros, tar files.
data = [read(f"{tmp}/F.dat")[:20000], bytes(20000)]
for t in sorted(glob.glob(f"{root}/tests/data/tar-variants/*"))[:4]:
    data.append(read(t)[:32768])
for i, d in enumerate(data):
    put("fuzz_chunker", f"data{i}", bytes([i % 7, i % 8, i % 3]) + d)

for h in sorted(os.listdir(corpus)):
    files = os.listdir(os.path.join(corpus, h))
    size = sum(os.path.getsize(os.path.join(corpus, h, f)) for f in files)
    print(f"{h}: {len(files)} seeds, {size} bytes")
PYEOF
du -sh "$here/seedstore" | sed 's/^/seedstore: /'
