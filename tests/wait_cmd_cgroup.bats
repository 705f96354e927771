#!/usr/bin/env bats
# --wait-cmd attempts are no part of the launch. Where the launch has a cgroup, each attempt is
# born in a fresh one below it, <launch>/wait-cmd/N, killed whole and removed when the attempt
# ends; without one (EPR_CGROUP=off), each runs under a keeper that kills what it left. Either
# way nothing an attempt starts, a setsid()ed daemon included, outlives it, and a running
# attempt never keeps a launch alive. Every case runs in a private network namespace.

load helpers
bats_require_minimum_version 1.5.0

LISTEN=$TESTS/progs/cli_listen.py
RUNNER=$TESTS/progs/fork_runner.py

setup() {
	launch_setup
}

teardown() {
	local f cg
	for f in "$BATS_TEST_TMPDIR"/daemon1 "$BATS_TEST_TMPDIR"/attempt; do
		[ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	pkill -KILL -f "$RUNNER $BATS_TEST_TMPDIR" || true # what a failed test's attempt left hopping
	# a cgroup a failed test left: what -v named
	cg=$(cgroup_of "$BATS_TEST_TMPDIR/err" 2>/dev/null)
	launch_teardown
	[ -z "$cg" ] || remove_launch_cgroup "$cg"
	true
}

# Skips a cgroup case where no cgroup of epr's own could be made (not root, no cgroup2).
need_cgroup() {
	local mnt own
	[ "$(id -u)" -eq 0 ] || skip "needs root, for a writable cgroup v2"
	mnt=$(cgroup_mount)
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	if [ -z "$mnt" ] || [ ! -w "$mnt$own" ]; then
		skip "no writable cgroup v2 here"
	fi
}

cgroup_mount() {
	awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo
}

# The cgroup named by an "epr: ...: the launch's cgroup is PATH" line in file $1.
cgroup_of() {
	sed -n "s/^epr: .*: the launch's cgroup is //p" "$1" | head -n 1
}

# Runs the script on stdin with bash in a fresh network namespace: set -e, EPR_CGROUP for
# mode $1 (auto: a cgroup; off: keepers), D the test's directory, and running PID (true
# while PID runs and is no zombie) and gone PID (waits, bounded, until it does not).
in_ns() {
	{
		echo 'set -e'
		# shellcheck disable=SC2016 # expanded in the script
		echo 'running() { local s; s=$(awk "{ print \$3 }" "/proc/$1/stat" 2>/dev/null) && [ -n "$s" ] && [ "$s" != Z ]; }'
		echo 'gone() { for ((i = 0; i < 50; i++)); do running "$1" || return 0; sleep 0.1; done; echo "$2 ($1) still runs"; return 1; }'
		# shellcheck disable=SC2016 # expanded in the script
		echo 'wait_file() { for ((i = 0; i < 100; i++)); do [ -s "$1" ] && return 0; sleep 0.1; done; echo "no $1"; return 1; }'
		cat
	} >"$BATS_TEST_TMPDIR/t.sh"
	EPR_CGROUP=$1 D=$BATS_TEST_TMPDIR LISTEN=$LISTEN RUNNER=$RUNNER MNT=$(cgroup_mount) \
		unshare -n bash -c 'ip link set lo up && exec bash "$0"' "$BATS_TEST_TMPDIR/t.sh"
}

# An attempt's line that starts a daemon (setsid, then a fork whose parent exits at once)
# and writes its pid to $D/daemon1.
DAEMON='setsid sh -c "sleep 272 & echo \$! >\"\$D/daemon1\"" </dev/null >/dev/null 2>&1'

# Where each attempt runs ---------------------------------------------------------------

@test "each --wait-cmd attempt is born in a fresh cgroup below the launch's, never in the launch's own" {
	need_cgroup
	in_ns auto <<'SH'
# three attempts: two fail, the third succeeds; each notes the cgroup it runs in
eval "$("$EPR_BIN" start -v -t 20 -e "$D/env" --wait-cmd \
	'sed -n "s/^0:://p" /proc/self/cgroup >>"$D/cgroups"; [ "$(wc -l <"$D/cgroups")" -ge 3 ]' \
	-- python3 "$LISTEN" 127.0.0.1 0 300 2>"$D/err")"
cg=$(sed -n "s/^epr: .*: the launch's cgroup is //p" "$D/err")
cat "$D/cgroups"
rel=${cg#"$MNT"}
[ "$(cat "$D/cgroups")" = "$(printf '%s/wait-cmd/%s\n' "$rel" 1 "$rel" 2 "$rel" 3)" ]
# the launch's own cgroup holds the server alone, and no attempt's cgroup is left
[ "$(cat "$cg/cgroup.procs")" = "$EPR_PID" ]
[ -z "$(find "$cg/wait-cmd" -mindepth 1 -type d)" ]
"$EPR_BIN" stop "$D/env"
[ ! -e "$cg" ]
SH
}

# What an attempt leaves ---------------------------------------------------------------

daemon_dies() {
	in_ns "$1" <<SH
eval "\$("\$EPR_BIN" start -t 20 -e "\$D/env" --wait-cmd '$DAEMON; sleep 0.3; exit 0' \
	-- python3 "\$LISTEN" 127.0.0.1 0 300)"
wait_file "\$D/daemon1"
gone "\$(cat "\$D/daemon1")" "the attempt's daemon"
"\$EPR_BIN" stop "\$D/env"
SH
}

@test "a daemon an attempt starts (setsid, double fork) does not outlive the attempt (cgroup)" {
	need_cgroup
	daemon_dies auto
}

@test "a daemon an attempt starts (setsid, double fork) does not outlive the attempt (keeper)" {
	daemon_dies off
}

retried() {
	# the first attempt leaves a daemon and fails; the second, in a fresh cgroup, succeeds
	in_ns "$1" <<SH
eval "\$("\$EPR_BIN" start -t 20 -e "\$D/env" --wait-cmd \
	'if [ ! -e "\$D/tried" ]; then touch "\$D/tried"; $DAEMON; sleep 0.2; exit 1; fi; echo \$\$ >"\$D/second"' \
	-- python3 "\$LISTEN" 127.0.0.1 0 300)"
wait_file "\$D/daemon1"
wait_file "\$D/second"
gone "\$(cat "\$D/daemon1")" "the first attempt's daemon"
"\$EPR_BIN" stop "\$D/env"
SH
}

@test "an attempt retried after one that was killed with its daemon succeeds (cgroup)" {
	need_cgroup
	retried auto
}

@test "an attempt retried after one that was killed with its daemon succeeds (keeper)" {
	retried off
}

# An attempt cut short -----------------------------------------------------------------

timed_out() {
	in_ns "$1" <<SH
rc=0
"\$EPR_BIN" start -v -t 2 -e "\$D/env" --wait-cmd '$DAEMON; echo \$\$ >"\$D/attempt"; exec sleep 300' \
	-- python3 "\$LISTEN" 127.0.0.1 0 300 >/dev/null 2>"\$D/err" || rc=\$?
cat "\$D/err"
[ "\$rc" -eq 1 ]
grep -q "listens but was not ready within 2 seconds" "\$D/err"
gone "\$(cat "\$D/daemon1")" "the attempt's daemon"
gone "\$(cat "\$D/attempt")" "the attempt"
cg=\$(sed -n "s/^epr: .*: the launch's cgroup is //p" "\$D/err")
if [ -n "\$cg" ] && [ -e "\$cg" ]; then echo "\$cg is left"; exit 1; fi
SH
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "a -t timeout during an attempt leaves no process and no cgroup directory behind (cgroup)" {
	need_cgroup
	timed_out auto
}

@test "a -t timeout during an attempt leaves no process behind (keeper)" {
	timed_out off
}

forking_daemon() {
	# the daemon ignores SIGTERM, has a stopped child and one whose pid hops all the time
	in_ns "$1" <<'SH'
rc=0
"$EPR_BIN" start -v -t 2 -e "$D/env" \
	--wait-cmd 'setsid python3 "$RUNNER" "$D" </dev/null >/dev/null 2>&1 & echo $$ >"$D/attempt"; exec sleep 300' \
	-- python3 "$LISTEN" 127.0.0.1 0 300 >/dev/null 2>"$D/err" || rc=$?
cat "$D/err"
[ "$rc" -eq 1 ]
gone "$(cat "$D/attempt")" "the attempt"
for ((i = 0; i < 50; i++)); do pgrep -f "$RUNNER $D" >/dev/null || break; sleep 0.1; done
if pgrep -f "$RUNNER $D" >/dev/null; then
	ps -o pid,ppid,stat,cgroup:60,cmd -p "$(pgrep -d, -f "$RUNNER $D")"
	echo "some of the attempt's daemon still runs"
	exit 1
fi
cg=$(sed -n "s/^epr: .*: the launch's cgroup is //p" "$D/err")
if [ -n "$cg" ] && [ -e "$cg" ]; then echo "$cg is left"; exit 1; fi
SH
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "a -t timeout during an attempt whose daemon forks all the time leaves none of it behind (cgroup)" {
	need_cgroup
	forking_daemon auto
}

@test "a -t timeout during an attempt whose daemon forks all the time leaves none of it behind (keeper)" {
	forking_daemon off
}

# epr start in the background, stuck in an attempt that never ends; its supervisor's pid is
# in $sup once the attempt and its daemon run.
STUCK=$(
	cat <<SH
"\$EPR_BIN" start -v -t 60 -e "\$D/env" --wait-cmd '$DAEMON; echo \$\$ >"\$D/attempt"; exec sleep 300' \
	-- setpriv --pdeathsig clear python3 "\$LISTEN" 127.0.0.1 0 300 >/dev/null 2>"\$D/err" 3>&- &
start=\$!
wait_file "\$D/daemon1"
wait_file "\$D/attempt"
sup=\$(sed -n 's/^EPR_SUPERVISOR_PID=//p' "\$D/env")
server=\$(sed -n 's/^EPR_PID=//p' "\$D/env")
cg=\$(sed -n "s/^epr: .*: the launch's cgroup is //p" "\$D/err")
SH
)

stopped() {
	in_ns "$1" <<SH
$STUCK
"\$EPR_BIN" stop "\$sup"
rc=0
wait "\$start" || rc=\$?
echo "epr start: \$rc"
[ "\$rc" -ne 0 ]
gone "\$(cat "\$D/daemon1")" "the attempt's daemon"
gone "\$(cat "\$D/attempt")" "the attempt"
gone "\$server" "the server"
if [ -n "\$cg" ] && [ -e "\$cg" ]; then echo "\$cg is left"; exit 1; fi
SH
}

@test "epr stop during an attempt leaves no process and no cgroup directory behind (cgroup)" {
	need_cgroup
	stopped auto
}

@test "epr stop during an attempt leaves no process behind (keeper)" {
	stopped off
}

# Alive or gone ------------------------------------------------------------------------

listed() {
	in_ns "$1" <<SH
$STUCK
"\$EPR_BIN" list --json | grep -q "\"supervisor_pid\": *\$sup\\b"
echo "listed while the attempt runs"
# the server exits: the launch is over, the attempt running or not
kill "\$server"
rc=0
wait "\$start" || rc=\$?
cat "\$D/err"
[ "\$rc" -eq 1 ]
gone "\$sup" "the supervisor"
if "\$EPR_BIN" list --json | grep -q "\"pid\": *\$server,"; then echo "still listed"; exit 1; fi
gone "\$(cat "\$D/daemon1")" "the attempt's daemon"
gone "\$(cat "\$D/attempt")" "the attempt"
if [ -n "\$cg" ] && [ -e "\$cg" ]; then echo "\$cg is left"; exit 1; fi
SH
}

@test "epr list shows the launch while an attempt runs, and the launch ends with its server, not its attempt (cgroup)" {
	need_cgroup
	listed auto
}

@test "epr list shows the launch while an attempt runs, and the launch ends with its server, not its attempt (keeper)" {
	listed off
}

@test "after the supervisor was killed during an attempt, epr list and epr stop count the server, not the attempt's daemon, and stop kills both" {
	need_cgroup
	in_ns auto <<SH
$STUCK
kill -KILL "\$sup"
# the attempt itself dies with its parent; its daemon, in the attempt's cgroup, does not yet
gone "\$(cat "\$D/attempt")" "the attempt"
running "\$(cat "\$D/daemon1")"
"\$EPR_BIN" list --json | grep -q "\"pid\": *\$server,"
echo "listed while the server runs"
kill "\$server"
gone "\$server" "the server"
if "\$EPR_BIN" list --json | grep -q "\"pid\": *\$server,"; then echo "listed with only the daemon left"; exit 1; fi
"\$EPR_BIN" stop "\$D/env" || true
gone "\$(cat "\$D/daemon1")" "the attempt's daemon"
if [ -e "\$cg" ]; then echo "\$cg is left"; exit 1; fi
SH
}
