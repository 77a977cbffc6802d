# clean in encrypted stores (issue 4):
#  A. A plain store with data (a tar stream whose member names and contents
#     carry ASCII markers, raw streams, an expired stream), then 'encrypt',
#     then 'clean': afterwards no plain record is left in any container
#     (every record header parsed: key_id != 0), every manifest and
#     catalogue header has key_id != 0, no file of the store contains a
#     marker, the config has no plain keys (tags 0x0006/0x0007; they were
#     there before clean), every stream restores, the tar catalogue lists
#     as before, and a new put of the same data deduplicates against the
#     converted data.
#  B. Key retirement: with QSARC_TEST_NOW, a rotation (rekey) and a put per
#     period, old streams expired; clean (dry run first: same list) names
#     the retired keys, which are gone from both keystore copies (keys
#     --json, keystore check, and keys again after restoring the primary
#     from the backup); keys still protecting a live stream remain.
#  C. --max-duration 1s on a conversion that takes longer: exit 7, the
#     store is fine, the next run finishes.
. "$CLI_DIR/lib.sh"

enc_setup 'clean encrypt pass'

# plain_scan STORE: counts "plain_records records plain_headers headers"
# over every container record and every manifest/catalogue header; fails
# on a malformed container.
plain_scan() {
	"$PY" - "$1" <<'EOF' || fail "scan of $1 failed"
import os, struct, sys
root = sys.argv[1]
plain = recs = hplain = hdrs = 0
for d, dirs, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        if f.startswith(".tmp-"):
            continue
        b = open(p, "rb").read()
        if f.endswith(".qsc"):
            end = len(b) - 64
            assert b[end:end + 8] == b"QSARCEND", p
            off = 64
            while off < end:
                assert b[off:off + 4] == b"QSRC", (p, off)
                kid = struct.unpack_from("<H", b, off + 6)[0]
                recs += 1
                plain += kid == 0
                off += 80 + struct.unpack_from("<I", b, off + 12)[0]
            assert off == end, (p, off, end)
        elif f.endswith(".qsm") or f.endswith(".qct"):
            assert b[:8] in (b"QSARCMAN", b"QSARCCAT"), p
            hdrs += 1
            hplain += struct.unpack_from("<H", b, 12)[0] == 0
print(plain, recs, hplain, hdrs)
EOF
}

# ======== A. encrypting the data written before encryption.
DM="QSARC-CLEAN-DATA-MARKER-61b7"
NM="qsarc-member-name-marker-a2f4"
mkdir -p tree/dir
marked 7201 900000 "$DM" "tree/dir/$NM.bin"
marked 7202 200000 "$DM" tree/small.bin
echo "a text file" >"tree/$NM.txt"
tar cf tar1.dat tree
marked 7203 1200000 "$DM" raw2.dat
{ head -c 600000 raw2.dat; marked 7204 300000 "$DM" /dev/stdout; } >raw3.dat
marked 7205 400000 "$DM" gone.dat
at_ok $T0 init s --level 1 --container-size 1M
for n in tar1 raw2 raw3 gone; do
	at_ok $T0 put s $n --input $n.dat
done
expect_ok q rm s gone
expect_ok q ls s tar1 --long
cp "$OUT" tar1.ls
grep -q "$NM.txt" tar1.ls || fail "control: the catalogue does not list $NM.txt"
[ -n "$(files_with s "$DM")" ] || fail "control: the data marker is not visible in the plain store"
[ -n "$(files_with s "$NM")" ] || fail "control: the member name marker is not visible in the plain store"
at_ok $((T0 + DAY)) encrypt s $KDF $P
tags=$(config_tags s/config)
case " $tags " in *" 0006 0007 "*) ;; *) fail "control: the config of the converted store lacks the plain keys before clean: $tags" ;; esac
read -r p0 r0 hp0 h0 <<<"$(plain_scan s)"
[ "$p0" -gt 0 ] && [ "$hp0" -gt 0 ] || fail "control: no plain records ($p0) or headers ($hp0) before clean"

at_ok $((T0 + DAY)) clean s --json $P
cp "$OUT" conv.json
[ "$(json_get plain_bytes conv.json)" -gt 0 ] || fail "clean found no plain bytes"
[ "$(json_get bytes_encrypted conv.json)" = "$(json_get plain_bytes conv.json)" ] ||
	fail "clean encrypted $(json_get bytes_encrypted conv.json) of $(json_get plain_bytes conv.json) plain bytes"
[ "$(json_get manifests_rewritten conv.json)" = 3 ] || fail "clean rewrote $(json_get manifests_rewritten conv.json) manifests, expected 3"
[ "$(json_get encryption_waiting conv.json)" = False ] || fail "clean: encryption_waiting"
read -r p1 r1 hp1 h1 <<<"$(plain_scan s)"
note "before clean: $p0 of $r0 records and $hp0 of $h0 manifest/catalogue headers plain; after: $p1 of $r1, $hp1 of $h1"
[ "$p1" = 0 ] || fail "after clean $p1 of $r1 container records are still plain (key_id 0)"
[ "$hp1" = 0 ] || fail "after clean $hp1 manifest/catalogue headers are still plain"
leak=$(files_with s "$DM" "$NM")
[ -z "$leak" ] || fail "after clean a marker is still visible in: $leak"
tags=$(config_tags s/config)
case " $tags " in *" 0006 "* | *" 0007 "*) fail "after clean the config still holds plain keys: tags $tags" ;; esac
for n in tar1 raw2 raw3; do
	expect_ok q get s $n $P
	cmp -s "$OUT" $n.dat || fail "after clean: $n differs"
done
expect_exit 3 q get s gone --expired $P
expect_ok q ls s tar1 --long $P
cmp -s "$OUT" tar1.ls || fail "the catalogue of tar1 lists differently after clean: $(diff tar1.ls "$OUT" | head -5)"
mkdir -p x
expect_ok q get s tar1 --member "tree/$NM.txt" --extract-to x $P
cmp -s "x/tree/$NM.txt" "tree/$NM.txt" || fail "get --member after clean: wrong content"
expect_ok q keys s --json $P
[ "$(json_get plain_records)" = 0 ] || fail "keys: plain_records $(json_get plain_records) after clean"
expect_ok q keystore s check $P
if "$QSARC" verify --help >/dev/null 2>&1; then
	expect_ok q verify s $P
fi
# New puts deduplicate against the converted data.
at_ok $((T0 + DAY)) put s raw2b --input raw2.dat --json $P
nb=$(json_get new_bytes)
[ "$nb" -lt $((1200000 / 20)) ] || fail "put of raw2's bytes again after clean: new_bytes $nb of 1200000 (no dedup against the converted data)"
at_ok $((T0 + DAY)) put s tar1b --input tar1.dat --json $P
nt=$(json_get new_bytes)
[ "$nt" -lt $(($(file_size tar1.dat) / 20)) ] || fail "put of tar1's bytes again after clean: new_bytes $nt"
note "re-put after clean: raw2 new_bytes $nb of 1200000, tar1 $nt of $(file_size tar1.dat)"
[ -z "$(files_with s "$DM" "$NM")" ] || fail "the re-puts left a marker in the clear"
at_ok $((T0 + DAY)) clean s --json $P
[ "$(json_get plain_bytes)" = 0 ] && [ "$(json_get manifests_rewritten)" = 0 ] || fail "a second clean still converts: $(cat "$OUT")"

# ======== B. retirement of keys that protect nothing.
at_ok $T0 init e --encrypt $KDF $P --rotation-days 7
for p in 0 1 2 3 4 5; do
	t=$((T0 + p * 8 * DAY))
	at_ok $t rekey e $P
	gen_file $((7300 + p)) 150K w$p.dat
	at_ok $t put e w$p --input w$p.dat $P
	if [ $p = 1 ]; then
		gen_file 7399 100K pin.dat
		at_ok $t put e pin --input pin.dat $P
	fi
	at $t expire e --prefix w --keep-last 2 $P
	[ $LAST_RC -eq 0 ] || [ $LAST_RC -eq 8 ] || fail "expire in period $p: exit $LAST_RC"
done
# Keys 1..6 (one per period); live: pin (key 2), w4 (key 5), w5 (key 6).
ids() {
	"$PY" -c '
import json, sys
print(" ".join(str(k["id"]) for k in sorted(json.load(open(sys.argv[1]))["keys"], key=lambda k: k["id"])))' "$OUT" ||
		fail "keys --json is not JSON"
}
at_ok $((T0 + 45 * DAY)) keys e --json $P
[ "$(ids)" = "1 2 3 4 5 6" ] || fail "before clean: keys $(ids), expected 1..6"
at_ok $((T0 + 45 * DAY)) clean e --dry-run --json $P
dry=$(json_get keys_retired)
at_ok $((T0 + 45 * DAY)) keys e --json $P
[ "$(ids)" = "1 2 3 4 5 6" ] || fail "clean --dry-run retired keys: $(ids)"
at_ok $((T0 + 45 * DAY)) clean e --json $P
real=$(json_get keys_retired)
[ "$dry" = "$real" ] || fail "clean --dry-run would retire $dry, the real run retired $real"
[ "$("$PY" -c 'import sys; print(sorted(eval(sys.argv[1])))' "$real")" = "[1, 3, 4]" ] ||
	fail "clean retired keys $real, expected 1, 3 and 4 (2 protects pin, 5 and 6 the live streams)"
at_ok $((T0 + 45 * DAY)) keys e --json $P
[ "$(ids)" = "2 5 6" ] || fail "after clean: keys $(ids), expected 2 5 6"
expect_ok q keystore e check $P
# The backup copy lost them too: make it the primary and look again.
expect_ok q keystore e restore --from backup $P
at_ok $((T0 + 45 * DAY)) keys e --json $P
[ "$(ids)" = "2 5 6" ] || fail "the backup keystore copy still holds keys: $(ids)"
for n in pin w4 w5; do
	expect_ok q get e $n $P
	cmp -s "$OUT" $n.dat || fail "after key retirement: $n differs"
done
expect_exit 3 q get e w3 --expired $P
# The text output names the retired keys.
at_ok $((T0 + 45 * DAY)) rm e w4 $P
at_ok $((T0 + 45 * DAY)) clean e $P
grep -qE '^keys retired.*: 5$' "$OUT" || fail "clean (text) does not name retired key 5: $(cat "$OUT")"
at_ok $((T0 + 45 * DAY)) keys e --json $P
[ "$(ids)" = "2 6" ] || fail "after the second retirement: keys $(ids), expected 2 6"
expect_ok q keystore e check $P

# ======== C. --max-duration on a conversion that takes longer than 1 s.
# Many small streams: the conversion is one put per stream, and the
# time limit is checked between streams.
NS=60
[ "$QSARC_SANITIZED" = 1 ] && NS=24
gen_file 7400 $((NS * 512))K big.dat
expect_ok q init m --container-size 1M
for i in $(seq 0 $((NS - 1))); do
	dd if=big.dat of=m$i.dat bs=512K skip=$i count=1 status=none
	expect_ok q put m m$i --input m$i.dat
done
expect_ok q encrypt m $KDF $P
t0=$(now_ms)
LAST_RC=0
"$QSARC" clean m --max-duration 1s --json $P >"$OUT" 2>"$ERR" || LAST_RC=$?
t1=$(now_ms)
crash_check "clean --max-duration 1s"
if [ $LAST_RC -eq 7 ]; then
	[ "$(json_get stopped_early)" = True ] || fail "clean exit 7 but stopped_early is not true"
	err_matches 'max-duration' || fail "clean exit 7 without saying why: $(cat "$ERR")"
	done1=$(json_get manifests_rewritten)
	[ "$done1" -lt $NS ] || fail "clean stopped early but converted all $NS streams"
	for i in $(seq 0 5 $((NS - 1))); do
		expect_ok q get m m$i $P
		cmp -s "$OUT" m$i.dat || fail "after clean stopped early: m$i differs"
	done
	expect_ok q clean m --json $P
	[ "$(json_get stopped_early)" = False ] || fail "the next clean stopped early too"
	done2=$(json_get manifests_rewritten)
	[ $((done1 + done2)) = $NS ] || fail "the two cleans converted $done1 + $done2 streams, expected $NS"
	read -r pm rm hpm hm <<<"$(plain_scan m)"
	[ "$pm" = 0 ] && [ "$hpm" = 0 ] || fail "after the second clean: $pm plain records, $hpm plain headers"
	note "clean --max-duration 1s: exit 7 after $((t1 - t0)) ms with $done1 of $NS streams converted; the next run converted $done2"
else
	[ $LAST_RC -eq 0 ] || fail "clean --max-duration 1s: exit $LAST_RC"
	note "SKIPPED --max-duration: the conversion of $NS streams of 512 KiB finished in $((t1 - t0)) ms, within 1 s"
fi
for i in 0 $((NS - 1)); do
	expect_ok q get m m$i $P
	cmp -s "$OUT" m$i.dat || fail "m$i differs at the end"
done
exit 0
