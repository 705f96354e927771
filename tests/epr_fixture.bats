#!/usr/bin/env bats
# epr start as a test fixture: readiness beyond "it listens" (--wait-log, --wait-cmd,
# --wait-http, each bounded by -t and naming its last failure), and launches tied to an
# owner process (--owner), stopped when it exits however it exits. Every case runs in a
# private network namespace.

load helpers
bats_require_minimum_version 1.5.0

SLOW=$TESTS/progs/slow_health.py

setup() {
	launch_setup
}

teardown() {
	launch_teardown
	# postgres' data directory, outside bats' own
	if [ -f "$BATS_TEST_TMPDIR/pg.dir" ]; then
		rm -rf "$(cat "$BATS_TEST_TMPDIR/pg.dir")"
	fi
}

# Runs the script on stdin in a fresh network namespace, with D the test's directory. The
# script may call running PID: true while PID runs, a zombie not counted (the supervisor
# that exits is reparented to a PID 1 that may be slow to reap it, or never does).
in_ns() {
	{
		echo 'running() { local s; s=$(awk '"'"'{ print $3 }'"'"' "/proc/$1/stat" 2>/dev/null) && [ -n "$s" ] && [ "$s" != Z ]; }'
		cat
	} >"$BATS_TEST_TMPDIR/t.sh"
	D=$BATS_TEST_TMPDIR SLOW=$SLOW in_netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "--wait-http: epr start returns once /health answers 200, not when the port listens" {
	in_ns <<'SH'
set -e
# without the wait, the server listens before it serves: /health is 503 at first
eval "$("$EPR_BIN" start -- python3 "$SLOW" 0 1)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EPR_PORT/health")
[ "$code" = 503 ] || { echo "without --wait-http: $code"; exit 1; }
"$EPR_BIN" stop "$EPR_FILE"
eval "$("$EPR_BIN" start --wait-http /health -- python3 "$SLOW" 0 1)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EPR_PORT/health")
[ "$code" = 200 ] || { echo "with --wait-http: $code"; exit 1; }
grep -q '^ready to serve' "$EPR_LOG"
"$EPR_BIN" stop "$EPR_FILE"
if ss -Hltn | grep -q ":$EPR_PORT "; then exit 1; fi
SH
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "--wait-http times out naming the last HTTP status, and leaves nothing" {
	run -1 in_ns <<'SH'
exec "$EPR_BIN" start -t 4 --wait-http /missing -- python3 "$SLOW" 0 0
SH
	[[ $output == *"listens but was not ready within 4 seconds (--wait-http /missing: status 404 Not Found); stopping it"* ]]
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ] && [ -z "$(ls -A "$TMPDIR")" ]
	run ! pgrep -f "$SLOW"
}

@test "--wait-log: epr start returns once a line of the log matches, and names the last line on timeout" {
	in_ns <<'SH'
set -e
eval "$("$EPR_BIN" start --wait-log '^ready to (serve|work)$' -- python3 "$SLOW" 0 0.5)"
grep -q '^ready to serve$' "$EPR_LOG"
"$EPR_BIN" stop "$EPR_FILE"
SH
	run -1 in_ns <<'SH'
exec "$EPR_BIN" start -t 4 --wait-log 'never printed' -- python3 "$SLOW" 0 0
SH
	[[ $output == *"(--wait-log 'never printed': no line matched; the last: \"ready to serve\")"* ]]
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "--wait-log needs a log that is a regular file, and a valid regular expression" {
	run -1 "$EPR_BIN" start -l /dev/null --wait-log x -- true
	[[ $output == *"the log /dev/null is not a regular file"* ]]
	run -2 "$EPR_BIN" start --wait-log 'a(' -- true
	[[ $output == *"--wait-log: 'a(' is not an extended regular expression"* ]]
	run -2 "$EPR_BIN" start --wait-http health -- true
	run -2 "$EPR_BIN" start --wait-cmd '' -- true
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "--wait-cmd runs with the launch's EPR_* values, not under the shim, until it exits 0" {
	in_ns <<'SH'
set -e
eval "$("$EPR_BIN" start -p 8000 --wait-cmd 'env >"$D/cmd.env"; curl -sf "http://127.0.0.1:$EPR_PORT_8000/health"' \
	-- python3 "$SLOW" 8000 0.5)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EPR_PORT/health")" = 200 ]
grep -qx "EPR_PORT=$EPR_PORT" "$D/cmd.env"
grep -qx "EPR_PORT_8000=$EPR_PORT" "$D/cmd.env"
grep -qx "EPR_PID=$EPR_PID" "$D/cmd.env"
grep -qx "EPR_FILE=$EPR_FILE" "$D/cmd.env"
if grep -q '^EPR_SUPERVISOR_SOCKET=\|^LD_PRELOAD=.*libepr' "$D/cmd.env"; then exit 1; fi
"$EPR_BIN" stop "$EPR_FILE"
SH
}

@test "--wait-cmd times out naming its exit status and last line; a hung attempt is killed" {
	run -1 in_ns <<'SH'
exec "$EPR_BIN" start -t 4 --wait-cmd 'echo "checking $EPR_PORT"; echo "not ready: $EPR_PORT" >&2; exit 3' \
	-- python3 "$SLOW" 0 0
SH
	[[ $output =~ \(--wait-cmd:\ exited\ with\ status\ 3:\ \"not\ ready:\ [0-9]+\"\)\;\ stopping\ it ]]
	run -1 in_ns <<'SH'
exec "$EPR_BIN" start -t 4 --wait-cmd 'echo started; exec sleep 297' -- python3 "$SLOW" 0 0
SH
	[[ $output == *'(--wait-cmd: the last attempt was still running, having printed "started")'* ]]
	run ! pgrep -f "sleep 297"
	run ! pgrep -f "$SLOW"
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "the waits combine: every one must hold" {
	in_ns <<'SH'
set -e
eval "$("$EPR_BIN" start --wait-log '^ready' --wait-http /health --wait-cmd 'test -s "$EPR_LOG"' \
	-- python3 "$SLOW" 0 0.3)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EPR_PORT/health")" = 200 ]
"$EPR_BIN" stop "$EPR_FILE"
SH
	run -1 in_ns <<'SH'
exec "$EPR_BIN" start -t 4 --wait-log '^ready' --wait-http /missing -- python3 "$SLOW" 0 0
SH
	# the log wait held; only the HTTP one is named
	[[ $output == *"(--wait-http /missing: status 404 Not Found)"* ]]
	[[ $output != *"--wait-log"* ]]
}

# postgres as root runs as the postgres user: its data directory must be its own, outside
# bats' 0700 directory.
pg_prepare() {
	PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	if [ ! -x "$PG_BIN/postgres" ]; then
		[ -z "${CI:-}" ] || { echo "postgres is not installed, and CI must run it" >&2; return 1; }
		skip "postgres is not installed (Debian package postgresql)"
	fi
	# as root, postgres runs as its own user (a string: the scripts split it on purpose)
	AS_PG=
	PG_DIR=$(mktemp -d /tmp/epr-fixture-pg.XXXXXX)
	echo "$PG_DIR" >"$BATS_TEST_TMPDIR/pg.dir"
	chmod 755 "$PG_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$PG_DIR"
		AS_PG="setpriv --reuid=postgres --regid=postgres --init-groups --"
	fi
	# shellcheck disable=SC2086
	$AS_PG "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --no-sync \
		--no-instructions >/dev/null
	export PG_BIN PG_DIR AS_PG
}

@test "postgres: --wait-cmd pg_isready, then select 1 answers at once; stop leaves nothing" {
	pg_prepare
	in_ns <<'SH'
set -e
eval "$("$EPR_BIN" start -t 60 -p 5432 --wait-cmd 'pg_isready -q -h 127.0.0.1 -p "$EPR_PORT"' \
	-- $AS_PG "$PG_BIN/postgres" -D "$PG_DIR/data" -p 5432 -h 127.0.0.1 -k "$PG_DIR")"
[ "$(psql -X -U postgres -h 127.0.0.1 -p "$EPR_PORT" -Atc 'select 1')" = 1 ]
"$EPR_BIN" stop "$EPR_FILE"
if ss -Hltn | grep -q ":$EPR_PORT "; then exit 1; fi
if pgrep -f "$PG_DIR/data" >/dev/null; then exit 1; fi
SH
}

@test "postgres: --wait-log 'ready to accept connections', then select 1 answers at once" {
	pg_prepare
	in_ns <<'SH'
set -e
eval "$("$EPR_BIN" start -t 60 -p 5432 --wait-log 'ready to accept connections' \
	-- $AS_PG "$PG_BIN/postgres" -D "$PG_DIR/data" -p 5432 -h 127.0.0.1 -k "$PG_DIR")"
grep -q 'ready to accept connections' "$EPR_LOG"
[ "$(psql -X -U postgres -h 127.0.0.1 -p "$EPR_PORT" -Atc 'select 1')" = 1 ]
"$EPR_BIN" stop "$EPR_FILE"
if pgrep -f "$PG_DIR/data" >/dev/null; then exit 1; fi
SH
}

@test "--owner parent: the launch stops when the shell that started it exits normally" {
	in_ns <<'SH'
set -e
# the shell's one command in $(...) is epr start itself: its parent is this inner shell
bash -c 'eval "$("$EPR_BIN" start --owner parent -- python3 "$SLOW" 0 0)"
	echo "$EPR_PID $EPR_PORT $EPR_SUPERVISOR_PID" >"$D/launch"
	listening_on() { ss -Hltn "sport = :$1" | grep -q .; }
	listening_on "$EPR_PORT"'
read -r pid port sup <"$D/launch"
for i in $(seq 20); do
	if ! running "$pid" && ! running "$sup" && ! ss -Hltn | grep -q ":$port "; then
		exit 0
	fi
	sleep 0.1
done
echo "the launch outlived its owner by 2 s"; exit 1
SH
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ] && [ -z "$(ls -A "$TMPDIR")" ]
}

@test "--owner PID: a SIGKILLed test runner leaves no server behind" {
	in_ns <<'SH'
set -e
# a stand-in for a test runner, which starts a server owned by itself and is then killed
bash -c 'eval "$("$EPR_BIN" start --owner $$ -p 6379 -- python3 "$SLOW" 6379 0)"
	echo "$EPR_PID $EPR_PORT $EPR_SUPERVISOR_PID" >"$D/launch"
	exec sleep 300' &
runner=$!
for i in $(seq 100); do [ -s "$D/launch" ] && break; sleep 0.1; done
read -r pid port sup <"$D/launch"
ss -Hltn | grep -q ":$port "
kill -KILL "$runner"
for i in $(seq 20); do
	if ! running "$pid" && ! running "$sup" && ! ss -Hltn | grep -q ":$port "; then
		echo "gone after $i tenths" >"$D/gone"
		exit 0
	fi
	sleep 0.1
done
echo "the launch outlived its SIGKILLed owner by 2 s"; exit 1
SH
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ] && [ -z "$(ls -A "$TMPDIR")" ]
}

@test "--owner: without it a launch outlives the shell; a bad or gone owner is refused" {
	in_ns <<'SH'
set -e
bash -c 'eval "$("$EPR_BIN" start -- python3 "$SLOW" 0 0)"; echo "$EPR_FILE $EPR_PORT" >"$D/launch"'
read -r file port <"$D/launch"
sleep 0.5
ss -Hltn | grep -q ":$port "
"$EPR_BIN" stop "$file"
SH
	run -2 "$EPR_BIN" start --owner nobody -- true
	[[ $output == *"--owner: 'nobody' is not a process id or 'parent'"* ]]
	sh -c 'exit 0' &
	gone=$!
	wait "$gone"
	run -1 "$EPR_BIN" start --owner "$gone" -- true
	[[ $output == *"--owner: process $gone is not running"* ]]
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "--owner: an owner that exits while the server starts stops the start" {
	run -1 in_ns <<'SH'
sleep 0.5 &
exec "$EPR_BIN" start -t 10 --owner $! --wait-log never -- python3 "$SLOW" 0 0
SH
	[[ $output == *"the owner of this launch (pid "*") exited; stopping python3"* ]]
	run ! pgrep -f "$SLOW"
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ] && [ -z "$(ls -A "$TMPDIR")" ]
}

@test "--json prints exactly the keys and values of the shell output, ports as numbers" {
	in_ns <<'SH'
set -e
two='python3 "$0" 8000 0 & exec python3 "$0" 8001 0'
"$EPR_BIN" start -p 8000 -p 8001 -- sh -c "$two" "$SLOW" >"$D/shell.out"
"$EPR_BIN" start --json -p 8000 -p 8001 -- sh -c "$two" "$SLOW" >"$D/json.out"
python3 - "$D/shell.out" "$D/json.out" <<'PY'
import json, shlex, sys
shell = dict(line.split("=", 1) for line in open(sys.argv[1]).read().splitlines())
shell = {k: shlex.split(v)[0] for k, v in shell.items()}
text = open(sys.argv[2]).read()
assert text.count("\n") == 1, text          # one object, one line
launch = json.loads(text)
assert list(launch) == list(shell), (list(launch), list(shell))  # the same keys, in order
env = dict(line.split("=", 1) for line in open(launch["EPR_FILE"]).read().splitlines())
for key, value in launch.items():
    if key == "EPR_PORT_LIST":
        assert isinstance(value, list) and all(isinstance(p, int) for p in value), value
        assert ",".join(map(str, value)) == env[key]
        assert len(value) == 2
    elif key.startswith("EPR_PORT") or key.endswith("_PID"):
        assert isinstance(value, int) and not isinstance(value, bool), (key, value)
        assert str(value) == env[key], (key, value, env[key])
    elif key == "EPR_FILE":
        assert isinstance(value, str) and value.endswith("/env"), value
    else:
        assert isinstance(value, str) and value == env[key], (key, value)
for key in ("EPR_PORT", "EPR_PORT_8000", "EPR_PORT_8001", "EPR_PORT_LIST", "EPR_PID",
            "EPR_SUPERVISOR_PID", "EPR_FILE", "EPR_LOG", "EPR_TMPDIR"):
    assert key in launch, key
PY
for out in shell json; do
	file=$(python3 -c 'import json, shlex, sys
t = open(sys.argv[1]).read()
print(json.loads(t)["EPR_FILE"] if t.startswith("{") else
      dict(l.split("=", 1) for l in t.splitlines())["EPR_FILE"])' "$D/$out.out")
	"$EPR_BIN" stop "$file"
done
SH
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}
