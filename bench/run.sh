#!/usr/bin/env bash
# bench/run.sh: same-run comparison of qsarc against restic, borg and zbackup
# on a deterministic data set (bench/gendata.py).  See bench/README.md.
#
# Run by `make bench` as
#   QSARC=<abs build/qsarc> BENCHDIR=<abs build/bench> bench/run.sh
# Environment:
#   BENCH_GROUPS   groups to run            (default "image tree versions")
#   BENCH_TOOLS    tools to run             (default "qsarc restic borg zbackup",
#                  plus qsarc-enc when `qsarc help init` mentions --encrypt)
#   BENCH_SMALL=1  small data set for a quick smoke run
#   BENCH_DATA     data cache directory     (default /var/tmp/qsarc-bench-data)
#   BENCH_OUT      JSON-lines results file  (default $BENCHDIR/results.json;
#                  appended to, one line per group and tool, tagged by "run")
#   BENCH_WORK     scratch dir for repos    (default $BENCHDIR/work)
#   BENCH_TIMEOUT  seconds allowed for one tool command (default 900)
#
# Adding a tool: define t_init_NAME REPO (creates the repository), and
# t_put_NAME REPO STREAM / t_get_NAME REPO STREAM (which set the arrays PUT /
# GET to an argv that reads the stream on stdin / writes it to stdout), with
# NAME's '-' spelled '_'; then list it in BENCH_TOOLS.

set -uo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QSARC=${QSARC:-$ROOT/build/qsarc}
BENCHDIR=${BENCHDIR:-$ROOT/build/bench}
SMALL=${BENCH_SMALL:-0}
[ "$SMALL" = 1 ] && SIZE=small || SIZE=full
DATA=${BENCH_DATA:-/var/tmp/qsarc-bench-data}/$SIZE
OUT=${BENCH_OUT:-$BENCHDIR/results.json}
WORK=${BENCH_WORK:-$BENCHDIR/work}
LOGS=$BENCHDIR/logs
TMO=${BENCH_TIMEOUT:-900}
BGROUPS=${BENCH_GROUPS:-image tree versions}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
RUN=$(date -u +%Y-%m-%dT%H:%M:%SZ)

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

# zbackup (LZMA, slow) is only a stored-size reference on the tar groups.
tool_skips_group() {
	[ "$1" = zbackup ] && [ "$2" = image ]
}

# --- tools -------------------------------------------------------------------

# qsarc: no encryption (until the encrypted store lands: see qsarc-enc).
t_init_qsarc() { "$QSARC" init "$1"; }
t_put_qsarc()  { PUT=("$QSARC" put "$1" "$2"); }
t_get_qsarc()  { GET=("$QSARC" get "$1" "$2"); }

# qsarc-enc: encrypted store, passphrase from a file.
t_init_qsarc_enc() { "$QSARC" init "$1" --encrypt --passphrase-file "$PWFILE"; }
t_put_qsarc_enc()  { PUT=("$QSARC" put "$1" "$2" --passphrase-file "$PWFILE"); }
t_get_qsarc_enc()  { GET=("$QSARC" get "$1" "$2" --passphrase-file "$PWFILE"); }

# restic: repository v2 (zstd "auto" compression), AES-256-CTR + Poly1305.
t_init_restic() { restic -r "$1" init; }
t_put_restic()  { PUT=(restic -r "$1" backup --quiet --stdin --stdin-filename "$2"); }
t_get_restic()  { GET=(restic -r "$1" dump --quiet --path "/$2" latest "/$2"); }

# borg: repokey-blake2 (AES-256-CTR + BLAKE2b MAC), default lz4 compression.
t_init_borg() { borg init --encryption=repokey-blake2 "$1"; }
t_put_borg()  { PUT=(borg create "$1::$2" -); }
t_get_borg()  { GET=(borg extract --stdout "$1::$2"); }

# zbackup: not encrypted, default LZMA compression.
t_init_zbackup() { zbackup --non-encrypted --silent init "$1"; }
t_put_zbackup()  { PUT=(zbackup --non-encrypted --silent backup "$1/backups/$2"); }
t_get_zbackup()  { GET=(zbackup --non-encrypted --silent restore "$1/backups/$2"); }

tool_version() {
	case $1 in
	qsarc*) printf 'git %s' "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)" ;;
	restic) restic version 2>/dev/null | awk '{print $2}' ;;
	borg) borg --version 2>/dev/null | awk '{print $2}' ;;
	zbackup) zbackup --help 2>&1 | sed -n 's/.*ZBackup version \([^ ]*\).*/\1/p' | head -1 ;;
	*) echo unknown ;;
	esac
}

tool_present() {
	case $1 in
	qsarc | qsarc-enc) [ -x "$QSARC" ] && "$QSARC" --help >/dev/null 2>&1 ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

# --- setup -------------------------------------------------------------------

if [ -z "${BENCH_TOOLS:-}" ]; then
	BENCH_TOOLS="qsarc restic borg zbackup"
	if tool_present qsarc &&
		{ "$QSARC" --help; "$QSARC" help init; } 2>&1 | grep -q -- --encrypt; then
		BENCH_TOOLS="qsarc qsarc-enc restic borg zbackup"
	fi
fi

if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" = 0 ]; then
		say "bench: installing GNU time (/usr/bin/time) ..."
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		  apt-get install -y -qq time; } >/dev/null 2>&1
	fi
	[ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install time"
fi
command -v timeout >/dev/null || die "timeout (coreutils) is missing"

need_deps=0
for t in $BENCH_TOOLS; do
	case $t in restic | borg | zbackup) tool_present "$t" || need_deps=1 ;; esac
done
if [ $need_deps = 1 ]; then
	if [ "$(id -u)" = 0 ]; then
		say "bench: installing restic, borgbackup, zbackup (make bench-deps) ..."
		make -C "$ROOT" --no-print-directory bench-deps >&2 ||
			say "bench: make bench-deps failed"
	else
		say "bench: some peers are missing; run 'make bench-deps' as root"
	fi
fi
TOOLS=""
for t in $BENCH_TOOLS; do
	declare -F "t_init_${t//-/_}" >/dev/null || die "unknown tool '$t'"
	if tool_present "$t"; then
		TOOLS="$TOOLS $t"
	else
		say "bench: $t is not available: skipped"
	fi
done
[ -n "$TOOLS" ] || die "no tool to run"

mkdir -p "$BENCHDIR" "$LOGS" "$(dirname "$OUT")" || die "cannot create $BENCHDIR"
# $WORK is wiped: refuse a non-empty directory that this script did not make.
if [ -d "$WORK" ] && [ -n "$(ls -A "$WORK")" ] && [ ! -e "$WORK/.qsarc-bench-work" ]; then
	die "$WORK is not empty and not a bench scratch dir: set BENCH_WORK"
fi
{ rm -rf "$WORK" && mkdir -p "$WORK" && : >"$WORK/.qsarc-bench-work"; } ||
	die "cannot create $WORK"
PWFILE=$WORK/passphrase
printf 'correct horse battery staple qsarc bench\n' >"$PWFILE"
export RESTIC_PASSWORD_FILE=$PWFILE
export BORG_PASSPHRASE="correct horse battery staple qsarc bench"
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export BORG_DISPLAY_PASSPHRASE=no

say "bench: generating / checking the $SIZE data set in $DATA ..."
gflag=""; [ "$SMALL" = 1 ] && gflag=--small
# shellcheck disable=SC2086  # word splitting of $gflag and $BGROUPS wanted
"$PY" "$ROOT/bench/gendata.py" $gflag "$DATA" $BGROUPS >&2 || die "gendata.py failed"

CACHES_DROPPED=1
drop_caches() {
	sync
	if ! { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
		CACHES_DROPPED=0
	fi
}

now_us() { local t=${EPOCHREALTIME/./}; echo "${t/,/}"; }

# --- one group x one tool ----------------------------------------------------

json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "${s//$'\n'/ }"; }

bench_one() {
	local group=$1 tool=$2 fn=${2//-/_}
	local repo=$WORK/$tool-$group log=$LOGS/$group-$tool.log
	local rssf=$WORK/rss out=$WORK/restore.out
	local files=() f line
	while read -r line; do files+=("${line%% *}"); done <"$DATA/$group/MANIFEST"

	local logical=0 ok=true verified=true note=""
	local in_us=0 out_us=0 in_rss=0 out_rss=0 stored=0 t0 t1 r load
	load=$(cut -d' ' -f1 /proc/loadavg)   # other work on the machine skews all
	for f in "${files[@]}"; do
		logical=$((logical + $(stat -c %s "$DATA/$group/$f")))
	done
	rm -rf "$repo" "$WORK/cache"
	mkdir -p "$WORK/cache"
	export RESTIC_CACHE_DIR=$WORK/cache/restic BORG_BASE_DIR=$WORK/cache/borg
	export QSARC_STATE_DIR=$WORK/cache/qsarc   # qsarc-enc's backup keystore
	: >"$log"

	say "bench: $group / $tool: ingest ${#files[@]} stream(s), $((logical / 1000000)) MB ..."
	if ! "t_init_$fn" "$repo" >>"$log" 2>&1; then
		ok=false note="init failed"
	fi
	# Warm the inputs so ingest measures the tool, not the disk.
	cat "${files[@]/#/$DATA/$group/}" >/dev/null
	if $ok; then
		for f in "${files[@]}"; do
			"t_put_$fn" "$repo" "$f"
			echo "== put $f: ${PUT[*]}" >>"$log"
			t0=$(now_us)
			timeout "$TMO" /usr/bin/time -f %M -o "$rssf" "${PUT[@]}" \
				<"$DATA/$group/$f" >>"$log" 2>&1
			r=$?
			t1=$(now_us)
			in_us=$((in_us + t1 - t0))
			if [ $r != 0 ]; then ok=false note="put $f exited $r"; break; fi
			r=$(tail -n 1 "$rssf"); [ "$r" -gt "$in_rss" ] && in_rss=$r
		done
		# Count the time to make the repository durable: a tool that
		# leaves its writes in the page cache must not win by it.
		t0=$(now_us); sync; t1=$(now_us)
		in_us=$((in_us + t1 - t0))
	fi
	$ok && stored=$(du -sb "$repo" | cut -f1)

	if $ok; then
		say "bench: $group / $tool: restore and verify ..."
		drop_caches
		for f in "${files[@]}"; do
			"t_get_$fn" "$repo" "$f"
			echo "== get $f: ${GET[*]}" >>"$log"
			t0=$(now_us)
			timeout "$TMO" /usr/bin/time -f %M -o "$rssf" "${GET[@]}" \
				>"$out" 2>>"$log" </dev/null
			r=$?
			t1=$(now_us)
			out_us=$((out_us + t1 - t0))
			if [ $r != 0 ]; then ok=false note="get $f exited $r"; break; fi
			r=$(tail -n 1 "$rssf"); [ "$r" -gt "$out_rss" ] && out_rss=$r
			if ! cmp -s "$out" "$DATA/$group/$f"; then
				verified=false note="restored $f differs from the input"
				say "bench: $group / $tool: MISMATCH on $f"
			fi
			rm -f "$out"
		done
	fi
	$ok || { verified=false; say "bench: $group / $tool: FAILED ($note), see $log"; }
	rm -rf "$repo" "$WORK/cache"

	{
		printf '{"run":%s,"host":%s,"cpu":%s,"nproc":%s,"size":%s,' \
			"$(json_str "$RUN")" "$(json_str "$(hostname)")" \
			"$(json_str "$CPU")" "$(nproc)" "$(json_str "$SIZE")"
		printf '"group":%s,"tool":%s,"version":%s,"streams":%d,' \
			"$(json_str "$group")" "$(json_str "$tool")" \
			"$(json_str "$(tool_version "$tool")")" "${#files[@]}"
		printf '"logical_bytes":%d,"stored_bytes":%d,"ingest_s":%s,"restore_s":%s,' \
			"$logical" "$stored" \
			"$(awk "BEGIN{printf \"%.3f\", $in_us/1e6}")" \
			"$(awk "BEGIN{printf \"%.3f\", $out_us/1e6}")"
		printf '"ingest_rss_kib":%d,"restore_rss_kib":%d,"ok":%s,"verified":%s,' \
			"$in_rss" "$out_rss" "$ok" "$verified"
		printf '"caches_dropped":%s,"load1":%s,"note":%s}\n' \
			"$([ $CACHES_DROPPED = 1 ] && echo true || echo false)" \
			"$load" "$(json_str "$note")"
	} >>"$OUT"
}

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
say "bench: run $RUN, $SIZE data, groups: $BGROUPS; tools:$TOOLS"
for g in $BGROUPS; do
	for t in $TOOLS; do
		tool_skips_group "$t" "$g" && continue
		bench_one "$g" "$t"
	done
done
rm -rf "$WORK"

# --- report ------------------------------------------------------------------

"$PY" - "$OUT" "$RUN" <<'EOF' | tee "$BENCHDIR/report.txt"
import json, sys

path, run = sys.argv[1], sys.argv[2]
rows = [r for r in map(json.loads, open(path)) if r.get("run") == run]
if not rows:
    sys.exit("bench: no results for run " + run)
PEERS = ("restic", "borg")

def mbps(r, k):
    s = r[k + "_s"]
    return r["logical_bytes"] / 1e6 / s if r["ok"] and s > 0 else None

def fmt(v, spec):
    return format(v, spec) if v is not None else "-"

r0 = rows[0]
print("qsarc bench, run %s, %s data, host %s (%s, %d CPUs)"
      % (run, r0["size"], r0["host"], r0["cpu"], r0["nproc"]))
print("MB/s = 10^6 logical bytes per wall second (ingest includes a final "
      "sync); RSS = peak of one ingest process;\nload = 1-minute load average "
      "when the tool started (above ~0.5, other work skews the speeds)")
if not r0["caches_dropped"]:
    print("note: could not drop the page cache before restores (not root?)")
for g in dict.fromkeys(r["group"] for r in rows):
    rs = [r for r in rows if r["group"] == g]
    print()
    print("== %s: %d stream(s), %.1f MB logical"
          % (g, rs[0]["streams"], rs[0]["logical_bytes"] / 1e6))
    print("%-10s %10s %11s %15s %7s %9s %5s  %s"
          % ("tool", "ingest MB/s", "restore MB/s", "stored bytes", "ratio",
             "RSS MiB", "load", "status"))
    for r in rs:
        status = "ok" if r["ok"] and r["verified"] else "FAIL: " + r["note"]
        print("%-10s %11s %12s %15s %7s %9s %5.1f  %s"
              % (r["tool"], fmt(mbps(r, "ingest"), ".1f"),
                 fmt(mbps(r, "restore"), ".1f"),
                 r["stored_bytes"] if r["ok"] else "-",
                 fmt(r["logical_bytes"] / r["stored_bytes"]
                     if r["ok"] and r["stored_bytes"] else None, ".2f") ,
                 fmt(r["ingest_rss_kib"] / 1024 if r["ok"] else None, ".1f"),
                 r.get("load1", 0.0), status))
    good = {r["tool"]: r for r in rs if r["ok"] and r["verified"]}
    peers = [good[p] for p in PEERS if p in good]
    for q in [t for t in good if t.startswith("qsarc")]:
        qr = good[q]
        parts = []
        if peers:
            bi = max(peers, key=lambda p: mbps(p, "ingest"))
            br = max(peers, key=lambda p: mbps(p, "restore"))
            bs = min(peers, key=lambda p: p["stored_bytes"])
            parts.append("ingest x%.2f vs %s" % (mbps(qr, "ingest") / mbps(bi, "ingest"), bi["tool"]))
            parts.append("restore x%.2f vs %s" % (mbps(qr, "restore") / mbps(br, "restore"), br["tool"]))
            parts.append("stored %.3f of %s" % (qr["stored_bytes"] / bs["stored_bytes"], bs["tool"]))
        if "zbackup" in good:
            parts.append("stored %.3f of zbackup"
                         % (qr["stored_bytes"] / good["zbackup"]["stored_bytes"]))
        if parts:
            print("%s vs better peer: %s" % (q, "; ".join(parts)))
print()
print("(speed ratios: >1 means qsarc is faster; stored ratios: <1 means qsarc "
      "is smaller)")
bad = [r for r in rows if not (r["ok"] and r["verified"])]
sys.exit(1 if bad else 0)
EOF
