#!/bin/sh
# Encryption at rest: the config MAC (spec/CRYPTO.md "Config MAC",
# spec/SECURITY.md 5.3).  Self-contained (POSIX sh; does not source
# lib.sh); needs $QSARC and /usr/bin/python3, works in its own temporary
# directory (kept on failure when QSARC_KEEP=1).
#
#  (a) someone without the passphrase replaces an encrypted store's config
#      by a plain one: tags 0x8008 and 0x8009 removed, plain keys
#      0x0006/0x0007 of their own added, checksum recomputed.  The config
#      is then a valid plain config (on a copy, a put without a
#      passphrase is accepted and written in the clear: the remaining
#      gap), but a put that brings a passphrase (file, fd or environment)
#      expects encryption and must refuse, writing nothing (the CLI rule
#      in cmd_open_store; a KNOWN BUG PENDING line if the binary lacks it).
#  (b) someone without the passphrase edits a field of an encrypted
#      config (zstd level; also the backup path, plain keys slipped in
#      before the MAC, the MAC itself) and fixes the checksum: opening
#      with the passphrase fails with exit 6 and a message that says the
#      config does not authenticate; the original config works again.
#  (c) the MAC key must not be learnable from the store: a config forged
#      with the chunk id of a stored chunk "qsarc-config-mac-key" as the
#      MAC key must not authenticate (a KNOWN BUG at the time of writing).
#
# Checks that depend on product changes not yet made print "KNOWN BUG:
# PENDING ..." and do not fail the script.
#
#   QSARC=/abs/build/qsarc sh tests/cli/t_25_encrypt_config_mac.sh

set -u

: "${QSARC:?QSARC must name the qsarc binary}"
case $QSARC in
/*) ;;
*) QSARC=$PWD/$QSARC ;;
esac
[ -x "$QSARC" ] || { echo "FAIL: $QSARC is not executable" >&2; exit 1; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/qsarc-t25-mac.XXXXXX") || exit 1
OUT=$WORK/.out
ERR=$WORK/.err
: >"$ERR"
RESULT=1
cleanup() {
	chmod -R u+rwX "$WORK" 2>/dev/null
	if [ "$RESULT" -ne 0 ] && [ "${QSARC_KEEP:-0}" = 1 ]; then
		echo "kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
cd "$WORK" || exit 1

unset QSARC_PASSPHRASE QSARC_CRASH_AT QSARC_ENOSPC_AT QSARC_COUNT_FILE
QSARC_STATE_DIR=$WORK/state
export QSARC_STATE_DIR
KDF="--kdf-time 1 --kdf-memory 8M"
PENDING=0

fail() {
	echo "FAIL: $*" >&2
	if [ -s "$ERR" ]; then
		echo "---- stderr of the last command:" >&2
		head -c 2000 "$ERR" >&2
		echo "----" >&2
	fi
	exit 1
}
note() {
	echo "NOTE: $*"
}
known_bug() {
	echo "KNOWN BUG: $*"
	PENDING=$((PENDING + 1))
}

# run ARGS...: run qsarc, stdout -> $OUT, stderr -> $ERR, status -> $RC.
run() {
	RC=0
	"$QSARC" "$@" >"$OUT" 2>"$ERR" || RC=$?
	check_crash "$*"
}
check_crash() {
	[ "$RC" -lt 128 ] || fail "qsarc $1: died with status $RC"
	if grep -qE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$ERR"; then
		fail "qsarc $1: sanitizer report"
	fi
}
expect() {
	want=$1
	shift
	run "$@"
	[ "$RC" -eq "$want" ] || fail "qsarc $*: exit $RC, expected $want"
}

# cfg ACTION CONFIG [ARGS]: edit a config file in place as an attacker
# without the keys would, from spec/FORMAT.md section 3 alone: 16-byte
# header ("QSARCCFG", u16 version 1, u16 flags 0, u32 body_len), TLVs (u16
# tag, u16 len, value; little-endian), then unkeyed BLAKE2b-256 of all the
# bytes before it.  The checksum of the input is verified first.
#   plain             drop 0x8008 and 0x8009, add random 0x0006/0x0007
#   set TAG HEX       replace the value of TAG
#   addkeys           insert random 0x0006/0x0007 (keeping 0x8008, MAC)
#   flipmac           flip one bit of the 0x8009 value
#   has TAG           exit 0 iff TAG is present (no change)
#   get TAG           print the value of TAG as hex (no change)
cfg() {
	"$PY" - "$@" <<'EOF'
import hashlib, os, struct, sys
act, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
body, trailer = data[:-32], data[-32:]
if hashlib.blake2b(body, digest_size=32).digest() != trailer:
    sys.exit("cfg: the config's checksum does not match before the edit")
magic, ver, flags, blen = struct.unpack("<8sHHI", body[:16])
if magic != b"QSARCCFG" or ver != 1 or flags != 0 or 16 + blen != len(body):
    sys.exit("cfg: bad config header")
tlvs, pos = [], 16
while pos < len(body):
    tag, n = struct.unpack("<HH", body[pos:pos + 4])
    if pos + 4 + n > len(body):
        sys.exit("cfg: TLV overruns the body")
    tlvs.append([tag, body[pos + 4:pos + 4 + n]])
    pos += 4 + n
tags = [t for t, _ in tlvs]
def before_mac(new):
    # Known tags in increasing order, as a writer puts them; the MAC last.
    i = 0
    while i < len(tlvs) and tlvs[i][0] < 0x0006:
        i += 1
    tlvs[i:i] = new
if act == "has":
    sys.exit(0 if int(sys.argv[3], 0) in tags else 1)
if act == "get":
    t = int(sys.argv[3], 0)
    print([v for tag, v in tlvs if tag == t][0].hex())
    sys.exit(0)
if act == "plain":
    if 0x8008 not in tags or 0x8009 not in tags:
        sys.exit("cfg plain: not an encrypted config with a MAC")
    if tlvs[-1][0] != 0x8009:
        sys.exit("cfg plain: the MAC is not the last field")
    tlvs = [x for x in tlvs if x[0] not in (0x8008, 0x8009, 0x0006, 0x0007)]
    before_mac([[0x0006, os.urandom(32)], [0x0007, os.urandom(32)]])
elif act == "addkeys":
    before_mac([[0x0006, os.urandom(32)], [0x0007, os.urandom(32)]])
elif act == "set":
    t, v = int(sys.argv[3], 0), bytes.fromhex(sys.argv[4])
    if t not in tags:
        sys.exit("cfg set: no tag 0x%04x" % t)
    for x in tlvs:
        if x[0] == t:
            x[1] = v
elif act == "flipmac":
    if tlvs[-1][0] != 0x8009 or len(tlvs[-1][1]) != 32:
        sys.exit("cfg flipmac: no 32-byte MAC as the last field")
    m = bytearray(tlvs[-1][1])
    m[17] ^= 0x04
    tlvs[-1][1] = bytes(m)
else:
    sys.exit("cfg: unknown action " + act)
fields = b"".join(struct.pack("<HH", t, len(v)) + v for t, v in tlvs)
out = struct.pack("<8sHHI", b"QSARCCFG", 1, 0, len(fields)) + fields
out += hashlib.blake2b(out, digest_size=32).digest()
with open(path, "wb") as f:
    f.write(out)
EOF
}

# tree DIR: the files under DIR with their sha256, to compare.
tree() {
	(cd "$1" && find . -type f ! -name lock | LC_ALL=C sort |
	    while IFS= read -r f; do
		printf '%s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$f"
	    done)
}

printf 'config mac test passphrase\n' >pw
"$PY" -c 'import random, sys; r = random.Random(2501); sys.stdout.buffer.write(r.randbytes(300000))' >a.dat ||
	fail "test data"
"$PY" -c 'import random, sys; r = random.Random(2502); sys.stdout.buffer.write(r.randbytes(200000))' >b.dat ||
	fail "test data"

expect 0 init s $KDF --encrypt --passphrase-file pw
expect 0 put s a --input a.dat --passphrase-file pw
cp s/config config.orig

# The config as written: an encrypted store's ends with the 32-byte MAC.
cfg has s/config 0x8008 || fail "the config of an encrypted store has no tag 0x8008"
cfg has s/config 0x8009 || fail "the config of an encrypted store has no MAC (tag 0x8009)"
cfg has s/config 0x0006 && fail "the config of a store created encrypted has plain keys"
"$PY" - s/config <<'EOF' || fail "the MAC is not the last field of the config"
import struct, sys
b = open(sys.argv[1], "rb").read()[:-32]
pos, last = 16, None
while pos < len(b):
    t, n = struct.unpack("<HH", b[pos:pos + 4])
    last = (t, n, pos)
    pos += 4 + n
assert last[0] == 0x8009 and last[1] == 32 and last[2] + 36 == len(b), last
EOF
# The MAC, recomputed independently (spec/CRYPTO.md "Config MAC"): unlock
# the keystore per spec/keystore.md for the chunk-id secret (Argon2id and
# XChaCha20-Poly1305 from PyNaCl), then BLAKE2b with hashlib.  Skipped
# (with a note) when PyNaCl is missing.
RC=0
"$PY" - s/config s/keystore 'config mac test passphrase' >"$OUT" 2>"$ERR" <<'EOF' || RC=$?
import hashlib, struct, sys
try:
    import nacl.bindings as nb
except ImportError:
    print("skip: no PyNaCl")
    sys.exit(0)
cfg = open(sys.argv[1], "rb").read()[:-32]
ks = open(sys.argv[2], "rb").read()
pw = sys.argv[3].encode()
t, m, p = struct.unpack_from("<III", ks, 16)
salt, check, nonce = ks[28:44], ks[68:84], ks[84:108]
if p == 1:
    kek = nb.crypto_pwhash_alg(32, pw, salt, t, m * 1024,
                               nb.crypto_pwhash_ALG_ARGON2ID13)
else:
    from argon2.low_level import Type, hash_secret_raw
    kek = hash_secret_raw(pw, salt, time_cost=t, memory_cost=m,
                          parallelism=p, hash_len=32, type=Type.ID,
                          version=19)
assert hashlib.blake2b(b"qsarc-kek-check", key=kek,
                       digest_size=32).digest()[:16] == check, "check value"
body = nb.crypto_aead_xchacha20poly1305_ietf_decrypt(ks[112:], ks[:112],
                                                      nonce, kek)
idkey = body[44:76]
mackey = hashlib.blake2b(b"", key=idkey, person=b"qsarc-config-mac",
                         digest_size=32).digest()
want = hashlib.blake2b(cfg[16:-36], key=mackey, digest_size=32).digest()
assert cfg[-36:-32] == b"\x09\x80\x20\x00", "MAC field head"
if cfg[-32:] != want:
    sys.exit("config MAC %s, recomputed %s" % (cfg[-32:].hex(), want.hex()))
print("ok")
EOF
[ "$RC" -eq 0 ] || fail "independent recomputation of the config MAC: $(cat "$OUT" "$ERR")"
case $(cat "$OUT") in
ok) note "config MAC recomputed independently (PyNaCl + hashlib) from the keystore's chunk-id secret: matches" ;;
*) note "independent MAC recomputation skipped: $(cat "$OUT")" ;;
esac
expect 0 ls s --passphrase-file pw
grep -qw a "$OUT" || fail "ls does not list stream a"

# ---- (a) replaced by a plain config (on a copy "sa" of the store, so
# that whatever a wrongly accepted put writes does not disturb (b)).
cp -a s sa || fail "cp -a s sa"
cfg plain sa/config || fail "tampering (a) failed"
cfg has sa/config 0x8008 && fail "test setup: 0x8008 still there"
cfg has sa/config 0x8009 && fail "test setup: 0x8009 still there"
# The forged config is a valid plain config, but the store's keystore is
# still there (and its stream set is MACed, spec/FORMAT.md 14): a put
# without a passphrase is refused (exit 6) when the store is opened,
# naming the keystore (spec/SECURITY.md 5.3); with the keystore removed
# too, at its manifest by the MACed stream set, so no stream is added.
cp -a sa sa.copy || fail "cp -a sa sa.copy"
expect 6 put sa.copy p --input b.dat
grep -q "is a keystore for it" "$ERR" ||
	fail "put on a forged plain config: no word on the keystore: $(cat "$ERR")"
mv sa.copy/keystore sa.copy.keystore
rm -f "$QSARC_STATE_DIR"/keys/*.qsk.moved
for k in "$QSARC_STATE_DIR"/keys/*.qsk; do [ -e "$k" ] && mv "$k" "$k.moved"; done
expect 6 put sa.copy p --input b.dat
for k in "$QSARC_STATE_DIR"/keys/*.qsk.moved; do [ -e "$k" ] && mv "$k" "${k%.moved}"; done
grep -q "MACed, but the store is plain" "$ERR" ||
	fail "put on a forged plain config without keystores: no word on the stream set: $(cat "$ERR")"
[ ! -e sa.copy/streams/p.qsm ] || fail "put on a forged plain config wrote a manifest"
note "a config replaced by a plain one: put without a passphrase refused by the MACed stream set (exit 6)"
tree sa >before.tree
refused=""
accepted=""
RC=0
"$QSARC" put sa b1 --input b.dat --passphrase-file pw >"$OUT" 2>"$ERR" || RC=$?
check_crash "put --passphrase-file (plain config)"
if [ "$RC" -eq 0 ]; then accepted="$accepted --passphrase-file"; else refused="$refused --passphrase-file($RC)"; fi
RC=0
"$QSARC" put sa b2 --input b.dat --passphrase-fd 3 3<pw >"$OUT" 2>"$ERR" || RC=$?
check_crash "put --passphrase-fd (plain config)"
if [ "$RC" -eq 0 ]; then accepted="$accepted --passphrase-fd"; else refused="$refused --passphrase-fd($RC)"; fi
RC=0
QSARC_PASSPHRASE='config mac test passphrase' "$QSARC" put sa b3 --input b.dat >"$OUT" 2>"$ERR" || RC=$?
check_crash "put with QSARC_PASSPHRASE (plain config)"
if [ "$RC" -eq 0 ]; then accepted="$accepted QSARC_PASSPHRASE"; else refused="$refused QSARC_PASSPHRASE($RC)"; fi
if [ -n "$accepted" ]; then
	# Needs the lead's CLI change (cmd_open_store refuses a plain store
	# when a passphrase source is given); pending until that is built.
	known_bug "PENDING: put with a passphrase into an encrypted store whose config was replaced by a plain one was ACCEPTED (data written in the clear) for:$accepted; refused for:${refused:- none}"
else
	grep -qi 'passphrase' "$ERR" ||
		fail "put refused on a plain config, but the message does not mention the passphrase"
	tree sa >after.tree
	cmp -s before.tree after.tree ||
		{ diff before.tree after.tree >&2; fail "a refused put changed the store"; }
	note "put with a passphrase on a config replaced by a plain one: refused for$refused; store unchanged"
fi
cmp -s s/config config.orig || fail "test setup: s/config changed during (a)"
expect 0 ls s --passphrase-file pw

# ---- (b) fields of the encrypted config changed, checksum fixed.
# bad_open WHAT: ls with the passphrase must fail with exit 6 and say the
# config does not authenticate; then put the original config back.
bad_open() {
	run ls s --passphrase-file pw
	[ "$RC" -eq 6 ] || fail "$1: ls --passphrase-file: exit $RC, expected 6"
	grep -q 'authenticate' "$ERR" ||
		fail "$1: exit 6 but stderr does not say the config does not authenticate"
	cp config.orig s/config
}
[ "$(cfg get s/config 0x0004)" = 03000000 ] ||
	fail "test setup: the zstd level is not 3 ($(cfg get s/config 0x0004))"
cfg set s/config 0x0004 13000000 || fail "tampering (b) failed"
bad_open "zstd level 3 -> 19"
cfg set s/config 0x0004 13000000 || fail "tampering (b) failed"
tree s >before.tree
run put s b4 --input b.dat --passphrase-file pw
[ "$RC" -eq 6 ] || fail "put on a tampered encrypted config: exit $RC, expected 6"
grep -q 'authenticate' "$ERR" || fail "put on a tampered config: stderr does not say it does not authenticate"
tree s >after.tree
cmp -s before.tree after.tree ||
	{ diff before.tree after.tree >&2; fail "a refused put changed the store"; }
cp config.orig s/config
# The backup keystore path (redirecting where the next save writes a copy).
cfg set s/config 0x8008 "$("$PY" -c 'print((b"\x01" + b"/tmp/evil.qsk").hex())')" ||
	fail "tampering (b, path) failed"
bad_open "backup keystore path redirected"
# Plain keys slipped in before the MAC (would make key-0 data acceptable).
cfg addkeys s/config || fail "tampering (b, keys) failed"
bad_open "plain keys added to an encrypted config"
# The MAC itself.
cfg flipmac s/config || fail "tampering (b, mac) failed"
bad_open "one bit of the MAC flipped"
note "zstd level, backup path, added plain keys, flipped MAC: each exit 6 'does not authenticate'"

# The original config still opens, and the data is intact.
expect 0 get s a --passphrase-file pw
cmp -s "$OUT" a.dat || fail "get a after the tampering differs from a.dat"

# ---- (c) the MAC key must not be computable from what the store shows.
# Regression: the MAC key was once BLAKE2b-256(key = chunk-id secret,
# "qsarc-config-mac-key"), the form of a chunk id, so a stream of exactly
# those 20 bytes stored the MAC key in the clear.  It is now personalised.
# Forge a config (plain keys added) with a MAC under that chunk id: it must
# not authenticate.
expect 0 init sk $KDF --encrypt --passphrase-file pw
printf 'qsarc-config-mac-key' >label
expect 0 put sk label --input label --passphrase-file pw
RC=0
"$PY" - sk >"$OUT" 2>"$ERR" <<'EOF' || RC=$?
import glob, hashlib, os, struct, sys
st = sys.argv[1]
conts = glob.glob(st + "/data/*/*.qsc")
assert len(conts) == 1, conts
rec = open(conts[0], "rb").read()[64:144]     # the first record header
# Version 2 sealed records (flag 0x02) show no raw length; version 1: 20.
assert rec[:4] == b"QSRC" and (rec[5] == 2 or
                               struct.unpack_from("<I", rec, 8)[0] == 20)
chunk_id = rec[16:48]
p = st + "/config"
d = open(p, "rb").read()[:-32]
tlvs, pos = [], 16
while pos < len(d):
    t, n = struct.unpack("<HH", d[pos:pos + 4])
    tlvs.append((t, d[pos + 4:pos + 4 + n]))
    pos += 4 + n
assert tlvs[-1][0] == 0x8009
tlvs = tlvs[:-1]
i = max(k for k, x in enumerate(tlvs) if x[0] <= 5) + 1
tlvs[i:i] = [(6, os.urandom(32)), (7, os.urandom(32))]
f = b"".join(struct.pack("<HH", t, len(v)) + v for t, v in tlvs)
f += struct.pack("<HH", 0x8009, 32) + hashlib.blake2b(f, key=chunk_id,
                                                       digest_size=32).digest()
o = struct.pack("<8sHHI", b"QSARCCFG", 1, 0, len(f)) + f
open(p, "wb").write(o + hashlib.blake2b(o, digest_size=32).digest())
EOF
[ "$RC" -eq 0 ] || fail "forging the config of sk failed: $(cat "$ERR")"
run ls sk --passphrase-file pw
if [ "$RC" -eq 0 ]; then
	fail "a config forged with a chunk id as the MAC key authenticates (regression: the MAC key must be personalised, spec/CRYPTO.md 3.4)"
elif [ "$RC" -eq 6 ] && grep -q 'authenticate' "$ERR"; then
	note "a config MAC computed with a chunk id as the key does not authenticate (exit 6)"
else
	fail "ls of the config forged with a chunk id: exit $RC, expected 6 (or 0 while the known bug stands)"
fi

if [ "$PENDING" -gt 0 ]; then
	echo "PENDING: $PENDING check(s) wait for a product change (KNOWN BUG lines above); not counted as failures"
fi
RESULT=0
exit 0
