# Deduplication: identical and shifted streams add almost nothing.
. "$CLI_DIR/lib.sh"

if [ "$QSARC_SANITIZED" = 1 ]; then size=32M; else size=100M; fi
expect_ok q init s
gen_file 21 "$size" base
len=$(file_size base)

stat_field() {
	"$QSARC" stats s --json >stats.json 2>"$ERR" || fail "stats --json: exit $?"
	json_get "$1" stats.json
}

expect_ok q put s first --input base --json
new1=$(json_get new_bytes)
[ "$new1" = "$len" ] || fail "first put: new_bytes $new1, expected $len (all new)"
stored1=$(stat_field stored_bytes)
[ "$stored1" -ge "$len" ] || fail "random data stored in $stored1 < $len bytes?"

# The same bytes again: < 1% more stored bytes, no new chunk.
expect_ok q put s second --input base --json
[ "$(json_get new_bytes)" = 0 ] || fail "second identical put: new_bytes $(json_get new_bytes)"
[ "$(json_get new_chunks)" = 0 ] || fail "second identical put: new_chunks $(json_get new_chunks)"
stored2=$(stat_field stored_bytes)
grow=$((stored2 - stored1))
[ $((grow * 100)) -lt "$stored1" ] ||
	fail "identical stream grew the store by $grow bytes (>= 1% of $stored1)"
[ "$(json_get logical_bytes stats.json)" = $((2 * len)) ] ||
	fail "stats logical_bytes $(json_get logical_bytes stats.json), expected $((2 * len))"
[ "$(json_get streams stats.json)" = 2 ] || fail "stats streams != 2"
note "identical $size: stored grew by $grow bytes"

# 100 bytes inserted at offset 1000: content-defined chunking resyncs, so
# the new bytes of the second put are < 5% of its length.
{ head -c 1000 base; gen 22 100; tail -c +1001 base; } >shifted
[ "$(file_size shifted)" = $((len + 100)) ] || fail "building shifted input"
expect_ok q put s shifted --input shifted --json
nb=$(json_get new_bytes)
slen=$(json_get length)
[ "$slen" = $((len + 100)) ] || fail "shifted: length $slen"
[ $((nb * 100)) -lt $((slen * 5)) ] ||
	fail "100 bytes inserted at 1000: $nb new bytes of $slen (>= 5%)"
note "insert at 1000: $nb new bytes of $slen ($((nb * 10000 / slen)) per 10000)"

# Same for a change in the middle and for bytes appended at the end.
half=$((len / 2))
{ head -c "$half" base; gen 23 4096; tail -c +$((half + 4097)) base; } >middle
expect_ok q put s middle --input middle --json
nb=$(json_get new_bytes)
[ $((nb * 100)) -lt $((len * 5)) ] || fail "4 KiB overwritten in the middle: $nb new bytes"
{ cat base; gen 24 1M; } >appended
expect_ok q put s appended --input appended --json
nb=$(json_get new_bytes)
[ "$nb" -ge $((1 << 20)) ] || fail "1 MiB appended: only $nb new bytes"
[ $((nb * 100)) -lt $((len * 5)) ] || fail "1 MiB appended: $nb new bytes"

# All of them restore.
restores s first base
restores s second base
restores s shifted shifted
restores s middle middle
restores s appended appended

# ls --json's per-stream new_bytes match what put reported.
expect_ok q ls s --json
"$PY" - "$OUT" "$len" <<'EOF' || fail "ls --json new_bytes inconsistent"
import json, sys
d = {s["name"]: s for s in json.load(open(sys.argv[1]))["streams"]}
n = int(sys.argv[2])
assert d["first"]["new_bytes"] == n, d["first"]
assert d["second"]["new_bytes"] == 0, d["second"]
assert 0 < d["shifted"]["new_bytes"] < n // 20, d["shifted"]
EOF

# Zeros dedup within one stream: 64 MiB of zeros store in very little.
expect_ok q init z
head -c 64M /dev/zero | "$QSARC" put z zeros --json >"$OUT" 2>"$ERR" || fail "put zeros"
[ "$(json_get new_bytes)" -lt 20000000 ] || fail "64 MiB of zeros: $(json_get new_bytes) new bytes"
"$QSARC" stats z --json >stats.json 2>"$ERR" || fail "stats z"
[ "$(json_get stored_bytes stats.json)" -lt 1048576 ] ||
	fail "64 MiB of zeros stored in $(json_get stored_bytes stats.json) bytes"
