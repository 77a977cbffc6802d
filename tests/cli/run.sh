#!/usr/bin/env bash
# Runs the CLI scenarios tests/cli/t_*.sh in order, each with bash in its
# own fresh temporary directory (removed afterwards, kept on failure when
# QSARC_KEEP=1), and prints "ok"/"FAIL" with the time of each, then exactly
# one line "N passed, N failed".  Exits 1 if any scenario failed.
#
#   QSARC=/abs/path/to/qsarc-test tests/cli/run.sh [PATTERN...]
#
# QSARC is the test build (build/qsarc-test: the fault-injection and clock
# hooks QSARC_CRASH_AT, QSARC_ENOSPC_AT, QSARC_COUNT_FILE, QSARC_TEST_NOW
# compiled in); many scenarios need those hooks.  QSARC_RELEASE names the
# hook-free release binary (build/qsarc) that t_10_test_hooks_off checks;
# it defaults to "qsarc" beside a QSARC named "qsarc-test".
#
# PATTERNs (substrings of the file names) select scenarios.  Environment:
#   QSARC_STRESS=1     long variants
#   QSARC_SANITIZED=1  the binary is an ASan/UBSan build (shrinks big tests)
#   QSARC_KEEP=1       keep the temporary directory of a failed scenario
#   QSARC_CLI_TIMEOUT  seconds a scenario may take (default 900)

set -u

if [ -z "${QSARC:-}" ] || [ ! -x "$QSARC" ]; then
	echo "run.sh: QSARC must name the qsarc binary (got '${QSARC:-}')" >&2
	exit 2
fi
case $QSARC in
/*) ;;
*) QSARC=$(cd "$(dirname "$QSARC")" && pwd)/$(basename "$QSARC") ;;
esac

if [ -z "${QSARC_RELEASE:-}" ] && [ "$(basename "$QSARC")" = qsarc-test ] &&
    [ -x "$(dirname "$QSARC")/qsarc" ]; then
	QSARC_RELEASE=$(dirname "$QSARC")/qsarc
fi
export QSARC_RELEASE=${QSARC_RELEASE:-}
if ! "$QSARC" --version 2>/dev/null | grep -q '^test build:'; then
	echo "run.sh: $QSARC is not a test build (use build/qsarc-test):" \
	    "the fault-injection and clock scenarios will fail" >&2
fi

CLI_DIR=$(cd "$(dirname "$0")" && pwd)
DATA_DIR=$(cd "$CLI_DIR/.." && pwd)/data
export QSARC CLI_DIR DATA_DIR
export QSARC_STRESS=${QSARC_STRESS:-0}
export QSARC_SANITIZED=${QSARC_SANITIZED:-0}
# Sanitizer reports must fail the scenario, not just print.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
TIMEOUT=${QSARC_CLI_TIMEOUT:-900}

passed=0
failed=0
failed_names=""
known=""
t_all=$(date +%s%3N)

for script in "$CLI_DIR"/t_*.sh; do
	[ -e "$script" ] || continue
	name=$(basename "$script" .sh)
	if [ $# -gt 0 ]; then
		sel=0
		for p in "$@"; do
			case $name in *"$p"*) sel=1 ;; esac
		done
		[ $sel -eq 1 ] || continue
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/qsarc-cli-$name.XXXXXX")
	log=$(mktemp "${TMPDIR:-/tmp}/qsarc-cli-$name.log.XXXXXX")
	t0=$(date +%s%3N)
	rc=0
	if command -v timeout >/dev/null 2>&1; then
		(cd "$dir" && exec timeout -k 10 "$TIMEOUT" bash "$script") \
		    </dev/null >"$log" 2>&1 || rc=$?
	else
		(cd "$dir" && exec bash "$script") </dev/null >"$log" 2>&1 ||
		    rc=$?
	fi
	t1=$(date +%s%3N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		printf 'ok   %-34s %6ss\n' "$name" "$secs"
		grep -E '^(NOTE|SKIP|KNOWN BUG):' "$log" | sed 's/^/     /'
		if grep -q '^KNOWN BUG:' "$log"; then
			known="$known$(grep '^KNOWN BUG:' "$log" | sed "s/^/  $name: /")
"
		fi
	else
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		[ $rc -eq 124 ] && echo "(timed out after ${TIMEOUT}s)" >>"$log"
		printf 'FAIL %-34s %6ss (exit %d)\n' "$name" "$secs" "$rc"
		tail -n 40 "$log" | sed 's/^/     | /'
	fi
	# Containers are read-only; make everything removable.
	chmod -R u+rwX "$dir" 2>/dev/null
	if [ $rc -ne 0 ] && [ "${QSARC_KEEP:-0}" = 1 ]; then
		echo "     kept $dir"
	else
		rm -rf "$dir"
	fi
	rm -f "$log"
done

t_end=$(date +%s%3N)
if [ -n "$known" ]; then
	echo "Known bugs reported (not counted as failures):"
	printf '%s' "$known"
fi
[ $failed -gt 0 ] && echo "failed:$failed_names"
echo "total time: $(awk -v a="$t_all" -v b="$t_end" 'BEGIN { printf "%.1f", (b - a) / 1000 }')s"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
