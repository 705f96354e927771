#!/usr/bin/env bats
# epr start's readiness and its log at the edges: a log that vanishes, a FIFO in its place,
# a burst of output, a truncation, a crowded network namespace, a sentinel served over UDP
# and TCP (and -p S/tcp, S/udp), and a stdout that is closed. Every case runs in a private
# network namespace.

load helpers
bats_require_minimum_version 1.5.0

P=$TESTS/progs

setup() {
	launch_setup
}

teardown() {
	launch_teardown
}

# Runs the script on stdin in a fresh network namespace, with D the test's directory and P
# the test programs.
in_ns() {
	cat >"$BATS_TEST_TMPDIR/t.sh"
	D=$BATS_TEST_TMPDIR P=$P in_netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "\$(epr start) returns at once when the server removes its log before it is ready" {
	run in_ns <<'SH'
start=$(date +%s)
out=$(timeout 30 "$EPR_BIN" start -t 10 -l "$D/vanish.log" -- python3 "$P/log_remover.py" "$D/vanish.log" 20)
echo "rc=$? after $(($(date +%s) - start)) s"
eval "$out"
python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()' "$EPR_PORT"
"$EPR_BIN" stop "$EPR_FILE"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ ^rc=0\ after\ ([0-9]+)\ s$ ]]
	# the server lives 20 s: the substitution used to wait for all of it
	[ "${BASH_REMATCH[1]}" -lt 10 ]
}

@test "a FIFO at the log path is refused with one line, at once, with -e or -l" {
	mkfifo "$BATS_TEST_TMPDIR/fifo.env.log" "$BATS_TEST_TMPDIR/fifo.log"
	run -1 timeout 10 "$EPR_BIN" start -t 2 -e "$BATS_TEST_TMPDIR/fifo.env" -- python3 "$P/cli_listen.py" 127.0.0.1 0 30
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "epr: the log $BATS_TEST_TMPDIR/fifo.env.log is not a regular file; name one with -l" ]
	run -1 timeout 10 "$EPR_BIN" start -t 2 -l "$BATS_TEST_TMPDIR/fifo.log" -- python3 "$P/cli_listen.py" 127.0.0.1 0 30
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "epr: the log $BATS_TEST_TMPDIR/fifo.log is not a regular file"* ]]
	[ -p "$BATS_TEST_TMPDIR/fifo.log" ]
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "a server that puts a FIFO in its log's place and fails gets its failure said, not a hang" {
	log=$BATS_TEST_TMPDIR/x.log
	"$EPR_BIN" start -t 5 -l "$log" -- sh -c 'rm -f "$0"; mkfifo "$0"; exit 3' "$log" \
		>"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	hung=no
	if alive "$pid"; then
		hung=yes
		: <>"$log" # a writer for the FIFO releases what waits for one, so the test ends
	fi
	rc=0
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$hung" = no ]
	[ "$rc" -eq 1 ]
	grep -q '^epr: sh exited with status 3 before listening' "$BATS_TEST_TMPDIR/out"
}

@test "--wait-log finds its line after a 4 MiB burst of output that then goes quiet" {
	run in_ns <<'SH'
out=$("$EPR_BIN" start -t 10 --wait-log '^READY$' -- python3 "$P/log_burst.py" 4) || exit 1
eval "$out"
tail -n 1 "$EPR_LOG"
"$EPR_BIN" stop "$EPR_FILE"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = READY ]
}

@test "--wait-log finds its line after a truncation that the new output outgrew before the scan" {
	run in_ns <<'SH'
out=$("$EPR_BIN" start -t 5 --wait-log '^READY$' -- python3 "$P/log_truncator.py") || exit 1
eval "$out"
head -n 1 "$EPR_LOG"
"$EPR_BIN" stop "$EPR_FILE"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = READY ]
}

@test "readiness holds with 18000 other listening sockets in the namespace: 6 starts of 6" {
	run in_ns <<'SH'
ulimit -n 20000 || exit 1
python3 "$P/many_listeners.py" 10000 9000 180 >"$D/crowd1" &
crowd1=$!
python3 "$P/many_listeners.py" 19000 9000 180 >"$D/crowd2" &
crowd2=$!
for ((i = 0; i < 600; i++)); do
	[ -s "$D/crowd1" ] && [ -s "$D/crowd2" ] && break
	sleep 0.1
done
echo "listening: $(ss -Hltn | wc -l)"
ok=0
for i in 1 2 3 4 5 6; do
	if out=$("$EPR_BIN" start -t 20 -- python3 -m http.server 0 --bind 127.0.0.1); then
		eval "$out"
		python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()' "$EPR_PORT" &&
			ok=$((ok + 1))
		"$EPR_BIN" stop "$EPR_FILE"
	fi
done
kill "$crowd1" "$crowd2"
echo "ok=$ok"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ ^listening:\ ([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -ge 18000 ]
	[ "${lines[-1]}" = ok=6 ]
}

@test "a sentinel bound over TCP and then UDP is ready only once its TCP socket listens" {
	run in_ns <<'SH'
out=$("$EPR_BIN" start -t 10 -p 5353 -- python3 "$P/tcp_bound_then_udp.py") || exit 1
eval "$out"
python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()' "$EPR_PORT" &&
	echo connected
"$EPR_BIN" stop "$EPR_FILE"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = connected ]
}

@test "a sentinel given as S/tcp whose UDP side binds first is ready only once its TCP socket listens" {
	run in_ns <<'SH'
out=$("$EPR_BIN" start -t 10 -p 5353/tcp -- python3 "$P/udp_then_tcp.py" 5353) || exit 1
eval "$out"
python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()' "$EPR_PORT" &&
	echo connected
"$EPR_BIN" stop "$EPR_FILE"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = connected ]
}

@test "a sentinel given as S/udp whose TCP side listens first is ready only once its UDP socket is bound" {
	run in_ns <<'SH'
# the UDP bind waits for $D/go, made a second later: ready before it would be too early
(sleep 1; touch "$D/go") &
out=$("$EPR_BIN" start -t 10 -p 5353/udp -- python3 "$P/udp_late_bind.py" 5353 "$D/go") || exit 1
[ -e "$D/go" ] || { echo "ready before the UDP bind"; exit 1; }
eval "$out"
python3 "$P/udp_ask.py" "$EPR_PORT"
"$EPR_BIN" stop "$EPR_FILE"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = ping ]
}

@test "a -p suffix other than /tcp or /udp is refused with one line" {
	run -2 in_ns <<'SH'
"$EPR_BIN" start -p 5353/sctp -- true
SH
	[ "${lines[0]}" = "epr: -p: '5353/sctp': 'sctp' is neither tcp nor udp" ]
}

@test "epr start with stdout closed fails with one line and leaves no server running" {
	cp "$P/cli_listen.py" "$BATS_TEST_TMPDIR/unannounced.py"
	run in_ns <<'SH'
"$EPR_BIN" start -t 10 -e "$D/env" -- python3 "$D/unannounced.py" 127.0.0.1 0 60 >&- 2>"$D/err"
echo "rc=$?"
cat "$D/err"
for ((i = 0; i < 100; i++)); do
	pgrep -f "$D/unannounced.py" >/dev/null || break
	sleep 0.1
done
pgrep -f "$D/unannounced.py" >/dev/null && echo "still running"
exit 0
SH
	echo "$output"
	[ "${lines[0]}" = rc=1 ]
	[ "${lines[1]}" = "epr: writing to stdout: Bad file descriptor; stopping python3" ]
	[ "${#lines[@]}" -eq 2 ]
	[ ! -e "$BATS_TEST_TMPDIR/env" ]
}
