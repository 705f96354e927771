#!/usr/bin/env bats
# epr list and epr stop --all: the caller's launches, seen together and stopped together.
# The servers listen in a private network namespace that each test holds open.

load helpers
bats_require_minimum_version 1.5.0

LISTEN=$TESTS/progs/cli_listen.py
SERVER=$EPR_BUILD/tests/listen_server

setup() {
	launch_setup
	netns_setup
}

teardown() {
	[ ! -f "$BATS_TEST_TMPDIR/other.dir" ] || other_teardown "$(cat "$BATS_TEST_TMPDIR/other.dir")"
	launch_teardown
}

# A network namespace of the test's own, held by a sleeping process: ns runs a command in
# it (epr start, ss), so that no server of a test touches the host's ports.
netns_setup() {
	local i host
	host=$(readlink /proc/self/ns/net)
	background unshare -n sleep 600
	NETNS=/proc/$BG_PID/ns/net
	for ((i = 0; i < 100; i++)); do
		[ "$(readlink "$NETNS")" != "$host" ] && break
		sleep 0.05
	done
	[ "$(readlink "$NETNS")" != "$host" ] || { echo "unshare -n did not take" >&2; return 1; }
	ns ip link set lo up
}

ns() {
	nsenter --net="$NETNS" "$@"
}

# Every TCP port that listens in the test's namespace, one a line, sorted.
ns_ports() {
	ns ss -Hltn | awk '{ sub(/.*:/, "", $4); print $4 }' | sort -un
}

# The ports of env files $@ (their EPR_PORT_LIST), one a line, sorted.
env_ports() {
	local f
	for f in "$@"; do env_value "$f" EPR_PORT_LIST | tr , '\n'; done | sort -un
}

# The launches most tests use, oldest first: a Python HTTP server on port 0, redis (or a
# small Python server where there is none), and a server with two ports whose command line
# is longer than epr list's column. Their env files go in FILES, their commands in COMMANDS.
start_three() {
	local cmd_a cmd_b cmd_c
	cmd_a=(python3 -m http.server 0 --bind 127.0.0.1)
	if command -v redis-server >/dev/null; then
		cmd_b=(redis-server --port 6379 --save '' --appendonly no)
	else
		cmd_b=(python3 "$LISTEN" 127.0.0.1 6379 300)
	fi
	cmd_c=(sh -c 'exec "$0" -s 300 127.0.0.1:0 127.0.0.1:0 # two ports, and a long line' "$SERVER")
	eval "$(ns "$EPR_BIN" start -- "${cmd_a[@]}")"
	FILES=("$EPR_FILE")
	eval "$(ns "$EPR_BIN" start -p 6379 -- "${cmd_b[@]}")"
	FILES+=("$EPR_FILE")
	eval "$(ns "$EPR_BIN" start -- "${cmd_c[@]}")"
	FILES+=("$EPR_FILE")
	COMMANDS=("$(sh_words "${cmd_a[@]}")" "$(sh_words "${cmd_b[@]}")" "$(sh_words "${cmd_c[@]}")")
}

# The words $@ as epr list shows a command: as sh would need them typed, plain words as they
# are, any other in single quotes.
sh_words() {
	local word out=() q="'"
	for word in "$@"; do
		if [[ -n $word && $word =~ ^[A-Za-z0-9_+=.,:/@%-]+$ ]]; then
			out+=("$word")
		else
			out+=("$q${word//$q/$q\\$q$q}$q")
		fi
	done
	echo "${out[*]}"
}

# The processes of env files $@: supervisors, CMDs and whatever listens in the namespace.
launch_pids() {
	local f
	for f in "$@"; do
		env_value "$f" EPR_SUPERVISOR_PID
		env_value "$f" EPR_PID
	done
	ns ss -Hltnp | grep -o 'pid=[0-9]*' | cut -d= -f2
}

# True when none of processes $@ runs, nothing listens in the namespace, and the registry and
# $TMPDIR (the private directories) are empty.
all_gone() {
	local pid
	for pid in "$@"; do
		if alive "$pid"; then
			echo "process $pid still runs" >&2
			return 1
		fi
	done
	[ -z "$(ns ss -Hltn)" ] && [ -z "$(ls -A "$EPR_RUNTIME_DIR")" ] && [ -z "$(ls -A "$TMPDIR")" ]
}

# The text in column $2 of line $1 of epr list's output, found where its name starts in the
# header line $HEADER: a value that strays from its column does not read back.
column() {
	local names=(PID SUPERVISOR PORTS AGE COMMAND "ENV FILE") i from to before text
	for ((i = 0; i < ${#names[@]}; i++)); do [ "${names[i]}" = "$2" ] && break; done
	before=${HEADER%%"$2"*}
	from=${#before}
	to=${#1}
	if ((i + 1 < ${#names[@]})); then
		before=${HEADER%%"${names[i + 1]}"*}
		to=${#before}
	fi
	text=${1:from:to-from}
	printf '%s\n' "${text%"${text##*[! ]}"}"
}

# A command as the COMMAND column shows it: cut to 40 characters, "..." included.
cut_command() {
	if ((${#1} <= 40)); then printf '%s\n' "$1"; else printf '%s...\n' "${1:0:37}"; fi
}

@test "epr list shows each live launch: pid, supervisor, ports, age, command and env file" {
	start_three
	run "$EPR_BIN" list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[[ ${lines[0]} =~ ^PID\ +SUPERVISOR\ +PORTS\ +AGE\ +COMMAND\ +ENV\ FILE$ ]]
	HEADER=${lines[0]}
	for i in 0 1 2; do
		line=${lines[i + 1]} f=${FILES[i]}
		echo "row $i: $line"
		[ "$(column "$line" PID)" = "$(env_value "$f" EPR_PID)" ]
		[ "$(column "$line" SUPERVISOR)" = "$(env_value "$f" EPR_SUPERVISOR_PID)" ]
		[ "$(column "$line" PORTS)" = "$(env_value "$f" EPR_PORT_LIST)" ]
		[[ $(column "$line" AGE) =~ ^[0-9]+s$|^[0-9]+m[0-9][0-9]s$ ]]
		[ "$(column "$line" COMMAND)" = "$(cut_command "${COMMANDS[i]}")" ]
		[ "$(column "$line" "ENV FILE")" = "$f" ]
	done
	# the long command was cut; the two-port launch shows both
	[[ $(column "${lines[3]}" COMMAND) == *... ]]
	[ "$(env_value "${FILES[2]}" EPR_PORT_LIST | tr , '\n' | wc -l)" -eq 2 ]
	# what the list says listens is what the kernel says listens in the namespace
	[ "$(ns_ports)" = "$(env_ports "${FILES[@]}")" ]
	[ "$(for i in 1 2 3; do column "${lines[i]}" PORTS | tr , '\n'; done | sort -un)" = "$(ns_ports)" ]
}

@test "epr list --json gives pid, supervisor_pid, ports, age, command, env_file, log and owner" {
	start_three
	run "$EPR_BIN" list --json
	[ "$status" -eq 0 ]
	python3 -c 'import json, sys
launches = json.loads(sys.stdin.buffer.read().decode("utf-8"))
files, commands = sys.argv[1:4], sys.argv[4:7]
assert isinstance(launches, list) and len(launches) == 3, launches
for got, path, command in zip(launches, files, commands):  # oldest first
    want = dict(line.rstrip("\n").split("=", 1) for line in open(path))
    assert sorted(got) == sorted(["pid", "supervisor_pid", "ports", "age", "command",
                                  "env_file", "log", "owner"]), got
    assert type(got["pid"]) is int and got["pid"] == int(want["EPR_PID"]), got
    assert type(got["supervisor_pid"]) is int, got
    assert got["supervisor_pid"] == int(want["EPR_SUPERVISOR_PID"]), got
    assert all(type(p) is int for p in got["ports"]), got
    assert got["ports"] == [int(p) for p in want["EPR_PORT_LIST"].split(",")], got
    assert type(got["age"]) is int and got["age"] >= 0, got
    assert got["command"] == command, got  # whole, not cut as in the columns
    assert got["env_file"] == path and got["log"] == want["EPR_LOG"], got
    assert got["owner"] is None, got' "${FILES[@]}" "${COMMANDS[@]}" <<<"$output"
}

@test "epr list --json escapes what a command line holds, and is valid UTF-8" {
	eval "$(ns "$EPR_BIN" start -- python3 "$LISTEN" 127.0.0.1 0 300 'say "hi"' 'back\slash' \
		$'tab\there' 'café' $'\xff')"
	run "$EPR_BIN" list --json
	[ "$status" -eq 0 ]
	python3 -c 'import json, sys
launches = json.loads(sys.stdin.buffer.read().decode("utf-8"))
# as sh would need it typed: quoted where needed; a control character as it is
want = "python3 %s 127.0.0.1 0 300 \x27say \"hi\"\x27 \x27back\\slash\x27 \x27tab\there\x27 caf\u00e9 \ufffd" % sys.argv[1]
assert len(launches) == 1 and launches[0]["command"] == want, (launches, want)' "$LISTEN" <<<"$output"
}

@test "with no launch, epr list prints nothing, --json prints [], and stop --all exits 0" {
	run "$EPR_BIN" list
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$EPR_BIN" list --json
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
	run "$EPR_BIN" stop --all
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "epr stop --all stops every launch: no process, no listener, no entry, no private directory" {
	start_three
	mapfile -t pids < <(launch_pids "${FILES[@]}")
	[ "${#pids[@]}" -ge 7 ] # three supervisors, three CMDs, and the listeners
	run "$EPR_BIN" stop --all
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	all_gone "${pids[@]}"
	run "$EPR_BIN" list
	[ -z "$output" ]
	run "$EPR_BIN" list --json
	[ "$output" = "[]" ]
}

@test "epr stop --all asks every launch to stop before it waits for any" {
	# each server, told to stop, waits (10 s at most) until all three were told: one at a
	# time, the first would give up waiting and no server would say "together"
	cat >"$BATS_TEST_TMPDIR/together.py" <<'PY'
import os, signal, socket, sys, time
d = sys.argv[1]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
def told(*_):
    open(os.path.join(d, "told.%d" % os.getpid()), "w").close()
    for _ in range(200):
        if sum(f.startswith("told.") for f in os.listdir(d)) == 3:
            open(os.path.join(d, "together.%d" % os.getpid()), "w").close()
            sys.exit(0)
        time.sleep(0.05)
    sys.exit(1)
signal.signal(signal.SIGTERM, told)
time.sleep(300)
PY
	mkdir "$BATS_TEST_TMPDIR/marks"
	for i in 1 2 3; do
		ns "$EPR_BIN" start -- python3 "$BATS_TEST_TMPDIR/together.py" "$BATS_TEST_TMPDIR/marks" >/dev/null
	done
	run "$EPR_BIN" stop --all -t 30
	[ "$status" -eq 0 ]
	[ "$(find "$BATS_TEST_TMPDIR/marks" -name 'together.*' | wc -l)" -eq 3 ]
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "a launch whose supervisor was killed is listed as gone, and stop --all stops what it left" {
	eval "$(ns "$EPR_BIN" start -p 8000 -- sh -c \
		'setsid python3 -m http.server 8000 --bind 127.0.0.1 >/dev/null 2>&1 </dev/null & exit 0')"
	daemon=$(ns ss -Hltnp "sport = :$EPR_PORT" | grep -o 'pid=[0-9]*' | cut -d= -f2 | head -n 1)
	[ -n "$daemon" ]
	kill -KILL "$EPR_SUPERVISOR_PID"
	for ((i = 0; i < 100; i++)); do alive "$EPR_SUPERVISOR_PID" || break; sleep 0.05; done
	run ! alive "$EPR_SUPERVISOR_PID"
	alive "$daemon"
	run "$EPR_BIN" list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	HEADER=${lines[0]}
	[ "$(column "${lines[1]}" PID)" = "$EPR_PID" ]
	[ "$(column "${lines[1]}" SUPERVISOR)" = gone ]
	[ "$(column "${lines[1]}" PORTS)" = "$EPR_PORT" ]
	[ "$(column "${lines[1]}" "ENV FILE")" = "$EPR_FILE" ]
	run "$EPR_BIN" list --json
	python3 -c 'import json, sys
[launch] = json.load(sys.stdin)
assert launch["supervisor_pid"] is None and launch["pid"] == int(sys.argv[1]), launch
assert launch["ports"] == [int(sys.argv[2])], launch' "$EPR_PID" "$EPR_PORT" <<<"$output"
	run "$EPR_BIN" stop --all
	[ "$status" -eq 0 ]
	[ "$output" = "epr: note: the supervisor of the launch of $EPR_FILE is gone; stopping the 1 process it left" ]
	all_gone "$daemon" "$EPR_PID"
}

@test "stop --all quietly removes what launches that are over left behind" {
	# the server dies: its supervisor ends, and the entry and private directory wait for a stop
	eval "$(ns "$EPR_BIN" start -- python3 "$LISTEN" 127.0.0.1 0 300)"
	kill -KILL "$EPR_PID"
	for ((i = 0; i < 100; i++)); do alive "$EPR_SUPERVISOR_PID" || break; sleep 0.05; done
	run ! alive "$EPR_SUPERVISOR_PID"
	[ -d "$EPR_TMPDIR" ]
	[ -n "$(ls -A "$EPR_RUNTIME_DIR")" ]
	run "$EPR_BIN" list
	[ -z "$output" ]
	run "$EPR_BIN" stop --all
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ ! -e "$EPR_TMPDIR" ]
	[ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "epr stop --all --owner PID stops only the launches of that owner" {
	"$EPR_BIN" start --help | grep -q -- --owner || skip "epr start has no --owner in this build yet"
	background sleep 300
	owner_a=$BG_PID
	background sleep 300
	owner_b=$BG_PID
	eval "$(ns "$EPR_BIN" start --owner "$owner_a" -- python3 "$LISTEN" 127.0.0.1 0 300)"
	file_a=$EPR_FILE
	eval "$(ns "$EPR_BIN" start --owner "$owner_b" -- python3 "$LISTEN" 127.0.0.1 0 300)"
	file_b=$EPR_FILE
	eval "$(ns "$EPR_BIN" start -- python3 "$LISTEN" 127.0.0.1 0 300)"
	file_c=$EPR_FILE
	run "$EPR_BIN" list --json
	python3 -c 'import json, sys
owners = [launch["owner"] for launch in json.load(sys.stdin)]
assert owners == [int(sys.argv[1]), int(sys.argv[2]), None], owners' "$owner_a" "$owner_b" <<<"$output"
	mapfile -t pids_a < <(launch_pids "$file_a")
	# read before the stops, which remove the env files
	sup_a=$(env_value "$file_a" EPR_SUPERVISOR_PID) pid_a=$(env_value "$file_a" EPR_PID)
	pid_b=$(env_value "$file_b" EPR_PID) pid_c=$(env_value "$file_c" EPR_PID)
	[ -n "$sup_a" ] && [ -n "$pid_a" ] && [ -n "$pid_b" ] && [ -n "$pid_c" ]
	run "$EPR_BIN" stop --all --owner "$owner_a"
	[ "$status" -eq 0 ]
	run ! alive "$sup_a"
	run ! alive "$pid_a"
	for f in "$file_b" "$file_c"; do alive "$(env_value "$f" EPR_SUPERVISOR_PID)"; alive "$(env_value "$f" EPR_PID)"; done
	# an owner with no launch stops nothing
	run "$EPR_BIN" stop --all --owner "$$"
	[ "$status" -eq 0 ]
	alive "$pid_b"
	run "$EPR_BIN" stop --all --owner "$owner_b"
	[ "$status" -eq 0 ]
	run ! alive "$pid_b"
	alive "$pid_c"
	mapfile -t pids < <(launch_pids "$file_c")
	run "$EPR_BIN" stop --all
	[ "$status" -eq 0 ]
	all_gone "${pids[@]}" "${pids_a[@]}"
}

@test "another user's launches are never listed or stopped, nor is their registry read" {
	[ "$(id -u)" -eq 0 ] || skip "needs root, to start a launch as nobody"
	# copies for nobody, who may not read the build directory
	other=$(mktemp -d /tmp/epr-list-other.XXXXXX)
	echo "$other" >"$BATS_TEST_TMPDIR/other.dir"
	cp "$EPR_BIN" "$LIBEPR" "$SERVER" "$other/"
	chown nobody:nogroup "$other"
	chmod 755 "$other"
	eval "$(as_other "$other" "$other/epr" start -e "$other/env" -- "$other/listen_server" -s 300 127.0.0.1:0)"
	theirs=$EPR_FILE their_pid=$EPR_PID their_supervisor=$EPR_SUPERVISOR_PID their_port=$EPR_PORT
	[ "$(stat -c %U "/proc/$their_supervisor")" = nobody ]
	eval "$(ns "$EPR_BIN" start -- python3 "$LISTEN" 127.0.0.1 0 300)"
	run "$EPR_BIN" list
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[1]} == "$EPR_PID "* ]]
	[[ $output != *"$theirs"* ]]
	# their registry is not the caller's: it is refused, not read
	EPR_RUNTIME_DIR=$other/run run "$EPR_BIN" list
	[ "$status" -eq 1 ]
	[[ $output == *"$other/run: not a directory of yours"* ]]
	EPR_RUNTIME_DIR=$other/run run "$EPR_BIN" stop --all
	[ "$status" -eq 1 ]
	run "$EPR_BIN" stop --all
	[ "$status" -eq 0 ]
	run ! alive "$EPR_PID"
	alive "$their_supervisor"
	alive "$their_pid"
	ns ss -Hltn "sport = :$their_port" | grep -q .
	run as_other "$other" "$other/epr" stop "$theirs"
	[ "$status" -eq 0 ]
	run ! alive "$their_pid"
}

@test "an entry whose supervisor runs as another user is neither listed nor stopped" {
	[ "$(id -u)" -eq 0 ] || skip "needs root, to run a process as nobody"
	background setpriv --reuid=nobody --regid=nogroup --clear-groups sleep 300
	theirs=$BG_PID
	for ((i = 0; i < 100; i++)); do [ "$(stat -c %U "/proc/$theirs")" = nobody ] && break; sleep 0.05; done
	[ "$(stat -c %U "/proc/$theirs")" = nobody ]
	# an entry in the caller's own registry that names it, start time and all
	start=$(sed 's/.*) //' "/proc/$theirs/stat" | cut -d' ' -f20)
	mkdir -p "$EPR_RUNTIME_DIR"
	chmod 700 "$EPR_RUNTIME_DIR"
	printf 'EPR_SUPERVISOR_PID=%s\nEPR_SUPERVISOR_START=%s\nEPR_PID=%s\nEPR_PID_START=%s\n' \
		"$theirs" "$start" "$theirs" "$start" >"$EPR_RUNTIME_DIR/$theirs.launch"
	run "$EPR_BIN" list
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$EPR_BIN" list --json
	[ "$output" = "[]" ]
	run "$EPR_BIN" stop --all
	[ "$status" -eq 0 ]
	alive "$theirs"
	run "$EPR_BIN" stop "$theirs"
	[ "$status" -eq 1 ]
	[[ $output == *"runs as another user"* ]]
	alive "$theirs"
	rm "$EPR_RUNTIME_DIR/$theirs.launch"
}

@test "usage errors of list and stop --all exit 2 and say what is wrong" {
	for args in "list extra" "list --bogus" "list -x" "stop --all $BATS_TEST_TMPDIR/env" \
		"stop --all 1234" "stop --owner 1234" "stop --owner 1234 $BATS_TEST_TMPDIR/env" \
		"stop --all --owner" "stop --all --owner abc" "stop --all --owner 0" "stop --all -t 0"; do
		# shellcheck disable=SC2086 # each string is split into its words on purpose
		run "$EPR_BIN" $args
		echo "epr $args: $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 2 ]
		[[ ${lines[0]} == "epr: "* ]]
		[[ ${lines[1]} == "Try 'epr "*" --help'." ]]
	done
	run "$EPR_BIN" stop --owner 1234
	[[ $output == *"--owner narrows --all"* ]]
	run "$EPR_BIN" stop --all 1234
	[[ $output == *"'1234' cannot be given with it"* ]]
	run "$EPR_BIN" list --help
	[ "$status" -eq 0 ]
	[[ $output == "Usage: epr list [--json]"* ]]
	run "$EPR_BIN" stop --help
	[[ $output == *"epr stop --all [--owner PID] [-t SECONDS]"* ]]
}

# Runs the rest of the line as nobody in the test's namespace, with $1 as its registry's home.
as_other() {
	local dir=$1
	shift
	ns setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env EPR_RUNTIME_DIR="$dir/run" TMPDIR="$dir" "$@"
}

other_teardown() {
	as_other "$1" "$1/epr" stop --all -t 2 >/dev/null 2>&1 3>&- || true
	kill_by_env_file_dir "$1"
	rm -rf "$1"
}
