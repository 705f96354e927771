#!/usr/bin/env bats
# libepr.so: bad configuration and faults fail closed, with one clear line, never a crash.

load helpers

SERVER=$EPR_BUILD/tests/listen_server
PROBE=$TESTS/progs/bind_probe.py

@test "every malformed EPR_PORTS fails each TCP bind with EINVAL and one line naming the value" {
	for bad in "${BAD_PORT_SPECS[@]}"; do
		EPR_PORTS=$bad run shimmed "$SERVER" 127.0.0.1:0 127.0.0.1:3306 '[::1]:8080'
		echo "EPR_PORTS='$bad': $output"
		[ "$status" -eq 1 ]
		[ "$(grep -c '^ERROR .* EINVAL$' <<<"$output")" -eq 3 ]
		[ "$(grep -c '^libepr: ' <<<"$output")" -eq 1 ]
		grep -q "^libepr: listen_server\[[0-9]*\]: error: EPR_PORTS: " <<<"$output"
		[[ "$output" != *LISTEN* ]]
	done
	[ "${#BAD_PORT_SPECS[@]}" -ge 20 ]
}

@test "the message names the offending item" {
	EPR_PORTS=3306,70000 run shimmed "$SERVER" 127.0.0.1:0
	[[ "$output" == *"error: EPR_PORTS: '70000' is not a port (1-65535); refusing every TCP bind"* ]]
	EPR_PORTS=3306=1,3306=2 run shimmed "$SERVER" 127.0.0.1:0
	[[ "$output" == *"'3306=2' pins a sentinel already pinned to another port"* ]]
}

@test "a bad configuration never binds the sentinel itself" {
	EPR_PORTS=3306,x run shimmed "$PROBE" inet stream 127.0.0.1 3306 listen
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "ERR EINVAL" ]
}

@test "a bad configuration leaves UDP and AF_UNIX binds alone" {
	EPR_PORTS=abc run shimmed "$PROBE" inet dgram 127.0.0.1 0
	[[ "$output" == OK* ]]
	EPR_PORTS=abc run shimmed "$PROBE" unix stream "$BATS_TEST_TMPDIR/s" 0
	[[ "$output" == OK* ]]
}

@test "EPR_PORTS= (empty) is valid: no sentinels" {
	EPR_PORTS='' run shimmed "$SERVER" 127.0.0.1:0
	[ "$status" -eq 0 ]
	[[ "$output" != *libepr* ]]
}

@test "EPR_ZERO and EPR_DEBUG accept 0 or 1 and refuse anything else" {
	for var in EPR_ZERO EPR_DEBUG; do
		for bad in yes 2 on -1; do
			run env "$var=$bad" LD_PRELOAD="$LIBEPR" "$SERVER" 127.0.0.1:0
			[ "$status" -eq 1 ]
			[[ "$output" == *"error: $var: '$bad' is not 0 or 1"* ]]
		done
	done
}

@test "EPR_CALL_WAIT takes whole seconds from 1 to 3600 and refuses anything else" {
	local bad good
	for bad in 0 3601 1.5 -1 10s 99999999999999999999; do
		run env EPR_CALL_WAIT="$bad" LD_PRELOAD="$LIBEPR" "$SERVER" 127.0.0.1:0
		[ "$status" -eq 1 ]
		[[ "$output" == *"error: EPR_CALL_WAIT: '$bad' is not a number of seconds from 1 to 3600"* ]]
	done
	for good in 1 10 3600; do
		EPR_CALL_WAIT=$good run shimmed "$SERVER" 127.0.0.1:0
		[ "$status" -eq 0 ]
		[[ "$output" != *libepr* ]]
	done
}

@test "an exhausted port range fails the bind with EADDRNOTAVAIL and a message, no crash" {
	run in_netns sh -c '
		echo "40000 40001" > /proc/sys/net/ipv4/ip_local_port_range
		"$1" -s 60 127.0.0.1:40000 127.0.0.1:40001 >/dev/null & s=$!
		for i in $(seq 50); do ss -Hltn | grep -q :40001 && break; sleep 0.1; done
		LD_PRELOAD="$2" "$1" 127.0.0.1:0; echo "exit=$?"
		kill $s' sh "$SERVER" "$LIBEPR"
	echo "$output"
	[[ "$output" == *"ERROR 127.0.0.1:0 EADDRNOTAVAIL"* ]]
	[[ "$output" == *"libepr: listen_server["*"]: error: bind 127.0.0.1:0: no free port to reserve"* ]]
	[[ "$output" == *"exit=1"* ]]
}

@test "with IPv6 disabled, a sentinel is still rewritten on IPv4" {
	run in_netns sh -c '
		echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
		echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6
		EPR_PORTS=3306 LD_PRELOAD="$2" "$1" 127.0.0.1:3306' sh "$SERVER" "$LIBEPR"
	echo "$output"
	[ "$status" -eq 0 ]
	port=$(listened_ports)
	[ -n "$port" ] && [ "$port" -ne 3306 ]
}

@test "no free file descriptor (RLIMIT_NOFILE) fails the bind with EMFILE, no crash" {
	# listen_server -E lowers its limit to leave no fd for the reservation's sockets
	run shimmed "$SERVER" -E 127.0.0.1:0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ERROR 127.0.0.1:0 EMFILE"* ]]
	[[ "$output" == *"error: bind 127.0.0.1:0: cannot reserve a port: Too many open files"* ]]
}

@test "with IPv6 disabled, binds to [::]:0 and [::]:S work as they do without the shim" {
	run in_netns sh -c '
		echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
		echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6
		echo "plain: $("$1" inet6 stream :: 0 listen)"
		for v6only in 0 1; do
			echo "zero v6only=$v6only: $(LD_PRELOAD="$2" "$1" inet6 stream :: 0 v6only=$v6only listen)"
			echo "sentinel v6only=$v6only: $(EPR_PORTS=3306 LD_PRELOAD="$2" "$1" inet6 stream :: 3306 v6only=$v6only listen)"
		done' sh "$PROBE" "$LIBEPR"
	echo "$output"
	[[ "$output" == *"plain: OK "* ]] # the baseline: the kernel takes it
	[ "$(grep -c ': OK [0-9]* reuseaddr=1 ' <<<"$output")" -eq 4 ]
	[[ "$output" != *"OK 3306 "* ]] && [[ "$output" != *ERR* ]]
}
