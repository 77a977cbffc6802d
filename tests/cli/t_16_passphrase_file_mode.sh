# Issue 14, item 14: a passphrase file that group or others can read is
# named in a warning (the store is only as private as that file).  The
# alert auth file was already refused in that case; a passphrase file is
# warned about, not refused, so that a misconfigured nightly job still
# runs.  Not for a pipe: --passphrase-file <(...) says nothing of readers.
. "$CLI_DIR/lib.sh"

printf 'a passphrase for t_16\n' >pw
chmod 600 pw
gen_file 16 100K a.bin
expect_ok q init e --encrypt --kdf-time 1 --kdf-memory 8M --passphrase-file pw
grep -q 'warning' "$ERR" && fail "init with a 0600 passphrase file warned: $(cat "$ERR")"

chmod 644 pw
expect_ok q put e a --input a.bin --passphrase-file pw
grep -q "warning: the passphrase file pw can be read by group or others (mode 0644); chmod 600 it" "$ERR" ||
	fail "put with a 0644 passphrase file: no warning: $(cat "$ERR")"
[ "$(grep -c warning "$ERR")" -eq 1 ] || fail "the warning is not given exactly once: $(cat "$ERR")"
chmod 640 pw
expect_ok q ls e --passphrase-file pw
grep -q "(mode 0640)" "$ERR" || fail "ls with a 0640 passphrase file: no warning: $(cat "$ERR")"

chmod 600 pw
expect_ok q get e a --output out.bin --passphrase-file pw
grep -q 'warning' "$ERR" && fail "get with a 0600 passphrase file warned: $(cat "$ERR")"
cmp -s out.bin a.bin || fail "get restored other bytes"
# A pipe: no warning.
expect_ok q ls e --passphrase-file <(cat pw)
grep -q 'warning' "$ERR" && fail "a pipe as the passphrase file warned: $(cat "$ERR")"
exit 0
