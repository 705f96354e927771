#!/usr/bin/env bats
# Each launch of epr start and epr run is supervised: the whole tree is the server, one port
# map serves all of its processes, readiness comes from the listens themselves, and stop
# acts on epr's own launches only. Every case runs in a private network namespace.

load helpers
bats_require_minimum_version 1.5.0

PREFORK=$TESTS/progs/prefork_server.py
LISTEN=$TESTS/progs/cli_listen.py

setup() {
	launch_setup
}

teardown() {
	launch_teardown
}

# Runs the rest of the line in a fresh network namespace with loopback up.
netns() {
	unshare -n bash -c 'ip link set lo up && exec "$@"' netns "$@"
}

# True when no process is left of launch env file $1's recorded supervisor and CMD, the
# registry lists no launch, and nothing listens on port $2 (if given).
launch_gone() {
	local sup pid
	sup=$(env_value "$1" EPR_SUPERVISOR_PID)
	pid=$(env_value "$1" EPR_PID)
	! alive "$sup" && ! alive "$pid" && [ -z "$(ls -A "$EPR_RUNTIME_DIR")" ] &&
		{ [ -z "${2:-}" ] || ! listening_on "$2"; }
}

@test "prefork workers that each bind the sentinel after fork share one port, and all answer" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
eval "$("$EPR_BIN" start -p 8080 -e "$D/env" -- python3 "$PREFORK" 8080 3)"
[ "$EPR_PORT" = "$EPR_PORT_8080" ] && [ "$EPR_PORT" != 8080 ]
[ "$EPR_PORT_LIST" = "$EPR_PORT" ]
# three sockets, three processes, one port: epr start returned at the first listen, the
# other workers may listen a little later
for i in $(seq 100); do [ "$(ss -Hltn "sport = :$EPR_PORT" | wc -l)" -eq 3 ] && break; sleep 0.05; done
[ "$(ss -Hltn "sport = :$EPR_PORT" | wc -l)" -eq 3 ] || { ss -Hltn; exit 1; }
pids=$(for i in $(seq 60); do python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
print(s.recv(32).decode().strip())' "$EPR_PORT"; done | sort -u | wc -l)
[ "$pids" -eq 3 ]
"$EPR_BIN" stop "$D/env"
if ss -Hltn | grep -q ":$EPR_PORT "; then echo "port $EPR_PORT still listens"; exit 1; fi
SH
	D=$BATS_TEST_TMPDIR PREFORK=$PREFORK netns bash "$BATS_TEST_TMPDIR/t.sh"
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "a short-lived port-0 helper before the server: EPR_PORT is the sentinel's, the dead port goes" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
# the launcher runs a helper that listens on port 0 and exits, then becomes the server
eval "$("$EPR_BIN" start -p 8000 -e "$D/env" -- sh -c \
	'python3 "$0" 127.0.0.1 0 0.3 >"$1"; exec python3 -m http.server 8000 --bind 127.0.0.1' \
	"$LISTEN" "$D/helper.port")"
helper=$(cat "$D/helper.port")
[ -n "$helper" ] && [ "$helper" != "$EPR_PORT" ]
[ "$EPR_PORT" = "$EPR_PORT_8000" ]
curl -fsS -o /dev/null "http://127.0.0.1:$EPR_PORT/"
# the helper's port is no longer exported: its process is gone
[ "$EPR_PORT_LIST" = "$EPR_PORT" ]
if grep -q "$helper" "$D/env"; then echo "the helper's port $helper is still exported"; exit 1; fi
"$EPR_BIN" stop "$D/env"
SH
	D=$BATS_TEST_TMPDIR LISTEN=$LISTEN netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "a port whose process exits after readiness leaves the env file at once" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
eval "$("$EPR_BIN" start -p 8000 -e "$D/env" -- sh -c \
	'python3 "$0" 127.0.0.1 0 30 & exec python3 -m http.server 8000 --bind 127.0.0.1' "$LISTEN")"
# ready: the sentinel listens; the side listener may or may not have been counted yet
for i in $(seq 100); do
	[ "$(grep -c '' <<<"$(sed -n 's/^EPR_PORT_LIST=//p' "$D/env" | tr , '\n')")" -eq 2 ] && break
	sleep 0.05
done
side=$(sed -n 's/^EPR_PORT_LIST=//p' "$D/env" | tr , '\n' | grep -vx "$EPR_PORT")
[ -n "$side" ]
pkill -f "cli_listen.py 127.0.0.1 0 30"
for i in $(seq 100); do grep -q "$side" "$D/env" || break; sleep 0.05; done
if grep -q "$side" "$D/env"; then echo "the closed port $side is still exported"; exit 1; fi
grep -qx "EPR_PORT_8000=$EPR_PORT" "$D/env"
"$EPR_BIN" stop "$D/env"
SH
	D=$BATS_TEST_TMPDIR LISTEN=$LISTEN netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "a server that listens on 127.0.0.2 is ready" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
eval "$("$EPR_BIN" start -t 10 -p 8000 -e "$D/env" -- python3 -m http.server 8000 --bind 127.0.0.2)"
curl -fsS -o /dev/null "http://127.0.0.2:$EPR_PORT/"
ss -Hltn | grep -q "127.0.0.2:$EPR_PORT "
"$EPR_BIN" stop "$D/env"
SH
	D=$BATS_TEST_TMPDIR netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "a wrapper script and its child share the sentinel's port" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
# the wrapper binds the sentinel and keeps it; its child binds it too, on ::1
eval "$("$EPR_BIN" start -p 8000 -e "$D/env" -- sh -c \
	'python3 "$0" 127.0.0.1 8000 30 & python3 "$0" ::1 8000 30 & wait' "$LISTEN")"
for i in $(seq 100); do [ "$(ss -Hltn "sport = :$EPR_PORT" | wc -l)" -eq 2 ] && break; sleep 0.05; done
[ "$(ss -Hltn "sport = :$EPR_PORT" | wc -l)" -eq 2 ]
"$EPR_BIN" stop "$D/env"
SH
	D=$BATS_TEST_TMPDIR LISTEN=$LISTEN netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "a command that exits 0 after its daemon listens is ready; stop ends the daemon" {
	eval "$("$EPR_BIN" start -p 8000 -e "$BATS_TEST_TMPDIR/env" -- sh -c \
		'setsid python3 -m http.server 8000 --bind 127.0.0.1 >/dev/null 2>&1 </dev/null & exit 0')"
	daemon=$(ss -Hltnp "sport = :$EPR_PORT" | grep -o 'pid=[0-9]*' | cut -d= -f2 | head -n 1)
	[ -n "$daemon" ]
	# the daemon left the command's session, yet belongs to the launch
	[ "$(ps -o sid= -p "$daemon" | tr -d ' ')" = "$daemon" ]
	curl -fsS -o /dev/null "http://127.0.0.1:$EPR_PORT/"
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/env"
	[ "$status" -eq 0 ]
	run ! alive "$daemon"
	run ! listening_on "$EPR_PORT"
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "a command that exits 3 at once fails at once, even when SIGCHLD was ignored" {
	start=$(date +%s)
	run python3 -c 'import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])' "$EPR_BIN" start -t 30 -- sh -c 'exit 3'
	[ "$status" -eq 1 ]
	[[ $output == *"epr: sh exited with status 3 before listening"* ]]
	[ $(($(date +%s) - start)) -lt 10 ]
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "the server gets /dev/null as stdin and the log as output, even when epr's stdin and stderr are closed" {
	"$EPR_BIN" start -e "$BATS_TEST_TMPDIR/env" -- sh -c \
		'readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2; exec python3 "$0" 127.0.0.1 0 30' \
		"$LISTEN" <&- 2>&-
	log=$BATS_TEST_TMPDIR/env.log
	[ "$(sed -n 1p "$log")" = /dev/null ]
	[ "$(sed -n 2p "$log")" = "$log" ]
	[ "$(sed -n 3p "$log")" = "$log" ]
	"$EPR_BIN" stop "$BATS_TEST_TMPDIR/env"
}

@test "signal dispositions and the signal mask are reset for the server" {
	# the caller ignores and blocks signals; CMD reads what it got (and exits: start fails)
	wrap=(python3 -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
    signal.signal(s, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM})
os.execv(sys.argv[1], sys.argv[1:])')
	run "${wrap[@]}" "$EPR_BIN" start -e "$BATS_TEST_TMPDIR/env" -- grep -E '^Sig(Blk|Ign)' /proc/self/status
	[ "$status" -eq 1 ]
	grep -qx $'SigBlk:\t0000000000000000' "$BATS_TEST_TMPDIR/env.log"
	grep -qx $'SigIgn:\t0000000000000000' "$BATS_TEST_TMPDIR/env.log"
	# a SIGTERM that the caller ignored reaches the server again: it dies of it
	"${wrap[@]}" "$EPR_BIN" run -e "$BATS_TEST_TMPDIR/run.env" -- python3 "$LISTEN" 127.0.0.1 0 30 3>&- &
	runner=$!
	for ((i = 0; i < 200; i++)); do [ -n "$(env_value "$BATS_TEST_TMPDIR/run.env" EPR_PID)" ] && break; sleep 0.05; done
	kill -TERM "$(env_value "$BATS_TEST_TMPDIR/run.env" EPR_PID)"
	status=0
	wait "$runner" || status=$?
	[ "$status" -eq 143 ]
}

@test "stop refuses what epr did not start: a stale pid, a session leader" {
	setsid sleep 300 &
	leader=$!
	run "$EPR_BIN" stop "$leader"
	[ "$status" -eq 1 ]
	[[ $output == "epr: $leader: not a running launch of epr's"* ]]
	alive "$leader"
	kill "$leader"
}

@test "stop accepts EPR_PID and EPR_SUPERVISOR_PID alike" {
	for key in EPR_PID EPR_SUPERVISOR_PID; do
		eval "$("$EPR_BIN" start -e "$BATS_TEST_TMPDIR/env" -- python3 "$LISTEN" 127.0.0.1 0 30)"
		cp "$BATS_TEST_TMPDIR/env" "$BATS_TEST_TMPDIR/was.env"
		run "$EPR_BIN" stop "${!key}"
		[ "$status" -eq 0 ]
		launch_gone "$BATS_TEST_TMPDIR/was.env" "$EPR_PORT"
	done
}

@test "stop takes the EPR_PID of a command that exited while its daemon runs on" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
# gone, or a zombie: PID 1 may not reap here
gone() { [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ] || [ ! -e "/proc/$1" ]; }
eval "$("$EPR_BIN" start -p 8000 -e "$D/env" -- sh -c \
	'setsid python3 -m http.server 8000 --bind 127.0.0.1 >/dev/null 2>&1 </dev/null & exit 0')"
daemon=$(ss -Hltnp "sport = :$EPR_PORT" | grep -o 'pid=[0-9]*' | cut -d= -f2 | head -n 1)
[ -n "$daemon" ]
# the command exits; its pid is the one epr start printed all the same
for i in $(seq 100); do gone "$EPR_PID" && break; sleep 0.05; done
gone "$EPR_PID"
"$EPR_BIN" stop "$EPR_PID"
gone "$daemon" && gone "$EPR_SUPERVISOR_PID"
if ss -Hltn | grep -q ":$EPR_PORT "; then echo "port $EPR_PORT still listens"; exit 1; fi
SH
	D=$BATS_TEST_TMPDIR netns bash "$BATS_TEST_TMPDIR/t.sh"
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "start -e refuses the env file of a live launch, and leaves that launch alone" {
	eval "$("$EPR_BIN" start -e "$BATS_TEST_TMPDIR/env" -- python3 "$LISTEN" 127.0.0.1 0 30)"
	run "$EPR_BIN" start -e "$BATS_TEST_TMPDIR/env" -- python3 "$LISTEN" 127.0.0.1 0 30
	[ "$status" -eq 1 ]
	[[ $output == "epr: $BATS_TEST_TMPDIR/env belongs to a launch that is still running"* ]]
	alive "$EPR_PID"
	[ "$(env_value "$BATS_TEST_TMPDIR/env" EPR_PID)" = "$EPR_PID" ]
	"$EPR_BIN" stop "$BATS_TEST_TMPDIR/env"
}

@test "SIGKILL of the supervisor: a foreground server dies with it" {
	eval "$("$EPR_BIN" start -e "$BATS_TEST_TMPDIR/env" -- python3 "$LISTEN" 127.0.0.1 0 300)"
	kill -KILL "$EPR_SUPERVISOR_PID"
	for ((i = 0; i < 100; i++)); do alive "$EPR_PID" || break; sleep 0.05; done
	run ! alive "$EPR_PID"
	run ! listening_on "$EPR_PORT"
	# stop then cleans up what is left: the registry entry and the files
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/env"
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "SIGKILL of the supervisor: a daemon survives it, and epr stop still finds and stops it" {
	eval "$("$EPR_BIN" start -p 8000 -e "$BATS_TEST_TMPDIR/env" -- sh -c \
		'setsid python3 -m http.server 8000 --bind 127.0.0.1 >/dev/null 2>&1 </dev/null & exit 0')"
	daemon=$(ss -Hltnp "sport = :$EPR_PORT" | grep -o 'pid=[0-9]*' | cut -d= -f2 | head -n 1)
	[ -n "$daemon" ]
	kill -KILL "$EPR_SUPERVISOR_PID"
	sleep 0.2
	alive "$daemon"
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/env"
	[ "$status" -eq 0 ]
	[[ $output == *"the supervisor of this launch is gone; stopping the 1 process it left"* ]]
	run ! alive "$daemon"
	run ! listening_on "$EPR_PORT"
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "epr run waits for the whole tree and passes a signal to all of it" {
	background "$EPR_BIN" run -e "$BATS_TEST_TMPDIR/env" -- sh -c \
		'setsid python3 "$0" 127.0.0.1 0 300 >/dev/null & exit 0' "$LISTEN"
	runner=$BG_PID
	wait_for_file "$BATS_TEST_TMPDIR/env"
	for ((i = 0; i < 100; i++)); do [ -n "$(env_value "$BATS_TEST_TMPDIR/env" EPR_PORT)" ] && break; sleep 0.05; done
	port=$(env_value "$BATS_TEST_TMPDIR/env" EPR_PORT)
	listening_on "$port"
	# CMD exited, its daemon lives: epr run still runs
	alive "$runner"
	kill -TERM "$runner"
	for ((i = 0; i < 100; i++)); do alive "$runner" || break; sleep 0.05; done
	run ! alive "$runner"
	run ! listening_on "$port"
}

@test "a UDP-only server told a sentinel is ready once it is bound, and echoes on its own port" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
eval "$("$EPR_BIN" start -t 10 -p 7 -e "$D/env" -- "$ECHO" -s 60 127.0.0.1:7)"
[ "$EPR_PORT" = "$EPR_PORT_7" ] && [ "$EPR_PORT" != 7 ]
ss -Hlun "sport = :$EPR_PORT" | grep -q "127.0.0.1:$EPR_PORT"
[ "$(python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"ping", ("127.0.0.1", int(sys.argv[1])))
print(s.recv(16).decode())' "$EPR_PORT")" = ping ]
"$EPR_BIN" stop "$D/env"
SH
	D=$BATS_TEST_TMPDIR ECHO=$EPR_BUILD/tests/udp_echo netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "two dnsmasq through epr start -p 53 each answer dig over UDP and TCP on their own port" {
	command -v dnsmasq >/dev/null || { [ -z "${CI:-}" ] || false; skip "dnsmasq is not installed"; }
	command -v dig >/dev/null || { [ -z "${CI:-}" ] || false; skip "dig is not installed"; }
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
for n in a b; do
	"$EPR_BIN" start -t 20 -p 53 -e "$D/$n.env" -- dnsmasq --no-daemon --conf-file=/dev/null \
		--no-resolv --no-hosts --user=root --port=53 --listen-address=127.0.0.1 \
		--bind-interfaces --address=/test.epr/127.0.0.9 --pid-file="$D/$n.pid" >/dev/null
done
a=$(sed -n 's/^EPR_PORT_53=//p' "$D/a.env") b=$(sed -n 's/^EPR_PORT_53=//p' "$D/b.env")
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] && [ "$a" != 53 ] && [ "$b" != 53 ]
for p in "$a" "$b"; do
	[ "$(dig +short +time=2 +tries=1 @127.0.0.1 -p "$p" test.epr)" = 127.0.0.9 ]
	[ "$(dig +short +tcp +time=2 +tries=1 @127.0.0.1 -p "$p" test.epr)" = 127.0.0.9 ]
done
"$EPR_BIN" stop "$D/a.env"
"$EPR_BIN" stop "$D/b.env"
if ss -Hlun | grep -qE ":($a|$b) "; then echo "a dnsmasq still holds its port"; exit 1; fi
SH
	D=$BATS_TEST_TMPDIR netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "stop refuses an env file that belongs to another user" {
	printf 'EPR_SUPERVISOR_PID=%s\nEPR_SUPERVISOR_START=1\n' "$$" >"$BATS_TEST_TMPDIR/theirs.env"
	chown nobody "$BATS_TEST_TMPDIR/theirs.env"
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/theirs.env"
	[ "$status" -eq 1 ]
	[[ $output == *"belongs to another user"* ]]
}

@test "stop never removes a directory that epr did not make, whatever the file names" {
	mkdir "$BATS_TEST_TMPDIR/epr.abcdef"
	echo keep >"$BATS_TEST_TMPDIR/epr.abcdef/data"
	printf 'EPR_SUPERVISOR_PID=%s\nEPR_SUPERVISOR_START=1\nEPR_TMPDIR=%s\n' "$$" \
		"$BATS_TEST_TMPDIR/epr.abcdef" >"$BATS_TEST_TMPDIR/forged.env"
	run "$EPR_BIN" stop "$BATS_TEST_TMPDIR/forged.env"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/epr.abcdef/data")" = keep ]
	# the private directory of a real launch whose server died goes, from the registry's record
	eval "$("$EPR_BIN" start -- python3 "$LISTEN" 127.0.0.1 0 300)"
	kill -KILL "$EPR_PID"
	for ((i = 0; i < 100; i++)); do alive "$EPR_SUPERVISOR_PID" || break; sleep 0.05; done
	"$EPR_BIN" stop "$EPR_FILE"
	[ ! -e "$EPR_TMPDIR" ]
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}
