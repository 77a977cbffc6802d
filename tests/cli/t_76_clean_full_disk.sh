# clean on a real file system that is 100% full (issue 18, item 2): rm
# and clean must work when no byte is free, since that is when an
# operator runs them.  Before the reserve (STORE/reserve, released first
# by clean, made again at its end) clean failed writing its new index
# ("index/.tmp-seg-...: No space left on device") and reclaimed nothing,
# and rm failed writing the stream set.  t_96 covers ENOSPC injected at
# every write point; this one fills a size-limited tmpfs with dd.
. "$CLI_DIR/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
mkdir mnt
mount -t tmpfs -o size=8m,mode=0700 tmpfs mnt 2>mount.err ||
	skip "cannot mount a tmpfs: $(cat mount.err)"
trap 'umount "$PWD/mnt" 2>/dev/null || umount -l "$PWD/mnt"' EXIT

avail() {
	df -B1 --output=avail "$PWD/mnt" | tail -n1 | tr -d ' '
}
# fill: write into the file system until ENOSPC, then check it is full.
fill() {
	dd if=/dev/zero of=mnt/fill.$1 bs=4k >/dev/null 2>&1 && fail "dd did not hit ENOSPC"
	[ "$(avail)" -eq 0 ] || fail "file system not full: $(avail) bytes free"
}

S=mnt/s
expect_ok q init $S --container-size 1M
for i in 1 2 3 4 5 6; do
	gen_file $((760 + i)) 700K f$i.dat
	expect_ok q put $S s$i --input f$i.dat
done
before=$(avail)

# 1. 100% full: rm four streams, then clean.
fill 1
for i in 1 2 3 4; do expect_ok q rm $S s$i; done
expect_ok q clean $S --json
[ "$(json_get expired_streams_removed)" -eq 4 ] || fail "clean: $(cat "$OUT")"
[ "$(json_get containers_deleted)" -ge 4 ] || fail "clean: $(cat "$OUT")"
[ "$(json_get reserve_missing)" = False ] || fail "reserve not made again"
freed=$(avail)
[ "$freed" -ge $((2 * 1024 * 1024)) ] ||
	fail "clean on a full disk freed only $freed bytes"
[ "$(file_size $S/reserve)" -eq 1048576 ] || fail "no 1 MiB reserve after clean: $(ls -l $S)"
for i in 5 6; do restores $S s$i f$i.dat; done
expect_ok q verify $S
[ "$(ls_names $S | wc -l)" -eq 2 ] || fail "streams left: $(ls_names $S)"
note "100% full (0 bytes free): rm x4 + clean reclaimed $freed bytes (free before filling: $before)"

# 2. Full again with nothing dead: clean still exits 0 and keeps the reserve.
fill 2
expect_ok q clean $S
[ "$(file_size $S/reserve)" -ge 1048576 ] || fail "reserve lost by a clean with nothing to free"
for i in 5 6; do restores $S s$i f$i.dat; done

# 3. Full, with a partly dead container: g1 (X then Y) in one container,
#    g2 = X deduplicated against it; rm g1 leaves X live, Y dead.  The
#    dead streams' containers go first, then the rewrite has room.
rm -f mnt/fill.*
gen_file 771 300K x.dat
gen_file 772 300K y.dat
cat x.dat y.dat >g1.dat
expect_ok q put $S g1 --input g1.dat
expect_ok q put $S g2 --input x.dat
fill 3
expect_ok q rm $S s5
expect_ok q rm $S g1
expect_ok q clean $S --json
[ "$(json_get expired_streams_removed)" -eq 2 ] || fail "clean: $(cat "$OUT")"
[ "$(json_get containers_rewritten)" -eq 1 ] ||
	fail "the partly dead container was not rewritten: $(cat "$OUT")"
[ "$(avail)" -gt 0 ] || fail "clean freed nothing"
restores $S s6 f6.dat
restores $S g2 x.dat
expect_ok q verify $S

# 4. A store without a reserve (made by an older qsarc) works, and the
#    next put or clean that has room makes one.
rm -f mnt/fill.* $S/reserve
expect_ok q ls $S
gen_file 781 100K h.dat
expect_ok q put $S h --input h.dat
[ "$(file_size $S/reserve)" -ge 1048576 ] || fail "put with room made no reserve"
rm -f $S/reserve
expect_ok q clean $S
[ "$(file_size $S/reserve)" -ge 1048576 ] || fail "clean with room made no reserve"
restores $S h h.dat
