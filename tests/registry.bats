#!/usr/bin/env bats
# The registry of launches: where it lives, how epr knows a supervisor is alive (the lock it
# holds), the env file's claim, and what epr list and epr stop make of them.

load helpers
bats_require_minimum_version 1.5.0

LISTEN=$TESTS/progs/cli_listen.py
STUBBORN=$TESTS/progs/cli_stubborn.py

setup() {
	launch_setup
}

teardown() {
	[ ! -f "$BATS_TEST_TMPDIR/other.dir" ] || rm -rf "$(cat "$BATS_TEST_TMPDIR/other.dir")"
	launch_teardown
}

# epr in a private network namespace with loopback up.
ns_epr() {
	in_netns "$EPR_BIN" "$@"
}

# The start time of process $1 (field 22 of /proc/PID/stat), as epr records it.
start_time() {
	sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20
}

# Waits (bounded, ~5 s) until process $1 is gone.
wait_gone() {
	local i
	for ((i = 0; i < 100; i++)); do alive "$1" || return 0; sleep 0.05; done
	return 1
}

# Holds the supervisor of the launch eval'd last, once its server is killed, at its entry to
# the syscalls $1 (a list for strace -e) for 5 s each: it has seen its tree end and is on its
# way out. Waits (bounded) until it is held there.
hold_exiting_supervisor() {
	command -v strace >/dev/null || { [ "${CI:-}" != true ] || false; skip "strace is not installed"; }
	local i
	background strace -qq -o "$BATS_TEST_TMPDIR/strace" -p "$EPR_SUPERVISOR_PID" \
		-e trace="$1" -e inject="$1":delay_enter=5000000
	tracer=$BG_PID
	for ((i = 0; i < 100; i++)); do
		grep -qs 'TracerPid:[[:space:]]*[1-9]' "/proc/$EPR_SUPERVISOR_PID/status" && break
		sleep 0.05
	done
	kill -KILL "$EPR_PID"
	for ((i = 0; i < 200; i++)); do
		grep -qE '^(exit_group|unlink|unlinkat)\(' "$BATS_TEST_TMPDIR/strace" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "the supervisor did not reach $1" >&2
	return 1
}

# Nothing of the launch eval'd last is left: no process, no registry file, no private directory.
launch_gone() {
	wait_gone "$EPR_SUPERVISOR_PID"
	wait_gone "$tracer"
	run ! alive "$EPR_PID"
	[ ! -e "$EPR_TMPDIR" ]
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ] && [ -z "$(ls -A "$TMPDIR")" ]
}

@test "stop while the supervisor exits after its server's own end: stopped, not refused as another user's" {
	eval "$(ns_epr start -- python3 "$LISTEN" 127.0.0.1 0 300)"
	# it kept its entry for a later stop, and holds its lock until the kernel drops it
	hold_exiting_supervisor exit_group
	run "$EPR_BIN" stop "$EPR_FILE"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output != *"not yours"* ]]
	launch_gone
}

@test "a stop that the supervisor outran by ending on its own removes what the supervisor left" {
	eval "$(ns_epr start -- python3 "$LISTEN" 127.0.0.1 0 300)"
	# held before it gives up anything more: the SIGTERM comes after its tree ended
	hold_exiting_supervisor exit_group,unlink,unlinkat
	run "$EPR_BIN" stop "$EPR_FILE"
	echo "$output"
	[ "$status" -eq 0 ]
	launch_gone
}

@test "stop PID racing the supervisor's own stop: the launch is gone, not another user's" {
	command -v strace >/dev/null || { [ "${CI:-}" != true ] || false; skip "strace is not installed"; }
	eval "$(ns_epr start -- python3 "$LISTEN" 127.0.0.1 0 300)"
	# the supervisor, once its stop removed its entry and its lock, held alive at its exit
	background strace -qq -o "$BATS_TEST_TMPDIR/strace" -p "$EPR_SUPERVISOR_PID" \
		-e trace=exit_group -e inject=exit_group:delay_enter=10000000
	tracer=$BG_PID
	for ((i = 0; i < 100; i++)); do
		grep -qs 'TracerPid:[[:space:]]*[1-9]' "/proc/$EPR_SUPERVISOR_PID/status" && break
		sleep 0.05
	done
	# the stop, held for 5 s once it has found the launch by its pid (its first flock: the
	# supervisor's lock is held)
	(rc=0
		strace -qq -o "$BATS_TEST_TMPDIR/stop.trace" -e trace=flock \
			-e inject=flock:delay_exit=5000000:when=1 "$EPR_BIN" stop "$EPR_SUPERVISOR_PID" \
			>"$BATS_TEST_TMPDIR/stop.out" 2>&1 || rc=$?
		echo $rc >"$BATS_TEST_TMPDIR/rc" && mv "$BATS_TEST_TMPDIR/rc" "$BATS_TEST_TMPDIR/stop.rc") 3>&- &
	for ((i = 0; i < 200; i++)); do
		grep -qs '^flock(' "$BATS_TEST_TMPDIR/stop.trace" 2>/dev/null && break
		sleep 0.05
	done
	# meanwhile the launch is stopped another way (a plain SIGTERM, as an owner's exit does)
	kill -TERM "$EPR_SUPERVISOR_PID"
	for ((i = 0; i < 200; i++)); do
		grep -qs '^exit_group(' "$BATS_TEST_TMPDIR/strace" && break
		sleep 0.05
	done
	wait_for_file "$BATS_TEST_TMPDIR/stop.rc" 300
	cat "$BATS_TEST_TMPDIR/stop.out"
	[ "$(cat "$BATS_TEST_TMPDIR/stop.rc")" -eq 0 ]
	run ! grep -q "not yours" "$BATS_TEST_TMPDIR/stop.out"
	launch_gone
}

@test "two epr start -e of one file at once: one starts, the other is refused naming it" {
	# servers that listen after a second, so that both starts overlap
	slow='import socket, time; time.sleep(1); s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); time.sleep(300)'
	for n in 1 2; do
		(rc=0
			ns_epr start -t 20 -e "$BATS_TEST_TMPDIR/same.env" -- python3 -c "$slow" \
				>"$BATS_TEST_TMPDIR/out.$n" 2>"$BATS_TEST_TMPDIR/err.$n" || rc=$?
			echo $rc >"$BATS_TEST_TMPDIR/rc.$n") 3>&- &
	done
	wait_for_file "$BATS_TEST_TMPDIR/rc.1" 300
	wait_for_file "$BATS_TEST_TMPDIR/rc.2" 300
	rcs=$(cat "$BATS_TEST_TMPDIR"/rc.1 "$BATS_TEST_TMPDIR"/rc.2 | sort | tr '\n' ' ')
	cat "$BATS_TEST_TMPDIR"/err.*
	[ "$rcs" = "0 1 " ]
	refused=$(grep -l . "$BATS_TEST_TMPDIR"/err.* | head -n 1)
	[ "$(wc -l <"$refused")" -eq 1 ]
	grep -q "^epr: $BATS_TEST_TMPDIR/same.env belongs to a launch that is still running" "$refused"
	# what is listed and stopped is the launch that started, whole
	run "$EPR_BIN" list --json
	python3 -c 'import json, sys
[launch] = json.load(sys.stdin)
want = dict(line.rstrip("\n").split("=", 1) for line in open(sys.argv[1]))
assert launch["pid"] == int(want["EPR_PID"]) and launch["ports"] == [int(want["EPR_PORT"])], launch' \
		"$BATS_TEST_TMPDIR/same.env" <<<"$output"
	pid=$(env_value "$BATS_TEST_TMPDIR/same.env" EPR_PID)
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/same.env"
	[ "$status" -eq 0 ]
	run ! alive "$pid"
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
	# the file is free again
	eval "$(ns_epr start -e "$BATS_TEST_TMPDIR/same.env" -- python3 "$LISTEN" 127.0.0.1 0 300)"
	run "$EPR_BIN" stop "$EPR_FILE"
	[ "$status" -eq 0 ]
}

@test "liveness is the supervisor's lock: a killed one is gone at once, a recycled pid is not live" {
	eval "$(ns_epr start -- setpriv --pdeathsig clear python3 "$LISTEN" 127.0.0.1 0 300)"
	# the lock is the supervisor's alone: CMD holds nothing of the registry
	run ! sh -c "ls -l /proc/$EPR_PID/fd | grep -F '$EPR_RUNTIME_DIR'"
	kill -KILL "$EPR_SUPERVISOR_PID"
	wait_gone "$EPR_SUPERVISOR_PID"
	run "$EPR_BIN" list --json
	python3 -c 'import json, sys
[launch] = json.load(sys.stdin)
assert launch["supervisor_pid"] is None and launch["pid"] == int(sys.argv[1]), launch' "$EPR_PID" <<<"$output"
	run "$EPR_BIN" stop "$EPR_FILE"
	[ "$status" -eq 0 ]
	run ! alive "$EPR_PID"
	# an entry whose supervisor's pid now belongs to another process of ours, start time
	# and all: no lock is held, so it is not a live launch
	background sleep 300
	other=$BG_PID
	printf 'EPR_SUPERVISOR_PID=%s\nEPR_SUPERVISOR_START=%s\nEPR_PID=%s\nEPR_PID_START=1\n' \
		"$other" "$(start_time "$other")" "$other" >"$EPR_RUNTIME_DIR/$other.launch"
	run "$EPR_BIN" list
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$EPR_BIN" stop "$other"
	[ "$status" -eq 1 ]
	alive "$other"
}

@test "an entry naming a process that is not a live supervisor is never signalled" {
	background sleep 300
	mine=$BG_PID
	mkdir -m 700 "$EPR_RUNTIME_DIR"
	printf 'EPR_SUPERVISOR_PID=%s\nEPR_SUPERVISOR_START=%s\n' "$mine" "$(start_time "$mine")" \
		>"$EPR_RUNTIME_DIR/$mine.launch"
	run "$EPR_BIN" list --json
	[ "$output" = "[]" ]
	run "$EPR_BIN" stop --all -t 1
	[ "$status" -eq 0 ]
	alive "$mine"
	# PID 1 of a pid namespace (a shell that says when it gets SIGTERM)
	run timeout 60 unshare -p -f --mount-proc sh -c '
		trap "echo pid 1 got SIGTERM" TERM
		start=$(sed "s/.*) //" /proc/1/stat | cut -d" " -f20)
		printf "EPR_SUPERVISOR_PID=1\nEPR_SUPERVISOR_START=%s\nEPR_PID=1\nEPR_PID_START=%s\n" \
			"$start" "$start" >"$EPR_RUNTIME_DIR/1.launch"
		"$EPR_BIN" list
		"$EPR_BIN" stop --all -t 1
		echo "stop --all: $?"
		sleep 0.5'
	echo "$output"
	[ "$output" = "stop --all: 0" ]
}

@test "a non-owner's stop of a launch it may not signal says so at once" {
	[ "$(id -u)" -eq 0 ] || skip "needs root, to stop a launch as nobody"
	other=$(mktemp -d /tmp/epr-registry-other.XXXXXX)
	echo "$other" >"$BATS_TEST_TMPDIR/other.dir"
	chmod 755 "$other"
	mkdir -m 755 "$other/shared"
	mkdir -m 700 "$other/nobody"
	chown nobody:nogroup "$other/nobody"
	eval "$(ns_epr start -e "$other/shared/x.env" -- setpriv --pdeathsig clear python3 "$LISTEN" 127.0.0.1 0 300)"
	kill -KILL "$EPR_SUPERVISOR_PID"
	wait_gone "$EPR_SUPERVISOR_PID"
	chmod 644 "$other/shared/x.env"
	SECONDS=0
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env EPR_RUNTIME_DIR="$other/nobody/run" "$EPR_BIN" stop -t 20 "$other/shared/x.env"
	echo "$output (after $SECONDS s)"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "epr: "*"not yours"*"(Operation not permitted)" ]]
	((SECONDS < 10))
	alive "$EPR_PID"
	run "$EPR_BIN" stop "$other/shared/x.env"
	[ "$status" -eq 0 ]
	run ! alive "$EPR_PID"
}

@test "an unusable registry is refused before anything starts: no private directory, no process" {
	mkdir -m 755 "$BATS_TEST_TMPDIR/badreg"
	marker=registry-test-$$-$RANDOM
	EPR_RUNTIME_DIR=$BATS_TEST_TMPDIR/badreg run ns_epr start -t 3 -- python3 "$LISTEN" 127.0.0.1 0 30 "$marker"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "epr: $BATS_TEST_TMPDIR/badreg: not a directory of yours"* ]]
	[ -z "$(ls -A "$TMPDIR")" ]
	run ! pgrep -f "$marker"
	EPR_RUNTIME_DIR=$BATS_TEST_TMPDIR/badreg run ns_epr run -- python3 "$LISTEN" 127.0.0.1 0 30 "$marker"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	run ! pgrep -f "$marker"
}

@test "without XDG_RUNTIME_DIR, the registry is /dev/shm/epr-UID, a tmpfs; one of another user's makes way for /tmp/epr-UID" {
	[ "$(id -u)" -eq 0 ] || skip "needs root, to make a directory of nobody's"
	# a /tmp and a /dev/shm of the test's own
	run timeout 60 unshare -m -n sh -c '
		mount --bind /tmp /mnt && ip link set lo up && mount -t tmpfs tmpfs /tmp &&
			mount -t tmpfs tmpfs /dev/shm && cd / || exit 99
		case $EPR_BIN in /tmp/*) EPR_BIN=/mnt/${EPR_BIN#/tmp/} ;; esac
		case $1 in /tmp/*) set -- "/mnt/${1#/tmp/}" ;; esac
		mkdir -m 700 /tmp/home /tmp/t
		export HOME=/tmp/home TMPDIR=/tmp/t
		unset XDG_RUNTIME_DIR EPR_RUNTIME_DIR
		eval "$("$EPR_BIN" start -- python3 "$1" 127.0.0.1 0 300)" || exit 1
		echo "shm: $(ls /dev/shm/epr-0 | grep -c "^$EPR_SUPERVISOR_PID\.l")"
		"$EPR_BIN" stop "$EPR_FILE" || exit 1
		echo "after stop: $(ls -A /dev/shm/epr-0 | wc -l)"
		rmdir /dev/shm/epr-0 && mkdir -m 700 /dev/shm/epr-0 && chown nobody /dev/shm/epr-0
		eval "$("$EPR_BIN" start -v -- python3 "$1" 127.0.0.1 0 300 2>/tmp/t/err)" || exit 1
		grep "^epr: note:" /tmp/t/err
		echo "tmp: $(ls /tmp/epr-0 | grep -c "^$EPR_SUPERVISOR_PID\.l")"
		"$EPR_BIN" stop "$EPR_FILE"' sh "$LISTEN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "shm: 2" ] # the entry and its lock
	[ "${lines[1]}" = "after stop: 0" ]
	[ "${lines[2]}" = "epr: note: /dev/shm/epr-0: not a directory of yours closed to others (mode 0700); using /tmp/epr-0 instead" ]
	[ "${lines[3]}" = "tmp: 2" ]
	[ "${#lines[@]}" -eq 4 ]
}

@test "without XDG_RUNTIME_DIR, a /dev/shm/epr-UID and a /tmp/epr-UID of another user's are stood in for by ~/.cache/epr" {
	[ "$(id -u)" -eq 0 ] || skip "needs root, to make a directory of nobody's"
	# a /tmp and a /dev/shm of the test's own, where nobody squats both first
	run timeout 60 unshare -m -n sh -c '
		# the build and the tests may live under /tmp: keep them reachable under /mnt
		mount --bind /tmp /mnt && ip link set lo up && mount -t tmpfs tmpfs /tmp &&
			mount -t tmpfs tmpfs /dev/shm && cd / || exit 99
		case $EPR_BIN in /tmp/*) EPR_BIN=/mnt/${EPR_BIN#/tmp/} ;; esac
		case $1 in /tmp/*) set -- "/mnt/${1#/tmp/}" ;; esac
		mkdir -m 700 /dev/shm/epr-0 /tmp/epr-0 /tmp/home /tmp/t && chown nobody /dev/shm/epr-0 /tmp/epr-0
		export HOME=/tmp/home TMPDIR=/tmp/t
		unset XDG_RUNTIME_DIR EPR_RUNTIME_DIR
		eval "$("$EPR_BIN" start -v -- python3 "$1" 127.0.0.1 0 300 2>/tmp/t/err)" || exit 1
		grep "^epr: note:" /tmp/t/err
		echo "listed: $("$EPR_BIN" list | sed 1d | wc -l)"
		echo "entry: $(ls /tmp/home/.cache/epr | grep -c "^$EPR_SUPERVISOR_PID.launch$")"
		"$EPR_BIN" stop "$EPR_FILE" || exit 1
		"$EPR_BIN" list --json
		# EPR_RUNTIME_DIR still comes first, with no stand-in
		EPR_RUNTIME_DIR=/tmp/epr-0 "$EPR_BIN" list' sh "$LISTEN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "epr: note: /dev/shm/epr-0: not a directory of yours closed to others (mode 0700); using /tmp/home/.cache/epr instead" ]
	[ "${lines[1]}" = "listed: 1" ]
	[ "${lines[2]}" = "entry: 1" ]
	[ "${lines[3]}" = "[]" ]
	[[ ${lines[4]} == "epr: /tmp/epr-0: not a directory of yours"* ]]
	[ "${#lines[@]}" -eq 5 ]
}

@test "epr list --json gives the command whole: a 600-byte argument, control characters" {
	long=$(printf 'x%.0s' {1..600})
	eval "$(ns_epr start -- python3 "$LISTEN" 127.0.0.1 0 300 "$long" $'tab\there')"
	run "$EPR_BIN" list --json
	python3 -c 'import json, shlex, sys
[launch] = json.load(sys.stdin)
assert shlex.split(launch["command"]) == sys.argv[1:], launch["command"]' \
		python3 "$LISTEN" 127.0.0.1 0 300 "$long" $'tab\there' <<<"$output"
	# the column is cut, and shows no control character
	run "$EPR_BIN" list
	[[ ${lines[1]} == *"python3 $LISTEN"* || ${lines[1]} == *...* ]]
	[[ $output != *$'\t'* ]]
}

@test "epr stop -t under a millisecond is a grace of a millisecond, not the default 10 s" {
	eval "$(ns_epr start -- python3 "$STUBBORN")"
	SECONDS=0
	run "$EPR_BIN" stop -t 0.0004 "$EPR_FILE"
	echo "$output (after $SECONDS s)"
	[ "$status" -eq 0 ]
	((SECONDS < 5))
	run ! alive "$EPR_PID"
}

@test "epr stop of a launch already stopped exits 0, and '' is a usage error" {
	eval "$(ns_epr start -e "$BATS_TEST_TMPDIR/twice.env" -- python3 "$LISTEN" 127.0.0.1 0 300)"
	run "$EPR_BIN" stop "$EPR_FILE"
	[ "$status" -eq 0 ]
	run "$EPR_BIN" stop "$EPR_FILE"
	[ "$status" -eq 0 ]
	[ "$output" = "epr: note: $EPR_FILE is gone: its launch is already stopped" ]
	run "$EPR_BIN" stop ''
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "epr: '' is neither an env file nor a process id" ]
	[ "${lines[1]}" = "Try 'epr stop --help'." ]
}

@test "--owner with a thread's id says it is a thread and names its process" {
	python3 -c 'import threading, time, sys
t = threading.Thread(target=time.sleep, args=(300,), daemon=True)
t.start()
print(t.native_id, flush=True)
time.sleep(300)' >"$BATS_TEST_TMPDIR/tid" 3>&- &
	process=$!
	echo "$process" >>"$BATS_TEST_TMPDIR/background.pids"
	wait_for_file_content "$BATS_TEST_TMPDIR/tid"
	tid=$(cat "$BATS_TEST_TMPDIR/tid")
	run ns_epr start --owner "$tid" -- python3 "$LISTEN" 127.0.0.1 0 300
	[ "$status" -eq 1 ]
	[ "$output" = "epr: --owner: $tid is a thread of process $process, not a process; give $process" ]
	[ -z "$(ls -A "$TMPDIR")" ]
}
