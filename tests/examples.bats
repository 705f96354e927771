#!/usr/bin/env bats
# The examples users copy: each one works as its comments say, and leaves nothing running.

load helpers

EXAMPLES=$(cd "$BATS_TEST_DIRNAME/../examples" && pwd)

setup() {
	cd "$BATS_TEST_TMPDIR" || return
	# importing the examples must not litter examples/ with __pycache__
	export PYTHONDONTWRITEBYTECODE=1
}

teardown() {
	stop_background
	# whatever server an example failed to stop
	[ ! -f server.pids ] || xargs -r kill -KILL <server.pids 2>/dev/null || true
}

# True when process $1 is gone (a zombie counts as gone).
gone() {
	! alive "$1"
}

# True when nothing listens on TCP port $1.
not_listening() {
	! listening_on "$1"
}

# True when none of the pids in file $1 runs.
all_gone() {
	local pid
	while read -r pid; do
		gone "$pid" || { echo "pid $pid still runs"; return 1; }
	done <"$1"
}

# A CMD for with-redis.sh that notes the server's port and pids, then pings it.
note_and_ping='echo "$REDIS_PORT" >port
	ss -Hltnp "sport = :$REDIS_PORT" | grep -o "pid=[0-9]*" | cut -d= -f2 >server.pids
	redis-cli -p "$REDIS_PORT" ping'

@test "with-redis.sh runs CMD against its own redis, then stops it" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	run "$EXAMPLES/with-redis.sh" sh -c "$note_and_ping"' && echo "url: $REDIS_URL"'
	[ "$status" -eq 0 ]
	port=$(cat port)
	[ "$port" -ne 6379 ]
	[ "${lines[0]}" = PONG ]
	[ "${lines[1]}" = "url: redis://127.0.0.1:$port/0" ]
	[ -s server.pids ]
	all_gone server.pids
	not_listening "$port"
}

@test "with-redis.sh exits with CMD's status and stops the server when CMD fails" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	run "$EXAMPLES/with-redis.sh" sh -c "$note_and_ping"'; exit 3'
	[ "$status" -eq 3 ]
	[ -s server.pids ]
	all_gone server.pids
	not_listening "$(cat port)"
}

@test "with-redis.sh stops the server when interrupted (SIGTERM to its process group)" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	# setsid: the script leads its own group, as a foreground job of a terminal does
	background setsid "$EXAMPLES/with-redis.sh" sh -c "$note_and_ping"'; exec sleep 300'
	wait_for_file_content server.pids
	kill -TERM -- "-$BG_PID"
	for ((i = 0; i < 100; i++)); do
		alive "$BG_PID" || break
		sleep 0.1
	done
	gone "$BG_PID"
	all_gone server.pids
	not_listening "$(cat port)"
}

@test "with-redis.sh SIGKILLed, when no trap can run: the server goes with it (--owner)" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	background "$EXAMPLES/with-redis.sh" sh -c "$note_and_ping"'; echo $$ >cmd.pid; exec sleep 300'
	wait_for_file_content cmd.pid
	kill -KILL "$BG_PID"
	for ((i = 0; i < 20; i++)); do
		if not_listening "$(cat port)" && all_gone server.pids; then
			break
		fi
		sleep 0.1
	done
	kill -KILL "$(cat cmd.pid)" 2>/dev/null || true
	all_gone server.pids
	not_listening "$(cat port)"
}

@test "the unittest fixture (epr_fixture.py) starts, uses and stops its servers" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	run python3 -m unittest discover -s "$EXAMPLES" -p test_epr_fixture.py -v
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Ran 3 tests"* ]]
	[[ ${lines[-1]} == OK ]]
}

@test "epr_fixture.py reads epr start's output, quoting and all" {
	run python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import epr_fixture as f
v = f.parse_start_output("EPR_PORT=41234\nEPR_PORT_6379=41234\nEPR_LOG='"'"'/tmp/a b/l'"'"'\n")
print(v["EPR_PORT"], v["EPR_PORT_6379"], v["EPR_LOG"])' "$EXAMPLES"
	[ "$status" -eq 0 ]
	[ "$output" = "41234 41234 /tmp/a b/l" ]
}

@test "epr_fixture.py raises with epr start's message when the server cannot start" {
	run python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import epr_fixture as f
try:
    f.EprServer(["sh", "-c", "echo no-such-db >&2; exit 4"], ports=[3306]).start()
except RuntimeError as e:
    print(e)' "$EXAMPLES"
	[ "$status" -eq 0 ]
	[[ $output == *"exit 1"* ]]
	[[ $output == *"exited with status 4"* ]]
	[[ $output == *no-such-db* ]]
}

@test "make integration-test brings a MariaDB up on a free port, tests, and brings it down" {
	command -v mariadbd >/dev/null || skip "mariadbd is not installed (Debian package mariadb-server)"
	run make -f "$EXAMPLES/integration.mk" integration-test DB_DIR="$BATS_TEST_TMPDIR/db"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *EPR_PORT_3306=* ]]
	[ "$(grep -x '[0-9]*' <<<"$output")" = 42 ]
	pid=$(sed -n 's/^EPR_PID=//p' <<<"$output")
	port=$(sed -n 's/^EPR_PORT_3306=//p' <<<"$output")
	[ "$port" -ne 3306 ]
	gone "$pid"
	not_listening "$port"
	[ ! -e "$BATS_TEST_TMPDIR/db" ]
}

@test "make integration-test brings the database down when the test fails, and fails" {
	command -v mariadbd >/dev/null || skip "mariadbd is not installed (Debian package mariadb-server)"
	run make -f "$EXAMPLES/integration.mk" integration-test DB_DIR="$BATS_TEST_TMPDIR/db" \
		TEST='echo "$$EPR_PID" >$(DB_DIR)/../db.pid; false'
	[ "$status" -ne 0 ]
	gone "$(cat db.pid)"
	[ ! -e "$BATS_TEST_TMPDIR/db" ]
}

@test "a SIGKILLed make integration-test leaves no MariaDB behind: the database is make's (--owner)" {
	command -v mariadbd >/dev/null || skip "mariadbd is not installed (Debian package mariadb-server)"
	# the test stand-in records the server and itself, then waits to be killed
	background unshare -n sh -c 'ip link set lo up && exec "$@"' sh \
		make -f "$EXAMPLES/integration.mk" integration-test DB_DIR="$BATS_TEST_TMPDIR/db" \
		TEST='echo "$$EPR_PID $$EPR_SUPERVISOR_PID $$$$" >$(DB_DIR)/../db.pids; exec sleep 293'
	make_pid=$BG_PID
	wait_for_file_content db.pids
	read -r server supervisor stand_in <db.pids
	echo "$server $supervisor $stand_in" | tr ' ' '\n' >server.pids # for teardown, should this fail
	alive "$server"
	kill -KILL "$make_pid"
	for ((i = 0; i < 20; i++)); do
		if gone "$server" && gone "$supervisor"; then
			break
		fi
		sleep 0.1
	done
	kill -KILL "$stand_in" 2>/dev/null || true
	rm -rf "$BATS_TEST_TMPDIR/db"
	gone "$server"
	gone "$supervisor"
}

@test "the demo: two redis-servers told --port 6379 both answer, then stop" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	run "$EXAMPLES/demo.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'answers PONG' <<<"$output")" -eq 2 ]
}
