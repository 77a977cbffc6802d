# Tar streams made here by GNU tar and bsdtar in several dialects (gnu,
# posix/pax with xattrs and ACLs, sparse files, long names, hard and
# symbolic links): stored byte for byte, listed as tar -t lists them, and
# one member taken out with get --member extracts (with GNU tar and with
# bsdtar) to the original file.  Compressed tars and --no-catalog get no
# catalogue; an encrypted store keeps member names out of sight.
. "$CLI_DIR/lib.sh"

command -v bsdtar >/dev/null 2>&1 || skip "bsdtar (libarchive-tools) is not installed"
tar --version 2>/dev/null | grep -q 'GNU tar' || skip "tar is not GNU tar"

# The tree.  Names are ASCII so that GNU tar and qsarc escape alike.
mkdir -p src/sub/deeper
gen_file 1 70K src/plain.bin
gen_file 2 3K src/sub/small.bin
printf 'hello\n' >src/sub/deeper/hello.txt
: >src/empty
# A name over 100 bytes, and a path over 255 bytes.
long100=$(printf 'n%.0s' $(seq 120))
mkdir -p "src/$long100"
gen_file 3 5K "src/$long100/f.bin"
d=src
for i in 1 2 3; do
	d="$d/$(printf 'd%.0s' $(seq 90))$i"
done
mkdir -p "$d"
gen_file 4 9K "$d/long-path-file.bin"
longpath=${d#src/}/long-path-file.bin
[ ${#longpath} -gt 255 ] || fail "test setup: long path is only ${#longpath} bytes"
gen_file 8 6K src/linked.bin
ln src/linked.bin src/hardlink.bin
ln -s sub/deeper/hello.txt src/symlink
# A sparse file: data, a hole of 8 MiB, data.
gen_file 5 20K src/sparse.bin
truncate -s 8M src/sparse.bin
gen 6 12K >>src/sparse.bin
# Best effort: an extended attribute and an ACL.
xattr=0
if "$PY" -c 'import os; os.setxattr("src/plain.bin", "user.qsarc", b"value")' 2>/dev/null; then
	xattr=1
fi
acl=0
if command -v setfacl >/dev/null 2>&1 && setfacl -m u:12345:r src/sub/small.bin 2>/dev/null; then
	acl=1
fi
[ $xattr = 1 ] || note "no user xattrs here: the posix stream has none"
[ $acl = 1 ] || note "no ACLs here (setfacl missing or unsupported): the posix stream has none"

# make_tar NAME: write NAME.tar from src in one dialect.
make_tar() {
	case $1 in
	gnu)        tar -cf gnu.tar --format=gnu -C . src ;;
	gnu-sparse) tar -cf gnu-sparse.tar --format=gnu --sparse -C . src ;;
	posix)      tar -cf posix.tar --format=posix --xattrs --acls -C . src 2>/dev/null ||
	                tar -cf posix.tar --format=posix -C . src ;;
	posix-sparse) tar -cf posix-sparse.tar --format=posix --sparse -C . src ;;
	bsd-pax)    bsdtar -cf - --format pax -C . src >bsd-pax.tar ;;
	bsd-gnutar) bsdtar -cf - --format gnutar -C . src >bsd-gnutar.tar ;;
	bsd-ustar)  # ustar cannot hold the long names: leave them out.
	            bsdtar -cf - --format ustar -C . --exclude "$long100" \
	                --exclude 'dddd*' src >bsd-ustar.tar ;;
	esac
}

expect_ok q init s
for dialect in gnu gnu-sparse posix posix-sparse bsd-pax bsd-gnutar bsd-ustar; do
	make_tar $dialect || fail "could not make the $dialect tar"
	t=$dialect.tar
	# From a pipe, as a backup job would send it.
	"$QSARC" put s "$dialect" <"$t" 2>"$ERR" >/dev/null || fail "put of $t: exit $?"
	restores s "$dialect" "$t"
	expect_ok q ls s "$dialect"
	tar -tf "$t" >ref.list 2>/dev/null || fail "GNU tar cannot list its own $t"
	if ! cmp -s "$OUT" ref.list; then
		diff "$OUT" ref.list | head -n 10 >&2
		fail "ls s $dialect differs from tar -tf $t"
	fi
	grep -q 'stops at byte' "$ERR" && fail "ls s $dialect: the catalogue of a clean $t stopped early: $(cat "$ERR")"

	# Members out one at a time: the tar qsarc writes extracts, with GNU
	# tar and with bsdtar, to the original files.
	members="src/plain.bin src/sub/deeper/hello.txt src/sparse.bin"
	case $dialect in
	bsd-ustar) ;;
	*) members="$members src/$long100/f.bin src/$longpath" ;;
	esac
	for m in $members; do
		rm -rf xg xb && mkdir xg xb
		expect_ok q get s "$dialect" --member "$m" --output one.tar --force
		tar -xf one.tar -C xg 2>"$ERR" || fail "$dialect: GNU tar cannot extract get --member $m: $(head -n 2 "$ERR")"
		bsdtar -xf one.tar -C xb 2>"$ERR" || fail "$dialect: bsdtar cannot extract get --member $m: $(head -n 2 "$ERR")"
		cmp -s "$m" "xg/$m" || fail "$dialect: member $m extracted by GNU tar differs from the original"
		cmp -s "$m" "xb/$m" || fail "$dialect: member $m extracted by bsdtar differs from the original"
		# Only that member (the parent directories are not members).
		[ "$(find xg -type f | wc -l)" = 1 ] || fail "$dialect: get --member $m wrote $(find xg -type f | wc -l) files"
	done
	# Straight to disk.
	rm -rf xd && mkdir xd
	expect_ok q get s "$dialect" --member src/sub --extract-to xd
	cmp -s src/sub/small.bin xd/src/sub/small.bin || fail "$dialect: --extract-to src/sub: small.bin differs"
	cmp -s src/sub/deeper/hello.txt xd/src/sub/deeper/hello.txt || fail "$dialect: --extract-to src/sub: hello.txt differs"
	[ ! -e xd/src/plain.bin ] || fail "$dialect: --extract-to src/sub also extracted src/plain.bin"
	# The hard link and its target (either may come first), the symlink.
	rm -rf xh && mkdir xh
	expect_ok q get s "$dialect" --member src/linked.bin --member src/hardlink.bin --member src/symlink --output hl.tar --force
	tar -xf hl.tar -C xh 2>"$ERR" || fail "$dialect: GNU tar cannot extract the hard link pair: $(head -n 2 "$ERR")"
	cmp -s src/linked.bin xh/src/hardlink.bin || fail "$dialect: the hard link extracts to other bytes"
	cmp -s src/linked.bin xh/src/linked.bin || fail "$dialect: the hard link target extracts to other bytes"
	[ "$(readlink xh/src/symlink)" = sub/deeper/hello.txt ] || fail "$dialect: the symlink extracts as '$(readlink xh/src/symlink)'"
done

# Sparse members are marked in the catalogue, with their full size.
expect_ok q ls s posix-sparse --json
"$PY" - "$OUT" <<'EOF' || fail "posix-sparse: sparse.bin has the wrong size in ls --json"
import json, sys
m = [m for m in json.load(open(sys.argv[1]))["members"] if m["path"] == "src/sparse.bin"]
assert len(m) == 1 and m[0]["size"] == 8 * 1048576 + 12 * 1024, m
EOF

# xattrs and ACLs survive get --member of a posix stream (best effort:
# only when the file system had them to begin with).
if [ $xattr = 1 ] && tar -tvf posix.tar --xattrs >/dev/null 2>&1; then
	rm -rf xx && mkdir xx
	expect_ok q get s posix --member src/plain.bin --output x.tar --force
	tar -xf x.tar -C xx --xattrs --xattrs-include='user.*' 2>/dev/null || true
	v=$("$PY" -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.qsarc").decode())' xx/src/plain.bin 2>/dev/null) || v=
	[ "$v" = value ] || fail "posix: the xattr of src/plain.bin is lost through get --member (got '$v')"
fi

# A compressed tar is stored as it is, with no catalogue.
gzip -c gnu.tar >gnu.tar.gz
roundtrip s gz gnu.tar.gz
expect_fail 3 'no member catalogue' q ls s gz
expect_fail 3 'no member catalogue' q get s gz --member src/plain.bin
# --no-catalog: the same for a plain tar.
expect_ok q put s nocat --no-catalog --input gnu.tar
restores s nocat gnu.tar
expect_fail 3 'no member catalogue' q ls s nocat
# Not tar at all.
gen_file 7 300K random.bin
roundtrip s random random.bin
expect_fail 3 'no member catalogue' q ls s random
expect_exit 3 q diff s gnu random

# Every catalogue file is named by a manifest: the ones above made none.
ncat=$(find s/catalogs -name '*.qct' | wc -l)
[ "$ncat" = 7 ] || fail "expected 7 catalogue files (one per dialect), found $ncat"

# An encrypted store: member names are not in the clear anywhere.
KDF="--kdf-memory 8M --kdf-time 1"
printf 'tar catalogue passphrase' >pw
MARK=QSARC-MEMBER-NAME-c4d1e9
mkdir -p enc/dir
printf 'x\n' >"enc/dir/$MARK.txt"
tar -cf enc.tar --format=posix -C . enc
# shellcheck disable=SC2086
expect_ok q init e --encrypt --passphrase-file pw --keystore-backup "$PWD/e.qsk" $KDF
expect_ok q put e m --input enc.tar --passphrase-file pw
[ "$(find e/catalogs -name '*.qct' | wc -l)" = 1 ] || fail "the encrypted store has no catalogue file"
grep -rqa -- "$MARK" e && fail "a member name appears in the clear in the encrypted store: $(grep -rla -- "$MARK" e)"
expect_ok q ls e m --passphrase-file pw
grep -q "$MARK" "$OUT" || fail "ls of the encrypted stream does not list the member"
expect_ok q get e m --member "enc/dir/$MARK.txt" --passphrase-file pw --output encm.tar
[ "$(tar -xOf encm.tar)" = x ] || fail "get --member from the encrypted store"
expect_exit 5 q ls e m
# The same in a plain store does show the name: the grep can see it.
expect_ok q init p
expect_ok q put p m --input enc.tar
grep -rqa -- "$MARK" p/catalogs || fail "the member name is not visible in a plain catalogue either: the check is blind"
