#!/bin/bash
# Restore walkthrough: the three ways back from a store written by
# nightly-backup.sh.  Read it as a recipe; run as is, it performs each step
# into RESTORE_DIR (a fresh directory), so it doubles as a restore drill.
#
#   1. the whole stream: qsarc get | tar x
#   2. one member (file or directory) without reading the rest of the stream
#   3. to another host: replicate the stream into a second store (a disk
#      you carry over, or a file system the other host mounts), then restore
#      there from that store with its own passphrase
#
# Settings, from the environment:
#   QSARC_STORE       the store                        (default /backup/store)
#   QSARC_PASSFILE    its passphrase file; empty for a plain store
#                                             (default /etc/qsarc/passphrase)
#   RESTORE_NAME      the stream to restore      (default: the newest one)
#   RESTORE_DIR       where to restore; must not exist yet (required)
#   RESTORE_MEMBER    the member for step 2, a path inside the archive as
#                     'qsarc ls STORE NAME' lists it      (default etc/hostname)
#   REPLICA_STORE     step 3: the second store; created (plain, or encrypted
#                     with REPLICA_PASSFILE) if it does not exist; empty to
#                     skip step 3                         (default: skipped)
#   REPLICA_PASSFILE  step 3: the second store's passphrase file (default none)
#   QSARC             the qsarc binary              (default: qsarc on $PATH)

set -euo pipefail

QSARC=${QSARC:-qsarc}
store=${QSARC_STORE:-/backup/store}
passfile=${QSARC_PASSFILE-/etc/qsarc/passphrase}
dest=${RESTORE_DIR:?set RESTORE_DIR to a directory that does not exist yet}
member=${RESTORE_MEMBER:-etc/hostname}
replica=${REPLICA_STORE:-}
replica_pass=${REPLICA_PASSFILE:-}

say() { printf '== %s\n' "$*"; }

pass_opt=()
[ -n "$passfile" ] && pass_opt=(--passphrase-file "$passfile")

if [ -e "$dest" ]; then
	echo "restore.sh: $dest exists; choose a new RESTORE_DIR" >&2
	exit 1
fi
mkdir -p "$dest"

# Which stream?  'qsarc ls STORE' lists them with their ingest time; the
# --json form is for scripts.  Names sort by date for nightly-backup.sh's
# names, but the ingest time is what counts.
name=${RESTORE_NAME:-}
if [ -z "$name" ]; then
	name=$("$QSARC" ls "$store" --json "${pass_opt[@]}" | python3 -c '
import json, sys
streams = json.load(sys.stdin)["streams"]
if not streams:
    sys.exit("no streams in the store")
print(max(streams, key=lambda s: (s["created"], s["name"]))["name"])')
fi
say "restoring $name from $store"

# 1. The whole stream.  get checks every chunk and the stream's hash, and
#    exits 6 naming file and offset if anything is damaged; with pipefail
#    that fails the pipeline even if tar already extracted part of it.
say "1. whole stream into $dest/full"
mkdir "$dest/full"
"$QSARC" get "$store" "$name" "${pass_opt[@]}" |
    tar --extract --file=- --directory="$dest/full" --numeric-owner \
    --xattrs --xattrs-include='*' --acls

# 2. One member.  The catalogue made at put time says which chunks hold it,
#    so only those are read.  --extract-to restores xattrs, ACLs and holes,
#    drops a leading '/' and refuses '..' and writing through symlinks
#    (naming each refused member, then exit 9); without it the member comes
#    out as a tar stream on stdout (pipe it to tar t, tar x, or over ssh).
say "2. member $member into $dest/member"
"$QSARC" ls "$store" "$name" --long "${pass_opt[@]}" >"$dest/catalogue"
grep -F -- "$member" "$dest/catalogue" | head -n 5 || true
mkdir "$dest/member"
"$QSARC" get "$store" "$name" --member "$member" --extract-to "$dest/member" \
    "${pass_opt[@]}"
"$QSARC" get "$store" "$name" --member "$member" "${pass_opt[@]}" |
    tar --list --file=- > "$dest/member.list"

# 3. To another host.  replicate copies streams into a second store under
#    that store's own keys and settings, only the chunks it lacks; a killed
#    run is continued by the next.  From an encrypted store to a plain one
#    is refused unless --allow-plaintext-target.  On the other host, the
#    restore is step 1 against the replica (over ssh it can also be
#    'qsarc get STORE NAME | ssh otherhost tar x -C /restore').
if [ -n "$replica" ]; then
	rpass_opt=()
	[ -n "$replica_pass" ] && rpass_opt=(--passphrase-file "$replica_pass")
	if [ ! -e "$replica/config" ]; then
		say "3a. creating the replica store $replica"
		if [ -n "$replica_pass" ]; then
			"$QSARC" init "$replica" --encrypt "${rpass_opt[@]}"
		else
			"$QSARC" init "$replica"
		fi
	fi
	say "3b. replicating $name to $replica"
	src_opt=()
	[ -n "$passfile" ] && src_opt=(--source-passphrase-file "$passfile")
	tgt_opt=()
	[ -n "$replica_pass" ] && tgt_opt=(--target-passphrase-file "$replica_pass")
	"$QSARC" replicate "$store" "$replica" "$name" "${src_opt[@]}" \
	    "${tgt_opt[@]}" --no-progress
	say "3c. restoring $name from the replica into $dest/replica"
	mkdir "$dest/replica"
	"$QSARC" get "$replica" "$name" "${rpass_opt[@]}" |
	    tar --extract --file=- --directory="$dest/replica" --numeric-owner \
	    --xattrs --xattrs-include='*' --acls
fi
say "done: $dest"
