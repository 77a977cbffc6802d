# The spec says what the code does, for the facts a script can check:
# (1) the error-code and exit-code tables of spec/README.md against
# format/qs_err.h, format/qs_err.c, cmd/cmd_output.{h,c} and README.md
# (tests/check_spec_tables.py), and that the checker catches a mismatch;
# (2) CATALOGUE.md 1.5: an archive with no member gets a catalogue with
# no member (ls exits 0, scan_end 0), a failed first header in a tar
# stops with scan_end = the stream length, non-tar input gets none (ls
# exits 3); (3) the structure of the worked example of CATALOGUE.md 5
# (204 bytes, end frame at 160, name at summary offset 192).
. "$CLI_DIR/lib.sh"
REPO=$(cd "$CLI_DIR/../.." && pwd)
CHECK=$REPO/tests/check_spec_tables.py

# (1) The tables as committed agree with the code.
expect_ok "$PY" "$CHECK" "$REPO"
grep -q 'agree with the code' "$OUT" || fail "check_spec_tables.py: no summary line"

# ... and the checker fails when one side changes.
copy_tree() {
	rm -rf t && mkdir -p t/format t/cmd t/spec
	cp "$REPO/format/qs_err.h" "$REPO/format/qs_err.c" t/format/
	cp "$REPO/cmd/cmd_output.h" "$REPO/cmd/cmd_output.c" t/cmd/
	cp "$REPO/spec/README.md" t/spec/
	cp "$REPO/README.md" t/
}
# mutate FILE SED-EXPR WORD: after the edit the checker exits 1 naming WORD.
mutate() {
	copy_tree
	sed -i "$2" "t/$1"
	cmp -s "t/$1" "$REPO/$1" && fail "mutate $1 '$2' changed nothing"
	expect_exit 1 "$PY" "$CHECK" t
	grep -qF -- "$3" "$OUT" || fail "check_spec_tables.py missed '$2' on $1: $(head -c 300 "$OUT")"
}
mutate format/qs_err.h 's/QS_EPASS = -6/QS_EPASS = -20/' QS_EPASS
mutate format/qs_err.c 's/"store is busy"/"store is locked"/' QS_EBUSY
mutate cmd/cmd_output.c 's/case QS_ENOENT:\t\treturn (EXIT_NOTFOUND);/case QS_ENOENT:\t\treturn (EXIT_ERROR);/' QS_ENOENT
mutate spec/README.md '/^| `QS_ELIMIT` |/d' QS_ELIMIT
mutate spec/README.md 's/^| 7 | `EXIT_STOPPED` |/| 9 | `EXIT_STOPPED` |/' EXIT_STOPPED
mutate README.md 's/^| 8 | nothing to do |/| 8 | nothing done |/' 'exit 8'
copy_tree
printf 'enum { QS_ENEW = -14 };\n' >>t/format/qs_err.h
expect_exit 1 "$PY" "$CHECK" t
grep -q 'QS_ENEW' "$OUT" || fail "a new QS_ code missing from the spec was not reported"

# (2) CATALOGUE.md 1.5, status by status.
expect_ok q init s
$PY - <<'PYEOF' || fail "cannot make the tar inputs"
import io, os, tarfile
open("empty.tar", "wb").write(b"\0" * 10240)
open("rand.bin", "wb").write(bytes((i * 197 + 11) % 256 for i in range(5000)))
b = io.BytesIO()
t = tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT)
ti = tarfile.TarInfo("a" * 200)
ti.size = 2
t.addfile(ti, io.BytesIO(b"hi"))
t.close()
open("paxcut.tar", "wb").write(b.getvalue()[:700])
b = io.BytesIO()
t = tarfile.open(fileobj=b, mode="w", format=tarfile.USTAR_FORMAT)
ti = tarfile.TarInfo("hello.txt")
ti.size, ti.mode, ti.uid, ti.gid = 6, 0o644, 1000, 1000
ti.uname, ti.gname, ti.mtime = "ann", "staff", 1700000000
t.addfile(ti, io.BytesIO(b"hello\n"))
t.close()
open("tiny.tar", "wb").write(b.getvalue())
PYEOF
expect_ok q put s empty --input empty.tar --allow-empty
expect_ok q ls s empty --json
grep -qF '"members": [], "complete": true, "scan_end": 0' "$OUT" ||
	fail "empty archive: not a complete catalogue with no member and scan_end 0: $(cat "$OUT")"
[ "$(ls s/catalogs | wc -l)" -eq 1 ] || fail "empty archive: no catalogue file"
expect_ok q put s paxcut --input paxcut.tar --allow-truncated
expect_ok q ls s paxcut --json
grep -qF '"members": [], "complete": false, "scan_end": 700' "$OUT" ||
	fail "failed first header: scan_end is not the stream length (700): $(cat "$OUT")"
expect_ok q put s rand --input rand.bin
expect_fail 3 'no member catalogue' q ls s rand
[ "$(ls s/catalogs | wc -l)" -eq 2 ] || fail "non-tar input got a catalogue"

# (3) The worked example of CATALOGUE.md 5, as far as it is not random.
expect_ok q init w
expect_ok q put w tiny --input tiny.tar
cat=$(ls w/catalogs/*.qct)
[ "$(wc -c <"$cat")" -eq 204 ] || fail "the tiny catalogue is $(wc -c <"$cat") bytes, CATALOGUE.md 5 says 204"
grep -q 's/catalogs/[0-9a-f]*.qct`, 204 bytes' "$REPO/spec/CATALOGUE.md" ||
	fail "CATALOGUE.md 5 no longer says 204 bytes"
$PY - "$cat" w/streams/tiny.qsm <<'PYEOF' || fail "the tiny catalogue differs from CATALOGUE.md 5"
import hashlib, struct, sys
c = open(sys.argv[1], "rb").read()
m = open(sys.argv[2], "rb").read()
# The example is a version 1 file; the tool writes version 2, which differs
# in byte 8 and the random file id at 48..63 (and so in checks and tags).
assert c[:8] == b"QSARCCAT" and struct.unpack_from("<HHHH", c, 8) == (2, 0, 0, 0)
assert c[48:64] != bytes(16), "file id"
assert struct.unpack_from("<QQ", c, 32) == (160, 2), "final_offset/frame_count"
assert c[64:80] == bytes.fromhex("5c000000 03010000 01000000 45000000".replace(" ", ""))
end = bytes.fromhex("28000000 04010000 00000000 01000000 00000000 00040000 00000000".replace(" ", ""))
assert c[160:188] == end, c[160:188].hex()
assert len(m) >= 64 and m[:8] == b"QSARCMAN"
so = struct.unpack_from("<Q", m, 32)[0]
pt = m[so + 4:so + 4 + struct.unpack_from("<I", m, so)[0] - 16]
assert struct.unpack_from("<I", pt, 88)[0] == 1, "features"
assert pt[112:144] == hashlib.blake2b(c, digest_size=32).digest(), "catalogue_hash"
assert pt[144:192] == bytes(48), "origin fields"
assert pt[192:] == b"tiny", pt[192:]
PYEOF

# (4) CRYPTO.md 4.1: from a file, one trailing \n then one trailing \r are
# dropped, nothing else; QSARC_PASSPHRASE is taken as it is.
printf 'secret\n' >pw
chmod 600 pw
expect_ok q init e --encrypt --passphrase-file pw --kdf-time 1 --kdf-memory 8M
for v in 'secret' 'secret\n' 'secret\r\n' 'secret\r'; do
	printf "$v" >pwv && chmod 600 pwv
	expect_ok q ls e --passphrase-file pwv
done
for v in 'secret\n\n' ' secret' 'secret ' 'secret\n\r'; do
	printf "$v" >pwv && chmod 600 pwv
	expect_exit 5 q ls e --passphrase-file pwv
done
expect_exit 5 env QSARC_PASSPHRASE="$(printf 'secret\r')" "$QSARC" ls e
expect_ok env QSARC_PASSPHRASE=secret "$QSARC" ls e
exit 0
