#!/bin/bash
# Weekly maintenance: expire old streams by rule, then reclaim their space
# (and, in an encrypted store, encrypt data written before encryption was
# turned on, and retire content keys nothing depends on any more).
#
# Install (as root):
#   install -m 0755 weekly-maintenance.sh /usr/local/sbin/qsarc-weekly-maintenance
# and run it from cron (qsarc.cron, under nice/ionice) or the systemd timer
# qsarc-maintenance.timer (Nice=19, IOSchedulingClass=idle).
#
# Settings, from the environment:
#   QSARC_STORE     the store                          (default /backup/store)
#   QSARC_PASSFILE  passphrase file; empty for a plain store
#                                               (default /etc/qsarc/passphrase)
#   BACKUP_PREFIX   only expire streams with this name prefix (default: the
#                   short host name; set it empty for all streams)
#   KEEP_LAST       always keep this many newest streams       (default 14)
#   KEEP_AGE        and any stream younger than this            (default 90d)
#   CLEAN_MAX       stop clean at a safe point after this long  (default 4h)
#   QSARC           the qsarc binary                (default: qsarc on $PATH)
#
# Exit status 0 also when there was nothing to expire (qsarc expire
# --fail-if-nothing exits 8, which is reported and passed over) or
# clean stopped at CLEAN_MAX (qsarc exits 7: the next run continues).

set -euo pipefail

QSARC=${QSARC:-qsarc}
store=${QSARC_STORE:-/backup/store}
passfile=${QSARC_PASSFILE-/etc/qsarc/passphrase}
prefix=${BACKUP_PREFIX-$(hostname -s)}
keep_last=${KEEP_LAST:-14}
keep_age=${KEEP_AGE:-90d}
clean_max=${CLEAN_MAX:-4h}

say() { printf 'qsarc-weekly-maintenance: %s\n' "$*" >&2; }

opts=(--lock-timeout 3600 --no-progress)
if [ -n "$passfile" ]; then
	opts+=(--passphrase-file "$passfile")
fi
prefix_opt=()
if [ -n "$prefix" ]; then
	prefix_opt=(--prefix "$prefix-")
fi

# A stream is expired only if neither rule keeps it.  Expired streams can
# still be brought back with 'qsarc unexpire' until the clean below.
rc=0
"$QSARC" expire "$store" --keep-last "$keep_last" --older-than "$keep_age" --fail-if-nothing \
    "${prefix_opt[@]}" "${opts[@]}" || rc=$?
case $rc in
0) ;;
8) say "nothing to expire" ;;
*) say "qsarc expire failed (exit $rc)"; exit "$rc" ;;
esac

rc=0
"$QSARC" clean "$store" --max-duration "$clean_max" "${opts[@]}" || rc=$?
case $rc in
0) ;;
7) say "clean stopped after $clean_max; the next run continues" ;;
*) say "qsarc clean failed (exit $rc)"; exit "$rc" ;;
esac
