#!/usr/bin/env bats
# Faults and load: the shim and epr fail with a clear message, lose nothing, never crash.

load helpers

SERVER=$EPR_BUILD/tests/listen_server

@test "a full filesystem fails listen() with ENOSPC and leaves no file, whole or truncated" {
	# a private mount namespace holding a one-page tmpfs, filled before the server starts
	run unshare -m sh -c '
		mount -t tmpfs -o size=4k tmpfs "$1" || exit 99
		head -c 4096 /dev/zero >"$1/filler" 2>/dev/null
		rm -f "$1/filler.tmp"; head -c 100000 /dev/zero >"$1/more" 2>/dev/null
		EPR_ENV_FILE="$1/db.env" LD_PRELOAD="$2" "$3" 127.0.0.1:0
		echo "files:" $(ls -A "$1")' sh "$BATS_TEST_TMPDIR" "$LIBEPR" "$SERVER"
	echo "$output"
	[ "$status" -ne 99 ] || skip "cannot mount a tmpfs here"
	[[ "$output" == *"ERROR 127.0.0.1:0 ENOSPC"* ]]
	[[ "$output" == *"error: cannot write $BATS_TEST_TMPDIR/db.env: No space left on device"* ]]
	[[ "$output" != *db.env\ * ]] && [[ "$output" != *.tmp* ]]
}

@test "64 threads and 16 processes of one tree export at once while a reader re-reads the file" {
	env_file=$BATS_TEST_TMPDIR/load.env
	# the reader: every read must parse completely, whatever the writers are doing
	(
		bad=0
		for ((i = 0; i < 4000; i++)); do
			[ -e "$env_file" ] || continue
			content=$(cat "$env_file" 2>/dev/null) || continue
			grep -qvE '^(EPR_(PORT|PORT_LIST|PORT_[0-9]+)=[0-9]+(,[0-9]+)*|EPR_LAUNCH=[0-9a-f]{16})$' <<<"$content" && bad=$((bad + 1))
			[ -e "$BATS_TEST_TMPDIR/done" ] && break
		done
		echo "$bad" >"$BATS_TEST_TMPDIR/bad_reads"
	) 3>&- &
	reader=$!
	run in_netns env EPR_PORTS=3306 EPR_ENV_FILE="$env_file" LD_PRELOAD="$LIBEPR" sh -c '
		for i in $(seq 16); do "$1" -t 4 127.0.0.1:0 127.0.0.1:3306 & done; wait' sh "$SERVER"
	touch "$BATS_TEST_TMPDIR/done"
	wait "$reader"
	echo "bad reads: $(cat "$BATS_TEST_TMPDIR/bad_reads")"
	[ "$(cat "$BATS_TEST_TMPDIR/bad_reads")" -eq 0 ]
	# 16 processes x 4 threads of port 0, plus each process's one sentinel port: all there
	mapfile -t zero < <(awk '$1 == "LISTEN" && $2 == "127.0.0.1:0" { print $3 }' <<<"$output")
	[ "${#zero[@]}" -eq 64 ]
	exported=$(env_value "$env_file" EPR_PORT_LIST | tr , '\n' | sort -u)
	for port in "${zero[@]}"; do grep -qx "$port" <<<"$exported"; done
	# and each process's sentinel port: 16 more, 80 in all
	mapfile -t sentinel_ports < <(awk '$1 == "LISTEN" && $2 == "127.0.0.1:3306" { print $3 }' <<<"$output")
	[ "${#sentinel_ports[@]}" -eq 16 ]
	for port in "${sentinel_ports[@]}"; do grep -qx "$port" <<<"$exported"; done
	[ "$(wc -l <<<"$exported")" -eq 80 ]
}

@test "a statically linked server is beyond LD_PRELOAD: --via preload warns and its bind is not rewritten; auto rewrites it" {
	[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || skip "no static libc (libc6-dev)"
	cc -static -O1 -D_GNU_SOURCE -o "$BATS_TEST_TMPDIR/static_server" "$TESTS/progs/listen_server.c" \
		-pthread || skip "cannot link statically"
	# a free port (not in TIME_WAIT) stands for the sentinel
	sentinel=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run "$EPR_BIN" run --via preload -p "$sentinel" -- "$BATS_TEST_TMPDIR/static_server" "127.0.0.1:$sentinel"
	echo "$output"
	[[ "$output" == *"epr: warning: "*"is statically linked"* ]]
	# the limitation, shown: it got the sentinel itself
	[[ "$output" == *"LISTEN 127.0.0.1:$sentinel $sentinel"* ]]
	# by default (auto) seccomp catches it: another port, and no warning
	run "$EPR_BIN" run -p "$sentinel" -- "$BATS_TEST_TMPDIR/static_server" "127.0.0.1:$sentinel"
	echo "$output"
	[[ "$output" != *"warning"* ]]
	[[ "$output" == *"LISTEN 127.0.0.1:$sentinel "* ]]
	[[ "$output" != *"LISTEN 127.0.0.1:$sentinel $sentinel"* ]]
}

@test "epr reserve with no free port exits 1 with a message, and without descriptors too" {
	run in_netns sh -c '
		echo "40000 40001" > /proc/sys/net/ipv4/ip_local_port_range
		"$1" -s 60 127.0.0.1:40000 127.0.0.1:40001 >/dev/null & s=$!
		for i in $(seq 50); do ss -Hltn | grep -q :40001 && break; sleep 0.1; done
		"$2" reserve; echo "exit=$?"
		kill $s' sh "$SERVER" "$EPR_BIN"
	echo "$output"
	[[ "$output" == *"exit=1"* ]]
	[[ "$output" == *"epr: no free port on 127.0.0.1: the ephemeral port range is used up"* ]]
	# descriptors 0-4 only: the reservation's listener and client get 3 and 4, accept none
	run bash -c 'for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
		ulimit -n 5 && exec "$1" reserve' sh "$EPR_BIN"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Too many open files"* ]]
}

@test "every malformed -p given to epr run and epr start is a usage error naming it, nothing started" {
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR"
	for bad in "${BAD_PORT_SPECS[@]}"; do
		for command in run start; do
			run "$EPR_BIN" "$command" -p "$bad" -- "$BATS_TEST_TMPDIR/must-not-run"
			echo "epr $command -p '$bad': $output"
			[ "$status" -eq 2 ]
			[ "${#lines[@]}" -eq 2 ]
			[[ "${lines[0]}" == "epr: -p: "* ]]
			[[ "${lines[1]}" == "Try 'epr $command --help'." ]]
		done
	done
	[ -z "$(ls -A "$TMPDIR")" ]
	[ "${#BAD_PORT_SPECS[@]}" -ge 20 ]
}
