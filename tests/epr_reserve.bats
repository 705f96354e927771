#!/usr/bin/env bats
# epr reserve and ephemeral-port-reserve: ports left in TIME_WAIT, the classic contract.

load helpers

RESERVED=$TESTS/progs/cli_reserved.py

# A usage error: exit 2, one "epr:" line naming the problem, and the hint.
usage_error() {
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} == "epr: "* ]]
	[[ ${lines[1]} == "Try '"*" --help'." ]]
}

@test "epr reserve prints one port that a plain bind cannot take but SO_REUSEADDR can" {
	run "$EPR_BIN" reserve
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output =~ ^[0-9]+$ ]]
	python3 "$RESERVED" 127.0.0.1 "$output"
}

@test "epr reserve 127.0.0.1 reserves on IPv4" {
	run "$EPR_BIN" reserve 127.0.0.1
	[ "$status" -eq 0 ]
	python3 "$RESERVED" 127.0.0.1 "$output"
}

@test "epr reserve ::1 reserves on IPv6" {
	run "$EPR_BIN" reserve ::1
	[ "$status" -eq 0 ]
	python3 "$RESERVED" ::1 "$output"
}

@test "epr reserve accepts an IPv6 address in brackets" {
	run "$EPR_BIN" reserve '[::1]'
	[ "$status" -eq 0 ]
	python3 "$RESERVED" ::1 "$output"
}

@test "epr reserve localhost means 127.0.0.1" {
	run "$EPR_BIN" reserve localhost
	[ "$status" -eq 0 ]
	python3 "$RESERVED" 127.0.0.1 "$output"
}

@test "epr reserve -n 5 prints 5 distinct reserved ports" {
	run "$EPR_BIN" reserve -n 5
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq 5 ]
	for port in "${lines[@]}"; do
		python3 "$RESERVED" 127.0.0.1 "$port"
	done
}

@test "epr reserve IP PORT returns PORT when it is free" {
	# a port the kernel hands a plain bind, then releases: free, and never connected
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run "$EPR_BIN" reserve 127.0.0.1 "$port"
	[ "$status" -eq 0 ]
	[ "$output" -eq "$port" ]
	python3 "$RESERVED" 127.0.0.1 "$port"
}

@test "epr reserve IP PORT falls back to another port when PORT is taken" {
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(10)' >"$BATS_TEST_TMPDIR/busy" &
	wait_for_file_content "$BATS_TEST_TMPDIR/busy"
	busy=$(cat "$BATS_TEST_TMPDIR/busy")
	run "$EPR_BIN" reserve 127.0.0.1 "$busy"
	kill %1 2>/dev/null || true
	[ "$status" -eq 0 ]
	[ "$output" -ne "$busy" ]
	python3 "$RESERVED" 127.0.0.1 "$output"
}

@test "ephemeral-port-reserve is the same command under the classic name" {
	PORT="$("$EPR_BUILD/ephemeral-port-reserve")"
	[[ $PORT =~ ^[0-9]+$ ]]
	python3 "$RESERVED" 127.0.0.1 "$PORT"
	PORT="$("$EPR_BUILD/ephemeral-port-reserve" ::1)"
	python3 "$RESERVED" ::1 "$PORT"
}

@test "ephemeral-port-reserve reports its usage errors under its own name" {
	run "$EPR_BUILD/ephemeral-port-reserve" -q
	status=$((status + 1)) # exit 1, as the classic command exits on every error
	usage_error
	[ "${lines[1]}" = "Try 'ephemeral-port-reserve --help'." ]
}

@test "an address that is not local is reported as such (exit 1)" {
	# TEST-NET-1 (RFC 5737): never assigned to a host
	run "$EPR_BIN" reserve 192.0.2.1
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "epr: 192.0.2.1: not a local address"* ]]
}

@test "an invalid IP is a usage error" {
	run "$EPR_BIN" reserve 127.0.0.256
	usage_error
	[[ ${lines[0]} == *"'127.0.0.256'"* ]]
	run "$EPR_BIN" reserve not-an-ip
	usage_error
}

@test "a port out of range is a usage error that names it" {
	run "$EPR_BIN" reserve 127.0.0.1 70000
	usage_error
	[[ ${lines[0]} == *"'70000'"* ]]
	run "$EPR_BIN" reserve 127.0.0.1 12x
	usage_error
}

@test "-n 0 and -n without a number are usage errors" {
	run "$EPR_BIN" reserve -n 0
	usage_error
	[[ ${lines[0]} == *"'0'"* ]]
	run "$EPR_BIN" reserve -n five
	usage_error
	run "$EPR_BIN" reserve -n
	usage_error
}

@test "unknown options and extra arguments are usage errors" {
	run "$EPR_BIN" reserve -x
	usage_error
	[[ ${lines[0]} == *"'-x'"* ]]
	run "$EPR_BIN" reserve --bogus
	usage_error
	run "$EPR_BIN" reserve 127.0.0.1 0 extra
	usage_error
}

@test "an unknown command, or none, is a usage error" {
	run "$EPR_BIN" frobnicate
	usage_error
	[[ ${lines[0]} == *"'frobnicate'"* ]]
	run "$EPR_BIN"
	usage_error
}

@test "epr --help, epr reserve --help and ephemeral-port-reserve --help print usage and exit 0" {
	run "$EPR_BIN" --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "Usage: epr "* ]]
	for cmd in reserve run start stop exec; do
		run "$EPR_BIN" "$cmd" --help
		[ "$status" -eq 0 ]
		[[ ${lines[0]} == "Usage: epr $cmd "* ]]
	done
	run "$EPR_BUILD/ephemeral-port-reserve" --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "Usage: ephemeral-port-reserve "* ]]
}

@test "epr --version prints epr 0.1.0" {
	run "$EPR_BIN" --version
	[ "$status" -eq 0 ]
	[ "$output" = "epr 0.1.0" ]
}

@test "epr reserve under the shim reaches the kernel directly: nothing exported, nothing rewritten" {
	env_file=$BATS_TEST_TMPDIR/launch.env
	run env LD_PRELOAD="$LIBEPR" EPR_ENV_FILE="$env_file" EPR_DEBUG=1 "$EPR_BIN" reserve
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output =~ ^[0-9]+$ ]] # one port, and no libepr: line about a rewrite
	[ ! -e "$env_file" ]
	python3 "$RESERVED" 127.0.0.1 "$output"
}

@test "a launcher script that calls epr reserve exports only its server's port" {
	env_file=$BATS_TEST_TMPDIR/launch.env
	# --real-ports: listen_server prints the real port, not the sentinel
	run in_netns "$EPR_BIN" run --real-ports -p 8000 -e "$env_file" -- sh -c \
		'p=$("$1" reserve) && echo "RESERVED $p" && exec "$2" 127.0.0.1:8000' sh "$EPR_BIN" \
		"$EPR_BUILD/tests/listen_server"
	echo "$output"
	[ "$status" -eq 0 ]
	server=$(awk '$1 == "LISTEN" { print $3 }' <<<"$output")
	[ -n "$server" ] && [ "$server" -ne 8000 ]
	[ "$(env_value "$env_file" EPR_PORT_LIST)" = "$server" ]
	[ "$(env_value "$env_file" EPR_PORT_8000)" = "$server" ]
}
