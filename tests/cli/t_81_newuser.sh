# Tried as a new user would: a fresh clone of the repository, then the
# README's first two commands.  To stay affordable (and not recurse into
# itself), "make deps demo" runs as written (deps is a no-op when the
# packages are installed) and "make check" is replaced by "make unit".
# A clone holds what is committed, not the working tree's edits.
. "$CLI_DIR/lib.sh"

REPO=$(cd "$CLI_DIR/../.." && pwd)
[ "$QSARC_SANITIZED" = 1 ] &&
	skip "the clone builds its own binary; run once, in the plain pass"
command -v git >/dev/null 2>&1 || skip "git is not installed"
git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1 ||
	skip "$REPO is not a git checkout"
command -v make >/dev/null 2>&1 || fail "make is not installed"

# The README still starts with those two commands.
"$PY" - "$REPO/README.md" >readme.cmds <<'EOF' || fail "README.md: no first sh block"
import re, sys
m = re.search(r"```sh\n(.*?)```", open(sys.argv[1]).read(), re.S)
if not m:
    sys.exit(1)
for line in m.group(1).split("\n"):
    line = line.split("#")[0].strip()
    if line:
        print(line)
EOF
[ "$(wc -l <readme.cmds)" -eq 2 ] || fail "README.md's first block is not two commands: $(cat readme.cmds)"
head -n 1 readme.cmds | grep -qE '(^|&& *)make deps demo$' ||
	fail "README.md's first command no longer ends in 'make deps demo': $(head -n 1 readme.cmds)"
sed -n 2p readme.cmds | grep -qx 'make check' ||
	fail "README.md's second command is not 'make check': $(sed -n 2p readme.cmds)"

expect_ok git clone -q "$REPO" clone
[ -f clone/Makefile ] || fail "the clone has no Makefile"
[ -e clone/build ] && fail "the clone already holds build/ (committed build output?)"

# A clean environment for the clone's make: nothing inherited from a make
# that runs this test (make check passes BUILD=..., OPT=... down).
cleanmake() {
	(cd clone && exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    -u MAKEOVERRIDES -u BUILD -u OPT -u EXTRA_CFLAGS -u QSARC \
	    make "$@")
}

LAST_RC=0
cleanmake deps demo >demo.log 2>&1 || LAST_RC=$?
[ "$LAST_RC" -eq 0 ] || { tail -n 30 demo.log; fail "make deps demo in a fresh clone: exit $LAST_RC"; }
grep -qE '^restored stream is byte-identical \([0-9]+ bytes\)$' demo.log ||
	{ tail -n 30 demo.log; fail "make demo did not print 'restored stream is byte-identical (N bytes)'"; }
[ -x clone/build/qsarc ] || fail "make demo built no clone/build/qsarc"
expect_ok clone/build/qsarc --version

LAST_RC=0
cleanmake unit >unit.log 2>&1 || LAST_RC=$?
[ "$LAST_RC" -eq 0 ] || { tail -n 30 unit.log; fail "make unit in a fresh clone: exit $LAST_RC"; }
grep -q 'PASSED' unit.log || fail "make unit ran no cmocka test"
grep -qE 'FAILED|ERROR' unit.log && fail "make unit output reports failures"
note "fresh clone: make deps demo and make unit pass ($(grep -c '^== ' unit.log) unit test programs)"
exit 0
