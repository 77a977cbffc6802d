# get --member of a hard link whose target is not chosen (issue 16, item
# 1): the file asked for must come out, in the tar written to stdout and
# with --extract-to.  It used to be a 0-byte hard-link entry that tar x
# cannot make ("Cannot hard link ... No such file"), and --extract-to
# failed with "Hard-link target ... does not exist", exit 1.  The target's
# member is now brought along (--json: "link_targets").
. "$CLI_DIR/lib.sh"

# tree/dir/hardlink.bin and tree/dir/sub/blob.bin are one inode; GNU tar
# stores the first (in name order) as the file, the second as a link to it.
mkdir -p tree/dir/sub tree/other
gen_file 44 300K tree/dir/hardlink.bin
ln tree/dir/hardlink.bin tree/dir/sub/blob.bin
gen_file 45 100K tree/other/big.bin
printf 'three\n' >tree/other/a.txt
ln tree/other/a.txt tree/other/b.txt
ln tree/other/a.txt tree/other/c.txt
want=$(sha tree/dir/hardlink.bin)
tar --sort=name -cf tree.tar tree
# (Not '| grep -q': tar would die of SIGPIPE after the match, and
# pipefail makes that the pipeline's status.)
tar -tvf tree.tar >tree.list
grep -q '^h.*tree/dir/sub/blob.bin link to tree/dir/hardlink.bin' tree.list ||
	fail "tar did not store blob.bin as a hard link (the premise)"

expect_ok q init s
roundtrip s t tree.tar

# ---- The tar on stdout: extractable by tar, the file has its bytes.
expect_ok q get s t --member tree/dir/sub/blob.bin --output one.tar --json
cp "$ERR" one.json
mkdir xt
tar -xf one.tar -C xt 2>tar.err || { cat tar.err >&2; fail "tar x of get --member of a hard link failed"; }
[ "$(sha xt/tree/dir/sub/blob.bin)" = "$want" ] || fail "tar x: blob.bin does not have the file's bytes"
tar -tf one.tar >one.list
[ "$(wc -l <one.list)" -eq 2 ] || fail "expected the link and its target, got: $(cat one.list)"
[ "$(json_get members one.json)" = 1 ] || fail "one member chosen, --json says $(json_get members one.json)"
[ "$(json_get link_targets one.json)" = 1 ] || fail "the link's target is not counted (link_targets $(json_get link_targets one.json))"

# ---- --extract-to: the file, with its bytes, one inode with the target.
mkdir xe
expect_ok q get s t --member tree/dir/sub/blob.bin --extract-to xe
[ "$(sha xe/tree/dir/sub/blob.bin)" = "$want" ] || fail "--extract-to: blob.bin does not have the file's bytes"
[ "$(stat -c %i xe/tree/dir/sub/blob.bin)" = "$(stat -c %i xe/tree/dir/hardlink.bin)" ] ||
	fail "--extract-to: the link and its target are not one inode"

# ---- Target chosen too: nothing extra.
expect_ok q get s t --member tree/dir --output both.tar --json
[ "$(json_get link_targets "$ERR")" = 0 ] || fail "target chosen already, yet link_targets $(json_get link_targets "$ERR")"

# ---- Two links to one target: the target comes once.
mkdir xm
expect_ok q get s t --member tree/other/b.txt --member tree/other/c.txt --extract-to xm --json
[ "$(json_get link_targets "$ERR")" = 1 ] || fail "two links, one target: link_targets $(json_get link_targets "$ERR")"
[ "$(cat xm/tree/other/b.txt)" = three ] && [ "$(cat xm/tree/other/c.txt)" = three ] ||
	fail "two links to one target: not both restored"
[ ! -e xm/tree/other/big.bin ] || fail "a member nobody asked for was extracted"
expect_ok q get s t --member tree/other/b.txt --member tree/other/c.txt --output two.tar
[ "$(tar -tf two.tar | grep -c '^tree/other/a.txt$')" = 1 ] || fail "the shared target is not in the tar exactly once"

# ---- A name archived twice: the link refers to the member before it (as
# tar resolves it), not to the later one of the same name.
"$PY" - <<'EOF' || fail "could not make twice.tar"
import io, tarfile
def add(t, name, data=b"", typ=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname, ti.mode, ti.mtime = typ, link, 0o644, 1700000000
    ti.size = len(data) if typ == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
with tarfile.open("twice.tar", "w", format=tarfile.GNU_FORMAT) as t:
    add(t, "f", b"first\n")
    add(t, "l", typ=tarfile.LNKTYPE, link="f")
    add(t, "f", b"second\n")
EOF
roundtrip s twice twice.tar
mkdir xw
expect_ok q get s twice --member l --extract-to xw
[ "$(cat xw/l)" = first ] || fail "the link got '$(cat xw/l)', not the member it refers to"

# ---- A link whose target is not in the stream at all: reported as a
# refused member (item 2), not a crash.
"$PY" - <<'EOF' || fail "could not make dangling.tar"
import io, tarfile
with tarfile.open("dangling.tar", "w", format=tarfile.GNU_FORMAT) as t:
    ti = tarfile.TarInfo("l")
    ti.type, ti.linkname = tarfile.LNKTYPE, "nowhere"
    t.addfile(ti)
    ti = tarfile.TarInfo("ok.txt")
    ti.size = 3
    t.addfile(ti, io.BytesIO(b"ok\n"))
EOF
roundtrip s dangling dangling.tar
mkdir xd
expect_fail 9 '^qsarc: get: l: refused' q get s dangling --member '**' --extract-to xd
[ "$(cat xd/ok.txt)" = ok ] || fail "dangling: ok.txt was not extracted"
