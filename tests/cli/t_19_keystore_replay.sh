# Security (issue 14, item 7): a replayed primary keystore must not be
# used for writing.  Someone who copied STORE/keystore before the owner
# changed the passphrase and the key mode (revoking every old key) puts
# the copy back.  Before the fix the owner's next put sealed under the
# revoked key 1, which the copier can read, and exited 0.
#  - put (with the old or the new passphrase): exit 6, naming both copies
#    and their generations; no record under the revoked key;
#  - clean (an exclusive job): exit 6;
#  - get (read-only) goes on, with a warning;
#  - "keystore restore --from primary" (old over new) is refused;
#  - "keystore restore --from backup" repairs it and put works again.
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
enc_setup 'the old passphrase'
cp pw old
printf 'the new passphrase\n' >new
chmod 600 pw old new
gen_file 1901 300K a.dat
gen_file 1902 300K b.dat
at_ok $T0 init s --encrypt $KDF --container-size 1M $P
at_ok $T0 put s a --input a.dat $P
cp s/keystore replayed.ks
gold=$(ks_read header s/keystore | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["generation"])')

# The owner revokes: new passphrase, then a mode change (fresh key 2, key 1
# destroyed in both copies).
at_ok $T0 rekey s --change-passphrase --new-passphrase-file "$PWD/new" $P
at_ok $T0 rekey s --mode static --passphrase-file "$PWD/new"
[ "$(container_scan s ids)" = 2 ] || fail "setup: records under keys $(container_scan s ids), expected 2"
backup=$(awk '/^backup:/ { print $2 }' <("$QSARC" keystore s check --passphrase-file "$PWD/new" 2>/dev/null) | sed 's/:$//')
[ -f "$backup" ] || fail "cannot find the backup keystore"
gnew=$(ks_read header "$backup" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
[ "$gnew" -gt "$gold" ] || fail "setup: backup generation $gnew not above the copied $gold"

# The replay.
cp replayed.ks s/keystore

# put with the passphrase the copy was saved under.
at $T0 put s b --input b.dat --passphrase-file "$PWD/old"
[ $LAST_RC -eq 6 ] || fail "put with a replayed primary (old passphrase): exit $LAST_RC, expected 6 (stderr: $(head -c 300 "$ERR"))"
grep -q "older than the backup" "$ERR" || fail "put: no 'older than the backup' in: $(cat "$ERR")"
grep -qF "s/keystore" "$ERR" && grep -qF "$backup" "$ERR" ||
	fail "put: the message does not name both copies: $(cat "$ERR")"
grep -q "generation $gold" "$ERR" && grep -q "generation $gnew" "$ERR" ||
	fail "put: the message does not give both generations ($gold, $gnew): $(cat "$ERR")"
[ "$(container_scan s ids)" = 2 ] || fail "a put sealed records under the revoked key: record keys $(container_scan s ids)"

# put with the owner's new passphrase: not "wrong passphrase" (5) but the
# replay (6), because the newer backup unlocks with it.
at $T0 put s b --input b.dat --passphrase-file "$PWD/new"
[ $LAST_RC -eq 6 ] || fail "put with a replayed primary (new passphrase): exit $LAST_RC, expected 6 (stderr: $(head -c 300 "$ERR"))"
grep -q "older than the backup" "$ERR" || fail "put (new passphrase): no 'older than the backup' in: $(cat "$ERR")"

# An exclusive job is refused too.
at $T0 clean s --passphrase-file "$PWD/old"
[ $LAST_RC -eq 6 ] || fail "clean with a replayed primary: exit $LAST_RC, expected 6"
grep -q "older than the backup" "$ERR" || fail "clean: no 'older than the backup' in: $(cat "$ERR")"

# Copying the replayed primary over the newer backup is refused.
cp "$backup" backup.before
at $T0 keystore s restore --from primary --passphrase-file "$PWD/old"
[ $LAST_RC -eq 6 ] || fail "restore --from primary with an older primary: exit $LAST_RC, expected 6"
grep -q "older than the backup" "$ERR" || fail "restore --from primary: no 'older than the backup' in: $(cat "$ERR")"
cmp -s "$backup" backup.before || fail "restore --from primary overwrote the newer backup"

# The repair, then writing works again under key 2 only.
at_ok $T0 keystore s restore --from backup --passphrase-file "$PWD/new"
at_ok $T0 put s b --input b.dat --passphrase-file "$PWD/new"
grep -q "older than the backup" "$ERR" && fail "after the restore: still warned: $(cat "$ERR")"
[ "$(container_scan s ids)" = 2 ] || fail "after the restore: record keys $(container_scan s ids), expected 2"
get_cmp s a a.dat "--passphrase-file $PWD/new"
get_cmp s b b.dat "--passphrase-file $PWD/new"

# A read-only command goes on, with a warning.  Store r: key 2 added by
# rotation (key 1 kept), then the primary from before it put back.
at_ok $T0 init r --encrypt $KDF --container-size 1M --keystore-backup "$PWD/r.qsk" $P
at_ok $T0 put r a --input a.dat $P
cp r/keystore r-replayed.ks
at_ok $((T0 + 40 * DAY)) rekey r $P
cp r-replayed.ks r/keystore
at $((T0 + 40 * DAY)) get r a --output got.dat --force $P
[ $LAST_RC -eq 0 ] || fail "get with a replayed primary: exit $LAST_RC (stderr: $(cat "$ERR"))"
cmp -s got.dat a.dat || fail "get with a replayed primary: bytes differ"
grep -q "warning: .*older than the backup" "$ERR" || fail "get: no warning about the replayed primary: $(cat "$ERR")"
at $((T0 + 40 * DAY)) put r b --input b.dat $P
[ $LAST_RC -eq 6 ] || fail "put into r with a replayed primary: exit $LAST_RC, expected 6"
