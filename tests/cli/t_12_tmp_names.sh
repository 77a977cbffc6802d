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

# Plant the names an unseeded random() gives, for the next 500 PIDs.
last=$(cat /proc/sys/kernel/ns_last_pid)
"$PY" - "$last" shared out.bin <<'EOF' || fail "planting the names failed"
import ctypes, os, sys
last, d, base = int(sys.argv[1]), sys.argv[2], sys.argv[3]
libc = ctypes.CDLL(None)
libc.random.restype = ctypes.c_long
# A fresh process: random() unseeded, the sequence qsarc gets.
seq = [libc.random() for _ in range(16)]
for pid in range(last + 1, last + 501):
    for r in seq:
        open(os.path.join(d, ".tmp-%s-%d-%08x" % (base, pid, r)), "w").close()
EOF
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
last=$(cat /proc/sys/kernel/ns_last_pid)
"$PY" - "$last" s/streams b.qsm <<'EOF' || fail "planting the names failed"
import ctypes, os, sys
last, d, base = int(sys.argv[1]), sys.argv[2], sys.argv[3]
libc = ctypes.CDLL(None)
libc.random.restype = ctypes.c_long
seq = [libc.random() for _ in range(48)]
for pid in range(last + 1, last + 301):
    for r in seq:
        open(os.path.join(d, ".tmp-%s-%d-%08x" % (base, pid, r)), "w").close()
EOF
expect_ok q put s b --input data.bin
expect_ok q get s b --output b.out
cmp -s b.out data.bin || fail "stream b does not restore"
exit 0
