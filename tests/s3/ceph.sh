#!/bin/sh
# tests/s3/ceph.sh: a throw-away single-node Ceph cluster with a RADOS
# Gateway on loopback, for the S3 tests.
#
#   tests/s3/ceph.sh start DIR   bring it up under DIR (15-40 s), write
#                                DIR/env (shell assignments the tests source)
#   tests/s3/ceph.sh stop DIR    stop every daemon started from DIR, remove DIR
#   tests/s3/ceph.sh status DIR  exit 0 when the gateway answers
#
# No disk is used: the OSD keeps objects in memory (memstore), so the cluster
# and everything in it is gone when it stops.  Authentication inside the
# cluster is off (every daemon binds to 127.0.0.1 only); S3 requests are still
# signed with the gateway user's keys, which is what the tests exercise.
#
# Ports are chosen free at start so two runs on one machine do not collide.
# Why these settings: a monitor bound to a v1 address (the v2 protocol needs
# auth), pool size 1 and chooseleaf type 0 (one OSD on one host), small pg
# counts (memstore, one OSD).
set -eu

die() { echo "ceph.sh: $*" >&2; exit 1; }

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: ceph.sh start|stop|status DIR"

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# sh has no local variables: wait_for's names start with wf_ so that it does
# not overwrite a caller's counter (it once reset the OSD start loop's).
wait_for() {	# wait_for TRIES WHAT COMMAND...  (a try is about a second)
	wf_n=$1; wf_what=$2; shift 2
	wf_i=0
	while ! "$@" >/dev/null 2>&1; do
		wf_i=$((wf_i + 1))
		[ "$wf_i" -le "$wf_n" ] || { echo "ceph.sh: $wf_what did not come up after $wf_n tries; logs in $dir/log" >&2; return 1; }
		sleep 1
	done
}

start() {
	for b in ceph-mon ceph-mgr ceph-osd radosgw radosgw-admin monmaptool ceph; do
		command -v "$b" >/dev/null 2>&1 || die "$b not found (apt-get install ceph-mon ceph-mgr ceph-osd radosgw ceph-common)"
	done
	[ ! -e "$dir/pids" ] || die "$dir already holds a cluster (stop it first)"
	mkdir -p "$dir/log" "$dir/run" "$dir/mon" "$dir/osd" "$dir/mgr" "$dir/rgw"
	fsid=$(cat /proc/sys/kernel/random/uuid)
	osd_uuid=$(cat /proc/sys/kernel/random/uuid)
	mon_port=$(free_port)
	rgw_port=$(free_port)
	conf="$dir/ceph.conf"
	cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
ms bind ipv4 = true
ms bind ipv6 = false
public addr = 127.0.0.1
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 2147483648
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
mon data = $dir/mon/\$id
osd data = $dir/osd/\$id
mgr data = $dir/mgr/\$id
keyring = /dev/null
[osd]
osd class update on start = false
osd crush update on start = false
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $dir/rgw
rgw dns name = 127.0.0.1
CONF
	: >"$dir/pids"
	c="-c $conf"
	monmaptool --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
	ceph-mon $c --mkfs -i a --monmap "$dir/monmap" >"$dir/log/mkfs-mon.out" 2>&1
	ceph-mon $c -i a >>"$dir/log/daemons.out" 2>&1
	wait_for 60 "monitor" timeout 5 ceph $c mon stat
	ceph-mgr $c -i x >>"$dir/log/daemons.out" 2>&1
	osd_id=$(ceph $c osd create "$osd_uuid")
	# Why the OSD is placed in the CRUSH map here, not by itself: at start an
	# OSD sends "osd crush set-device-class" and "osd crush create-or-move"
	# to the monitor.  Ceph 16 builds the OSD's first monmap from the
	# addresses it learnt while fetching its config, without the fsid, and
	# can send the first command before the monitor's map arrives; the
	# monitor refuses a command with fsid zero ("wrong fsid") and the OSD
	# exits.  It happened in both CI runs of the first version of this
	# script and here with "debug monc = 20" in [osd].  The two "update on
	# start" settings above stop those commands; the CLI, which has the
	# map before it sends anything, does the placing instead.
	ceph $c osd crush add "osd.$osd_id" 1.0 root=default host=localhost \
	    >"$dir/log/crush-add.out" 2>&1 ||
	    die "ceph osd crush add failed; see $dir/log/crush-add.out"
	mkdir -p "$dir/osd/$osd_id"
	ceph-osd $c -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >"$dir/log/mkfs-osd.out" 2>&1
	# An OSD that is not up after a while is stopped and started again.
	osd_try=0
	while :; do
		osd_try=$((osd_try + 1))
		ceph-osd $c -i "$osd_id" >>"$dir/log/daemons.out" 2>&1 || true
		if wait_for 40 "OSD" sh -c "ceph $c osd stat -f json | grep -q '\"num_up_osds\":1'"; then
			break
		fi
		[ "$osd_try" -lt 3 ] || die "the OSD did not come up after $osd_try starts; logs in $dir/log"
		if [ -f "$dir/run/osd.$osd_id.pid" ]; then
			kill "$(cat "$dir/run/osd.$osd_id.pid")" 2>/dev/null || true
			sleep 2
		fi
		echo "ceph.sh: starting the OSD again (start $((osd_try + 1)))" >&2
	done
	radosgw $c -n client.rgw.a >>"$dir/log/daemons.out" 2>&1
	wait_for 90 "RADOS Gateway" /usr/bin/python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$rgw_port/')"
	key=QSARCTEST$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
	secret=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
	radosgw-admin $c user create --uid qsarc-test --display-name "qsarc tests" \
	    --access-key "$key" --secret "$secret" >"$dir/log/user.out" 2>&1 ||
	    die "radosgw-admin user create failed; see $dir/log/user.out"
	cat >"$dir/env" <<ENV
QSARC_S3_ENDPOINT=http://127.0.0.1:$rgw_port
AWS_ACCESS_KEY_ID=$key
AWS_SECRET_ACCESS_KEY=$secret
AWS_REGION=default
CEPH_CONF=$conf
ENV
	chmod 600 "$dir/env"
}

stop() {
	[ -d "$dir" ] || return 0
	for p in "$dir"/run/*.pid; do
		[ -f "$p" ] || continue
		kill "$(cat "$p")" 2>/dev/null || true
	done
	# Give the daemons a moment, then make sure.
	i=0
	while [ $i -lt 20 ]; do
		alive=0
		for p in "$dir"/run/*.pid; do
			[ -f "$p" ] && kill -0 "$(cat "$p")" 2>/dev/null && alive=1
		done
		[ $alive -eq 0 ] && break
		sleep 0.5; i=$((i + 1))
	done
	for p in "$dir"/run/*.pid; do
		[ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null || true
	done
	rm -rf "$dir"
}

case $cmd in
start)	start ;;
stop)	stop ;;
status)	. "$dir/env" && /usr/bin/python3 -c "import urllib.request; urllib.request.urlopen('$QSARC_S3_ENDPOINT/')" ;;
*)	die "unknown command: $cmd" ;;
esac
