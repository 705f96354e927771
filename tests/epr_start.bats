#!/usr/bin/env bats
# epr start and epr stop: a server in the background, ready when it listens, and gone after.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	# epr start's private directories land here, where a test can look for leftovers
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR"
}

teardown() {
	# a failed test must not leave its server behind: find it by its env file
	kill_by_env_file_dir "$BATS_TEST_TMPDIR"
}

# True when no process of group $1 is running; a zombie counts as gone (PID 1 may not reap).
group_gone() {
	! ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# True when process $1 is gone or a zombie.
pid_gone() {
	local state
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -z "$state" ] || [ "$state" = Z ]
}

pid_running() {
	! pid_gone "$1"
}

# An HTTP GET of / on 127.0.0.1:$1 answers 200.
http_ok() {
	[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/")" = 200 ]
}

no_private_dirs() {
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "start a server on port 0, use it, stop it: nothing is left" {
	run "$EPR_BIN" start -- python3 -m http.server 0 --bind 127.0.0.1
	[ "$status" -eq 0 ]
	eval "$output"
	[ "$EPR_PORT_LIST" = "$EPR_PORT" ]
	http_ok "$EPR_PORT"
	[ -d "$EPR_TMPDIR" ]
	[[ $EPR_TMPDIR == "$TMPDIR"/epr.* ]]
	[ "$EPR_FILE" = "$EPR_TMPDIR/env" ]
	[ "$(env_value "$EPR_FILE" EPR_PID)" = "$EPR_PID" ]
	[ "$(env_value "$EPR_FILE" EPR_LOG)" = "$EPR_LOG" ]
	grep -q "Serving HTTP" "$EPR_LOG"
	run "$EPR_BIN" stop "$EPR_FILE"
	[ "$status" -eq 0 ]
	group_gone "$EPR_PID"
	pid_gone "$EPR_PID"
	no_private_dirs
}

@test "start with -p 8000 waits for the rewritten sentinel, and stop by pid works" {
	run "$EPR_BIN" start -p 8000 -- python3 -m http.server 8000 --bind 127.0.0.1
	[ "$status" -eq 0 ]
	eval "$output"
	[ "$EPR_PORT_8000" -ne 8000 ]
	[ "$EPR_PORT" = "$EPR_PORT_8000" ]
	http_ok "$EPR_PORT_8000"
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()' "$EPR_PORT_8000"
	run "$EPR_BIN" stop "$EPR_PID"
	[ "$status" -eq 0 ]
	group_gone "$EPR_PID"
	no_private_dirs
}

@test "start prints shell lines in a fixed order, for eval" {
	run "$EPR_BIN" start -p 8000 -- python3 -m http.server 8000 --bind 127.0.0.1
	[ "$status" -eq 0 ]
	eval "$output"
	[ "$(cut -d= -f1 <<<"$output" | tr '\n' ' ')" = \
		"EPR_PORT EPR_PORT_8000 EPR_PORT_LIST EPR_PID EPR_SUPERVISOR_PID EPR_FILE EPR_LOG EPR_TMPDIR " ]
	"$EPR_BIN" stop "$EPR_FILE"
}

@test "start waits for every sentinel, however late each one listens" {
	run "$EPR_BIN" start -p 7001 -p 7002 -- python3 "$TESTS/progs/cli_two_ports.py" 7001 7002 0.7
	[ "$status" -eq 0 ]
	eval "$output"
	for port in "$EPR_PORT_7001" "$EPR_PORT_7002"; do
		python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()' "$port"
	done
	[ "$EPR_PORT_LIST" = "$EPR_PORT_7001,$EPR_PORT_7002" ]
	"$EPR_BIN" stop "$EPR_PID"
	group_gone "$EPR_PID"
}

@test "with -e, a stale env file is replaced and the log goes beside it" {
	printf 'EPR_PORT_8000=1\nEPR_PORT_LIST=1\nEPR_PID=1\n' >"$BATS_TEST_TMPDIR/server.env"
	run "$EPR_BIN" start -p 8000 -e "$BATS_TEST_TMPDIR/server.env" -- \
		python3 -m http.server 8000 --bind 127.0.0.1
	[ "$status" -eq 0 ]
	eval "$output"
	[ "$EPR_FILE" = "$BATS_TEST_TMPDIR/server.env" ]
	[ "$EPR_LOG" = "$BATS_TEST_TMPDIR/server.env.log" ]
	[ -z "${EPR_TMPDIR:-}" ]
	[ "$EPR_PID" -ne 1 ]
	[ "$EPR_PORT_8000" -ne 1 ]
	http_ok "$EPR_PORT_8000"
	grep -q "Serving HTTP" "$EPR_LOG"
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/server.env"
	[ "$status" -eq 0 ]
	group_gone "$EPR_PID"
	no_private_dirs
}

@test "-l puts the server's output where asked" {
	run "$EPR_BIN" start -l "$BATS_TEST_TMPDIR/server.log" -- \
		sh -c 'echo hello-from-server; exec python3 -m http.server 0 --bind 127.0.0.1'
	[ "$status" -eq 0 ]
	eval "$output"
	[ "$EPR_LOG" = "$BATS_TEST_TMPDIR/server.log" ]
	grep -q hello-from-server "$BATS_TEST_TMPDIR/server.log"
	"$EPR_BIN" stop "$EPR_FILE"
	no_private_dirs
}

@test "stop takes the server's whole process group, children too" {
	run "$EPR_BIN" start -- sh -c 'sleep 300 & echo $! >"$0"; exec python3 -m http.server 0 --bind 127.0.0.1' \
		"$BATS_TEST_TMPDIR/child.pid"
	[ "$status" -eq 0 ]
	eval "$output"
	child=$(cat "$BATS_TEST_TMPDIR/child.pid")
	pid_running "$child"
	"$EPR_BIN" stop "$EPR_PID"
	pid_gone "$child"
	group_gone "$EPR_PID"
}

@test "stop sends SIGKILL to a server that ignores SIGTERM, after the grace period" {
	run "$EPR_BIN" start -- python3 "$TESTS/progs/cli_stubborn.py"
	[ "$status" -eq 0 ]
	eval "$output"
	SECONDS=0
	run "$EPR_BIN" stop -t 1 "$EPR_FILE"
	[ "$status" -eq 0 ]
	[ "$SECONDS" -lt 6 ]
	group_gone "$EPR_PID"
	no_private_dirs
}

@test "a server that never listens times out (-t 2): exit 1, nothing left running" {
	SECONDS=0
	run "$EPR_BIN" start -t 2 -- sh -c 'echo $$ >"$0"; sleep 300 & wait' "$BATS_TEST_TMPDIR/pid"
	[ "$status" -eq 1 ]
	[ "$SECONDS" -lt 10 ]
	[[ ${lines[0]} == "epr: sh did not listen within 2 seconds"* ]]
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	group_gone "$pid"
	no_private_dirs
}

@test "a server that exits at start: its status and the end of its log, exit 1" {
	run "$EPR_BIN" start -- sh -c 'echo starting; echo oops-from-server >&2; exit 3'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "epr: sh exited with status 3 before listening" ]
	[[ $output == *starting* ]]
	[[ $output == *oops-from-server* ]]
	no_private_dirs
}

@test "a server killed by a signal at start is reported by the signal's name" {
	run "$EPR_BIN" start -- sh -c 'kill -SEGV $$'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "epr: sh was killed by signal SIGSEGV before listening" ]
	no_private_dirs
}

@test "the log tail shows the last 20 lines" {
	run "$EPR_BIN" start -- sh -c 'for i in $(seq 1 50); do echo line-$i; done; exit 1'
	[ "$status" -eq 1 ]
	[[ $output == *line-50* ]]
	[[ $output == *line-31* ]]
	[[ $output != *line-30* ]]
}

@test "a CMD that is not found exits 127, one that cannot run 126; nothing is left" {
	run -127 "$EPR_BIN" start -- no-such-command-epr
	[ "$output" = "epr: no-such-command-epr: No such file or directory" ]
	touch "$BATS_TEST_TMPDIR/not-executable"
	run -126 "$EPR_BIN" start -- "$BATS_TEST_TMPDIR/not-executable"
	no_private_dirs
	run -127 "$EPR_BIN" start -e "$BATS_TEST_TMPDIR/x.env" -- no-such-command-epr
	[ ! -e "$BATS_TEST_TMPDIR/x.env" ]
	[ ! -e "$BATS_TEST_TMPDIR/x.env.log" ]
}

@test "SIGTERM to epr start while it waits stops the server too" {
	"$EPR_BIN" start -t 60 -- sh -c 'echo $$ >"$0"; exec sleep 300' "$BATS_TEST_TMPDIR/pid" &
	starter=$!
	wait_for_file_content "$BATS_TEST_TMPDIR/pid"
	kill -TERM "$starter"
	status=0
	wait "$starter" || status=$?
	[ "$status" -eq 143 ]
	group_gone "$(cat "$BATS_TEST_TMPDIR/pid")"
	no_private_dirs
}

@test "stop on a server that died on its own: exit 0 with a note; a second stop finds it gone, exit 0" {
	run "$EPR_BIN" start -e "$BATS_TEST_TMPDIR/server.env" -- python3 -m http.server 0 --bind 127.0.0.1
	[ "$status" -eq 0 ]
	eval "$output"
	kill -KILL "$EPR_PID"
	# the supervisor goes once its tree is gone, leaving the env file and the log
	for ((i = 0; i < 100; i++)); do pid_gone "$EPR_SUPERVISOR_PID" && break; sleep 0.05; done
	pid_gone "$EPR_SUPERVISOR_PID"
	run "$EPR_BIN" stop "$EPR_FILE"
	[ "$status" -eq 0 ]
	[[ $output == "epr: note: "*"already gone"* ]]
	# a stop removes what start made: the env file is gone now
	"$EPR_BIN" start -e "$BATS_TEST_TMPDIR/server.env" -- python3 -m http.server 0 --bind 127.0.0.1
	"$EPR_BIN" stop "$BATS_TEST_TMPDIR/server.env"
	[ ! -e "$BATS_TEST_TMPDIR/server.env" ]
	# a second stop finds it gone: the launch is stopped, as asked (exit 0, a note)
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/server.env"
	[ "$status" -eq 0 ]
	[ "$output" = "epr: note: $BATS_TEST_TMPDIR/server.env is gone: its launch is already stopped" ]
}

@test "stop with nothing to find: a missing env file is a stopped launch (0), anything else exits 1" {
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/missing.env"
	[ "$status" -eq 0 ]
	[ "$output" = "epr: note: $BATS_TEST_TMPDIR/missing.env is gone: its launch is already stopped" ]
	echo "EPR_PORT=1" >"$BATS_TEST_TMPDIR/no-pid.env"
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/no-pid.env"
	[ "$status" -eq 1 ]
	# a live pid that leads no process group: a background job of this non-interactive shell
	sleep 30 &
	run "$EPR_BIN" stop "$!"
	kill %1
	[ "$status" -eq 1 ]
}

@test "stop never signals a pid that epr did not start: a session leader, a reused pid" {
	setsid sleep 30 &
	leader=$!
	for ((i = 0; i < 50; i++)); do
		[ "$(ps -o pgid= -p "$leader" | tr -d ' ')" = "$leader" ] && break
		sleep 0.1
	done
	# a stale pid that now leads some session
	run "$EPR_BIN" stop "$leader"
	[ "$status" -eq 1 ]
	[[ $output == "epr: $leader: not a running launch of epr's"* ]]
	pid_running "$leader"
	# an env file whose supervisor pid was reused: recorded with another start time
	printf 'EPR_PID=%s\nEPR_PID_START=1\nEPR_SUPERVISOR_PID=%s\nEPR_SUPERVISOR_START=1\n' \
		"$leader" "$leader" >"$BATS_TEST_TMPDIR/reused.env"
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/reused.env"
	[ "$status" -eq 0 ]
	[[ $output == *"already gone"* ]]
	pid_running "$leader"
	# a file that no launch wrote
	printf 'EPR_PID=%s\n' "$leader" >"$BATS_TEST_TMPDIR/reused.env"
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/reused.env"
	[ "$status" -eq 1 ]
	[[ $output == *"was it written by epr start?"* ]]
	pid_running "$leader"
	kill "$leader"
}

@test "stop ENVFILE stops a server that rewrote its environment with its process title" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	# through env(1), EPR_ENV_FILE is not the last variable: redis' title overwrites it
	run "$EPR_BIN" start -p 6379 -e "$BATS_TEST_TMPDIR/r.env" -- env FOO=1 redis-server \
		--port 6379 --bind 127.0.0.1 --save '' --dir "$BATS_TEST_TMPDIR"
	[ "$status" -eq 0 ]
	eval "$output"
	[ -n "$(env_value "$BATS_TEST_TMPDIR/r.env" EPR_PID_START)" ]
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/r.env"
	[ "$status" -eq 0 ]
	group_gone "$EPR_PID"
}

@test "start and stop usage errors exit 2 with one line and a hint" {
	for args in "start" "start --" "start -t 0 -- true" "start -t x -- true" "start -p 0 -- true" \
		"start -q -- true" "stop" "stop a b" "stop -t -1 a"; do
		# shellcheck disable=SC2086 # each string is split into its words on purpose
		run "$EPR_BIN" $args
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 2 ]
		[[ ${lines[0]} == "epr: "* ]]
		[[ ${lines[1]} == "Try 'epr "*" --help'." ]]
	done
}

@test "a launch's output exported into the environment (set -a) reconfigures nothing that runs next" {
	set -a
	eval "$("$EPR_BIN" start -p 8000 -- python3 -m http.server 8000 --bind 127.0.0.1)"
	set +a
	first=$EPR_PORT
	cp "$EPR_FILE" "$BATS_TEST_TMPDIR/before"
	# no output key is an input: the next shimmed program sees no sentinel and no env file
	[ -z "${EPR_PORTS:-}" ] && [ -z "${EPR_ENV_FILE:-}" ]
	run env LD_PRELOAD="$LIBEPR" EPR_DEBUG=1 python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(1); print(s.getsockname()[1])'
	[ "$status" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/before" "$EPR_FILE"
	"$EPR_BIN" stop "$EPR_FILE"
	run ! listening_on "$first"
}
