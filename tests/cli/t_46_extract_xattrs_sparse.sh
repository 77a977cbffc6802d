# get --extract-to restores what a tar written with --xattrs --acls
# --sparse holds: user.* xattrs, POSIX ACLs, holes (issue 16, item 3);
# --sparse also makes holes of runs of zeros in a tar written without
# tar --sparse.  The nightly backup example and the README's backup line
# use those tar flags and pipefail, and 'make deps' installs attr and acl
# (setfattr/getfattr, setfacl/getfacl), which this test uses.
. "$CLI_DIR/lib.sh"

REPO=$(cd "$CLI_DIR/../.." && pwd)

# ---- The examples and the README (these fail on the old tree).
ex=$REPO/examples/nightly-backup.sh
grep -q -- "--xattrs --xattrs-include='\*' --acls --sparse" "$ex" ||
	fail "examples/nightly-backup.sh: tar without --xattrs --xattrs-include='*' --acls --sparse"
grep -q '^set -[a-z]*o pipefail' "$ex" || fail "examples/nightly-backup.sh: no set -o pipefail"
"$PY" - "$REPO/README.md" <<'EOF' || fail "README.md: the first backup line drops xattrs/ACLs/holes or has no pipefail"
import re, sys
text = open(sys.argv[1]).read()
block = re.search(r"```sh\n(.*?)```", text.split("qsarc stores streams", 1)[1], re.S).group(1)
need = "--xattrs --xattrs-include='*' --acls --sparse"
put = [l for l in block.split("\n") if l.lstrip().startswith("tar ") and need in l]
sys.exit(0 if put and "set -o pipefail" in block else 1)
EOF
grep -Eq 'groff-base attr acl|[ \t]attr acl[ \t]' "$REPO/Makefile" || fail "make deps does not install attr and acl"
for t in setfattr getfattr setfacl getfacl; do
	command -v $t >/dev/null 2>&1 || fail "$t is missing (make deps installs attr and acl)"
done

# ---- --sparse is an --extract-to option.
expect_fail 2 '^qsarc: get: .*--sparse goes with --extract-to' q get s t --member . --sparse --output x.tar

# ---- A tree with an xattr, an ACL, a sparse file.
mkdir -p tree
printf 'tagged\n' >tree/tagged.txt
printf 'shared\n' >tree/acl.txt
truncate -s 32M tree/sparse.img
printf 'middle' | dd of=tree/sparse.img bs=1 seek=$((16 << 20)) conv=notrunc 2>/dev/null
printf 'end' | dd of=tree/sparse.img bs=1 seek=$((32 << 20)) conv=notrunc 2>/dev/null
have_xattr=1
setfattr -n user.qsarc -v hello tree/tagged.txt 2>/dev/null || have_xattr=0
have_acl=1
setfacl -m u:nobody:r tree/acl.txt 2>/dev/null || have_acl=0
[ $have_xattr = 1 ] || note "this file system takes no user.* xattrs: not checked"
[ $have_acl = 1 ] || note "this file system takes no ACLs: not checked"
blocks=$(stat -c %b tree/sparse.img)
[ "$blocks" -lt 1024 ] || skip "this file system does not keep holes (sparse.img has $blocks blocks)"
want=$(sha tree/sparse.img)

tar --xattrs --xattrs-include='*' --acls --sparse -cf full.tar tree
tar -cf dense.tar tree
expect_ok q init s
roundtrip s full full.tar
roundtrip s dense dense.tar

# From the tar with --xattrs --acls --sparse: all of it.
mkdir x1
expect_ok q get s full --member . --extract-to x1
[ "$(sha x1/tree/sparse.img)" = "$want" ] || fail "sparse.img differs after --extract-to"
b=$(stat -c %b x1/tree/sparse.img)
[ "$b" -lt 1024 ] || fail "sparse.img from a sparse tar came back dense ($b blocks of 512)"
if [ $have_xattr = 1 ]; then
	[ "$(getfattr --only-values -n user.qsarc x1/tree/tagged.txt 2>/dev/null)" = hello ] ||
		fail "the user.qsarc xattr was not restored"
fi
if [ $have_acl = 1 ]; then
	getfacl -cp x1/tree/acl.txt 2>/dev/null | grep -q '^user:nobody:r--' ||
		fail "the ACL entry user:nobody:r was not restored"
fi

# From a dense tar: dense by default (as tar x), holes with --sparse.
mkdir x2 x3
expect_ok q get s dense --member tree/sparse.img --extract-to x2
b2=$(stat -c %b x2/tree/sparse.img)
[ "$b2" -ge $((32 << 11)) ] || fail "without --sparse a dense member came back with holes ($b2 blocks)"
expect_ok q get s dense --member tree/sparse.img --extract-to x3 --sparse
[ "$(sha x3/tree/sparse.img)" = "$want" ] || fail "--sparse: sparse.img differs"
b3=$(stat -c %b x3/tree/sparse.img)
[ "$b3" -lt 1024 ] || fail "--sparse: sparse.img came back dense ($b3 blocks of 512)"
note "32 MiB file with 2 data bytes: $blocks blocks on disk; from the dense tar $b2, with --sparse $b3"
