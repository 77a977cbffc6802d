#!/usr/bin/env bash
# Runs every libFuzzer harness in BINDIR (built by "make fuzz") for
# FUZZ_SECONDS seconds each: first on its regression inputs
# (tests/fuzz/regressions/HARNESS/*, each must pass), then fuzzing with its
# seed corpus (tests/fuzz/corpus/HARNESS, read only) and a working corpus
# in BINDIR/../corpus/HARNESS that grows across runs.  Prints the
# executions per harness; exits 1 if any harness crashed (the crashing
# input is left in BINDIR/../crashes/HARNESS).
#
# FUZZ_WORK=DIR keeps the working corpora in DIR/HARNESS instead (make
# fuzz-long: tests/fuzz/work, kept across runs); FUZZ_TMPDIR=DIR puts the
# store harnesses' temporary stores there (a tmpfs spares the disk).
# Each harness also prints its final coverage ("cov" edges, "ft" features).
#
#   FUZZ_SECONDS=60 tests/fuzz/run.sh build-fuzz/fuzz [HARNESS...]

set -u
bindir=${1:?usage: run.sh BINDIR [HARNESS...]}
shift
secs=${FUZZ_SECONDS:-60}
src=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$bindir/.." && pwd)
failed=0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for bin in "$bindir"/fuzz_*; do
	[ -x "$bin" ] || continue
	h=$(basename "$bin")
	if [ $# -gt 0 ]; then
		sel=0
		for p in "$@"; do [ "$h" = "$p" ] && sel=1; done
		[ $sel -eq 1 ] || continue
	fi
	work=${FUZZ_WORK:-$out/corpus}/$h
	crashes=$out/crashes/$h
	mkdir -p "$work" "$crashes"
	log=$out/$h.log
	if [ -d "$src/regressions/$h" ] &&
	    [ -n "$(ls -A "$src/regressions/$h")" ]; then
		if ! "$bin" "$src/regressions/$h"/* >"$log" 2>&1; then
			echo "FAIL $h: a regression input crashes (see $log)"
			failed=1
			continue
		fi
	fi
	seeds=()
	[ -d "$src/corpus/$h" ] && seeds=("$src/corpus/$h")
	rc=0
	TMPDIR=${FUZZ_TMPDIR:-${TMPDIR:-/tmp}} "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=20 \
	    -rss_limit_mb=4096 -artifact_prefix="$crashes/" \
	    "$work" "${seeds[@]}" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n1)
	if [ $rc -ne 0 ]; then
		echo "FAIL $h: exit $rc after ${execs:-?} executions; input in $crashes (log $log)"
		grep -m3 -E 'ERROR|runtime error|deadly signal' "$log" | sed 's/^/     /'
		failed=1
	else
		printf '%-24s %10s executions in %ss, %s, corpus %s files\n' \
		    "$h" "${execs:-?}" "$secs" "${cov:-cov: ?}" \
		    "$(ls "$work" | wc -l)"
	fi
done
exit $failed
