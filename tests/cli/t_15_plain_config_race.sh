# Issue 14, item 3: "a passphrase was given but the store is plain" is
# decided under the lock.  Attack: someone who can hold the lock file
# swaps in a plain config while a `put --passphrase-file` waits for the
# lock; the put had looked at the config before the lock, found it
# encrypted, and then stored the new stream in plaintext, exit 0.
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state

printf 'a passphrase for t_15\n' >pw
chmod 600 pw
gen_file 15 300K secret.bin
expect_ok q init e --encrypt --kdf-time 1 --kdf-memory 8M --passphrase-file pw
expect_ok q init p
cp e/config encrypted.config

# race CMD...: run CMD (a qsarc command that brings a passphrase) while the
# lock is held; once it waits for the lock, swap in p's plain config, then
# let go.  Its exit code goes to $rc.
race() {
	flock e/lock sleep 30 &
	holder=$!
	for i in $(seq 100); do
		flock -n e/lock true 2>/dev/null || break
		sleep 0.05
	done
	"$QSARC" "$@" --lock-timeout 30 >"$OUT" 2>"$ERR" &
	pid=$!
	# It has looked at the config once it holds the lock file open.
	for i in $(seq 200); do
		ls -l /proc/$pid/fd 2>/dev/null | grep -q "/e/lock" && break
		sleep 0.05
	done
	ls -l /proc/$pid/fd 2>/dev/null | grep -q "/e/lock" ||
		fail "$*: never opened the lock file"
	cp p/config e/config
	kill $holder
	wait $holder 2>/dev/null
	rc=0
	wait $pid || rc=$?
	cp encrypted.config e/config
}

race put e x --input secret.bin --passphrase-file pw
[ $rc -eq 5 ] || fail "put with a passphrase onto a config swapped for a plain one: exit $rc, expected 5: $(cat "$ERR")"
grep -q 'not encrypted; refusing' "$ERR" || fail "put: no word on the refusal: $(cat "$ERR")"
[ ! -e e/streams/x.qsm ] || fail "put stored a stream under the plain config"
# Nothing was written in the clear: every record is sealed (key id != 0).
if [ -n "$(ls -A e/data)" ]; then
	container_scan e >recs
	if awk '$3 == 0 { bad = 1 } END { exit !bad }' recs; then
		fail "a plaintext record (key id 0) was written: $(head -n 3 recs)"
	fi
fi

# The same for a replicate into it, whose target passphrase says encrypted.
expect_ok q put p a --input secret.bin
race replicate p e --target-passphrase-file pw
[ $rc -eq 5 ] || fail "replicate into a config swapped for a plain one: exit $rc, expected 5: $(cat "$ERR")"

# With its own config back, the store is as it was.
expect_ok q put e y --input secret.bin --passphrase-file pw
expect_ok q verify e --read-data --passphrase-file pw
exit 0
