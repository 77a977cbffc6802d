# Damage: flipped bytes, truncated and missing containers, truncated
# manifests, a corrupt config.  qsarc must stop with exit 6 (or 1) and a
# message naming the file, never crash, never write wrong bytes.
. "$CLI_DIR/lib.sh"

# One store, four streams, each in containers of its own (1 MiB target).
expect_ok q init s --container-size 1M
gen_file 51 3M A.dat
gen_file 52 3M B.dat
gen_file 53 3M C.dat
gen_file 54 2M D.dat
gen_file 55 500K E.dat
: >prev
for n in A B C D E; do
	expect_ok q put s "$n" --input "$n.dat"
	containers s >now
	comm -13 prev now >"$n.containers"
	[ -s "$n.containers" ] || fail "stream $n wrote no container"
	mv now prev
done
cp -a s pristine

# prefix_of OUT REF: OUT is a strict prefix of REF (possibly empty).
prefix_of() {
	local n
	n=$(file_size "$1")
	[ "$n" -lt "$(file_size "$2")" ] || return 1
	cmp -s -n "$n" "$1" "$2"
}

# (a) One byte flipped in the middle of a container of A: exit 6, the
# message names the container and an offset, and what was written before
# the error is exactly the start of A.
ca=$(head -n1 A.containers)
sz=$(file_size "$ca")
flip_byte "$ca" $((sz / 2))
rc=0
"$QSARC" get s A >A.out 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get A (flipped byte)"
[ $rc -eq 6 ] || fail "get after a flipped byte: exit $rc, expected 6"
grep -qF "$(basename "$ca")" "$ERR" || fail "damage message does not name $(basename "$ca")"
grep -qi 'offset' "$ERR" || fail "damage message does not give an offset"
prefix_of A.out A.dat || fail "bytes written before the damage are not a prefix of A"
note "flipped byte: $(file_size A.out) good bytes written before stopping; message: $(head -n1 "$ERR")"
# With --output nothing appears.
rc=0
"$QSARC" get s A --output A.file >"$OUT" 2>"$ERR" || rc=$?
[ $rc -eq 6 ] || fail "get --output after a flipped byte: exit $rc"
[ ! -e A.file ] || fail "get --output created the file despite damage"
ls -A | grep -q '^\.tmp-' && fail "get --output left a temporary file"
# Single-threaded the same.
rc=0
"$QSARC" get s A --threads 1 >A1.out 2>"$ERR" || rc=$?
[ $rc -eq 6 ] || fail "get --threads 1 after a flipped byte: exit $rc"
prefix_of A1.out A.dat || fail "--threads 1: output before the damage not a prefix"

# (b) A truncated container of B.
cb=$(head -n1 B.containers)
truncate -s $(( $(file_size "$cb") / 3 )) "$cb"
rc=0
"$QSARC" get s B >B.out 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get B (truncated container)"
[ $rc -eq 6 ] || [ $rc -eq 1 ] || fail "get after truncating a container: exit $rc, expected 6 or 1"
[ $rc -eq 6 ] || note "truncated container gives exit $rc, not 6"
grep -qF "$(basename "$cb")" "$ERR" || fail "truncation message does not name $(basename "$cb")"
prefix_of B.out B.dat || fail "truncated container: output is not a prefix of B"
# A container cut to less than its header.
truncate -s 10 "$cb"
rc=0
"$QSARC" get s B >B.out 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get B (10-byte container)"
[ $rc -eq 6 ] || [ $rc -eq 1 ] || fail "get with a 10-byte container: exit $rc"
prefix_of B.out B.dat || fail "10-byte container: output is not a prefix of B"
truncate -s 0 "$cb"
rc=0
"$QSARC" get s B >B.out 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get B (empty container)"
[ $rc -eq 6 ] || [ $rc -eq 1 ] || fail "get with an empty container: exit $rc"

# (c) A deleted container of C: exit 6 naming the missing file.
cc=$(head -n1 C.containers)
rm -f "$cc"
rc=0
"$QSARC" get s C >C.out 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get C (missing container)"
grep -qF "$(basename "$cc")" "$ERR" || fail "missing container: message does not name $(basename "$cc")"
prefix_of C.out C.dat || fail "missing container: output is not a prefix of C"
if [ $rc -ne 6 ]; then
	[ $rc -ne 0 ] || fail "get with a missing container succeeded"
	known_bug "'qsarc get S NAME' with a container of NAME deleted exits $rc (\"$(head -n1 "$ERR")\"); expected 6 (damage: a file the stream needs is missing); exit 3 reads as 'no such stream'"
fi

# (d) A truncated manifest of D.
md=s/streams/D.qsm
truncate -s $(( $(file_size "$md") / 2 )) "$md"
rc=0
"$QSARC" get s D >D.out 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get D (truncated manifest)"
[ $rc -eq 6 ] || [ $rc -eq 1 ] || fail "get with a truncated manifest: exit $rc, expected 6 or 1"
grep -q 'D' "$ERR" || fail "truncated manifest: message does not name the stream or file"
[ ! -s D.out ] || prefix_of D.out D.dat || fail "truncated manifest: output not a prefix of D"
# ls must not crash; it reports D (exit 6) or lists it, and still lists
# every other stream, in both formats; --json stays valid JSON.
rc=0
"$QSARC" ls s >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "ls with a truncated manifest"
[ $rc -eq 0 ] || [ $rc -eq 6 ] || fail "ls with a truncated manifest: exit $rc"
[ $rc -eq 0 ] || grep -qF 'D.qsm' "$ERR" || fail "ls: exit $rc without naming D.qsm"
for n in A B C E; do
	grep -q "^$n " "$OUT" || fail "ls with D damaged does not list $n"
done
# --json, with a damaged manifest in the middle (D) and first (A, on a copy).
rm -rf lsj && cp -a pristine lsj
truncate -s 100 lsj/streams/A.qsm
for st in s lsj; do
	rc=0
	"$QSARC" ls $st --json >"$OUT" 2>"$ERR" || rc=$?
	LAST_RC=$rc; crash_check "ls --json with a truncated manifest"
	[ $rc -eq 0 ] || [ $rc -eq 6 ] || fail "ls --json with a truncated manifest: exit $rc"
	if ! "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT" 2>/dev/null; then
		known_bug "'qsarc ls S --json' with a damaged manifest (the first stream's, truncated: $st) prints invalid JSON: \"$(head -c 30 "$OUT" | tr '\n' ' ')...\" (a separator is printed for the skipped stream); exit $rc"
		continue
	fi
	for n in B C E; do
		grep -q "\"name\": \"$n\"" "$OUT" || fail "ls --json ($st) with a damaged manifest does not list $n"
	done
done
# Empty manifest, garbage manifest.
: >"$md"
rc=0; "$QSARC" get s D >D.out 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get D (empty manifest)"
[ $rc -eq 6 ] || [ $rc -eq 1 ] || fail "get with an empty manifest: exit $rc"
head -c 5000 /dev/urandom >"$md"
rc=0; "$QSARC" get s D >D.out 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get D (garbage manifest)"
[ $rc -eq 6 ] || [ $rc -eq 1 ] || fail "get with a garbage manifest: exit $rc"
[ ! -s D.out ] || fail "garbage manifest: bytes were written"
# A byte flipped in a manifest.
cp pristine/streams/D.qsm "$md"
flip_byte "$md" $(( $(file_size "$md") / 2 ))
rc=0; "$QSARC" get s D >D.out 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get D (flipped manifest byte)"
[ $rc -eq 6 ] || [ $rc -eq 1 ] || fail "get with a flipped manifest byte: exit $rc"
[ ! -s D.out ] || prefix_of D.out D.dat || fail "flipped manifest byte: output not a prefix"

# The streams whose containers are intact still restore.
restores s E E.dat
for n in A B C D; do
	expect_ok q put s "$n-again" --input E.dat
done
restores s A-again E.dat

# (e) A corrupt config (on a copy): a clear error, no crash.
for how in flip truncate empty garbage missing; do
	rm -rf cfg && cp -a pristine cfg
	case $how in
	flip) flip_byte cfg/config $(( $(file_size cfg/config) / 2 )) ;;
	truncate) truncate -s 20 cfg/config ;;
	empty) : >cfg/config ;;
	garbage) head -c 184 /dev/urandom >cfg/config ;;
	missing) rm cfg/config ;;
	esac
	for cmdline in "ls cfg" "get cfg E" "stats cfg"; do
		rc=0
		# shellcheck disable=SC2086
		"$QSARC" $cmdline >"$OUT" 2>"$ERR" || rc=$?
		LAST_RC=$rc; crash_check "$cmdline (config $how)"
		[ $rc -ne 0 ] || fail "$cmdline with config $how: exit 0"
		grep -q 'config' "$ERR" || fail "$cmdline with config $how: message does not mention the config"
		[ ! -s "$OUT" ] || [ "${cmdline%% *}" != get ] || fail "$cmdline with config $how wrote bytes"
	done
	rc=0
	"$QSARC" put cfg new --input E.dat >"$OUT" 2>"$ERR" || rc=$?
	LAST_RC=$rc; crash_check "put with config $how"
	[ $rc -ne 0 ] || fail "put with config $how succeeded"
	note "config $how: exit $rc: $(head -n1 "$ERR")"
done

# Index damage (on a copy): get either works byte-exactly or reports damage.
rm -rf idx && cp -a pristine idx
for seg in idx/index/*.qsi; do
	flip_byte "$seg" $(( $(file_size "$seg") / 2 ))
done
rc=0; "$QSARC" get idx A >idx.out 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get with a damaged index"
if [ $rc -eq 0 ]; then
	cmp -s idx.out A.dat || fail "damaged index: get exit 0 with wrong bytes"
else
	prefix_of idx.out A.dat || [ ! -s idx.out ] || fail "damaged index: wrong bytes"
fi

# Random single-byte flips in a small store: every get either succeeds
# byte-exactly or stops with exit 6 (or 1) after a correct prefix.
expect_ok q init f --avg-chunk 4K
gen_file 56 200K F.dat 20
expect_ok q put f F --input F.dat
cf=$(containers f | head -n1)
fsz=$(file_size "$cf")
trials=40
[ "$QSARC_STRESS" = 1 ] && trials=400
[ "$QSARC_SANITIZED" = 1 ] && trials=20
detected=0
i=0
while [ $i -lt $trials ]; do
	rm -rf fz && cp -a f fz
	off=$(( (i * 7919 + 13) * 104729 % fsz ))
	[ $i -lt 3 ] && off=$i			# the header
	[ $i -eq 3 ] && off=$((fsz - 1))	# the trailer
	flip_byte "fz/${cf#f/}" "$off"
	rc=0
	"$QSARC" get fz F >fz.out 2>"$ERR" || rc=$?
	LAST_RC=$rc; crash_check "get F (byte $off of $fsz flipped)"
	case $rc in
	0) cmp -s fz.out F.dat || fail "byte $off flipped: exit 0 with wrong output" ;;
	6|1) [ ! -s fz.out ] || prefix_of fz.out F.dat ||
		fail "byte $off flipped: output is not a prefix"
	     detected=$((detected + 1)) ;;
	*) fail "byte $off flipped: exit $rc" ;;
	esac
	i=$((i + 1))
done
note "random flips: $detected of $trials detected, the rest restored exactly"
[ $detected -ge $((trials * 3 / 4)) ] || fail "only $detected of $trials flips detected"
