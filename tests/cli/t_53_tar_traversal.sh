# get --member --extract-to DIR with hostile tars (made with Python's
# tarfile, which writes any name): absolute paths, '..', a planted symlink
# followed by a path through it, hard links out of DIR, device nodes.
# Nothing may be created or changed outside DIR.  As with GNU tar and
# bsdtar, a leading '/' is dropped (the member lands inside DIR), and a
# member that would leave DIR is refused with a message naming it while
# the others are extracted, then exit 9 (issue 16, item 2); device nodes
# only with --devices.
. "$CLI_DIR/lib.sh"

TOP=$PWD
mkdir -p target
printf 'original\n' >victim
# Unique names under /tmp that must never appear.
TMPN=qsarc-t53-$$-$RANDOM
rm -f "/tmp/$TMPN"

"$PY" - "$TOP" "$TMPN" <<'EOF' || fail "could not make the crafted tars"
import io, sys, tarfile
top, tmpn = sys.argv[1], sys.argv[2]

def add(t, name, data=b"evil\n", typ=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname, ti.mode, ti.mtime = typ, link, 0o644, 1700000000
    if typ == tarfile.REGTYPE:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    else:
        t.addfile(ti)

def make(path, members, fmt=tarfile.GNU_FORMAT):
    with tarfile.open(path, "w", format=fmt) as t:
        for m in members:
            add(t, *m)

make("abs.tar", [("ok.txt", b"ok\n"), ("/tmp/" + tmpn, b"evil\n"),
                 (top + "/abs-victim", b"evil\n")])
make("dotdot.tar", [("ok.txt", b"ok\n"), ("../escape", b"evil\n"),
                    ("sub/../../escape2", b"evil\n")])
make("symlink.tar", [("link", b"", tarfile.SYMTYPE, top + "/target"),
                     ("link/file", b"evil\n")])
make("symlink-tmp.tar", [("tlink", b"", tarfile.SYMTYPE, "/tmp"),
                         ("tlink/" + tmpn, b"evil\n")])
make("symlink-rel.tar", [("rlink", b"", tarfile.SYMTYPE, "../target"),
                         ("rlink/file", b"evil\n")])
make("hardlink.tar", [("hl", b"", tarfile.LNKTYPE, "../victim"),
                      ("hl", b"pwned\n"),
                      ("hl2", b"", tarfile.LNKTYPE, top + "/victim"),
                      ("hl2", b"pwned\n")])
make("pax-abs.tar", [("/tmp/" + tmpn + "-pax", b"evil\n")], tarfile.PAX_FORMAT)
with tarfile.open("dev.tar", "w", format=tarfile.GNU_FORMAT) as t:
    ti = tarfile.TarInfo("nulldev")
    ti.type, ti.devmajor, ti.devminor, ti.mode = tarfile.CHRTYPE, 1, 3, 0o666
    t.addfile(ti)
    ti = tarfile.TarInfo("blockdev")
    ti.type, ti.devmajor, ti.devminor, ti.mode = tarfile.BLKTYPE, 7, 200, 0o600
    t.addfile(ti)
    add(t, "after.txt", b"after\n")
EOF

expect_ok q init s
for t in abs dotdot symlink symlink-tmp symlink-rel hardlink pax-abs dev; do
	roundtrip s "$t" "$t.tar"
done

# snapshot: everything outside the extraction dirs, with contents.
snapshot() {
	find "$TOP" -path "$TOP/x*" -prune -o -path "$TOP/s" -prune -o \
	    ! -name '.last.*' -print 2>/dev/null | sort | while read -r p; do
		if [ -f "$p" ]; then
			printf '%s %s\n' "$p" "$(sha "$p")"
		else
			printf '%s\n' "$p"
		fi
	done
}
mkdir -p x-snap
snapshot >x-snap/before

# refuse NAME REGEX [WANT]: extracting everything of NAME into a fresh
# xNAME must exit WANT (9: members refused) with stderr matching REGEX, and
# touch nothing outside.
refuse() {
	local name=$1 re=$2 want=${3:-9}
	mkdir "x$name"
	LAST_RC=0
	"$QSARC" get s "$name" --member '**' --extract-to "x$name" >"$OUT" 2>"$ERR" || LAST_RC=$?
	crash_check "get $name --extract-to"
	[ "$LAST_RC" -eq "$want" ] || fail "get s $name --member '**' --extract-to: exit $LAST_RC, expected $want"
	err_matches "$re" || fail "get s $name --extract-to: message does not match /$re/"
	snapshot >x-snap/after
	if ! cmp -s x-snap/before x-snap/after; then
		diff x-snap/before x-snap/after >&2
		fail "get s $name --extract-to changed something outside the extraction directory"
	fi
	[ ! -e "/tmp/$TMPN" ] && [ ! -e "/tmp/$TMPN-pax" ] || {
		rm -f "/tmp/$TMPN" "/tmp/$TMPN-pax"
		fail "get s $name --extract-to created /tmp/$TMPN"
	}
}

refuse abs "removed the leading '/' from 2 member names" 0
[ "$(cat xabs/ok.txt)" = ok ] || fail "abs: ok.txt has the wrong content"
[ "$(cat "xabs/tmp/$TMPN")" = evil ] || fail "abs: /tmp/$TMPN did not land in xabs/tmp/"
[ -f "xabs$TOP/abs-victim" ] || fail "abs: $TOP/abs-victim did not land under xabs/"
refuse pax-abs "removed the leading '/' from 1 member name$" 0
[ -f "xpax-abs/tmp/$TMPN-pax" ] || fail "pax-abs: the member did not land in xpax-abs/tmp/"
refuse dotdot "^qsarc: get: \.\./escape: refused"
err_matches "^qsarc: get: sub/\.\./\.\./escape2: refused" || fail "dotdot: the second '..' member is not named"
err_matches "^qsarc: get: 2 members refused" || fail "dotdot: no summary line"
[ "$(cat xdotdot/ok.txt)" = ok ] || fail "dotdot: ok.txt, before the refused members, was not extracted"
[ ! -e escape ] && [ ! -e "$TOP/../escape" ] || fail "dotdot: escape was created"
refuse symlink 'symlink'
[ -z "$(ls -A target)" ] || fail "symlink: something was written into target/ through the planted link"
refuse symlink-tmp 'symlink'
refuse symlink-rel 'symlink|\.\.'
refuse hardlink "\.\.|absolute|hard ?link"
[ "$(cat victim)" = original ] || fail "hardlink: victim was changed"

# The tar written by get --member (no --extract-to) is the stored bytes:
# the hostile names are in it, for the reader's tar to judge.
expect_ok q get s abs --member "/tmp/$TMPN" --output xabs1.tar
tar -tf xabs1.tar 2>/dev/null | grep "$TMPN" >/dev/null || fail "get --member of an absolute name: the member is not in the output"

# Device nodes: skipped without --devices (and what follows still
# extracts), created with --devices when we may (root).
mkdir xdev
expect_ok q get s dev --member '**' --extract-to xdev
[ ! -e xdev/nulldev ] && [ ! -e xdev/blockdev ] || fail "a device node was created without --devices"
[ "$(cat xdev/after.txt 2>/dev/null)" = after ] || fail "dev: the regular file after the device nodes was not extracted"
if [ "$(id -u)" = 0 ]; then
	mkdir xdev2
	rc=0
	"$QSARC" get s dev --member '**' --extract-to xdev2 --devices >"$OUT" 2>"$ERR" || rc=$?
	LAST_RC=$rc; crash_check "get --devices"
	if [ $rc -eq 0 ]; then
		[ -c xdev2/nulldev ] || fail "--devices: nulldev is not a character device"
	else
		note "--devices as root: exit $rc ($(head -n 1 "$ERR")); device nodes may be forbidden in this container"
	fi
else
	note "not root: device creation with --devices not tried"
fi

snapshot >x-snap/after
cmp -s x-snap/before x-snap/after || fail "something outside the extraction directories changed"
