# verify: a clean store passes; damage in each kind of file (container
# payload and record header, index segment, manifest, config, a deleted
# container) is found and blamed on the right streams, by name, with the
# file and offset; --rebuild-index repairs a damaged index; the JSON output
# parses; --read-data-subset reads about the share asked for; and random
# single-byte flips in every kind of file are all detected.
. "$CLI_DIR/lib.sh"

q verify --help >/dev/null 2>&1 || skip "this qsarc has no verify subcommand"

TRIED=0
DETECTED=0

# fresh: a writable copy of the pristine store in ./t.
fresh() {
	chmod -R u+w t 2>/dev/null
	rm -rf t
	cp -a pristine t
	chmod -R u+w t
}

# record_offset FILE N: the offset of the N-th (from 0) record header of
# container FILE (64-byte container header, 80-byte record headers with
# the stored length at byte 12).
record_offset() {
	"$PY" - "$1" "$2" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
off = 64
for _ in range(int(sys.argv[2])):
    off += 80 + struct.unpack_from("<I", data, off + 12)[0]
print(off)
EOF
}

# Small chunks, small containers: streams A, B, C in containers of their
# own (no dedup between random files), AB sharing A's and B's chunks.
expect_ok q init s --avg-chunk 4K --container-size 1M
gen_file 301 2M A.dat
gen_file 302 1536K B.dat
gen_file 303 1M C.dat
cat A.dat B.dat >AB.dat
: >prev
for n in A B C AB; do
	expect_ok q put s "$n" --input "$n.dat"
	containers s >now
	comm -13 prev now >"$n.containers"
	mv now prev
done
[ -s C.containers ] || fail "stream C wrote no container"
# The largest container of C (the last one may hold only a few records).
bigc=$(ls -S $(cat C.containers) | head -n1 | sed "s|^s/|t/|")
cp -a s pristine
chmod -R u+w pristine

# 1. Clean: exit 0, everything intact, in text and in JSON.
expect_ok q verify s
grep -q 'no damage found' "$OUT" || fail "clean verify does not say so"
expect_ok q verify s --json --read-data
pyjson 'j["ok"] is True and j["exit"] == 0 and j["findings"] == []'
pyjson 'sorted(j["intact"]) == ["A", "AB", "B", "C"] and j["damaged"] == []'
pyjson 'j["counts"]["chunks_read"] == j["counts"]["chunks_total"] == j["counts"]["index_entries"] > 0'
pyjson 'all(s["intact"] and s["references"] > 0 for s in j["streams"])'
expect_ok q verify s A C --read-data --json
pyjson 'sorted(j["intact"]) == ["A", "C"] and j["counts"]["streams"] == 2'
expect_fail 3 'no stream named' q verify s NOPE

# 2. A flipped byte in a chunk's payload (C's first record): only
# --read-data reads payloads, so only it finds the damage.
fresh
cc=$bigc
flip_byte "$cc" $((64 + 80 + 100))
expect_ok q verify t
note "payload flip without --read-data: not detected, as documented"
expect_exit 6 q verify t --read-data --json
tried "container payload"
pyjson '"C" in j["damaged"] and "A" in j["intact"] and "B" in j["intact"] and "AB" in j["intact"]'
pyjson 'any(f["stream"] == "C" and same(f["file"], "'"$cc"'") and f["offset"] == 64 for f in j["findings"])'
# Only the named stream is read: A is intact, C is not.
expect_exit 6 q verify t C --read-data
tried "container payload, named stream"
grep -q "^DAMAGED C" "$OUT" || fail "verify C --read-data does not name C"
expect_ok q verify t A --read-data

# 3. A flipped byte in a record header (the chunk id of C's first record):
# found without --read-data.
fresh
flip_byte "$cc" $((64 + 20))
expect_exit 6 q verify t --json
tried "record header"
pyjson 'j["damaged"] == ["C"]'
pyjson 'any(f["kind"] == "container" and same(f["file"], "'"$cc"'") for f in j["findings"])'
pyjson 'any(f["stream"] == "C" and same(f["file"], "'"$cc"'") and f["offset"] == 64 for f in j["findings"])'

# 4. A deleted container: the streams using it are damaged, with the file.
fresh
ca=$(head -n1 A.containers | sed 's|^s/|t/|')
rm -f "$ca"
expect_exit 6 q verify t --json
tried "deleted container"
pyjson 'sorted(j["damaged"]) == ["A", "AB"] and sorted(j["intact"]) == ["B", "C"]'
pyjson 'any(f["stream"] == "A" and same(f["file"], "'"$ca"'") for f in j["findings"])'
pyjson 'any(f["stream"] is None and same(f["file"], "'"$ca"'") and "missing" in f["message"] for f in j["findings"])'

# 5. Index segment: a flipped entry byte, then a damaged header; each time
# --rebuild-index repairs it, verify is clean and every stream restores.
for where in body header; do
	fresh
	seg=$(ls -S t/index/seg-*.qsi | head -n1)
	if [ $where = body ]; then
		flip_byte "$seg" $((64 + 48 * 3 + 5))
	else
		flip_byte "$seg" 0
	fi
	expect_exit 6 q verify t --json
	tried "index segment $where"
	pyjson 'any(f["kind"] == "index" and same(f["file"], "'"$seg"'") for f in j["findings"])'
	[ $where = header ] && { err_matches 'rebuild-index' || fail "no hint to --rebuild-index"; }
	expect_ok q verify t --rebuild-index --json
	pyjson 'j["ok"] and j["rebuild"]["entries"] > 0 and j["rebuild"]["containers_damaged"] == 0'
	expect_ok q verify t --read-data
	for n in A B C AB; do
		restores t "$n" "$n.dat"
	done
	ls t/index | grep -q damaged- && fail "rebuild left quarantined segment files"
done
# A missing index directory is rebuilt too.
fresh
rm -rf t/index
expect_ok q verify t --rebuild-index
expect_ok q verify t --read-data
restores t AB AB.dat

# 6. Rebuild with a damaged container: it is named, the records before the
# damage are kept, and verify then blames exactly the streams affected.
fresh
cc=$bigc
flip_byte "$cc" "$(record_offset "$cc" 20)"
rm -f t/index/seg-*.qsi
expect_exit 6 q verify t --rebuild-index --json
grep -qF "$cc" "$OUT" || fail "rebuild does not name the damaged container"
pyjson 'j["rebuild"]["containers_damaged"] == 1 and j["rebuild"]["salvaged"] == 20'
expect_exit 6 q verify t --read-data --json
tried "container damaged before a rebuild"
pyjson 'j["damaged"] == ["C"]'
restores t A A.dat
restores t AB AB.dat

# 7. Manifests: a flipped byte, then a truncation; only that stream is
# damaged, named, with its manifest file.
fresh
flip_byte t/streams/B.qsm $(( $(file_size t/streams/B.qsm) / 2 ))
expect_exit 6 q verify t --json
tried "manifest flip"
pyjson 'j["damaged"] == ["B"] and sorted(j["intact"]) == ["A", "AB", "C"]'
pyjson 'any(f["stream"] == "B" and f["kind"] == "manifest" and same(f["file"], "t/streams/B.qsm") and f["offset"] >= 0 for f in j["findings"])'
fresh
truncate -s $(( $(file_size t/streams/A.qsm) / 2 )) t/streams/A.qsm
expect_exit 6 q verify t
tried "manifest truncated"
grep -q '^DAMAGED A' "$OUT" || fail "truncated manifest: A not reported damaged"
grep -q '^intact  B' "$OUT" || fail "truncated manifest of A: B not reported intact"

# 8. Config: a clear error naming the file, exit 6, no crash.
fresh
flip_byte t/config 40
expect_exit 6 q verify t --json
tried "config"
err_matches 't/config' || fail "damaged config: error does not name the file"
pyjson 'j["ok"] is False and any(f["kind"] == "config" for f in j["findings"])'

# 9. --read-data-subset 10% reads roughly a tenth of the chunks.
expect_ok q verify s --read-data-subset 10% --json
total=$(json_get counts.chunks_total)
read=$(json_get counts.chunks_read)
note "--read-data-subset 10%: read $read of $total chunks"
[ "$total" -ge 500 ] || fail "too few chunks ($total) for the subset check"
[ $((read * 100)) -ge $((total * 4)) ] && [ $((read * 100)) -le $((total * 20)) ] ||
	fail "--read-data-subset 10% read $read of $total chunks"
expect_exit 2 q verify s --read-data-subset 0%
expect_exit 2 q verify s --read-data-subset 101
expect_exit 2 q verify s A --rebuild-index

# 10. Random single-byte flips in every kind of file, each in a fresh copy:
# verify --read-data must find every one.  (The container header's
# "created" field is the only byte range nothing depends on; it is
# skipped.)
n_each=12
[ "$QSARC_SANITIZED" = 1 ] && n_each=4
for kind in container manifest segment config; do
	for i in $(seq 1 $n_each); do
		fresh
		case $kind in
		container) f=$(containers t | shuf -n1 --random-source=<(yes "$i")) ;;
		manifest) f=$(ls t/streams/*.qsm | shuf -n1 --random-source=<(yes "$i")) ;;
		segment) f=$(ls t/index/seg-*.qsi | shuf -n1 --random-source=<(yes "$i")) ;;
		config) f=t/config ;;
		esac
		sz=$(file_size "$f")
		off=$("$PY" -c 'import random, sys
r = random.Random(int(sys.argv[1]) * 31 + len(sys.argv[2]))
while True:
    o = r.randrange(int(sys.argv[3]))
    if not (sys.argv[2] == "container" and 40 <= o < 48):
        print(o); break' "$i" "$kind" "$sz")
		flip_byte "$f" "$off"
		run_q verify t --read-data
		# A damaged version field reads as "newer format": exit 1.
		if [ "$kind" = config ] && [ "$LAST_RC" -eq 1 ] &&
		    err_matches 'not supported'; then
			LAST_RC=6
		fi
		tried "$kind $f offset $off"
	done
done

note "corruptions tried: $TRIED, detected: $DETECTED"
[ "$TRIED" -eq "$DETECTED" ] || fail "undetected corruptions"
