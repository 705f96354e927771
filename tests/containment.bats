#!/usr/bin/env bats
# A launch's processes are contained: in a cgroup v2 of its own where one is writable, else
# as the supervisor's descendants (a child subreaper; EPR_CGROUP=off forces that path). Each
# promise is checked on both paths where it applies, in a private network namespace.

load helpers
bats_require_minimum_version 1.5.0

LISTEN=$TESTS/progs/cli_listen.py
LATE=$TESTS/progs/late_worker.py
NEST=$TESTS/progs/nest.sh
RUNNER=$TESTS/progs/fork_runner.py

setup() {
	launch_setup
}

teardown() {
	# what a failed test left in a cgroup of one of its own launches goes too (launch_teardown)
	launch_teardown
	pkill -x -f 'sleep 271' || true # what a --wait-cmd attempt of a failed test left
	if [ -f "$BATS_TEST_TMPDIR/other.dir" ]; then
		kill_by_env_file_dir "$(cat "$BATS_TEST_TMPDIR/other.dir")"
		rm -rf "$(cat "$BATS_TEST_TMPDIR/other.dir")"
	fi
}

# Runs the rest of the line in a fresh network namespace with loopback up.
netns() {
	unshare -n bash -c 'ip link set lo up && exec "$@"' netns "$@"
}

# Skips a cgroup case where this process could not make a cgroup of its own: not root, or
# no cgroup2 mounted (the subreaper cases cover that machine).
need_cgroup() {
	local mnt own
	[ "$(id -u)" -eq 0 ] || skip "needs root, for a writable cgroup v2"
	mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	if [ -z "$mnt" ] || [ ! -w "$mnt$own" ]; then
		skip "no writable cgroup v2 here"
	fi
}

# A directory of nobody's (with its registry in run/), outside the test's own, which
# nobody may not enter; its path is in $OTHER.
other_dir() {
	[ "$(id -u)" -eq 0 ] || skip "needs root, to run as nobody"
	OTHER=$(mktemp -d /tmp/epr-containment.XXXXXX)
	echo "$OTHER" >"$BATS_TEST_TMPDIR/other.dir"
	mkdir -m 700 "$OTHER/run"
	chown -R nobody:nogroup "$OTHER"
	chmod 755 "$OTHER"
}

# Runs the rest of the line as nobody in a fresh network namespace, with $OTHER as its home
# and EPR_CGROUP unset: whatever cgroup epr finds is not nobody's to write.
as_nobody() {
	netns setpriv --reuid=nobody --regid=nogroup --clear-groups env -u EPR_CGROUP \
		PATH=/usr/bin:/bin EPR_RUNTIME_DIR="$OTHER/run" TMPDIR="$OTHER" "$@"
}

# Writes the script on stdin to $1, after set -e and running PID (true while PID runs and is
# no zombie: a process whose supervisor was killed is reaped by a PID 1 that may not reap).
script() {
	{
		echo 'set -e'
		# shellcheck disable=SC2016 # expanded in the script
		echo 'running() { local s; s=$(awk "{ print \$3 }" "/proc/$1/stat" 2>/dev/null) && [ -n "$s" ] && [ "$s" != Z ]; }'
		cat
	} >"$1"
}

# EPR_CGROUP for a mode: "auto" (the default, a cgroup) or "off" (child subreaper).
mode_env() {
	[ "$1" = off ] && echo off || echo auto
}

# The cgroup named by an "epr: ...: the launch's cgroup is PATH" line in file $1.
cgroup_of() {
	sed -n "s/^epr: .*: the launch's cgroup is //p" "$1" | head -n 1
}

# True while some process listed in cgroup $1 runs.
populated() {
	grep -q '^populated 1' "$1/cgroup.events" 2>/dev/null
}

# -v names the containment ---------------------------------------------------------------

@test "epr run -v and epr start -v name the launch's cgroup, and it is gone afterwards" {
	need_cgroup
	run -0 --separate-stderr netns "$EPR_BIN" run -v -- sh -c 'sed -n "s/^0:://p" /proc/self/cgroup'
	cg=$(sed -n "s/^epr: sh: the launch's cgroup is //p" <<<"$stderr")
	[[ $cg == */epr-[0-9]*-* ]]
	# CMD ran in it, and it is removed once the launch is over
	[ "${output##*/}" = "${cg##*/}" ]
	[ ! -e "$cg" ]
	netns "$EPR_BIN" start -v -e "$BATS_TEST_TMPDIR/env" -- python3 "$LISTEN" 127.0.0.1 0 300 \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	cg=$(cgroup_of "$BATS_TEST_TMPDIR/err")
	[ -d "$cg" ]
	grep -qx "$(env_value "$BATS_TEST_TMPDIR/env" EPR_PID)" "$cg/cgroup.procs"
	# the supervisor stays outside
	run ! grep -qx "$(env_value "$BATS_TEST_TMPDIR/env" EPR_SUPERVISOR_PID)" "$cg/cgroup.procs"
	"$EPR_BIN" stop "$BATS_TEST_TMPDIR/env"
	[ ! -e "$cg" ]
}

@test "epr run -v and epr start -v say when the launch is kept as the supervisor's descendants" {
	EPR_CGROUP=off run -0 --separate-stderr netns "$EPR_BIN" run -v -- true
	[[ $stderr == *"epr: true: no writable cgroup v2 (EPR_CGROUP=off): child subreaper"* ]]
	EPR_CGROUP=off netns "$EPR_BIN" start -v -e "$BATS_TEST_TMPDIR/env" -- \
		python3 "$LISTEN" 127.0.0.1 0 300 >/dev/null 2>"$BATS_TEST_TMPDIR/err"
	grep -q "^epr: python3: no writable cgroup v2 (EPR_CGROUP=off): child subreaper" "$BATS_TEST_TMPDIR/err"
	"$EPR_BIN" stop "$BATS_TEST_TMPDIR/env"
	EPR_CGROUP=sometimes run -1 netns "$EPR_BIN" run -- true
	[[ $output == *"epr: EPR_CGROUP: 'sometimes' is neither auto nor off"* ]]
}

@test "as a user who may not write the cgroup hierarchy, epr falls back to the subreaper and says so" {
	other_dir
	run -0 --separate-stderr as_nobody "$EPR_BIN" run -v -- python3 "$LISTEN" 127.0.0.1 0
	echo "$stderr"
	[[ $stderr == *"epr: python3: no writable cgroup v2 ("*"): child subreaper"* ]]
	[[ $output =~ ^[0-9]+$ ]]
}

# #15: a stopped server --------------------------------------------------------------------

stopped_server() {
	script "$BATS_TEST_TMPDIR/t.sh" <<'SH'
eval "$("$EPR_BIN" start -e "$D/env" -- python3 "$LISTEN" 127.0.0.1 0 300)"
kill -STOP "$EPR_PID"
start=$(date +%s%N)
"$EPR_BIN" stop -t 20 "$D/env"
took=$(( ($(date +%s%N) - start) / 1000000 ))
echo "stop took $took ms"
[ "$took" -lt 8000 ]    # the grace is 20 s: SIGCONT made SIGTERM act at once
if running "$EPR_PID"; then echo "$EPR_PID still runs"; exit 1; fi
SH
	EPR_CGROUP=$(mode_env "$1") D=$BATS_TEST_TMPDIR LISTEN=$LISTEN netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "a stopped (SIGSTOP) server is stopped at once by SIGTERM and SIGCONT, not after the grace (cgroup)" {
	need_cgroup
	stopped_server auto
}

@test "a stopped (SIGSTOP) server is stopped at once by SIGTERM and SIGCONT, not after the grace (subreaper)" {
	stopped_server off
}

@test "as nobody, a stopped server is stopped at once too" {
	other_dir
	script "$OTHER/t.sh" <<'SH'
eval "$("$EPR_BIN" start -- python3 "$LISTEN" 127.0.0.1 0 300)"
kill -STOP "$EPR_PID"
start=$(date +%s%N)
"$EPR_BIN" stop -t 20 "$EPR_FILE"
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 8000 ]
if running "$EPR_PID"; then echo "$EPR_PID still runs"; exit 1; fi
SH
	as_nobody EPR_BIN="$EPR_BIN" LISTEN="$LISTEN" bash "$OTHER/t.sh"
}

# #16: a worker forked after ready, the supervisor killed ----------------------------------

late_worker() {
	script "$BATS_TEST_TMPDIR/t.sh" <<'SH'
eval "$("$EPR_BIN" start -e "$D/env" -- setpriv --pdeathsig clear python3 "$LATE")"
for ((i = 0; i < 100; i++)); do grep -qs WORKER "$EPR_LOG" && break; sleep 0.1; done
worker=$(awk '$1 == "WORKER" { print $2 }' "$EPR_LOG")
[ -n "$worker" ]
sleep 1.5   # the subreaper path records its tree every second
kill -9 "$EPR_SUPERVISOR_PID"
for ((i = 0; i < 50; i++)); do [ -d "/proc/$EPR_SUPERVISOR_PID" ] || break; sleep 0.1; done
"$EPR_BIN" stop -t 2 "$D/env"
for ((i = 0; i < 50; i++)); do running "$worker" || break; sleep 0.1; done
if running "$worker"; then echo "the worker $worker still runs"; exit 1; fi
if running "$EPR_PID"; then echo "$EPR_PID still runs"; exit 1; fi
SH
	EPR_CGROUP=$(mode_env "$1") D=$BATS_TEST_TMPDIR LATE=$LATE netns bash "$BATS_TEST_TMPDIR/t.sh"
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "a worker forked after ready is stopped by epr stop after the supervisor was killed (cgroup)" {
	need_cgroup
	late_worker auto
}

@test "a worker forked after ready is stopped by epr stop after the supervisor was killed (subreaper)" {
	late_worker off
}

# #17: a server that dropped privileges ----------------------------------------------------

@test "a server that dropped privileges stays in its cgroup when the supervisor is killed, and epr stop stops it" {
	need_cgroup
	script "$BATS_TEST_TMPDIR/t.sh" <<'SH'
eval "$("$EPR_BIN" start -v -e "$D/env" -- setpriv --reuid=nobody --regid=nogroup --clear-groups \
	/usr/bin/python3 "$LISTEN" 127.0.0.1 0 300 2>"$D/err")"
cg=$(sed -n "s/^epr: .*: the launch's cgroup is //p" "$D/err")
[ -n "$cg" ]
kill -9 "$EPR_SUPERVISOR_PID"
sleep 0.5
# PR_SET_PDEATHSIG was cleared by the credential change: it survives, in its cgroup
running "$EPR_PID"
grep -qx "$EPR_PID" "$cg/cgroup.procs"
"$EPR_BIN" list | grep -q "^$EPR_PID  *gone "
"$EPR_BIN" stop -t 2 "$D/env"
if running "$EPR_PID"; then echo "$EPR_PID still runs"; exit 1; fi
[ ! -e "$cg" ]
SH
	D=$BATS_TEST_TMPDIR LISTEN=$LISTEN netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "on the subreaper path, a server that dropped privileges outlives a killed supervisor until epr stop" {
	script "$BATS_TEST_TMPDIR/t.sh" <<'SH'
eval "$("$EPR_BIN" start -e "$D/env" -- setpriv --reuid=nobody --regid=nogroup --clear-groups \
	/usr/bin/python3 "$LISTEN" 127.0.0.1 0 300)"
kill -9 "$EPR_SUPERVISOR_PID"
sleep 0.5
running "$EPR_PID"   # as epr(1) says: PR_SET_PDEATHSIG does not survive a credential change
"$EPR_BIN" stop -t 2 "$D/env"
if running "$EPR_PID"; then echo "$EPR_PID still runs"; exit 1; fi
SH
	EPR_CGROUP=off D=$BATS_TEST_TMPDIR LISTEN=$LISTEN netns bash "$BATS_TEST_TMPDIR/t.sh"
}

# #18: a daemon left by a --wait-cmd attempt -----------------------------------------------

wait_cmd_daemon() {
	script "$BATS_TEST_TMPDIR/t.sh" <<'SH'
eval "$("$EPR_BIN" start -t 20 -e "$D/env" \
	--wait-cmd 'setsid sleep 271 </dev/null >/dev/null 2>&1 & sleep 0.3; exit 0' \
	-- python3 "$LISTEN" 127.0.0.1 0 300)"
kill "$EPR_PID"
# the server is gone: so is the launch, whatever the attempt left
for ((i = 0; i < 50; i++)); do [ -d "/proc/$EPR_SUPERVISOR_PID" ] || break; sleep 0.1; done
if [ -d "/proc/$EPR_SUPERVISOR_PID" ]; then echo "the supervisor runs on"; exit 1; fi
if pgrep -x -f 'sleep 271' >/dev/null; then echo "the attempt's daemon runs on"; exit 1; fi
SH
	EPR_CGROUP=$(mode_env "$1") D=$BATS_TEST_TMPDIR LISTEN=$LISTEN netns bash "$BATS_TEST_TMPDIR/t.sh"
}

@test "a daemon left by a --wait-cmd attempt does not join the launch (cgroup)" {
	need_cgroup
	wait_cmd_daemon auto
}

@test "a daemon left by a --wait-cmd attempt does not join the launch (subreaper)" {
	wait_cmd_daemon off
}

# #24: depth -------------------------------------------------------------------------------

deep_bind() {
	local out
	out=$(EPR_CGROUP=$(mode_env "$1") netns "$EPR_BIN" run -- sh "$NEST" 70 2>&1)
	echo "$out"
	[[ $out == *LISTEN* ]]
	[[ $out != *"did not answer"* ]]
}

@test "a process 70 levels below the supervisor binds as any other (cgroup)" {
	need_cgroup
	deep_bind auto
}

@test "a process 70 levels below the supervisor binds as any other (subreaper)" {
	deep_bind off
}

# A tree that forks all the time and has a stopped member ----------------------------------

forking_tree() {
	script "$BATS_TEST_TMPDIR/t.sh" <<'SH'
eval "$("$EPR_BIN" start -e "$D/env" -- python3 "$RUNNER" "$D")"
sleep 0.5
start=$(date +%s%N)
"$EPR_BIN" stop -t 1 "$D/env"
echo "stop took $(( ($(date +%s%N) - start) / 1000000 )) ms"
sleep 0.3
if pgrep -f "$RUNNER $D" >/dev/null; then ps -o pid,ppid,stat,etime,cmd -p "$(pgrep -d, -f "$RUNNER $D")"; echo "some of the tree still runs"; exit 1; fi
SH
	EPR_CGROUP=$(mode_env "$1") D=$BATS_TEST_TMPDIR RUNNER=$RUNNER netns bash "$BATS_TEST_TMPDIR/t.sh"
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "a tree that ignores SIGTERM, forks all the time and has a stopped member is killed after the grace (cgroup)" {
	need_cgroup
	forking_tree auto
}

@test "a tree that ignores SIGTERM, forks all the time and has a stopped member is killed after the grace (subreaper)" {
	forking_tree off
}

@test "after the supervisor was killed, epr stop kills a forking, stopped tree whole with cgroup.kill" {
	need_cgroup
	script "$BATS_TEST_TMPDIR/t.sh" <<'SH'
eval "$("$EPR_BIN" start -v -e "$D/env" -- setpriv --pdeathsig clear python3 "$RUNNER" "$D" 2>"$D/err")"
cg=$(sed -n "s/^epr: .*: the launch's cgroup is //p" "$D/err")
sleep 0.5
kill -9 "$EPR_SUPERVISOR_PID"
sleep 0.3
"$EPR_BIN" stop -t 1 "$D/env"
sleep 0.3
if pgrep -f "$RUNNER $D" >/dev/null; then ps -o pid,ppid,stat,etime,cmd -p "$(pgrep -d, -f "$RUNNER $D")"; echo "some of the tree still runs"; exit 1; fi
[ ! -e "$cg" ]
SH
	D=$BATS_TEST_TMPDIR RUNNER=$RUNNER netns bash "$BATS_TEST_TMPDIR/t.sh"
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

# No cgroup is left behind -----------------------------------------------------------------

# The cgroup that command line ($@) said it used with -v (its stdout discarded).
launch_cgroup() {
	"$@" >/dev/null 2>"$BATS_TEST_TMPDIR/err" || true
	cgroup_of "$BATS_TEST_TMPDIR/err"
}

@test "no cgroup directory is left after a launch, however it ends" {
	need_cgroup
	local cgs=()
	# epr run: CMD exits, CMD is killed by a signal, CMD cannot run
	cgs+=("$(launch_cgroup netns "$EPR_BIN" run -v -- true)")
	cgs+=("$(launch_cgroup netns "$EPR_BIN" run -v -- sh -c 'kill -TERM $$')")
	printf '#!/nonexistent/interpreter\n' >"$BATS_TEST_TMPDIR/noexec"
	chmod +x "$BATS_TEST_TMPDIR/noexec"
	cgs+=("$(launch_cgroup netns "$EPR_BIN" run -v -- "$BATS_TEST_TMPDIR/noexec")")
	# epr start: a failed start, a timeout, a --wait-cmd launch stopped, a server that exits
	cgs+=("$(launch_cgroup netns "$EPR_BIN" start -v -- sh -c 'exit 3')")
	cgs+=("$(launch_cgroup netns "$EPR_BIN" start -v -t 1 -- sleep 30)")
	cgs+=("$(launch_cgroup netns "$EPR_BIN" start -v -e "$BATS_TEST_TMPDIR/env" --wait-cmd true -- \
		python3 "$LISTEN" 127.0.0.1 0 300)")
	"$EPR_BIN" stop "$BATS_TEST_TMPDIR/env"
	cgs+=("$(launch_cgroup netns "$EPR_BIN" start -v -e "$BATS_TEST_TMPDIR/env2" -- \
		python3 "$LISTEN" 127.0.0.1 0 1)")
	sup=$(env_value "$BATS_TEST_TMPDIR/env2" EPR_SUPERVISOR_PID)
	for ((i = 0; i < 50; i++)); do alive "$sup" || break; sleep 0.1; done
	for cg in "${cgs[@]}"; do
		echo "cgroup: '$cg'"
		[[ $cg == */epr-* ]]
		[ ! -e "$cg" ]
	done
}
