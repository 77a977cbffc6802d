# An s3:// store address is refused with a message saying S3 stores are not
# supported yet, by every command that takes a store, and nothing is made
# on the local disk.  Before, init made a local directory "s3:" when one
# existed on the way (and failed with "mkdir: No such file or directory"
# otherwise), so a typo-free S3 address silently became a local store.
. "$CLI_DIR/lib.sh"

url=s3://bucket/host1
msg='s3://bucket/host1: stores on S3 are not supported'

expect_ok q init local
printf 'abc\n' >in
expect_ok q put local one --input in

# With a directory "s3:" present, init used to create s3:/bucket/host1.
mkdir s3:
expect_fail 1 "$msg" q init "$url"
[ -z "$(ls -A s3:)" ] || fail "init of $url wrote under ./s3: ($(ls -A s3:))"
rmdir s3:

for c in "ls $url" "put $url n --input in" "get $url one" "verify $url" \
    "clean $url" "stats $url" "expire $url --keep-last 1" "rekey $url" \
    "encrypt $url" "keys $url" "rm $url one" "unexpire $url one" \
    "find $url x" "diff $url a b" "keystore $url check" \
    "replicate $url copy" "replicate local $url"; do
	# shellcheck disable=SC2086
	expect_fail 1 "$msg" q $c </dev/null
done
[ ! -e s3: ] && [ ! -e copy ] || fail "a refused command left s3: or copy behind"

# The local directory of that name is still reachable as ./s3://...
mkdir -p s3:/bucket
expect_ok q init ./"$url"
expect_ok q put ./"$url" one --input in
restores ./"$url" one in
