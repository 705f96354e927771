#!/usr/bin/env bats
# Servers the shim cannot reach: Go programs, which make the bind system call themselves, and
# a statically linked one. epr start catches their binds with seccomp user notification
# (--via auto picks it from the ELF). Each started 4 times at once, told the same ports,
# checked from outside, stopped, and gone.

load helpers
load servers/servers

@test "4 nats-servers told -p 4222 each answer PING with PONG on their own port" {
	require_server nats-server nats-server
	require_server socat socat
	start_one() {
		epr_start "$1" -p 4222 -- nats-server -a 127.0.0.1 -p 4222 --pid "$1/nats.pid"
	}
	answers() {
		printf 'PING\r\n' | timeout "$CLIENT_TIMEOUT" socat -t2 - "TCP:127.0.0.1:$2" | grep -q '^PONG' &&
			[ "$(cat "$1/nats.pid")" = "$(env_value "$1/env" EPR_PID)" ]
	}
	side_by_side 4 4222 127.0.0.1
}

@test "4 etcds told 2379 and 2380 have both ports rewritten, and each answers /health" {
	require_server etcd etcd-server
	require_server curl curl
	start_one() {
		epr_start "$1" -p 2379 -p 2380 -- etcd --name "e$(basename "$1")" --data-dir "$1/data" \
			--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
			--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
			--initial-cluster "e$(basename "$1")=http://127.0.0.1:2380"
	}
	answers() {
		local i health peer
		peer=$(env_value "$1/env" EPR_PORT_2380)
		[ -n "$peer" ] && [ "$peer" != 2380 ] && [ "$peer" != "$2" ] || return 1
		ss -Hltn "sport = :$peer" | grep -q "127.0.0.1:$peer" || return 1
		for ((i = 0; i < 50; i++)); do
			health=$(curl -s -m 2 "http://127.0.0.1:$2/health") && [ -n "$health" ] && break
			sleep 0.2
		done
		[[ $health == *'"health":"true"'* ]]
	}
	side_by_side 4 2379 127.0.0.1
	sentinel_not_ours 2380
}

@test "4 statically linked servers told 7000 each answer on their own port, on 127.0.0.1 and ::1" {
	start_one() {
		epr_start "$1" -p 7000 -- "$EPR_BUILD/tests/static_server" -t 120 127.0.0.1 7000 ::1 7000
	}
	answers() {
		[ "$(echo hi | timeout "$CLIENT_TIMEOUT" socat -t2 - "TCP:127.0.0.1:$2")" = "hello from $2" ] &&
			[ "$(echo hi | timeout "$CLIENT_TIMEOUT" socat -t2 - "TCP:[::1]:$2")" = "hello from $2" ]
	}
	side_by_side 4 7000 127.0.0.1 ::1
}
