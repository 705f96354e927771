#!/bin/sh
# A redis master on 6379 watched by two sentinels on 26379 and 26380: members of a cluster
# that announce their configured ports to each other. Each sentinel finds the master at
# 127.0.0.1:6379 from its configuration, says hello there with its own port, and connects to
# the other sentinel at the port the other announced. The script checks that both sentinels
# see the master up and each other, then stops everything.
#
# Alone it needs 6379, 26379 and 26380 free. Under epr, one launch is the cluster's port
# space: every member binds its configured port (moved to a free one), every announced port
# leads to the right member, and any number of clusters run at once:
#
#   epr run -p 6379 -p 26379 -p 26380 -- examples/sentinel-cluster.sh
set -eu

work=$(mktemp -d "${TMPDIR:-/tmp}/sentinel-cluster.XXXXXX")
pids=''
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
	>"$work/master.log" 2>&1 &
pids="$pids $!"
for port in 26379 26380; do
	# A sentinel rewrites its configuration file: each gets one of its own.
	cat >"$work/sentinel-$port.conf" <<-CONF
		port $port
		bind 127.0.0.1
		dir $work
		sentinel monitor cluster 127.0.0.1 6379 2
		sentinel down-after-milliseconds cluster 1000
	CONF
	redis-server "$work/sentinel-$port.conf" --sentinel >"$work/sentinel-$port.log" 2>&1 &
	pids="$pids $!"
done

# Sentinels say hello every 2 s: give them 30 s to find each other.
i=0
until [ "$(redis-cli -p 26379 sentinel master cluster 2>/dev/null | grep -A1 -x num-other-sentinels | tail -n 1)" = 1 ] &&
	[ "$(redis-cli -p 26380 sentinel master cluster 2>/dev/null | grep -A1 -x num-other-sentinels | tail -n 1)" = 1 ]; do
	i=$((i + 1))
	if [ "$i" -gt 300 ]; then
		echo "sentinel-cluster: the sentinels did not find each other" >&2
		tail -n 5 "$work"/*.log >&2
		exit 1
	fi
	sleep 0.1
done
# Past down-after-milliseconds: a member they cannot reach would be marked down by now.
sleep 2
for port in 26379 26380; do
	master=$(redis-cli -p "$port" sentinel master cluster | grep -A1 -x flags | tail -n 1)
	others=$(redis-cli -p "$port" sentinel sentinels cluster | grep -A1 -x flags | tail -n 1)
	echo "sentinel-cluster: sentinel $port: master $master, the other sentinel $others"
	[ "$master" = master ] && [ "$others" = sentinel ]
	redis-cli -p "$port" sentinel ckquorum cluster
done
echo "sentinel-cluster: up"
