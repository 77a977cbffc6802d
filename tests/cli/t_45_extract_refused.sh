# One bad member must not stop a restore (issue 16, item 2).  A tar with
# ../escaped.txt, then /tmp/ABS, then ok.txt, extracted with --member '**'
# --extract-to D: like GNU tar and bsdtar, the leading '/' is dropped (D/tmp/ABS),
# the '..' member is skipped with a message naming it, the rest is
# extracted, --json counts what was refused, and the command exits 9 at the
# end.  Nothing is written outside D.  It used to stop at the first member
# with nothing written, exit 1.
. "$CLI_DIR/lib.sh"

ABS=qsarc-t45-$$-$RANDOM
rm -f "/tmp/$ABS"
mkdir run
"$PY" - "$ABS" <<'EOF' || fail "could not make bad.tar"
import io, sys, tarfile
def add(t, name, data):
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode, ti.mtime = len(data), 0o644, 1700000000
    t.addfile(ti, io.BytesIO(data))
with tarfile.open("bad.tar", "w", format=tarfile.GNU_FORMAT) as t:
    add(t, "../escaped.txt", b"evil\n")
    add(t, "/tmp/" + sys.argv[1], b"abs\n")
    add(t, "ok.txt", b"ok\n")
EOF
expect_ok q init s
roundtrip s bad bad.tar

cd run
mkdir D
expect_exit 9 q get ../s bad --member '**' --extract-to D --json
err_matches "^qsarc: get: \.\./escaped\.txt: refused, skipped: .*'\.\.'" ||
	fail "the '..' member is not named on stderr"
err_matches "^qsarc: get: removed the leading '/' from 1 member name$" ||
	fail "no note that a leading '/' was removed"
err_matches "^qsarc: get: 1 member refused \(named above\); the other 2 extracted$" ||
	fail "no summary line at the end"
grep '^{' "$ERR" >counts.json || fail "no --json object on stderr"
[ "$(json_get refused counts.json)" = 1 ] || fail "--json refused is $(json_get refused counts.json), expected 1"
[ "$(json_get extracted counts.json)" = 2 ] || fail "--json extracted is $(json_get extracted counts.json), expected 2"
[ "$(json_get stripped counts.json)" = 1 ] || fail "--json stripped is $(json_get stripped counts.json), expected 1"
[ "$(json_get members counts.json)" = 3 ] || fail "--json members is $(json_get members counts.json), expected 3"
[ "$(cat D/ok.txt 2>/dev/null)" = ok ] || fail "ok.txt, after the refused member, was not extracted"
[ "$(cat "D/tmp/$ABS" 2>/dev/null)" = abs ] || fail "/tmp/$ABS did not land in D/tmp/"
[ ! -e escaped.txt ] && [ ! -e ../escaped.txt ] || fail "../escaped.txt was written outside D"
if [ -e "/tmp/$ABS" ]; then
	rm -f "/tmp/$ABS"
	fail "/tmp/$ABS was written outside D"
fi
[ "$(find . -path ./D -prune -o -type f ! -name '.last.*' ! -name counts.json -print)" = "" ] ||
	fail "files appeared outside D: $(find . -path ./D -prune -o -type f -print)"
cd ..

# The code is in the exit-code table of --help (README and man page are
# checked against it by t_84).
expect_ok q --help
grep -q '9 members refused' "$OUT" || fail "qsarc --help does not list exit 9"

# A tar without hostile members still exits 0, and stripping alone is not
# a refusal.
"$PY" - <<'EOF' || fail "could not make abs.tar"
import io, tarfile
with tarfile.open("abs.tar", "w", format=tarfile.GNU_FORMAT) as t:
    ti = tarfile.TarInfo("/abs/only.txt")
    ti.size = 5
    t.addfile(ti, io.BytesIO(b"only\n"))
EOF
roundtrip s abs abs.tar
mkdir E
expect_ok q get s abs --member '**' --extract-to E
[ "$(cat E/abs/only.txt)" = only ] || fail "/abs/only.txt did not land in E/abs/"
[ ! -e /abs/only.txt ] || fail "/abs/only.txt was written outside E"
