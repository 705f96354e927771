# Helpers for tests/seccomp_mechanism.bats, sourced by the bash that each test runs inside
# its private network namespace (in_netns runs sh, which does not pass on exported functions).
# DRIVER, PROGS and OUT come from the suite's setup.

# Inside the namespace: start the driver with ARGS in the background, its output in $OUT.
drive() {
	"$DRIVER" "$@" >"$OUT" 2>&1 &
	DRIVER_PID=$!
}

# Wait (bounded, ~10 s) until $OUT has $1 "listen PORT" lines.
wait_listen() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c '^listen ' "$OUT")" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for $1 listen lines" >&2
	cat "$OUT" >&2
	return 1
}

# The distinct ports the driver saw listened on.
listen_ports() {
	awk '$1 == "listen" { print $2 }' "$OUT" | sort -u
}

# True when a client at $2 (default 127.0.0.1) port $1 gets static_server's answer.
answers() {
	local host=${2:-127.0.0.1}
	[[ $host != *:* ]] || host="[$host]"
	echo hi | socat -t2 - "TCP:$host:$1" | grep -qx "hello from $1"
}

# Wait for the driver; it exits only once the whole tree is gone. Prints its output.
finish() {
	local rc=0
	wait "$DRIVER_PID" || rc=$?
	cat "$OUT"
	return "$rc"
}

# The pids that pgrep ARGS finds in this network namespace only: make check runs the
# suites side by side, and another suite's nats-server or test program is not this test's.
pgrep_here() {
	local p here
	here=$(readlink /proc/self/ns/net)
	for p in $(pgrep "$@"); do
		[ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$here" ] && echo "$p"
	done
	return 0
}

# No process of the test programs is left.
nothing_left() {
	[ -z "$(pgrep_here -f "^$PROGS/")" ]
}
