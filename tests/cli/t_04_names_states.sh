# Stream names and the live / expired states (put, ls, rm, unexpire, get).
. "$CLI_DIR/lib.sh"

expect_ok q init s
gen_file 31 300K a.dat
gen_file 32 200K b.dat
roundtrip s alpha a.dat

long200=$(printf 'n%.0s' $(seq 200))
long201=$(printf 'n%.0s' $(seq 201))

# Invalid names: refused (exit 1 or 2) with a message about the name, by
# every command that takes a name, and nothing is created.
check_bad_name() {
	local n=$1 sub rc
	for sub in put get rm unexpire; do
		rc=0
		if [ $sub = put ]; then
			"$QSARC" put s -- "$n" <a.dat >"$OUT" 2>"$ERR" || rc=$?
		else
			"$QSARC" $sub s -- "$n" >"$OUT" 2>"$ERR" || rc=$?
		fi
		LAST_RC=$rc
		crash_check "$sub '$n'"
		[ $rc -eq 1 ] || [ $rc -eq 2 ] ||
			fail "$sub with invalid name '$n': exit $rc, expected 1 or 2"
		grep -qi 'name' "$ERR" ||
			fail "$sub with invalid name '$n': message does not mention the name"
	done
}
for bad in 'a/b' '.x' '-x' '' 'a b' "$long201" '..' '.' 'a*b' \
    "$(printf 'a\tb')" "$(printf 'caf\303\251')" 'a\b' '/abs' '../up'; do
	check_bad_name "$bad"
done
# A message that names the rule for a few of them.
expect_exit 2 q put s -- a/b <a.dat
err_matches "'/'" || fail "'a/b': message does not say '/' is not allowed"
expect_exit 2 q put s "$long201" <a.dat
err_matches '20[01]' || fail "201-char name: message does not give the limit"
expect_exit 2 q put s '' <a.dat
err_matches 'empty' || fail "empty name: message does not say empty"
[ "$(ls_names s)" = alpha ] || fail "invalid names changed the stream list: $(ls_names s)"
[ -z "$(ls -A s/streams | grep -v '^alpha\.qsm$')" ] ||
	fail "invalid names left files in streams/: $(ls -A s/streams)"

# Valid unusual names.
for good in "$long200" 'a_b' 'A.b-c+d@e:f=g,h~i' '0' 'x.qsm' 'x-' 'x.' ; do
	roundtrip s "$good" b.dat
	has_stream s "$good" || fail "'$good' not listed by ls"
done

# An existing name is refused, and the original is intact.
expect_exit 1 q put s alpha --input b.dat
err_matches 'alpha' || fail "put of an existing name: message does not name it"
grep -qiE 'exist|taken|already' "$ERR" ||
	fail "put of an existing name: message does not say it exists"
restores s alpha a.dat
# Also when the stream comes on stdin.
"$QSARC" put s alpha <b.dat >"$OUT" 2>"$ERR" && fail "put of an existing name from stdin succeeded"
restores s alpha a.dat

# The name is checked before the stream is read: an endless stdin is not
# consumed.
rc=0
yes | timeout 20 "$QSARC" put s alpha >"$OUT" 2>"$ERR" || rc=${PIPESTATUS[1]}
[ $rc -ne 124 ] || fail "put of an existing name read its endless stdin"
[ $rc -ne 0 ] || fail "put of an existing name succeeded"
restores s alpha a.dat

# rm: gone from ls, listed by ls --expired, get says not found (3),
# get --expired still works.
roundtrip s beta b.dat
expect_ok q rm s alpha
has_stream s alpha && fail "rm: alpha still listed by ls"
has_stream s alpha --expired || fail "rm: alpha not listed by ls --expired"
has_stream s beta --expired && fail "ls --expired lists the live stream beta"
expect_fail 3 'alpha' q get s alpha
[ ! -s "$OUT" ] || fail "get of an expired stream wrote bytes"
expect_ok q get s alpha --expired
cmp -s "$OUT" a.dat || fail "get --expired differs"
expect_ok q get s alpha --expired --output alpha.out
cmp -s alpha.out a.dat || fail "get --expired --output differs"
# The plain listing agrees.
expect_ok q ls s
grep -q '^alpha ' "$OUT" && fail "plain ls lists the expired alpha"
grep -q '^beta ' "$OUT" || fail "plain ls does not list beta"
expect_ok q ls s --expired
grep -q '^alpha ' "$OUT" || fail "plain ls --expired does not list alpha"

# rm again, rm of a missing name: not found.
expect_fail 3 'alpha' q rm s alpha
expect_fail 3 'nosuch' q rm s nosuch
expect_fail 3 'nosuch' q unexpire s nosuch
expect_fail 3 'beta' q unexpire s beta
expect_fail 3 'nosuch' q get s nosuch
expect_exit 3 q get s nosuch --expired
expect_exit 3 q get s beta --expired

# stats counts live streams only.
"$QSARC" stats s --json >st.json 2>"$ERR" || fail "stats"
live=$(ls_names s | wc -l)
[ "$(json_get streams st.json)" = "$live" ] ||
	fail "stats streams $(json_get streams st.json), ls shows $live"

# unexpire brings it back.
expect_ok q unexpire s alpha
has_stream s alpha || fail "unexpire: alpha not listed"
has_stream s alpha --expired && fail "unexpire: alpha still listed as expired"
restores s alpha a.dat

# Several names at once.
expect_ok q rm s alpha beta
has_stream s alpha || has_stream s beta && fail "rm of two names left one live"
expect_ok q unexpire s alpha beta
restores s alpha a.dat
restores s beta b.dat

# A missing name among good ones: exit 3 naming it; every stream is still
# in exactly one state and restorable.
rc=0
"$QSARC" rm s alpha nosuch >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "rm alpha nosuch"
[ $rc -eq 3 ] || fail "rm alpha nosuch: exit $rc, expected 3"
err_matches nosuch || fail "rm alpha nosuch: message does not name nosuch"
if has_stream s alpha; then
	has_stream s alpha --expired && fail "alpha both live and expired"
	restores s alpha a.dat
else
	has_stream s alpha --expired || fail "alpha vanished"
	expect_ok q unexpire s alpha
fi

# The same name twice in one rm: either both mentions count as one (exit
# 0) or the command is refused as a whole (nothing expired).
rc=0
"$QSARC" rm s alpha alpha >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "rm alpha alpha"
if [ $rc -ne 0 ] && has_stream s alpha --expired; then
	known_bug "'qsarc rm S NAME NAME' (same name twice) exits $rc (\"$(head -n1 "$ERR")\") yet expires NAME: a failure exit with a partial effect"
fi
has_stream s alpha --expired && expect_ok q unexpire s alpha
restores s alpha a.dat

# A new stream under the name of an expired one: either refused, or
# allowed, and then unexpire must refuse without losing either stream.
expect_ok q rm s beta
rc=0
"$QSARC" put s beta --input a.dat >"$OUT" 2>"$ERR" || rc=$?
if [ $rc -eq 0 ]; then
	restores s beta a.dat
	rc=0
	"$QSARC" unexpire s beta >"$OUT" 2>"$ERR" || rc=$?
	LAST_RC=$rc; crash_check "unexpire beta over a live beta"
	[ $rc -ne 0 ] || fail "unexpire replaced the live stream beta"
	err_matches beta || fail "unexpire conflict: message does not name beta"
	restores s beta a.dat
	expect_ok q get s beta --expired
	cmp -s "$OUT" b.dat || fail "unexpire conflict damaged the expired beta"
else
	LAST_RC=$rc; crash_check "put beta over an expired beta"
	note "put under the name of an expired stream is refused (exit $rc)"
	expect_ok q get s beta --expired
	cmp -s "$OUT" b.dat || fail "expired beta damaged"
fi

# ls --json is valid JSON with the documented fields.
expect_ok q ls s --json
"$PY" - "$OUT" <<'EOF' || fail "ls --json lacks documented fields"
import json, sys
for s in json.load(open(sys.argv[1]))["streams"]:
    for k in ("name", "created", "length", "chunks", "new_bytes", "new_stored_bytes"):
        assert k in s, k
EOF
expect_ok q ls s --json --expired
"$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT" ||
	fail "ls --json --expired is not JSON"
