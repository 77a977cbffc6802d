# Tar catalogues over the corpus of tests/data/tar-variants: every file is
# stored byte for byte; "qsarc ls STORE NAME" lists what bsdtar -t lists
# for the files bsdtar accepts; for the files it rejects, the scan neither
# crashes nor hangs and says where it stopped; member ranges stay inside
# the stream.
. "$CLI_DIR/lib.sh"

TMO=120

# tq ARGS...: qsarc under timeout; stdout/stderr in $OUT/$ERR, $LAST_RC.
# A hang (exit 124) fails like a crash.
tq() {
	LAST_RC=0
	timeout -k 5 "$TMO" "$QSARC" "$@" >"$OUT" 2>"$ERR" || LAST_RC=$?
	[ "$LAST_RC" -ne 124 ] || fail "qsarc $*: no answer within ${TMO}s (hang)"
	crash_check "$*"
}

command -v bsdtar >/dev/null 2>&1 || skip "bsdtar (libarchive-tools) is not installed"
# bsdtar escapes names by the locale; qsarc prints valid UTF-8 as it is
# and escapes the rest, which is what bsdtar does under a UTF-8 locale.
BLOC=C.UTF-8
locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' || BLOC=
[ -n "$BLOC" ] || note "no C.UTF-8 locale: names with non-ASCII bytes are not compared with bsdtar"

expect_ok q init s
n=0 same=0 empty=0 rejected=0 stopped=0 enc=0 noend=0 badjson=""
for f in "$DATA_DIR"/tar-variants/*.tar "$DATA_DIR"/tar-variants/*.pax; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	name="tv-$b"
	size=$(file_size "$f")
	n=$((n + 1))

	# Whatever libarchive makes of it, put succeeds and the bytes come
	# back; a tar without its end-of-archive blocks needs --allow-truncated
	# (issue 18, item 10; one file of the corpus is one).
	tq put s "$name" --input "$f"
	if [ "$LAST_RC" -eq 1 ] && grep -q 'without the end-of-archive blocks' "$ERR"; then
		noend=$((noend + 1))
		tq put s "$name" --input "$f" --allow-truncated
	fi
	[ "$LAST_RC" -eq 0 ] || fail "put of $b: exit $LAST_RC"
	timeout -k 5 "$TMO" "$QSARC" get s "$name" >got 2>"$ERR" ||
		fail "get of $b: exit $?"
	cmp -s "$f" got || fail "$b does not come back byte for byte"

	# The listing, and the same as JSON.
	tq ls s "$name"
	qrc=$LAST_RC
	cp "$OUT" q.out
	cp "$ERR" q.err
	if [ "$qrc" -ne 0 ] && [ "$qrc" -ne 3 ]; then
		fail "ls s $name ($b): exit $qrc (expected 0, or 3 for no catalogue)"
	fi
	if [ "$qrc" -eq 3 ]; then
		grep -q 'no member catalogue' q.err ||
			fail "ls s $name: exit 3 but the message does not say there is no catalogue"
	else
		tq ls s "$name" --json
		[ "$LAST_RC" -eq 0 ] || fail "ls s $name --json: exit $LAST_RC"
		# Member ranges: ordered, non-empty, inside the stream; the
		# stop position inside the stream; text and JSON agree.
		chk=0
		rm -f "$OUT.badutf8"
		"$PY" - "$OUT" "$size" q.out >range.msg 2>&1 <<'EOF' || chk=$?
import json, sys
raw = open(sys.argv[1], "rb").read()
try:
    raw.decode("utf-8")
except UnicodeDecodeError as e:
    print("not UTF-8 at byte %d" % e.start, file=sys.stderr)
    open(sys.argv[1] + ".badutf8", "w").close()
j = json.loads(raw.decode("utf-8", "surrogateescape"))
size = int(sys.argv[2])
names = open(sys.argv[3], "rb").read().decode("utf-8", "replace").split("\n")[:-1]
if len(names) != len(j["members"]):
    print("text lists %d members, JSON %d" % (len(names), len(j["members"])))
    sys.exit(2)
prev = 0
bad = []
for m in j["members"]:
    if not (prev <= m["offset"] < m["end"] <= size):
        bad.append("%r offset %d end %d" % (m["path"], m["offset"], m["end"]))
    prev = m["end"]
if not j["complete"] and not j["message"]:
    print("stopped without a message")
    sys.exit(2)
if j["scan_end"] > size:
    bad.append("scan_end %d" % j["scan_end"])
if bad:
    print("; ".join(bad) + " (stream size %d)" % size)
    sys.exit(1)
EOF
		if [ -e "$OUT.badutf8" ]; then
			badjson="$badjson $b"
		fi
		case $chk in
		0) ;;
		1) fail "ls s $name --json ($b): member ranges must satisfy offset < end <= stream size ($size) and scan_end <= size: $(head -c 300 range.msg) (at 19807f6: after ARCHIVE_FATAL, archive_read_header_position() returns ARCHIVE_FATAL = -30, which index/tar/tarscan.c stores as scan_end and as the last member's end)" ;;
		*) fail "ls s $name --json ($b): $(cat range.msg)" ;;
		esac
		if grep -q '"complete": false' "$OUT"; then
			stopped=$((stopped + 1))
			grep -q 'stops at byte [0-9]' q.err ||
				fail "ls s $name: the catalogue is incomplete but ls does not say where it stops"
		fi
	fi

	# The reference: bsdtar, reading concatenated archives like the scan.
	brc=0
	LC_ALL=${BLOC:-C} bsdtar -tf "$f" --options tar:read_concatenated_archives >b.out 2>b.err || brc=$?
	if [ $brc -ne 0 ]; then
		rejected=$((rejected + 1))
		continue
	fi
	case $b in
	*cp866*)
		# cp866 bytes that happen to form valid UTF-8 (U+0A22): qsarc
		# prints them, bsdtar escapes them.
		cmp -s q.out b.out || note "$b: listing differs from bsdtar's in escaping only (bsdtar escapes the valid UTF-8 sequence e0 a8 a2; qsarc prints it)"
		[ "$qrc" -eq 0 ] || fail "ls s $name ($b): exit $qrc"
		[ "$(wc -l <q.out)" = "$(wc -l <b.out)" ] ||
			fail "$b: qsarc lists $(wc -l <q.out) members, bsdtar $(wc -l <b.out)"
		continue
		;;
	esac
	if [ -z "$BLOC" ] && LC_ALL=C grep -q '[^ -~]' b.out; then
		enc=$((enc + 1))
		continue
	fi
	if [ "$qrc" -eq 3 ]; then
		# A tar without members (only an end marker, a label, an empty
		# pax header) gets no catalogue; bsdtar lists nothing either.
		[ ! -s b.out ] || fail "ls s $name ($b): no catalogue, but bsdtar lists: $(head -n 3 b.out)"
		empty=$((empty + 1))
		continue
	fi
	if ! cmp -s q.out b.out; then
		diff q.out b.out | head -n 10 >&2
		fail "ls s $name: differs from bsdtar -tf $b"
	fi
	same=$((same + 1))
done
[ "$n" -ge 50 ] || fail "only $n files in tests/data/tar-variants"
# JSON text must be UTF-8 (RFC 8259): names that are not must be escaped
# somehow, not copied raw.
if [ -n "$badjson" ]; then
	fail "ls STORE NAME --json writes member names that are not valid UTF-8 as raw bytes, so the output is not valid JSON (python's json cannot read it) for:$badjson (cmd/cmd_ls.c json_bytes passes the raw name to cmd_output_json_string)"
fi
note "$n corpus files: $same listed exactly as bsdtar does, $empty without members (no catalogue, bsdtar lists nothing), $rejected rejected by bsdtar (still stored and scanned), $stopped catalogues stopped early, $noend without end-of-archive blocks (stored with --allow-truncated)"
[ "$noend" -eq 1 ] || fail "expected exactly one corpus file without end-of-archive blocks (test_compat_tar_hardlink_1.tar), found $noend"

# The listing is not vacuous: a well-known file lists known names.
expect_ok q ls s tv-test_compat_tar_hardlink_1.tar --long
[ -s "$OUT" ] || fail "ls --long of the hard link sample is empty"
grep -q 'link to' "$OUT" || fail "ls --long does not show the hard link ('link to')"

# Concatenated archives: both archives are listed, and a member of the
# second one can be taken out on its own.
f=$DATA_DIR/tar-variants/test_read_format_tar_concatenated.tar
expect_ok q ls s tv-test_read_format_tar_concatenated.tar
[ "$(cat "$OUT")" = "$(printf 'file1\nfile2')" ] || fail "concatenated archive: ls gives $(tr '\n' ' ' <"$OUT")"
expect_ok q get s tv-test_read_format_tar_concatenated.tar --member file2 --output m2.tar
gl=$(tar -tf m2.tar 2>/dev/null) || true
bl=$(bsdtar -tf m2.tar 2>/dev/null) || true
if [ "$gl" != file2 ] || [ "$bl" != file2 ]; then
	fail "get --member file2 of the concatenated sample writes a tar in which GNU tar lists '$gl' and bsdtar '$bl' (expected file2): the member range starts at archive_read_header_position(), i.e. before the end marker of the first archive, so the output begins with two zero blocks"
fi
mkdir x2
rc=0
"$QSARC" get s tv-test_read_format_tar_concatenated.tar --member file2 --extract-to x2 >"$OUT" 2>"$ERR" || rc=$?
LAST_RC=$rc; crash_check "get --member file2 --extract-to"
if [ $rc -ne 0 ] || [ ! -f x2/file2 ]; then
	fail "get --member file2 --extract-to DIR of the concatenated sample: exit $rc, x2/file2 $( [ -f x2/file2 ] && echo exists || echo missing) ($(head -n1 "$ERR"))"
fi

# A member from an ordinary sample extracts with both tars.
expect_ok q ls s tv-test_compat_gtar_1.tar
first=$(head -n 1 "$OUT")
[ -n "$first" ] || fail "test_compat_gtar_1.tar lists nothing"
expect_ok q get s tv-test_compat_gtar_1.tar --member "$first" --output g1.tar
[ "$(tar -tf g1.tar)" = "$first" ] || fail "get --member '$first': GNU tar lists $(tar -tf g1.tar | head -n 3)"
[ "$(bsdtar -tf g1.tar)" = "$first" ] || fail "get --member '$first': bsdtar lists something else"

# The store is consistent after all this: clean removes no catalogue that
# a manifest names, and every listing still works afterwards.
expect_ok q clean s --json
[ "$(json_get catalogues_removed)" = 0 ] || fail "clean removed $(json_get catalogues_removed) catalogues that manifests name"
expect_ok q ls s tv-test_compat_gtar_1.tar
[ "$(head -n 1 "$OUT")" = "$first" ] || fail "ls after clean differs"
