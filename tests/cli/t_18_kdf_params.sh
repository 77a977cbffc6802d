# Security (issue 14, item 11): the Argon2 cost in a keystore header is
# read before anything authenticates it.  Before the fix a planted header
# with t=1, m=4 GiB took 24.6 s and 4 GiB of memory and was then reported
# as a wrong passphrase (t=100 would take minutes).  Now the cost is
# capped (t <= 10, m <= 1 GiB, t x m <= 4 GiB-passes; spec/keystore.md 3.1)
# and a header outside the caps is refused before deriving anything: exit
# 6, "KDF parameters out of range", naming the file, in well under a
# second.  init refuses to write such parameters too.
# With an intact backup copy (issue 18 item 7) a command goes on with the
# backup's keys instead, saying the same about the primary.
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
enc_setup 'kdf params passphrase'
chmod 600 pw
gen_file 1801 100K a.dat
at_ok $T0 init s --encrypt $KDF $P
at_ok $T0 put s a --input a.dat $P
cp s/keystore good.ks

# plant T M: rewrite t_cost (offset 16) and m_cost_kib (20) of the primary.
plant() {
	"$PY" - s/keystore "$1" "$2" <<'EOF2' || fail "plant $1 $2"
import struct, sys
d = bytearray(open("good.ks", "rb").read())
struct.pack_into("<II", d, 16, int(sys.argv[2]), int(sys.argv[3]))
open(sys.argv[1], "wb").write(d)
EOF2
}

backup=$(awk '/^backup:/ { print $2 }' <("$QSARC" keystore s check $P 2>/dev/null) | sed 's/:$//')
[ -f "$backup" ] || fail "cannot find the backup keystore"
cp "$backup" good.bk
for tm in "1 4194304" "100 65536" "5 1048576" "11 8192"; do
	set -- $tm
	# The primary only: the intact backup copy is used (issue 18 item 7).
	cp good.bk "$backup"
	plant "$1" "$2"
	t0=$(now_ms)
	at $T0 ls s $P
	dt=$(( $(now_ms) - t0 ))
	[ $LAST_RC -eq 0 ] || fail "header t=$1 m=$2 KiB (primary only): exit $LAST_RC, expected 0 (stderr: $(cat "$ERR"))"
	grep -q "KDF parameters out of range" "$ERR" || fail "header t=$1 m=$2 (primary only): no 'KDF parameters out of range' in: $(cat "$ERR")"
	[ "$dt" -lt 1000 ] || fail "header t=$1 m=$2 (primary only): took $dt ms, expected under a second"
	# Both copies.
	cp s/keystore "$backup"
	t0=$(now_ms)
	at $T0 ls s $P
	dt=$(( $(now_ms) - t0 ))
	[ $LAST_RC -eq 6 ] || fail "header t=$1 m=$2 KiB: exit $LAST_RC, expected 6 (stderr: $(cat "$ERR"))"
	grep -q "KDF parameters out of range" "$ERR" || fail "header t=$1 m=$2: no 'KDF parameters out of range' in: $(cat "$ERR")"
	grep -qF "s/keystore" "$ERR" || fail "header t=$1 m=$2: the file is not named: $(cat "$ERR")"
	grep -qi "wrong passphrase" "$ERR" && fail "header t=$1 m=$2: reported as a wrong passphrase"
	[ "$dt" -lt 1000 ] || fail "header t=$1 m=$2: refused after $dt ms, expected under a second"
done

# The caps themselves still unlock (t x m = 4 GiB-passes is not tried
# here: it is slow by design).  The genuine header works again.
cp good.ks s/keystore
cp good.bk "$backup"
at_ok $T0 get s a --output got.dat $P
cmp -s got.dat a.dat || fail "get after restoring the genuine keystore: bytes differ"

# init refuses what readers would refuse.
expect_exit 2 q init x1 --encrypt --kdf-time 11 --kdf-memory 8M $P
expect_exit 2 q init x2 --encrypt --kdf-time 1 --kdf-memory 2G $P
at $T0 init x3 --encrypt --kdf-time 5 --kdf-memory 1G $P
[ $LAST_RC -ne 0 ] || fail "init with t=5, m=1 GiB (t x m over the cap) succeeded"
grep -q "KDF parameters out of range" "$ERR" || fail "init t=5 m=1G: no 'KDF parameters out of range' in: $(cat "$ERR")"
[ ! -e x3/keystore ] || fail "the refused init left x3/keystore"
