#!/bin/bash
# Nightly backup: tar the source directories straight into a qsarc store
# as one stream with a dated name, e.g. "web1-2026-11-28-0130".
#
# Install (as root):
#   install -m 0755 nightly-backup.sh /usr/local/sbin/qsarc-nightly-backup
#   install -d -m 0700 /etc/qsarc
#   (umask 077; printf '%s\n' 'a long passphrase' > /etc/qsarc/passphrase)
#   qsarc init /backup/store --encrypt --passphrase-file /etc/qsarc/passphrase
# then run it from cron (qsarc.cron) or a systemd timer (qsarc-backup.timer).
#
# Settings, from the environment (cron: variable lines in the crontab;
# systemd: Environment= / EnvironmentFile= in the service):
#   QSARC_STORE     the store                  (default /backup/store)
#   QSARC_PASSFILE  passphrase file, mode 0600 or stricter, owned by the
#                   user running this; empty for a plain store
#                                              (default /etc/qsarc/passphrase)
#   BACKUP_SRC      absolute paths to back up, space-separated
#                                              (default "/etc /home /srv")
#   BACKUP_PREFIX   stream name prefix         (default: the short host name)
#   BACKUP_STAMP    the date part of the name  (default: date +%Y-%m-%d-%H%M)
#   QSARC           the qsarc binary           (default: qsarc on $PATH)
#
# Exit status: 0 backed up (tar may have warned about files that changed
# while being read), non-zero if anything failed; a stream from a failed tar
# is removed again so that a restore never picks a truncated archive.

set -euo pipefail

QSARC=${QSARC:-qsarc}
store=${QSARC_STORE:-/backup/store}
passfile=${QSARC_PASSFILE-/etc/qsarc/passphrase}
src=${BACKUP_SRC:-/etc /home /srv}
prefix=${BACKUP_PREFIX:-$(hostname -s)}
name="$prefix-${BACKUP_STAMP:-$(date +%Y-%m-%d-%H%M)}"

say() { printf 'qsarc-nightly-backup: %s\n' "$*" >&2; }

# The passphrase file must be private: readable by nobody but its owner,
# and owned by us (root, normally).  A passphrase on the command line or in
# QSARC_PASSPHRASE would be visible to other users through /proc.
pass_opt=()
if [ -n "$passfile" ]; then
	if [ ! -f "$passfile" ]; then
		say "passphrase file $passfile does not exist"
		exit 1
	fi
	mode=$(stat -c %a "$passfile")
	owner=$(stat -c %u "$passfile")
	if [ $((8#$mode & 8#077)) -ne 0 ] || [ "$owner" -ne "$(id -u)" ]; then
		say "passphrase file $passfile must be mode 0600 or stricter and owned by uid $(id -u) (it is mode $mode, uid $owner)"
		exit 1
	fi
	pass_opt=(--passphrase-file "$passfile")
fi

# tar wants paths relative to -C /; keep only those that exist.
paths=()
for p in $src; do
	case $p in
	/*) ;;
	*) say "BACKUP_SRC entry '$p' is not an absolute path"; exit 1 ;;
	esac
	if [ -e "$p" ]; then
		paths+=("${p#/}")
	else
		say "warning: $p does not exist, skipped"
	fi
done
if [ ${#paths[@]} -eq 0 ]; then
	say "nothing to back up (BACKUP_SRC=$src)"
	exit 1
fi

# Wait up to an hour for the lock: a weekly clean may be running.
# --xattrs --xattrs-include='*' --acls keep file capabilities (security.*),
# user xattrs and ACLs, which plain tar drops; --sparse stores holes as
# holes (qsarc get --extract-to and tar x restore them).
set +e
tar --create --file=- --directory=/ --one-file-system --numeric-owner \
    --xattrs --xattrs-include='*' --acls --sparse \
    -- "${paths[@]}" |
    "$QSARC" put "$store" "$name" "${pass_opt[@]}" --lock-timeout 3600 \
    --no-progress
status=("${PIPESTATUS[@]}")
set -e
tar_rc=${status[0]}
put_rc=${status[1]}

if [ "$put_rc" -ne 0 ]; then
	say "qsarc put $store $name failed (exit $put_rc); nothing stored"
	exit "$put_rc"
fi
# GNU tar: 1 = some files changed while being read (the archive is still
# well-formed), 2 = fatal.  Keep the stream for 0 and 1 only.
if [ "$tar_rc" -gt 1 ]; then
	say "tar failed (exit $tar_rc): removing the incomplete stream $name"
	"$QSARC" rm "$store" "$name" "${pass_opt[@]}" --lock-timeout 3600 || true
	exit 1
fi
if [ "$tar_rc" -eq 1 ]; then
	say "warning: tar reported files that changed while being read"
fi

# Cheap check that the new stream is complete and indexed (no data read).
"$QSARC" verify "$store" "$name" "${pass_opt[@]}" --lock-timeout 3600 >/dev/null
say "stored $name in $store"
