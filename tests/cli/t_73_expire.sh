# expire by rule (issue 4), with QSARC_TEST_NOW to age the streams:
#  - --dry-run lists what would go and changes nothing (files identical);
#  - --prefix limits the rule to matching names;
#  - --keep-last N keeps the N newest (by ingest time);
#  - --older-than AGE expires only streams put more than AGE ago (an
#    age of exactly AGE is kept);
#  - both together: expired only if neither rule keeps the stream;
#  - exit 8 when nothing matches; exit 2 without a rule or with a bad AGE;
#  - rm then unexpire brings a stream back before clean; after clean an
#    expired stream is gone for good (get --expired -> 3, unexpire fails).
. "$CLI_DIR/lib.sh"

DAY=86400
T0=1700000000

# expired_json: the "expired" list of the last --json run, space separated,
# sorted.
expired_json() {
	"$PY" -c '
import json, sys
print(" ".join(sorted(json.load(open(sys.argv[1]))["expired"])))' "$OUT" ||
		fail "expire --json output is not JSON: $(cat "$OUT")"
}
live() {
	ls_names s | sort | tr '\n' ' ' | sed 's/ $//'
}
dead() {
	ls_names s --expired | sort | tr '\n' ' ' | sed 's/ $//'
}

expect_ok q init s
# a-0..a-3 put on days 0..3, b-0..b-3 on days 4..7.
i=0
for n in a-0 a-1 a-2 a-3 b-0 b-1 b-2 b-3; do
	gen_file $((7300 + i)) 96K $n.dat
	at_ok $((T0 + i * DAY)) put s $n --input $n.dat
	i=$((i + 1))
done
expect_ok q ls s --json
[ "$("$PY" -c 'import json,sys; print([s["created"] for s in json.load(open(sys.argv[1]))["streams"] if s["name"] == "b-1"][0])' "$OUT")" = "$(date -u -d @$((T0 + 5 * DAY)) +%FT%TZ)" ] ||
	fail "ls --json: b-1 not created at the QSARC_TEST_NOW of its put"
NOW=$((T0 + 10 * DAY))

# ---- usage errors.
expect_exit 2 q expire s
expect_exit 2 q expire s --older-than yesterday
expect_exit 2 q expire s --keep-last -1
expect_exit 2 q expire s --keep-last x

# ---- --dry-run changes nothing.
before=$(tree_sum s)
at_ok $NOW expire s --keep-last 3 --dry-run --json
[ "$(json_get dry_run)" = True ] || fail "expire --dry-run --json: dry_run is not true"
[ "$(expired_json)" = "a-0 a-1 a-2 a-3 b-0" ] ||
	fail "expire --keep-last 3 --dry-run: would expire '$(expired_json)', expected the 5 oldest"
at_ok $NOW expire s --keep-last 3 --dry-run
grep -q '^would expire a-0$' "$OUT" || fail "expire --dry-run (text) does not say 'would expire a-0': $(cat "$OUT")"
[ "$(tree_sum s)" = "$before" ] || fail "expire --dry-run changed files of the store"
[ "$(live)" = "a-0 a-1 a-2 a-3 b-0 b-1 b-2 b-3" ] || fail "after --dry-run: live streams '$(live)'"
[ -z "$(dead)" ] || fail "after --dry-run: expired streams '$(dead)'"

# ---- --prefix with --keep-last: only b-* are considered.
at_ok $NOW expire s --prefix b- --keep-last 3 --json
[ "$(expired_json)" = "b-0" ] || fail "expire --prefix b- --keep-last 3 expired '$(expired_json)', expected b-0 only"
[ "$(dead)" = "b-0" ] || fail "after --prefix: expired streams '$(dead)'"

# ---- --keep-last alone (7 live): the oldest goes.
at_ok $NOW expire s --keep-last 6
grep -qx 'expired a-0' "$OUT" || fail "expire --keep-last 6: output '$(cat "$OUT")'"
[ "$(dead)" = "a-0 b-0" ] || fail "after --keep-last 6: expired '$(dead)'"
at_ok $NOW expire s --keep-last 6
grep -q "nothing expired" "$ERR" || fail "expire with nothing to do says nothing: $(cat "$ERR")"
at $NOW expire s --keep-last 6 --fail-if-nothing
[ $LAST_RC -eq 8 ] || fail "expire --keep-last 6 --fail-if-nothing again (nothing to do): exit $LAST_RC, expected 8"

# ---- --older-than alone: a-1 (9 days), a-2 (8 days) go; a-3 is exactly
# 7 days old and stays ("more than AGE ago").
at_ok $NOW expire s --older-than 7d --json
[ "$(expired_json)" = "a-1 a-2" ] || fail "expire --older-than 7d expired '$(expired_json)', expected a-1 a-2 (a-3 is exactly 7 days old)"
at $NOW expire s --older-than 7d --fail-if-nothing
[ $LAST_RC -eq 8 ] || fail "expire --older-than 7d again: exit $LAST_RC, expected 8"
at $NOW expire s --older-than 168h --fail-if-nothing
[ $LAST_RC -eq 8 ] || fail "expire --older-than 168h (= 7d): exit $LAST_RC, expected 8"
at $NOW expire s --prefix zzz --keep-last 0 --fail-if-nothing
[ $LAST_RC -eq 8 ] || fail "expire --prefix zzz (no match): exit $LAST_RC, expected 8"

# ---- both: 20 days later all are older than 5 days, but the 2 newest are
# kept by --keep-last; c-0, put now, is kept by --older-than.
NOW2=$((T0 + 20 * DAY))
gen_file 7399 64K c-0.dat
at_ok $NOW2 put s c-0 --input c-0.dat
at_ok $NOW2 expire s --keep-last 3 --older-than 5d --json
[ "$(expired_json)" = "a-3 b-1" ] || fail "expire --keep-last 3 --older-than 5d expired '$(expired_json)', expected a-3 b-1 (b-2, b-3 kept by the count with c-0)"
at_ok $NOW2 expire s --keep-last 0 --older-than 1d --json
[ "$(expired_json)" = "b-2 b-3" ] || fail "expire --keep-last 0 --older-than 1d expired '$(expired_json)', expected b-2 b-3 (c-0 is new)"
[ "$(live)" = "c-0" ] || fail "live streams '$(live)', expected c-0"

# Expired streams still read with --expired until clean.
expect_ok q get s a-0 --expired
cmp -s "$OUT" a-0.dat || fail "get --expired a-0 differs"
expect_exit 3 q get s a-0

# ---- rm, then unexpire before clean: the stream is back.
expect_ok q rm s c-0
expect_exit 3 q get s c-0
expect_ok q unexpire s c-0
restores s c-0 c-0.dat
expect_ok q unexpire s b-3
restores s b-3 b-3.dat

# ---- clean: the expired streams are gone for good.
at_ok $NOW2 clean s --json
[ "$(json_get expired_streams_removed)" = 7 ] || fail "clean removed $(json_get expired_streams_removed) expired streams, expected 7"
[ -z "$(dead)" ] || fail "after clean: expired streams still listed: '$(dead)'"
for n in a-0 a-3 b-2; do
	expect_exit 3 q get s $n --expired
	expect_exit 3 q get s $n
done
expect_exit 3 q unexpire s a-0
restores s c-0 c-0.dat
restores s b-3 b-3.dat
[ "$(live)" = "b-3 c-0" ] || fail "after clean: live streams '$(live)'"
exit 0
