# expire retention schedules (issue 16 item 11), puts at chosen times with
# the test clock (QSARC_TEST_NOW):
#  - --keep-hourly/-daily/-weekly/-monthly/-yearly N keep the newest stream
#    of each of the N most recent hours/days/ISO weeks/months/years that
#    hold one (restic's forget), bucketed by put time in UTC whatever TZ
#    says (run under TZ=EST5: local days would bucket otherwise);
#  - a Sunday and the Monday after are two ISO weeks; 31 December 23:59:59
#    and 1 January 00:00:00 are two years;
#  - --keep-within AGE keeps what was put within AGE of the newest stream
#    (not of now), --older-than AGE what was put within AGE of now;
#  - rules combine (kept if any rule keeps it), with --keep-last and
#    --prefix;
#  - --dry-run says why each stream is kept ("daily 3") or expired, in text
#    and in --json ("streams": [{"name", "action", "reason"}]);
#  - compound and fractional durations (1h30m, 1.5d, 2w3d) wherever a
#    duration is read (expire, clean --max-duration); malformed ones exit 2.
. "$CLI_DIR/lib.sh"

export TZ=EST5
H=3600
D=86400
T0=1764547200	# Monday 2025-12-01 00:00:00 UTC

# put_at STORE NAME TIME: put a small distinct stream NAME at TIME.
SEED=7400
put_at() {
	SEED=$((SEED + 1))
	gen_file $SEED 8K "$2.dat"
	at_ok "$3" put "$1" "$2" --input "$2.dat"
}
# kept: the names the last --json run keeps, newest first.
kept() {
	"$PY" -c '
import json, sys
print(" ".join(s["name"] for s in json.load(open(sys.argv[1]))["streams"]
               if s["action"] == "keep"))' "$OUT" ||
		fail "expire --json output is not JSON: $(cat "$OUT")"
}
# verdict NAME: "action: reason" of NAME in the last --json run.
verdict() {
	"$PY" -c '
import json, sys
for s in json.load(open(sys.argv[1]))["streams"]:
    if s["name"] == sys.argv[2]:
        print(s["action"] + ": " + s["reason"])' "$OUT" "$1"
}
live() {
	ls_names "$1" | sort | tr '\n' ' ' | sed 's/ $//'
}
# plan TIME WANT ARGS...: a dry run of expire s ARGS at TIME must keep WANT.
plan() {
	local t=$1 want=$2
	shift 2
	at_ok "$t" expire s --dry-run --json "$@"
	[ "$(kept)" = "$want" ] ||
		fail "expire $* at $t keeps '$(kept)', expected '$want'"
}

expect_ok q init s
put_at s h-a $((T0 + 1 * H))			# Mon 01:00
put_at s h-b $((T0 + 1 * H + 1800))		# Mon 01:30, same hour
put_at s h-c $((T0 + 13 * H))			# Mon 13:00
put_at s h-d $((T0 + 1 * D + 10 * H))		# Tue 10:00
put_at s h-e $((T0 + 2 * D + 9 * H))		# Wed 09:00
put_at s h-f $((T0 + 2 * D + 20 * H))		# Wed 20:00
put_at s h-g $((T0 + 6 * D + 23 * H + 1800))	# Sun 12-07 23:30, ISO week 49
put_at s h-h $((T0 + 7 * D + 1800))		# Mon 12-08 00:30, ISO week 50
NEWEST=$((T0 + 7 * D + 1800))
NOW=$((T0 + 100 * D))
before=$(tree_sum s)

# ---- counted rules, one at a time.
plan $NOW "h-h h-g h-f" --keep-daily 3
plan $NOW "h-h h-g h-f h-d h-c" --keep-daily 5	# h-c: Monday's newest
plan $NOW "h-h h-g" --keep-weekly 2
plan $NOW "h-h h-g" --keep-weekly 5		# two weeks hold one
plan $NOW "h-h h-g h-f h-e h-d h-c h-b" --keep-hourly 8
plan $NOW "h-h h-g" --keep-hourly 2
plan $NOW "h-h" --keep-monthly 3
plan $NOW "h-h" --keep-yearly 1
plan $NOW "" --keep-daily 0
[ "$(tree_sum s)" = "$before" ] || fail "expire --dry-run changed the store"

# ---- why, in --json and in text.
at_ok $NOW expire s --dry-run --json --keep-last 1 --keep-hourly 3 --keep-daily 2
[ "$(kept)" = "h-h h-g h-f" ] || fail "last 1 + hourly 3 + daily 2 keeps '$(kept)'"
[ "$(verdict h-h)" = "keep: last 1, hourly 1, daily 1" ] ||
	fail "h-h: '$(verdict h-h)', expected 'keep: last 1, hourly 1, daily 1'"
[ "$(verdict h-f)" = "keep: hourly 3" ] || fail "h-f: '$(verdict h-f)'"
[ "$(verdict h-e)" = "expire: last: not the newest stream; hourly: beyond the 3 newest hours; daily: beyond the 2 newest days" ] ||
	fail "h-e: '$(verdict h-e)'"
at_ok $NOW expire s --keep-daily 3 --dry-run
grep -qx 'keep h-f (daily 3)' "$OUT" ||
	fail "expire --keep-daily 3 --dry-run does not say 'keep h-f (daily 3)': $(cat "$OUT")"
grep -qx 'would expire h-e' "$OUT" || fail "dry run: no 'would expire h-e' line: $(cat "$OUT")"
grep -A1 -x 'would expire h-e' "$OUT" | grep 'daily: a newer stream has its day' >/dev/null ||
	fail "dry run does not say why h-e would go: $(cat "$OUT")"
grep -A1 -x 'would expire h-a' "$OUT" | grep 'daily: beyond the 3 newest days' >/dev/null ||
	fail "dry run does not say why h-a would go: $(cat "$OUT")"

# ---- --keep-within: from the newest stream, not from now (100 days on).
plan $NOW "h-h h-g" --keep-within 1d30m		# 88200 s: back to Sun 00:30
plan $NOW "h-h h-g h-f" --keep-within 4.5d
at_ok $NOW expire s --dry-run --json --keep-within 4.5d
[ "$(verdict h-f)" = "keep: within 4.5d" ] || fail "h-f: '$(verdict h-f)'"
# An age of exactly AGE is kept: h-f is 4d4h30m before the newest.
plan $NOW "h-h h-g h-f" --keep-within 4d4h30m
plan $NOW "h-h h-g" --keep-within 4d4h29m59s
# --older-than counts from now, in compound units.
plan $((NEWEST + 5400)) "h-h" --older-than 1h30m
plan $((NEWEST + 5401)) "" --older-than 1h30m
plan $((NEWEST + 5401)) "h-h" --older-than 1.5h1s
plan $((NEWEST + 17 * D)) "h-h" --older-than 2w3d

# ---- durations: malformed ones are usage errors, here and in clean.
for bad in 1h30 1.d .h d 1x -1d "1 d" 1d- "" 1hh 1.5.d; do
	expect_exit 2 q expire s --older-than "$bad"
	expect_exit 2 q expire s --keep-within "$bad"
done
expect_exit 2 q expire s --keep-daily -1
expect_exit 2 q expire s --keep-weekly x
expect_exit 2 q expire s --keep-yearly 1y
expect_exit 2 q expire s --prefix h-		# no rule
expect_ok q clean s --dry-run --max-duration 1h30m
expect_ok q clean s --dry-run --max-duration 0.5h
expect_exit 2 q clean s --dry-run --max-duration 1h30
[ "$(tree_sum s)" = "$before" ] || fail "dry runs and refusals changed the store"

# ---- a real run, with --prefix: x-old is not considered.
put_at s x-old $((T0 - 30 * D))
at_ok $NOW expire s --prefix h- --keep-daily 2 --keep-within 2d
grep -qx 'expired h-a' "$OUT" || fail "expire: no 'expired h-a' line: $(cat "$OUT")"
grep -q '^keep' "$OUT" && fail "expire without --dry-run lists what it keeps: $(cat "$OUT")"
[ "$(live s)" = "h-g h-h x-old" ] || fail "after expire --prefix h- --keep-daily 2: live '$(live s)'"

# ---- months and years, across a new year at UTC midnight.
expect_ok q init m
put_at m y-a 1686830400		# 2023-06-15 12:00:00 UTC
put_at m y-b 1735689599		# 2024-12-31 23:59:59 UTC
put_at m y-c 1735689600		# 2025-01-01 00:00:00 UTC
put_at m y-d 1737360000		# 2025-01-20 08:00:00 UTC
put_at m y-e 1738569600		# 2025-02-03 08:00:00 UTC
at_ok $NOW expire m --dry-run --json --keep-monthly 3
[ "$(kept)" = "y-e y-d y-b" ] || fail "--keep-monthly 3 keeps '$(kept)', expected y-e y-d y-b"
at_ok $NOW expire m --dry-run --json --keep-yearly 2
[ "$(kept)" = "y-e y-b" ] || fail "--keep-yearly 2 keeps '$(kept)', expected y-e y-b"
[ "$(verdict y-b)" = "keep: yearly 2" ] || fail "y-b: '$(verdict y-b)'"
[ "$(verdict y-a)" = "expire: yearly: beyond the 2 newest years" ] || fail "y-a: '$(verdict y-a)'"
at_ok $NOW expire m --keep-yearly 3 --keep-last 1
[ "$(live m)" = "y-a y-b y-e" ] || fail "after --keep-yearly 3 --keep-last 1: live '$(live m)'"
exit 0
