#!/usr/bin/env bats
# A launch is a port space under the seccomp interceptor too: a static or Go program's connect,
# sendto and sendmsg to a sentinel on this host reach the launch's port, performed by the
# supervisor on its copy of the socket; everything else keeps its errno. Each test runs in a
# private network namespace and is checked with real clients and servers and with ss.

load helpers
bats_require_minimum_version 1.5.0

# The programs come from this tree's build even when EPR_BUILD points at another epr.
if [ -x "$EPR_BUILD/tests/static_client" ]; then
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

@test "a static client's connect to the sentinel reaches the launch's server on its rewritten port" {
	run netns_script <<'SH'
"$EPR_BIN" run -v -p 7000 --via seccomp -- sh -c '
	"$PROGS/static_server" -n 3 -t 10 127.0.0.1 7000 ::1 7000 >"$D/server" &
	for i in $(seq 100); do [ "$(grep -cs LISTEN "$D/server")" = 2 ] && break; sleep 0.05; done
	"$PROGS/static_client" tcp 127.0.0.1 7000
	"$PROGS/static_client" tcp 0.0.0.0 7000
	"$PROGS/static_client" tcp ::1 7000
	wait'
cat "$D/server"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	port=$(awk '$1 == "LISTEN" && $2 == "127.0.0.1" { print $3 }' <<<"$output")
	[ -n "$port" ] && [ "$port" != 7000 ]
	grep -qx "LISTEN ::1 $port" <<<"$output"
	[ "$(grep -cx "reply hello from $port" <<<"$output")" -eq 3 ]
	[[ "$output" == *"epr: connect 127.0.0.1 port 7000 -> $port (seccomp)"* ]]
}

# The shell gets the shim; its exec hook loads the filter into each static program it starts.
@test "a static client that a shell under the shim starts (--via auto) reaches the launch's static server" {
	run netns_script <<'SH'
"$EPR_BIN" run -p 7000 -- sh -c '
	"$PROGS/static_server" -n 1 -t 10 127.0.0.1 7000 >"$D/server" &
	for i in $(seq 100); do grep -qs LISTEN "$D/server" && break; sleep 0.05; done
	"$PROGS/static_client" tcp 127.0.0.1 7000
	wait'
cat "$D/server"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	port=$(awk '$1 == "LISTEN" { print $3 }' <<<"$output")
	[ -n "$port" ] && [ "$port" != 7000 ]
	grep -qx "reply hello from $port" <<<"$output"
}

@test "a connect to a sentinel the launch has not bound yet is refused, and the host's listener on it sees nothing" {
	run netns_script <<'SH'
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7000)); s.listen(8); print("host listens", flush=True); time.sleep(30)' >"$D/host" &
host=$!
for i in $(seq 100); do grep -qs listens "$D/host" && break; sleep 0.05; done
"$EPR_BIN" run -p 7000 --via seccomp -- sh -c '
	"$PROGS/static_client" tcp 127.0.0.1 7000
	"$PROGS/static_client" nb 127.0.0.1 7000
	"$PROGS/static_client" sendto 127.0.0.1 7000'
# The host's listener never accepts: a connection that reached it would wait in its queue.
echo "host queue: $(ss -Hltn 'sport = :7000' | awk '{ print $2 }')"
echo "host peers: $(ss -Htn state established '( dport = :7000 )' | wc -l)"
kill "$host"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "connect ECONNREFUSED" ]
	[ "${lines[1]}" = "connect ECONNREFUSED" ]
	[ "${lines[3]}" = "sendto ECONNREFUSED" ]
	[[ "$output" == *"host queue: 0"* ]]
	[[ "$output" == *"host peers: 0"* ]]
}

@test "UDP sendto, sendmsg and connect to the sentinel reach the launch's UDP server" {
	run netns_script <<'SH'
"$EPR_BIN" run -p 7000 --via seccomp -- sh -c '
	"$PROGS/udp_echo" -s 60 127.0.0.1:7000 >"$D/server" &
	for i in $(seq 100); do grep -qs BOUND "$D/server" && break; sleep 0.05; done
	"$PROGS/static_client" sendto 127.0.0.1 7000
	"$PROGS/static_client" sendmsg 127.0.0.1 7000
	"$PROGS/static_client" udpconnect 127.0.0.1 7000
	kill $! 2>/dev/null || true'
cat "$D/server"
! ss -Huan | grep -q ':7000 '
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"BOUND 127.0.0.1:7000 "* ]]
	[[ "$output" != *"BOUND 127.0.0.1:7000 7000"* ]]
	[ "$(grep -cx 'reply ping' <<<"$output")" -eq 3 ]
	grep -qx 'sendto OK' <<<"$output"
	grep -qx 'sendmsg OK' <<<"$output"
	grep -qx 'udpconnect OK' <<<"$output"
}

# The same calls, without epr and inside a launch whose sentinel is 7000: the same answers.
@test "pass-through keeps its errno: a destination not on this host, a port that is no sentinel, a unix socket" {
	run netns_script <<'SH'
calls() {
	"$PROGS/static_client" tcp 192.0.2.1 7000
	"$PROGS/static_client" sendto 192.0.2.1 7000
	"$PROGS/static_client" tcp 127.0.0.1 7001
	"$PROGS/static_client" nb 127.0.0.1 7001
	"$PROGS/static_client" unix "$D/no-such-socket"
}
calls >"$D/plain"
export -f calls
"$EPR_BIN" run -p 7000 --via seccomp -- bash -c calls >"$D/epr"
cat "$D/plain"
diff "$D/plain" "$D/epr"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "connect ENETUNREACH" ]
	[ "${lines[2]}" = "connect ECONNREFUSED" ]
	[ "${lines[$((${#lines[@]} - 1))]}" = "connect ENOENT" ]
}

@test "a non-blocking connect to the sentinel answers as a plain one does: EINPROGRESS, then connected" {
	run netns_script <<'SH'
"$PROGS/static_server" -n 1 -t 10 127.0.0.1 7100 >"$D/plain-server" &
plain=$!
for i in $(seq 100); do grep -qs LISTEN "$D/plain-server" && break; sleep 0.05; done
"$PROGS/static_client" nb 127.0.0.1 7100 >"$D/plain"
kill "$plain" 2>/dev/null || true
"$EPR_BIN" run -p 7000 --via seccomp -- sh -c '
	"$PROGS/static_server" -n 1 -t 10 127.0.0.1 7000 >"$D/server" &
	for i in $(seq 100); do grep -qs LISTEN "$D/server" && break; sleep 0.05; done
	"$PROGS/static_client" nb 127.0.0.1 7000
	kill $! 2>/dev/null || true' >"$D/epr"
cat "$D/plain"
diff "$D/plain" "$D/epr"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "connect EINPROGRESS" ] || [ "${lines[0]}" = "connect OK" ]
	[ "${lines[1]}" = "done OK" ]
}

# A listener with backlog 0 that does not accept: the second connect's SYN is dropped and
# the kernel retries it for seconds. The supervisor waits for it on its poll loop, not in the
# call: another process's bind is answered meanwhile, and the client connects once the
# server accepts.
@test "a blocking connect to a full backlog does not hold up the supervisor, and connects once the server accepts" {
	run netns_script <<'SH'
cat >"$D/slow.py" <<'PY'
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 7000))
s.listen(0)
print("LISTEN", s.getsockname()[1], flush=True)
for _ in range(300):
	if os.path.exists(sys.argv[1]):
		break
	time.sleep(0.1)
s.settimeout(20)
kept = [s.accept() for _ in range(2)]
print("accepted", len(kept), flush=True)
time.sleep(1)
PY
timeout 60 "$EPR_BIN" run -p 7000 -p 7001 --via seccomp -- bash -c '
	python3 "$D/slow.py" "$D/go" >"$D/server" &
	for i in $(seq 100); do grep -qs LISTEN "$D/server" && break; sleep 0.05; done
	"$PROGS/static_client" fill 127.0.0.1 7000 2 >"$D/client" &
	# The supervisor has made the second connect once its SYN is under way.
	for i in $(seq 200); do [ -n "$(ss -Htn state syn-sent)" ] && break; sleep 0.05; done
	ss -Htn state syn-sent | grep -q . || { echo "no connect under way"; exit 1; }
	timeout 10 "$PROGS/static_server" -n 0 -t 1 127.0.0.1 7001 || echo "the bind was not answered"
	echo "client meanwhile: $(tr "\n" " " <"$D/client")"
	touch "$D/go"
	wait
	cat "$D/client" "$D/server"'
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"LISTEN 127.0.0.1 "* ]]
	[[ "$output" != *"not answered"* ]]
	[[ "$output" == *"client meanwhile: connecting 1 connected 1 connecting 2 "* ]]
	meanwhile=$(grep '^client meanwhile: ' <<<"$output")
	[[ "$meanwhile" != *"connected 2"* ]]
	grep -qx "connected 2" <<<"$output"
	grep -qx "accepted 2" <<<"$output"
}

@test "a Go client (etcdctl) reaches etcd through the sentinels both were told" {
	command -v etcd >/dev/null || skip "etcd is not installed"
	command -v etcdctl >/dev/null || skip "etcdctl is not installed"
	run netns_script <<'SH'
export ETCDCTL_API=3
timeout 60 "$EPR_BIN" run -p 2379 -p 2380 --via seccomp -- bash -c '
	etcd --data-dir "$D/etcd" --listen-client-urls http://127.0.0.1:2379 \
		--advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
		>"$D/etcd.log" 2>&1 &
	for i in $(seq 100); do
		etcdctl --endpoints 127.0.0.1:2379 --dial-timeout 1s endpoint health >/dev/null 2>&1 && break
		sleep 0.1
	done
	etcdctl --endpoints 127.0.0.1:2379 put greeting hello
	etcdctl --endpoints 127.0.0.1:2379 get greeting --print-value-only
	ss -Hltn | grep -E ":(2379|2380) " && echo "a sentinel listens"
	kill $!
	wait'
SH
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx OK <<<"$output"
	grep -qx hello <<<"$output"
	[[ "$output" != *"a sentinel listens"* ]]
}
