# qsarc: one non-recursive Makefile.  See README.md for the layout and the
# dependency direction (cmd -> index -> crypto -> format).

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PKGS     = libarchive libsodium libzstd libargon2 libcurl

WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wcast-qual -Wvla -Wformat=2
OPT     ?= -O2 -g
EXTRA_CFLAGS ?=
CFLAGS   = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -I. -pthread \
           $(shell pkg-config --cflags $(PKGS)) $(EXTRA_CFLAGS)
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -pthread -lm
TESTLIBS = $(shell pkg-config --libs cmocka)

BUILD   ?= build
LIBSRC   = $(sort $(wildcard format/*.c crypto/*.c index/*/*.c))
CMDSRC   = $(sort $(wildcard cmd/*.c))
ALERTSRC = $(sort $(wildcard cmd/alerts/*.c))
TESTSRC  = $(sort $(wildcard tests/test_*.c))
BENCHSRC = $(sort $(wildcard bench/*.c))

LIBOBJ   = $(LIBSRC:%.c=$(BUILD)/%.o)
CMDOBJ   = $(CMDSRC:%.c=$(BUILD)/%.o)
ALERTOBJ = $(ALERTSRC:%.c=$(BUILD)/%.o)
TESTBIN  = $(TESTSRC:tests/%.c=$(BUILD)/tests/%)
BENCHBIN = $(BENCHSRC:bench/%.c=$(BUILD)/bench/%)
LIB      = $(BUILD)/libqsarc.a
ALERTLIB = $(BUILD)/libqsarc_alerts.a
BIN      = $(BUILD)/qsarc
# The test build: the same program with the fault-injection and clock hooks
# (QSARC_CRASH_AT, QSARC_ENOSPC_AT, QSARC_COUNT_FILE, QSARC_TEST_NOW)
# compiled in.  Only the files in HOOKSRC differ; they are compiled a second
# time with -DQSARC_TEST_HOOKS under $(BUILD)/hooks/.  The unit and CLI
# tests use it; install, demo and bench use the hook-free $(BIN).
HOOKSRC  = format/fileio.c cmd/cmd_clock.c
HOOKREL  = $(HOOKSRC:%.c=$(BUILD)/%.o)
HOOKOBJ  = $(HOOKSRC:%.c=$(BUILD)/hooks/%.o)
LIBOBJ_T = $(filter-out $(HOOKREL),$(LIBOBJ)) \
           $(patsubst $(BUILD)/%,$(BUILD)/hooks/%,$(filter $(HOOKREL),$(LIBOBJ)))
CMDOBJ_T = $(filter-out $(HOOKREL),$(CMDOBJ)) \
           $(patsubst $(BUILD)/%,$(BUILD)/hooks/%,$(filter $(HOOKREL),$(CMDOBJ)))
LIB_T    = $(BUILD)/libqsarc-test.a
BIN_T    = $(BUILD)/qsarc-test
MAN      = $(BUILD)/qsarc.1
COMPLETION = $(BUILD)/qsarc.bash-completion
DOCDIR    = $(PREFIX)/share/doc/qsarc
BINDIR    = $(PREFIX)/bin
MANDIR    = $(PREFIX)/share/man/man1
COMPDIR   = $(PREFIX)/share/bash-completion/completions
# The installed paths the man page names, recorded by $(PATHS_STAMP).
PATHS_STAMP = $(BUILD)/paths.stamp
# Where "make deb" leaves the packages.
DEB_OUT  ?= $(BUILD)/deb

demo: $(BIN)
	QSARC=$(abspath $(BIN)) examples/demo.sh

# The default goal: build.
.DEFAULT_GOAL := all

.PHONY: all demo check unit cli test asan bench stress fuzz install uninstall \
        deps deps-build deps-test deb clean check-headers check-layers \
        check-passes ci FORCE

all: $(BIN) $(BIN_T) $(MAN) $(COMPLETION)

# The man page: cmd/qsarc.1.in plus the help texts of the binary, and the
# installed paths (PREFIX, DOCDIR), so it depends on the stamp that holds
# them: "make install PREFIX=/opt/q" after a plain "make" writes it again.
$(MAN): $(BIN) cmd/gen_manpage.py cmd/qsarc.1.in $(PATHS_STAMP)
	/usr/bin/python3 cmd/gen_manpage.py --qsarc $(BIN) \
	    --template cmd/qsarc.1.in --docdir $(DOCDIR) -o $@

# Rewritten only when PREFIX or DOCDIR differ from the last run (make
# compares its time after the recipe, so an unchanged file rebuilds nothing).
$(PATHS_STAMP): FORCE
	@mkdir -p $(@D)
	@printf 'PREFIX=%s\nDOCDIR=%s\n' '$(PREFIX)' '$(DOCDIR)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

FORCE:

# The bash completion: cmd/qsarc.bash-completion.in plus the subcommands,
# options and arguments of the binary's help texts (as for the man page).
$(COMPLETION): $(BIN) cmd/gen_completion.py cmd/gen_manpage.py \
    cmd/qsarc.bash-completion.in
	/usr/bin/python3 cmd/gen_completion.py --qsarc $(BIN) \
	    --template cmd/qsarc.bash-completion.in -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/hooks/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DQSARC_TEST_HOOKS -MMD -MP -c $< -o $@

$(LIB): $(LIBOBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIB_T): $(LIBOBJ_T)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# The alert engine (cmd/alerts/) is part of the program, kept in a library
# of its own so that its unit tests link it without main().
$(ALERTLIB): $(ALERTOBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(CMDOBJ) $(ALERTLIB) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CMDOBJ) $(ALERTLIB) $(LIB) $(LDLIBS)

$(BIN_T): $(CMDOBJ_T) $(ALERTLIB) $(LIB_T)
	$(CC) $(CFLAGS) -o $@ $(CMDOBJ_T) $(ALERTLIB) $(LIB_T) $(LDLIBS)

# Unit tests link the test library (test_fileio drives the fault hooks).
$(BUILD)/tests/%: tests/%.c $(ALERTLIB) $(LIB_T)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DQSARC_TEST_HOOKS -MMD -MP -o $@ $< $(ALERTLIB) $(LIB_T) $(LDLIBS) $(TESTLIBS)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIB) $(LDLIBS)

# Unit tests (cmocka), then the CLI scenarios, then the same under
# AddressSanitizer + UndefinedBehaviorSanitizer.  The CLI scenarios run the
# test build $(BIN_T); QSARC_RELEASE names $(BIN) for t_10_test_hooks_off.
unit: $(TESTBIN)
	@set -e; for t in $(TESTBIN); do echo "== $$t"; QSARC_TEST_DATA=tests/data $$t; done

cli: $(BIN) $(BIN_T)
	@QSARC=$(abspath $(BIN_T)) QSARC_RELEASE=$(abspath $(BIN)) tests/cli/run.sh

test: unit cli

# Both passes run with a throw-away Ceph RADOS Gateway on loopback
# (tests/s3/with-gateway.sh starts it, and stops it whatever happens), so
# the S3 tests always run here and in CI.
check: deps check-layers check-headers
	tests/s3/with-gateway.sh $(MAKE) --no-print-directory check-passes

check-passes: test
	QSARC_SANITIZED=1 $(MAKE) --no-print-directory BUILD=build-asan \
	    OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    test

asan:
	$(MAKE) --no-print-directory BUILD=build-asan \
	    OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    test

ci:
	$(MAKE) --no-print-directory EXTRA_CFLAGS=-Werror check

stress: $(BIN) $(BIN_T)
	@QSARC=$(abspath $(BIN_T)) QSARC_RELEASE=$(abspath $(BIN)) QSARC_STRESS=1 tests/cli/run.sh

# The peers' comparison, then the synthetic index test (BENCH_INDEX_ENTRIES:
# 50 million by default, which need about 2.5 GB of /var/tmp; 1 million with
# BENCH_SMALL=1).
BENCH_INDEX_ENTRIES ?= $(if $(filter 1,$(BENCH_SMALL)),1000000,50000000)
bench: $(BIN) $(BENCHBIN)
	@QSARC=$(abspath $(BIN)) BENCHDIR=$(abspath $(BUILD)/bench) bench/run.sh
	@echo "== index: $(BENCH_INDEX_ENTRIES) entries"
	@$(BUILD)/bench/index_bench $(BENCH_INDEX_ENTRIES) /var/tmp

# The layer rules of README.md ("Source layout"): include direction between
# the rooms, the homes of the outside libraries, printing only in cmd/.
check-layers:
	@/usr/bin/python3 tests/check_layers.py .

# Every header must compile on its own.
check-headers:
	@set -e; for h in $(wildcard format/*.h crypto/*.h index/*/*.h cmd/*.h cmd/*/*.h); do \
	    echo "#include \"$$h\"" | $(CC) $(CFLAGS) -x c -fsyntax-only -; done

# The Debian packages: deps-build what building (and packaging: make deb)
# needs, which is debian/control's Build-Depends plus the packaging tools;
# deps-test what only the tests use (cmocka, the reader's Python modules,
# the SMTP sink, man page and tar checks, attr and acl for the xattr and
# ACL restores, valgrind, strace, the Ceph gateway); deps both.  Each
# installs only what is missing.
DEPS_BUILD = build-essential pkg-config libarchive-dev libsodium-dev \
             libzstd-dev libargon2-dev libcurl4-openssl-dev python3 \
             dpkg-dev debhelper
DEPS_TEST  = libcmocka-dev libarchive-tools zstd python3-nacl \
             python3-zstandard python3-argon2 python3-aiosmtpd man-db \
             groff-base attr acl valgrind strace ceph-mon ceph-mgr ceph-osd \
             radosgw ceph-common

deps: deps-build deps-test

deps-build:
	@$(call apt_install,$(DEPS_BUILD))

deps-test:
	@$(call apt_install,$(DEPS_TEST))

apt_install = missing=""; for p in $(1); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq $$missing; fi

bench-deps:
	@for p in restic borgbackup zbackup; do dpkg -s $$p >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq restic borgbackup zbackup; break; }; done

# The program, its man page and bash completion; in $(DOCDIR) the README,
# LICENSE, spec/ and examples/ with the Python reader (examples/reader):
# what it takes to read a store without qsarc.  The examples name the
# installed paths: /usr/local/ in them becomes $(PREFIX)/.
EXAMPLES = $(sort $(wildcard examples/*.sh examples/*.service \
           examples/*.timer)) examples/qsarc.cron examples/README.md \
           examples/reader/README.md examples/reader/qsarc_read.py

install: $(BIN) $(MAN) $(COMPLETION)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) \
	    $(DESTDIR)$(COMPDIR) $(DESTDIR)$(DOCDIR)/examples/reader
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/qsarc
	install -m 0644 $(MAN) $(DESTDIR)$(MANDIR)/qsarc.1
	install -m 0644 $(COMPLETION) $(DESTDIR)$(COMPDIR)/qsarc
	install -m 0644 README.md LICENSE $(DESTDIR)$(DOCDIR)/
	@set -e; for f in $(EXAMPLES); do \
	    mode=0644; [ -x "$$f" ] && mode=0755; \
	    echo "install -m $$mode $$f $(DESTDIR)$(DOCDIR)/$$f (PREFIX $(PREFIX))"; \
	    sed 's#/usr/local/#$(PREFIX)/#g' "$$f" >"$(DESTDIR)$(DOCDIR)/$$f"; \
	    chmod "$$mode" "$(DESTDIR)$(DOCDIR)/$$f"; done
	@set -e; n=0; for f in $$(find spec -name __pycache__ -prune -o -print); do \
	    if [ -d "$$f" ]; then install -d "$(DESTDIR)$(DOCDIR)/$$f"; \
	    else mode=0644; [ -x "$$f" ] && mode=0755; n=$$((n + 1)); \
	    install -m "$$mode" "$$f" "$(DESTDIR)$(DOCDIR)/$$f"; fi; done; \
	echo "install spec/ ($$n files) to $(DESTDIR)$(DOCDIR)/spec/"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/qsarc
	rm -f $(DESTDIR)$(MANDIR)/qsarc.1
	rm -f $(DESTDIR)$(COMPDIR)/qsarc
	rm -rf $(DESTDIR)$(DOCDIR)

# A Debian package of this tree (debian/), built by dpkg-buildpackage in a
# copy of the tree in a temporary directory, so that nothing is left here
# but the packages in $(DEB_OUT); none of this make's variables (BUILD,
# OPT, PREFIX...) reach debian/rules.  make deps-build installs the tools.
deb:
	@command -v dpkg-buildpackage >/dev/null 2>&1 || { echo \
	    "make deb: no dpkg-buildpackage (make deps-build installs dpkg-dev and debhelper)" >&2; \
	    exit 1; }
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	mkdir "$$tmp/qsarc"; \
	tar -c --exclude=./.git --exclude=./build --exclude='./build-*' \
	    --exclude='./$(BUILD)' \
	    --exclude=__pycache__ . | tar -x -C "$$tmp/qsarc"; \
	(cd "$$tmp/qsarc" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    -u MAKEOVERRIDES -u BUILD -u OPT -u EXTRA_CFLAGS -u PREFIX \
	    -u DESTDIR dpkg-buildpackage -us -uc -b); \
	rm -rf $(DEB_OUT); mkdir -p $(DEB_OUT); \
	mv "$$tmp"/*.deb "$$tmp"/*.buildinfo "$$tmp"/*.changes $(DEB_OUT)/; \
	ls -l $(DEB_OUT)

clean:
	rm -rf build build-asan build-fuzz

-include $(LIBOBJ:.o=.d) $(CMDOBJ:.o=.d) $(HOOKOBJ:.o=.d) $(ALERTOBJ:.o=.d) $(TESTBIN:=.d) $(BENCHBIN:=.d)

# libFuzzer harnesses tests/fuzz/fuzz_*.c, built with clang against the
# library compiled with -fsanitize=fuzzer-no-link,address,undefined into
# build-fuzz/.  "make fuzz" runs each for FUZZ_SECONDS (60) on its seeds
# (tests/fuzz/corpus, made by tests/fuzz/make_seeds.sh) and prints its
# executions; "make fuzz-smoke" runs each for 5 s; "make fuzz-long" below.
# Not part of check.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_OPT      = -O1 -g -fno-omit-frame-pointer \
                -fsanitize=fuzzer-no-link,address,undefined
FUZZSRC       = $(sort $(wildcard tests/fuzz/fuzz_*.c))

$(BUILD)/fuzz/%: tests/fuzz/%.c $(ALERTLIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< $(ALERTLIB) $(LIB) $(LDLIBS)

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) \
	    OPT="$(FUZZ_OPT)" $(FUZZSRC:tests/fuzz/%.c=build-fuzz/fuzz/%)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh build-fuzz/fuzz

fuzz-smoke: fuzz-build
	@FUZZ_SECONDS=5 tests/fuzz/run.sh build-fuzz/fuzz

# The long run: each harness (or only those in FUZZ_HARNESSES) for
# FUZZ_SECONDS, here 1800 unless given, one after the other (one core), seeded from
# tests/fuzz/corpus/NAME, growing a working corpus kept across runs in
# tests/fuzz/work/NAME (not in git, not removed by make clean), with
# temporary stores on /dev/shm where there is one (the store harnesses
# fsync).  Prints executions and cov/ft per harness; crashes are left in
# build-fuzz/crashes/NAME and belong in tests/fuzz/regressions/NAME.
FUZZ_LONG_SECONDS = $(if $(filter command line environment,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),1800)
FUZZ_HARNESSES   ?=
fuzz-long: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_LONG_SECONDS) FUZZ_WORK=$(abspath tests/fuzz/work) \
	    FUZZ_TMPDIR=$$(test -d /dev/shm && echo /dev/shm || echo /tmp) \
	    tests/fuzz/run.sh build-fuzz/fuzz $(FUZZ_HARNESSES)

.PHONY: fuzz-build fuzz-smoke fuzz-long
-include $(wildcard build-fuzz/fuzz/*.d)
