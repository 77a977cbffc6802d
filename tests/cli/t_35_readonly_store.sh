# Issue 18, item 3: restores from read-only media or without write
# permission.  Every read-only command (ls, get whole and --member, stats,
# verify, diff) works on a store mounted read-only and for a user who may
# read but not write it; the commands that change a store say why they
# cannot.  Before: every command failed with "lock: open: Read-only file
# system" or "Permission denied".
. "$CLI_DIR/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (mount, another user)"; exit 0; }
mkdir -p src/etc
echo "one" >src/etc/a.conf
gen_file 5 300K src/etc/b.bin
tar cf t1.tar -C src etc
gen_file 6 2M raw.dat
expect_ok q init s
expect_ok q put s t1 --input t1.tar
expect_ok q put s raw --input raw.dat

reads() {	# reads STORE RUNNER...: the read-only commands, as RUNNER
	store=$1; shift
	expect_ok "$@" "$QSARC" ls "$store"
	grep -q raw "$OUT" || fail "ls $store does not list raw"
	expect_ok "$@" "$QSARC" ls "$store" t1
	grep -q etc/a.conf "$OUT" || fail "ls $store t1 does not list etc/a.conf"
	expect_ok "$@" "$QSARC" get "$store" raw --output "$work/raw.out"
	cmp -s "$work/raw.out" raw.dat || fail "get $store raw: wrong bytes"
	rm -f "$work/raw.out"
	"$@" mkdir -p "$work/x"
	expect_ok "$@" "$QSARC" get "$store" t1 --member etc/b.bin --extract-to "$work/x"
	cmp -s "$work/x/etc/b.bin" src/etc/b.bin || fail "get --member from $store: wrong bytes"
	rm -rf "$work/x"
	expect_ok "$@" "$QSARC" stats "$store"
	expect_ok "$@" "$QSARC" verify "$store" --read-data
	expect_ok "$@" "$QSARC" diff "$store" t1 t1
}
run() { "$@"; }

# 1. A read-only bind mount of the store.
mkdir ro
if ! mount --bind s ro 2>/dev/null || ! mount -o remount,ro,bind ro 2>/dev/null; then
	umount ro 2>/dev/null
	echo "SKIP: cannot make a read-only mount here"; exit 0
fi
trap 'umount "$PWD/ro" 2>/dev/null' EXIT
touch ro/probe 2>/dev/null && fail "the mount is not read-only"
work=$PWD
reads ro run
expect_exit 1 q clean ro
grep -q "read-only here (a read-only file system)" "$ERR" || fail "clean on ro: $(cat "$ERR")"
expect_exit 1 q put ro new --input raw.dat
grep -q "Read-only file system" "$ERR" || fail "put on ro: $(cat "$ERR")"
umount ro
trap - EXIT

# 2. Another user who may read the store but not write it.
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 0; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
chmod -R a+rX s
chmod 755 .
work=$(mktemp -d /tmp/qsarc-t35.XXXXXX)
chown 65534 "$work"
reads s as_nobody
expect_exit 1 as_nobody "$QSARC" clean s
grep -q "read-only here (no write permission)" "$ERR" || fail "clean as nobody: $(cat "$ERR")"
rm -rf "$work"
# The owner still has the store as it was.
expect_ok q verify s --read-data
