# replicate (issue 7):
#  - plain -> plain, encrypted -> encrypted (different passphrases and
#    keys), plain -> encrypted: every stream restores byte-exact from the
#    target, tar catalogues list the same as on the source, verify is clean;
#    data replicated into an encrypted target is not visible in its files;
#  - encrypted -> plain: refused (exit 1, a clear message, no file of the
#    target changed), then allowed with --allow-plaintext-target with a
#    WARNING on stderr and in the summary (and "plaintext_target" in JSON);
#  - incremental: a second run after one new stream sends about that
#    stream's new bytes (vs. the source put's new_stored_bytes), a third
#    sends nothing and is fast;
#  - --dry-run writes nothing; explicit NAMEs: only those copied;
#  - a name on the target with other content: error, target untouched;
#    the same content put there separately counts as present.
. "$CLI_DIR/lib.sh"

KDF="--kdf-time 1 --kdf-memory 8M"
printf 'source passphrase one\n' >pw1
printf 'target passphrase two\n' >pw2
P1="--passphrase-file $PWD/pw1"
P2="--passphrase-file $PWD/pw2"
SP1="--source-passphrase-file $PWD/pw1"
TP2="--target-passphrase-file $PWD/pw2"

# names STORE [passphrase options]: sorted stream names, space separated.
names() {
	local st=$1
	shift
	"$QSARC" ls "$st" --json "$@" >"$OUT.n" 2>"$ERR" || fail "ls $st: exit $?"
	"$PY" -c '
import json, sys
print(" ".join(sorted(s["name"] for s in json.load(open(sys.argv[1]))["streams"])))' "$OUT.n"
}
# same_listing SRC DST NAME SRCOPTS DSTOPTS: ls NAME (--long and --json)
# equal on both.
same_listing() {
	local v
	for v in --long --json; do
		"$QSARC" ls "$1" "$3" $v ${4:-} >ls.src 2>"$ERR" || fail "ls $1 $3 $v: exit $?"
		"$QSARC" ls "$2" "$3" $v ${5:-} >ls.dst 2>"$ERR" || fail "ls $2 $3 $v: exit $?"
		[ -s ls.src ] || fail "ls $1 $3 $v is empty"
		cmp -s ls.src ls.dst || fail "ls $3 $v differs between $1 and $2: $(diff ls.src ls.dst | head -5)"
	done
}
# check_target DST FILESPEC OPTS: every "name=file" restores from DST.
check_target() {
	local dst=$1 spec=$2 opts=${3:-} nf
	for nf in $spec; do
		"$QSARC" get "$dst" "${nf%%=*}" $opts >got.dat 2>"$ERR" ||
			fail "get $dst ${nf%%=*}: exit $?"
		cmp -s got.dat "${nf#*=}" || fail "get $dst ${nf%%=*}: differs from ${nf#*=}"
	done
}
HAVE_VERIFY=0
if "$QSARC" verify --help >/dev/null 2>&1; then
	HAVE_VERIFY=1
else
	note "no 'qsarc verify' in this binary: targets are not verified"
fi
verify_ok() {
	[ $HAVE_VERIFY = 1 ] || return 0
	expect_ok q verify "$@"
	grep -q 'no damage found' "$OUT" || fail "verify $1: $(tail -2 "$OUT")"
}

# ---- the data: a tar stream, a raw stream, one sharing the tar's big file
# (with an ASCII marker, to see whether it is stored in the clear).
MARK="QSARC-REPLICATE-MARKER-5d21"
mkdir -p tree/sub
gen_file 6001 1500K tree/big.bin
gen_file 6002 300K tree/sub/small.bin
echo "hello replicate" >tree/sub/note.txt
ln -s sub/note.txt tree/link
tar cf tar1.dat tree
gen_file 6003 1M raw2.dat
marked 6004 600000 "$MARK" mk.dat
cat tree/big.bin mk.dat >mix3.dat
FILES="tar1=tar1.dat raw2=raw2.dat mix3=mix3.dat"

expect_ok q init P --level 1 --container-size 1M
for nf in $FILES; do
	expect_ok q put P "${nf%%=*}" --input "${nf#*=}"
done
[ -n "$(files_with P/data "$MARK")" ] || fail "control: the marker is not visible in the plain source (the leak check would prove nothing)"
expect_ok q ls P tar1
grep -qx 'tree/sub/note.txt' "$OUT" || fail "control: the source catalogue of tar1 does not list tree/sub/note.txt"

# ---- usage and same store.
expect_exit 2 q replicate P
expect_fail 1 "same store" q replicate P P

# ---- plain -> plain (first run) and --dry-run first.
expect_ok q init T1 --container-size 1M
t1_before=$(tree_sum T1)
expect_ok q replicate P T1 --dry-run
grep -q '^would copy tar1 ' "$OUT" || fail "replicate --dry-run does not list tar1: $(cat "$OUT")"
[ "$(tree_sum T1)" = "$t1_before" ] || fail "replicate --dry-run changed the target"
[ -z "$(names T1)" ] || fail "replicate --dry-run: target lists '$(names T1)'"
expect_ok q replicate P T1 --json
[ "$(json_get streams_copied)" = 3 ] || fail "first replicate copied $(json_get streams_copied) streams, expected 3"
[ "$(json_get plaintext_target)" = False ] || fail "plain -> plain: plaintext_target is not false"
B1=$(json_get bytes_sent)
[ "$(names T1)" = "mix3 raw2 tar1" ] || fail "T1 lists '$(names T1)'"
check_target T1 "$FILES"
same_listing P T1 tar1
# The ingest time travels with the stream (expiry rules use it).
"$QSARC" ls P --json >c.src 2>"$ERR" || fail "ls P: exit $?"
"$QSARC" ls T1 --json >c.dst 2>"$ERR" || fail "ls T1: exit $?"
for f in c.src c.dst; do
	"$PY" -c '
import json, sys
print(sorted((s["name"], s["created"], s["length"]) for s in json.load(open(sys.argv[1]))["streams"]))' $f >$f.t
done
cmp -s c.src.t c.dst.t || fail "names, ingest times or lengths differ between source and target: $(cat c.src.t) vs $(cat c.dst.t)"
verify_ok T1
# About what the source stores (mix3 deduplicates against tar1 on the
# target too: without that it would be 1.5 MB more).
expect_ok q stats P --json
SP=$(json_get stored_bytes)
[ "$B1" -ge $((SP * 85 / 100)) ] && [ "$B1" -le $((SP * 115 / 100)) ] ||
	fail "first replicate sent $B1 bytes; the source stores $SP"
note "plain -> plain: 3 streams, $B1 bytes sent (source stores $SP)"

# ---- incremental: one more stream on the source.
gen_file 6005 700K new4.dat
cat raw2.dat new4.dat >s4.dat
expect_ok q put P s4 --input s4.dat --json
N4=$(json_get new_stored_bytes)
t0=$(now_ms)
expect_ok q replicate P T1 --json
t1=$(now_ms)
B2=$(json_get bytes_sent)
[ "$(json_get streams_copied)" = 1 ] && [ "$(json_get streams_present)" = 3 ] ||
	fail "second replicate: copied $(json_get streams_copied), present $(json_get streams_present), expected 1 and 3"
[ "$B2" -ge $((N4 / 2)) ] && [ "$B2" -le $((N4 * 2 + 65536)) ] ||
	fail "second replicate sent $B2 bytes; the source put of s4 stored $N4 new bytes"
[ "$B2" -lt $((B1 / 2)) ] || fail "second replicate sent $B2 bytes, the first $B1"
check_target T1 "$FILES s4=s4.dat"
note "incremental: s4 stored $N4 new bytes on the source, replicate sent $B2 ($((t1 - t0)) ms)"
t0=$(now_ms)
expect_ok q replicate P T1 --json
t1=$(now_ms)
[ "$(json_get bytes_sent)" = 0 ] && [ "$(json_get streams_copied)" = 0 ] && [ "$(json_get streams_present)" = 4 ] ||
	fail "third replicate (nothing new): sent $(json_get bytes_sent) bytes, copied $(json_get streams_copied), present $(json_get streams_present)"
limit=1000
[ "$QSARC_SANITIZED" = 1 ] && limit=5000
note "replicate with nothing new: $((t1 - t0)) ms (limit $limit ms)"
[ $((t1 - t0)) -lt $limit ] || fail "replicate with nothing new took $((t1 - t0)) ms"
verify_ok T1

# ---- explicit names: only those.
expect_ok q init T5
expect_ok q replicate P T5 raw2 s4 --json
[ "$(json_get streams_copied)" = 2 ] || fail "replicate P T5 raw2 s4 copied $(json_get streams_copied)"
[ "$(names T5)" = "raw2 s4" ] || fail "replicate with names raw2 s4: target lists '$(names T5)'"
check_target T5 "raw2=raw2.dat s4=s4.dat"
expect_exit 3 q replicate P T5 nosuch
[ "$(names T5)" = "raw2 s4" ] || fail "replicate of a missing name changed the target: '$(names T5)'"

# ---- conflicts: same name, other content (other length, then the same
# length), never overwritten; the same content put separately: present.
gen_file 6006 200K other.dat
gen_file 6007 1M same_len.dat
i=0
for f in other.dat same_len.dat; do
	i=$((i + 1))
	expect_ok q init C$i
	expect_ok q put C$i raw2 --input $f
	LAST_RC=0
	"$QSARC" replicate P C$i >"$OUT" 2>"$ERR" || LAST_RC=$?
	crash_check "replicate P C$i"
	[ $LAST_RC -ne 0 ] || fail "replicate onto a target whose raw2 has other content ($f): exit 0"
	err_matches 'other content' || fail "replicate conflict ($f): message does not say 'other content': $(cat "$ERR")"
	note "conflicting name ($f): exit $LAST_RC: $(head -1 "$ERR")"
	check_target C$i "raw2=$f"
done
expect_ok q init C3
expect_ok q put C3 raw2 --input raw2.dat
expect_ok q replicate P C3 --json
[ "$(json_get streams_present)" = 1 ] && [ "$(json_get streams_copied)" = 3 ] ||
	fail "target holding raw2 put separately: present $(json_get streams_present), copied $(json_get streams_copied), expected 1 and 3"
check_target C3 "$FILES s4=s4.dat"

# ---- encrypted -> encrypted, different passphrases (and so keys).
expect_ok q init E1 --encrypt $KDF $P1 --container-size 1M
expect_ok q init E2 --encrypt $KDF $P2 --container-size 1M
for nf in $FILES; do
	expect_ok q put E1 "${nf%%=*}" --input "${nf#*=}" $P1
done
expect_ok q replicate E1 E2 $SP1 $TP2 --json
[ "$(json_get streams_copied)" = 3 ] || fail "encrypted -> encrypted copied $(json_get streams_copied)"
[ "$(json_get plaintext_target)" = False ] || fail "encrypted -> encrypted: plaintext_target is not false"
check_target E2 "$FILES" "$P2"
same_listing E1 E2 tar1 "$P1" "$P2"
expect_exit 5 q ls E2 $P1
[ -z "$(files_with E2 "$MARK")" ] || fail "encrypted -> encrypted: the marker is visible in $(files_with E2 "$MARK")"
verify_ok E2 $P2
# Again: nothing to send.
expect_ok q replicate E1 E2 $SP1 $TP2 --json
[ "$(json_get bytes_sent)" = 0 ] && [ "$(json_get streams_present)" = 3 ] ||
	fail "encrypted -> encrypted again: sent $(json_get bytes_sent), present $(json_get streams_present)"
# A wrong source passphrase: exit 5, nothing written.
e2_before=$(tree_sum E2)
expect_ok q put E1 late --input new4.dat $P1
expect_exit 5 q replicate E1 E2 --source-passphrase-file pw2 $TP2
[ "$(tree_sum E2)" = "$e2_before" ] || fail "replicate with a wrong source passphrase changed the target"

# ---- plain -> encrypted.
expect_ok q init E3 --encrypt $KDF $P2
expect_ok q replicate P E3 $TP2 --json
[ "$(json_get streams_copied)" = 4 ] || fail "plain -> encrypted copied $(json_get streams_copied)"
check_target E3 "$FILES s4=s4.dat" "$P2"
same_listing P E3 tar1 "" "$P2"
[ -z "$(files_with E3 "$MARK")" ] || fail "plain -> encrypted: the marker is visible in $(files_with E3 "$MARK")"
verify_ok E3 $P2
# --passphrase-file and QSARC_PASSPHRASE serve a side without one of its
# own (the help says so); a plain side needs none.
expect_ok q init E4 --encrypt $KDF $P2
LAST_RC=0
"$QSARC" replicate P E4 raw2 $P2 >"$OUT" 2>"$ERR" || LAST_RC=$?
crash_check "replicate P E4 raw2 --passphrase-file"
if [ $LAST_RC -eq 0 ]; then
	check_target E4 "raw2=raw2.dat" "$P2"
else
	fail "replicate PLAIN ENC --passphrase-file F (the help: it 'serves a side that has none of its own'): exit $LAST_RC, '$(head -1 "$ERR")'; expected the plain source to need none and the copy to succeed (the fallback is applied to the plain source side and then refused; the target side ignores it when plain)"
fi
QSARC_PASSPHRASE=$(cat pw2) expect_ok q replicate P E4 mix3
check_target E4 "mix3=mix3.dat" "$P2"

# ---- encrypted -> plain: refused, then allowed loudly.
expect_ok q init T4
t4_before=$(tree_sum T4)
expect_fail 1 'allow-plaintext-target' q replicate E1 T4 $SP1
err_matches 'encrypted' || fail "refusal does not say why (encrypted): $(cat "$ERR")"
[ "$(tree_sum T4)" = "$t4_before" ] || fail "the refused encrypted -> plain replicate changed files of the target"
[ -z "$(find T4 -name '.tmp-*')" ] || fail "the refused replicate left temporary files"
[ -z "$(names T4)" ] || fail "the refused replicate: target lists '$(names T4)'"
expect_ok q replicate E1 T4 $SP1 --allow-plaintext-target
grep -q 'WARNING' "$ERR" || fail "--allow-plaintext-target: no WARNING on stderr"
grep -q 'WARNING' "$OUT" || fail "--allow-plaintext-target: no WARNING in the summary: $(cat "$OUT")"
check_target T4 "$FILES late=new4.dat"
same_listing E1 T4 tar1 "$P1" ""
verify_ok T4
expect_ok q init T6
expect_ok q replicate E1 T6 raw2 $SP1 --allow-plaintext-target --json
[ "$(json_get plaintext_target)" = True ] || fail "--allow-plaintext-target --json: plaintext_target is not true"
grep -q 'WARNING' "$ERR" || fail "--allow-plaintext-target --json: no WARNING on stderr"
check_target T6 "raw2=raw2.dat"
# A passphrase given for a plain side is refused (its config may have been
# swapped for a plain one): the source side does that; the target side?
t6_before=$(tree_sum T6)
expect_exit 5 q replicate T6 E4 --source-passphrase-file pw2 $TP2
LAST_RC=0
"$QSARC" replicate P T6 s4 --target-passphrase-file pw2 >"$OUT" 2>"$ERR" || LAST_RC=$?
crash_check "replicate P T6 --target-passphrase-file"
if [ $LAST_RC -eq 0 ]; then
	note "inconsistent: replicate P T6 --target-passphrase-file F with a plain target T6 succeeds (the option is ignored), while a source passphrase for a plain source is refused (exit 6)"
elif [ "$(tree_sum T6)" != "$t6_before" ]; then
	fail "replicate to a plain target with --target-passphrase-file: exit $LAST_RC but the target changed"
fi
exit 0
