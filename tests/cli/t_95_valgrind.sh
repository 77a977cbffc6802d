#!/usr/bin/env bash
# One short CLI scenario under valgrind's memcheck: init, put, get, ls,
# stats, verify and clean on a small plain and a small encrypted store;
# valgrind must report no leak and no error (issue 9).  Skipped in the
# sanitizer build (valgrind and ASan do not mix) and without valgrind.
set -eu
. "$CLI_DIR/lib.sh"

if [ "$QSARC_SANITIZED" = 1 ]; then
	skip "valgrind does not run sanitized binaries"
	exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
	skip "valgrind is not installed"
	exit 0
fi
export QSARC_STATE_DIR=$PWD/state
printf 'valgrind pass\n' >pw
gen_file 3 300000 in.dat
VG="valgrind --quiet --error-exitcode=97 --leak-check=full \
    --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible"
runs=0
vg() {
	runs=$((runs + 1))
	if ! $VG "$QSARC" "$@" >vg.out 2>vg.err; then
		rc=$?
		[ $rc -ne 97 ] || fail "valgrind reports errors or leaks in 'qsarc $*': $(grep -v '^qsarc' vg.err | head -20)"
		fail "qsarc $* under valgrind: exit $rc: $(head -3 vg.err)"
	fi
}
vg init p
vg put p a --input in.dat
tar cf t.tar -C "$CLI_DIR" lib.sh run.sh
vg put p t --input t.tar
vg get p a --output out.dat
cmp -s in.dat out.dat || fail "get under valgrind: bytes differ"
vg ls p
vg ls p t
vg stats p --json
vg verify p --read-data
vg rm p a
vg clean p
vg init e --encrypt --passphrase-file pw --kdf-time 1 --kdf-memory 8M
vg put e a --input in.dat --passphrase-file pw
vg get e a --output out2.dat --passphrase-file pw
cmp -s in.dat out2.dat || fail "encrypted get under valgrind: bytes differ"
vg keys e --passphrase-file pw
note "$runs commands under valgrind memcheck: no error, no leak"
