#!/usr/bin/env bats
# libepr.so: which binds are rewritten, and what the kernel then sees.

load helpers

SERVER=$EPR_BUILD/tests/listen_server
PROBE=$TESTS/progs/bind_probe.py

@test "a bind to port 0 gets a port that was left in TIME_WAIT, and listens on it" {
	background shimmed "$SERVER" -s 3 127.0.0.1:0 >"$BATS_TEST_TMPDIR/out"
	wait_for_file_content "$BATS_TEST_TMPDIR/out"
	port=$(awk '$1 == "LISTEN" { print $3 }' "$BATS_TEST_TMPDIR/out")
	[ "$port" -gt 0 ]
	listening_on "$port"
	# the reservation's connection, closed by the accepted side, is what holds the port
	ss -Htan state time-wait "sport = :$port" | grep -q "127.0.0.1:$port"
}

@test "a sentinel bind is moved off the sentinel, even while a real server holds it" {
	# a plain listener (no shim) plays the system service that owns the sentinel
	background "$SERVER" -s 5 127.0.0.1:0 >"$BATS_TEST_TMPDIR/service"
	wait_for_file_content "$BATS_TEST_TMPDIR/service"
	sentinel=$(awk '$1 == "LISTEN" { print $3 }' "$BATS_TEST_TMPDIR/service")
	EPR_PORTS=$sentinel run shimmed "$SERVER" 127.0.0.1:"$sentinel"
	[ "$status" -eq 0 ]
	port=$(listened_ports)
	[ -n "$port" ] && [ "$port" -ne "$sentinel" ]
	listening_on "$sentinel" # the service is untouched
}

@test "a sentinel keeps one port across 127.0.0.1 and ::1, and both listen" {
	background EPR_PORTS=3306 shimmed "$SERVER" -s 3 127.0.0.1:3306 '[::1]:3306' >"$BATS_TEST_TMPDIR/out"
	wait_for_lines "$BATS_TEST_TMPDIR/out" 2
	mapfile -t ports < <(awk '$1 == "LISTEN" { print $3 }' "$BATS_TEST_TMPDIR/out")
	[ "${#ports[@]}" -eq 2 ]
	[ "${ports[0]}" -eq "${ports[1]}" ] && [ "${ports[0]}" -ne 3306 ]
	ss -Hltn "sport = :${ports[0]}" | grep -q "127.0.0.1:${ports[0]}"
	ss -Hltn "sport = :${ports[0]}" | grep -q "\[::1\]:${ports[0]}"
}

@test "a sentinel bound first on ::1 then on 127.0.0.1 also gets one port" {
	EPR_PORTS=6379 run shimmed "$SERVER" '[::1]:6379' 127.0.0.1:6379
	[ "$status" -eq 0 ]
	[ "$(listened_ports | sort -u | wc -l)" -eq 1 ]
}

@test "wildcard binds (0.0.0.0 and [::]) of a sentinel are rewritten and listen" {
	EPR_PORTS=8080 run shimmed "$SERVER" 0.0.0.0:8080 '[::]:8080'
	[ "$status" -eq 0 ]
	[ "$(listened_ports | sort -u | wc -l)" -eq 1 ]
	[ "$(listened_ports | head -n1)" -ne 8080 ]
}

@test "every bind to port 0 gets its own port" {
	run shimmed "$SERVER" 127.0.0.1:0 127.0.0.1:0 127.0.0.1:0 '[::1]:0' '[::1]:0' 0.0.0.0:0
	[ "$status" -eq 0 ]
	[ "$(listened_ports | wc -l)" -eq 6 ]
	[ "$(listened_ports | sort -u | wc -l)" -eq 6 ]
}

@test "two processes with the same sentinel get different ports" {
	background EPR_PORTS=3306 shimmed "$SERVER" -s 3 127.0.0.1:3306 >"$BATS_TEST_TMPDIR/a"
	background EPR_PORTS=3306 shimmed "$SERVER" -s 3 127.0.0.1:3306 >"$BATS_TEST_TMPDIR/b"
	wait_for_file_content "$BATS_TEST_TMPDIR/a"
	wait_for_file_content "$BATS_TEST_TMPDIR/b"
	a=$(awk '$1 == "LISTEN" { print $3 }' "$BATS_TEST_TMPDIR/a")
	b=$(awk '$1 == "LISTEN" { print $3 }' "$BATS_TEST_TMPDIR/b")
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -ne "$b" ]
	listening_on "$a" && listening_on "$b"
}

@test "SO_REUSEADDR is forced on the program's socket; IPV6_V6ONLY is left as set" {
	run shimmed "$PROBE" inet stream 127.0.0.1 0 reuse=0
	[[ "$output" =~ ^OK\ [0-9]+\ reuseaddr=1 ]]
	run shimmed "$PROBE" inet6 stream :: 0 v6only=0
	[[ "$output" =~ reuseaddr=1\ v6only=0$ ]]
	run shimmed "$PROBE" inet6 stream :: 0 v6only=1
	[[ "$output" =~ reuseaddr=1\ v6only=1$ ]]
}

@test "a pinned sentinel (S=P) gets exactly P" {
	pin=$(shimmed "$PROBE" inet stream 127.0.0.1 0 | awk '{ print $2 }') # a free, reserved port
	EPR_PORTS=3306=$pin run shimmed "$SERVER" 127.0.0.1:3306 '[::1]:3306'
	[ "$status" -eq 0 ]
	[ "$(listened_ports | sort -u)" = "$pin" ]
}

@test "EPR_ZERO=0 leaves port 0 to the kernel and exports nothing" {
	EPR_ZERO=0 EPR_ENV_FILE=$BATS_TEST_TMPDIR/e.env run shimmed "$SERVER" 127.0.0.1:0
	[ "$status" -eq 0 ]
	port=$(listened_ports)
	[ -z "$(ss -Htan state time-wait "sport = :$port")" ]
	[ ! -e "$BATS_TEST_TMPDIR/e.env" ]
}

@test "UDP, AF_UNIX and ports that are not sentinels pass through untouched" {
	EPR_DEBUG=1 EPR_PORTS=3306 run shimmed "$PROBE" inet dgram 127.0.0.1 0
	[[ "$output" =~ ^OK ]] && [[ "$output" != *libepr* ]]
	EPR_DEBUG=1 run shimmed "$PROBE" unix stream "$BATS_TEST_TMPDIR/sock" 0
	[[ "$output" =~ ^OK ]] && [[ "$output" != *libepr* ]]
	free=$("$PROBE" inet stream 127.0.0.1 0 | awk '{ print $2 }')
	EPR_DEBUG=1 EPR_PORTS=3306 run shimmed "$PROBE" inet stream 127.0.0.1 "$free"
	[ "$output" = "OK $free reuseaddr=0 v6only=-" ]
}

@test "pass-through binds fail with the real errno, as without the shim" {
	background "$SERVER" -s 5 127.0.0.1:0 >"$BATS_TEST_TMPDIR/busy"
	wait_for_file_content "$BATS_TEST_TMPDIR/busy"
	busy=$(awk '$1 == "LISTEN" { print $3 }' "$BATS_TEST_TMPDIR/busy")
	for args in "inet stream 127.0.0.1 $busy" "unix stream /nonexistent/dir/sock 0" \
		"inet stream 192.0.2.1 0" "inet dgram 192.0.2.1 0"; do
		# shellcheck disable=SC2086
		expected=$("$PROBE" $args || true)
		# shellcheck disable=SC2086
		got=$(shimmed "$PROBE" $args || true)
		echo "$args: expected '$expected', got '$got'"
		[ "$got" = "$expected" ] && [[ "$got" =~ ^ERR ]]
	done
}

@test "EPR_DEBUG=1 logs each rewrite as one libepr line" {
	EPR_DEBUG=1 EPR_PORTS=3306 run shimmed "$SERVER" 127.0.0.1:3306
	[ "$status" -eq 0 ]
	port=$(listened_ports)
	[[ "$output" == *"libepr: listen_server["*"]: bind 127.0.0.1:3306 -> $port"* ]]
	run shimmed "$SERVER" 127.0.0.1:0
	[[ "$output" != *libepr* ]]
}

@test "a bind from another library's constructor, before libepr starts, is rewritten" {
	EPR_DEBUG=1 run shimmed "$EPR_BUILD/tests/ctor_bind"
	[ "$status" -eq 0 ]
	[[ "$output" == *"bind 127.0.0.1:0 -> "* ]]
}

@test "the caller's sockaddr is never written" {
	# listen_server compares each address with a copy after bind and prints MUTATED
	EPR_PORTS=3306 run shimmed "$SERVER" 127.0.0.1:3306 '[::1]:3306' 127.0.0.1:0 '[::1]:0'
	[ "$status" -eq 0 ]
	[[ "$output" != *MUTATED* ]]
}

@test "1,000 rewritten binds leak no file descriptor" {
	# in a private namespace: each bind leaves a port in TIME_WAIT for a minute
	run in_netns env LD_PRELOAD="$LIBEPR" "$SERVER" -r 1000 127.0.0.1:0
	[ "$status" -eq 0 ]
	read -r _ before after <<<"$output"
	[ "$before" -eq "$after" ]
}

@test "a lost race for the reserved port re-reserves and binds another" {
	# A namespace with ports 40000-40003, its odd ports held by IPv4 listeners. bind(0)
	# tries odd ports first, so a dual-stack [::]:0 bind is handed, reserved on ::1, a port
	# that 127.0.0.1 holds: twice, until the reservation moves on to an even port.
	run in_netns sh -c '
		echo "40000 40003" > /proc/sys/net/ipv4/ip_local_port_range
		"$1" -s 60 127.0.0.1:40001 127.0.0.1:40003 >/dev/null & s=$!
		for i in $(seq 50); do ss -Hltn | grep -q :40003 && break; sleep 0.1; done
		EPR_DEBUG=1 LD_PRELOAD="$2" "$3" inet6 stream :: 0 v6only=0
		kill $s' sh "$SERVER" "$LIBEPR" "$PROBE"
	echo "$output"
	[[ "$output" =~ OK\ 4000[02]\  ]]
	[ "$(grep -c 'was taken first; reserving another' <<<"$output")" -eq 2 ]
}

@test "a dual-stack [::]:0 port is protected on IPv4 too: plain IPv4 bind(0) is not handed it" {
	# two ephemeral ports: once the shim's port is closed, an unprotected one is the next
	# plain bind(0)'s; protected (in TIME_WAIT on 127.0.0.1), only the other port is left
	run in_netns sh -c '
		echo "40000 40001" > /proc/sys/net/ipv4/ip_local_port_range
		LD_PRELOAD="$2" "$1" inet6 stream :: 0 v6only=0
		python3 -c "
import socket
held = []
for _ in range(2):
    s = socket.socket()
    try:
        s.bind((\"127.0.0.1\", 0)); held.append(s); print(\"PLAIN\", s.getsockname()[1])
    except OSError as e:
        print(\"PLAIN ERR\", e.errno)"' sh "$PROBE" "$LIBEPR"
	echo "$output"
	shim=$(awk '$1 == "OK" { print $2 }' <<<"$output")
	[ -n "$shim" ]
	[ "$(grep -c "^PLAIN $shim\$" <<<"$output")" -eq 0 ]
	[ "$(grep -c '^PLAIN 4000[01]$' <<<"$output")" -eq 1 ]
}

@test "bind 0, close, bind that port again without SO_REUSEADDR: it works, and is exported" {
	for host in 127.0.0.1 ::1; do
		env_file=$BATS_TEST_TMPDIR/probe-${host//:/}.env
		run in_netns env LD_PRELOAD="$LIBEPR" EPR_ENV_FILE="$env_file" python3 -c '
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
probe = socket.socket(family); probe.bind((sys.argv[1], 0)); port = probe.getsockname()[1]
probe.close()
s = socket.socket(family)  # no SO_REUSEADDR, as a test harness does
try:
    s.bind((sys.argv[1], port)); s.listen(1)
except OSError as e:
    print("ERR", e.strerror); sys.exit(1)
print("REBOUND", port)' "$host"
		echo "$host: $output"
		[ "$status" -eq 0 ]
		port=$(awk '$1 == "REBOUND" { print $2 }' <<<"$output")
		[ "$(env_value "$env_file" EPR_PORT_LIST)" = "$port" ]
	done
}
