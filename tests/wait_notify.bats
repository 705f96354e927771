#!/usr/bin/env bats
# epr start --wait-notify: the server's own READY=1 on NOTIFY_SOCKET (systemd's sd_notify
# protocol), with STATUS=, MAINPID= and ERRNO= in each order that matters, senders outside
# the launch, the other waits beside it, and real servers that speak it (postgres, redis).
# Every case runs in a private network namespace: abstract sockets belong to one.

load helpers
bats_require_minimum_version 1.5.0

SPEAKER=$EPR_BUILD/tests/notify_speaker

setup() {
	launch_setup
	[ -x "$SPEAKER" ] || skip "$SPEAKER is missing: run make test-progs"
}

teardown() {
	launch_teardown
	if [ -n "${PG_DIR:-}" ]; then
		rm -rf "$PG_DIR"
	fi
}

# Runs the script on stdin, with its arguments, in a fresh network namespace, with D the
# test's directory, S the speaker, and `connects PORT`: one connect to 127.0.0.1:PORT, no retry.
in_ns() {
	{
		# shellcheck disable=SC2016 # for the script
		echo 'connects() { python3 -c '\''import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()'\'' "$1"; }'
		cat
	} >"$BATS_TEST_TMPDIR/t.sh"
	D=$BATS_TEST_TMPDIR S=$SPEAKER in_netns bash "$BATS_TEST_TMPDIR/t.sh" "$@"
}

@test "--wait-notify: epr start returns once READY=1 came; STATUS= lines are shown with -v" {
	run in_ns <<'SH'
out=$("$EPR_BIN" start -v -t 20 --wait-notify -p 7000 -- "$S" status:warming listen:7000 \
	status:'almost there' ready) || exit 1
eval "$out"
connects "$EPR_PORT" && echo "connected"
grep -c '^SENT READY=1$' "$EPR_LOG"
"$EPR_BIN" stop "$EPR_FILE"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *": STATUS=warming"* ]]
	[[ $output == *": STATUS=almost there"* ]]
	[[ $output == *connected* ]]
}

@test "--wait-notify: a READY=1 sent before the listen still waits for the port" {
	run in_ns <<'SH'
out=$("$EPR_BIN" start -t 20 --wait-notify -p 7000 -- "$S" ready sleep:300 listen:7000) || exit 1
eval "$out"
connects "$EPR_PORT" && echo "connected at once"
"$EPR_BIN" stop "$EPR_FILE"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"connected at once"* ]]
}

@test "--wait-notify: ERRNO= fails the start at once, with the errno and the last STATUS" {
	run in_ns <<'SH'
timeout 20 "$EPR_BIN" start -t 60 --wait-notify -p 7000 -- "$S" listen:7000 \
	send:'STATUS=cannot read the config|ERRNO=2'
echo "rc=$?"
SH
	echo "$output"
	[[ $output == *"rc=1"* ]]
	[[ $output == *"said ERRNO=2 (No such file or directory) before it was ready; the last STATUS: \"cannot read the config\"; stopping it"* ]]
	[ -z "$(ls -A "$TMPDIR")" ]
	[ -z "$(ls "$EPR_RUNTIME_DIR"/*.launch 2>/dev/null)" ]
}

@test "--wait-notify: ERRNO= sent just before the server exits is what the failure says" {
	run in_ns <<'SH'
timeout 20 "$EPR_BIN" start -t 60 --wait-notify -p 7000 -- "$S" listen:7000 errno:98 exit:1
echo "rc=$?"
SH
	echo "$output"
	[[ $output == *"rc=1"* ]]
	[[ $output == *"said ERRNO=98 (Address already in use) before it was ready; stopping it"* ]]
}

@test "--wait-notify: a server that exits before READY=1 fails the start at once, with its status" {
	run in_ns <<'SH'
timeout 20 "$EPR_BIN" start -t 60 --wait-notify -p 7000 -- "$S" listen:7000 status:'giving up' exit:3
echo "rc=$?"
timeout 20 "$EPR_BIN" start -t 60 --wait-notify -p 7000 -- "$S" listen:7000 exit:0
echo "rc=$?"
SH
	echo "$output"
	[[ $output == *"notify_speaker exited with status 3 before READY=1; the last STATUS: \"giving up\""* ]]
	[[ $output == *"notify_speaker exited with status 0 before READY=1"* ]]
	[ "$(grep -c '^rc=1$' <<<"$output")" -eq 2 ]
}

@test "--wait-notify: MAINPID= of a child becomes EPR_PID, in the output and the env file" {
	run in_ns <<'SH'
out=$("$EPR_BIN" start -t 20 --wait-notify -p 7000 -- "$S" listen:7000 mainpid:child ready) || exit 1
eval "$out"
child=$(sed -n 's/^CHILD //p' "$EPR_LOG")
echo "EPR_PID=$EPR_PID child=$child file=$(sed -n 's/^EPR_PID=//p' "$EPR_FILE")"
"$EPR_BIN" stop "$EPR_FILE"
[ -e "/proc/$child" ] && echo "the child outlived the stop"
exit 0
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ ^EPR_PID=([0-9]+)\ child=([0-9]+)\ file=([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
	[ "${BASH_REMATCH[3]}" = "${BASH_REMATCH[2]}" ]
	[[ $output != *outlived* ]]
}

@test "--wait-notify: MAINPID= of a process outside the launch is ignored" {
	run in_ns <<'SH'
out=$("$EPR_BIN" start -v -t 20 --wait-notify -p 7000 -- "$S" listen:7000 mainpid:1 mainpid:$$ ready) || exit 1
eval "$out"
echo "EPR_PID runs: $(tr '\0' ' ' <"/proc/$EPR_PID/cmdline")"
"$EPR_BIN" stop "$EPR_FILE"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"ignored MAINPID=1: not a process of the launch"* ]]
	[[ $output == *"EPR_PID runs: $SPEAKER listen:7000"* ]]
}

@test "--wait-notify: READY=1 from a process outside the launch is ignored" {
	run in_ns <<'SH'
"$EPR_BIN" start -v -t 4 --wait-notify -p 7000 -- "$S" name:"$D/name" listen:7000 status:waiting \
	>"$D/out" 2>"$D/err" &
start=$!
for ((i = 0; i < 100; i++)); do
	[ -s "$D/name" ] && break
	sleep 0.1
done
# An outsider that found the name (it is in /proc/net/unix) claims the launch is ready.
python3 - "$(cat "$D/name")" <<'PY'
import socket, sys
name = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1\nMAINPID=1\nERRNO=5", "\0" + name[1:])
print("outsider sent")
PY
wait "$start"
echo "rc=$?"
cat "$D/err"
SH
	echo "$output"
	[[ $output == *"outsider sent"* ]]
	[[ $output == *"rc=1"* ]]
	[[ $output =~ ignored\ a\ message\ on\ NOTIFY_SOCKET\ from\ pid\ [0-9]+,\ not\ a\ process\ of\ the\ launch ]]
	[[ $output == *"(--wait-notify: no READY=1 from the server (NOTIFY_SOCKET=@epr-notify-"* ]]
	[[ $output != *ERRNO* ]]
}

@test "--wait-notify: READY=1 counts from a sender that was reaped before epr read it (Linux 6.16)" {
	[ "$(printf '%s\n' 6.16 "$(uname -r)" | sort -V | head -n 1)" = 6.16 ] ||
		skip "the cgroup of a reaped process is known from Linux 6.16 (PIDFD_INFO_EXIT)"
	run in_ns <<'SH'
cat >"$D/send.py" <<'PY'
import os, socket
name = os.environ["NOTIFY_SOCKET"]
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", "\0" + name[1:])
PY
# As systemd-notify does: a helper of the server's says READY=1 and exits; sh reaps it.
"$EPR_BIN" start -t 30 --wait-notify -p 7000 -- sh -c '"$0" listen:7000 &
	for i in $(seq 300); do [ -e "$1/go" ] && break; sleep 0.1; done
	python3 "$1/send.py"; echo reaped >"$1/sent"; wait' "$S" "$D" >"$D/out" 2>&1 &
start=$!
for ((i = 0; i < 100; i++)); do
	supervisor=$(cat "/proc/$start/task/$start/children" 2>/dev/null)
	[ -n "$supervisor" ] && break
	sleep 0.1
done
kill -STOP "$supervisor" # it reads the message only once the sender is gone
touch "$D/go"
for ((i = 0; i < 300; i++)); do
	[ -e "$D/sent" ] && break
	sleep 0.1
done
kill -CONT "$supervisor"
wait "$start"
echo "rc=$? $(cat "$D/sent")"
cat "$D/out"
SH
	echo "$output"
	[[ ${lines[0]} == "rc=0 reaped" ]]
}

@test "--wait-notify: READY=1 from a --wait-cmd attempt is ignored: it is no part of the launch" {
	run in_ns <<'SH'
cat >"$D/send.py" <<'PY'
import socket, sys
name = open(sys.argv[1]).read().strip()
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", "\0" + name[1:])
PY
# D is in the attempts' environment: it is the caller's
"$EPR_BIN" start -v -t 3 --wait-notify --wait-cmd 'test -s "$D/name" && python3 "$D/send.py" "$D/name"' \
	-p 7000 -- "$S" name:"$D/name" listen:7000 status:waiting
echo "rc=$?"
SH
	echo "$output"
	[[ $output == *"rc=1"* ]]
	[[ $output =~ ignored\ a\ message\ on\ NOTIFY_SOCKET\ from\ pid\ [0-9]+ ]]
	[[ $output == *"(--wait-notify: no READY=1 from the server (NOTIFY_SOCKET=@epr-notify-"* ]]
}

@test "--wait-notify: a server that never sends READY=1 times out with a message that says so" {
	run in_ns <<'SH'
"$EPR_BIN" start -t 1 --wait-notify -p 7000 -- "$S" listen:7000 status:'loading 3 of 5'
echo "rc=$?"
SH
	echo "$output"
	[[ $output == *"rc=1"* ]]
	[[ $output =~ listens\ but\ was\ not\ ready\ within\ 1\ second\ \(--wait-notify:\ no\ READY=1\ from\ the\ server\ \(NOTIFY_SOCKET=@epr-notify-[0-9]+-[0-9a-f]{16}\)\;\ the\ last\ STATUS:\ \"loading\ 3\ of\ 5\"\)\;\ stopping\ it ]]
}

@test "--wait-notify combines with --wait-log: every wait must hold, and the timeout names the one missing" {
	run in_ns <<'SH'
"$EPR_BIN" start -t 1 --wait-notify --wait-log '^never$' -p 7000 -- "$S" listen:7000 ready
echo "rc=$?"
"$EPR_BIN" start -t 1 --wait-notify --wait-log '^LISTENING' -p 7000 -- "$S" listen:7000
echo "rc=$?"
out=$("$EPR_BIN" start -t 20 --wait-notify --wait-log '^LISTENING' -p 7000 -- "$S" listen:7000 ready) || exit 1
eval "$out"
echo "both held"
"$EPR_BIN" stop "$EPR_FILE"
SH
	echo "$output"
	[ "$(grep -c '^rc=1$' <<<"$output")" -eq 2 ]
	[[ ${lines[0]} == *"(--wait-log '^never\$': no line matched; the last: \"SENT READY=1\"); stopping it" ]]
	[[ $output == *"(--wait-notify: no READY=1 from the server (NOTIFY_SOCKET="*")); stopping it"* ]]
	[ "$(grep -c -- '--wait-notify: no READY' <<<"$output")" -eq 1 ]
	[[ $output == *"both held"* ]]
}

@test "--wait-notify: the server has epr's NOTIFY_SOCKET, and --wait-cmd attempts have none" {
	run in_ns <<'SH'
out=$(NOTIFY_SOCKET=@the-callers "$EPR_BIN" start -t 20 --wait-notify \
	--wait-cmd 'test -z "${NOTIFY_SOCKET+set}"' -p 7000 -- "$S" name:"$D/name" listen:7000 ready) || exit 1
eval "$out"
echo "server: $(cat "$D/name")"
"$EPR_BIN" stop "$EPR_FILE"
out=$(NOTIFY_SOCKET=@the-callers "$EPR_BIN" start -t 20 \
	--wait-cmd 'test -z "${NOTIFY_SOCKET+set}"' -p 7000 -- "$S" listen:7000) || exit 1
eval "$out"
echo "without --wait-notify: started"
"$EPR_BIN" stop "$EPR_FILE"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output =~ server:\ @epr-notify-[0-9]+-[0-9a-f]{16} ]]
	[[ $output == *"without --wait-notify: started"* ]]
}

@test "epr run passes NOTIFY_SOCKET through untouched and takes no --wait-notify" {
	run in_ns <<'SH'
NOTIFY_SOCKET=@the-callers "$EPR_BIN" run -- sh -c 'echo "run: $NOTIFY_SOCKET"'
"$EPR_BIN" run --wait-notify -- true
echo "rc=$?"
SH
	echo "$output"
	[[ $output == *"run: @the-callers"* ]]
	[[ $output == *"rc=2"* ]]
}

@test "postgres started with --wait-notify answers psql the moment epr start returns" {
	PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	[ -x "$PG_BIN/postgres" ] || skip "postgres is not installed (Debian package postgresql)"
	command -v psql >/dev/null || skip "psql is not installed (Debian package postgresql-client)"
	AS=()
	# postgres will not run as root: its files and the server are the postgres user's
	PG_DIR=$(mktemp -d /tmp/epr-notify-pg.XXXXXX)
	chmod 755 "$PG_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$PG_DIR"
		AS=(setpriv --reuid=postgres --regid=postgres --init-groups --)
	fi
	"${AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --no-sync --no-instructions >/dev/null
	run in_ns "$PG_BIN" "$PG_DIR" "${AS[@]}" <<'SH'
PG_BIN=$1 PG_DIR=$2
shift 2
out=$("$EPR_BIN" start -v -t 60 --wait-notify -p 5432 -- "$@" "$PG_BIN/postgres" -D "$PG_DIR/data" \
	-p 5432 -h 127.0.0.1 -k "$PG_DIR") || exit 1
eval "$out"
# once, no retry: READY=1 comes when postgres accepts connections
PGCONNECT_TIMEOUT=5 timeout 20 psql -X -U postgres -h 127.0.0.1 -p "$EPR_PORT" -At -c 'select 1'
echo "rc=$?"
"$EPR_BIN" stop -t 20 "$EPR_FILE"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -x -A1 1 <<<"$output" | tail -n 1)" = "rc=0" ]
}

@test "redis-server --supervised systemd started with --wait-notify answers PING the moment epr start returns" {
	command -v redis-server >/dev/null || skip "redis-server is not installed (Debian package redis-server)"
	command -v redis-cli >/dev/null || skip "redis-cli is not installed (Debian package redis-tools)"
	run in_ns <<'SH'
out=$("$EPR_BIN" start -v -t 30 --wait-notify -p 6379 -- redis-server --port 6379 --bind 127.0.0.1 \
	--dir "$D" --save '' --appendonly no --supervised systemd) || exit 1
eval "$out"
echo "ping: $(timeout 20 redis-cli -h 127.0.0.1 -p "$EPR_PORT" ping)"
"$EPR_BIN" stop "$EPR_FILE"
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"ping: PONG"* ]]
}
