# Issue 14, item 4: what qsarc creates is private to its owner.  Attack:
# a store written by root under the usual umask 022 was world-readable
# (directories 0755, manifests 0644, containers 0444), so any local user
# could copy it and restore its streams; `get --output` wrote 0644.  Run
# here as another user (nobody), with every directory above the store
# opened up, which is how a store under a shared path looks.
. "$CLI_DIR/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to act as another user"; exit 0; }
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 0; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

umask 022
chmod 755 .
mkdir -p src/etc/deep
printf 'root:$6$secret$hash:19000:0:99999:7:::\n' >src/etc/deep/shadow
chmod 600 src/etc/deep/shadow
# The file alone: extracting it makes etc/ and etc/deep/ on the way.
tar cf etc.tar -C src etc/deep/shadow
printf 'a passphrase for t_14\n' >pw
chmod 600 pw
expect_ok q init s
expect_ok q put s etc --input etc.tar
expect_ok q init e --encrypt --kdf-time 1 --kdf-memory 8M --passphrase-file pw
expect_ok q put e etc --input etc.tar --passphrase-file pw
expect_ok q get s etc --output out.tar
mkdir x
expect_ok q get s etc --member etc/deep/shadow --extract-to x

# Nothing qsarc made is open to group or others ...
bad=$(find s e out.tar x/etc -perm /077 -printf '%m %p\n' | head -n 5)
[ -z "$bad" ] || fail "created with group or other access: $bad"
# ... nor a lock, config or alert file written later.
expect_ok q alerts s configure --relay 127.0.0.1:25 --from a@b.c --to d@e.f
bad=$(find s "$QSARC_STATE_DIR/alerts" -perm /077 -printf '%m %p\n' | head -n 5)
[ -z "$bad" ] || fail "after alerts configure: $bad"

# The attack: another local user copies the store and restores from it.
rc=0
as_nobody cp -r s /tmp/stolen.$$ >/dev/null 2>&1 || rc=$?
rm -rf /tmp/stolen.$$
[ $rc -ne 0 ] || fail "user nobody could copy the store"
rc=0
as_nobody "$QSARC" get s etc --output /dev/null >"$OUT" 2>"$ERR" || rc=$?
[ $rc -ne 0 ] || fail "user nobody restored a stream of root's store"
rc=0
as_nobody cat out.tar >/dev/null 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "user nobody could read get --output's file"

# The owner still reads everything.
expect_ok q verify s --read-data
expect_ok q verify e --read-data --passphrase-file pw
cmp -s x/etc/deep/shadow src/etc/deep/shadow || fail "the extracted member differs"
exit 0
