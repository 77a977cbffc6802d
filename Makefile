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
DOCDIR   = $(PREFIX)/share/doc/qsarc

demo: $(BIN)
	QSARC=$(abspath $(BIN)) examples/demo.sh

# The default goal: build.
.DEFAULT_GOAL := all

.PHONY: all demo check unit cli test asan bench stress fuzz install uninstall \
        deps clean check-headers check-layers check-passes ci

all: $(BIN) $(BIN_T) $(MAN)

# The man page: cmd/qsarc.1.in plus the help texts of the binary.
$(MAN): $(BIN) cmd/gen_manpage.py cmd/qsarc.1.in
	/usr/bin/python3 cmd/gen_manpage.py --qsarc $(BIN) \
	    --template cmd/qsarc.1.in --docdir $(DOCDIR) -o $@

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
	$(CC) $(CFLAGS) -o $@ $(CMDOBJ) $(ALERTLIB) $(LIB) $(LDLIBS)

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

# The peers' comparison, then the synthetic index test (50 million entries
# by default: BENCH_INDEX_ENTRIES; it needs about 2.5 GB of /var/tmp).
BENCH_INDEX_ENTRIES ?= 50000000
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

# Installs the Debian packages the build, the tests and the benchmark need.
deps:
	@missing=""; for p in build-essential pkg-config libarchive-dev \
	    libsodium-dev libzstd-dev libargon2-dev libcurl4-openssl-dev \
	    libcmocka-dev libarchive-tools zstd python3 python3-nacl \
	    python3-zstandard python3-argon2 python3-aiosmtpd \
	    man-db groff-base ceph-mon ceph-mgr ceph-osd radosgw ceph-common; do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq $$missing; fi

bench-deps:
	@for p in restic borgbackup zbackup; do dpkg -s $$p >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq restic borgbackup zbackup; break; }; done

install: $(BIN) $(BIN_T) $(MAN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/qsarc
	install -m 0644 $(MAN) $(DESTDIR)$(PREFIX)/share/man/man1/qsarc.1
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 0755 examples/*.sh $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 examples/README.md examples/qsarc.cron \
	    examples/*.service examples/*.timer $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/qsarc
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/qsarc.1
	rm -rf $(DESTDIR)$(DOCDIR)

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
