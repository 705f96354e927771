#!/usr/bin/env bats
# A launch whose tree listens on a port epr was not told to move (the user forgot -p) says so
# by name: at once with -v, and in epr start's -t message, before "port S is not listening
# yet". Real servers, each in a private network namespace, checked from outside.

load helpers
bats_require_minimum_version 1.5.0

# The programs come from this tree's build even when EPR_BUILD points at another epr.
if [ -x "$EPR_BUILD/tests/zero_static" ]; then
	PROGS=$EPR_BUILD/tests
else
	PROGS=$TESTS/../build/tests
fi

setup() {
	launch_setup
}

teardown() {
	launch_teardown
}

# The pids that pgrep ARGS finds in this network namespace only: another suite's redis-server
# is not this test's.
pgrep_here() {
	local p here
	here=$(readlink /proc/self/ns/net)
	for p in $(pgrep "$@"); do
		[ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$here" ] && echo "$p"
	done
	return 0
}

# Runs a bash script (stdin) in a fresh network namespace with loopback up; D, PROGS, TESTS,
# EPR_BIN and the function pgrep_here set.
netns_script() {
	export -f pgrep_here alive
	D=$BATS_TEST_TMPDIR PROGS=$PROGS unshare -n bash -c 'ip link set lo up && exec bash -e'
}

# The -v line appears while epr start still waits (-t 60 is far off), then a SIGTERM to
# epr start stops the launch and nothing is left. $1: the program's name, $2: the line
# expected, then epr start's arguments.
said_at_once() {
	NAME=$1 LINE=$2 ARGS=$(printf '%q ' "${@:3}") netns_script <<'SH'
eval "set -- $ARGS"
"$EPR_BIN" start -v -t 60 -e "$D/env" "$@" 2>"$D/err" &
starter=$!
for ((i = 0; i < 300; i++)); do
	grep -qF "$LINE" "$D/err" && break
	sleep 0.1
done
cat "$D/err"
grep -qxF "epr: $LINE" "$D/err"
alive "$starter" # still waiting for its sentinel: the line did not wait for -t
! grep -q 'did not listen' "$D/err"
kill -TERM "$starter"
rc=0
wait "$starter" || rc=$?
[ "$rc" -eq 143 ]
[ -z "$(pgrep_here -x "$NAME")" ]
[ -z "$(ss -Hltn)" ]
SH
}

# epr start -t 5 (no -v; the server must have listened by then, also under load) fails, exit
# 1; its message names the unmoved listener first, then the sentinel that did not listen;
# nothing is left. $1: name, $2: the line, $3: the sentinel.
said_at_timeout() {
	NAME=$1 LINE=$2 SENTINEL=$3 ARGS=$(printf '%q ' "${@:4}") netns_script <<'SH'
eval "set -- $ARGS"
rc=0
"$EPR_BIN" start -t 5 -e "$D/env" "$@" 2>"$D/err" || rc=$?
cat "$D/err"
[ "$rc" -eq 1 ]
[ "$(sed -n 1p "$D/err")" = "epr: $LINE" ]
[ "$(sed -n 2p "$D/err")" = "epr: $NAME did not listen within 5 seconds (port $SENTINEL is not listening yet); stopping it" ]
[ "$(grep -c 'not told to move' "$D/err")" -eq 1 ]
[ -z "$(pgrep_here -x "$NAME")" ]
[ -z "$(ss -Hltn)" ]
[ ! -e "$D/env" ]
SH
}

REDIS=(redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no)

@test "redis-server told --port 6379 under -p 6380: -v names it at once, while epr start waits" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	run said_at_once redis-server \
		"redis-server listens on 127.0.0.1:6379, which epr was not told to move; add -p 6379" \
		-p 6380 -- "${REDIS[@]}" --dir "$BATS_TEST_TMPDIR"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "redis-server told --port 6379 under -p 6380: -t's message names it first; exit 1, nothing left" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	run said_at_timeout redis-server \
		"redis-server listens on 127.0.0.1:6379, which epr was not told to move; add -p 6379" 6380 \
		-p 6380 -- "${REDIS[@]}" --dir "$BATS_TEST_TMPDIR"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "redis-server told --port 6379 with no -p at all: -t names it, not 'no port is listening'" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	run netns_script <<'SH'
rc=0
"$EPR_BIN" start -t 5 -- redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$D" 2>"$D/err" || rc=$?
cat "$D/err"
[ "$rc" -eq 1 ]
[ "$(sed -n 1p "$D/err")" = 'epr: redis-server listens on 127.0.0.1:6379, which epr was not told to move; add -p 6379' ]
[ "$(sed -n 2p "$D/err")" = 'epr: redis-server did not listen within 5 seconds (no port that epr moved is listening yet); stopping it' ]
[ -z "$(pgrep_here -x redis-server)" ]
SH
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "redis-server on 127.0.0.1 and ::1: one line per address with -v, one line for both at -t" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	run netns_script <<'SH'
rc=0
"$EPR_BIN" start -v -t 5 -p 6380 -- redis-server --port 6379 --bind 127.0.0.1 ::1 --save '' \
	--appendonly no --dir "$D" 2>"$D/err" || rc=$?
cat "$D/err"
[ "$rc" -eq 1 ]
grep -qx 'epr: redis-server listens on 127.0.0.1:6379, which epr was not told to move; add -p 6379' "$D/err"
grep -qx 'epr: redis-server listens on \[::1\]:6379, which epr was not told to move; add -p 6379' "$D/err"
grep -A1 -x 'epr: redis-server listens on 127.0.0.1:6379 and \[::1\]:6379, which epr was not told to move; add -p 6379' "$D/err" |
	grep -qx 'epr: redis-server did not listen within 5 seconds (port 6380 is not listening yet); stopping it'
[ -z "$(pgrep_here -x redis-server)" ]
SH
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a Go nats-server (seccomp) told -p 4222 under -p 4223: named at once with -v" {
	command -v nats-server >/dev/null || skip "nats-server is not installed"
	run said_at_once nats-server \
		"nats-server listens on 127.0.0.1:4222, which epr was not told to move; add -p 4222" \
		-p 4223 -- nats-server -a 127.0.0.1 -p 4222
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"(seccomp"* ]] || [[ $output == *"seccomp user notification"* ]]
}

@test "a Go nats-server (seccomp) told -p 4222 under -p 4223: -t's message names it first" {
	command -v nats-server >/dev/null || skip "nats-server is not installed"
	run said_at_timeout nats-server \
		"nats-server listens on 127.0.0.1:4222, which epr was not told to move; add -p 4222" 4223 \
		-p 4223 -- nats-server -a 127.0.0.1 -p 4222
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a launch given the right -p says nothing of unmoved ports, under the shim and seccomp" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	command -v nats-server >/dev/null || skip "nats-server is not installed"
	run netns_script <<'SH'
"$EPR_BIN" start -v -t 60 -e "$D/redis.env" -p 6379 -- redis-server --port 6379 \
	--bind 127.0.0.1 ::1 --save '' --appendonly no --dir "$D" >/dev/null 2>"$D/err"
"$EPR_BIN" start -v -t 60 -e "$D/nats.env" -p 4222 -- nats-server -a 127.0.0.1 -p 4222 \
	>/dev/null 2>>"$D/err"
cat "$D/err"
grep -q 'binds are caught by seccomp' "$D/err"
! grep -q 'not told to move' "$D/err"
"$EPR_BIN" stop "$D/redis.env"
"$EPR_BIN" stop "$D/nats.env"
! grep -q 'not told to move' "$D/redis.env.log" "$D/nats.env.log"
SH
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a port-0 listener is never named: handed out by epr, or left to the kernel by --no-zero" {
	run netns_script <<'SH'
# a fixed port first: the same programs are named when they ask for one (the check can fail)
"$EPR_BIN" run -v -- python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 6390)); s.listen()' 2>"$D/err"
cat "$D/err"
grep -qx 'epr: python3 listens on 127.0.0.1:6390, which epr was not told to move; add -p 6390' "$D/err"
for zero in "" --no-zero; do
	# shellcheck disable=SC2086 # zero is one option or none
	"$EPR_BIN" run -v $zero -- python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
u = socket.socket(); u.listen()  # no bind: the kernel picks the port
print("LISTEN", s.getsockname()[1], u.getsockname()[1])' >"$D/out" 2>"$D/err"
	# shellcheck disable=SC2086
	"$EPR_BIN" run -v $zero -- "$PROGS/zero_static" >>"$D/out" 2>>"$D/err"
	cat "$D/out" "$D/err"
	[ "$(grep -c '^LISTEN' "$D/out")" -eq 2 ]
	! grep -q 'not told to move' "$D/err"
done
# a port-0 server under epr start is ready and silent
"$EPR_BIN" start -v -t 60 -e "$D/env" -- python3 -m http.server 0 --bind 127.0.0.1 \
	>/dev/null 2>"$D/err"
cat "$D/err"
! grep -q 'not told to move' "$D/err"
"$EPR_BIN" stop "$D/env"
SH
	echo "$output"
	[ "$status" -eq 0 ]
}
