#!/usr/bin/env bash
# bench/run.sh: same-run comparison of qsarc against restic, borg and zbackup
# on a deterministic data set (bench/gendata.py).  See bench/README.md.
#
# Run by `make bench` as
#   QSARC=<abs build/qsarc> BENCHDIR=<abs build/bench> bench/run.sh
# Environment:
#   BENCH_GROUPS   groups to run            (default "image tree versions
#                  generations")
#   BENCH_GEN      generations in the group "generations" (default 50, 10
#                  with BENCH_SMALL=1; 0 drops the group)
#   BENCH_GEN_TOOLS  tools run on "generations" (default "qsarc qsarc-enc
#                  restic borg")
#   BENCH_TOOLS    tools to run             (default "qsarc qsarc-nocat
#                  qsarc-enc qsarc-l19 restic borg zbackup"; the qsarc
#                  variants only when this qsarc build has their options)
#   BENCH_SMALL=1  small data set for a quick smoke run
#   BENCH_DATA     data cache directory     (default /var/tmp/qsarc-bench-data)
#   BENCH_OUT      JSON-lines results file  (default $BENCHDIR/results.json;
#                  appended to, one line per group and tool, tagged by "run")
#   BENCH_WORK     scratch dir for repos    (default $BENCHDIR/work)
#   BENCH_TIMEOUT  seconds allowed for one tool command (default 900)
#   BENCH_PRUNE_GROUPS   groups that get the expire-half + clean/prune step
#                  (default "image versions")
#   BENCH_SHIFT_GROUPS   groups whose first stream is put again with 100
#                  bytes in front (default "tree"), by BENCH_SHIFT_TOOLS
#                  (default: all but qsarc-l19)
#   BENCH_FIXED_RUNS     runs of the fixed-cost put / ls (median; default 5,
#                  0 turns it off)
#   BENCH_ZREF=0   no whole-stream zstd reference per group
#   BENCH_NO_INSTALL=1   never install a missing peer or /usr/bin/time
#   BENCH_DROP_CACHES=0  never drop the page cache (restores then read what
#                  is cached; generations still evicts the repository)
#   BENCH_REPL_GROUPS    groups whose qsarc stores are replicated
#                  (default "image tree versions")
#   BENCH_MEMBER_GROUPS  groups that get the single-member restore (default
#                  "tree"; it uses the group's largest stream)
#   BENCH_CAT_GROUPS     groups whose ingest is timed with and without the
#                  catalogue, interleaved, best of BENCH_CAT_ROUNDS (default
#                  "tree versions", 3 rounds)
#   BENCH_REPL_ROUNDS    rounds of the interleaved plain / encrypted
#                  replicate timing (default 2; 0 turns it off)
#
# Adding a tool: define t_init_NAME REPO (creates the repository), and
# t_put_NAME REPO STREAM / t_get_NAME REPO STREAM (which set the arrays PUT /
# GET to an argv that reads the stream on stdin / writes it to stdout), with
# NAME's '-' spelled '_'; then list it in BENCH_TOOLS.  Optional phases:
# t_expire_NAME REPO KEEP NAME... / t_reclaim_NAME REPO (set EXP / RECL) for
# the expire + reclaim step, and t_repl_NAME SOURCE TARGET (inits TARGET and
# sets REPL) for replication.  The qsarc tools get the extra phases (in
# bench_one, after the restores): ls (fixed cost per command), member,
# catalogue, replicate and prune; see bench/README.md.

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
BGROUPS=${BENCH_GROUPS:-image tree versions generations}
if [ "$SMALL" = 1 ]; then GEN=${BENCH_GEN:-10}; else GEN=${BENCH_GEN:-50}; fi
case $GEN in '' | *[!0-9]*) echo "bench: BENCH_GEN must be a number" >&2; exit 1 ;; esac
if [ "$GEN" -lt 2 ]; then
	BGROUPS=" $BGROUPS "; BGROUPS=${BGROUPS// generations / }
	BGROUPS=${BGROUPS# }; BGROUPS=${BGROUPS% }
fi
GEN_TOOLS=${BENCH_GEN_TOOLS:-qsarc qsarc-enc restic borg}
PRUNE_GROUPS=${BENCH_PRUNE_GROUPS:-image versions}
SHIFT_GROUPS=${BENCH_SHIFT_GROUPS:-tree}
SHIFT_TOOLS=${BENCH_SHIFT_TOOLS:-qsarc qsarc-nocat qsarc-enc restic borg zbackup}
FIXED_RUNS=${BENCH_FIXED_RUNS:-5}
ZREF=${BENCH_ZREF:-1}
ZLEVEL=3   # qsarc init's default level: the reference compresses at it
NO_INSTALL=${BENCH_NO_INSTALL:-0}
DROP=${BENCH_DROP_CACHES:-1}
REPL_GROUPS=${BENCH_REPL_GROUPS:-image tree versions}
MEMBER_GROUPS=${BENCH_MEMBER_GROUPS:-tree}
CAT_GROUPS=${BENCH_CAT_GROUPS:-tree versions}
CAT_ROUNDS=${BENCH_CAT_ROUNDS:-3}
REPL_ROUNDS=${BENCH_REPL_ROUNDS:-2}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
RUN=$(date -u +%Y-%m-%dT%H:%M:%SZ)

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

# zbackup (LZMA, slow) is only a stored-size reference on the tar groups;
# the catalogue and level-19 variants only matter there too.
# "generations" (many puts) runs only BENCH_GEN_TOOLS.
tool_skips_group() {
	if [ "$2" = generations ]; then
		in_list "$1" "$GEN_TOOLS" && return 1
		return 0
	fi
	case $1 in
	zbackup | qsarc-nocat | qsarc-l19) [ "$2" = image ] ;;
	*) return 1 ;;
	esac
}

in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

# --- tools -------------------------------------------------------------------

# qsarc: no encryption, init defaults (zstd level 3, catalogue on).
t_init_qsarc() { "$QSARC" init "$1"; }
t_put_qsarc()  { PUT=("$QSARC" put "$1" "$2"); }
t_get_qsarc()  { GET=("$QSARC" get "$1" "$2"); }
t_ls_qsarc()   { LS=("$QSARC" ls "$1"); }
t_expire_qsarc() { local r=$1; shift 2; EXP=("$QSARC" rm "$r" "$@"); }
t_reclaim_qsarc() { RECL=("$QSARC" clean "$1" --json); }
t_repl_qsarc() {
	"$QSARC" init "$2" || return 1
	REPL=("$QSARC" replicate "$1" "$2" --json)
}

# qsarc-nocat: as qsarc, but put --no-catalog (no tar member scan, hence no
# catalogue and no member-aligned cuts).
t_init_qsarc_nocat() { t_init_qsarc "$@"; }
t_put_qsarc_nocat()  { PUT=("$QSARC" put "$1" "$2" --no-catalog); }
t_get_qsarc_nocat()  { t_get_qsarc "$@"; }

# qsarc-l19: as qsarc, but init --level 19.
t_init_qsarc_l19() { "$QSARC" init "$1" --level 19; }
t_put_qsarc_l19()  { t_put_qsarc "$@"; }
t_get_qsarc_l19()  { t_get_qsarc "$@"; }

# qsarc-enc: encrypted store, passphrase from a file.
t_init_qsarc_enc() { "$QSARC" init "$1" --encrypt --passphrase-file "$PWFILE"; }
t_put_qsarc_enc()  { PUT=("$QSARC" put "$1" "$2" --passphrase-file "$PWFILE"); }
t_get_qsarc_enc()  { GET=("$QSARC" get "$1" "$2" --passphrase-file "$PWFILE"); }
t_ls_qsarc_enc()   { LS=("$QSARC" ls "$1" --passphrase-file "$PWFILE"); }
t_expire_qsarc_enc() {
	local r=$1; shift 2
	EXP=("$QSARC" rm "$r" "$@" --passphrase-file "$PWFILE")
}
t_reclaim_qsarc_enc() { RECL=("$QSARC" clean "$1" --json --passphrase-file "$PWFILE"); }
# Encrypted to encrypted, the target under another passphrase.
t_repl_qsarc_enc() {
	"$QSARC" init "$2" --encrypt --passphrase-file "$PWFILE2" || return 1
	REPL=("$QSARC" replicate "$1" "$2" --json
		--source-passphrase-file "$PWFILE" --target-passphrase-file "$PWFILE2")
}

# restic: repository v2 (zstd "auto" compression), AES-256-CTR + Poly1305.
# Each stdin snapshot has its own path, so forget must not group by path.
t_init_restic() { restic -r "$1" init; }
t_put_restic()  { PUT=(restic -r "$1" backup --quiet --stdin --stdin-filename "$2"); }
t_get_restic()  { GET=(restic -r "$1" dump --quiet --path "/$2" latest "/$2"); }
t_expire_restic() { EXP=(restic -r "$1" forget --keep-last "$2" --group-by ''); }
t_reclaim_restic() { RECL=(restic -r "$1" prune); }
t_ls_restic()   { LS=(restic -r "$1" snapshots --quiet); }

# borg: repokey-blake2 (AES-256-CTR + BLAKE2b MAC), default lz4 compression.
t_init_borg() { borg init --encryption=repokey-blake2 "$1"; }
t_put_borg()  { PUT=(borg create "$1::$2" -); }
t_get_borg()  { GET=(borg extract --stdout "$1::$2"); }
# (borg prune --keep-last keeps one archive per second: these are named.)
t_expire_borg() { local r=$1; shift 2; EXP=(borg delete "$r" "$@"); }
t_reclaim_borg() { RECL=(borg compact "$1"); }
t_ls_borg()   { LS=(borg list "$1"); }

# zbackup: not encrypted, default LZMA compression.
t_init_zbackup() { zbackup --non-encrypted --silent init "$1"; }
t_put_zbackup()  { PUT=(zbackup --non-encrypted --silent backup "$1/backups/$2"); }
t_get_zbackup()  { GET=(zbackup --non-encrypted --silent restore "$1/backups/$2"); }

tool_version() {
	case $1 in
	qsarc*) printf 'git %s, binary %s' \
		"$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)" \
		"$(sha256sum "$QSARC" | cut -c1-12)" ;;
	restic) restic version 2>/dev/null | awk '{print $2}' ;;
	borg) borg --version 2>/dev/null | awk '{print $2}' ;;
	zbackup) zbackup --help 2>&1 | sed -n 's/.*ZBackup version \([^ ]*\).*/\1/p' | head -1 ;;
	*) echo unknown ;;
	esac
}

qsarc_help_has() {   # SUBCOMMAND OPTION: this qsarc build has the option
	{ "$QSARC" help "$1"; "$QSARC" "$1" --help; } 2>&1 | grep -e "$2" >/dev/null
}

tool_present() {
	case $1 in
	qsarc) [ -x "$QSARC" ] && "$QSARC" --help >/dev/null 2>&1 ;;
	qsarc-enc) tool_present qsarc && qsarc_help_has init --encrypt ;;
	qsarc-nocat) tool_present qsarc && qsarc_help_has put --no-catalog ;;
	qsarc-l19) tool_present qsarc && qsarc_help_has init --level ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

# Optional phases a tool takes part in (see the header).
tool_has() {   # PHASE TOOL
	local fn=${2//-/_}
	case $1 in
	prune) declare -F "t_expire_$fn" >/dev/null &&
		declare -F "t_reclaim_$fn" >/dev/null ;;
	repl) declare -F "t_repl_$fn" >/dev/null && [ $HAS_REPL = 1 ] ;;
	member) { [ "$2" = qsarc ] || [ "$2" = qsarc-enc ]; } && [ $HAS_MEMBER = 1 ] ;;
	ls) declare -F "t_ls_$fn" >/dev/null ;;
	*) return 1 ;;
	esac
}

# --- setup -------------------------------------------------------------------

# Run a private copy of the binary: other work may rebuild build/qsarc during
# the run, and a half-written binary would fail or skip a phase.
mkdir -p "$BENCHDIR" || die "cannot create $BENCHDIR"
if [ -x "$QSARC" ]; then
	for i in 1 2 3 4 5; do
		cp "$QSARC" "$BENCHDIR/qsarc-under-test.tmp" 2>/dev/null &&
			"$BENCHDIR/qsarc-under-test.tmp" --help >/dev/null 2>&1 && break
		sleep 2
	done
	mv -f "$BENCHDIR/qsarc-under-test.tmp" "$BENCHDIR/qsarc-under-test" ||
		die "cannot copy $QSARC"
	QSARC=$BENCHDIR/qsarc-under-test
fi
HAS_REPL=0 HAS_MEMBER=0
qsarc_help_has replicate --json && HAS_REPL=1
qsarc_help_has get --member && HAS_MEMBER=1

if [ -z "${BENCH_TOOLS:-}" ]; then
	BENCH_TOOLS=""
	for t in qsarc qsarc-nocat qsarc-enc qsarc-l19; do
		tool_present $t && BENCH_TOOLS="$BENCH_TOOLS $t"
	done
	BENCH_TOOLS="${BENCH_TOOLS# } restic borg zbackup"
fi

if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" = 0 ] && [ "$NO_INSTALL" != 1 ]; then
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
if [ $need_deps = 1 ] && [ "$NO_INSTALL" != 1 ]; then
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
PWFILE2=$WORK/passphrase2   # replication target of qsarc-enc
printf 'another passphrase for the replica\n' >"$PWFILE2"
export RESTIC_PASSWORD_FILE=$PWFILE
export BORG_PASSPHRASE="correct horse battery staple qsarc bench"
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export BORG_DISPLAY_PASSPHRASE=no

say "bench: generating / checking the $SIZE data set in $DATA ..."
gflag=""; [ "$SMALL" = 1 ] && gflag=--small
in_list generations "$BGROUPS" && gflag="$gflag --generations $GEN"
# shellcheck disable=SC2086  # word splitting of $gflag and $BGROUPS wanted
"$PY" "$ROOT/bench/gendata.py" $gflag "$DATA" $BGROUPS >&2 || die "gendata.py failed"

CACHES_DROPPED=1
drop_caches() {
	sync
	if [ "$DROP" = 0 ] || ! { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
		CACHES_DROPPED=0
	fi
}

# Evict files from the page cache (written pages are synced first), so a
# phase reads the repository from the disk while the tools' binaries and
# libraries stay cached.  Unlike drop_caches this needs no root.
evict() {
	sync
	"$PY" - "$@" <<'EOF'
import os, sys
for top in sys.argv[1:]:
    for d, _, names in os.walk(top):
        for n in names:
            try:
                fd = os.open(os.path.join(d, n), os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
EOF
}

now_us() { local t=${EPOCHREALTIME/./}; echo "${t/,/}"; }

# --- one group x one tool ----------------------------------------------------

json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "${s//$'\n'/ }"; }
us_s() { awk "BEGIN{printf \"%.3f\", $1/1e6}"; }
cs_s() { awk "BEGIN{printf \"%.2f\", $1/100}"; }
# Extra fields of the group x tool JSON line: jnum KEY NUMBER, jstr KEY STRING.
jnum() { EXTRA="$EXTRA,\"$1\":${2:-null}"; }
jstr() { EXTRA="$EXTRA,\"$1\":$(json_str "$2")"; }
# A number from a one-line JSON object in FILE: jget FILE KEY.
jget() { sed -n "s/.*\"$2\": *\([0-9.]*\).*/\1/p" "$1" | tail -n 1; }

# timed MODE IN OUT ERR CMD...: run CMD under timeout and /usr/bin/time, stdin
# from IN, stdout to OUT (MODE new: truncated, add: appended), stderr appended
# to ERR.  Sets T_RC, T_US (wall microseconds), T_CS (user + system CPU,
# centiseconds), T_RSS (peak KiB) and T_RD (bytes read from block devices,
# /usr/bin/time %I: only what the page cache did not hold).
timed() {
	local mode=$1 in=$2 out=$3 err=$4 t0 t1 m u s i
	shift 4
	: >"$TIMEF"
	t0=$(now_us)
	if [ "$mode" = add ]; then
		timeout "$TMO" /usr/bin/time -f '%M %U %S %I' -o "$TIMEF" "$@" \
			<"$in" >>"$out" 2>>"$err"
	else
		timeout "$TMO" /usr/bin/time -f '%M %U %S %I' -o "$TIMEF" "$@" \
			<"$in" >"$out" 2>>"$err"
	fi
	T_RC=$?
	t1=$(now_us)
	T_US=$((t1 - t0))
	read -r m u s i <<<"$(tail -n 1 "$TIMEF")"
	case "$m:$u:$s:$i" in
	*[!0-9.:]* | :* | *::* | *:) m=0 u=0.00 s=0.00 i=0 ;;
	esac
	T_RSS=$m T_RD=$((i * 512))
	T_CS=$((10#${u/./} + 10#${s/./}))
}

# The member for the single-member restore: in GROUP's largest stream, the
# regular file of 1-8 KiB (with a plain name) nearest the middle of the
# stream.  Sets M_STREAM, M_PATH, M_SIZE; its bytes go to $WORK/member.want.
M_GROUP=""
pick_member() {
	[ "$M_GROUP" = "$1" ] && return 0
	local line
	line=$("$PY" - "$DATA/$1" "$WORK/member.want" <<'EOF'
import os, re, sys, tarfile
d, want = sys.argv[1], sys.argv[2]
streams = [l.split() for l in open(os.path.join(d, "MANIFEST")) if l.strip()]
name = max(streams, key=lambda s: int(s[1]))[0]
path = os.path.join(d, name)
plain = re.compile(r"^[A-Za-z0-9._/+-]+$")
best, mid = None, os.path.getsize(path) // 2
with tarfile.open(path, "r:") as t:
    for m in t:
        if (m.isreg() and 1024 <= m.size <= 8192 and plain.match(m.name)
                and not m.name.startswith("-")):
            k = (abs(m.offset_data - mid), m.name)
            if best is None or k < best[0]:
                best = (k, m)
    if best is None:
        sys.exit("no member of 1-8 KiB in " + path)
    m = best[1]
    open(want, "wb").write(t.extractfile(m).read())
print("%s\t%s\t%d" % (name, m.name, m.size))
EOF
) || return 1
	IFS=$'\t' read -r M_STREAM M_PATH M_SIZE <<<"$line"
	M_GROUP=$1
}

# Fixed cost of one command: the fastest of three `ls` (for qsarc-enc mostly
# the keystore unlock, Argon2id).
phase_ls() {   # REPO TOOL
	local best=0 i
	"t_ls_${2//-/_}" "$1"
	for i in 1 2 3; do
		timed new /dev/null /dev/null "$LOG" "${LS[@]}"
		[ "$T_RC" = 0 ] || { PHASE_FAIL="$PHASE_FAIL; ls exited $T_RC"; return; }
		{ [ $best = 0 ] || [ "$T_US" -lt $best ]; } && best=$T_US
	done
	jnum ls_s "$(us_s $best)"
}

# qsarc's own counts (stats --json: chunks, unique bytes before compression)
# and the size of the catalogues, to explain the stored bytes.
phase_stats() {   # REPO TOOL
	local pw=()
	[ "$2" = qsarc-enc ] && pw=(--passphrase-file "$PWFILE")
	if "$QSARC" stats "$1" --json "${pw[@]}" >"$WORK/stats.json" 2>>"$LOG"; then
		jnum chunks "$(jget "$WORK/stats.json" chunks)"
		jnum unique_bytes "$(jget "$WORK/stats.json" unique_bytes)"
	fi
	[ -d "$1/catalogs" ] && jnum catalog_bytes "$(du -sb "$1/catalogs" | cut -f1)"
}

# One small member out of the largest stream: get --member against the whole
# stream piped into tar -x.  Both start with the repository evicted from the
# page cache (binaries stay cached, so the disk reads are the repository's).
phase_member() {   # REPO GROUP TOOL
	local repo=$1 group=$2 fn=${3//-/_} x=$WORK/member.x ok=true
	pick_member "$group" || { PHASE_FAIL="$PHASE_FAIL; no member picked"; return; }
	say "bench: $group / $3: restore member $M_PATH ($M_SIZE B) of $M_STREAM ..."
	"t_get_$fn" "$repo" "$M_STREAM"
	evict "$repo" "$WORK/cache"
	: >"$WORK/member.json"
	timed new /dev/null "$WORK/member.tar" "$WORK/member.json" \
		"${GET[@]}" --member "$M_PATH" --json
	cat "$WORK/member.json" >>"$LOG"
	if [ "$T_RC" != 0 ] || ! tar -xOf "$WORK/member.tar" "$M_PATH" |
		cmp -s - "$WORK/member.want"; then
		ok=false PHASE_FAIL="$PHASE_FAIL; get --member wrong (exit $T_RC)"
	fi
	jstr member_stream "$M_STREAM"; jstr member_path "$M_PATH"
	jnum member_size "$M_SIZE"
	jnum member_s "$(us_s $T_US)"; jnum member_disk_bytes $T_RD
	jnum member_bytes_read "$(jget "$WORK/member.json" bytes_read)"
	rm -rf "$x" "$WORK/member.tar"; mkdir -p "$x"
	evict "$repo" "$WORK/cache"
	# shellcheck disable=SC2016  # expanded by the inner shell
	timed new /dev/null /dev/null "$LOG" bash -c \
		'set -o pipefail; "${@:3}" | tar -x -C "$1" -f - "$2"' \
		bench "$x" "$M_PATH" "${GET[@]}"
	if [ "$T_RC" != 0 ] || ! cmp -s "$x/$M_PATH" "$WORK/member.want"; then
		ok=false PHASE_FAIL="$PHASE_FAIL; get | tar -x wrong (exit $T_RC)"
	fi
	jnum whole_s "$(us_s $T_US)"; jnum whole_disk_bytes $T_RD
	jnum whole_stream_bytes "$(stat -c %s "$DATA/$group/$M_STREAM")"
	jnum member_ok $ok
	rm -rf "$x"
}

# Replicate the store to a fresh store of the same kind (repository evicted
# from the page cache; a final sync is timed), then again with nothing new; check the last stream on the
# replica (untimed).
phase_repl() {   # REPO GROUP TOOL LASTSTREAM
	local repo=$1 group=$2 fn=${3//-/_} tgt=$WORK/replica ok=true r t0 t1
	say "bench: $group / $3: replicate ..."
	rm -rf "$tgt"
	if ! "t_repl_$fn" "$repo" "$tgt" >>"$LOG" 2>&1; then
		PHASE_FAIL="$PHASE_FAIL; replica init failed"; return
	fi
	echo "== replicate: ${REPL[*]}" >>"$LOG"
	evict "$repo" "$WORK/cache"
	timed new /dev/null "$WORK/repl.json" "$LOG" "${REPL[@]}"
	r=$T_RC
	t0=$(now_us); sync; t1=$(now_us)
	cat "$WORK/repl.json" >>"$LOG"
	[ $r = 0 ] || { ok=false PHASE_FAIL="$PHASE_FAIL; replicate exited $r"; }
	jnum repl_s "$(us_s $((T_US + t1 - t0)))"; jnum repl_cpu_s "$(cs_s $T_CS)"
	jnum repl_rss_kib "$T_RSS"
	jnum repl_logical_bytes "$(jget "$WORK/repl.json" logical_bytes)"
	jnum repl_bytes_sent "$(jget "$WORK/repl.json" bytes_sent)"
	jnum repl_target_bytes "$(du -sb "$tgt" | cut -f1)"
	timed new /dev/null "$WORK/repl.json" "$LOG" "${REPL[@]}"
	cat "$WORK/repl.json" >>"$LOG"
	if [ "$T_RC" != 0 ] || [ "$(jget "$WORK/repl.json" streams_copied)" != 0 ]; then
		ok=false PHASE_FAIL="$PHASE_FAIL; second replicate exited $T_RC or copied"
	fi
	jnum repl2_s "$(us_s $T_US)"
	# The replica of qsarc-enc has its own passphrase.
	if ! ( PWFILE=$PWFILE2; "t_get_$fn" "$tgt" "$4"
		timeout "$TMO" "${GET[@]}" </dev/null 2>>"$LOG" |
		cmp -s - "$DATA/$group/$4" ); then
		ok=false PHASE_FAIL="$PHASE_FAIL; $4 on the replica differs"
	fi
	jnum repl_ok $ok
	rm -rf "$tgt"
}

# Encrypted against plain replicate, interleaved (A B B A ...) so that drift
# in the machine's load hits both; the best of REPL_ROUNDS rounds of each.
# Runs in qsarc-enc's row, with qsarc's store of the group kept for it.
phase_repl_pair() {   # ENC_REPO PLAIN_REPO GROUP
	local i v tgt=$WORK/replica t0 t1 us
	local best_p=0 best_e=0 cpu_p=0 cpu_e=0
	say "bench: $3: replicate plain and encrypted, interleaved, $REPL_ROUNDS rounds ..."
	for ((i = 0; i < REPL_ROUNDS * 2; i++)); do
		rm -rf "$tgt"
		case $(( (i + i / 2) % 2 )) in
		0) v=plain; t_repl_qsarc "$2" "$tgt" >>"$LOG" 2>&1 ;;
		*) v=enc; t_repl_qsarc_enc "$1" "$tgt" >>"$LOG" 2>&1 ;;
		esac || { PHASE_FAIL="$PHASE_FAIL; replica init failed"; return; }
		evict "$1" "$2" "$WORK/cache"
		timed new /dev/null "$WORK/repl.json" "$LOG" "${REPL[@]}"
		[ "$T_RC" = 0 ] || { PHASE_FAIL="$PHASE_FAIL; replicate ($v) exited $T_RC"; return; }
		t0=$(now_us); sync; t1=$(now_us); us=$((T_US + t1 - t0))
		if [ $v = plain ]; then
			{ [ $best_p = 0 ] || [ $us -lt $best_p ]; } && best_p=$us cpu_p=$T_CS
		else
			{ [ $best_e = 0 ] || [ $us -lt $best_e ]; } && best_e=$us cpu_e=$T_CS
		fi
	done
	rm -rf "$tgt"
	jnum repl_pair_rounds "$REPL_ROUNDS"
	jnum repl_pair_plain_s "$(us_s $best_p)"; jnum repl_pair_plain_cpu_s "$(cs_s $cpu_p)"
	jnum repl_pair_enc_s "$(us_s $best_e)"; jnum repl_pair_enc_cpu_s "$(cs_s $cpu_e)"
}

# Expire the older half of the streams, then reclaim the space (qsarc rm +
# clean, restic forget + prune, borg delete + compact), with the repository
# and the tool's cache evicted from the page cache; the
# reclaim time includes a final sync.  Check (untimed) that the oldest kept and
# the newest stream still restore and the newest expired one does not.
phase_prune() {   # REPO GROUP TOOL STREAM...
	local repo=$1 group=$2 tool=$3 fn=${3//-/_} ok=true r f t0 t1
	shift 3
	local n=$# nexp=$(($# / 2)) files=("$@")
	local keep=$((n - nexp))
	say "bench: $group / $tool: expire $nexp of $n streams and reclaim ..."
	"t_expire_$fn" "$repo" "$keep" "${files[@]:0:nexp}"
	"t_reclaim_$fn" "$repo"
	evict "$repo" "$WORK/cache"
	echo "== expire: ${EXP[*]}" >>"$LOG"
	timed add /dev/null "$LOG" "$LOG" "${EXP[@]}"
	[ "$T_RC" = 0 ] || { ok=false PHASE_FAIL="$PHASE_FAIL; expire exited $T_RC"; }
	jnum prune_expired $nexp
	jnum prune_expire_s "$(us_s $T_US)"
	echo "== reclaim: ${RECL[*]}" >>"$LOG"
	timed add /dev/null "$LOG" "$LOG" "${RECL[@]}"
	r=$T_RC
	t0=$(now_us); sync; t1=$(now_us)
	[ $r = 0 ] || { ok=false PHASE_FAIL="$PHASE_FAIL; reclaim exited $r"; }
	jnum prune_reclaim_s "$(us_s $((T_US + t1 - t0)))"
	jnum prune_reclaim_rss_kib "$T_RSS"
	jnum stored_after "$(du -sb "$repo" | cut -f1)"
	local chk=("${files[nexp]}")
	[ $((n - 1)) -gt $nexp ] && chk+=("${files[n - 1]}")
	for f in "${chk[@]}"; do
		"t_get_$fn" "$repo" "$f"
		if ! timeout "$TMO" "${GET[@]}" </dev/null 2>>"$LOG" |
			cmp -s - "$DATA/$group/$f"; then
			ok=false PHASE_FAIL="$PHASE_FAIL; kept $f lost"
		fi
	done
	f=${files[nexp - 1]}
	"t_get_$fn" "$repo" "$f"
	if timeout "$TMO" "${GET[@]}" </dev/null >/dev/null 2>&1; then
		ok=false PHASE_FAIL="$PHASE_FAIL; expired $f still there"
	fi
	jnum prune_ok $ok
}

# Catalogue cost: ingest all streams into fresh stores with and without
# put --no-catalog, interleaved (A B B A A B ...) so drift in the machine's
# load hits both; the best of CAT_ROUNDS rounds of each counts.
phase_catalog() {   # GROUP STREAM...
	local group=$1 st=$WORK/catstore i v f us cs t0 t1
	local best_c=0 best_n=0 cpu_c=0 cpu_n=0
	shift
	say "bench: $group / qsarc: ingest with and without the catalogue, $CAT_ROUNDS rounds ..."
	for ((i = 0; i < CAT_ROUNDS * 2; i++)); do
		case $(( (i + i / 2) % 2 )) in 0) v="cat" ;; *) v="nocat" ;; esac
		rm -rf "$st"
		if ! "$QSARC" init "$st" >>"$LOG" 2>&1; then
			PHASE_FAIL="$PHASE_FAIL; catalogue init failed"; return
		fi
		us=0 cs=0
		for f in "$@"; do
			if [ $v = cat ]; then PUT=("$QSARC" put "$st" "$f")
			else PUT=("$QSARC" put "$st" "$f" --no-catalog); fi
			timed add "$DATA/$group/$f" "$LOG" "$LOG" "${PUT[@]}"
			if [ "$T_RC" != 0 ]; then
				PHASE_FAIL="$PHASE_FAIL; catalogue put $f exited $T_RC"
				return
			fi
			us=$((us + T_US)) cs=$((cs + T_CS))
		done
		t0=$(now_us); sync; t1=$(now_us); us=$((us + t1 - t0))
		if [ $v = cat ]; then
			{ [ $best_c = 0 ] || [ $us -lt $best_c ]; } && best_c=$us cpu_c=$cs
		else
			{ [ $best_n = 0 ] || [ $us -lt $best_n ]; } && best_n=$us cpu_n=$cs
		fi
	done
	rm -rf "$st"
	jnum cat_rounds "$CAT_ROUNDS"
	jnum cat_ingest_s "$(us_s $best_c)"; jnum cat_ingest_cpu_s "$(cs_s $cpu_c)"
	jnum nocat_ingest_s "$(us_s $best_n)"; jnum nocat_ingest_cpu_s "$(cs_s $cpu_n)"
}

# Dedup of a shifted tar: put the group's first stream again with 100
# (deterministic) bytes in front.  The store's growth (du -sb after a sync)
# against the stream's size is what the shift cost.  The new stream is then
# restored and compared (untimed).
phase_shift() {   # REPO GROUP TOOL FIRSTSTREAM
	local repo=$1 group=$2 fn=${3//-/_} src=$DATA/$2/$4 sh=$WORK/shifted.tar
	local name=${4%.tar}-shifted.tar before after r ok=true t0 t1
	say "bench: $group / $3: put $4 with 100 bytes in front ..."
	if [ "$(cat "$WORK/shifted.src" 2>/dev/null)" != "$src" ]; then
		{ "$PY" -c 'import hashlib, sys
sys.stdout.buffer.write(hashlib.shake_256(b"qsarc-bench shift").digest(100))' &&
			cat "$src"; } >"$sh" ||
			{ PHASE_FAIL="$PHASE_FAIL; cannot write the shifted tar"; return; }
		echo "$src" >"$WORK/shifted.src"
	fi
	sync
	before=$(du -sb "$repo" | cut -f1)
	"t_put_$fn" "$repo" "$name"
	echo "== put $name (100 bytes + $4): ${PUT[*]}" >>"$LOG"
	timed add "$sh" "$LOG" "$LOG" "${PUT[@]}"
	r=$T_RC
	t0=$(now_us); sync; t1=$(now_us)
	after=$(du -sb "$repo" | cut -f1)
	if [ "$r" != 0 ]; then
		ok=false PHASE_FAIL="$PHASE_FAIL; shifted put exited $r"
	else
		"t_get_$fn" "$repo" "$name"
		if ! timeout "$TMO" "${GET[@]}" </dev/null 2>>"$LOG" | cmp -s - "$sh"; then
			ok=false PHASE_FAIL="$PHASE_FAIL; shifted $4 restored wrong"
		fi
	fi
	jstr shift_stream "$4"; jnum shift_bytes "$(stat -c %s "$sh")"
	jnum shift_added_bytes $((after - before))
	jnum shift_s "$(us_s $((T_US + t1 - t0)))"; jnum shift_cpu_s "$(cs_s $T_CS)"
	jnum shift_ok $ok
}

# Median of integers.
median() {
	printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 }
		END { if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}

# Fixed cost per command: in a fresh repository, one untimed put of a tar
# holding one 1 KiB file, then FIXED_RUNS timed puts of it and FIXED_RUNS
# timed listings (qsarc ls, restic snapshots, borg list); medians of wall and
# CPU time.  One JSON line with "kind":"fixed".
phase_fixed() {   # TOOL
	local tool=$1 fn=${1//-/_} repo=$WORK/fixed-$1 i note="" ok=true
	local pw=() pc=() lw=() lc=()
	LOG=$LOGS/fixed-$tool.log
	: >"$LOG"
	say "bench: fixed cost / $tool: $FIXED_RUNS puts of 1 KiB and $FIXED_RUNS listings ..."
	rm -rf "$repo" "$WORK/cache"
	mkdir -p "$WORK/cache"
	export RESTIC_CACHE_DIR=$WORK/cache/restic BORG_BASE_DIR=$WORK/cache/borg
	export QSARC_STATE_DIR=$WORK/cache/qsarc
	if ! "t_init_$fn" "$repo" >>"$LOG" 2>&1; then
		ok=false note="init failed"
	fi
	for ((i = 0; i <= FIXED_RUNS; i++)); do
		$ok || break
		"t_put_$fn" "$repo" "small-$i.tar"
		timed add "$WORK/tiny.tar" "$LOG" "$LOG" "${PUT[@]}"
		[ "$T_RC" = 0 ] || { ok=false note="put exited $T_RC"; break; }
		[ $i = 0 ] && continue
		pw+=("$T_US") pc+=("$T_CS")
	done
	"t_ls_$fn" "$repo"
	for ((i = 0; i < FIXED_RUNS; i++)); do
		$ok || break
		timed new /dev/null /dev/null "$LOG" "${LS[@]}"
		[ "$T_RC" = 0 ] || { ok=false note="ls exited $T_RC"; break; }
		lw+=("$T_US") lc+=("$T_CS")
	done
	rm -rf "$repo" "$WORK/cache"
	$ok || say "bench: fixed cost / $tool: FAILED ($note), see $LOG"
	{
		printf '{"run":%s,"kind":"fixed","tool":%s,"version":%s,"runs":%d,' \
			"$(json_str "$RUN")" "$(json_str "$tool")" \
			"$(json_str "$(tool_version "$tool")")" "$FIXED_RUNS"
		printf '"put_bytes":%d,"ok":%s,"note":%s,"load1":%s' \
			"$(stat -c %s "$WORK/tiny.tar")" "$ok" "$(json_str "$note")" \
			"$(cut -d' ' -f1 /proc/loadavg)"
		if $ok; then
			printf ',"put_s":%s,"put_cpu_s":%s,"ls_s":%s,"ls_cpu_s":%s' \
				"$(us_s "$(median "${pw[@]}")")" "$(cs_s "$(median "${pc[@]}")")" \
				"$(us_s "$(median "${lw[@]}")")" "$(cs_s "$(median "${lc[@]}")")"
		fi
		printf '}\n'
	} >>"$OUT"
	$ok
}

# Whole-stream zstd at qsarc's default level over all of a group's streams
# concatenated, with a long window (--long=31, 2 GiB) so that it finds the
# repeats between the streams as dedup does: the reference for "stored bytes
# within 3 % of whole-stream zstd".  One JSON line with "kind":"zref".
phase_zref() {   # GROUP
	local group=$1 files=() line n=0 bytes
	while read -r line; do files+=("$DATA/$group/${line%% *}"); done <"$DATA/$group/MANIFEST"
	for line in "${files[@]}"; do n=$((n + $(stat -c %s "$line"))); done
	say "bench: $group: whole-stream zstd -$ZLEVEL --long=31 reference ..."
	: >"$TIMEF"
	bytes=$(cat "${files[@]}" | timeout "$TMO" /usr/bin/time -f '%e %U %S' -o "$TIMEF" \
		zstd -q -"$ZLEVEL" --long=31 -T1 --stream-size="$n" -c | wc -c) || return 0
	local e u sy first
	read -r e u sy <<<"$(tail -n 1 "$TIMEF")" || return 0
	# The first stream alone: against the store after its first put, it
	# shows the compression part of the gap without the dedup part.
	first=$(timeout "$TMO" zstd -q -"$ZLEVEL" --long=31 -T1 -c "${files[0]}" | wc -c) ||
		first=null
	printf '{"run":%s,"kind":"zref","group":%s,"level":%d,"logical_bytes":%d,"bytes":%d,"s":%s,"cpu_s":%s,"first_bytes":%s}\n' \
		"$(json_str "$RUN")" "$(json_str "$group")" "$ZLEVEL" "$n" "$bytes" \
		"$e" "$(awk "BEGIN{print $u + $sy}")" "$first" >>"$OUT"
}

# What chunking + one keyed hash allow, for the duplicate-data target: the
# chunker alone (bench/chunk_sizes -s, 64 KiB average, MB/s of wall time) and
# keyed BLAKE2b-256 (Python's hashlib, MB per CPU second) over 256 MiB, each
# once; combined as 1 / (1/chunk + 1/hash).  Both are lower bounds (wall time
# under load; hashlib has no AVX2 BLAKE2b as libsodium may), so the baseline
# is lenient.  One JSON line with "kind":"dupbase".
phase_dupbase() {
	local cs=$BENCHDIR/chunk_sizes c h
	[ -x "$cs" ] || cs=$ROOT/build/bench/chunk_sizes
	[ -x "$cs" ] || { say "bench: no chunk_sizes: no duplicate-data baseline"; return 0; }
	say "bench: duplicate-data baseline: chunker and keyed BLAKE2b over 256 MiB ..."
	c=$(timeout "$TMO" "$cs" -s 256 2>/dev/null | awk '$1 == 64 { print $4 }')
	h=$("$PY" - <<'EOF'
import hashlib, time
buf = hashlib.shake_256(b"qsarc-bench dupbase").digest(1 << 20) * 256
key = bytes(32)
t = time.process_time()
for i in range(0, len(buf), 65536):
    hashlib.blake2b(buf[i:i + 65536], digest_size=32, key=key).digest()
print("%.1f" % (len(buf) / 1e6 / (time.process_time() - t)))
EOF
)
	case "$c:$h" in *[!0-9.:]* | :* | *:) return 0 ;; esac
	printf '{"run":%s,"kind":"dupbase","chunk_mbps":%s,"hash_mbcpu":%s}\n' \
		"$(json_str "$RUN")" "$c" "$h" >>"$OUT"
}

bench_one() {
	local group=$1 tool=$2 fn=${2//-/_}
	local repo=$WORK/$tool-$group
	local out=$WORK/restore.out
	local files=() f line
	LOG=$LOGS/$group-$tool.log
	while read -r line; do files+=("${line%% *}"); done <"$DATA/$group/MANIFEST"

	local logical=0 ok=true verified=true note="" rbytes=0 rfiles=() i
	local in_us=0 out_us=0 in_rss=0 out_rss=0 in_cs=0 out_cs=0 stored=0
	local t0 t1 load
	# Keep the binaries cached for phases that evict only the repository.
	"$QSARC" --help >/dev/null 2>&1
	load=$(cut -d' ' -f1 /proc/loadavg)   # other work on the machine skews all
	for f in "${files[@]}"; do
		logical=$((logical + $(stat -c %s "$DATA/$group/$f")))
	done
	rm -rf "$repo" "$WORK/cache"
	mkdir -p "$WORK/cache"
	export RESTIC_CACHE_DIR=$WORK/cache/restic BORG_BASE_DIR=$WORK/cache/borg
	export QSARC_STATE_DIR=$WORK/cache/qsarc   # qsarc-enc's backup keystore
	: >"$LOG"
	EXTRA="" PHASE_FAIL=""

	say "bench: $group / $tool: ingest ${#files[@]} stream(s), $((logical / 1000000)) MB ..."
	if ! "t_init_$fn" "$repo" >>"$LOG" 2>&1; then
		ok=false note="init failed"
	fi
	# Warm the inputs so ingest measures the tool, not the disk.
	cat "${files[@]/#/$DATA/$group/}" >/dev/null
	if $ok; then
		for f in "${files[@]}"; do
			"t_put_$fn" "$repo" "$f"
			echo "== put $f: ${PUT[*]}" >>"$LOG"
			timed add "$DATA/$group/$f" "$LOG" "$LOG" "${PUT[@]}"
			in_us=$((in_us + T_US)) in_cs=$((in_cs + T_CS))
			if [ "$T_RC" != 0 ]; then ok=false note="put $f exited $T_RC"; break; fi
			[ "$T_RSS" -gt "$in_rss" ] && in_rss=$T_RSS
			# The store after the first stream (generations: what the
			# later ones add).
			[ "$f" = "${files[0]}" ] && [ ${#files[@]} -gt 1 ] &&
				jnum stored_first "$(du -sb "$repo" | cut -f1)"
		done
		# The last put alone: on "tree" the mostly duplicate stream.
		jnum last_put_s "$(us_s "$T_US")"; jnum last_put_cpu_s "$(cs_s "$T_CS")"
		jnum last_put_bytes "$(stat -c %s "$DATA/$group/${files[${#files[@]} - 1]}")"
		# Count the time to make the repository durable: a tool that
		# leaves its writes in the page cache must not win by it.
		t0=$(now_us); sync; t1=$(now_us)
		in_us=$((in_us + t1 - t0))
	fi
	$ok && stored=$(du -sb "$repo" | cut -f1)

	if $ok; then
		# generations: only the first and the newest stream, each from a
		# cold cache (page cache dropped, or at least the repository and
		# the tool's cache evicted).
		rfiles=("${files[@]}")
		[ "$group" = generations ] && rfiles=("${files[0]}" "${files[${#files[@]} - 1]}")
		say "bench: $group / $tool: restore and verify ${#rfiles[@]} stream(s) ..."
		drop_caches
		i=0
		for f in "${rfiles[@]}"; do
			if [ "$group" = generations ]; then
				# Cold repository, warm binaries: drop the page
				# cache, run the tool's listing (it loads the
				# binary and its libraries), evict the repository.
				drop_caches
				"t_ls_$fn" "$repo"
				timeout "$TMO" "${LS[@]}" </dev/null >/dev/null 2>>"$LOG"
				evict "$repo" "$WORK/cache"
			fi
			"t_get_$fn" "$repo" "$f"
			echo "== get $f: ${GET[*]}" >>"$LOG"
			timed new /dev/null "$out" "$LOG" "${GET[@]}"
			out_us=$((out_us + T_US)) out_cs=$((out_cs + T_CS))
			if [ "$T_RC" != 0 ]; then ok=false note="get $f exited $T_RC"; break; fi
			[ "$T_RSS" -gt "$out_rss" ] && out_rss=$T_RSS
			rbytes=$((rbytes + $(stat -c %s "$DATA/$group/$f")))
			if [ "$group" = generations ]; then
				local k=gen_first
				[ $i = 1 ] && k=gen_last
				jstr ${k}_stream "$f"; jnum ${k}_bytes "$(stat -c %s "$DATA/$group/$f")"
				jnum ${k}_s "$(us_s $T_US)"; jnum ${k}_cpu_s "$(cs_s $T_CS)"
			fi
			i=$((i + 1))
			if ! cmp -s "$out" "$DATA/$group/$f"; then
				verified=false note="restored $f differs from the input"
				say "bench: $group / $tool: MISMATCH on $f"
			fi
			rm -f "$out"
		done
	fi
	$ok || { verified=false; say "bench: $group / $tool: FAILED ($note), see $LOG"; }

	# Further phases on the same repository, in this order (prune last: it
	# removes streams).
	if $ok && $verified; then
		tool_has ls "$tool" && phase_ls "$repo" "$tool"
		case $tool in qsarc*) phase_stats "$repo" "$tool" ;; esac
		in_list "$group" "$MEMBER_GROUPS" && tool_has member "$tool" &&
			phase_member "$repo" "$group" "$tool"
		in_list "$group" "$CAT_GROUPS" && [ "$tool" = qsarc ] &&
			tool_present qsarc-nocat && phase_catalog "$group" "${files[@]}"
		in_list "$group" "$REPL_GROUPS" && tool_has repl "$tool" &&
			phase_repl "$repo" "$group" "$tool" "${files[${#files[@]} - 1]}"
		[ "$tool" = qsarc-enc ] && [ -d "$WORK/keep-plain" ] &&
			[ "$REPL_ROUNDS" -gt 0 ] &&
			phase_repl_pair "$repo" "$WORK/keep-plain" "$group"
		# A copy of qsarc's store (before the prune step) stays for
		# qsarc-enc's interleaved replicate.
		if [ "$tool" = qsarc ] && in_list "$group" "$REPL_GROUPS" &&
			tool_has repl qsarc-enc && in_list qsarc-enc "$TOOLS" &&
			[ "$REPL_ROUNDS" -gt 0 ] && [ -z "$PHASE_FAIL" ]; then
			rm -rf "$WORK/keep-plain"
			cp -a "$repo" "$WORK/keep-plain" ||
				PHASE_FAIL="$PHASE_FAIL; cannot copy the store"
		fi
		in_list "$group" "$SHIFT_GROUPS" && in_list "$tool" "$SHIFT_TOOLS" &&
			phase_shift "$repo" "$group" "$tool" "${files[0]}"
		in_list "$group" "$PRUNE_GROUPS" && tool_has prune "$tool" &&
			[ ${#files[@]} -ge 2 ] &&
			phase_prune "$repo" "$group" "$tool" "${files[@]}"
		if [ -n "$PHASE_FAIL" ]; then
			note=${PHASE_FAIL#; }
			say "bench: $group / $tool: FAILED ($note), see $LOG"
		fi
	fi
	rm -rf "$repo" "$WORK/cache"

	{
		printf '{"run":%s,"host":%s,"cpu":%s,"nproc":%s,"size":%s,' \
			"$(json_str "$RUN")" "$(json_str "$(hostname)")" \
			"$(json_str "$CPU")" "$(nproc)" "$(json_str "$SIZE")"
		printf '"group":%s,"tool":%s,"version":%s,"streams":%d,' \
			"$(json_str "$group")" "$(json_str "$tool")" \
			"$(json_str "$(tool_version "$tool")")" "${#files[@]}"
		printf '"logical_bytes":%d,"restore_bytes":%d,"stored_bytes":%d,' \
			"$logical" "$rbytes" "$stored"
		printf '"ingest_s":%s,"restore_s":%s,' "$(us_s $in_us)" "$(us_s $out_us)"
		printf '"ingest_cpu_s":%s,"restore_cpu_s":%s,' \
			"$(cs_s $in_cs)" "$(cs_s $out_cs)"
		printf '"ingest_rss_kib":%d,"restore_rss_kib":%d,"ok":%s,"verified":%s,' \
			"$in_rss" "$out_rss" "$ok" "$verified"
		printf '"phases_ok":%s,' "$([ -z "$PHASE_FAIL" ] && echo true || echo false)"
		printf '"caches_dropped":%s,"load1":%s,"note":%s%s}\n' \
			"$([ $CACHES_DROPPED = 1 ] && echo true || echo false)" \
			"$load" "$(json_str "$note")" "$EXTRA"
	} >>"$OUT"
}

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
TIMEF=$WORK/time.out
T0_RUN=$(now_us)
say "bench: run $RUN, $SIZE data, groups: $BGROUPS; tools:$TOOLS"
in_list tree "$BGROUPS" && phase_dupbase
for g in $BGROUPS; do
	[ "$ZREF" != 0 ] && command -v zstd >/dev/null && phase_zref "$g"
	for t in $TOOLS; do
		tool_skips_group "$t" "$g" && continue
		bench_one "$g" "$t"
	done
	rm -rf "$WORK/keep-plain" "$WORK/shifted.tar" "$WORK/shifted.src"
done
# A tar of one 1 KiB file, 2.5 KiB (header, data, end-of-archive blocks).
"$PY" - "$WORK/tiny.tar" <<'EOF'
import sys, tarfile
data = bytes(range(256)) * 4
ti = tarfile.TarInfo("small/file-1k")
ti.size, ti.mtime, ti.mode = len(data), 1700000000, 0o644
with open(sys.argv[1], "wb") as f:
    f.write(ti.tobuf(tarfile.GNU_FORMAT) + data + bytes(1024))
EOF
# (A failure shows in the report and its exit status.)
if [ "$FIXED_RUNS" -gt 0 ]; then
	for t in qsarc qsarc-enc restic borg; do
		in_list "$t" "$TOOLS" && phase_fixed "$t"
	done
fi
rm -rf "$WORK"
[ "$QSARC" = "$BENCHDIR/qsarc-under-test" ] && rm -f "$QSARC"
say "bench: done in $(( ($(now_us) - T0_RUN) / 1000000 )) s"

# --- report ------------------------------------------------------------------

"$PY" - "$OUT" "$RUN" <<'EOF' | tee "$BENCHDIR/report.txt"
import json, sys

path, run = sys.argv[1], sys.argv[2]
allrows = [r for r in map(json.loads, open(path)) if r.get("run") == run]
rows = [r for r in allrows if "kind" not in r]
fixed = {r["tool"]: r for r in allrows if r.get("kind") == "fixed"}
zref = {r["group"]: r for r in allrows if r.get("kind") == "zref"}
dupbase = next((r for r in allrows if r.get("kind") == "dupbase"), None)
if not rows and not fixed:
    sys.exit("bench: no results for run " + run)
PEERS = ("restic", "borg")
QS = ("qsarc", "qsarc-enc")   # the variants the issue-17 targets are judged on
SUMMARY = []                  # (target, subject, measured, met: True/False/None)

def goal(target, subject, measured, met):
    SUMMARY.append((target, subject, measured, met))

def nbytes(r, k):
    # generations restores only its first and newest stream
    if k == "restore" and r.get("restore_bytes"):
        return r["restore_bytes"]
    return r["logical_bytes"]

def mbps(r, k):
    s = r[k + "_s"]
    return nbytes(r, k) / 1e6 / s if r["ok"] and s > 0 else None

def mbcpu(r, k):
    c = r.get(k + "_cpu_s")
    return nbytes(r, k) / 1e6 / c if r["ok"] and c else None

def fmt(v, spec):
    return format(v, spec) if v is not None else "-"

def good_row(r):
    return r["ok"] and r["verified"] and r.get("phases_ok", True)

def target(met, text):
    return "[target %s: %s]" % (text, "met" if met else "MISSED")

def ratio(a, b):
    return a / b if a is not None and b else None

r0 = rows[0] if rows else next(iter(fixed.values()))
print("qsarc bench, run %s, %s data, host %s (%s, %d CPUs)"
      % (run, r0.get("size", "?"), r0.get("host", "?"), r0.get("cpu", "?"),
         r0.get("nproc", 0)))
print("MB/s = 10^6 logical bytes per wall second (ingest includes a final "
      "sync); MB/CPU-s = the same bytes\nper user + system CPU second of "
      "the commands; CPU s = user + system seconds of all ingest\ncommands; "
      "RSS = peak of one ingest process; load = 1-minute load average when "
      "the tool\nstarted (above ~0.5, other work skews the speeds)")
if rows and not r0["caches_dropped"]:
    print("note: could not drop the page cache before restores (not root?)")
groups = list(dict.fromkeys(r["group"] for r in rows))
for g in groups:
    rs = [r for r in rows if r["group"] == g]
    print()
    print("== %s: %d stream(s), %.1f MB logical%s"
          % (g, rs[0]["streams"], rs[0]["logical_bytes"] / 1e6,
             "; restore: the first and the newest stream, each cold"
             if g == "generations" else ""))
    print("%-11s %11s %8s %12s %8s %8s %15s %7s %7s %5s  %s"
          % ("tool", "ingest MB/s", "MB/CPU-s", "restore MB/s", "MB/CPU-s",
             "CPU s", "stored bytes", "ratio", "RSS MiB", "load", "status"))
    for r in rs:
        status = "ok" if good_row(r) else "FAIL: " + r["note"]
        print("%-11s %11s %8s %12s %8s %8s %15s %7s %7s %5.1f  %s"
              % (r["tool"], fmt(mbps(r, "ingest"), ".1f"),
                 fmt(mbcpu(r, "ingest"), ".1f"),
                 fmt(mbps(r, "restore"), ".1f"),
                 fmt(mbcpu(r, "restore"), ".1f"),
                 fmt(r.get("ingest_cpu_s"), ".1f"),
                 r["stored_bytes"] if r["ok"] else "-",
                 fmt(r["logical_bytes"] / r["stored_bytes"]
                     if r["ok"] and r["stored_bytes"] else None, ".2f"),
                 fmt(r["ingest_rss_kib"] / 1024 if r["ok"] else None, ".1f"),
                 r.get("load1", 0.0), status))
    z = zref.get(g)
    if z:
        print("whole-stream zstd -%d --long=31 -T1 of the streams concatenated: "
              "%d B (%.1f s, ratio %.2f)" % (z["level"], z["bytes"], z["s"],
                                             z["logical_bytes"] / z["bytes"]))
    good = {r["tool"]: r for r in rs if r["ok"] and r["verified"]}
    peers = [good[p] for p in PEERS if p in good]
    for q in [t for t in good if t.startswith("qsarc")]:
        qr = good[q]
        parts = []
        if peers:
            bi = max(peers, key=lambda p: mbps(p, "ingest"))
            br = max(peers, key=lambda p: mbps(p, "restore"))
            bs = min(peers, key=lambda p: p["stored_bytes"])
            xi = mbps(qr, "ingest") / mbps(bi, "ingest")
            xr = mbps(qr, "restore") / mbps(br, "restore")
            parts.append("ingest x%.2f vs %s" % (xi, bi["tool"]))
            parts.append("restore x%.2f vs %s" % (xr, br["tool"]))
            parts.append("stored %.3f of %s" % (qr["stored_bytes"] / bs["stored_bytes"], bs["tool"]))
            cpu = {}
            for k in ("ingest", "restore"):
                cp = [p for p in peers if mbcpu(p, k)]
                if cp and mbcpu(qr, k):
                    b = max(cp, key=lambda p: mbcpu(p, k))
                    cpu[k] = (mbcpu(qr, k) / mbcpu(b, k), b["tool"])
                    parts.append("MB/CPU-s %s x%.2f vs %s"
                                 % (k, cpu[k][0], cpu[k][1]))
            if q in QS:
                goal("ingest >= x2 the better peer (wall)", "%s / %s" % (g, q),
                     "x%.2f vs %s" % (xi, bi["tool"]), xi >= 2)
                goal("restore (cold) >= x2 the better peer (wall)",
                     "%s / %s" % (g, q), "x%.2f vs %s" % (xr, br["tool"]), xr >= 2)
                for k in ("ingest", "restore"):
                    if k in cpu:
                        goal("%s MB/CPU-s >= x2.5 the better peer's" % k,
                             "%s / %s" % (g, q), "x%.2f vs %s" % cpu[k],
                             cpu[k][0] >= 2.5)
        z = zref.get(g)
        if z and z.get("bytes"):
            x = qr["stored_bytes"] / z["bytes"]
            parts.append("stored %.3f of whole-stream zstd -%d" % (x, z["level"]))
            if z.get("first_bytes") and qr.get("stored_first"):
                parts.append("after the first stream %.3f of its zstd -%d"
                             % (qr["stored_first"] / z["first_bytes"], z["level"]))
            if q in QS:
                goal("stored bytes <= 1.03 x whole-stream zstd (same level)",
                     "%s / %s" % (g, q), "%.3f (%d / %d B)"
                     % (x, qr["stored_bytes"], z["bytes"]), x <= 1.03)
        if "zbackup" in good:
            parts.append("stored %.3f of zbackup"
                         % (qr["stored_bytes"] / good["zbackup"]["stored_bytes"]))
        if parts:
            print("%s vs better peer: %s" % (q, "; ".join(parts)))
    p = good.get("qsarc")
    c = good.get("qsarc-nocat")
    if p and c:
        x = c["ingest_s"] / p["ingest_s"]
        line = ("catalogue: with / without (put --no-catalog): ingest x%.2f "
                "(CPU x%.2f) in the rows above" % (
                    x, ratio(c["ingest_cpu_s"], p["ingest_cpu_s"]) or 0.0))
        if p.get("cat_ingest_s"):
            x = p["nocat_ingest_s"] / p["cat_ingest_s"]
            line += (", x%.2f (CPU x%.2f) best of %d interleaved rounds"
                     % (x, ratio(p["nocat_ingest_cpu_s"],
                                 p["cat_ingest_cpu_s"]) or 0.0,
                        p["cat_rounds"]))
        print(line + " " + target(x >= 0.90, ">= x0.90"))
        d = p["stored_bytes"] / c["stored_bytes"]
        line = ("catalogue: stored with / without %.3f (catalogues and "
                "member-aligned cuts %s %.1f %%)"
                % (d, "save" if d <= 1 else "cost", 100.0 * abs(1 - d)))
        if p.get("unique_bytes") and c.get("unique_bytes"):
            line += ("; chunks %d / %d, unique bytes %.3f, catalogues %d B"
                     % (p["chunks"], c["chunks"],
                        p["unique_bytes"] / c["unique_bytes"],
                        p.get("catalog_bytes") or 0))
        print(line)
    h = good.get("qsarc-l19")
    if h:
        line = "level 19: qsarc-l19 stores %d B" % h["stored_bytes"]
        if p:
            line += (", %.3f of qsarc (level 3), ingest x%.2f of qsarc"
                     % (h["stored_bytes"] / p["stored_bytes"],
                        mbps(h, "ingest") / mbps(p, "ingest")))
        z = good.get("zbackup")
        if z:
            line += "; %.3f of zbackup %s" % (
                h["stored_bytes"] / z["stored_bytes"],
                target(h["stored_bytes"] < z["stored_bytes"], "< zbackup"))
            goal("level 19 stores fewer bytes than zbackup (LZMA)",
                 "%s / qsarc-l19" % g, "%.3f of zbackup"
                 % (h["stored_bytes"] / z["stored_bytes"]),
                 h["stored_bytes"] < z["stored_bytes"])
        print(line)
    base = None
    if dupbase:
        base = 1 / (1 / dupbase["chunk_mbps"] + 1 / dupbase["hash_mbcpu"])
    for q in QS:
        r = good.get(q)
        if g == "tree" and r and r.get("last_put_cpu_s"):
            v = r["last_put_bytes"] / 1e6 / r["last_put_cpu_s"]
            line = ("duplicate-data ingest, %s (2nd stream alone): %.0f MB/CPU-s, "
                    "%.0f MB/s" % (q, v, r["last_put_bytes"] / 1e6 / r["last_put_s"]))
            if base:
                line += ("; chunking + keyed hash allow ~%.0f MB/CPU-s "
                         "(chunker %.0f MB/s, BLAKE2b %.0f MB/CPU-s): %.0f %% %s"
                         % (base, dupbase["chunk_mbps"], dupbase["hash_mbcpu"],
                            100 * v / base, target(v >= 0.8 * base, ">= 80 %")))
            print(line)
            goal("duplicate-data ingest >= 80 % of chunking + one keyed hash "
                 "per CPU-s", "%s / %s" % (g, q),
                 "%.0f %% (%.0f of ~%.0f MB/CPU-s; lenient baseline)"
                 % (100 * v / base, v, base) if base else
                 "%.0f MB/CPU-s; no baseline measured" % v,
                 v >= 0.8 * base if base else None)

# --- encryption overhead -----------------------------------------------------
enc = []
for g in groups:
    rs = {r["tool"]: r for r in rows if r["group"] == g and r["ok"]
          and r["verified"]}
    if "qsarc" in rs and "qsarc-enc" in rs:
        enc.append((g, rs["qsarc"], rs["qsarc-enc"]))
if enc:
    print()
    print("== encryption overhead: qsarc-enc / qsarc speed (x1.00 = free).  "
          "Every qsarc-enc command\n   unlocks the keystore (Argon2id t=3, "
          "64 MiB): 'unlock' is the fastest of three `ls` on the\n   "
          "encrypted store minus the same on the plain one; it is paid once "
          "per stream each way,\n   so it dominates small streams. 'net' "
          "takes it out of qsarc-enc's times.\n   CPU: the same ratio for "
          "user + system CPU seconds (steadier under load).")
    print("%-11s %7s %8s %8s %9s %12s %8s %8s %8s %8s"
          % ("group", "streams", "ingest", "restore", "unlock s",
             "unlock share", "net in", "net out", "CPU in", "CPU out"))
    for g, p, e in enc:
        ii = p["ingest_s"] / e["ingest_s"]
        ir = p["restore_s"] / e["restore_s"]
        u = ai = ar = share = None
        if e.get("ls_s") is not None and p.get("ls_s") is not None:
            u = max(e["ls_s"] - p["ls_s"], 0.0)
            n = e["streams"]
            share = u * n * 2 / (e["ingest_s"] + e["restore_s"])
            ai = ratio(p["ingest_s"], e["ingest_s"] - u * n)
            ar = ratio(p["restore_s"], e["restore_s"] - u * n)
        ci = ratio(p.get("ingest_cpu_s"), e.get("ingest_cpu_s"))
        co = ratio(p.get("restore_cpu_s"), e.get("restore_cpu_s"))
        print("%-11s %7d %8s %8s %9s %12s %8s %8s %8s %8s"
              % (g, e["streams"], "x%.2f" % ii, "x%.2f" % ir,
                 fmt(u, ".3f"),
                 "%.0f %%" % (100 * share) if share is not None else "-",
                 "x%.2f" % ai if ai and ai > 0 else "-",
                 "x%.2f" % ar if ar and ar > 0 else "-",
                 "x%.2f" % ci if ci else "-", "x%.2f" % co if co else "-"))

# --- expire + reclaim --------------------------------------------------------
pr = [r for r in rows if r.get("prune_reclaim_s") is not None]
for g in dict.fromkeys(r["group"] for r in pr):
    rs = {r["tool"]: r for r in pr if r["group"] == g}
    any_r = next(iter(rs.values()))
    print()
    print("== expire + reclaim, %s: expire the older %d of %d streams "
          "(qsarc rm + clean; restic forget + prune; borg delete + compact)"
          % (g, any_r["prune_expired"], any_r["streams"]))
    print("%-11s %9s %10s %8s %15s %15s  %s"
          % ("tool", "expire s", "reclaim s", "total s", "stored before",
             "stored after", "status"))
    for t, r in rs.items():
        print("%-11s %9.2f %10.2f %8.2f %15d %15s  %s"
              % (t, r["prune_expire_s"], r["prune_reclaim_s"],
                 r["prune_expire_s"] + r["prune_reclaim_s"],
                 r["stored_bytes"], r["stored_after"],
                 "ok" if r.get("prune_ok") else "FAIL: " + r["note"]))
    peer = rs.get("restic")
    for q in ("qsarc", "qsarc-enc"):
        qr = rs.get(q)
        if not (qr and peer):
            continue
        sp = peer["prune_reclaim_s"] / qr["prune_reclaim_s"]
        tot = ((peer["prune_expire_s"] + peer["prune_reclaim_s"])
               / (qr["prune_expire_s"] + qr["prune_reclaim_s"]))
        st = qr["stored_after"] / peer["stored_after"]
        print("%s vs restic: clean x%.1f faster than prune %s; with the "
              "expire step x%.1f; stored after %.3f of restic's %s"
              % (q, sp, target(sp >= 3, ">= x3"), tot, st,
                 target(st <= 1, "<= 1")))
        if g == "image":
            goal("clean on image at least as fast as restic prune",
                 "%s / %s" % (g, q), "%.2f s vs %.2f s (x%.2f)"
                 % (qr["prune_reclaim_s"], peer["prune_reclaim_s"], sp), sp >= 1)

# --- replicate ---------------------------------------------------------------
rp = [r for r in rows if r.get("repl_s") is not None]
if rp:
    print()
    print("== replicate: each qsarc store to a fresh store of its kind "
          "(qsarc-enc: encrypted, another passphrase);\n   source evicted "
          "from the page cache, final sync timed; MB/s of logical data; then "
          "again with nothing new")
    print("%-9s %-11s %8s %8s %7s %15s %9s %10s  %s"
          % ("group", "tool", "MB/s", "seconds", "CPU s", "target bytes",
             "of source", "2nd run s", "status"))
    for r in rp:
        lb = r.get("repl_logical_bytes") or r["logical_bytes"]
        print("%-9s %-11s %8.1f %8.2f %7.1f %15d %9.3f %10.3f  %s"
              % (r["group"], r["tool"], lb / 1e6 / r["repl_s"], r["repl_s"],
                 r["repl_cpu_s"], r["repl_target_bytes"],
                 r["repl_target_bytes"] / r["stored_bytes"], r["repl2_s"],
                 "ok" if r.get("repl_ok") else "FAIL: " + r["note"]))
    for g in dict.fromkeys(r["group"] for r in rp):
        rs = {r["tool"]: r for r in rp if r["group"] == g}
        if "qsarc" in rs and "qsarc-enc" in rs:
            p, e = rs["qsarc"], rs["qsarc-enc"]
            x = p["repl_s"] / e["repl_s"]
            # The run with nothing to copy is the fixed cost (for
            # qsarc-enc mostly two keystore unlocks).
            y = ratio(p["repl_s"] - p["repl2_s"], e["repl_s"] - e["repl2_s"])
            line = ("%s: encrypted / plain replicate throughput: %.0f %% "
                    "(CPU %.0f %%) in the rows above, %s without the fixed "
                    "cost (the 2nd run's time)"
                    % (g, 100 * x, 100 * (ratio(p["repl_cpu_s"],
                                                 e["repl_cpu_s"]) or 0),
                       "%.0f %%" % (100 * y) if y and y > 0 else "-"))
            if e.get("repl_pair_enc_s"):
                x = e["repl_pair_plain_s"] / e["repl_pair_enc_s"]
                line += ("; %.0f %% (CPU %.0f %%) best of %d interleaved "
                         "rounds" % (100 * x, 100 * (ratio(
                             e["repl_pair_plain_cpu_s"],
                             e["repl_pair_enc_cpu_s"]) or 0),
                             e["repl_pair_rounds"]))
            print(line + " " + target(x >= 0.95, ">= 95 %"))

# --- single member -----------------------------------------------------------
mr = [r for r in rows if r.get("member_s") is not None]
for r in mr:
    print()
    print("== single-member restore, %s / %s: %s (%d B) from %s (%.1f MB); "
          "store evicted from the page cache"
          % (r["group"], r["tool"], r["member_path"], r["member_size"],
             r["member_stream"], r["whole_stream_bytes"] / 1e6))
    print("   get --member --json   %7.3f s  bytes_read %12s  disk read %12d"
          % (r["member_s"], r.get("member_bytes_read"), r["member_disk_bytes"]))
    print("   get | tar -x PATH     %7.3f s  stream     %12d  disk read %12d"
          % (r["whole_s"], r["whole_stream_bytes"], r["whole_disk_bytes"]))
    print("   (bytes_read: container bytes qsarc read, from its --json; disk "
          "read: /usr/bin/time %I x 512)")
    print("   --member is x%.0f faster%s; %s"
          % (r["whole_s"] / r["member_s"],
             ", reads 1/%.0f of the stream's bytes" % (
                 r["whole_stream_bytes"] / r["member_bytes_read"])
             if r.get("member_bytes_read") else "",
             "ok" if r.get("member_ok") else "FAIL: " + r["note"]))

# --- shifted tar --------------------------------------------------------------
sr = [r for r in rows if r.get("shift_added_bytes") is not None]
for g in dict.fromkeys(r["group"] for r in sr):
    rs = [r for r in sr if r["group"] == g]
    print()
    print("== shifted tar, %s: %s put again with 100 bytes in front (after all "
          "of the group's streams);\n   growth = du -sb of the store after - "
          "before, as %% of the shifted stream's %d B"
          % (g, rs[0]["shift_stream"], rs[0]["shift_bytes"]))
    print("%-11s %15s %9s %9s %8s  %s"
          % ("tool", "stored growth", "% of tar", "put MB/s", "CPU s", "status"))
    for r in rs:
        pct = 100.0 * r["shift_added_bytes"] / r["shift_bytes"]
        print("%-11s %15d %8.2f%% %9.1f %8.2f  %s%s"
              % (r["tool"], r["shift_added_bytes"], pct,
                 r["shift_bytes"] / 1e6 / r["shift_s"] if r["shift_s"] else 0,
                 r["shift_cpu_s"], "ok" if r.get("shift_ok") else "FAIL",
                 " " + target(pct < 5, "< 5 %") if r["tool"] in QS else ""))
        if r["tool"] in QS:
            goal("100 bytes in front of a tar add < 5 % of its size",
                 "%s / %s" % (g, r["tool"]), "%.2f %%" % pct, pct < 5)

# --- generations ----------------------------------------------------------------
gr = [r for r in rows if r.get("gen_last_s") and good_row(r)]
if gr:
    print()
    print("== generations: %d streams put in order; the first and the newest "
          "restored, each from a cold cache" % gr[0]["streams"])
    print("%-11s %10s %11s %10s %15s %15s %8s  %s"
          % ("tool", "first MB/s", "newest MB/s", "newest/1st", "stored first",
             "stored all", "growth", "target"))
    for r in gr:
        f = r["gen_first_bytes"] / 1e6 / r["gen_first_s"]
        n = r["gen_last_bytes"] / 1e6 / r["gen_last_s"]
        x = n / f
        fc = r.get("gen_first_cpu_s") or 0
        nc = r.get("gen_last_cpu_s") or 0
        print("%-11s %10.1f %11.1f %9.0f%% %15s %15d %7.2fx  %s"
              % (r["tool"], f, n, 100 * x, r.get("stored_first", "-"),
                 r["stored_bytes"],
                 r["stored_bytes"] / r["stored_first"] if r.get("stored_first") else 0,
                 target(x >= 0.9, ">= 90 %") if r["tool"] in QS else "-"))
        if r["tool"] in QS:
            goal("newest of %d generations restores at >= 90 %% of the "
                 "first's speed (cold)" % r["streams"], r["tool"],
                 "%.0f %% (%.1f / %.1f MB/s; CPU %.2f / %.2f s)"
                 % (100 * x, n, f, nc, fc), x >= 0.9)
            goal("... for at most 2 % extra stored bytes", r["tool"],
                 "%d B stored; needs a build without the remedy to compare"
                 % r["stored_bytes"], None)

# --- fixed cost per command ----------------------------------------------------
if fixed:
    fr = next(iter(fixed.values()))
    print()
    print("== fixed cost per command: median of %d runs in a fresh repository "
          "(after one untimed put),\n   warm cache: put of a %d B tar (one 1 KiB "
          "file), and ls (restic snapshots, borg list)"
          % (fr["runs"], fr["put_bytes"]))
    print("%-11s %9s %10s %9s %10s  %s"
          % ("tool", "put s", "put CPU s", "ls s", "ls CPU s", "status"))
    for t, r in fixed.items():
        if r["ok"]:
            print("%-11s %9.3f %10.2f %9.3f %10.2f  ok"
                  % (t, r["put_s"], r["put_cpu_s"], r["ls_s"], r["ls_cpu_s"]))
        else:
            print("%-11s %9s %10s %9s %10s  FAIL: %s" % (t, "-", "-", "-", "-",
                                                      r["note"]))
    p, e = fixed.get("qsarc"), fixed.get("qsarc-enc")
    kdf = None
    if p and e and p["ok"] and e["ok"]:
        kdf = max(e["ls_s"] - p["ls_s"], 0.0)
        print("KDF (unlock) = encrypted ls - plain ls = %.3f s" % kdf)
    if p and p["ok"]:
        for k in ("put", "ls"):
            v = p[k + "_s"]
            print("qsarc %s: %.3f s %s" % (k, v, target(v <= 0.030, "<= 30 ms")))
            goal("fixed cost <= 30 ms beyond the KDF", "qsarc (plain) " + k,
                 "%.0f ms" % (1000 * v), v <= 0.030)
    if kdf is not None:
        v = e["put_s"] - kdf
        print("qsarc-enc put beyond the KDF: %.3f s %s"
              % (v, target(v <= 0.030, "<= 30 ms")))
        goal("fixed cost <= 30 ms beyond the KDF", "qsarc-enc put",
             "%.0f ms (%.0f ms - KDF %.0f ms)"
             % (1000 * v, 1000 * e["put_s"], 1000 * kdf), v <= 0.030)

# --- summary -------------------------------------------------------------------
if SUMMARY:
    print()
    print("== issue 17 targets, this run (qsarc and qsarc-enc against the better "
          "of restic and borg)")
    w = max(len(t) for t, _, _, _ in SUMMARY)
    ws = max(len(s) for _, s, _, _ in SUMMARY)
    order = list(dict.fromkeys(t for t, _, _, _ in SUMMARY))
    SUMMARY.sort(key=lambda x: order.index(x[0]))
    for t, s, m, met in SUMMARY:
        print("%-*s  %-*s  %-9s %s" % (w, t, ws, s, {True: "met", False: "MISSED",
                                                       None: "not judged"}[met], m))
    n_met = sum(1 for x in SUMMARY if x[3] is True)
    n_miss = sum(1 for x in SUMMARY if x[3] is False)
    print("%d met, %d missed, %d not judged" % (n_met, n_miss,
                                                len(SUMMARY) - n_met - n_miss))

print()
print("(speed ratios: >1 means qsarc is faster; stored ratios: <1 means qsarc "
      "is smaller)")
bad = [r for r in rows if not good_row(r)] + [
    r for r in fixed.values() if not r["ok"]]
sys.exit(1 if bad else 0)
EOF
