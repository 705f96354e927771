# Shared by every bats suite. EPR_BUILD points the suites at another build (an ASan build,
# or an installed copy: EPR_BIN=/usr/bin/epr EPR_LIB=/usr/lib/epr/libepr.so).
EPR_BUILD=${EPR_BUILD:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)/build}
EPR_BIN=${EPR_BIN:-$EPR_BUILD/epr}
LIBEPR=${EPR_LIB:-$EPR_BUILD/libepr.so}
TESTS=$(cd "$BATS_TEST_DIRNAME" && pwd)
export EPR_BUILD EPR_BIN LIBEPR TESTS

# Before `make`: one clear failure for the whole file, not one per test.
if [ ! -x "$EPR_BIN" ]; then
	echo "$EPR_BIN is missing: run make first (or set EPR_BUILD to a build)" >&2
	exit 1
fi

# "python3" in the suites means Debian's, /usr/bin/python3: they use its standard library
# only. The python3 first on PATH may be a pyenv shim, a bash script that execs pyenv before
# Python: measured 0.36 s a start against Debian's 0.03 s, and 0.68 s against 0.04 s with the
# ASan build's libepr.so preloaded into each of its shells. Suites that give a server 2 s to
# listen, six of them at once on two cores, cannot afford that.
if [ -x /usr/bin/python3 ] && [ "$(command -v python3)" != /usr/bin/python3 ]; then
	EPR_TEST_PYTHON_DIR=$BATS_RUN_TMPDIR/debian-python3
	[ -e "$EPR_TEST_PYTHON_DIR/python3" ] ||
		{ mkdir -p "$EPR_TEST_PYTHON_DIR" && ln -sfn /usr/bin/python3 "$EPR_TEST_PYTHON_DIR/python3"; }
	PATH=$EPR_TEST_PYTHON_DIR:$PATH
fi

# Nothing from the caller's environment steers the shim: each test sets what it means.
unset EPR_PORTS EPR_ENV_FILE EPR_ZERO EPR_DEBUG EPR_TREE

# Run a command with the shim preloaded.
shimmed() {
	LD_PRELOAD="$LIBEPR" "$@"
}

# True when some socket listens on 127.0.0.1 or [::1] (or a wildcard) port $1, as ss sees it.
listening_on() {
	ss -Hltn "sport = :$1" | grep -q .
}

# Wait (bounded: $2 tenths of a second, default 100) until file $1 exists.
wait_for_file() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for $1" >&2
	return 1
}

# Wait (bounded) until a TCP connect to 127.0.0.1:$1 succeeds.
wait_for_port() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "timed out waiting for port $1" >&2
	return 1
}

# The value of KEY in env file $1, or nothing.
env_value() {
	sed -n "s/^$2=//p" "$1"
}

# Run a command in a private network namespace with loopback up: faults injected there
# (a narrowed port range, IPv6 off) touch nothing on the host.
in_netns() {
	unshare -n sh -c 'ip link set lo up && exec "$@"' in_netns "$@"
}

# The ports of the LISTEN lines that listen_server printed in $output.
listened_ports() {
	awk '$1 == "LISTEN" { print $3 }' <<<"$output"
}

# Wait (bounded, ~10 s) until file $1 has at least $2 (default 1) lines.
wait_for_lines() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "${2:-1}" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for $1" >&2
	return 1
}

wait_for_file_content() {
	wait_for_lines "$1" 1
}

# Start a command in the background, detached from bats' own descriptors (a child that
# holds fd 3 keeps bats waiting), and remember it for teardown. Its pid is in $BG_PID.
# Leading NAME=value words and a leading "shimmed" work as they do on a command line.
background() {
	(
		while [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
			export "${1?}"
			shift
		done
		if [ "$1" = shimmed ]; then
			export LD_PRELOAD=$LIBEPR
			shift
		fi
		exec "$@"
	) 3>&- &
	BG_PID=$!
	echo "$BG_PID" >>"$BATS_TEST_TMPDIR/background.pids"
}

# True while process $1 runs. A zombie does not count: PID 1 may not reap here.
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# Stop what background() started (TERM, then KILL after ~5 s), and wait until it is gone;
# a suite with its own teardown calls this from it.
stop_background() {
	local pid i
	[ -f "$BATS_TEST_TMPDIR/background.pids" ] || return 0
	while read -r pid; do
		kill "$pid" 2>/dev/null || continue
		for ((i = 0; i < 50 && $(alive "$pid" && echo 1 || echo 0); i++)); do
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done <"$BATS_TEST_TMPDIR/background.pids"
	rm -f "$BATS_TEST_TMPDIR/background.pids"
}

teardown() {
	stop_background
}

# Malformed sentinel lists: each must fail loudly wherever it is given, EPR_PORTS or epr -p.
# shellcheck disable=SC2034 # used by the suites that load this file
BAD_PORT_SPECS=(abc 70000 65536 0 -1 +3306 '3306=' '=3306' '3306==1' '3306=0' '3306=70000' ','
	',3306' '3306,' '3306,,6379' ' 3306' '3306 ' 0x10 3306.0 99999999999999999999 '3306=1,3306=2'
	'1=5,2=5' '3306;6379')

# The pids, a line each, whose environment has a variable that grep -F "$@" matches (-x: the
# whole NAME=VALUE). One grep reads every process's environ: a tr | grep pair per process
# cost about 4 s of CPU a call with 150 processes on the host, at every test's teardown.
pids_with_env() {
	local f
	{ grep -lzsF "$@" /proc/[0-9]*/environ || true; } | while read -r f; do
		f=${f#/proc/}
		echo "${f%/environ}"
	done
}

# Kill every process whose environment has an EPR_ENV_FILE under directory $1: what a
# failed test started through epr, found even after epr itself is gone.
kill_by_env_file_dir() {
	local pid
	for pid in $(pids_with_env -e "EPR_ENV_FILE=$1/"); do
		kill -KILL "$pid" 2>/dev/null || true
	done
}

# For the suites of supervised launches: epr start's private directories and the caller's
# launch registry go into the test's own directory, where a test can look for leftovers.
launch_setup() {
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	export EPR_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$TMPDIR"
}

# A failed test must not leave a launch behind: stop what the registry still lists, then
# kill what is left of anything started with an env file of this test's.
launch_teardown() {
	local f cg cgroups=()
	for f in "$EPR_RUNTIME_DIR"/*.launch; do
		[ -f "$f" ] || continue
		cg=$(env_value "$f" EPR_CGROUP)
		[ -z "$cg" ] || cgroups+=("$cg")
		"$EPR_BIN" stop -t 2 "$(basename "$f" .launch)" >/dev/null 2>&1 3>&- || true
	done
	kill_by_env_file_dir "$BATS_TEST_TMPDIR"
	stop_background
	# a launch whose supervisor a test killed can leave its cgroup, empty, behind
	for cg in "${cgroups[@]}"; do
		remove_launch_cgroup "$cg"
	done
}

# What a failed test left in launch cgroup $1: kill it whole and remove it, with the --wait-cmd
# attempts' cgroups below it (bounded: ~5 s). Nothing when it is gone.
remove_launch_cgroup() {
	local i
	[ -d "$1" ] || return 0
	echo 1 >"$1/cgroup.kill" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		rmdir "$1"/wait-cmd/* "$1/wait-cmd" "$1" 2>/dev/null
		[ -d "$1" ] || return 0
		sleep 0.1
	done
}
