# The independent reader (examples/reader/qsarc_read.py, written from
# spec/ alone, no qsarc code) against the C tool, both ways:
#  - stores written by the C tool: plain; encrypted; after two rotations
#    (QSARC_TEST_NOW + rekey); after a mode change (rekey --mode static);
#    a plain store turned encrypted (mixed key 0 and sealed data), then
#    after clean has encrypted the old data and dropped the plain keys;
#    tar catalogues of a real directory and of tests/data/tar-variants
#    files.  The reader restores every stream byte for byte (sha256 of
#    the input), lists the same streams as `qsarc ls --json`, lists the
#    same members as `qsarc ls STORE NAME` (compared as the text both
#    print, bsdtar-style escaping; the JSON of `ls --json` is not valid
#    for names that are not UTF-8, CATALOGUE.md section 6), and its
#    verify (every segment, container, record, manifest and catalogue)
#    passes, as does `qsarc verify --read-data`;
#  - the committed stores spec/vectors/store-plain and store-encrypted:
#    both `qsarc get`/`ls` and the reader restore every stream listed in
#    spec/vectors/stores.md to its sha256 and list the listed members.
# QSARC_STRESS=1 adds a stream of more than 29126 chunks (two refs
# frames).
. "$CLI_DIR/lib.sh"
ROOT=$(cd "$CLI_DIR/../.." && pwd)
READER=$ROOT/examples/reader/qsarc_read.py
VEC=$ROOT/spec/vectors
KDF="--kdf-time 1 --kdf-memory 8M"
DAY=86400
T0=1700000000

"$PY" -c 'import nacl.bindings, zstandard, argon2.low_level' 2>/dev/null ||
	skip "python3-nacl, python3-zstandard or python3-argon2 missing"

printf 'reader test passphrase\n' >pw
PW=$PWD/pw

# rd STORE ARGS...: run the reader (stdout $OUT, stderr $ERR, LAST_RC).
rd() {
	LAST_RC=0
	"$PY" "$READER" "$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	[ "$LAST_RC" -lt 128 ] || fail "reader $*: died with status $LAST_RC"
}

# pass_for STORE: the passphrase option for STORE (empty if plain).
pass_for() {
	if "$PY" -B -c '
import sys
sys.path.insert(0, sys.argv[1])
import qsarc_read
sys.exit(qsarc_read.parse_config(sys.argv[2])["encryption"] is None)' \
	    "$ROOT/examples/reader" "$1/config"; then
		echo "--passphrase-file $PASSFILE"
	fi
}
PASSFILE=$PW

# same_bytes STORE NAME SHA [--expired]: both tools restore NAME to SHA.
same_bytes() {
	local st=$1 name=$2 want=$3 p got rc=0
	shift 3
	p=$(pass_for "$st")
	"$QSARC" get "$st" "$name" "$@" $p >c.dat 2>"$ERR" || rc=$?
	[ $rc -eq 0 ] || fail "qsarc get $st $name $*: exit $rc"
	got=$(sha c.dat)
	[ "$got" = "$want" ] || fail "qsarc get $st $name: sha256 $got, expected $want"
	rc=0
	"$PY" "$READER" "$st" get "$name" "$@" $p >r.dat 2>"$ERR" || rc=$?
	[ $rc -eq 0 ] || fail "reader get $st $name $*: exit $rc"
	got=$(sha r.dat)
	[ "$got" = "$want" ] || fail "reader get $st $name: sha256 $got, expected $want"
	rm -f c.dat r.dat
}

# same_members STORE NAME [--expired]: `qsarc ls STORE NAME` and the
# reader's `members` print the same lines and exit the same way.  Sets
# MEMBERS_RC to that exit status.
same_members() {
	local st=$1 name=$2 p rc1=0 rc2=0
	shift 2
	p=$(pass_for "$st")
	"$QSARC" ls "$st" "$name" "$@" $p >c.mem 2>c.err || rc1=$?
	"$PY" "$READER" "$st" members "$name" "$@" $p >r.mem 2>"$ERR" || rc2=$?
	MEMBERS_RC=$rc1
	if [ $rc1 -ne $rc2 ]; then
		cat c.err >>"$ERR"
		fail "members of $st $name: qsarc ls exits $rc1, the reader $rc2"
	fi
	cmp -s c.mem r.mem || {
		diff c.mem r.mem | head -20 >&2
		fail "members of $st $name: qsarc ls and the reader differ"
	}
}

# same_streams STORE [--expired]: the same stream names in both listings.
same_streams() {
	local st=$1 p
	shift
	p=$(pass_for "$st")
	"$QSARC" ls "$st" --json "$@" $p >c.ls 2>"$ERR" || fail "qsarc ls $st $*: exit $?"
	"$PY" -c '
import json, sys
for s in sorted(x["name"] for x in json.load(open(sys.argv[1]))["streams"]):
    print(s)' c.ls >c.names || fail "ls --json output is not JSON"
	rd "$st" ls "$@" $p
	[ $LAST_RC -eq 0 ] || fail "reader ls $st $*: exit $LAST_RC"
	cut -f1 "$OUT" | sort >r.names
	cmp -s c.names r.names || fail "stream lists of $st $* differ: $(diff c.names r.names | tr '\n' ' ')"
}

# both_verify STORE [NO_BACKUP]: the reader's verify and qsarc verify
# --read-data pass.  With NO_BACKUP, qsarc may report the backup keystore
# missing, and nothing else (the committed store-encrypted has none).
both_verify() {
	local st=$1 p
	p=$(pass_for "$st")
	rd "$st" verify $p
	[ $LAST_RC -eq 0 ] || fail "reader verify $st: exit $LAST_RC: $(head -5 "$OUT")"
	if [ $# -ge 2 ]; then
		expect_exit 6 q verify "$st" --read-data $p
		grep -E '^DAMAGE [a-z]' "$OUT" | grep -v 'backup keystore is missing' >other.dmg
		[ ! -s other.dmg ] || fail "qsarc verify $st: $(head -3 other.dmg)"
		grep -q '^DAMAGE keystore: .*backup keystore is missing' "$OUT" ||
			fail "qsarc verify $st: exit 6 but no damage line"
	else
		expect_ok q verify "$st" --read-data $p
	fi
}

# Inputs: name -> file, in $INPUTS (name file pairs) per store.
# check_all STORE "NAME FILE ..." [EXPIRED_NAME EXPIRED_FILE]: everything.
check_all() {
	local st=$1 list=$2 name file
	set -- $list
	while [ $# -ge 2 ]; do
		name=$1 file=$2
		shift 2
		same_bytes "$st" "$name" "$(sha "$file")"
		same_members "$st" "$name"
	done
	same_streams "$st"
	same_streams "$st" --expired
	both_verify "$st"
}

# ---- inputs
gen_file 9001 3M rand.dat               # several chunks, 1M containers
gen_file 9002 2M zeros.dat 60           # compressible: zstd records
head -c 1500000 rand.dat >rand-head.dat # dedups with rand.dat
cat zeros.dat rand-head.dat >mixed.dat
: >empty.dat
printf 'hello, qsarc\n' >hello.dat
# A tar of a real directory: the source of qsarc itself.
tar -cf real.tar -C "$ROOT" spec format crypto index cmd ||
	fail "cannot tar the source tree"
TV=$DATA_DIR/tar-variants
VARIANTS="test_read_format_gtar_filename_koi8r.tar test_pax_filename_encoding.tar
test_compat_tar_hardlink_1.tar test_compat_gtar_1.tar
test_read_format_gtar_sparse_1_17_posix10.tar
test_read_format_tar_concatenated.tar test_read_format_tar_empty_filename.tar
test_compat_solaris_pax_sparse_1.pax test_read_format_tar_V_negative_size.tar"
VLIST=""
for v in $VARIANTS; do
	[ -f "$TV/$v" ] || fail "missing $TV/$v"
	VLIST="$VLIST $v $TV/$v"
done

# ---- 1. plain store
expect_ok q init plain --container-size 1M
PLAIN_LIST="rand rand.dat zeros zeros.dat mixed mixed.dat empty empty.dat
hello hello.dat hello2 hello.dat real.tar real.tar $VLIST"
set -- $PLAIN_LIST
while [ $# -ge 2 ]; do
	expect_ok q put plain "$1" --input "$2" --allow-empty --allow-truncated
	shift 2
done
expect_ok q put plain gone --input hello.dat
expect_ok q rm plain gone
check_all plain "$PLAIN_LIST"
same_bytes plain gone "$(sha hello.dat)" --expired
same_members plain real.tar
[ $MEMBERS_RC -eq 0 ] || fail "real.tar has no catalogue"
[ "$(wc -l <c.mem)" -gt 50 ] || fail "real.tar lists only $(wc -l <c.mem) members"
same_members plain test_read_format_gtar_filename_koi8r.tar
grep -q '\\3' c.mem || fail "koi8r names are not escaped as octal"
# The reader notices damage: one flipped payload byte in a copy.
cp -r plain plain-bad
ctr=$(ls -S plain-bad/data/*/*.qsc | head -1)
chmod u+w "$ctr"
flip_byte "$ctr" $((64 + 80 + 100))
rd plain-bad verify
[ $LAST_RC -eq 6 ] || fail "reader verify of a damaged container: exit $LAST_RC, expected 6"
grep -q "^DAMAGE: .*$(basename "$ctr")" "$OUT" || fail "reader verify does not name $ctr"
rm -rf plain-bad

# ---- 2. encrypted store, two rotations
P="--passphrase-file $PW"
at_ok $T0 init enc --encrypt $KDF $P --container-size 1M
at_ok $T0 put enc rand --input rand.dat $P
at_ok $T0 put enc real.tar --input real.tar $P
at_ok $T0 put enc koi8r.tar --input "$TV/test_read_format_gtar_filename_koi8r.tar" $P
at_ok $((T0 + 31 * DAY)) rekey enc $P
grep -q '^rotated' "$OUT" || fail "first rekey did not rotate: $(cat "$OUT")"
at_ok $((T0 + 31 * DAY)) put enc mixed --input mixed.dat $P
at_ok $((T0 + 31 * DAY)) put enc hardlink.tar --input "$TV/test_compat_tar_hardlink_1.tar" --allow-truncated $P
at_ok $((T0 + 62 * DAY)) rekey enc $P
grep -q '^rotated' "$OUT" || fail "second rekey did not rotate: $(cat "$OUT")"
at_ok $((T0 + 62 * DAY)) put enc zeros --input zeros.dat $P
at_ok $((T0 + 62 * DAY)) put enc empty --input empty.dat --allow-empty $P
at_ok $((T0 + 62 * DAY)) put enc gone --input hello.dat $P
at_ok $((T0 + 62 * DAY)) rm enc gone $P
ENC_LIST="rand rand.dat real.tar real.tar
koi8r.tar $TV/test_read_format_gtar_filename_koi8r.tar mixed mixed.dat
hardlink.tar $TV/test_compat_tar_hardlink_1.tar zeros zeros.dat
empty empty.dat"
check_all enc "$ENC_LIST"
same_bytes enc gone "$(sha hello.dat)" --expired
# A wrong passphrase: the reader refuses with exit 5, as qsarc does.
printf 'not the passphrase\n' >wrongpw
rd enc get rand --passphrase-file "$PWD/wrongpw"
[ $LAST_RC -eq 5 ] || fail "reader with a wrong passphrase: exit $LAST_RC, expected 5"
# A changed config (chunk max 262144 -> 262145, checksum recomputed) no
# longer matches its MAC: exit 6, as qsarc does.
cp -r enc enc-bad
"$PY" - enc-bad/config <<'EOF' || fail "cannot patch the config"
import hashlib, struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b"\x03\x00\x0c\x00")
struct.pack_into("<I", b, i + 12, struct.unpack_from("<I", b, i + 12)[0] + 1)
b[-32:] = hashlib.blake2b(bytes(b[:-32]), digest_size=32).digest()
open(p, "wb").write(b)
EOF
expect_exit 6 q ls enc-bad $P
rd enc-bad ls $P
[ $LAST_RC -eq 6 ] || fail "reader on a config without a valid MAC: exit $LAST_RC, expected 6"
grep -q 'does not authenticate' "$ERR" || fail "reader: no MAC message"
rm -rf enc-bad

# ---- 3. mode change: every record and manifest re-sealed, old keys gone.
at_ok $((T0 + 63 * DAY)) rekey enc --mode static $P
for pair in "rand rand.dat" "mixed mixed.dat" "zeros zeros.dat" "empty empty.dat" \
    "real.tar real.tar" "hardlink.tar $TV/test_compat_tar_hardlink_1.tar"; do
	set -- $pair
	same_bytes enc "$1" "$(sha "$2")"
done
same_bytes enc gone "$(sha hello.dat)" --expired
same_streams enc
same_streams enc --expired
# Catalogues move to the new key with their manifests (regression: they
# were once left under the retired keys, errata E1).
for name in real.tar koi8r.tar hardlink.tar; do
	same_members enc "$name"
	[ $MEMBERS_RC -eq 0 ] ||
		fail "members of $name after the mode change: exit $MEMBERS_RC: $(cat c.err)"
done
rd enc verify $P
[ $LAST_RC -eq 0 ] || fail "reader verify after the mode change: $(grep '^DAMAGE' "$OUT" | head -3)"
expect_ok q verify enc --read-data $P

# ---- 4. plain store encrypted later: mixed, then clean converts it
expect_ok q init conv --container-size 1M
for pair in "rand rand.dat" "real.tar real.tar" "hello hello.dat"; do
	set -- $pair
	expect_ok q put conv "$1" --input "$2"
done
expect_ok q encrypt conv $KDF $P
expect_ok q put conv mixed --input mixed.dat $P
expect_ok q put conv koi8r.tar --input "$TV/test_read_format_gtar_filename_koi8r.tar" $P
CONV_LIST="rand rand.dat real.tar real.tar hello hello.dat mixed mixed.dat
koi8r.tar $TV/test_read_format_gtar_filename_koi8r.tar"
# plain_keys STORE: "yes" if the config still holds plain keys.
plain_keys() {
	"$PY" -B -c '
import sys
sys.path.insert(0, sys.argv[1])
import qsarc_read
print("yes" if qsarc_read.parse_config(sys.argv[2])["plain_idkey"] else "no")' \
	    "$ROOT/examples/reader" "$1/config"
}
[ "$(plain_keys conv)" = yes ] || fail "encrypt dropped the plain keys"
check_all conv "$CONV_LIST"
expect_ok q clean conv $P
[ "$(plain_keys conv)" = no ] || note "clean left the plain keys in the config"
for f in conv/streams/*.qsm; do
	[ "$(od -An -tu2 -j12 -N2 "$f" | tr -d ' ')" != 0 ] ||
		fail "clean left $f unencrypted"
done
check_all conv "$CONV_LIST"

# ---- 5. the committed stores of spec/vectors, read by both tools
forget_streams_record
cp -r "$VEC/store-plain" "$VEC/store-encrypted" .
PASSFILE=$VEC/store-encrypted.passphrase
"$PY" - "$VEC/stores.md" >stores.list <<'EOF' || fail "cannot parse stores.md"
import re, sys
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"\| (store-\S+) \| (\S+) \| (live|expired) \| (\d+) \| ([0-9a-f]{64}) \|", line)
    if m:
        print(*m.groups())
EOF
[ "$(wc -l <stores.list)" -ge 10 ] || fail "stores.md lists only $(wc -l <stores.list) streams"
"$PY" - "$VEC/stores.md" >members.want <<'EOF' || fail "cannot parse stores.md members"
import sys
t = open(sys.argv[1], encoding="utf-8").read()
sys.stdout.write(t.split("```members files2.tar\n")[1].split("```")[0])
EOF
for st in store-plain store-encrypted; do
	grep "^$st " stores.list | awk '$3 == "live" {print $2}' | sort >want.names
	same_streams "$st"
	cmp -s want.names r.names || fail "$st: streams $(tr '\n' ' ' <r.names), stores.md lists $(tr '\n' ' ' <want.names)"
	while read -r s name state bytes want; do
		[ "$s" = "$st" ] || continue
		if [ "$state" = expired ]; then
			same_bytes "$st" "$name" "$want" --expired
		else
			same_bytes "$st" "$name" "$want"
			same_members "$st" "$name"
		fi
	done <stores.list
	if [ $st = store-encrypted ]; then
		both_verify "$st" no-backup
	else
		both_verify "$st"
	fi
done
same_members store-encrypted files2.tar
cmp -s r.mem members.want || fail "members of files2.tar differ from stores.md"
same_members store-plain files.tar
grep -vx 'tree/docs/added.txt' members.want >members1.want
cmp -s r.mem members1.want || fail "members of files.tar differ from stores.md"

# ---- 6. (stress) a manifest with two refs frames
if [ "$QSARC_STRESS" = 1 ]; then
	expect_ok q init big --avg-chunk 4K
	gen_file 9003 160M big.dat
	expect_ok q put big big --input big.dat
	same_bytes big big "$(sha big.dat)"
	rm -f big.dat
fi

[ $KNOWN_BUGS -eq 0 ] || note "$KNOWN_BUGS known bug(s), see KNOWN BUG lines"
exit 0
