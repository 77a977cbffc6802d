# replicate killed (QSARC_CRASH_AT: _exit(99) at the N-th mutation point,
# as if by SIGKILL) at points spread evenly over a small replicate (first
# and last included; all with QSARC_STRESS=1), plain -> plain and
# encrypted -> encrypted: after each crash the target stays consistent
# (every stream it lists restores byte-exact, none is listed expired, the
# pre-existing stream is intact, verify finds no damage), and a rerun
# completes: every source stream then restores from the target and its tar
# catalogue lists the same as on the source.
. "$CLI_DIR/lib.sh"

KDF="--kdf-time 1 --kdf-memory 8M"
printf 'crash source pass\n' >pw1
printf 'crash target pass\n' >pw2
P1="--passphrase-file $PWD/pw1"
P2="--passphrase-file $PWD/pw2"

HAVE_VERIFY=0
"$QSARC" verify --help >/dev/null 2>&1 && HAVE_VERIFY=1
[ $HAVE_VERIFY = 1 ] || note "no 'qsarc verify': targets are only checked by restoring"

mkdir -p tree
gen_file 6101 900K tree/a.bin
gen_file 6102 200K tree/b.bin
echo note >tree/c.txt
tar cf tar1.dat tree
gen_file 6103 700K raw2.dat
cat tree/a.bin raw2.dat >mix3.dat
gen_file 6104 300K z.dat
# name=file of the source streams.
FILES="tar1=tar1.dat raw2=raw2.dat mix3=mix3.dat"

# names_of STORE [OPTS...]: stream names, one a line (no Python: it takes
# a quarter of a second to start on a loaded machine).
names_of() {
	local st=$1
	shift
	"$QSARC" ls "$st" --json "$@" >"$OUT.ls" 2>"$ERR" || fail "ls $st $*: exit $?"
	grep -o '"name": "[^"]*"' "$OUT.ls" | cut -d'"' -f4
}

# check_consistent DST OPTS CTX [ALL]: every stream DST lists restores, none
# is expired, z is there; with ALL, all source streams must be listed.
check_consistent() {
	local dst=$1 opts=$2 ctx=$3 all=${4:-} n f list
	list=$(names_of "$dst" $opts) || exit 1
	[ -z "$(names_of "$dst" --expired $opts)" ] || fail "$ctx: expired streams on the target"
	printf '%s\n' "$list" | grep -qx z || fail "$ctx: the target's own stream z is gone"
	if [ -n "$all" ]; then
		[ "$(printf '%s\n' "$list" | sort | tr '\n' ' ')" = "$ALLNAMES" ] ||
			fail "$ctx: target lists '$list', expected $ALLNAMES"
	fi
	for n in $list; do
		case $n in
		z) f=z.dat ;;
		tar1 | raw2 | mix3) f=$n.dat ;;
		*) fail "$ctx: unexpected stream '$n' on the target" ;;
		esac
		"$QSARC" get "$dst" "$n" $opts >got.dat 2>"$ERR" || fail "$ctx: get $n: exit $?"
		cmp -s got.dat "$f" || fail "$ctx: $n on the target differs from $f"
	done
	if [ $HAVE_VERIFY = 1 ] && [ -z "$all" ]; then
		"$QSARC" verify "$dst" $opts >"$OUT" 2>"$ERR" || fail "$ctx: verify: exit $?: $(grep -m3 DAMAGE "$OUT")"
	fi
	LIST=$list
}

# walk KIND SRC BASE SOPTS DOPTS ROPTS MAX: count the points of replicating
# SRC onto a copy of BASE, then crash at MAX of them spread evenly (first
# and last included; all with QSARC_STRESS=1).
walk() {
	local kind=$1 src=$2 base=$3 sopts=$4 dopts=$5 ropts=$6 max=$7
	local total n k rc tried=0 partial=0 prev=0
	rm -rf d && cp -a "$base" d && forget_streams_record
	LAST_RC=0
	QSARC_COUNT_FILE=$PWD/count "$QSARC" replicate "$src" d $ropts >"$OUT" 2>"$ERR" || LAST_RC=$?
	[ $LAST_RC -eq 0 ] || fail "$kind: uncrashed replicate: exit $LAST_RC"
	total=$(cat count)
	[ "$total" -ge 5 ] 2>/dev/null || fail "$kind: only '$total' mutation points counted"
	[ "$QSARC_STRESS" = 1 ] && max=$total
	[ "$max" -gt "$total" ] && max=$total
	"$QSARC" ls "$src" tar1 $sopts >ls.src 2>"$ERR" || fail "ls $src tar1: exit $?"
	tried_list=""
	for k in $(seq 0 $((max - 1))); do
		if [ "$max" -le 1 ]; then n=1; else n=$((1 + k * (total - 1) / (max - 1))); fi
		[ $n -eq $prev ] && continue
		prev=$n
		rm -rf d && cp -a "$base" d && forget_streams_record
		rc=0
		QSARC_CRASH_AT=$n "$QSARC" replicate "$src" d $ropts >"$OUT" 2>"$ERR" || rc=$?
		[ $rc -eq 99 ] || fail "$kind: QSARC_CRASH_AT=$n of $total: exit $rc, expected 99"
		check_consistent d "$dopts" "$kind crashed at $n of $total"
		[ "$(printf '%s\n' "$LIST" | wc -l)" -lt 4 ] && partial=$((partial + 1))
		# The rerun completes the job.
		rc=0
		"$QSARC" replicate "$src" d $ropts >"$OUT" 2>"$ERR" || rc=$?
		LAST_RC=$rc
		crash_check "rerun of replicate after a crash at $n"
		[ $rc -eq 0 ] || fail "$kind: rerun after a crash at $n: exit $rc"
		check_consistent d "$dopts" "$kind crashed at $n of $total, after the rerun" all
		"$QSARC" ls d tar1 $dopts >ls.dst 2>"$ERR" || fail "$kind crashed at $n: ls d tar1 after the rerun: exit $?"
		cmp -s ls.src ls.dst || fail "$kind crashed at $n: the catalogue of tar1 differs after the rerun"
		tried=$((tried + 1))
		tried_list="$tried_list $n"
	done
	[ $partial -ge 1 ] || fail "$kind: no crash point left the job unfinished?"
	note "$kind: $tried of $total crash points tried ($partial left the replicate unfinished):$tried_list"
	POINTS=$((POINTS + tried))
}
ALLNAMES="mix3 raw2 tar1 z "
POINTS=0

# ---- plain -> plain: the target already holds its own stream z.
expect_ok q init S --container-size 1M
for nf in $FILES; do
	expect_ok q put S "${nf%%=*}" --input "${nf#*=}"
done
expect_ok q init base --container-size 1M
expect_ok q put base z --input z.dat
MAXP=24
MAXE=8
[ "$QSARC_SANITIZED" = 1 ] && MAXP=8 && MAXE=4
walk "plain -> plain" S base "" "" "" $MAXP

# ---- encrypted -> encrypted, different passphrases.
expect_ok q init ES --encrypt $KDF $P1 --container-size 1M
for nf in $FILES; do
	expect_ok q put ES "${nf%%=*}" --input "${nf#*=}" $P1
done
expect_ok q init ebase --encrypt $KDF $P2 --container-size 1M
expect_ok q put ebase z --input z.dat $P2
walk "encrypted -> encrypted" ES ebase "$P1" "$P2" "--source-passphrase-file $PWD/pw1 --target-passphrase-file $PWD/pw2" $MAXE
note "replicate: $POINTS crash points tried in all"
exit 0
