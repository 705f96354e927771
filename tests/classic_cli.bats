#!/usr/bin/env bats
# ephemeral-port-reserve [IP [PORT]] keeps the classic command's contract, checked side by
# side with the classic algorithm (tests/progs/classic_port_reserve.py) on the same inputs,
# each case in a private network namespace: the same exit status, a port or nothing on
# stdout, and the same port where the contract names one.

load helpers
bats_require_minimum_version 1.5.0

CLASSIC=$TESTS/progs/classic_port_reserve.py

# Runs bash script $1 (arguments: the rest) in a network namespace of its own, with OURS
# and CLASSIC set to the two commands; its output is in $output.
in_one_netns() {
	local script=$1
	shift
	run in_netns env -C "$BATS_TEST_TMPDIR" OURS="$EPR_BUILD/ephemeral-port-reserve" \
		CLASSIC="python3 $CLASSIC" bash -c "$script" in_one_netns "$@"
	echo "$output"
}

# Both succeed (a port) or both fail (exit 1, nothing on stdout), for arguments "$@".
same_outcome() {
	in_one_netns 'ours=$($OURS "$@" 2>/dev/null); echo "$? $ours"
		theirs=$($CLASSIC "$@" 2>/dev/null); echo "$? $theirs"' "$@"
	[ "${#lines[@]}" -eq 2 ]
	if [ "${lines[1]%% *}" = 0 ]; then
		[[ ${lines[0]} =~ ^0\ [0-9]+$ ]] && [[ ${lines[1]} =~ ^0\ [0-9]+$ ]]
	else
		[ "${lines[0]}" = "1 " ] && [ "${lines[1]}" = "1 " ]
	fi
}

@test "the same outcome as the classic on addresses, host names and bad arguments" {
	local args
	for args in "" "127.0.0.1" "localhost" "0.0.0.0" "''" "192.0.2.1" "no-such-host.invalid" \
		"127.0.0.256" "127.0.0.1 abc" "127.0.0.1 70000" "127.0.0.1 -1" "127.0.0.1 0 extra" \
		"-x" "127.0.0.1 ''"; do
		eval "set -- $args"
		echo "args: $args"
		same_outcome "$@" || { echo "differs on: $args"; return 1; }
	done
}

@test "a host name is resolved as Python's bind resolves it: the first IPv4 address" {
	in_one_netns 'echo "$($OURS localhost 0) $($CLASSIC localhost 0)"'
	[[ $output =~ ^[0-9]+\ [0-9]+$ ]]
	# the name of this host, from /etc/hosts: local in this namespace or not, both agree
	same_outcome "$(hostname)"
}

@test "a port just reserved, by either, is returned again by both" {
	in_one_netns 'p=$($CLASSIC); echo "$p $($OURS 127.0.0.1 "$p") $($CLASSIC 127.0.0.1 "$p")"
		p=$($OURS); echo "$p $($OURS 127.0.0.1 "$p") $($CLASSIC 127.0.0.1 "$p")"'
	[ "$status" -eq 0 ]
	for line in "${lines[@]}"; do
		read -r reserved ours theirs <<<"$line"
		[ "$ours" = "$reserved" ] && [ "$theirs" = "$reserved" ]
	done
}

@test "a free preferred port is returned; a listening one gives both another port" {
	in_one_netns 'free=$(python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")
		echo "free $free $($OURS 127.0.0.1 "$free") $($CLASSIC 127.0.0.1 "$free")"
		python3 -c "import socket, time
s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(30)" >busy.port &
		for i in $(seq 50); do [ -s busy.port ] && break; sleep 0.1; done
		busy=$(cat busy.port)
		echo "busy $busy $($OURS 127.0.0.1 "$busy") $($CLASSIC 127.0.0.1 "$busy")"
		kill $!'
	[ "$status" -eq 0 ]
	read -r _ free ours theirs <<<"${lines[0]}"
	[ "$ours" = "$free" ] && [ "$theirs" = "$free" ]
	read -r _ busy ours theirs <<<"${lines[1]}"
	[[ $ours =~ ^[0-9]+$ ]] && [[ $theirs =~ ^[0-9]+$ ]]
	[ "$ours" != "$busy" ] && [ "$theirs" != "$busy" ]
}
