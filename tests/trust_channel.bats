#!/usr/bin/env bats
# The channel between the shim and the launch's supervisor: no peer can hold the supervisor
# up (not a silent one, a stopped one, nor 160 at once), every wait of the shim's is bounded,
# the shim talks only to the supervisor its launch named, and that supervisor answers only
# its own tree. Signals to epr start are forwarded as themselves, within a bounded time.
# Every case runs in a private network namespace.

load helpers
bats_require_minimum_version 1.5.0

PROGS=$TESTS/progs
PYTHON=/usr/bin/python3 # starts at once, and runs as nobody too

setup() {
	launch_setup
}

teardown() {
	launch_teardown
}

netns() {
	unshare -n bash -c 'ip link set lo up && exec "$@"' netns "$@"
}

# The pid of the supervisor of the one launch in the registry, once it is listed (~10 s).
registered_supervisor() {
	local f i
	for ((i = 0; i < 100; i++)); do
		for f in "$EPR_RUNTIME_DIR"/*.launch; do
			[ -f "$f" ] && basename "$f" .launch && return 0
		done
		sleep 0.1
	done
	echo "no launch was registered" >&2
	return 1
}

# The seconds in silent_peer.py's "three binds took N s", rounded down.
bind_seconds() {
	sed -n 's/^three binds took \([0-9]*\)\..*/\1/p' <<<"$output"
}

@test "a peer that connects and says nothing delays no bind of the launch" {
	run -0 netns timeout -k 5 60 env EXIT=1 "$EPR_BIN" run -- "$PYTHON" "$PROGS/silent_peer.py" sleep 1 before
	[[ $output != *"bind failed"* ]]
	[ "$(bind_seconds)" -lt 3 ]
}

@test "a peer stopped (SIGSTOP) between its connect and its request delays no bind" {
	run -0 netns timeout -k 5 60 env EXIT=1 "$EPR_BIN" run -- "$PYTHON" "$PROGS/silent_peer.py" stop 1 before
	[[ $output != *"bind failed"* ]]
	[ "$(bind_seconds)" -lt 3 ]
}

@test "160 silent peers at once delay no bind of the launch" {
	run -0 netns timeout -k 5 90 env EXIT=1 "$EPR_BIN" run -- "$PYTHON" "$PROGS/silent_peer.py" sleep 160 before
	[[ $output != *"bind failed"* ]]
	[ "$(bind_seconds)" -lt 3 ]
}

@test "epr start -t gives up on time while a peer of the launch says nothing" {
	SECONDS=0
	run -1 netns timeout -k 5 30 "$EPR_BIN" start -t 6 -e "$BATS_TEST_TMPDIR/env" -- \
		"$PYTHON" "$PROGS/silent_peer.py" sleep 1 only
	[ "$SECONDS" -le 15 ]
	[[ $output == *"did not listen within 6 seconds"* ]]
	[[ $output == *"the silent peers are there"* ]] # they came before the timeout
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "epr stop stops a launch at once while a peer of it says nothing" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
eval "$("$EPR_BIN" start -t 10 -e "$D/env" -- "$PYTHON" "$PROGS/silent_peer.py" sleep 1 after)"
sleep 1 # the peer has connected
SECONDS=0
timeout -k 5 30 "$EPR_BIN" stop -t 2 "$EPR_FILE"
[ "$SECONDS" -le 6 ] || { echo "epr stop took $SECONDS s"; exit 1; }
SH
	D=$BATS_TEST_TMPDIR PROGS=$PROGS PYTHON=$PYTHON netns bash "$BATS_TEST_TMPDIR/t.sh"
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "--owner stops a launch within seconds of the owner's exit while a peer says nothing" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
sleep 60 &
owner=$!
eval "$("$EPR_BIN" start -t 10 --owner "$owner" -e "$D/env" -- \
	"$PYTHON" "$PROGS/silent_peer.py" sleep 1 after)"
sleep 1 # the peer has connected
kill "$owner"
for i in $(seq 50); do [ -n "$(ls -A "$EPR_RUNTIME_DIR")" ] || exit 0; sleep 0.1; done
echo "the launch still runs 5 s after its owner exited"
exit 1
SH
	D=$BATS_TEST_TMPDIR PROGS=$PROGS PYTHON=$PYTHON netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "a bind caught by seccomp is answered while a peer of the launch says nothing" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
# the static server binds once the peer is connected
eval "$(timeout -k 5 30 "$EPR_BIN" start -t 10 --via seccomp -e "$D/env" -- sh -c \
	'"$PYTHON" "$0" sleep 1 only >"$2" & for i in $(seq 100); do grep -qs there "$2" && break; sleep 0.1; done
	exec "$1" -t 30 127.0.0.1 0' "$PROGS/silent_peer.py" "$EPR_BUILD/tests/static_server" "$D/peer")"
grep -q there "$D/peer"
[ -n "$EPR_PORT" ]
"$EPR_BIN" stop -t 2 "$EPR_FILE"
SH
	D=$BATS_TEST_TMPDIR PROGS=$PROGS PYTHON=$PYTHON netns bash "$BATS_TEST_TMPDIR/t.sh"
}

# EPR_CALL_WAIT=2 shows the bound as well as the default 10 s would, in a fifth of the time.
@test "160 binds at once while the supervisor is stopped all return within the shim's bound" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
eval "$(TRIGGER=$D/trigger EPR_CALL_WAIT=2 "$EPR_BIN" start -t 10 -e "$D/env" -- "$PYTHON" "$PROGS/many_binds.py")"
kill -STOP "$EPR_SUPERVISOR_PID"
touch "$D/trigger"
for i in $(seq 500); do grep -qs "binds returned" "$EPR_LOG" && break; sleep 0.1; done
kill -CONT "$EPR_SUPERVISOR_PID"
grep "binds returned" "$EPR_LOG"
grep -q "^160 of 160 binds returned" "$EPR_LOG"
# each said why, on one line
[ "$(grep -c 'libepr: .*error: the epr supervisor of this launch' "$EPR_LOG")" -eq 160 ]
"$EPR_BIN" stop -t 2 "$EPR_FILE"
SH
	D=$BATS_TEST_TMPDIR PROGS=$PROGS PYTHON=$PYTHON netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "epr start dies of the SIGINT or SIGHUP it forwarded (130, 129), as epr(1) says" {
	local sig status
	for sig in INT HUP; do
		rm -f "$EPR_RUNTIME_DIR"/*.launch
		netns bash -c '"$1" start -t 20 -- sleep 30 2>"$2" & pid=$!
			for i in $(seq 100); do ls "$3"/*.launch >/dev/null 2>&1 && break; sleep 0.1; done
			kill -"$4" $pid; wait $pid' netns "$EPR_BIN" "$BATS_TEST_TMPDIR/err" \
			"$EPR_RUNTIME_DIR" "$sig" && status=0 || status=$?
		cat "$BATS_TEST_TMPDIR/err"
		[ "$status" -eq "$((128 + $(kill -l "$sig")))" ]
		grep -q "interrupted by SIG$sig while waiting for sleep" "$BATS_TEST_TMPDIR/err"
	done
}

@test "epr start returns within seconds of a signal even when its supervisor is frozen" {
	local sup pid status
	background "$EPR_BIN" start -t 30 -- sleep 60
	pid=$BG_PID
	sup=$(registered_supervisor)
	kill -STOP "$sup"
	kill -INT "$pid"
	SECONDS=0
	for ((i = 0; i < 150 && SECONDS < 15; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	kill -CONT "$sup" 2>/dev/null || true
	if alive "$pid"; then
		echo "epr start still runs $SECONDS s after SIGINT"
		return 1
	fi
	[ "$SECONDS" -le 9 ]
	wait "$pid" && status=0 || status=$?
	[ "$status" -eq 130 ]
}

@test "another user holding a dead supervisor's name gets nothing, and the bind fails closed" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
eval "$(TRIGGER=$D/trigger "$EPR_BIN" start -t 10 -e "$D/env" -- \
	setpriv --pdeathsig clear "$PYTHON" "$PROGS/victim.py")"
name=$(awk "/@epr-$EPR_SUPERVISOR_PID-/ { print substr(\$NF, 2); exit }" /proc/net/unix)
[ -n "$name" ]
setpriv --reuid=nobody --regid=nogroup --clear-groups "$PYTHON" "$PROGS/takeover.py" \
	"$name" >"$D/takeover" 2>&1 &
taker=$!
sleep 0.5
kill -KILL "$EPR_SUPERVISOR_PID"
for i in $(seq 50); do grep -qs "holds the name" "$D/takeover" && break; sleep 0.1; done
touch "$D/trigger"
wait "$taker" || true
kill "$EPR_PID"
cat "$D/takeover" "$EPR_LOG"
grep -q "holds the name" "$D/takeover"
if grep -q "got a socket" "$D/takeover"; then exit 1; fi
grep -q "libepr: python3\[$EPR_PID\]: error: the socket of this launch's epr supervisor (pid $EPR_SUPERVISOR_PID, uid 0) is held by pid [0-9]*, uid 65534" "$EPR_LOG"
grep -q "victim: bind/listen failed: \[Errno 1\]" "$EPR_LOG"
SH
	D=$BATS_TEST_TMPDIR PROGS=$PROGS PYTHON=$PYTHON netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "during a stop's grace the supervisor keeps its name and refuses binds with a libepr line" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
eval "$("$EPR_BIN" start -t 10 -e "$D/env" -- "$PYTHON" "$PROGS/stop_rebind.py")"
"$EPR_BIN" stop -t 3 "$EPR_FILE" &
stopper=$!
for i in $(seq 50); do grep -qs "bind during the stop" "$EPR_LOG" && break; sleep 0.1; done
# the server runs on, ignoring the stop: the name is still the supervisor's
grep -q "@epr-$EPR_SUPERVISOR_PID-" /proc/net/unix
wait "$stopper"
cat "$EPR_LOG"
grep -q "libepr: python3\[$EPR_PID\]: error: the epr supervisor of this launch is stopping it: bind refused" "$EPR_LOG"
grep -q "bind during the stop: failed with errno 108" "$EPR_LOG"
! grep -q "@epr-$EPR_SUPERVISOR_PID-" /proc/net/unix
SH
	D=$BATS_TEST_TMPDIR PROGS=$PROGS PYTHON=$PYTHON netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "a request whose sender exited is not acted on, even once a process of the tree has its pid" {
	# sh stays pid 1 of the namespace: a SIGSTOP sent to its init from inside is ignored,
	# and the supervisor must be stoppable
	run -0 unshare -n -p -f --mount-proc sh -c 'ip link set lo up; "$@"; exit $?' netns \
		"$EPR_BIN" run -- "$PYTHON" "$PROGS/reused_peer.py"
	[[ $output == *"pid reused: True"* ]] || skip "the pid was not reused: $output"
	[[ $output == *"the socket's port: 0"* ]]
}

# A process of the supervisor's own user outside the tree (epr exec's CMD) is a client: it may
# ask where a connect goes, and nothing that changes the launch.
client_script() {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<'SH'
set -e
"$EPR_BIN" run -p 7000 -p 7001 -e "$D/env" -- "$PROGS_BIN/listen_server" -s 120 127.0.0.1:7000 >"$D/out" 2>&1 &
for i in $(seq 100); do grep -qs '^EPR_PORT=' "$D/env" && break; sleep 0.1; done
. "$D/env"
sup=$(basename "$EPR_RUNTIME_DIR"/*.launch .launch)
name=$(awk "/@epr-$sup-/ { print substr(\$NF, 2); exit }" /proc/net/unix)
[ -n "$name" ] && [ -n "$EPR_PORT" ]
ask() { "$PYTHON" "$PROGS/client_request.py" "$name" "$@"; }
SH
	cat >>"$BATS_TEST_TMPDIR/t.sh"
	echo '"$EPR_BIN" stop -t 2 "$sup"' >>"$BATS_TEST_TMPDIR/t.sh"
	D=$BATS_TEST_TMPDIR PROGS=$PROGS PROGS_BIN=$EPR_BUILD/tests PYTHON=$PYTHON netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "a client of the supervisor's user, outside the tree, is told where its connect to a sentinel goes" {
	client_script <<'SH'
# 7000 listens in the launch: its port; 7001 has none yet: refused; 7002 is no sentinel: as asked
ask connect 7000 | tee "$D/a"
grep -qx "uid 0: reply 0 $EPR_PORT" "$D/a"
ask connect 7001 | tee "$D/a"
grep -qx "uid 0: reply -111 0" "$D/a"
ask connect 7002 | tee "$D/a"
grep -qx "uid 0: reply 1 0" "$D/a"
SH
}

@test "a client's bind request is refused with EPERM, and its socket is left unbound" {
	client_script <<'SH'
ask bind 7001 | tee "$D/a"
grep -qx "uid 0: reply -1 0" "$D/a"
grep -qx "uid 0: its socket's port: 0" "$D/a"
# the launch took nothing from it: 7001 still has no port in it
ask connect 7001 | tee "$D/a"
grep -qx "uid 0: reply -111 0" "$D/a"
SH
}

@test "another user's process gets no answer, not even where a connect goes" {
	client_script <<'SH'
setpriv --reuid=nobody --regid=nogroup --clear-groups "$PYTHON" "$PROGS/client_request.py" \
	"$name" connect 7000 | tee "$D/a"
grep -q "uid 65534: no reply" "$D/a"
if grep -q "reply -\?[0-9]" "$D/a"; then exit 1; fi
SH
}
