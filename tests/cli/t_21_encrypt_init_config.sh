# Encryption at rest: what "init --encrypt" leaves on disk.
#  - default KDF parameters (the one scenario that uses them): t=3, 64 MiB;
#  - the config holds no plain-key TLVs (0x0006 chunk-id secret, 0x0007
#    gear secret), only the encryption TLV naming the backup and the MAC
#    TLV 0x8009; a plain store's config does hold them (control);
#  - no secret of the keystore (chunk-id, gear, content keys: read with an
#    independent reader written from spec/keystore.md) appears in any
#    other file of the store;
#  - keystore copies are mode 0600 and the backup directories 0700, even
#    under umask 000, and stay so after a rotation and a passphrase change;
#  - option checks of init --encrypt.
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
KDF="--kdf-time 1 --kdf-memory 8M"

# perm PATH: octal permission bits.
perm() {
	stat -c %a "$1"
}

printf 'a passphrase for t_21\n' >pw
gen_file 2101 400K a.dat

# ---- 1. Default KDF parameters (the only scenario that pays for them).
t0=$(now_ms)
expect_ok q init d --encrypt --passphrase-file pw
t1=$(now_ms)
ks_read header d/keystore >"$OUT" || fail "d/keystore: header unreadable"
[ "$(json_get t)" = 3 ] && [ "$(json_get m)" = 65536 ] && [ "$(json_get p)" = 1 ] ||
	fail "init --encrypt without --kdf-*: KDF $(cat "$OUT"), expected t=3 m=65536 p=1"
expect_ok q put d a --input a.dat --passphrase-file pw
LAST_RC=0
"$QSARC" get d a --passphrase-file pw >g.dat 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] && cmp -s g.dat a.dat || fail "default-KDF store: get exit $LAST_RC or wrong bytes"
ks_read info d/keystore pw >"$OUT" || fail "independent reader cannot unlock d/keystore (exit $?)"
[ "$(json_get nkeys)" = 1 ] || fail "new store: $(json_get nkeys) content keys, expected 1"
note "init --encrypt with the default KDF took $((t1 - t0)) ms"

# ---- 2. Modes under umask 000, default backup location.
(umask 000 && "$QSARC" init s --encrypt $KDF --passphrase-file pw) >"$OUT" 2>"$ERR" ||
	fail "init --encrypt under umask 000: exit $?"
id=$(config_tlvs s/config | awk '$1 == "0001" { print $3 }')
[ ${#id} -eq 32 ] || fail "config has no 16-byte store id TLV"
backup=$QSARC_STATE_DIR/keys/$id.qsk
[ -f "$backup" ] || fail "no backup keystore at the default place $backup"
[ "$(perm s/keystore)" = 600 ] || fail "s/keystore has mode $(perm s/keystore), expected 600"
[ "$(perm "$backup")" = 600 ] || fail "backup keystore has mode $(perm "$backup"), expected 600"
[ "$(perm "$QSARC_STATE_DIR/keys")" = 700 ] || fail "$QSARC_STATE_DIR/keys has mode $(perm "$QSARC_STATE_DIR/keys"), expected 700"
[ "$(perm "$QSARC_STATE_DIR")" = 700 ] || fail "$QSARC_STATE_DIR (created by qsarc) has mode $(perm "$QSARC_STATE_DIR"), expected 700"
cmp -s s/keystore "$backup" || fail "after init the two keystore copies differ"

# ---- 3. The config: no plain keys, the backup path in the encryption TLV.
config_tlvs s/config >tlv.txt
if grep -qE '^000[67] ' tlv.txt; then
	fail "the config of an encrypted store holds plain-key TLVs: $(grep -E '^000[67] ' tlv.txt | cut -c1-20)"
fi
enc=$(awk '$1 == "8008" { print $3 }' tlv.txt)
[ -n "$enc" ] || fail "the config has no encryption TLV 0x8008"
want=$(printf '\001%s' "$backup" | od -An -tx1 | tr -d ' \n')
[ "$enc" = "$want" ] || fail "encryption TLV is $enc, expected flag 1 + the backup path"
# The config of an encrypted store is authenticated (MAC TLV 0x8009).
grep -qE '^8009 32 ' tlv.txt || fail "the config of an encrypted store has no 32-byte MAC TLV 0x8009"
# Control: a plain store's config does carry both plain keys.
expect_ok q init p
config_tlvs p/config >ptlv.txt
grep -qE '^0006 32 ' ptlv.txt && grep -qE '^0007 32 ' ptlv.txt ||
	fail "control: a plain store's config should hold TLVs 0x0006 and 0x0007 (the parser may be wrong)"

# ---- 4. No secret anywhere but in the keystore copies.
expect_ok q put s a --input a.dat --passphrase-file pw
ks_read info s/keystore pw >ks.json || fail "independent reader cannot unlock s/keystore (exit $?)"
ks_read info "$backup" pw >ksb.json || fail "independent reader cannot unlock the backup (exit $?)"
"$PY" - ks.json s <<'EOF' || fail "a keystore secret appears outside the keystore"
import json, os, sys
secrets = [bytes.fromhex(h) for h in json.load(open(sys.argv[1]))["secrets"]]
n = 0
for root, dirs, files in os.walk(sys.argv[2]):
    for f in files:
        p = os.path.join(root, f)
        if p == os.path.join(sys.argv[2], "keystore"):
            continue
        d = open(p, "rb").read()
        n += 1
        for i, s in enumerate(secrets):
            if s in d or s.hex().encode() in d:
                sys.exit("%s holds secret #%d" % (p, i))
print("NOTE: %d secrets absent from %d store files" % (len(secrets), n))
EOF

# ---- 5. Modes stay 0600 after a rotation and a passphrase change.
future=$(( $(date +%s) + 40 * 86400 ))
LAST_RC=0
QSARC_TEST_NOW=$future "$QSARC" rekey s --passphrase-file pw >"$OUT" 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] && grep -q rotated "$OUT" || fail "rekey 40 days later: exit $LAST_RC, $(cat "$OUT")"
printf 'another passphrase\n' >pw2
(umask 000 && "$QSARC" rekey s --change-passphrase --new-passphrase-file pw2 --passphrase-file pw) >"$OUT" 2>"$ERR" ||
	fail "rekey --change-passphrase: exit $?"
[ "$(perm s/keystore)" = 600 ] && [ "$(perm "$backup")" = 600 ] ||
	fail "after rotation + passphrase change: modes $(perm s/keystore) and $(perm "$backup"), expected 600"
ls -a s | grep -q '^\.tmp-' && fail "temporary files left in the store: $(ls -a s | grep '^\.tmp-')"

# ---- 6. --keystore-backup: nested new directories are 0700.
(umask 022 && "$QSARC" init c --encrypt $KDF --passphrase-file pw --keystore-backup "$PWD/vault/x/y/c.qsk") >"$OUT" 2>"$ERR" ||
	fail "init --keystore-backup: exit $?"
for dd in vault vault/x vault/x/y; do
	[ "$(perm $dd)" = 700 ] || fail "$dd made by init has mode $(perm $dd), expected 700"
done
[ "$(perm vault/x/y/c.qsk)" = 600 ] || fail "vault/x/y/c.qsk has mode $(perm vault/x/y/c.qsk)"
cmp -s c/keystore vault/x/y/c.qsk || fail "custom backup differs from the primary"
[ ! -e "$QSARC_STATE_DIR/keys/$(config_tlvs c/config | awk '$1 == "0001" { print $3 }').qsk" ] ||
	fail "with --keystore-backup a copy still went to the default place"

# A relative --keystore-backup must not depend on the directory later
# commands run in (it should be stored absolute, or refused).
expect_ok q init r --encrypt $KDF --passphrase-file pw --keystore-backup rel/r.qsk
[ -f rel/r.qsk ] || fail "init --keystore-backup rel/r.qsk wrote no rel/r.qsk"
mkdir elsewhere
LAST_RC=0
(cd elsewhere && "$QSARC" keystore ../r check --passphrase-file ../pw) >"$OUT" 2>"$ERR" || LAST_RC=$?
if [ $LAST_RC -ne 0 ]; then
	fail "init --keystore-backup rel/r.qsk stores the relative path as given; 'cd elsewhere && qsarc keystore ../r check' then exits $LAST_RC: $(head -n1 "$ERR") (every keystore save from another directory would write the backup elsewhere)"
fi

# ---- 7. Option checks.
expect_exit 2 q init x1 --mode static
expect_exit 2 q init x2 --rotation-days 30
expect_exit 2 q init x3 --keystore-backup "$PWD/k.qsk"
expect_exit 2 q init x4 --encrypt --mode sometimes --passphrase-file pw
expect_exit 2 q init x5 --encrypt --kdf-time 0 --passphrase-file pw
expect_exit 2 q init x6 --encrypt --kdf-time 101 --passphrase-file pw
expect_exit 2 q init x7 --encrypt --kdf-time 1 --kdf-memory 4M --passphrase-file pw
for x in x1 x2 x3 x4 x5 x6 x7; do
	[ ! -e $x/config ] || fail "a refused init made the store $x"
done
exit 0
