# The fault-injection and clock hooks (QSARC_CRASH_AT, QSARC_ENOSPC_AT,
# QSARC_COUNT_FILE, QSARC_TEST_NOW) are live only in the test build
# ($QSARC, build/qsarc-test) and ignored by the release binary
# ($QSARC_RELEASE, build/qsarc: what make install installs).  Issue 14,
# item 14: an installed binary must not let the environment crash it, fail
# its writes or move its clock.
. "$CLI_DIR/lib.sh"

[ -n "${QSARC_RELEASE:-}" ] && [ -x "$QSARC_RELEASE" ] ||
	fail "QSARC_RELEASE must name the release binary (got '${QSARC_RELEASE:-}')"
[ "$QSARC_RELEASE" != "$QSARC" ] || fail "QSARC_RELEASE is the binary under test"

gen_file 10 300K a.dat

# The test build honours the hooks (so the check below can tell).
expect_ok q init t
expect_exit 99 env QSARC_CRASH_AT=1 "$QSARC" put t a --input a.dat
expect_ok q --version
grep -q '^test build:' "$OUT" || fail "qsarc-test --version does not say it is a test build"

# The release binary: QSARC_CRASH_AT does not crash it ...
expect_ok "$QSARC_RELEASE" init r
expect_ok env QSARC_CRASH_AT=1 "$QSARC_RELEASE" put r a --input a.dat
expect_ok "$QSARC_RELEASE" get r a --output a.out
cmp -s a.dat a.out || fail "release put under QSARC_CRASH_AT=1 did not store the stream"
# ... QSARC_ENOSPC_AT does not fail its writes, QSARC_COUNT_FILE is not written ...
expect_ok env QSARC_ENOSPC_AT=1 QSARC_COUNT_FILE=$PWD/count "$QSARC_RELEASE" \
    put r b --input a.dat
[ ! -e count ] || fail "the release binary wrote QSARC_COUNT_FILE"
# ... QSARC_POWERLOSS_LOG is not written (the test build writes it) ...
expect_ok env QSARC_POWERLOSS_LOG=$PWD/plog "$QSARC_RELEASE" put r d --input a.dat
[ ! -e plog ] || fail "the release binary wrote QSARC_POWERLOSS_LOG"
expect_ok "$QSARC" init tp
expect_ok env QSARC_POWERLOSS_LOG=$PWD/plog.t "$QSARC" put tp d --input a.dat
[ -s plog.t ] || fail "the test build wrote no QSARC_POWERLOSS_LOG journal (the check above proves nothing)"
# ... and QSARC_TEST_NOW does not move its clock: a stream put "in 2001"
# is stamped now (the test build stamps it 2001).
now=$(date +%s)
expect_ok env QSARC_TEST_NOW=1000000000 "$QSARC_RELEASE" put r c --input a.dat
expect_ok env QSARC_TEST_NOW=1000000000 "$QSARC" put t c --input a.dat
expect_ok "$QSARC_RELEASE" ls r --json
$PY - "$OUT" "$now" <<'PYEOF' || fail "release binary: QSARC_TEST_NOW moved the clock"
import calendar, json, sys, time
doc = json.load(open(sys.argv[1]))
now = int(sys.argv[2])
streams = doc["streams"] if isinstance(doc, dict) else doc
c = [s for s in streams if s["name"] == "c"]
assert c, "stream c not listed"
# --json times are ISO 8601 UTC strings.
t = calendar.timegm(time.strptime(c[0]["created"], "%Y-%m-%dT%H:%M:%SZ"))
assert abs(t - now) < 3600, "stamped %d, now %d" % (t, now)
PYEOF
expect_ok q ls t --json
$PY - "$OUT" <<'PYEOF' || fail "test build: QSARC_TEST_NOW did not move the clock"
import json, sys
doc = json.load(open(sys.argv[1]))
streams = doc["streams"] if isinstance(doc, dict) else doc
c = [s for s in streams if s["name"] == "c"][0]
assert c["created"] == "2001-09-09T01:46:40Z", c
PYEOF
"$QSARC_RELEASE" --version | grep -q '^test build:' &&
	fail "the release binary's --version says it is a test build"
exit 0
