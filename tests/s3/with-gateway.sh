#!/bin/sh
# tests/s3/with-gateway.sh COMMAND [ARG...]
#
# Run COMMAND with a throw-away Ceph RADOS Gateway (tests/s3/ceph.sh) up on
# loopback and its address and keys in the environment (QSARC_S3_ENDPOINT,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION); stop the cluster
# afterwards, whatever COMMAND did or however it ended (INT, TERM, HUP too).
# Exit with COMMAND's status; if the cluster does not come up, say so and
# exit 1 without running COMMAND.
#
# `make check` runs the whole suite under it, so the S3 tests always run in
# CI.  QSARC_S3_ENDPOINT already set means a gateway is up: use it as is.
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || { echo "usage: with-gateway.sh COMMAND [ARG...]" >&2; exit 2; }

if [ -n "${QSARC_S3_ENDPOINT:-}" ]; then
	exec "$@"
fi

dir=$(mktemp -d /tmp/qsarc-ceph.XXXXXX) || exit 1
rmdir "$dir"
cleanup() { "$here/ceph.sh" stop "$dir" || true; }
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

start=$(date +%s)
if ! "$here/ceph.sh" start "$dir"; then
	echo "with-gateway.sh: the Ceph test cluster did not start; the end of its logs:" >&2
	tail -n 15 "$dir"/log/* >&2 2>/dev/null
	# The tails above can miss the line that matters (a daemon that failed
	# early is followed by a monitor that kept logging); name the errors.
	echo "with-gateway.sh: error lines in its logs:" >&2
	grep -h -i -e 'wrong fsid' -e ' fail' -e 'error' -e 'unable to' "$dir"/log/* 2>/dev/null |
	    tail -n 20 >&2
	cleanup
	exit 1
fi
echo "== Ceph RADOS Gateway up in $(( $(date +%s) - start )) s"
set -a
. "$dir/env"
set +a
"$@"
rc=$?
cleanup
exit $rc
