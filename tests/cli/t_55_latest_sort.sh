# "latest" and "latest:PREFIX" as the NAME of an existing stream (get, ls,
# diff, verify, rm, unexpire, replicate): the newest by put time, in one
# second the later name; nothing matching is exit 3; put refuses both as a
# new name.  ls --sort time lists the streams oldest first.
. "$CLI_DIR/lib.sh"

T0=1800000000
# mk NAME: a small tar whose one member is named after the stream.
mk() {
	mkdir -p "src/$1"
	printf '%s\n' "$1" >"src/$1/$1.txt"
	tar -cf "$1.tar" -C src "$1"
}
expect_ok q init s
# Put times: b-1 oldest, then a-1, a-2, and c-x and c-y in one second.
for n in a-1 a-2 b-1 c-x c-y; do mk "$n"; done
at_ok $((T0 + 10)) put s b-1 --input b-1.tar
at_ok $((T0 + 20)) put s a-1 --input a-1.tar
at_ok $((T0 + 30)) put s a-2 --input a-2.tar
at_ok $((T0 + 40)) put s c-y --input c-y.tar
at_ok $((T0 + 40)) put s c-x --input c-x.tar

# get: the newest; in a tie the later name; with a prefix, the newest of it.
restores s latest c-y.tar
restores s latest: c-y.tar
restores s latest:a- a-2.tar
restores s latest:a-1 a-1.tar
restores s latest:b b-1.tar
expect_ok q get s latest:a- --member a-2/a-2.txt --output m.tar
tar -tf m.tar | grep -x 'a-2/a-2.txt' >/dev/null || fail "get latest:a- --member: not a-2's member"
# ls NAME, diff, verify NAME.
expect_ok q ls s latest:a-
grep -qx 'a-2/a-2.txt' "$OUT" || fail "ls s latest:a- does not list a-2's members"
expect_ok q ls s latest --json
[ "$(json_get stream)" = c-y ] || fail "ls s latest --json: stream $(json_get stream), expected c-y"
expect_ok q diff s latest:a- latest
grep -qx -- '+ c-y/c-y.txt' "$OUT" || fail "diff s latest:a- latest: not a-2 against c-y"
grep -qx -- '- a-2/a-2.txt' "$OUT" || fail "diff s latest:a- latest: a-2/a-2.txt not removed"
expect_ok q verify s latest:b
grep -qE '^intact +b-1' "$OUT" || fail "verify s latest:b did not check b-1"
# Nothing matching: exit 3, saying so, for every command that reads names.
expect_fail 3 'no stream whose name starts with "zzz"' q get s latest:zzz
expect_fail 3 'no stream whose name starts with "zzz"' q ls s latest:zzz
expect_exit 3 q diff s latest latest:zzz
expect_exit 3 q verify s latest:zzz
expect_exit 3 q rm s latest:zzz
expect_exit 3 q replicate s s latest:zzz
# A bad prefix is a usage error like any bad NAME.
expect_exit 2 q get s 'latest:a/b'

# put: both forms are refused, nothing is stored.
expect_fail 2 'reserved' q put s latest --input a-1.tar
expect_fail 2 'reserved' q put s latest:a --input a-1.tar
has_stream s latest && fail "put stored a stream named latest"
# "latestx" and "Latest" are ordinary names (in a store of their own).
expect_ok q init o
expect_ok q put o latestx --input a-1.tar
expect_ok q put o Latest --input a-1.tar

# rm latest expires the newest live stream; unexpire latest brings back the
# newest expired one.
expect_ok q rm s latest
has_stream s c-y && fail "rm s latest did not expire c-y"
has_stream s c-y --expired || fail "rm s latest: c-y is not expired"
restores s latest c-x.tar
expect_ok q unexpire s latest
has_stream s c-y || fail "unexpire s latest did not bring c-y back"
expect_fail 3 'no expired stream' q unexpire s latest

# replicate: latest is SOURCE's newest.
expect_ok q init d
expect_ok q replicate s d latest:a-
[ "$(ls_names d)" = a-2 ] || fail "replicate s d latest:a-: d has $(ls_names d | tr '\n' ' '), expected a-2"

# ls --sort time: oldest first, ties by name; the default stays by name.
ls_col() { awk 'NR > 1 { print $1 }' "$OUT" | tr '\n' ' '; }
expect_ok q ls s
[ "$(ls_col)" = "a-1 a-2 b-1 c-x c-y " ] || fail "ls s: order '$(ls_col)', expected by name"
expect_ok q ls s --sort name
[ "$(ls_col)" = "a-1 a-2 b-1 c-x c-y " ] || fail "ls s --sort name: order '$(ls_col)'"
expect_ok q ls s --sort time
[ "$(ls_col)" = "b-1 a-1 a-2 c-x c-y " ] || fail "ls s --sort time: order '$(ls_col)', expected b-1 a-1 a-2 c-x c-y"
expect_ok q ls s --sort time --json
"$PY" -c '
import json, sys
n = [s["name"] for s in json.load(open(sys.argv[1]))["streams"]]
assert n == ["b-1", "a-1", "a-2", "c-x", "c-y"], n' "$OUT" || fail "ls --sort time --json: wrong order"
expect_ok q rm s a-1
expect_ok q ls s --expired --sort time
[ "$(ls_col)" = "a-1 " ] || fail "ls --expired --sort time: '$(ls_col)'"
expect_fail 2 'name or time' q ls s --sort size
expect_exit 2 q ls s a-2 --sort time
exit 0
