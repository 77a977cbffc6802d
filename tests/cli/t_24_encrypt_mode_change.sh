# Encryption at rest: "rekey --mode" (re-encrypt everything under a fresh
# key, destroy the old keys).
#  - internal -> static: keys --json shows one key, mode static; no record
#    in any container is under another key id (containers parsed directly:
#    64-byte header, 80-byte record headers with the key id at +6, 64-byte
#    "QSARCEND" trailer); every stream, live and expired, restores exactly;
#    the old content keys are gone from both keystore copies;
#  - static never rotates; static -> internal --rotation-days 7 works and
#    rotates after 7 days;
#  - rekey --mode on a plain store is refused.
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
enc_setup 'mode change passphrase'
if [ "$QSARC_SANITIZED" = 1 ]; then SZ=1500K; else SZ=3M; fi

all_restore() {
	get_cmp s a a.dat "$P"
	get_cmp s b b.dat "$P"
	get_cmp s ab ab.dat "$P"
	get_cmp s c c.dat $P --expired
}

gen_file 2401 $SZ a.dat
gen_file 2402 $SZ b.dat
gen_file 2403 $SZ c.dat
cat a.dat b.dat >ab.dat
at $T0 init s --encrypt $KDF --container-size 1M $P
at $T0 put s a --input a.dat $P
at $((T0 + 30 * DAY)) rekey s $P
at $((T0 + 30 * DAY)) put s b --input b.dat $P
at $((T0 + 60 * DAY)) rekey s $P
at $((T0 + 60 * DAY)) put s c --input c.dat $P
at $((T0 + 60 * DAY)) put s ab --input ab.dat $P
[ $LAST_RC -eq 0 ] || fail "setup put: exit $LAST_RC"
expect_ok q rm s c $P
container_scan s per-id >ids.before
[ "$(cut -d' ' -f1 ids.before | tr '\n' ' ')" = "1 2 3 " ] || fail "setup: records under keys $(cut -d' ' -f1 ids.before | tr '\n' ' '), expected 1 2 3"
nrec=$(awk '{ n += $2 } END { print n }' ids.before)
ncont=$(find s/data -name '*.qsc' | wc -l)
backup=$(awk '/^backup:/ { print $2 }' <("$QSARC" keystore s check $P 2>/dev/null) | sed 's/:$//')
[ -f "$backup" ] || fail "cannot find the backup keystore"
ks_read keys s/keystore pw >oldkeys || fail "ks_read keys cannot unlock the primary"

# ---- internal -> static.
at $((T0 + 61 * DAY)) rekey s --mode static --json $P
[ $LAST_RC -eq 0 ] || fail "rekey --mode static: exit $LAST_RC"
cp "$OUT" res.json
[ "$(json_get new_key_id res.json)" = 4 ] || fail "rekey --mode static: new_key_id $(json_get new_key_id res.json), expected 4"
[ "$(json_get resumed res.json)" = False ] || fail "a first mode change says resumed"
[ "$(json_get keys_retired res.json)" = 3 ] || fail "keys_retired $(json_get keys_retired res.json), expected 3"
[ "$(json_get records_rewritten res.json)" -eq "$nrec" ] ||
	note "records_rewritten $(json_get records_rewritten res.json), records in containers before: $nrec (includes dead ones)"
[ "$(json_get manifests_rewritten res.json)" = 4 ] || fail "manifests_rewritten $(json_get manifests_rewritten res.json), expected 4 (3 live + 1 expired)"
keys_json s k.json $P
[ "$(kq k.json 'd["mode"], [(x["id"], x["state"]) for x in d["keys"]]')" = "('static', [(4, 'active')])" ] ||
	fail "after rekey --mode static: $(kq k.json 'd["mode"], d["keys"]')"
[ "$(kq k.json 'k[4]["manifests"], d["plain_records"]')" = "(4, 0)" ] ||
	fail "after rekey --mode static: key 4 manifests/plain records $(kq k.json 'k[4]["manifests"], d["plain_records"]')"
container_scan s per-id >ids.after
[ "$(cut -d' ' -f1 ids.after | tr '\n' ' ')" = "4 " ] || fail "containers still hold records under other keys: $(tr '\n' ' ' <ids.after)"
[ "$(kq k.json 'k[4]["records"]')" = "$(awk '{ print $2 }' ids.after)" ] || fail "keys --json records disagree with the containers"
[ ! -e s/rekey-pending ] || fail "s/rekey-pending left after a completed mode change"
all_restore
expect_ok q keystore s check $P
cmp -s s/keystore "$backup" || fail "the keystore copies differ after the mode change"
ks_read keys s/keystore pw >newkeys || fail "ks_read keys cannot unlock the primary"
ks_read keys "$backup" pw >newkeys.b || fail "ks_read keys cannot unlock the backup"
[ "$(cut -d: -f1 newkeys | tr '\n' ' ')" = "4 " ] || fail "the primary still holds keys $(cut -d: -f1 newkeys | tr '\n' ' ')"
cmp -s newkeys newkeys.b || fail "the backup holds other keys than the primary"
while IFS=: read -r id hex; do
	grep -q "$hex" newkeys && fail "old key $id is still in the keystore"
	for f in $(find s -type f); do
		grep -qF "$hex" "$f" && fail "old key $id found in $f"
	done
done <oldkeys

# Static is never due.
at $((T0 + 5000 * DAY)) rekey s $P
grep -q '^not due: static' "$OUT" || fail "rekey on the now static store: '$(cat "$OUT")'"
# New data goes under key 4.
gen_file 2404 300K d.dat
at $((T0 + 62 * DAY)) put s d --input d.dat $P
container_scan s per-id >ids.d
[ "$(cut -d' ' -f1 ids.d | tr '\n' ' ')" = "4 " ] || fail "put after the mode change used another key"
get_cmp s d d.dat "$P"

# ---- static -> internal with a 7-day period.
at $((T0 + 70 * DAY)) rekey s --mode internal --rotation-days 7 $P
[ $LAST_RC -eq 0 ] || fail "rekey --mode internal --rotation-days 7: exit $LAST_RC"
grep -q 'mode internal, key 5' "$OUT" || fail "rekey --mode internal: '$(cat "$OUT")'"
keys_json s k2.json $P
[ "$(kq k2.json 'd["mode"], d["rotation_days"], [x["id"] for x in d["keys"]]')" = "('internal', 7, [5])" ] ||
	fail "after --mode internal: $(kq k2.json 'd["mode"], d["rotation_days"], d["keys"]')"
container_scan s per-id >ids.5
[ "$(cut -d' ' -f1 ids.5 | tr '\n' ' ')" = "5 " ] || fail "after --mode internal: records under $(tr '\n' ' ' <ids.5)"
all_restore
get_cmp s d d.dat "$P"
at $((T0 + 77 * DAY - 1)) rekey s $P
grep -q '^not due' "$OUT" || fail "7-day period: rotated early"
at $((T0 + 77 * DAY)) rekey s $P
grep -q '^rotated: new content key 6' "$OUT" || fail "7-day period: '$(cat "$OUT")'"
expect_ok q unexpire s c $P
get_cmp s c c.dat "$P"

# ---- the same mode again is a full re-encryption too (new key 7), and
# without --rotation-days the period is kept.
at $((T0 + 78 * DAY)) rekey s --mode internal $P
[ $LAST_RC -eq 0 ] || fail "rekey --mode internal (same mode): exit $LAST_RC"
keys_json s k3.json $P
[ "$(kq k3.json '[x["id"] for x in d["keys"]], d["rotation_days"]')" = "([7], 7)" ] ||
	fail "rekey --mode internal without --rotation-days on a 7-day store gives (keys, rotation_days) = $(kq k3.json '[x["id"] for x in d["keys"]], d["rotation_days"]'), expected ([7], 7): one new key, the period kept"

# ---- refused on a plain store.
expect_ok q init plain
expect_exit 1 q rekey plain --mode static
err_matches "not encrypted" || fail "rekey --mode on a plain store: message does not say it is not encrypted"
run_q rekey plain --mode static $P
[ $LAST_RC -ne 0 ] || fail "rekey --mode with a passphrase on a plain store exits 0"
note "$ncont containers, $nrec records under 3 keys re-encrypted under one"
exit 0
