# make install / make uninstall, run from the source tree with DESTDIR and
# PREFIX=/opt/q (issue 16, item 16): the binary, man page and bash
# completion, and under PREFIX/share/doc/qsarc the README, LICENSE, spec/
# and examples/ with the Python reader (what a disaster-recovery kit needs).
# The man page and the systemd units name /opt/q, not /usr/local, and a
# second install with another PREFIX writes the page again (it used to keep
# the PREFIX of the first make).  The completion completes subcommands,
# every option each subcommand's --help lists, fixed values and, given a
# store, its stream names (also of an encrypted store, with its
# --passphrase-file; never asking on a terminal).  uninstall removes every
# file install put.
. "$CLI_DIR/lib.sh"

REPO=$(cd "$CLI_DIR/../.." && pwd)
command -v make >/dev/null 2>&1 || fail "make is not installed"
# The tree's build directory: that of the release binary the runner was
# given (build/, or build-asan/ in the sanitizer pass), already built.
bdir=build
case ${QSARC_RELEASE-} in
"$REPO"/*/qsarc)
	bdir=${QSARC_RELEASE#"$REPO"/}
	bdir=${bdir%/qsarc}
	;;
esac

# treemake ARGS...: make in the source tree, nothing inherited from a make
# that runs this test (make check passes BUILD=..., OPT=... down).
treemake() {
	(cd "$REPO" && exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    -u MAKEOVERRIDES -u BUILD -u OPT -u EXTRA_CFLAGS -u PREFIX \
	    -u DESTDIR make --no-print-directory BUILD="$bdir" "$@")
}

LAST_RC=0
treemake install DESTDIR="$PWD/root" PREFIX=/opt/q >install.log 2>&1 ||
	LAST_RC=$?
[ "$LAST_RC" -eq 0 ] || { tail -n 20 install.log; fail "make install: exit $LAST_RC"; }
P=$PWD/root/opt/q
D=$P/share/doc/qsarc
[ -z "$(find root -mindepth 1 -maxdepth 1 ! -name opt)" ] ||
	fail "make install wrote outside DESTDIR/PREFIX: $(ls root)"

# ---- the files
for f in bin/qsarc share/man/man1/qsarc.1 \
    share/bash-completion/completions/qsarc share/doc/qsarc/README.md \
    share/doc/qsarc/LICENSE share/doc/qsarc/spec/FORMAT.md \
    share/doc/qsarc/examples/README.md share/doc/qsarc/examples/qsarc.cron \
    share/doc/qsarc/examples/nightly-backup.sh \
    share/doc/qsarc/examples/reader/README.md \
    share/doc/qsarc/examples/reader/qsarc_read.py; do
	[ -f "$P/$f" ] || fail "make install did not install PREFIX/$f"
done
[ -x "$P/bin/qsarc" ] || fail "PREFIX/bin/qsarc is not executable"
expect_ok "$P/bin/qsarc" --version
"$P/bin/qsarc" --version | grep -q '^test build' &&
	fail "make install installed the test build"
cmp -s "$REPO/LICENSE" "$D/LICENSE" || fail "the installed LICENSE differs"
# spec/ whole (the vectors too), byte for byte.
diff -r -x __pycache__ "$REPO/spec" "$D/spec" >spec.diff ||
	fail "the installed spec/ differs from the tree's: $(head -n 5 spec.diff)"
# The reader as it is, runnable, and where its README's links lead.
cmp -s "$REPO/examples/reader/qsarc_read.py" "$D/examples/reader/qsarc_read.py" ||
	fail "the installed reader differs from examples/reader/qsarc_read.py"
[ -x "$D/examples/reader/qsarc_read.py" ] || fail "the installed reader is not executable"
[ -f "$D/examples/reader/../../spec/README.md" ] ||
	fail "the reader's link ../../spec/README.md leads nowhere once installed"
for u in "$REPO"/examples/*.service "$REPO"/examples/*.timer "$REPO"/examples/*.sh; do
	[ -f "$D/examples/$(basename "$u")" ] ||
		fail "examples/$(basename "$u") is not installed"
done
[ -x "$D/examples/nightly-backup.sh" ] || fail "the installed nightly-backup.sh is not executable"

# ---- the installed paths: PREFIX, never the default /usr/local.
grep -qF '/opt/q/share/doc/qsarc' "$P/share/man/man1/qsarc.1" ||
	fail "the installed man page does not name /opt/q/share/doc/qsarc"
grep -lF '/usr/local' "$P/share/man/man1/qsarc.1" "$D"/examples/*.service \
    "$D"/examples/*.timer "$D"/examples/qsarc.cron "$D"/examples/README.md \
    "$D"/examples/*.sh >stale.txt && fail "installed files still name /usr/local: $(cat stale.txt)"
for u in "$D"/examples/*.service; do
	exec_line=$(sed -n 's/^ExecStart=//p' "$u")
	case $exec_line in
	/opt/q/*) ;;
	*) fail "$(basename "$u"): ExecStart=$exec_line is not under /opt/q" ;;
	esac
done
grep -q '^ExecStart=/opt/q/bin/qsarc ' "$D/examples/qsarc-rekey.service" ||
	fail "qsarc-rekey.service does not run /opt/q/bin/qsarc"
grep -q '^PATH=/opt/q/sbin:/opt/q/bin:' "$D/examples/qsarc.cron" ||
	fail "qsarc.cron's PATH does not start with /opt/q"
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$P/share/man/man1/qsarc.1" 2>/dev/null >man.txt
	grep -q '/opt/q/share/doc/qsarc/examples' man.txt ||
		fail "the rendered man page does not point at /opt/q/share/doc/qsarc/examples"
fi

# ---- bash completion
C=$P/share/bash-completion/completions/qsarc
expect_ok bash -n "$C"
# comp WORD...: the completions of the last WORD (COMPREPLY, one line).
comp() {
	bash -c 'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _qsarc
	    echo "${COMPREPLY[*]}"' "$C" "$@" 2>>comp.err
}
[ "$(bash -c 'source "$0"; COMP_WORDS=(qsarc ge); COMP_CWORD=1; _qsarc; echo ${COMPREPLY[*]}' "$C")" = get ] ||
	fail "completion of 'qsarc ge': '$(comp qsarc ge)', expected get"
bash -c 'source "$0"; complete -p qsarc' "$C" | grep -q -- '-F _qsarc' ||
	fail "the completion file does not register _qsarc for qsarc"
[ "$(comp qsarc '')" = "$("$P/bin/qsarc" --help |
    sed -n '/^Subcommands:/,/^$/p' | awk 'NF >= 2 && $1 != "Subcommands:" { print $1 }' |
    tr '\n' ' ' | sed 's/ $//')" ] || fail "'qsarc <TAB>' is not the subcommands of --help: $(comp qsarc '')"
[ "$(comp qsarc help re)" = "replicate rekey" ] ||
	fail "completion of 'qsarc help re': '$(comp qsarc help re)'"
# Every option of every subcommand's --help, and no option elsewhere.
nopt=0
for s in $(comp qsarc ''); do
	[ "$s" = help ] && continue
	have=" $(comp qsarc "$s" --) "
	for o in $("$P/bin/qsarc" help "$s" | grep -E '^  -' |
	    grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u); do
		nopt=$((nopt + 1))
		case $have in *" $o "*) ;; *) fail "'qsarc $s --<TAB>' lacks $o (in 'qsarc $s --help')" ;; esac
	done
done
[ $nopt -ge 60 ] || fail "only $nopt options checked"
[ "$(comp qsarc get --ou)" = --output ] || fail "completion of 'get --ou': '$(comp qsarc get --ou)'"
[ "$(comp qsarc init --mode '')" = "internal static" ] ||
	fail "completion of 'init --mode': '$(comp qsarc init --mode '')'"
[ "$(comp qsarc keystore st '')" = "check restore" ] ||
	fail "completion of 'keystore STORE': '$(comp qsarc keystore st '')'"
[ "$(comp qsarc keystore st restore --from '')" = "backup primary" ] ||
	fail "completion of 'keystore STORE restore --from'"
mkdir -p dirs/one dirs/two
[ "$(comp qsarc ls dirs/t)" = dirs/two ] || fail "a store argument does not complete directories: '$(comp qsarc ls dirs/t)'"

# Stream names, read with the installed qsarc (on PATH, as installed).
export PATH="$P/bin:$PATH"
expect_ok q init plain
for n in web1-a web1-b db-x; do
	printf 'stream %s\n' "$n" >in
	expect_ok q put plain "$n" --input in
done
expect_ok q rm plain db-x
[ "$(comp qsarc get plain '')" = "web1-a web1-b" ] ||
	fail "completion of 'get plain': '$(comp qsarc get plain '')', expected web1-a web1-b"
[ "$(comp qsarc rm plain web1-a w)" = "web1-a web1-b" ] ||
	fail "completion of 'rm plain web1-a w': '$(comp qsarc rm plain web1-a w)'"
[ "$(comp qsarc unexpire plain '')" = db-x ] ||
	fail "completion of 'unexpire plain': '$(comp qsarc unexpire plain '')', expected db-x"
[ "$(comp qsarc get --expired plain '')" = db-x ] ||
	fail "completion of 'get --expired plain': '$(comp qsarc get --expired plain '')'"
[ -z "$(comp qsarc put plain '')" ] || fail "'put STORE <TAB>' offers existing names"
[ "$(comp qsarc diff plain web1-a web1-)" = "web1-a web1-b" ] || fail "completion of diff's NEW"
printf 'install passphrase\n' >pass
chmod 600 pass
expect_ok q init enc --encrypt --passphrase-file pass --kdf-memory 8M --kdf-time 1
expect_ok q put enc secret-1 --input in --passphrase-file pass
# Without a passphrase: nothing, at once (setsid: no terminal to ask on).
t0=$(date +%s)
[ -z "$(comp qsarc get enc '')" ] || fail "names of an encrypted store without its passphrase?"
[ $(($(date +%s) - t0)) -le 5 ] || fail "completing an encrypted store's names took over 5 s"
[ "$(comp qsarc get --passphrase-file pass enc '')" = secret-1 ] ||
	fail "completion with --passphrase-file: '$(comp qsarc get --passphrase-file pass enc '')'"
[ "$(comp qsarc replicate --source-passphrase-file pass enc plain '')" = secret-1 ] ||
	fail "replicate's NAMEs are not those of SOURCE"
[ -s comp.err ] && fail "the completion printed on stderr: $(head -n 3 comp.err)"

# ---- PREFIX changes: the man page follows (it kept the first one).
LAST_RC=0
treemake install DESTDIR="$PWD/root2" PREFIX=/opt/r >install2.log 2>&1 ||
	LAST_RC=$?
[ "$LAST_RC" -eq 0 ] || { tail -n 20 install2.log; fail "second make install: exit $LAST_RC"; }
grep -qF '/opt/r/share/doc/qsarc' root2/opt/r/share/man/man1/qsarc.1 ||
	fail "after PREFIX=/opt/q, an install with PREFIX=/opt/r kept the old man page"
grep -qF '/opt/q/' root2/opt/r/share/man/man1/qsarc.1 &&
	fail "the man page of PREFIX=/opt/r names /opt/q"

# ---- uninstall removes every file install put.
LAST_RC=0
treemake uninstall DESTDIR="$PWD/root" PREFIX=/opt/q >uninstall.log 2>&1 ||
	LAST_RC=$?
[ "$LAST_RC" -eq 0 ] || { cat uninstall.log; fail "make uninstall: exit $LAST_RC"; }
left=$(find root ! -type d)
[ -z "$left" ] || fail "make uninstall left: $(echo "$left" | head -n 5)"

# ---- make deps = deps-build + deps-test; deps-build covers debian/control's
# Build-Depends and the packaging tools, deps-test is what only tests use.
treemake -pn deps >db.txt 2>/dev/null || fail "make -pn deps"
build_pkgs=" $(sed -n 's/^DEPS_BUILD = //p' db.txt) "
test_pkgs=" $(sed -n 's/^DEPS_TEST = //p' db.txt) "
[ "$build_pkgs" != "  " ] && [ "$test_pkgs" != "  " ] ||
	fail "the Makefile has no DEPS_BUILD / DEPS_TEST lists"
grep -qE '^deps: deps-build deps-test$' "$REPO/Makefile" ||
	fail "make deps is not deps-build and deps-test"
bdeps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$REPO/debian/control" |
    sed -e 's/^Build-Depends://' -e '/^[A-Z]/d' | tr ',' '\n' |
    sed -e 's/(.*)//' -e 's/ //g' | grep -v '^$')
[ -n "$bdeps" ] || fail "debian/control has no Build-Depends"
for p in $bdeps dpkg-dev debhelper; do
	[ "$p" = debhelper-compat ] && continue
	case $build_pkgs in *" $p "*) ;; *) fail "make deps-build does not install $p (debian/control Build-Depends)" ;; esac
done
for p in libcmocka-dev ceph-common valgrind strace python3-nacl groff-base; do
	case $build_pkgs in *" $p "*) fail "make deps-build installs the test-only $p" ;; esac
	case $test_pkgs in *" $p "*) ;; *) fail "make deps-test does not install $p" ;; esac
	echo "$bdeps" | grep -qx "$p" && fail "debian/control Build-Depends on the test-only $p"
	grep -E '^(Pre-)?Depends:' "$REPO/debian/control" | grep -q "$p" &&
		fail "debian/control: the package Depends on the test-only $p"
done

# Leave the tree's man page as a plain "make" makes it.
treemake "$bdir/qsarc.1" >/dev/null 2>&1 || fail "cannot remake $bdir/qsarc.1"
exit 0
