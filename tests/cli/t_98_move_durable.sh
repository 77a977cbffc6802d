# A move between streams/ and expired/ (rm, expire, unexpire) is durable
# (issue 18 item 4): after each rename of a manifest from one directory
# to the other, both directories are fsynced before the command goes on
# (strace).  And the state a power cut before that could leave, one
# manifest under its name in both directories, reads as spec/FORMAT.md 2
# says: streams/ wins, the expired/ copy is ignored and the next change
# removes it; two different manifests there are damage.
. "$CLI_DIR/lib.sh"
command -v strace >/dev/null 2>&1 || skip "no strace"
strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here"

gen_file 981 100K a.dat
gen_file 982 80K b.dat
gen_file 983 60K c.dat
expect_ok q init s
expect_ok q put s a --input a.dat
expect_ok q put s b --input b.dat
expect_ok q put s c --input c.dat
S=$PWD/s

# traced WHAT CMD...: run qsarc under strace; then check that every rename
# between $S/streams and $S/expired is followed, before the next rename
# and before the command exits, by an fsync of each directory.
traced() {
	local what=$1
	shift
	rm -f tr
	LAST_RC=0
	# LeakSanitizer cannot run under ptrace: no leak check while traced.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    strace -f -qq -o tr -e trace=rename,renameat,renameat2,fsync,fdatasync,openat \
	    "$QSARC" "$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	[ "$LAST_RC" -eq 0 ] || fail "$what: exit $LAST_RC"
	"$PY" - tr "$S" "$what" <<'EOF' || fail "$what: a directory not fsynced after a move"
import re, sys
path, store, what = sys.argv[1], sys.argv[2], sys.argv[3]
dirs = {store + "/streams", store + "/expired"}
fds = {}          # (pid, fd) -> directory path
moves = 0
want = None       # directories still to fsync after the last move
def check():
    if want:
        sys.exit("%s: after a move, %s not fsynced" % (what, sorted(want)))
for line in open(path):
    m = re.match(r'(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)', line)
    if not m:
        continue
    pid, call, args, ret = m.group(1), m.group(2), m.group(3), int(m.group(4))
    names = re.findall(r'"([^"]*)"', args)
    if call == "openat" and ret >= 0 and "O_DIRECTORY" in args:
        fds[(pid, ret)] = names[0].rstrip("/")
    elif call in ("fsync", "fdatasync") and ret == 0:
        d = fds.get((pid, int(args.split(",")[0])))
        if want is not None and d in want:
            want.discard(d)
    elif call.startswith("rename") and ret == 0 and len(names) == 2:
        src, dst = [n.rsplit("/", 1)[0] for n in names]
        check()
        if src in dirs and dst in dirs and src != dst:
            moves += 1
            want = {src, dst}
        else:
            want = None
check()
if moves == 0:
    sys.exit("%s: no move between streams/ and expired/ traced" % what)
print("NOTE: %s: %d move(s), both directories fsynced after each" % (what, moves))
EOF
}

traced rm rm s a
traced unexpire unexpire s a
traced expire expire s --keep-last 1 --lock-timeout 5
has_stream s a --expired || fail "expire did not expire a"
traced unexpire2 unexpire s a b

# ---- a name in both directories: one manifest under two names (what a
# power cut between the rename and the source directory's fsync leaves).
ln s/streams/a.qsm s/expired/a.qsm || fail "cannot plant the link"
names=$(ls_names s | tr '\n' ' ')
[ "$names" = "a b c " ] || fail "ls with a in both: '$names', expected 'a b c '"
names=$(ls_names s --expired | tr '\n' ' ')
[ -z "$names" ] || fail "ls --expired lists the stale copy: '$names'"
restores s a a.dat
expect_ok q verify s
expect_fail 3 'no expired stream' q unexpire s a
# The next change of the name removes the stale copy, and rm then works.
expect_ok q rm s a
[ -e s/streams/a.qsm ] && fail "rm left a in streams/"
[ -e s/expired/a.qsm ] || fail "rm did not move a to expired/"
has_stream s a --expired || fail "a is not expired after rm"
expect_ok q unexpire s a
restores s a a.dat
expect_ok q verify s

# The same for a pending stream-set entry and the next exclusive command
# (clean): the copy goes, the stream stays live.
ln s/streams/b.qsm s/expired/b.qsm || fail "cannot plant the link"
expect_ok q clean s
[ -e s/expired/b.qsm ] && fail "clean left the stale expired/ copy of b"
restores s b b.dat
expect_ok q verify s

# Two different manifests under one name are damage, not a stale copy.
expect_ok q put s d --input c.dat
cp s/streams/d.qsm d.qsm
expect_ok q rm s d
expect_ok q clean s
expect_ok q put s d --input b.dat
cp d.qsm s/expired/d.qsm
expect_exit 6 q verify s
grep -qE "both live and expired" "$OUT" "$ERR" || fail "verify does not name the stream in both directories"
rm -f s/expired/d.qsm
