# clean encrypting old (pre-encryption) data with little free space
# (issue 18, item 9).  Before: clean wanted min(stream, plain bytes) +
# 64 MiB free, else printed a line and exited 0, so a cron job never
# noticed and a 12 MB store on a 20 MiB file system was never encrypted.
# Now each stream is converted when its copy fits, the plain containers it
# leaves dead are reclaimed before the next one that does not fit (so the
# space comes back piece by piece), and a stream that still does not fit
# makes clean exit 10 with the encryption-waiting alert.  Real space on a
# size-limited tmpfs, no injection.
. "$CLI_DIR/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
mkdir mnt
mount -t tmpfs -o size=20m,mode=0700 tmpfs mnt 2>mount.err ||
	skip "cannot mount a tmpfs: $(cat mount.err)"
trap 'umount "$PWD/mnt" 2>/dev/null || umount -l "$PWD/mnt"' EXIT
enc_setup 'space is short'

avail() {
	df -B1 --output=avail "$PWD/mnt" | tail -n1 | tr -d ' '
}
plain_keys() {
	case " $(config_tags "$1/config") " in
	*" 0006 "* | *" 0007 "*) return 0 ;;
	esac
	return 1
}

# 1. Four 3 MB streams (12 MB, incompressible) leave about 7 MB free:
#    not enough to copy them all at once, enough for one at a time.
S=mnt/s
expect_ok q init $S --container-size 1M
for i in 1 2 3 4; do
	gen_file $((770 + i)) 3M f$i.dat
	expect_ok q put $S s$i --input f$i.dat
done
expect_ok q encrypt $S $KDF $P
free0=$(avail)
[ "$free0" -lt $((12 * 1024 * 1024)) ] || fail "control: $free0 bytes free holds all copies"
expect_ok q clean $S --json $P
[ "$(json_get encryption_waiting)" = False ] || fail "clean waits: $(cat "$OUT") $(cat "$ERR")"
[ "$(json_get manifests_rewritten)" -eq 4 ] || fail "clean converted $(json_get manifests_rewritten) of 4 streams"
[ "$(json_get bytes_encrypted)" = "$(json_get plain_bytes)" ] ||
	fail "encrypted $(json_get bytes_encrypted) of $(json_get plain_bytes) plain bytes"
plain_keys $S && fail "the plain keys are still in the config: everything should be encrypted"
for i in 1 2 3 4; do
	expect_ok q get $S s$i $P
	cmp -s "$OUT" f$i.dat || fail "after the conversion s$i differs"
done
expect_ok q verify $S $P
[ -s $S/reserve ] || fail "no reserve after the conversion"
note "12 MB of plain data encrypted in pieces with $free0 bytes free"

# 2. A 10 MB stream, larger than the space free: the small one is converted,
#    the big one waits, clean exits 10 and raises the alert.
rm -rf $S
S=mnt/t
expect_ok q init $S --container-size 1M
gen_file 781 10M big.dat
gen_file 782 1M small.dat
expect_ok q put $S big --input big.dat
expect_ok q put $S small --input small.dat
expect_ok q encrypt $S $KDF $P
# Alerts to a relay that refuses: the alert lands in the unsent log.
expect_ok q alerts $S configure --relay 127.0.0.1:1 --from qsarc@example.com \
    --to ops@example.com
expect_ok q alerts $S enable
alert_files $S
expect_exit 10 q clean $S --json $P
cp "$OUT" wait.json
[ "$(json_get encryption_waiting wait.json)" = True ] || fail "clean: not waiting: $(cat wait.json)"
[ "$(json_get streams_waiting wait.json)" -eq 1 ] || fail "clean: $(cat wait.json)"
[ "$(json_get manifests_rewritten wait.json)" -eq 1 ] || fail "the small stream was not converted: $(cat wait.json)"
[ "$(json_get space_needed wait.json)" -gt "$(json_get space_free wait.json)" ] ||
	fail "clean: needs $(json_get space_needed wait.json), free $(json_get space_free wait.json)"
grep -q 'not enough free space.*still unencrypted' "$ERR" || fail "no message on stderr"
[ -s "$ALOG" ] && grep -qi 'encrypt' "$ALOG" || fail "no encryption-waiting alert logged ($ALOG)"
plain_keys $S || fail "plain keys dropped although big is still plain"
for n in big small; do
	expect_ok q get $S $n $P
	cmp -s "$OUT" $n.dat || fail "after clean exit 10: $n differs"
done
note "10 MB stream with $(json_get space_free wait.json) bytes free: exit 10, needs $(json_get space_needed wait.json)"

# 3. With room again, the next clean finishes and exits 0.
mount -o remount,size=40m "$PWD/mnt"
expect_ok q alerts $S disable
expect_ok q clean $S --json $P
[ "$(json_get encryption_waiting)" = False ] || fail "still waiting with room"
plain_keys $S && fail "plain keys left after the conversion finished"
for n in big small; do
	expect_ok q get $S $n $P
	cmp -s "$OUT" $n.dat || fail "after the last clean: $n differs"
done
