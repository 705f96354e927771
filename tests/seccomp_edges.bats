#!/usr/bin/env bats
# The edges of interception under a supervisor: the seccomp notifier acts on the calling
# thread's own socket, leaves unix sockets to the kernel, and port 0 and re-binds answer as
# the kernel would. Each case runs in a private network namespace and is checked from outside.

load helpers
bats_require_minimum_version 1.5.0

# The programs come from this tree's build even when EPR_BUILD points at another epr.
if [ -x "$EPR_BUILD/tests/leader_exit" ]; then
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

# Runs a bash script (stdin) in a fresh network namespace with loopback up; D, PROGS, TESTS,
# EPR_BIN set.
netns_script() {
	D=$BATS_TEST_TMPDIR PROGS=$PROGS unshare -n bash -c 'ip link set lo up && exec bash -e'
}

# The server's main thread has exited; another thread binds the sentinel: the rewritten port
# listens and answers, and nothing listens on the sentinel. $1: epr's options, $2: the program.
leader_exited() {
	OPTS=$1 PROG=$2 netns_script <<'SH'
# shellcheck disable=SC2086 # OPTS is a list of options
"$EPR_BIN" start -t 10 $OPTS -p 7777 -e "$D/env" -- "$PROGS/$PROG" 7777 30
. "$D/env"
# it prints after listen(), where epr start returns: wait (5 s at most) for the line
for _ in $(seq 50); do grep -qs '^LISTEN' "$D/env.log" && break; sleep 0.1; done
cat "$D/env.log"
[ "$EPR_PORT" != 7777 ]
grep -qx "LISTEN $EPR_PORT" "$D/env.log"
[ -n "$(ss -Hltn "sport = :$EPR_PORT")" ]
[ -z "$(ss -Hltn "sport = :7777")" ]
python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()' "$EPR_PORT"
"$EPR_BIN" stop "$D/env"
SH
}

@test "a static server whose main thread exited has its sentinel rewritten; nothing listens on the sentinel" {
	run leader_exited "" leader_exit_static
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a dynamic server under --via seccomp whose main thread exited has its sentinel rewritten" {
	run leader_exited "--via seccomp" leader_exit
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a thread with a file table of its own has its own socket bound, listening and exported" {
	run netns_script <<'SH'
"$EPR_BIN" start -t 10 --via seccomp -p 7777 -e "$D/env" -- "$PROGS/unshare_files" 7777 30
. "$D/env"
for i in $(seq 100); do grep -qs '^leader' "$D/env.log" && break; sleep 0.05; done
cat "$D/env.log"
grep -qx "thread: bind=0 listen=0" "$D/env.log"
grep -qx "thread fd 3: port $EPR_PORT listening 1" "$D/env.log"
grep -qx "leader fd 3: port 0 listening 0" "$D/env.log"
[ "$EPR_PORT" != 7777 ] && [ "$EPR_PORT" != 0 ]
"$EPR_BIN" stop "$D/env"
SH
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a unix listener under seccomp shows its clients the server's pid and uid, not epr's" {
	run netns_script <<'SH'
# nobody cannot reach the test's own directory: the socket goes into one of its own
S=$(mktemp -d /tmp/epr-edges.XXXXXX)
trap 'rm -rf "$S"' EXIT
chown nobody "$S"
"$EPR_BIN" run --via seccomp -- setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$PROGS/unix_server" "$S/s" >"$D/out" &
for i in $(seq 100); do grep -qs '^server' "$D/out" && break; sleep 0.05; done
cat "$D/out"
python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
pid, uid, gid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
print("client sees pid %d uid %d" % (pid, uid))' "$S/s" >"$D/client"
cat "$D/client"
wait
server=$(awk '/^server/ { print $3 }' "$D/out")
grep -qx "client sees pid $server uid 65534" "$D/client"
SH
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "epr run -v shows the port a port-0 bind really got, under seccomp and under the shim" {
	run netns_script <<'SH'
"$EPR_BIN" run -v -- "$PROGS/zero_static" >"$D/out" 2>"$D/err"
cat "$D/out" "$D/err"
port=$(awk '/^LISTEN/ { print $2 }' "$D/out")
[ -n "$port" ] && [ "$port" != 0 ]
grep -qx "epr: bind 127.0.0.1:0 -> $port (seccomp)" "$D/err"
"$EPR_BIN" run -v -- python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print("LISTEN", s.getsockname()[1])' >"$D/out" 2>"$D/err"
cat "$D/out" "$D/err"
port=$(awk '/^LISTEN/ { print $2 }' "$D/out")
grep -q "bind 127.0.0.1:0 -> $port\$" "$D/err"
SH
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "bind 0, close, and bind that port again works in the same process under a supervisor" {
	run netns_script <<'SH'
"$EPR_BIN" run -- python3 "$TESTS/progs/probe_rebind.py"
"$EPR_BIN" run --via seccomp -- python3 "$TESTS/progs/probe_rebind.py"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "bind the probed port again: ok" ]
	[ "${lines[1]}" = "bind the probed port again: ok" ]
}

@test "a second bind of a bound socket fails EINVAL under a supervisor, as without epr" {
	run netns_script <<'SH'
python3 "$TESTS/progs/rebind.py" 7777 | tail -n 2
"$EPR_BIN" run -p 7777 -- python3 "$TESTS/progs/rebind.py" 7777 | tail -n 2
"$EPR_BIN" run --via seccomp -p 7777 -- python3 "$TESTS/progs/rebind.py" 7777 | tail -n 2
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	for i in 0 2 4; do
		[ "${lines[i]}" = "second bind to 7777: errno 22" ]
		[ "${lines[i + 1]}" = "second bind to 0: errno 22" ]
	done
}

@test "a port-0 socket that listens after 200 later port-0 binds is still exported" {
	run netns_script <<'SH'
"$EPR_BIN" start -t 10 -e "$D/env" -- python3 "$TESTS/progs/zero_many.py" 200
. "$D/env"
# The program prints its port after listen(), and epr start returns at the listen: wait
# (5 s at most) for the line rather than read the log once.
for _ in $(seq 50); do grep -qs '^LISTEN' "$D/env.log" && break; sleep 0.1; done
cat "$D/env.log"
grep -qx "LISTEN $EPR_PORT" "$D/env.log"
"$EPR_BIN" stop "$D/env"
SH
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a wildcard bind written as AF_UNSPEC is rewritten under seccomp, as the kernel reads it as AF_INET" {
	run netns_script <<'SH'
"$EPR_BIN" run --via seccomp -p 7777 -- python3 -c '
import ctypes, socket, struct
libc = ctypes.CDLL(None, use_errno=True)
s = socket.socket()
addr = struct.pack("=HH4s8x", socket.AF_UNSPEC, socket.htons(7777), bytes(4))
rc = libc.bind(s.fileno(), addr, len(addr))
print("bind", rc, "port", s.getsockname()[1])'
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "bind 0 port "* ]]
	[[ $output != "bind 0 port 7777" ]]
}

@test "a bind whose socket the supervisor may not take fails with one line, and the sentinel stays free" {
	run netns_script <<'SH'
# not dumpable, and epr not root: ptrace rules keep the supervisor out of the program
S=$(mktemp -d /tmp/epr-edges.XXXXXX)
trap 'rm -rf "$S"' EXIT
chown nobody "$S"
EPR_RUNTIME_DIR=$S setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$EPR_BIN" run --via seccomp -p 7777 -- python3 -c '
import ctypes, socket
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
s = socket.socket()
try:
    s.bind(("127.0.0.1", 7777)); s.listen(); print("bound", s.getsockname()[1])
except OSError as e:
    print("bind: errno", e.errno)'
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"bind: errno 1"* ]]
	[ "$(grep -c '^epr: seccomp: .*Operation not permitted' <<<"$output")" -eq 1 ]
}

# A server that, on SIGTERM, connects to its own port and to its sentinel and binds the
# sentinel again, through $1: the stop must answer each call (the connects go through, the
# bind is refused), so that the server ends its shutdown itself. Under seccomp the supervisor
# used to serve no notification during a stop: the connect waited for the SIGKILL after the
# grace, and the handler never wrote its file.
shutdown_calls() {
	VIA=$1 netns_script <<'SH'
eval "$("$EPR_BIN" start -t 10 -p 7777 --via "$VIA" -- python3 "$TESTS/progs/shutdown_connect.py" 7777 "$D/calls")"
pid=$EPR_PID
"$EPR_BIN" stop -t 20 "$EPR_FILE"
cat "$D/calls"
[ "$(cat "$D/calls")" = "$(printf 'own: ok\nsentinel: ok\nbind: ESHUTDOWN')" ]
if kill -0 "$pid" 2>/dev/null; then echo "$pid still runs"; exit 1; fi
SH
}

@test "a server that connects and binds while it stops under seccomp gets answers, not a wait for SIGKILL" {
	run shutdown_calls seccomp
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the same server under the shim gets the same answers during a stop" {
	run shutdown_calls preload
	echo "$output"
	[ "$status" -eq 0 ]
}
