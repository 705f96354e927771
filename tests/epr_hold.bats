#!/usr/bin/env bats
# epr reserve --hold: a port held past one TIME_WAIT, in the background, until a server
# listens on it, its time is up, or the process it waits for exits. Each test runs in a
# private network namespace, where the holders it starts are the only ones.

load helpers

# What the scenarios share, defined again inside each namespace's shell.
hold_lib() {
	# the epr-hold processes of this network namespace
	holders() {
		local p
		for p in $(pgrep -x epr-hold); do
			[ "$(readlink "/proc/$p/ns/net")" = "$(readlink /proc/self/ns/net)" ] && echo "$p"
		done
		return 0
	}
	# wait (bounded: $1 tenths of a second) until no holder is left
	no_holder_within() {
		local i
		for ((i = 0; i < $1; i++)); do
			[ -z "$(holders)" ] && return 0
			sleep 0.1
		done
		echo "a holder is still running: $(holders)" >&2
		return 1
	}
	# a server that binds 127.0.0.1:$1 with SO_REUSEADDR and listens for $2 seconds
	reuse_server() {
		python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); print("listening", flush=True)
time.sleep(float(sys.argv[2]))' "$1" "$2"
	}
}

# Runs the bash script $1 in a private network namespace, with hold_lib, epr and the test
# programs at hand; a holder it leaves is killed.
in_hold_netns() {
	in_netns bash -c "set -eu; $(declare -f hold_lib); hold_lib; EPR=$EPR_BIN; TESTS=$TESTS; TMPD=$BATS_TEST_TMPDIR
		trap 'kill \$(holders) 2>/dev/null || true' EXIT
		$1"
}

@test "PORT=\$(epr reserve --hold 600) returns at once with a port that only SO_REUSEADDR can bind" {
	run in_hold_netns '
		start=$(date +%s)
		P=$("$EPR" reserve --hold 600)
		[ $(($(date +%s) - start)) -lt 5 ]
		python3 "$TESTS/progs/cli_reserved.py" 127.0.0.1 "$P"
		[ "$(holders | wc -l)" = 1 ]
		echo "port $P"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"port "[0-9]* ]]
}

@test "the holder keeps none of the caller's descriptors: stdin, stdout and stderr are /dev/null" {
	run in_hold_netns '
		P=$("$EPR" reserve --hold 600 2>/dev/null 3>/dev/null)
		h=$(holders)
		ls -l "/proc/$h/fd" | awk "NR > 1 { print \$9, \$11 }"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0 /dev/null" ]
	[ "${lines[1]}" = "1 /dev/null" ]
	[ "${lines[2]}" = "2 /dev/null" ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "slow (72 s): epr reserve --hold 120 still holds its port after 70 s: bind(0) and connect never get it, SO_REUSEADDR does" {
	run in_hold_netns '
		P=$("$EPR" reserve --hold 120)
		sleep 72
		[ "$(holders | wc -l)" = 1 ]
		# a few ports around the held one, all taken by bind(0): never the held one. An even
		# count: of an odd one, bind(0) leaves the last port out
		echo "$((P - 3)) $((P + 4))" >/proc/sys/net/ipv4/ip_local_port_range
		python3 "$TESTS/progs/ephemeral_grab.py" "$P"
		python3 "$TESTS/progs/cli_reserved.py" 127.0.0.1 "$P"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"bind0 7"* ]]
	[[ $output == *"connect "[1-9]* ]]
}

@test "epr reserve --hold-for PID holds until PID exits, then nothing of epr is left" {
	run in_hold_netns '
		sleep 60 & owner=$!
		P=$("$EPR" reserve --hold-for "$owner")
		sleep 0.5
		[ "$(holders | wc -l)" = 1 ]
		kill "$owner"
		no_holder_within 30
		python3 "$TESTS/progs/cli_reserved.py" 127.0.0.1 "$P"'
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "epr reserve --hold-for parent, and --hold without SECONDS, hold until the calling shell exits" {
	run in_hold_netns '
		bash -c "\"$EPR\" reserve --hold-for parent >/dev/null; \"$EPR\" reserve --hold >/dev/null; sleep 1" &
		shell=$!
		sleep 0.5
		[ "$(holders | wc -l)" = 2 ]
		wait "$shell"
		no_holder_within 30'
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a hold ends when a server listens on its port, and the server keeps it" {
	run in_hold_netns '
		P=$("$EPR" reserve --hold 600)
		reuse_server "$P" 10 >"$TMPD/server" &
		no_holder_within 50
		ss -Hltn "sport = :$P" | grep -q LISTEN
		cat "$TMPD/server"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *listening* ]]
}

@test "a hold ends when its SECONDS have passed" {
	run in_hold_netns '
		"$EPR" reserve --hold 3 >/dev/null
		# when reserve returns, the holder runs under its name (3 s: a loaded host is slow)
		[ "$(holders | wc -l)" = 1 ] || { echo "no holder"; exit 1; }
		no_holder_within 60'
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "epr reserve -n 3 --hold holds three ports with one holder" {
	run in_hold_netns '
		"$EPR" reserve -n 3 --hold 600 >"$TMPD/ports"
		[ "$(holders | wc -l)" = 1 ]
		while read -r p; do python3 "$TESTS/progs/cli_reserved.py" 127.0.0.1 "$p"; done <"$TMPD/ports"
		wc -l <"$TMPD/ports"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = 3 ]
}

@test "--hold-for a process that does not exist fails with one line, and starts no holder" {
	run in_hold_netns '
		sleep 0 & gone=$!; wait "$gone"
		if "$EPR" reserve --hold-for "$gone" 2>"$TMPD/err"; then exit 1; fi
		cat "$TMPD/err"
		[ -z "$(holders)" ]'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == "epr: --hold-for: process "*": No such process" ]]
}

@test "--hold and --hold-for reject what is not a duration or a process" {
	run "$EPR_BIN" reserve --hold=soon
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == "epr: --hold: 'soon' is not a number of seconds"* ]]
	run "$EPR_BIN" reserve --hold-for someone
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == "epr: --hold-for: 'someone' is not a process id or 'parent'" ]]
}
