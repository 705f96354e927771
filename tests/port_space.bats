#!/usr/bin/env bats
# A launch is a port space (issue 19), the shim's side: inside epr run or epr start, a
# connect or send to a sentinel on this host goes to the launch's port for it, and the
# program sees its sentinel in getsockname() and getpeername(). Each test runs in its own
# network namespace; sentinel 7777 stands for a fixed port such as 6379.

load helpers

SERVER=$TESTS/progs/space_server.py
CLIENT=$TESTS/progs/space_client.py
SERVE=$TESTS/progs/space_serve.sh
CHECK=$EPR_BUILD/tests/port_check_server
export SERVER CLIENT SERVE CHECK

setup() {
	launch_setup
	export T=$BATS_TEST_TMPDIR
}

teardown() {
	launch_teardown
}

# in_launch [EPR RUN OPTION...] -- SCRIPT: runs the sh SCRIPT inside 'epr run -p 7777 ...' in
# a private network namespace. SCRIPT may start servers with "$SERVE" (space_serve.sh), and
# must stop them.
in_launch() {
	local opts=()
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	run in_netns timeout 60 "$EPR_BIN" run -p 7777 "${opts[@]}" -- sh -c "$1"
}

@test "a client in the launch that connects to 127.0.0.1:S reaches the launch's server, which listens on another port" {
	in_launch -- '"$SERVE" s tcp 127.0.0.1 7777
		ss -Hltn >"$T/ss"
		python3 "$CLIENT" tcp 127.0.0.1 7777
		python3 "$CLIENT" tcp 127.0.0.1 7777
		kill "$(cat "$T/s.pid")"'
	echo "$output"
	cat "$T/ss"
	[ "${lines[0]}" = "peer 7777 hello" ] && [ "${lines[1]}" = "peer 7777 hello" ]
	[ "$(grep -c ACCEPTED "$T/s.out")" -eq 2 ]
	# the kernel's view: one listener, not on 7777
	[ "$(wc -l <"$T/ss")" -eq 1 ]
	[ "$(grep -c ':7777 ' "$T/ss")" -eq 0 ]
}

@test "connects to S through ::1, 0.0.0.0, localhost and ::ffff:127.0.0.1 reach it too" {
	in_launch -- '"$SERVE" s tcp :: 7777
		for h in ::1 0.0.0.0 localhost ::ffff:127.0.0.1 ::; do
			echo "$h $(python3 "$CLIENT" tcp "$h" 7777)"
		done
		kill "$(cat "$T/s.pid")"'
	echo "$output"
	for h in ::1 0.0.0.0 localhost ::ffff:127.0.0.1 ::; do
		grep -qx "$h peer 7777 hello" <<<"$output"
	done
	[ "$(grep -c ACCEPTED "$T/s.out")" -eq 5 ]
}

@test "a non-blocking connect to S keeps its semantics: EINPROGRESS, then connected" {
	in_launch -- '"$SERVE" s tcp 127.0.0.1 7777
		python3 "$CLIENT" nonblock 127.0.0.1 7777
		kill "$(cat "$T/s.pid")"'
	echo "$output"
	[ "${lines[0]}" = "connect EINPROGRESS" ]
	[ "${lines[1]}" = "peer 7777 hello" ]
}

@test "a connect to S before the launch binds it is refused, and never reaches a listener on S outside the launch" {
	# shellcheck disable=SC2016 # expanded by the inner sh
	run in_netns timeout 60 sh -c '
		python3 "$SERVER" tcp 127.0.0.1 7777 >"$T/host.out" 2>&1 &
		host=$!
		for i in $(seq 100); do grep -qs LISTEN "$T/host.out" && break; sleep 0.1; done
		"$EPR_BIN" run -p 7777 -- python3 "$CLIENT" tcp 127.0.0.1 7777
		"$EPR_BIN" run -p 7777 -- python3 "$CLIENT" nonblock 127.0.0.1 7777
		python3 "$CLIENT" tcp 127.0.0.1 7777 >"$T/outside"
		kill "$host"'
	echo "$output"
	[ "${lines[0]}" = "error ECONNREFUSED" ]
	[ "${lines[1]}" = "connect ECONNREFUSED" ]
	# the host's listener was there all along, and only the client outside reached it
	[ "$(cat "$T/outside")" = "peer 7777 hello" ]
	[ "$(grep -c ACCEPTED "$T/host.out")" -eq 1 ]
}

@test "a client that retries until the server listens gets through" {
	in_launch -- 'python3 "$CLIENT" tcp 127.0.0.1 7777 100 >"$T/client.out" &
		client=$!
		for i in $(seq 100); do grep -qs refused "$T/client.out" && break; sleep 0.1; done
		"$SERVE" s tcp 127.0.0.1 7777
		wait "$client"
		kill "$(cat "$T/s.pid")"
		cat "$T/client.out"'
	echo "$output"
	grep -qx refused <<<"$output"
	[ "${lines[-1]}" = "peer 7777 hello" ]
}

@test "UDP to S by sendto, sendmsg and connect + send reaches the launch's UDP server" {
	in_launch -- '"$SERVE" s udp 127.0.0.1 7777
		ss -Hlun >"$T/ss"
		python3 "$CLIENT" udp 127.0.0.1 7777
		kill "$(cat "$T/s.pid")"'
	echo "$output"
	[ "${lines[0]}" = "sendto sendto" ]
	[ "${lines[1]}" = "sendmsg sendmsg" ]
	[ "${lines[2]}" = "send send" ]
	[ "$(grep -c ':7777 ' "$T/ss")" -eq 0 ]
}

@test "pass-through: a non-local destination, a port that is no sentinel and a unix socket keep their errno" {
	# shellcheck disable=SC2016 # expanded by the inner sh
	script='python3 "$SERVER" tcp 127.0.0.1 7778 >"$T/other.out" 2>&1 &
		other=$!
		for i in $(seq 100); do grep -qs LISTEN "$T/other.out" && break; sleep 0.1; done
		$EPR python3 "$CLIENT" nonblock 192.0.2.1 7777
		$EPR python3 "$CLIENT" tcp 192.0.2.1 7777
		$EPR python3 "$CLIENT" tcp 127.0.0.1 7779
		$EPR python3 "$CLIENT" tcp 127.0.0.1 7778
		$EPR python3 "$CLIENT" unix "$T/no-such-socket"
		$EPR python3 "$CLIENT" udp 192.0.2.1 7777
		kill "$other"'
	run in_netns timeout 60 env EPR= sh -c "$script"
	plain=$output
	run in_netns timeout 60 env EPR="$EPR_BIN run -p 7777 -p 7779 --" sh -c "$script"
	echo "without epr:"
	echo "$plain"
	echo "inside a launch:"
	echo "$output"
	[ "$output" = "$plain" ]
	grep -qx "peer 7778 hello" <<<"$output"
	grep -qx "error ENOENT" <<<"$output"
	grep -q "ENETUNREACH" <<<"$output"
}

@test "a server that checks getsockname() against its configured port works under epr start" {
	# shellcheck disable=SC2016 # expanded by the inner sh
	run in_netns timeout 60 sh -c '
		eval "$("$EPR_BIN" start -p 7777 -- "$CHECK" 7777)" || exit 1
		python3 "$CLIENT" tcp 127.0.0.1 "$EPR_PORT_7777"
		echo "real $EPR_PORT_7777"
		cat "$EPR_LOG"
		"$EPR_BIN" stop "$EPR_FILE"'
	echo "$output"
	real=$(sed -n 's/^real //p' <<<"$output")
	[ -n "$real" ] && [ "$real" != 7777 ]
	[ "${lines[0]}" = "peer $real port 7777" ]
	grep -qx "LISTEN 7777" <<<"$output"
	grep -qx "TRUNC ok" <<<"$output"
}

@test "getpeername() of a socket that connected through S says S; port-0 binds are not masked" {
	in_launch -- '"$SERVE" s tcp 127.0.0.1 7777
		"$SERVE" z tcp 127.0.0.1 0
		python3 "$CLIENT" tcp 127.0.0.1 7777
		z=$(sed -n "s/^LISTEN //p" "$T/z.out")
		echo "zero $z"
		python3 "$CLIENT" tcp 127.0.0.1 "$z"
		kill "$(cat "$T/s.pid")" "$(cat "$T/z.pid")"'
	echo "$output"
	[ "${lines[0]}" = "peer 7777 hello" ]
	z=$(sed -n 's/^zero //p' <<<"$output")
	[ -n "$z" ] && [ "$z" != 0 ]
	[ "${lines[2]}" = "peer $z hello" ]
	# the port-0 listener's own getsockname said the real port
	grep -qx "LISTEN $z" "$T/z.out"
}

@test "a program image that inherits a socket its predecessor bound to S sees S too" {
	in_launch -- 'python3 "$TESTS/progs/exec_getsockname.py" 7777'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 7777 ]
	in_launch --real-ports -- 'python3 "$TESTS/progs/exec_getsockname.py" 7777'
	echo "$output"
	[ "$status" -eq 0 ] && [ "$output" -ne 7777 ]
}

@test "--real-ports and EPR_REAL_PORTS=1 show the real port: the checking server then closes connections" {
	for how in --real-ports EPR_REAL_PORTS=1; do
		if [ "$how" = --real-ports ]; then opt=--real-ports env=''; else opt='' env=$how; fi
		# shellcheck disable=SC2016 # expanded by the inner sh
		run in_netns timeout 60 env $env sh -c '
			eval "$("$EPR_BIN" start $1 -p 7777 -- "$CHECK" 7777)" || exit 1
			python3 "$CLIENT" tcp 127.0.0.1 "$EPR_PORT_7777"
			echo "real $EPR_PORT_7777"
			cat "$EPR_LOG"
			"$EPR_BIN" stop "$EPR_FILE"' sh "$opt"
		echo "$how: $output"
		[ "$status" -eq 0 ]
		real=$(sed -n 's/^real //p' <<<"$output")
		[ -n "$real" ] && [ "$real" != 7777 ]
		[ "${lines[0]}" = "peer $real <closed>" ]
		grep -qx "LISTEN $real" <<<"$output"
	done
	# inside the launch, a client sees the real port of its peer too
	in_launch --real-ports -- '"$SERVE" s tcp 127.0.0.1 7777
		python3 "$CLIENT" tcp 127.0.0.1 7777
		kill "$(cat "$T/s.pid")"'
	echo "$output"
	real=$(sed -n 's/^LISTEN //p' "$T/s.out")
	[ "$real" != 7777 ]
	[ "${lines[0]}" = "peer $real hello" ]
}

@test "EPR_CLIENT=1 (epr exec's clients): binds pass through untouched, connects are still redirected" {
	in_launch -p 7778 -- '"$SERVE" s tcp 127.0.0.1 7777
		EPR_CLIENT=1 "$SERVE" c tcp 127.0.0.1 7778
		ss -Hltn >"$T/ss"
		EPR_CLIENT=1 python3 "$CLIENT" tcp 127.0.0.1 7777
		kill "$(cat "$T/s.pid")" "$(cat "$T/c.pid")"'
	echo "$output"
	cat "$T/ss"
	grep -q '127.0.0.1:7778 ' "$T/ss"
	grep -qx "LISTEN 7778" "$T/c.out"
	[ "${lines[0]}" = "peer 7777 hello" ]
}

@test "the bare shim redirects nothing and masks nothing" {
	# shellcheck disable=SC2016 # expanded by the inner sh
	run in_netns timeout 60 sh -c '
		python3 "$SERVER" tcp 127.0.0.1 7777 >"$T/host.out" 2>&1 &
		host=$!
		for i in $(seq 100); do grep -qs LISTEN "$T/host.out" && break; sleep 0.1; done
		LD_PRELOAD="$LIBEPR" EPR_PORTS=7777 python3 "$CLIENT" tcp 127.0.0.1 7777
		LD_PRELOAD="$LIBEPR" EPR_PORTS=7777 EPR_ENV_FILE="$T/env" "$CHECK" 7777 >"$T/check.out" &
		check=$!
		for i in $(seq 100); do [ -s "$T/env" ] && break; sleep 0.1; done
		python3 "$CLIENT" tcp 127.0.0.1 "$(sed -n "s/^EPR_PORT_7777=//p" "$T/env")"
		kill "$host" "$check"'
	echo "$output"
	[ "${lines[0]}" = "peer 7777 hello" ]
	grep -qx ACCEPTED "$T/host.out"
	# the bare shim rewrote the bind, and getsockname says so
	[[ ${lines[1]} == "peer "*" <closed>" ]]
	[ "$(sed -n 's/^LISTEN //p' "$T/check.out")" != 7777 ]
}
