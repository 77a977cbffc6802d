# make deb (issue 16, item 16): debian/ builds a Debian package with
# dpkg-buildpackage -us -uc -b, in a copy of the tree, so that nothing is
# left in the tree but the packages in DEB_OUT.  The package holds
# /usr/bin/qsarc (the release build), the man page and bash completion, and
# /usr/share/doc/qsarc with LICENSE, spec/ (uncompressed) and the examples
# with the Python reader, naming /usr; Depends (from ${shlibs:Depends}) has
# the libraries and none of the test-only packages.  Runs only where
# dpkg-buildpackage is (make deps-build installs it; so does CI's make check).
. "$CLI_DIR/lib.sh"

REPO=$(cd "$CLI_DIR/../.." && pwd)
[ "$QSARC_SANITIZED" = 1 ] &&
	skip "the package build compiles its own binary; run once, in the plain pass"
command -v dpkg-buildpackage >/dev/null 2>&1 ||
	skip "dpkg-buildpackage is not installed (make deps-build installs dpkg-dev and debhelper): the .deb was not built or checked"
command -v dh >/dev/null 2>&1 ||
	skip "debhelper is not installed (make deps-build installs it): the .deb was not built or checked"
command -v make >/dev/null 2>&1 || fail "make is not installed"

treemake() {
	(cd "$REPO" && exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    -u MAKEOVERRIDES -u BUILD -u OPT -u EXTRA_CFLAGS -u PREFIX \
	    -u DESTDIR make --no-print-directory "$@")
}

# What the tree holds before, to show the build left nothing behind.
snapshot() {
	(cd "$REPO" && find . -path ./.git -prune -o -path './build*' -prune -o \
	    -name __pycache__ -prune -o -print | sort)
	ls -a "$REPO/.." | grep -E '^qsarc[-_].*\.(deb|buildinfo|changes)$' || true
}
snapshot >before.txt

# One compiler job: the machine is shared (dh would use every core).
LAST_RC=0
DEB_BUILD_OPTIONS=parallel=1 treemake deb DEB_OUT="$PWD/deb" >deb.log 2>&1 ||
	LAST_RC=$?
[ "$LAST_RC" -eq 0 ] || { tail -n 30 deb.log; fail "make deb: exit $LAST_RC"; }
snapshot >after.txt
diff before.txt after.txt >debris.txt ||
	fail "make deb changed the tree: $(head -n 10 debris.txt)"

ver=$("$QSARC" --version | awk 'NR == 1 { print $2 }')
arch=$(dpkg --print-architecture)
deb=deb/qsarc_${ver}_$arch.deb
[ -f "$deb" ] || fail "make deb made no $deb: $(ls deb)"
ls deb/*.changes >/dev/null 2>&1 || fail "make deb left no .changes in DEB_OUT"

# ---- contents
dpkg-deb -c "$deb" | awk '{ print $1, $NF }' >contents.txt ||
	fail "dpkg-deb -c $deb"
has() {
	grep -qE "^$1 \\./$2\$" contents.txt || fail "the package lacks /$2 (mode $1)"
}
has '-rwxr-xr-x' usr/bin/qsarc
has '-rw-r--r--' 'usr/share/man/man1/qsarc\.1\.gz'
has '-rw-r--r--' usr/share/bash-completion/completions/qsarc
has '-rw-r--r--' usr/share/doc/qsarc/copyright
has '-rw-r--r--' usr/share/doc/qsarc/LICENSE
has '-rw-r--r--' usr/share/doc/qsarc/spec/FORMAT.md
has '-rw-r--r--' usr/share/doc/qsarc/spec/README.md
has '-rwxr-xr-x' usr/share/doc/qsarc/examples/reader/qsarc_read.py
has '-rw-r--r--' usr/share/doc/qsarc/examples/qsarc-backup.service
has '-rwxr-xr-x' usr/share/doc/qsarc/examples/nightly-backup.sh
grep -qE '(usr/local|lib/systemd)' contents.txt &&
	fail "the package installs under /usr/local or enables units: $(grep -E 'usr/local|lib/systemd' contents.txt | head -n 3)"
nspec=$(cd "$REPO" && find spec -name __pycache__ -prune -o -type f -print | wc -l)
[ "$(grep -c ' \./usr/share/doc/qsarc/spec/.*[^/]$' contents.txt)" -eq "$nspec" ] ||
	fail "the package does not hold the $nspec files of spec/"

# ---- control: Depends from the shared libraries, no test-only package.
dpkg-deb -f "$deb" Depends >depends.txt || fail "dpkg-deb -f Depends"
dpkg-deb -I "$deb" >info.txt || fail "dpkg-deb -I"
for lib in libarchive libsodium libzstd libargon2 libcurl libc6; do
	grep -q "$lib" depends.txt || fail "Depends lacks $lib: $(cat depends.txt)"
done
for t in cmocka ceph radosgw valgrind strace python3 groff aiosmtpd; do
	grep -q "$t" depends.txt && fail "Depends has the test-only $t: $(cat depends.txt)"
done
grep -q "^ Version: $ver\$" info.txt || fail "the package version is not $ver"

# ---- unpacked: the binary runs, the page and the units name /usr.
expect_ok dpkg-deb -x "$deb" x
expect_ok x/usr/bin/qsarc --version
grep -q '^test build' "$OUT" && fail "the package holds the test build"
[ "$(head -n 1 "$OUT")" = "$("$QSARC" --version | head -n 1)" ] ||
	fail "the packaged qsarc is another version: $(head -n 1 "$OUT")"
zcat x/usr/share/man/man1/qsarc.1.gz >qsarc.1 || fail "cannot unpack the man page"
grep -qF '/usr/share/doc/qsarc' qsarc.1 || fail "the packaged man page does not name /usr/share/doc/qsarc"
grep -qF '/usr/local' qsarc.1 && fail "the packaged man page names /usr/local"
grep -q '^ExecStart=/usr/bin/qsarc ' x/usr/share/doc/qsarc/examples/qsarc-rekey.service ||
	fail "the packaged qsarc-rekey.service does not run /usr/bin/qsarc"
grep -rlF '/usr/local' x/usr/share/doc/qsarc/examples >stale.txt &&
	fail "packaged examples name /usr/local: $(cat stale.txt)"
[ "$(bash -c 'source "$0"; COMP_WORDS=(qsarc ge); COMP_CWORD=1; _qsarc; echo ${COMPREPLY[*]}' \
    x/usr/share/bash-completion/completions/qsarc)" = get ] ||
	fail "the packaged completion does not complete 'qsarc ge'"
cmp -s "$REPO/spec/FORMAT.md" x/usr/share/doc/qsarc/spec/FORMAT.md ||
	fail "the packaged spec/FORMAT.md differs (compressed?)"
note "$(basename "$deb"): $(wc -c <"$deb") bytes, Depends: $(cat depends.txt)"
exit 0
