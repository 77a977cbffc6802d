# Mixed load (issue 18, item 1): two put loops, a clean loop, a verify loop
# and an rm/expire loop on one store at once.  Every command must succeed or
# say busy (exit 4); exit 8 of expire ("nothing to expire") is fine too.
# Before the fix, a put or verify failed now and then with "index/seg-...:
# open: No such file or directory": the segment list was read, then a
# compaction deleted a segment before it was opened.
# 20 s of load here; QSARC_STRESS=1 runs 180 s.
. "$CLI_DIR/lib.sh"

secs=20
[ "$QSARC_STRESS" = 1 ] && secs=180
[ "$QSARC_SANITIZED" = 1 ] && [ "$QSARC_STRESS" != 1 ] && secs=12
expect_ok q init s --container-size 1M
for i in 1 2 3 4; do gen_file "$i" 200K "in$i.dat"; done
end=$(( $(date +%s) + secs ))

# loop NAME CMD...: run CMD until the end time, log every unexpected exit.
loop() {
	name=$1; shift
	n=0
	while [ "$(date +%s)" -lt "$end" ]; do
		n=$((n + 1))
		r=0
		"$@" >/dev/null 2>"err.$name" || r=$?
		case $r in
		0|4) ;;
		8) [ "$name" = expire ] || echo "$name #$n: exit $r: $(cat "err.$name")" >>failures ;;
		*) echo "$name #$n: exit $r: $(cat "err.$name")" >>failures ;;
		esac
	done
	echo "$name $n" >>counts
}

putter() {
	tag=$1; k=0
	while [ "$(date +%s)" -lt "$end" ]; do
		k=$((k + 1))
		# New data every time (so segments keep coming and compacting),
		# sharing most chunks with the inputs.
		{ cat "in$(( k % 4 + 1 )).dat"; head -c 4096 /dev/urandom; } >"new.$tag"
		r=0
		"$QSARC" put s "$tag-$k" --input "new.$tag" >/dev/null 2>"err.$tag" || r=$?
		[ "$r" -eq 0 ] || [ "$r" -eq 4 ] ||
			echo "put $tag #$k: exit $r: $(cat "err.$tag")" >>failures
	done
	echo "put-$tag $k" >>counts
}

: >failures
putter a &
putter b &
loop clean "$QSARC" clean s &
loop verify "$QSARC" verify s &
loop expire "$QSARC" expire s --keep-last 6 &
wait

note "commands run: $(tr '\n' ' ' <counts)"
if [ -s failures ]; then
	fail "$(wc -l <failures) commands failed under mixed load:
$(head -20 failures)"
fi
# The store is consistent and every live stream restores.
expect_ok q verify s
for n in $(ls_names s); do
	"$QSARC" get s "$n" >/dev/null || fail "get $n after the load"
done
