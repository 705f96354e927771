#!/usr/bin/env bats
# The seccomp interception mechanism (helper/seccomp/seccomp_filter.c, seccomp_notify.c) on its own,
# driven by tests/progs/seccomp_driver: programs the shim cannot reach have their binds
# rewritten from outside, and what is not rewritten reaches the kernel untouched. Each test
# runs in a private network namespace and checks with ss and a client what the kernel saw.

load helpers

setup() {
	DRIVER=$EPR_BUILD/tests/seccomp_driver
	PROGS=$EPR_BUILD/tests
	OUT=$BATS_TEST_TMPDIR/out
	export DRIVER PROGS OUT
}

# Runs the bash script $1 in a private network namespace, with tests/seccomp_netns.bash loaded.
in_netns_script() {
	in_netns bash -c '. "$TESTS/seccomp_netns.bash" && eval "$1"' in_netns_script "$1"
}

@test "a static server's bind to the sentinel lands on a reserved port that answers" {
	run in_netns_script '
		drive -s 4222 -- "$PROGS/static_server" -n 1 -t 10 127.0.0.1 4222
		wait_listen 1 || exit 1
		port=$(listen_ports)
		[ "$port" != 4222 ] || { echo "not rewritten"; exit 1; }
		ss -Hltn "sport = :$port" | grep -q "127.0.0.1:$port" || { echo "ss: no listener on $port"; exit 1; }
		! ss -Hltn "sport = :4222" | grep -q . || { echo "something listens on 4222"; exit 1; }
		answers "$port" || { echo "no answer on $port"; exit 1; }
		finish && nothing_left && echo "PORT $port"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"bind 4222 -> "* ]]
	[[ "$output" == *"LISTEN 127.0.0.1 "* ]]
}

@test "a static server's bind to port 0 is given a reserved port" {
	run in_netns_script '
		drive -z -- "$PROGS/static_server" -n 1 -t 10 127.0.0.1 0
		wait_listen 1 || exit 1
		port=$(listen_ports)
		ss -Hltn "sport = :$port" | grep -q . || exit 1
		answers "$port" && finish && nothing_left'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"bind 0 -> "* ]]
}

@test "eight threads binding the sentinel at once all get the same rewritten port" {
	run in_netns_script '
		drive -s 4222 -- "$PROGS/threads_bind" 4222 3
		wait_listen 8 || exit 1
		[ "$(listen_ports | wc -l)" -eq 1 ] || exit 1
		port=$(listen_ports)
		[ "$port" != 4222 ] || exit 1
		[ "$(ss -Hltn "sport = :$port" | wc -l)" -eq 8 ] || { ss -Hltn; exit 1; }
		finish && nothing_left'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^LISTEN 127.0.0.1' <<<"$output")" -eq 8 ]
}

@test "forked workers binding the sentinel share one rewritten port" {
	run in_netns_script '
		drive -s 4222 -- "$PROGS/fork_bind" 4 4222 3
		wait_listen 4 || exit 1
		[ "$(listen_ports | wc -l)" -eq 1 ] || exit 1
		port=$(listen_ports)
		[ "$port" != 4222 ] || exit 1
		[ "$(ss -Hltn "sport = :$port" | wc -l)" -eq 4 ] || { ss -Hltn; exit 1; }
		finish && nothing_left'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^LISTEN 127.0.0.1' <<<"$output")" -eq 4 ]
}

@test "a bind that signals keep interrupting while the supervisor is slow succeeds once, on the rewritten port" {
	# Go preempts threads with signals. With WAIT_KILLABLE_RECV (5.19+) they wait for the
	# answer; on older kernels the bind restarts and the driver finds the socket bound by it.
	run in_netns_script '
		drive -s 4222 -d 200 -- "$PROGS/signalled_bind" 4222
		finish'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^bind 4222 -> ' <<<"$output")" -eq 1 ]
	port=$(awk '$1 == "bind" { print $4 }' <<<"$output")
	[[ "$output" == *"LISTEN 127.0.0.1 $port "* ]]
}

@test "a bind to another port passes through untouched, its errno intact" {
	run in_netns_script '
		"$PROGS/static_server" -t 10 127.0.0.1 5000 >/dev/null &
		holder=$!
		for ((i = 0; i < 50; i++)); do ss -Hltn "sport = :5000" | grep -q . && break; sleep 0.1; done
		bare=$("$PROGS/static_server" -t 1 127.0.0.1 5000 2>&1)
		drive -s 4222 -- "$PROGS/static_server" -t 1 127.0.0.1 5000
		finish
		echo "rc=$?"
		echo "bare: $bare"
		kill "$holder"; wait "$holder"
		drive -s 4222 -- "$PROGS/static_server" -n 1 -t 10 127.0.0.1 5001
		wait_listen 1 || exit 1
		[ "$(listen_ports)" = 5001 ] && answers 5001 && finish'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rc=1"* ]]
	[ "$(grep -c 'bind 127.0.0.1 5000: EADDRINUSE (Address already in use)' <<<"$output")" -eq 2 ]
	[[ "$output" != *"bind 5000 ->"* ]] && [[ "$output" != *"bind 5001 ->"* ]]
}

@test "the sentinel bound on ::1 and on 127.0.0.1 gets one port on both" {
	run in_netns_script '
		drive -s 4222 -- "$PROGS/static_server" -n 2 -t 10 ::1 4222 127.0.0.1 4222
		wait_listen 2 || exit 1
		[ "$(listen_ports | wc -l)" -eq 1 ] || exit 1
		port=$(listen_ports)
		ss -Hltn "sport = :$port" | grep -qF "[::1]:$port" || exit 1
		answers "$port" ::1 && answers "$port" 127.0.0.1 && finish && nothing_left'
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a dual-stack bind of :: to the sentinel is rewritten and answers over IPv4 and IPv6" {
	run in_netns_script '
		drive -s 4222 -- "$PROGS/static_server" -d -n 2 -t 10 :: 4222
		wait_listen 1 || exit 1
		port=$(listen_ports)
		[ "$port" != 4222 ] || exit 1
		ss -Hltn "sport = :$port" | grep -qF "*:$port" || { ss -Hltn; exit 1; }
		answers "$port" ::1 && answers "$port" 127.0.0.1 && finish && nothing_left'
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "nats-server (Go, raw syscalls) answers PING with PONG on the rewritten port" {
	if ! command -v nats-server >/dev/null; then
		[ "${CI:-}" != true ] || false
		skip "nats-server is not installed"
	fi
	run in_netns_script '
		drive -s 4222 -t 5 -- nats-server -a 127.0.0.1 -p 4222
		wait_listen 1 || exit 1
		port=$(listen_ports)
		[ "$port" != 4222 ] || exit 1
		ss -Hltnp "sport = :$port" | grep -q nats-server || { ss -Hltnp; exit 1; }
		reply=$(printf "PING\r\n" | socat -t2 - "TCP:127.0.0.1:$port")
		echo "reply: $reply"
		grep -q PONG <<<"$reply" || exit 1
		kill $(pgrep_here -x nats-server)
		finish
		[ -z "$(pgrep_here -x nats-server)" ]'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Listening for client connections on 127.0.0.1:"* ]]
}

@test "etcd (Go) has its client port 2379 and peer port 2380 both rewritten, and /health answers" {
	if ! command -v etcd >/dev/null; then
		[ "${CI:-}" != true ] || false
		skip "etcd is not installed"
	fi
	run in_netns_script '
		drive -s 2379 -s 2380 -t 20 -- etcd --data-dir "$OUT.etcd" \
			--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
			--listen-peer-urls http://127.0.0.1:2380
		wait_listen 2 || exit 1
		client=$(awk "\$1 == \"bind\" && \$2 == 2379 { print \$4; exit }" "$OUT")
		peer=$(awk "\$1 == \"bind\" && \$2 == 2380 { print \$4; exit }" "$OUT")
		[ -n "$client" ] && [ -n "$peer" ] || exit 1
		! ss -Hltn | grep -qE ":(2379|2380) " || { ss -Hltn; exit 1; }
		ss -Hltnp "sport = :$client" | grep -q etcd || exit 1
		ss -Hltnp "sport = :$peer" | grep -q etcd || exit 1
		for ((i = 0; i < 50; i++)); do
			health=$(curl -s -m 2 "http://127.0.0.1:$client/health") && [ -n "$health" ] && break
			sleep 0.2
		done
		echo "health: $health"
		kill $(pgrep_here -x etcd)
		finish
		[ -z "$(pgrep_here -x etcd)" ]'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'health: {"health":"true"'* ]]
}

@test "inside a sandbox that has its own notifier, the second listener is refused: EBUSY, one line, before the server runs" {
	run in_netns_script '
		"$PROGS/own_notifier" "$DRIVER" -s 4222 -- "$PROGS/static_server" -t 5 127.0.0.1 4222
		echo "rc=$?"
		! ss -Hltn | grep -q .'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rc=125"* ]]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "seccomp_driver: seccomp: a second listener is refused"*"Device or resource busy" ]]
	[[ "$output" != *LISTEN* ]]
}
