# Issue 17: `make bench` must report, beside the peers, MB per CPU-second,
# the fixed cost per command, a shifted tar, many generations and a summary
# of the issue's targets; and a peer that is missing must be skipped, not
# fail the run.  A self-check of bench/run.sh on a tiny data set (3
# generations of the small tree, one round each), with restic hidden from
# PATH; nothing is installed and the page cache is not dropped.  ~20 s.
. "$CLI_DIR/lib.sh"

ROOT=$(cd "$CLI_DIR/../.." && pwd)
BIN=${QSARC_RELEASE:-$QSARC}
command -v zstd >/dev/null || skip "zstd is not installed"
[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed"

# PATH without restic (and borg): every other program of /usr/bin.
mkdir nobin
for f in /usr/bin/*; do
	case ${f##*/} in restic | borg | borgfs) ;; *) ln -s "$f" "nobin/${f##*/}" ;; esac
done

PATH=$PWD/nobin BENCH_NO_INSTALL=1 BENCH_DROP_CACHES=0 BENCH_SMALL=1 \
	BENCH_GEN=3 BENCH_GROUPS=generations BENCH_SHIFT_GROUPS=generations \
	BENCH_TOOLS="qsarc qsarc-enc restic" BENCH_FIXED_RUNS=1 \
	BENCH_CAT_GROUPS="" BENCH_REPL_GROUPS="" BENCH_PRUNE_GROUPS="" \
	BENCH_DATA=$PWD/data BENCHDIR=$PWD/b QSARC=$BIN \
	timeout 120 "$ROOT/bench/run.sh" >report.txt 2>run.err
rc=$?
[ $rc = 0 ] || { cat run.err report.txt >&2; fail "run.sh exited $rc"; }
grep -q '^bench: restic is not available: skipped' run.err ||
	fail "the missing restic was not reported as skipped"

want() {   # REGEX: a line of the report matches
	grep -Eq -- "$1" report.txt || { cat report.txt >&2; fail "no line /$1/ in the report"; }
}
# The group table: MB/CPU-s beside MB/s for ingest and restore.
want '^tool +ingest MB/s +MB/CPU-s +restore MB/s +MB/CPU-s '
want '^qsarc +[0-9.]+ +[0-9.-]+ +[0-9.]+ +[0-9.-]+ .* ok$'
want '^qsarc-enc +[0-9.]+ +[0-9.-]+ +[0-9.]+ +[0-9.-]+ .* ok$'
want '^whole-stream zstd -3 --long=31 -T1 .*: [0-9]+ B'
# Generations: first and newest, cold, their ratio and the stored bytes.
want '^== generations: 3 streams put in order'
want '^qsarc +[0-9.]+ +[0-9.]+ +[0-9]+% +[0-9]+ +[0-9]+ +[0-9.]+x +\[target >= 90 %: (met|MISSED)\]'
# Shifted tar: the store's growth as % of the tar.
want '^== shifted tar, generations: g000.tar put again with 100 bytes in front'
want '^qsarc +[0-9]+ +[0-9.]+% .*ok \[target < 5 %: (met|MISSED)\]'
# Fixed cost: medians of put and ls, the KDF, the targets.
want '^qsarc +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +ok$'
want '^KDF \(unlock\) = encrypted ls - plain ls = [0-9.]+ s'
want '^qsarc-enc put beyond the KDF: -?[0-9.]+ s \[target <= 30 ms: (met|MISSED)\]'
# The summary: every target with a value and met / MISSED / not judged.
want '^== issue 17 targets, this run'
want '^newest of 3 generations restores at >= 90 % .* qsarc +(met|MISSED) +[0-9]+ %'
want '^100 bytes in front of a tar add < 5 % of its size +generations / qsarc +(met|MISSED)'
want '^fixed cost <= 30 ms beyond the KDF +qsarc-enc put +(met|MISSED)'
want '^stored bytes <= 1.03 x whole-stream zstd .* generations / qsarc +(met|MISSED)'
want '^[0-9]+ met, [0-9]+ missed, [0-9]+ not judged$'
grep -q '^restic ' report.txt && fail "the report names the missing restic"

# The JSON lines: one fixed-cost line per present tool, the generations row.
"$PY" - b/results.json <<'PYEOF' || fail "results.json is not as expected"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
fixed = sorted(r["tool"] for r in rows if r.get("kind") == "fixed")
assert fixed == ["qsarc", "qsarc-enc"], fixed
for r in rows:
    if r.get("kind") == "fixed":
        assert r["ok"] and r["put_s"] > 0 and r["ls_s"] > 0, r
g = [r for r in rows if r.get("group") == "generations" and "kind" not in r]
assert sorted(r["tool"] for r in g) == ["qsarc", "qsarc-enc"], g
for r in g:
    assert r["gen_first_stream"] == "g000.tar" and r["gen_last_stream"] == "g002.tar", r
    assert r["restore_bytes"] == r["gen_first_bytes"] + r["gen_last_bytes"], r
    assert 0 < r["shift_added_bytes"] < r["shift_bytes"], r
    assert r["ingest_cpu_s"] > 0 and r["restore_cpu_s"] >= 0, r
PYEOF
exit 0
