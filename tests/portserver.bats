#!/usr/bin/env bats
# epr portserver: portpicker's portserver protocol, with ports held by the TIME_WAIT
# reservation until each client process exits. Debian's python3-portpicker, unmodified, is
# the client. Each test runs in a private network namespace: the abstract socket, the server
# and its ports are the test's own.

load helpers

PY=/usr/bin/python3 # Debian's, where python3-portpicker is installed

setup() {
	if ! "$PY" -c 'import portpicker' 2>/dev/null; then
		# CI installs it (make deps): there, its absence is a failure, not a skip
		[ "${CI:-}" != true ] || { echo "python3-portpicker is missing: make deps" >&2; return 1; }
		skip "python3-portpicker is not installed (make deps)"
	fi
}

# Runs the bash script $1 in a private network namespace with an epr portserver on @eprtest
# (its stderr in $TMPD/server.log) and PORTSERVER_ADDRESS pointing at it.
with_portserver() {
	in_netns bash -c "set -eu; EPR=$EPR_BIN; TESTS=$TESTS; TMPD=$BATS_TEST_TMPDIR; PY=$PY
		LIB=$EPR_BUILD/libepr-reserve.so
		\"\$EPR\" portserver -v @eprtest 2>\"\$TMPD/server.log\" & portserver=\$!
		trap 'kill \$portserver 2>/dev/null || true; wait \$portserver || true' EXIT
		for i in \$(seq 50); do grep -qs serving \"\$TMPD/server.log\" && break; sleep 0.1; done
		export PORTSERVER_ADDRESS=@eprtest
		$1"
}

@test "portpicker.pick_unused_port() gets a port whose plain bind fails and whose SO_REUSEADDR bind succeeds" {
	run with_portserver '
		P=$("$PY" -c "import portpicker; print(portpicker.pick_unused_port())")
		grep -q "port $P for pid" "$TMPD/server.log"
		"$PY" "$TESTS/progs/cli_reserved.py" 127.0.0.1 "$P"'
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "200 portpicker clients at once all get distinct ports" {
	run with_portserver '
		# each client lives until all have a port: a port may be given again once its client
		# exits. A client waits longer (bounded, 600 s) than the test waits for all (300 s):
		# when clients gave up at 60 s, a slow run (ASan, a busy host) saw a port given again
		# to a later client, rightly, and counted it as a duplicate.
		clients=""
		for i in $(seq 200); do
			"$PY" -c "import os, portpicker, time
print(portpicker.pick_unused_port(), flush=True)
for _ in range(12000):
    if os.path.exists(\"$TMPD/go\"): break
    time.sleep(0.05)" &
			clients="$clients $!"
		done >"$TMPD/ports"
		for i in $(seq 6000); do [ "$(wc -l <"$TMPD/ports")" -ge 200 ] && break; sleep 0.05; done
		touch "$TMPD/go"
		wait $clients
		echo "got $(wc -l <"$TMPD/ports") distinct $(sort -u "$TMPD/ports" | wc -l)"
		grep -c "port .* for pid" "$TMPD/server.log"
		# should a port be given twice: the server'"'"'s lines for it, and whatever else it said
		for p in $(sort "$TMPD/ports" | uniq -d); do grep -w "$p" "$TMPD/server.log"; done
		grep -v "port .* for pid" "$TMPD/server.log" || true'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "got 200 distinct 200" ]
	[ "${lines[1]}" = 200 ] # from the server, not portpicker's own fallback
}

@test "a port comes back to the pool after its client exits, and not before" {
	run with_portserver '
		sleep 60 & client=$!
		P=$("$PY" -c "import portpicker, os; print(portpicker.pick_unused_port(pid=$client))")
		sleep 60 & other=$!
		Q=$("$PY" -c "import portpicker; print(portpicker.pick_unused_port(pid=$other))")
		[ "$P" != "$Q" ]
		kill "$client"
		for i in $(seq 40); do
			R=$("$PY" -c "import portpicker; print(portpicker.pick_unused_port(pid=$other))")
			[ "$R" = "$P" ] && break
			sleep 0.25
		done
		echo "again $R of $P"
		kill "$other"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} =~ ^again\ ([0-9]+)\ of\ ([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
}

@test "a port whose client has exited stays out of the pool while a server still listens on it" {
	run with_portserver '
		sleep 60 & client=$!
		P=$("$PY" -c "import portpicker; print(portpicker.pick_unused_port(pid=$client))")
		"$PY" -c "import socket, time; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"127.0.0.1\", $P)); s.listen(1); time.sleep(30)" &
		server=$!
		sleep 0.5
		kill "$client"
		sleep 1
		sleep 60 & other=$!
		for i in $(seq 5); do
			R=$("$PY" -c "import portpicker; print(portpicker.pick_unused_port(pid=$other))")
			[ "$R" != "$P" ]
		done
		kill "$server" "$other"
		echo finished'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = finished ]
}

@test "pid 1, a pid that does not exist and a line that is no pid are refused, as portpicker's server refuses them" {
	run with_portserver '
		sleep 0 & gone=$!; wait "$gone"
		"$PY" -c "import portpicker as p; print(p.get_port_from_port_server(\"@eprtest\", pid=1), p.get_port_from_port_server(\"@eprtest\", pid=$gone))"
		"$PY" -c "import socket; s = socket.socket(socket.AF_UNIX); s.connect(\"\0eprtest\"); s.sendall(b\"nope\n\"); print(repr(s.recv(64)))"
		kill -USR1 $portserver
		for i in $(seq 100); do grep -qs "total-allocations" "$TMPD/server.log" && break; sleep 0.1; done
		grep -E "denied-allocations|client-request-errors|total-allocations" "$TMPD/server.log"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"None None"* ]]
	[[ $output == *"b''"* ]]
	[[ $output == *"denied-allocations 2"* ]]
	[[ $output == *"client-request-errors 1"* ]]
	[[ $output == *"total-allocations 0"* ]]
}

@test "SIGUSR1 prints its counts on stderr, as portpicker's server does" {
	run with_portserver '
		sleep 60 & c=$!
		for i in 1 2 3; do "$PY" -c "import portpicker; portpicker.pick_unused_port(pid=$c)"; done
		kill -USR1 $portserver
		for i in $(seq 100); do grep -qs "total-allocations" "$TMPD/server.log" && break; sleep 0.1; done
		kill $c
		grep "epr portserver: " "$TMPD/server.log" | grep -v " for pid "'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"total-allocations 3"* ]]
	[[ $output == *"num-ports-managed 3"* ]]
	[[ $output == *"ports-assigned 3 ports-free 0 ports-draining 0"* ]]
}

@test "epr reserve asks the portserver when PORTSERVER_ADDRESS is set, for its parent" {
	run with_portserver '
		P=$("$EPR" reserve)
		grep "port $P for pid $$\$" "$TMPD/server.log"
		"$PY" "$TESTS/progs/cli_reserved.py" 127.0.0.1 "$P"
		sleep 60 & c=$!
		Q=$("$EPR" reserve --hold-for "$c")
		grep "port $Q for pid $c\$" "$TMPD/server.log"
		kill "$c"'
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the portserver logs a port before it answers, so a client that has its port finds the line" {
	command -v strace >/dev/null || { [ "${CI:-}" != true ] || false; skip "strace is not installed"; }
	run in_netns bash -c '
		strace -f -qq -s 200 -e trace=write,sendto -o "$2/trace" "$1" portserver -v @eprorder 2>"$2/log" & s=$!
		for i in $(seq 100); do grep -qs serving "$2/log" && break; sleep 0.1; done
		P=$(PORTSERVER_ADDRESS=@eprorder "$1" reserve)
		kill $(pgrep -P $s); wait $s
		logged=$(grep -n "write(2, \"epr portserver: port $P for pid" "$2/trace" | cut -d: -f1)
		answered=$(grep -n "sendto([0-9]*, \"$P\\\\n\"" "$2/trace" | cut -d: -f1)
		echo "logged at line $logged, answered at line $answered"
		[ -n "$logged" ] && [ -n "$answered" ] && [ "$logged" -lt "$answered" ]' x "$EPR_BIN" "$BATS_TEST_TMPDIR"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "epr reserve says so, and reserves alone, when no portserver answers at PORTSERVER_ADDRESS" {
	run in_netns env PORTSERVER_ADDRESS=@nobody-here "$EPR_BIN" reserve
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "epr: PORTSERVER_ADDRESS=@nobody-here: Connection refused; reserving without it" ]
	[[ ${lines[1]} =~ ^[0-9]+$ ]]
}

@test "libepr-reserve.so's epr_portserver_request() asks the portserver from C" {
	run with_portserver '
		"$PY" - "$LIB" <<-PYEOF
		import ctypes, errno, os, sys
		lib = ctypes.CDLL(sys.argv[1], use_errno=True)
		f = lib.epr_portserver_request
		f.argtypes = (ctypes.c_char_p, ctypes.c_int)
		port = f(None, 0)  # PORTSERVER_ADDRESS, and this process
		print("port", port)
		print("explicit", f(b"@eprtest", os.getpid()) > 0)
		print("pid 1", f(b"@eprtest", 1) == -errno.EPERM)
		print("nobody", f(b"@nobody-here", 0) == -errno.ECONNREFUSED)
		os.environ.pop("PORTSERVER_ADDRESS")
		print("unset", f(None, 0) == -errno.EDESTADDRREQ)
		PYEOF'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ ^port\ [0-9]+$ ]]
	[ "${lines[1]}" = "explicit True" ]
	[ "${lines[2]}" = "pid 1 True" ]
	[ "${lines[3]}" = "nobody True" ]
	[ "${lines[4]}" = "unset True" ]
}

@test "a second portserver on the same address fails with one line" {
	run with_portserver '
		"$EPR" portserver @eprtest'
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "epr: portserver: @eprtest: Address already in use (another portserver serves it)" ]
}

@test "epr portserver on a path, which it removes when it stops" {
	run in_netns bash -c "
		\"$EPR_BIN\" portserver $BATS_TEST_TMPDIR/ps.sock 2>/dev/null & portserver=\$!
		for i in \$(seq 50); do [ -S $BATS_TEST_TMPDIR/ps.sock ] && break; sleep 0.1; done
		PORTSERVER_ADDRESS=$BATS_TEST_TMPDIR/ps.sock $PY -c 'import portpicker; print(portpicker.pick_unused_port())'
		kill \$portserver; wait \$portserver
		[ ! -e $BATS_TEST_TMPDIR/ps.sock ]"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output =~ ^[0-9]+$ ]]
}

@test "epr portserver runs under epr start like any server, and stops with epr stop" {
	launch_setup
	run in_netns bash -c "
		eval \"\$(\"$EPR_BIN\" start -- \"$EPR_BIN\" portserver @eprstarted)\"
		PORTSERVER_ADDRESS=@eprstarted $PY -c 'import portpicker; print(portpicker.pick_unused_port())'
		\"$EPR_BIN\" stop \"\$EPR_FILE\""
	launch_teardown
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ ^[0-9]+$ ]]
}
