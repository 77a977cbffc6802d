# Issue 16, item 6: backups that cannot fail silently.  An empty input and
# a tar stream with no member (tar of a path that does not exist) were
# stored with exit 0; now they are refused (exit 1, nothing stored) unless
# --allow-empty.
. "$CLI_DIR/lib.sh"

expect_ok q init s
expect_exit 1 q put s empty </dev/null
grep -q "the input is empty (0 bytes)" "$ERR" || fail "empty input: $(cat "$ERR")"
tar cf - /nonexistent/path 2>/dev/null >notar.tar || true
[ -s notar.tar ] || fail "tar wrote nothing at all"
expect_exit 1 q put s failed --input notar.tar
grep -q "the tar stream holds no member" "$ERR" || fail "no member: $(cat "$ERR")"
# Nothing was stored under either name.
[ -z "$(ls_names s)" ] || fail "a refused stream was stored: $(ls_names s)"
[ -z "$(ls_names s --expired)" ] || fail "a refused stream left an expired entry"
expect_ok q verify s

# --allow-empty stores both, and they restore.
expect_ok q put s empty --allow-empty </dev/null
expect_ok q put s failed --input notar.tar --allow-empty
restores s failed notar.tar
"$QSARC" get s empty | cmp -s - /dev/null || fail "the empty stream does not restore empty"
# A non-tar stream of one byte and a tar with one member are not "empty".
printf x >one
expect_ok q put s one --input one
mkdir -p d && echo hi >d/f && tar cf one.tar d/f
expect_ok q put s onetar --input one.tar
