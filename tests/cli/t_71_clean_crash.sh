# clean killed (QSARC_CRASH_AT: _exit(99) at the N-th mutation point, as if
# by SIGKILL):
#  A. at every mutation point of a clean that deletes one container and
#     rewrites two (6 streams of 256 KiB blocks, the oldest 3 expired):
#     after each crash every live stream restores byte-exact and every
#     expired one is either still readable with --expired or gone (never
#     live again); the rerun of clean finishes, everything live restores,
#     and the space is the same as after a clean that was never interrupted
#     (stats stored_bytes and the bytes of every file under data/, within
#     1%: nothing leaked for good); no .tmp- file is left.
#  B. at points spread over the encryption phase of clean on a small store
#     converted with 'encrypt' (every point with QSARC_STRESS=1): every
#     stream restores, the tar catalogue lists as before, the rerun
#     finishes with no plain record left, the same space as an
#     uninterrupted run, and the plain keys gone from the config.
. "$CLI_DIR/lib.sh"

KDF="--kdf-time 1 --kdf-memory 8M"
T0=1700000000
printf 'clean crash pass\n' >pw
P="--passphrase-file $PWD/pw"

# No Python in the loops: it takes a quarter of a second to start here.
# stored STORE [OPTS]: stats stored_bytes.
stored() {
	local st=$1
	shift
	"$QSARC" stats "$st" --json "$@" >"$OUT.st" 2>"$ERR" || fail "stats $st: exit $?"
	grep -o '"stored_bytes": [0-9]*' "$OUT.st" | grep -o '[0-9]*$'
}
# data_bytes STORE: bytes of every file under STORE/data.
data_bytes() {
	find "$1/data" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'
}
get_is() {
	local rc=0
	"$QSARC" get "$1" "$2" ${4:-} >got.dat 2>"$ERR" || rc=$?
	[ $rc -eq 0 ] || fail "$CTX: get $1 $2: exit $rc"
	cmp -s got.dat "$3" || fail "$CTX: get $1 $2 differs from $3"
}

# ======== A. reclaim.
"$PY" - <<'EOF' || fail "data generation"
import random
B = 256 << 10
X = [random.Random(7000 + i).randbytes(B) for i in range(6)]
for i in range(6):
    r = random.Random(7100 + i)
    d = r.randbytes(B) + X[i] + r.randbytes(B)
    for k in (1, 2):
        if i - k >= 0:
            d += X[i - k]
    open("s%d.dat" % i, "wb").write(d)
EOF
expect_ok q init base --container-size 1M --avg-chunk 16K
for i in 0 1 2 3 4 5; do
	QSARC_TEST_NOW=$((T0 + i * 60)) expect_ok q put base s$i --input s$i.dat
done
expect_ok q expire base --keep-last 3
rm -rf c && cp -a base c && forget_streams_record
QSARC_COUNT_FILE=$PWD/count expect_ok q clean c --json
total=$(cat count)
[ "$total" -ge 5 ] 2>/dev/null || fail "clean: '$total' mutation points counted"
[ "$(json_get containers_deleted)" -ge 1 ] && [ "$(json_get containers_rewritten)" -ge 1 ] ||
	fail "the reference clean deleted $(json_get containers_deleted) and rewrote $(json_get containers_rewritten) containers; the walk needs both"
REF=$(stored c)
REFD=$(data_bytes c)
step=1
[ "$QSARC_SANITIZED" = 1 ] && [ "$total" -gt 14 ] && step=$(((total + 13) / 14))
tried=0
gone=0
maxdev=0
n=1
while [ $n -le "$total" ]; do
	CTX="clean crashed at $n of $total"
	rm -rf c && cp -a base c && forget_streams_record
	rc=0
	QSARC_CRASH_AT=$n "$QSARC" clean c >"$OUT" 2>"$ERR" || rc=$?
	[ $rc -eq 99 ] || fail "$CTX: exit $rc, expected 99"
	for i in 3 4 5; do
		get_is c s$i s$i.dat
	done
	# An expired stream: still there (as expired) or gone; never live.
	for i in 0 1 2; do
		[ ! -e c/streams/s$i.qsm ] || fail "$CTX: expired s$i is live again"
		if [ -e c/expired/s$i.qsm ]; then
			get_is c s$i s$i.dat --expired
		else
			gone=$((gone + 1))
		fi
	done
	rc=0
	"$QSARC" clean c >"$OUT" 2>"$ERR" || rc=$?
	LAST_RC=$rc
	crash_check "rerun of clean ($CTX)"
	[ $rc -eq 0 ] || fail "$CTX: the rerun of clean: exit $rc"
	for i in 3 4 5; do
		get_is c s$i s$i.dat
	done
	st=$(stored c)
	db=$(data_bytes c)
	within "$st" "$REF" 1 || fail "$CTX: after the rerun the store holds $st bytes, an uninterrupted clean leaves $REF"
	within "$db" "$REFD" 1 || fail "$CTX: after the rerun data/ holds $db bytes, after an uninterrupted clean $REFD"
	d=$((st > REF ? st - REF : REF - st))
	[ $d -gt $maxdev ] && maxdev=$d
	[ -z "$(find c -name '.tmp-*')" ] || fail "$CTX: .tmp- files left after the rerun: $(find c -name '.tmp-*')"
	tried=$((tried + 1))
	n=$((n + step))
done
if "$QSARC" verify --help >/dev/null 2>&1; then
	expect_ok q verify c
fi
note "clean (reclaim): $tried of $total crash points tried ($gone expired-stream checks found it already removed); stored bytes after the rerun differ from an uninterrupted clean by at most $maxdev bytes (of $REF)"
POINTS=$tried

# ======== B. the encryption phase.
mkdir -p tree
cp s3.dat tree/a.bin
cp s4.dat tree/b.bin
echo member >tree/c.txt
tar cf t.dat tree
expect_ok q init pbase --container-size 1M
expect_ok q put pbase raw --input s5.dat
expect_ok q put pbase t --input t.dat
expect_ok q ls pbase t --long
cp "$OUT" t.ls
rm -rf state.e
QSARC_STATE_DIR=$PWD/state.e expect_ok q encrypt pbase $KDF $P
cp -a state.e state.base
rm -rf c && cp -a pbase c
QSARC_STATE_DIR=$PWD/state.e QSARC_COUNT_FILE=$PWD/count expect_ok q clean c --json $P
total=$(cat count)
[ "$(json_get manifests_rewritten)" = 2 ] || fail "the reference clean converted $(json_get manifests_rewritten) streams, expected 2"
EREF=$(QSARC_STATE_DIR=$PWD/state.e stored c $P)
max=24
[ "$QSARC_SANITIZED" = 1 ] && max=8
[ "$QSARC_STRESS" = 1 ] && max=$total
[ $max -gt "$total" ] && max=$total
tried=0
prev=0
list=""
for k in $(seq 0 $((max - 1))); do
	if [ $max -le 1 ]; then n=1; else n=$((1 + k * (total - 1) / (max - 1))); fi
	[ $n -eq $prev ] && continue
	prev=$n
	CTX="clean (encryption) crashed at $n of $total"
	rm -rf c state.e && cp -a pbase c && cp -a state.base state.e
	export QSARC_STATE_DIR=$PWD/state.e
	rc=0
	QSARC_CRASH_AT=$n "$QSARC" clean c $P >"$OUT" 2>"$ERR" || rc=$?
	[ $rc -eq 99 ] || fail "$CTX: exit $rc, expected 99"
	get_is c raw s5.dat "$P"
	get_is c t t.dat "$P"
	"$QSARC" ls c t --long $P >ls.out 2>"$ERR" || fail "$CTX: ls c t: exit $?"
	cmp -s ls.out t.ls || fail "$CTX: the catalogue of t lists differently"
	rc=0
	"$QSARC" clean c --json $P >"$OUT" 2>"$ERR" || rc=$?
	LAST_RC=$rc
	crash_check "rerun of clean ($CTX)"
	[ $rc -eq 0 ] || fail "$CTX: the rerun of clean: exit $rc"
	get_is c raw s5.dat "$P"
	get_is c t t.dat "$P"
	"$QSARC" ls c t --long $P >ls.out 2>"$ERR" || fail "$CTX: ls c t after the rerun: exit $?"
	cmp -s ls.out t.ls || fail "$CTX: the catalogue of t lists differently after the rerun"
	"$QSARC" keys c --json $P >keys.out 2>"$ERR" || fail "$CTX: keys: exit $?"
	grep -q '"plain_records": 0,' keys.out || fail "$CTX: plain records left after the rerun: $(grep -o '"plain_records": [0-9]*' keys.out)"
	st=$(stored c $P)
	within "$st" "$EREF" 1 || fail "$CTX: after the rerun the store holds $st bytes, an uninterrupted clean leaves $EREF"
	[ -z "$(find c -name '.tmp-*')" ] || fail "$CTX: .tmp- files left after the rerun"
	# The config: no plain keys (two 36-byte fields fewer; the tags are
	# parsed once, after the loop).
	[ "$(file_size c/config)" -lt "$(file_size pbase/config)" ] ||
		fail "$CTX: the config did not shrink (plain keys still there?)"
	expect_ok q keystore c check $P
	tried=$((tried + 1))
	list="$list $n"
done
tags=$(config_tags c/config) ||
	fail "the config of the last rerun does not parse"
case " $tags " in *" 0006 "* | *" 0007 "*)
	fail "the config of the last rerun still holds the plain keys (tags 0x0006/0x0007): $tags" ;;
esac
export QSARC_STATE_DIR=$PWD/state
note "clean (encryption phase): $tried of $total crash points tried:$list"
POINTS=$((POINTS + tried))
note "clean: $POINTS crash points tried in all"
exit 0
