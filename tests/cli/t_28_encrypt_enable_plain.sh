# Encryption at rest: "qsarc encrypt" on a plain store that holds data.
#  - old streams still restore; new data is sealed: an ASCII marker
#    embedded in a new stream's random data appears in no file of the
#    store (control: with --level 1 the marker of a plain stream IS
#    visible in its container);
#  - containers written after encrypt hold only records under key 1, old
#    ones stay key 0; keys lists the plain data as key 0 records;
#  - encrypt again: exit 8 "already encrypted";
#  - rotation and a mode change work on a converted store, plain records
#    are left alone by the mode change, everything restores;
#  - a crash at each mutation point of encrypt leaves a store that is
#    either still plain or fully encrypted, and a rerun finishes.
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
enc_setup 'encrypt later passphrase'

# Run without a controlling terminal, so nothing can prompt.
NOTTY=""
command -v setsid >/dev/null 2>&1 && NOTTY="setsid -w"

OLDM="QSARC-TEST-MARKER-OLD-7f3a9"
NEWM="QSARC-TEST-MARKER-NEW-c41e2"
marked 2801 1500000 "$OLDM" old.dat
marked 2802 1500000 "$NEWM" new.dat
marked 2803 400000 "$NEWM" new2.dat

at $T0 init s --level 1 --container-size 1M
at $T0 put s old --input old.dat
[ $LAST_RC -eq 0 ] || fail "plain put: exit $LAST_RC"
# Control: in a plain store at --level 1 the marker is visible.
[ -n "$(files_with s/data "$OLDM")" ] || fail "control: the marker of a plain stream is not visible in its containers (the check below would prove nothing)"
# Also what a plain store does with the new data (control for the marker).
at $T0 init ctl --level 1
at $T0 put ctl new --input new.dat
[ -n "$(files_with ctl/data "$NEWM")" ] || fail "control: the new marker is not visible in a plain store"
container_scan s per-file >ids.plain
cp -a s base.s

# ---- encrypt.
expect_exit 2 q encrypt s --mode sometimes $KDF $P
: >empty
expect_exit 1 q encrypt s $KDF --passphrase-file empty
expect_ok q ls s
at $((T0 + DAY)) encrypt s $KDF $P
[ $LAST_RC -eq 0 ] || fail "encrypt: exit $LAST_RC: $(cat "$ERR")"
expect_exit 8 q encrypt s $KDF $P
err_matches "already encrypted" || fail "encrypt twice: message does not say already encrypted"
expect_exit 8 q encrypt s
if [ -n "$NOTTY" ]; then
	LAST_RC=0
	$NOTTY "$QSARC" ls s </dev/null >"$OUT" 2>"$ERR" || LAST_RC=$?
	[ $LAST_RC -eq 5 ] && err_matches "passphrase" || fail "ls of the now encrypted store without a passphrase: exit $LAST_RC, expected 5 (missing passphrase)"
fi
expect_ok q keystore s check $P
get_cmp s old old.dat "$P"

# ---- new data is sealed.
at $((T0 + DAY)) put s new --input new.dat $P
[ $LAST_RC -eq 0 ] || fail "put after encrypt: exit $LAST_RC"
leak=$(files_with s "$NEWM")
[ -z "$leak" ] || fail "the marker of a stream put after encrypt is visible in: $leak"
[ -n "$(files_with s/data "$OLDM")" ] || fail "the old plain containers changed (marker gone)"
get_cmp s new new.dat "$P"
get_cmp s old old.dat "$P"
container_scan s per-file >ids.enc
# Old containers: unchanged and key 0; every other container: key 1 only.
while read -r path ids n; do
	if grep -q "^$path " ids.plain; then
		[ "$ids" = 0 ] || fail "old container $path now has key ids $ids"
	else
		[ "$ids" = 1 ] || fail "container $path written after encrypt has key ids '$ids', expected 1"
	fi
done <ids.enc
nplain=$(awk '$2 == "0" { n += $3 } END { print n + 0 }' ids.enc)
nk1=$(awk '$2 == "1" { n += $3 } END { print n + 0 }' ids.enc)
"$QSARC" keys s --json $P >k.json 2>"$ERR" || fail "keys --json: exit $?"
[ "$(kq k.json 'd["plain_records"]')" = "$nplain" ] || fail "keys: plain_records $(kq k.json 'd["plain_records"]'), containers hold $nplain key-0 records"
[ "$(kq k.json 'd["plain_bytes"] > 1500000')" = True ] || fail "keys: plain_bytes $(kq k.json 'd["plain_bytes"]')"
[ "$(kq k.json 'k[1]["records"]')" = "$nk1" ] || fail "keys: key 1 records $(kq k.json 'k[1]["records"]'), containers hold $nk1"
expect_ok q keys s $P
grep -qE '^0 +- +plain ' "$OUT" || fail "keys (text) does not list the plain data as key 0: $(cat "$OUT")"
# Old data does not deduplicate with new data (documented), but must work.
at $((T0 + DAY)) put s old2 --input old.dat $P --json
[ $LAST_RC -eq 0 ] || fail "put of the old data again: exit $LAST_RC"
note "re-putting pre-encryption data: new_bytes $(json_get new_bytes) (documented: no dedup against plain data until clean)"
[ -z "$(files_with s "$OLDM" | grep -vxF -f <(cut -d' ' -f1 ids.plain))" ] ||
	fail "the old data put again after encrypt is visible in a new file"
get_cmp s old2 old.dat "$P"

# ---- rotation and a mode change on the converted store.
at $((T0 + 40 * DAY)) rekey s $P
grep -q '^rotated: new content key 2' "$OUT" || fail "rotation on a converted store: $(cat "$OUT")"
at $((T0 + 40 * DAY)) put s new2 --input new2.dat $P
at $((T0 + 41 * DAY)) rekey s --mode static $P
[ $LAST_RC -eq 0 ] || fail "rekey --mode static on a converted store: exit $LAST_RC: $(cat "$ERR")"
container_scan s per-file >ids.static
[ "$(awk '{ print $2 }' ids.static | tr ' ' '\n' | sort -u | tr '\n' ' ')" = "0 3 " ] ||
	fail "after the mode change record keys are $(awk '{ print $2 }' ids.static | sort -u | tr '\n' ' '), expected plain 0 and the new key 3"
for n in old old2 new new2; do
	f=$n.dat
	[ $n = old2 ] && f=old.dat
	get_cmp s $n $f "$P"
done
[ -z "$(files_with s "$NEWM")" ] || fail "new marker visible after the mode change"

# ---- a crash at each mutation point of encrypt.
rm -rf c state.c
cp -a base.s c
LAST_RC=0
QSARC_STATE_DIR=$PWD/state.c QSARC_COUNT_FILE=$PWD/count "$QSARC" encrypt c $KDF $P >/dev/null 2>"$ERR" || LAST_RC=$?
[ $LAST_RC -eq 0 ] || fail "uncrashed encrypt: exit $LAST_RC"
total=$(cat count)
plain=0 encd=0 half=0
for k in $(seq 1 "$total"); do
	CTX="encrypt crashed at $k of $total"
	rm -rf c state.c
	cp -a base.s c
	LAST_RC=0
	QSARC_STATE_DIR=$PWD/state.c QSARC_CRASH_AT=$k "$QSARC" encrypt c $KDF $P >/dev/null 2>"$ERR" || LAST_RC=$?
	[ $LAST_RC -eq 99 ] || fail "$CTX: exit $LAST_RC, expected 99"
	# Either still plain (readable without a passphrase) or encrypted.
	LAST_RC=0
	QSARC_STATE_DIR=$PWD/state.c $NOTTY "$QSARC" get c old </dev/null >got.dat 2>"$ERR" || LAST_RC=$?
	if [ $LAST_RC -eq 0 ]; then
		cmp -s got.dat old.dat || fail "$CTX: still plain but get old gives wrong bytes"
		plain=$((plain + 1))
		LAST_RC=0
		QSARC_STATE_DIR=$PWD/state.c "$QSARC" encrypt c $KDF $P >"$OUT" 2>"$ERR" || LAST_RC=$?
		[ $LAST_RC -eq 0 ] || fail "$CTX: rerun of encrypt on the still plain store: exit $LAST_RC: $(cat "$ERR")"
	elif grep -q "qsarc encrypt" "$ERR"; then
		# The keystore is written, the config still plain: refused as
		# plain (item 3), and encrypt run again finishes.
		[ $LAST_RC -eq 6 ] || fail "$CTX: keystore next to the plain config: exit $LAST_RC"
		half=$((half + 1))
		LAST_RC=0
		QSARC_STATE_DIR=$PWD/state.c "$QSARC" encrypt c $KDF $P >"$OUT" 2>"$ERR" || LAST_RC=$?
		[ $LAST_RC -eq 0 ] || fail "$CTX: rerun of the interrupted encrypt: exit $LAST_RC: $(cat "$ERR")"
	else
		encd=$((encd + 1))
		expect_exit 8 q encrypt c $KDF $P
	fi
	get_cmp c old old.dat "$P"
	expect_ok q keystore c check $P
	expect_ok q put c new --input new2.dat $P
	[ -z "$(files_with c "$NEWM")" ] || fail "$CTX: new data visible after the rerun"
done
note "encrypt crash points tried: $total of $total ($plain left the store plain, $half a keystore next to the plain config, $encd encrypted)"
exit 0
