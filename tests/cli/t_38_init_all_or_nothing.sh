# Issue 16, item 8: init --keystore-backup DIR puts the copy inside DIR,
# named by the store id; and init is all or nothing: after any failure
# nothing is left behind and the same command works when run again.
# Before: "rename: Is a directory", and a half-made store that made the
# retry fail with "directory is not empty".
. "$CLI_DIR/lib.sh"

printf 'a passphrase for t_38\n' >pw
chmod 600 pw
K="--kdf-time 1 --kdf-memory 8M --passphrase-file pw"

# 1. An existing directory: the copy goes inside as STOREID.qsk.
mkdir kb
expect_ok q init s --encrypt --keystore-backup kb $K
n=$(ls kb | wc -l)
[ "$n" -eq 1 ] || fail "kb holds $n files"
f=$(ls kb)
echo "$f" | grep -qE '^[0-9a-f]{32}\.qsk$' || fail "backup copy named '$f'"
expect_ok q keystore s check --passphrase-file pw
grep -q "kb/$f: ok" "$OUT" || fail "keystore check does not use kb/$f: $(cat "$OUT")"
# "DIR/" (not yet existing) means a directory too.
expect_ok q init s2 --encrypt --keystore-backup newdir/ $K
ls newdir/*.qsk >/dev/null 2>&1 || fail "newdir/ got no copy inside"

# 2. A failure half-way (the backup copy cannot be written): nothing left.
expect_fail 3 'mkdir' q init s3 --encrypt --keystore-backup /proc/qsarc-t38/k.qsk $K
[ ! -e s3 ] || fail "a failed init left s3 behind: $(ls -A s3)"
expect_ok q init s3 --encrypt --keystore-backup kb $K
[ "$(ls kb | wc -l)" -eq 2 ] || fail "the retry did not put its copy in kb"
# The same in an existing empty directory: it stays, empty.
mkdir s4
expect_fail 3 'mkdir' q init s4 --encrypt --keystore-backup /proc/qsarc-t38/k.qsk $K
[ -d s4 ] && [ -z "$(ls -A s4)" ] || fail "a failed init left s4 not empty: $(ls -A s4)"
expect_ok q init s4 $K --encrypt --keystore-backup kb

# 3. An existing file as the backup copy (another store's, perhaps) is
# never overwritten.
cp "kb/$f" keep.qsk
expect_fail 1 'exists' q init s5 --encrypt --keystore-backup "kb/$f" $K
cmp -s "kb/$f" keep.qsk || fail "init overwrote an existing backup keystore"
[ ! -e s5 ] || fail "init with an existing backup file left s5"
# The stores made here all work.
for st in s s2 s3 s4; do
	expect_ok q put "$st" x --input pw --passphrase-file pw
done
# encrypt takes a directory the same way.
expect_ok q init p
mkdir kb2
expect_ok q encrypt p --keystore-backup kb2 $K
ls kb2/*.qsk >/dev/null 2>&1 || fail "encrypt --keystore-backup DIR put no copy inside"
expect_ok q keystore p check --passphrase-file pw
