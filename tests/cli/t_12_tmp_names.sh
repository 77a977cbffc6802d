# Issue 14, item 13: temporary names must not be predictable.  qsarc named
# its temporary files ".tmp-BASE-PID-%08lx" with random(), which is never
# seeded: the 16 names it tries are the same in every run for a given PID.
# Someone who can write a shared output directory plants those names for
# the next few hundred PIDs, and `get --output DIR/FILE` then fails with
# "File exists".  The attack, performed: it must not stop the restore.
. "$CLI_DIR/lib.sh"

gen_file 12 200K data.bin
expect_ok q init s
expect_ok q put s a --input data.bin
mkdir shared

# plant DIR BASE VALUES PIDS: create the names ".tmp-BASE-PID-%08x" that
# the first VALUES results of an unseeded random() give, for the next PIDS
# process ids (a fresh python process draws the sequence qsarc got).
plant() {
	"$PY" - "$(cat /proc/sys/kernel/ns_last_pid)" "$@" <<'EOF' ||
import ctypes, os, sys
last, d, base = int(sys.argv[1]), sys.argv[2], sys.argv[3]
nvalues, npids = int(sys.argv[4]), int(sys.argv[5])
libc = ctypes.CDLL(None)
libc.random.restype = ctypes.c_long
seq = [libc.random() for _ in range(nvalues)]
for pid in range(last + 1, last + 1 + npids):
    for r in seq:
        open(os.path.join(d, ".tmp-%s-%d-%08x" % (base, pid, r)), "w").close()
EOF
		fail "planting the names failed"
}

# The 16 names get --output tries, for the next 500 PIDs.
plant shared out.bin 16 500
planted=$(ls -A shared | wc -l)
[ "$planted" -eq 8000 ] || fail "expected 8000 planted names, have $planted"

expect_ok q get s a --output shared/out.bin
cmp -s shared/out.bin data.bin || fail "get --output did not restore the stream"
# Nothing of ours is left behind, and the planted files are untouched.
[ "$(ls -A shared | wc -l)" -eq $((planted + 1)) ] ||
	fail "get --output left files behind: $(ls -A shared | grep -v '^\.tmp-out.bin-[0-9]*-[0-9a-f]\{8\}$' | head)"

# The same for the store's own files: the manifest of a new stream is
# committed through a temporary name in STORE/streams, after the container
# and the index segment have drawn from the same sequence, so plant its
# first 48 values.
plant s/streams b.qsm 48 300
expect_ok q put s b --input data.bin
expect_ok q get s b --output b.out
cmp -s b.out data.bin || fail "stream b does not restore"
exit 0
