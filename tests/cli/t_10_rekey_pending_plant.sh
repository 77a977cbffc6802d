# Security (issue 14, item 8): a planted STORE/rekey-pending must not skip
# a revocation.  Before the fix, anyone who could write the store planted
# the file naming the current key; the owner's "rekey --mode" then said
# "(resumed)", exited 0, made no fresh key and kept the old one in use.
# Now the pending state lives in the sealed keystore; a rekey-pending file
# (planted, or left by 0.1.0) is damage: exit 6 naming the file, nothing
# changed; removed, the same command makes a fresh key.
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
enc_setup 'pending plant passphrase'
chmod 600 pw
gen_file 1001 300K a.dat
at_ok $T0 init s --encrypt $KDF --container-size 1M $P
at_ok $T0 put s a --input a.dat $P
before=$(ks_read keys s/keystore pw)
[ "$(printf '%s\n' "$before" | cut -d: -f1)" = 1 ] || fail "setup: keys $before"

# The plant: the current key's id, as 0.1.0 wrote it.
printf '1\n' >s/rekey-pending
at $T0 rekey s --mode internal --json $P
[ $LAST_RC -eq 6 ] || fail "rekey --mode with a planted rekey-pending: exit $LAST_RC, expected 6 (stdout: $(cat "$OUT"))"
grep -q '"resumed": true' "$OUT" && fail "a planted rekey-pending made rekey --mode resume"
grep -qF "s/rekey-pending" "$ERR" || fail "the message does not name the file: $(cat "$ERR")"
grep -q "unauthenticated" "$ERR" || fail "the message does not say why: $(cat "$ERR")"
[ "$(ks_read keys s/keystore pw)" = "$before" ] || fail "the refused rekey changed the keystore"

# Removed, the owner's command does what was asked: a fresh key 2, key 1
# destroyed, not "resumed".
rm s/rekey-pending
at_ok $T0 rekey s --mode internal --json $P
[ "$(json_get resumed "$OUT")" = False ] || fail "rekey --mode says resumed: $(cat "$OUT")"
[ "$(json_get new_key_id "$OUT")" = 2 ] || fail "rekey --mode: new_key_id $(json_get new_key_id "$OUT"), expected 2"
[ "$(ks_read keys s/keystore pw | cut -d: -f1)" = 2 ] || fail "after rekey --mode: keys $(ks_read keys s/keystore pw | cut -d: -f1 | paste -sd,)"
[ "$(container_scan s ids)" = 2 ] || fail "records under keys $(container_scan s ids), expected 2"
[ "$(ks_read pending s/keystore pw)" = 0 ] || fail "a finished mode change is still pending"
get_cmp s a a.dat "$P"
