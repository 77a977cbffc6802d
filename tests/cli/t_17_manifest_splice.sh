# Issue 14, item 1: manifest (and catalogue) frames spliced between streams.
# Attack: two streams OLD and NEW of one encrypted store, tars of the same
# member names and sizes.  Copy OLD's refs frame 0 over NEW's in
# streams/NEW.qsm.  Before the fix a frame's AD was the same for every
# manifest under one key, so it authenticated: `get NEW --member F
# --extract-to D` wrote OLD's F and exited 0, and `get NEW | tar x`
# extracted OLD's files before qsarc exited 6.  Now every frame is bound
# to its file's random id: both exit 6 and write none of OLD's bytes.
# The same for a catalogue frame, and for a plain store (where the check
# is unkeyed: the id stops accidental mixing, not an attacker).
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
enc_setup 'splice passphrase'
chmod 600 pw

# splice TARGET DONOR INDEX: replace frame INDEX of the frame file TARGET
# by DONOR's frame INDEX (its whole envelope), fixing the unauthenticated
# summary_offset in TARGET's header if the lengths differ.
splice() {
	chmod u+w "$1"
	"$PY" - "$1" "$2" "$3" <<'EOF' || fail "splice $1 $2 $3"
import struct, sys

def frames(b):
    out, pos = [], 64
    while pos < len(b):
        (n,) = struct.unpack_from("<I", b, pos)
        out.append(b[pos:pos + 4 + n])
        pos += 4 + n
    assert pos == len(b), "frames do not end at the end of the file"
    return out

t = open(sys.argv[1], "rb").read()
d = open(sys.argv[2], "rb").read()
k = int(sys.argv[3])
ft, fd = frames(t), frames(d)
assert k < len(ft) - 1 and k < len(fd) - 1, "no such refs frame"
assert ft[k] != fd[k]
ft[k] = fd[k]
hdr = bytearray(t[:64])
struct.pack_into("<Q", hdr, 32, 64 + sum(len(f) for f in ft[:-1]))
open(sys.argv[1], "wb").write(bytes(hdr) + b"".join(ft))
EOF
}

# mktar DIR SEED OUT: a tar of DIR/app/bin (3 MiB, about 50 chunks: more
# than get reads ahead, so a pipe sees bytes before the end of the list)
# and DIR/app/conf (10000 bytes), data from SEED, fixed metadata: two such
# tars have the same layout and differ only in data.
mktar() {
	mkdir -p "$1/app"
	gen_file "$2" 3M "$1/app/bin"
	gen_file "$(($2 + 1))" 10000 "$1/app/conf"
	tar -C "$1" --format=ustar -b 1 --mtime=@1700000000 --owner=0 \
	    --group=0 --numeric-owner --sort=name -cf "$3" app ||
		fail "tar $1"
}
mktar old 1701 old.tar
mktar new 1703 new.tar

# no_old_bytes DIR WHAT: no file under DIR starts with the bytes of one
# of OLD's files (a partly extracted file counts).
no_old_bytes() {
	local f o n
	for f in $(find "$1" -type f 2>/dev/null); do
		n=$(file_size "$f")
		[ "$n" -gt 0 ] || continue
		for o in old/app/bin old/app/conf; do
			cmp -s -n "$n" "$f" "$o" &&
				fail "$2: wrote OLD's $o (first $n bytes) as $f"
		done
	done
	return 0
}

# attack STORE WHAT FILE KIND PW...: the splice is done; member restore
# must exit 6, name the damaged FILE, and write none of OLD's bytes.  For
# a manifest (KIND manifest) a pipe to tar must do the same; a catalogue
# is not used by a whole-stream get, which must give NEW's bytes, but
# `ls STORE new` must exit 6.
attack() {
	local st=$1 what=$2 file=$3 kind=$4
	shift 4
	rm -rf xd
	mkdir xd
	expect_exit 6 q get "$st" new --member app/conf --extract-to xd "$@"
	err_matches "$file" || fail "$what: get --member: message does not name $file: $(cat "$ERR")"
	no_old_bytes xd "$what: get --member --extract-to"
	[ ! -e xd/app/conf ] || fail "$what: get --member --extract-to wrote app/conf"
	rm -rf xt
	mkdir xt
	rc=0
	"$QSARC" get "$st" new "$@" 2>"$ERR" | tar -x -C xt 2>/dev/null ||
		rc=${PIPESTATUS[0]}
	no_old_bytes xt "$what: get | tar x"
	if [ "$kind" = manifest ]; then
		[ "$rc" -eq 6 ] || fail "$what: get | tar x: qsarc exit $rc, expected 6: $(cat "$ERR")"
		err_matches "$file" || fail "$what: get | tar x: message does not name $file: $(cat "$ERR")"
		expect_exit 6 q verify "$st" "$@"
	else
		[ "$rc" -eq 0 ] || fail "$what: get | tar x: exit $rc: $(cat "$ERR")"
		cmp -s xt/app/conf new/app/conf || fail "$what: get | tar x: app/conf is not NEW's"
		expect_exit 6 q ls "$st" new "$@"
		err_matches "$file" || fail "$what: ls: message does not name $file: $(cat "$ERR")"
	fi
}

for mode in encrypted plain; do
	rm -rf s pristine
	if [ $mode = encrypted ]; then
		E="--encrypt $KDF"
		PP=$P
	else
		E=
		PP=
	fi
	expect_ok q init s $E --avg-chunk 64K $PP
	expect_ok q put s old --input old.tar $PP
	ls s/catalogs >cats.old
	expect_ok q put s new --input new.tar $PP
	cat_old=s/catalogs/$(cat cats.old)
	cat_new=s/catalogs/$(ls s/catalogs | grep -vxF -f cats.old)
	[ -f "$cat_old" ] && [ -f "$cat_new" ] ||
		fail "$mode setup: expected one catalogue per stream: $(ls s/catalogs)"
	# Sanity: before the splice both restore their own bytes.
	rm -rf x0 x1
	mkdir x0 x1
	expect_ok q get s new --member app/conf --extract-to x0 $PP
	cmp -s x0/app/conf new/app/conf || fail "$mode setup: new's app/conf differs"
	expect_ok q get s old --member app/conf --extract-to x1 $PP
	cmp -s x1/app/conf old/app/conf || fail "$mode setup: old's app/conf differs"
	cp -a s pristine

	# (a) OLD's refs frame 0 in NEW's manifest.
	splice s/streams/new.qsm s/streams/old.qsm 0
	attack s "$mode manifest splice" new.qsm manifest $PP

	# (b) OLD's catalogue frame 0 (its member list) in NEW's catalogue.
	rm -rf s
	cp -a pristine s
	splice "$cat_new" "$cat_old" 0
	attack s "$mode catalogue splice" "$(basename "$cat_new")" catalogue $PP

	# The untouched store still restores NEW (the test edits only copies).
	rm -rf s
	cp -a pristine s
	expect_ok q get s new --output new.out $PP
	cmp -s new.out new.tar || fail "$mode: pristine copy does not restore"
	rm -f new.out
done

# The fixture stores of spec/vectors (written by 0.1.0: version 1
# manifests and catalogues, frames not bound to their file).
VEC=$(cd "$CLI_DIR/../.." && pwd)/spec/vectors
# version FILE: the header's version field.
version() {
	"$PY" -c 'import struct, sys
print(struct.unpack_from("<H", open(sys.argv[1], "rb").read(), 8)[0])' "$1"
}
# want_sha STORE NAME: the sha256 stores.md lists.
want_sha() {
	awk -F' *[|] *' -v st="$1" -v n="$2" '$2 == st && $3 == n { print $6 }' \
	    "$VEC/stores.md"
}

# (c) A version 1 splice: hello.txt's refs frame 0 in files.tar's
# manifest (store-plain: same store, key 0, frame 0, so the v1 check
# matches).  qsarc reads a v1 list through before using it: exit 6, and
# neither member restore nor a pipe to tar gets a byte of hello.txt.
rm -rf v
cp -a "$VEC/store-plain" v
chmod -R u+w v
[ "$(version v/streams/files.tar.qsm)" = 1 ] || fail "fixture: files.tar.qsm is not version 1"
splice v/streams/files.tar.qsm v/streams/hello.txt.qsm 0
rm -rf xd xt
mkdir xd xt
expect_exit 6 q get v files.tar --member tree/README --extract-to xd
err_matches "files.tar.qsm" || fail "v1 splice: get --member: message does not name files.tar.qsm: $(cat "$ERR")"
[ -z "$(find xd -type f)" ] || fail "v1 splice: get --member wrote $(find xd -type f)"
rc=0
"$QSARC" get v files.tar 2>"$ERR" | tar -x -C xt 2>/dev/null || rc=${PIPESTATUS[0]}
[ "$rc" -eq 6 ] || fail "v1 splice: get | tar x: exit $rc, expected 6: $(cat "$ERR")"
[ -z "$(find xt -type f)" ] || fail "v1 splice: get | tar x extracted $(find xt -type f)"
rm -rf v

# (d) clean upgrades version 1 manifests under the current key (and their
# catalogues) to version 2 (plain) or 3 (sealed, padded frames); every
# stream still restores to the bytes of
# stores.md, and the members are still listed.
for st in store-plain store-encrypted; do
	rm -rf v
	forget_streams_record
	cp -a "$VEC/$st" v
	chmod -R u+w v
	: >v/lock
	VP=
	if [ $st = store-encrypted ]; then
		cp "$VEC/store-encrypted.passphrase" vpw
		chmod 600 vpw
		VP="--passphrase-file $PWD/vpw"
	fi
	expect_ok q ls v files.tar $VP
	cp "$OUT" members.before
	expect_ok q clean v $VP
	grep -q "upgraded to the current version" "$OUT" || fail "$st: clean upgraded nothing: $(cat "$OUT")"
	want_v=2
	[ $st = store-encrypted ] && want_v=3
	v2=0
	for m in v/streams/*.qsm v/catalogs/*.qct; do
		[ "$(version "$m")" = $want_v ] && v2=$((v2 + 1))
	done
	[ $v2 -ge 2 ] || fail "$st: clean left no version $want_v manifest and catalogue"
	for name in $(cd v/streams && ls | sed 's/\.qsm$//'); do
		expect_ok q get v "$name" --output got.dat $VP
		[ "$(sha got.dat)" = "$(want_sha "$st" "$name")" ] ||
			fail "$st: $name after clean: sha256 $(sha got.dat), expected $(want_sha "$st" "$name")"
		rm -f got.dat
	done
	expect_ok q ls v files.tar $VP
	cmp -s "$OUT" members.before || fail "$st: members of files.tar changed by clean"
	# (The fixture's backup keystore copy was not kept: verify reports
	# that, exit 6; every stream must be intact.)
	run_q verify v $VP
	grep -q "streams (0 damaged)" "$OUT" || fail "$st: verify after clean: $(cat "$OUT")"
	! grep -q "^DAMAGE" "$OUT" || [ $st = store-encrypted ] ||
		fail "$st: verify after clean: $(grep DAMAGE "$OUT")"
	# A second clean has nothing left to upgrade.
	expect_ok q clean v $VP
	! grep -q "upgraded" "$OUT" || fail "$st: second clean upgraded again: $(cat "$OUT")"
done
