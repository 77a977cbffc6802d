# The operator examples in examples/, run end to end against temporary
# stores (the schedules are not waited for): the nightly backup script, the
# weekly maintenance script, the restore walkthrough, every job line of the
# crontab and every ExecStart= of the systemd units; the crontab's syntax is
# checked, and the units with systemd-analyze verify when it is available
# (else parsed).
. "$CLI_DIR/lib.sh"

REPO=$(cd "$CLI_DIR/../.." && pwd)
EX=$REPO/examples
for f in nightly-backup.sh weekly-maintenance.sh restore.sh qsarc.cron \
    qsarc-backup.service qsarc-backup.timer qsarc-maintenance.service \
    qsarc-maintenance.timer qsarc-rekey.service qsarc-rekey.timer README.md; do
	[ -f "$EX/$f" ] || fail "examples/$f is missing"
done
for f in "$EX"/*.sh; do
	[ -x "$f" ] || fail "$f is not executable"
	bash -n "$f" || fail "$f: syntax error"
done
command -v tar >/dev/null 2>&1 || skip "tar is not installed"

# The scripts find qsarc on $PATH, as installed: a bin directory with it
# (and the installed names of the scripts, as the crontab and units use).
mkdir bin
ln -s "$QSARC" bin/qsarc
ln -s "$EX/nightly-backup.sh" bin/qsarc-nightly-backup
ln -s "$EX/weekly-maintenance.sh" bin/qsarc-weekly-maintenance
export PATH="$PWD/bin:$PATH"
unset QSARC_STORE QSARC_PASSFILE BACKUP_SRC BACKUP_PREFIX BACKUP_STAMP \
    KEEP_LAST KEEP_AGE CLEAN_MAX RESTORE_NAME RESTORE_DIR RESTORE_MEMBER \
    REPLICA_STORE REPLICA_PASSFILE

# What gets backed up: a small tree with a big file, a symlink, odd names.
mkdir -p src/etc src/srv/www src/srv/db
printf 'backup-host\n' >src/etc/hostname
printf 'root:x:0:0::/root:/bin/sh\n' >src/etc/passwd
gen_file 11 3M src/srv/db/table.bin
gen_file 12 700K src/srv/www/index.html 30
ln -s ../etc/hostname src/srv/www/host
printf 'x\n' >'src/srv/www/with space'
SRC="$PWD/src/etc $PWD/src/srv"
rel=${PWD#/}

# A private passphrase file and an encrypted store.
printf 'examples passphrase\n' >pass
chmod 600 pass
expect_ok q init store --encrypt --passphrase-file pass --kdf-memory 8M --kdf-time 1

export QSARC_STORE=$PWD/store QSARC_PASSFILE=$PWD/pass BACKUP_SRC=$SRC \
    BACKUP_PREFIX=web1

# tree_same DIR: DIR/<this dir>/src equals ./src (content, links, modes).
tree_same() {
	diff -r --no-dereference "$PWD/src" "$1/$rel/src" >/dev/null ||
		fail "restored tree $1 differs from the source"
	[ "$(readlink "$1/$rel/src/srv/www/host")" = ../etc/hostname ] ||
		fail "restored tree $1: the symlink is wrong"
}

# ---- nightly-backup.sh
# A passphrase file others can read is refused, and nothing is stored.
chmod 644 pass
expect_exit 1 "$EX/nightly-backup.sh"
grep -q 'mode 0600' "$ERR" || fail "nightly-backup.sh: no word on the passphrase file's mode"
chmod 600 pass
[ -z "$(ls_names store --passphrase-file pass)" ] || fail "nightly-backup.sh stored a stream with a bad passphrase file"

# The real thing: one stream with a dated name, restorable byte for byte.
expect_ok "$EX/nightly-backup.sh"
name=$(ls_names store --passphrase-file pass)
printf '%s\n' "$name" | grep -qxE "web1-$(date +%Y-%m-%d)-[0-9]{4}" ||
	fail "nightly-backup.sh stored '$name', expected web1-$(date +%Y-%m-%d)-HHMM"
mkdir r0
"$QSARC" get store "$name" --passphrase-file pass | tar -x -C r0 ||
	fail "cannot restore $name"
tree_same r0

# Same name again (rerun within the minute): refused, the first intact.
BACKUP_STAMP=fixed expect_ok "$EX/nightly-backup.sh"
BACKUP_STAMP=fixed expect_exit 1 "$EX/nightly-backup.sh"
grep -q 'already exists' "$ERR" || fail "nightly-backup.sh rerun: no 'already exists'"
has_stream store web1-fixed --passphrase-file pass || fail "web1-fixed vanished"

# A wrong passphrase: put's exit code comes through.
printf 'not it\n' >wrongpass
chmod 600 wrongpass
QSARC_PASSFILE=$PWD/wrongpass BACKUP_STAMP=wrong expect_exit 5 "$EX/nightly-backup.sh"

# tar fails (exit 2: GNU tar could not read some file, yet finished the
# archive): the stream is removed again, and the script fails.
mkdir badtar
cat >badtar/tar <<EOF
#!/bin/sh
$(command -v tar) "\$@"
exit 2
EOF
chmod +x badtar/tar
PATH="$PWD/badtar:$PATH" BACKUP_STAMP=broken expect_exit 1 "$EX/nightly-backup.sh"
grep -q 'removing the incomplete stream' "$ERR" ||
	fail "nightly-backup.sh: a failed tar was not reported"
has_stream store web1-broken --passphrase-file pass &&
	fail "the stream of a failed tar was kept"
# tar killed half-way (a truncated archive): qsarc put refuses it.
cat >badtar/tar <<EOF
#!/bin/sh
$(command -v tar) "\$@" | head -c 20000
exit 2
EOF
PATH="$PWD/badtar:$PATH" BACKUP_STAMP=cut expect_exit 1 "$EX/nightly-backup.sh"
grep -q 'failed' "$ERR" || fail "nightly-backup.sh: a truncated tar was not reported"
has_stream store web1-cut --passphrase-file pass &&
	fail "the stream of a truncated tar was kept"

# ---- weekly-maintenance.sh
BACKUP_PREFIX=other BACKUP_STAMP=x expect_ok "$EX/nightly-backup.sh"
BACKUP_STAMP=a expect_ok "$EX/nightly-backup.sh"
BACKUP_STAMP=b expect_ok "$EX/nightly-backup.sh"
count() { ls_names store --passphrase-file pass | grep -c "^$1" || true; }
[ "$(count web1-)" -eq 4 ] || fail "expected 4 web1 streams, have $(count web1-)"
# Nothing is old yet: the age rule keeps everything; exit 8 is fine.
KEEP_LAST=1 expect_ok "$EX/weekly-maintenance.sh"
grep -q 'nothing to expire' "$ERR" || fail "weekly-maintenance.sh: no 'nothing to expire'"
[ "$(count web1-)" -eq 4 ] || fail "weekly-maintenance.sh expired young streams"
# 200 days later: all but the newest web1 stream go; the other prefix stays.
export QSARC_TEST_NOW=$(($(date +%s) + 200 * 86400))
KEEP_LAST=1 expect_ok "$EX/weekly-maintenance.sh"
unset QSARC_TEST_NOW
[ "$(count web1-)" -eq 1 ] || fail "after maintenance: $(count web1-) web1 streams, expected 1"
has_stream store other-x --passphrase-file pass ||
	fail "weekly-maintenance.sh expired a stream of another prefix"
[ -z "$(ls_names store --expired --passphrase-file pass)" ] ||
	fail "weekly-maintenance.sh: clean left expired streams"
last=$(ls_names store --passphrase-file pass | grep '^web1-')
expect_ok q verify store --read-data --passphrase-file pass

# ---- restore.sh: whole stream, one member, via a replica.
expect_ok q init replica --encrypt --passphrase-file pass --kdf-memory 8M --kdf-time 1
RESTORE_DIR=$PWD/restored RESTORE_MEMBER="$rel/src/srv/www/index.html" \
    REPLICA_STORE=$PWD/replica REPLICA_PASSFILE=$PWD/pass \
    expect_ok "$EX/restore.sh"
newest=$("$QSARC" ls store --json --passphrase-file pass | "$PY" -c '
import json, sys
print(max(json.load(sys.stdin)["streams"], key=lambda s: (s["created"], s["name"]))["name"])') ||
	fail "ls --json"
grep -q "restoring $newest " "$OUT" || fail "restore.sh did not pick the newest stream $newest"
tree_same restored/full
cmp -s src/srv/www/index.html "restored/member/$rel/src/srv/www/index.html" ||
	fail "restore.sh: the member restored differs"
[ "$(find restored/member -type f | wc -l)" -eq 1 ] ||
	fail "restore.sh: extracting one member wrote other files"
grep -qxF "$rel/src/srv/www/index.html" restored/member.list ||
	fail "restore.sh: the member tar stream does not hold the member"
tree_same restored/replica
has_stream replica "$newest" --passphrase-file pass || fail "the replica lacks $newest"
# An existing RESTORE_DIR is refused.
RESTORE_DIR=$PWD/restored expect_exit 1 "$EX/restore.sh"

# A plain store, and restore.sh creating a plain replica itself.
expect_ok q init plain
QSARC_STORE=$PWD/plain QSARC_PASSFILE= BACKUP_STAMP=p expect_ok "$EX/nightly-backup.sh"
QSARC_STORE=$PWD/plain QSARC_PASSFILE= RESTORE_DIR=$PWD/restored2 \
    RESTORE_MEMBER="$rel/src/etc" REPLICA_STORE=$PWD/plain-replica \
    expect_ok "$EX/restore.sh"
tree_same restored2/full
tree_same restored2/replica
cmp -s src/etc/passwd "restored2/member/$rel/src/etc/passwd" ||
	fail "restore.sh: a directory member was not restored"
[ -f plain-replica/config ] || fail "restore.sh did not create the replica store"

# ---- qsarc.cron: syntax, then each job run as cron would (sh -c), with
# the store settings from the environment.
"$PY" - "$EX/qsarc.cron" >cron.jobs <<'EOF' || fail "qsarc.cron: bad syntax (see above)"
import re, sys
ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
names = [None, None, None,
         "jan feb mar apr may jun jul aug sep oct nov dec".split(),
         "sun mon tue wed thu fri sat".split()]
def field_ok(f, i):
    lo, hi = ranges[i]
    for part in f.split(","):
        m = re.fullmatch(r"(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/([0-9]+))?", part)
        if not m:
            return False
        if m.group(2) is not None and int(m.group(2)) < 1:
            return False
        if m.group(1) == "*":
            continue
        for v in m.group(1).split("-"):
            if v.isdigit():
                if not lo <= int(v) <= hi:
                    return False
            elif names[i] is None or v not in names[i]:
                return False
    return True
bad, jobs, env = [], [], {}
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip("\n")
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", line)
    if m:
        env[m.group(1)] = m.group(2)
        continue
    f = line.split(None, 6)
    if len(f) < 7:
        bad.append("line %d: fewer than 7 fields (cron.d: 5 times, user, command)" % n)
        continue
    for i in range(5):
        if not field_ok(f[i], i):
            bad.append("line %d: bad time field %r" % (n, f[i]))
    if not re.fullmatch(r"[a-z_][a-z0-9_-]*", f[5]):
        bad.append("line %d: bad user %r" % (n, f[5]))
    if re.search(r"(?<!\\)%", f[6]):
        bad.append("line %d: unescaped %% in the command (cron makes it a newline)" % n)
    jobs.append(f[6])
for k in ("SHELL", "PATH", "QSARC_STORE", "QSARC_PASSFILE"):
    if k not in env:
        bad.append("no %s= line" % k)
if len(jobs) < 3:
    bad.append("expected at least 3 jobs, found %d" % len(jobs))
for b in bad:
    print("qsarc.cron: " + b, file=sys.stderr)
for j in jobs:
    print(j)
sys.exit(1 if bad else 0)
EOF
grep -q 'qsarc-nightly-backup' cron.jobs || fail "qsarc.cron: no nightly backup job"
grep -q 'qsarc-weekly-maintenance' cron.jobs || fail "qsarc.cron: no weekly maintenance job"
grep -q 'qsarc rekey' cron.jobs || fail "qsarc.cron: no rekey job"
grep -q 'nice' cron.jobs || fail "qsarc.cron: the maintenance job is not niced"
n=0
while IFS= read -r job; do
	n=$((n + 1))
	BACKUP_STAMP=cron$n KEEP_LAST=100 expect_ok /bin/sh -c "$job"
done <cron.jobs
has_stream store web1-cron1 --passphrase-file pass || fail "the cron backup job stored nothing"

# ---- systemd units: verify (with ExecStart= pointing at the test's copies),
# check the settings the issue asks for, and run each service's ExecStart=
# with the test's store in place of Environment=.
mkdir units
for u in "$EX"/qsarc-*.service "$EX"/qsarc-*.timer; do
	sed -e "s#/usr/local/sbin/#$PWD/bin/#g" -e "s#/usr/local/bin/qsarc#$PWD/bin/qsarc#g" \
	    "$u" >"units/$(basename "$u")"
done
"$PY" - units <<'EOF' || fail "systemd units: bad (see above)"
import glob, os, re, sys
known = {
    "Unit": {"Description", "Documentation", "After", "Wants", "Requires",
             "RequiresMountsFor", "ConditionPathExists"},
    "Service": {"Type", "Environment", "EnvironmentFile", "ExecStart",
                "ExecStartPre", "Nice", "IOSchedulingClass",
                "IOSchedulingPriority", "CPUSchedulingPolicy", "StateDirectory",
                "PrivateTmp", "NoNewPrivileges", "ProtectSystem",
                "ProtectHome", "ReadWritePaths", "TimeoutStartSec",
                "SuccessExitStatus", "User", "Group", "UMask"},
    "Timer": {"OnCalendar", "Persistent", "RandomizedDelaySec", "Unit",
              "AccuracySec", "OnBootSec"},
    "Install": {"WantedBy"},
}
bad = []
d = sys.argv[1]
for path in sorted(glob.glob(os.path.join(d, "*"))):
    name = os.path.basename(path)
    text = open(path).read()
    sections = re.findall(r"(?m)^\[([A-Za-z]+)\]$", text)
    cur = None
    for line in text.split("\n"):
        if not line.strip() or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[([A-Za-z]+)\]", line)
        if m:
            cur = m.group(1)
            if cur not in known:
                bad.append("%s: unknown section [%s]" % (name, cur))
            continue
        m = re.fullmatch(r"([A-Za-z]+)=(.*)", line)
        if not m or cur is None:
            bad.append("%s: bad line %r" % (name, line))
            continue
        if cur in known and m.group(1) not in known[cur]:
            bad.append("%s: [%s] %s= is not a key this test knows" % (name, cur, m.group(1)))
    if name.endswith(".service"):
        if "Service" not in sections or "ExecStart=" not in text:
            bad.append("%s: no [Service] ExecStart=" % name)
        if "Type=oneshot" not in text:
            bad.append("%s: not Type=oneshot" % name)
    if name.endswith(".timer"):
        for want in ("OnCalendar=", "Persistent=true", "WantedBy=timers.target"):
            if want not in text:
                bad.append("%s: lacks %s" % (name, want))
        svc = name[:-len(".timer")] + ".service"
        if not os.path.exists(os.path.join(d, svc)):
            bad.append("%s: no %s beside it" % (name, svc))
m = open(os.path.join(d, "qsarc-maintenance.service")).read()
for want in ("Nice=19", "IOSchedulingClass=idle"):
    if want not in m:
        bad.append("qsarc-maintenance.service: lacks " + want)
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
if command -v systemd-analyze >/dev/null 2>&1; then
	# Documentation=man:qsarc(1) is checked against the generated page.
	mkdir -p man/man1
	man_opt=--man=no
	if command -v man >/dev/null 2>&1 &&
	    "$PY" "$REPO/cmd/gen_manpage.py" --qsarc "$QSARC" \
	    --template "$REPO/cmd/qsarc.1.in" -o man/man1/qsarc.1 2>/dev/null; then
		man_opt=--man=yes
	fi
	LAST_RC=0
	(cd units && MANPATH=$OLDPWD/man: SYSTEMD_LOG_COLOR=0 \
	    systemd-analyze verify $man_opt ./*.service ./*.timer) \
	    >"$OUT" 2>"$ERR" || LAST_RC=$?
	[ "$LAST_RC" -eq 0 ] || fail "systemd-analyze verify: exit $LAST_RC"
	[ -s "$ERR" ] && fail "systemd-analyze verify complains: $(head -n 5 "$ERR")"
	for t in units/*.timer; do
		cal=$(sed -n 's/^OnCalendar=//p' "$t")
		expect_ok systemd-analyze calendar "$cal"
	done
else
	note "systemd-analyze is not installed: the units were parsed, not verified"
fi
n=0
for u in units/*.service; do
	n=$((n + 1))
	exec_line=$(sed -n 's/^ExecStart=//p' "$u")
	[ -n "$exec_line" ] || fail "$u: no ExecStart="
	# systemd expands ${VAR} from Environment=; here from the test's env.
	cmd=$(QSARC_STORE=$QSARC_STORE QSARC_PASSFILE=$QSARC_PASSFILE \
	    "$PY" -c 'import os, sys; print(os.path.expandvars(sys.argv[1]))' "$exec_line")
	BACKUP_STAMP=unit$n KEEP_LAST=100 expect_ok /bin/sh -c "$cmd"
done
has_stream store web1-unit1 --passphrase-file pass ||
	fail "running qsarc-backup.service's ExecStart stored nothing"
expect_ok q verify store --passphrase-file pass
exit 0
