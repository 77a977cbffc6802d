# verify on an encrypted store: both keystore copies are checked (damaged
# or missing primary or backup is reported, naming the file and the
# restore command), a wrong passphrase is exit 5 and not "damage", and
# damage to sealed records and manifests is found.
. "$CLI_DIR/lib.sh"

q verify --help >/dev/null 2>&1 || skip "this qsarc has no verify subcommand"

TRIED=0
DETECTED=0

export QSARC_PASSPHRASE=verify-test-pass
expect_ok q init s --encrypt --kdf-time 1 --kdf-memory 8M --avg-chunk 4K \
    --container-size 1M
gen_file 311 1M A.dat
gen_file 312 1M B.dat
expect_ok q put s A --input A.dat
expect_ok q put s B --input B.dat
primary=s/keystore
backup=$(find "$QSARC_STATE_DIR" -name '*.qsk' | head -n1)
[ -f "$backup" ] || fail "no backup keystore under $QSARC_STATE_DIR"
chmod -R u+w s
cp -p "$primary" primary.save
cp -p "$backup" backup.save

# restore_keys: put both copies back as they were.
restore_keys() {
	cp -p primary.save "$primary"
	cp -p backup.save "$backup"
}

expect_ok q verify s --read-data --json
pyjson 'j["ok"] and sorted(j["intact"]) == ["A", "B"] and j["counts"]["chunks_read"] > 0'

# Wrong passphrase: exit 5, not damage.
QSARC_PASSPHRASE=wrong expect_exit 5 q verify s

# Primary damaged: reported with its path and the restore command.
flip_byte "$primary" 150
expect_exit 6 q verify s --json
tried "primary keystore flipped"
pyjson 'any(f["kind"] == "keystore" and same(f["file"], "'"$primary"'") and "--from backup" in f["message"] for f in j["findings"])'
expect_ok q keystore s restore --from backup
expect_ok q verify s
restore_keys

# Primary missing.
rm -f "$primary"
expect_exit 6 q verify s
tried "primary keystore missing"
grep -qF "/$primary: the primary keystore is missing" "$OUT" ||
	fail "missing primary not reported"
restore_keys

# Backup damaged, then missing: the streams are still checked (intact).
flip_byte "$backup" 130
expect_exit 6 q verify s --json
tried "backup keystore flipped"
pyjson 'any(f["kind"] == "keystore" and same(f["file"], "'"$backup"'") and "--from primary" in f["message"] for f in j["findings"])'
pyjson 'sorted(j["intact"]) == ["A", "B"]'
rm -f "$backup"
expect_exit 6 q verify s
tried "backup keystore missing"
grep -qF "$backup: the backup keystore is missing" "$OUT" ||
	fail "missing backup not reported"
restore_keys
# Backup truncated.
truncate -s 100 "$backup"
expect_exit 6 q verify s
tried "backup keystore truncated"
restore_keys
expect_ok q verify s

# Sealed record payload: only --read-data authenticates it.
cp -a s t
chmod -R u+w t
ca=$(find t/data -name '*.qsc' | sort | head -n1)
flip_byte "$ca" $((64 + 80 + 50))
expect_exit 6 q verify t --read-data --json
tried "sealed payload"
pyjson 'len(j["damaged"]) == 1 and any("authentication failed" in f["message"] for f in j["findings"])'

# Sealed manifest.
rm -rf t
cp -a s t
chmod -R u+w t
flip_byte t/streams/A.qsm 100
expect_exit 6 q verify t --json
tried "sealed manifest"
pyjson 'j["damaged"] == ["A"] and j["intact"] == ["B"]'

# The index rebuild needs no passphrase (it reads only record headers).
rm -rf t
cp -a s t
chmod -R u+w t
rm -f t/index/seg-*.qsi
QSARC_PASSPHRASE= expect_ok q verify t --rebuild-index
expect_ok q verify t --read-data
restores t A A.dat

note "corruptions tried: $TRIED, detected: $DETECTED"
