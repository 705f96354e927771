#!/usr/bin/env bats
# epr as an unprivileged user: nobody reserves, runs and starts servers (a shimmed one, redis,
# a static one behind a wrapper), where no cgroup is writable, so the subreaper path holds the
# tree; and a second user (uid 65533) can neither stop nobody's launch, nor see it, nor
# receive its sockets. The suite runs as root: each test makes a private network namespace,
# runs epr in it through setpriv, and checks from outside as root (a client, ss, /proc).

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	# nobody must reach the build and the test programs. A build under a directory it may
	# not enter (a home of 0700, say) is copied to where it may; /work is open to all.
	if ! setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c \
		'[ -x "$1" ] && [ -r "$2" ] && [ -x "$3" ] && [ -r "$4" ]' sh \
		"$EPR_BIN" "$LIBEPR" "$EPR_BUILD/tests/static_server" "$TESTS/progs/victim.py"; then
		BUILD_COPY=$(mktemp -d /tmp/epr-unpriv-build.XXXXXX)
		cp "$EPR_BIN" "$LIBEPR" "$BUILD_COPY/"
		cp -r "$EPR_BUILD/tests" "$BUILD_COPY/tests"
		cp -r "$TESTS/progs" "$BUILD_COPY/progs"
		chmod -R a+rX "$BUILD_COPY"
		echo "$BUILD_COPY" >"$BATS_FILE_TMPDIR/build.copy"
	fi
}

teardown_file() {
	[ ! -f "$BATS_FILE_TMPDIR/build.copy" ] || rm -rf "$(cat "$BATS_FILE_TMPDIR/build.copy")"
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root, to run epr as nobody and as uid 65533"
	if [ -f "$BATS_FILE_TMPDIR/build.copy" ]; then
		local copy
		copy=$(cat "$BATS_FILE_TMPDIR/build.copy")
		EPR_BIN=$copy/epr LIBEPR=$copy/libepr.so PROGS=$copy/tests PYPROGS=$copy/progs
	else
		PROGS=$EPR_BUILD/tests PYPROGS=$TESTS/progs
	fi
	# Each user's home, TMPDIR and XDG_RUNTIME_DIR, under a directory that bats' own
	# (0700) is not: nobody and 65533 must reach theirs.
	U=$(mktemp -d /tmp/epr-unpriv.XXXXXX)
	echo "$U" >"$BATS_TEST_TMPDIR/u.dir"
	chmod 755 "$U"
	local who
	for who in nobody:65534:65534 other:65533:65533; do
		mkdir -m 700 "$U/${who%%:*}" "$U/${who%%:*}/tmp" "$U/${who%%:*}/xdg"
		chown -R "${who#*:}" "$U/${who%%:*}"
	done
	cat >"$U/as_nobody" <<SH
#!/bin/sh
exec setpriv --reuid=nobody --regid=nogroup --clear-groups env -u EPR_RUNTIME_DIR -u EPR_CGROUP \\
	PATH=/usr/bin:/bin HOME="$U/nobody" TMPDIR="$U/nobody/tmp" XDG_RUNTIME_DIR="$U/nobody/xdg" "\$@"
SH
	sed 's/--reuid=nobody --regid=nogroup/--reuid=65533 --regid=65533/; s|/nobody|/other|g' \
		"$U/as_nobody" >"$U/as_other"
	chmod 755 "$U/as_nobody" "$U/as_other"
	export U EPR_BIN LIBEPR PROGS PYPROGS
	export -f pids_with_env # for left_of, in the scripts
}

teardown() {
	local u pid
	[ -f "$BATS_TEST_TMPDIR/u.dir" ] || return 0
	u=$(cat "$BATS_TEST_TMPDIR/u.dir")
	# what a failed test left: every process whose HOME is one of this test's users'
	for pid in $(pids_with_env -x -e "HOME=$u/nobody" -e "HOME=$u/other"); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	kill_by_env_file_dir "$u"
	rm -rf "$u"
}

# Runs the bash script on stdin as root in a fresh network namespace with loopback up, after
# the functions below. The test's status is the script's; its output is shown on failure.
ns_script() {
	{
		cat <<'PRELUDE'
set -e
# nobody, and a second user, each with a home, TMPDIR and XDG_RUNTIME_DIR of its own; no
# EPR_RUNTIME_DIR and no EPR_CGROUP: epr finds its registry and its containment itself.
# They are scripts that exec, so that "$U/as_nobody" CMD & leaves CMD's pid in $!.
as_nobody() { "$U/as_nobody" "$@"; }
as_other() { "$U/as_other" "$@"; }
running() { local s; s=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ -n "$s" ] && [ "$s" != Z ]; }
# A TCP client gets in on 127.0.0.1:$1.
answers() {
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()' "$1"
}
# Something listens on port $1, and nothing on the sentinel $2; the listener is nobody's.
rewritten() {
	[ -n "$1" ] && [ "$1" != "$2" ]
	ss -Hltne "sport = :$1" | grep -q 'uid:65534 '
	if ss -Hltn "sport = :$2" | grep -q .; then echo "the sentinel $2 listens"; return 1; fi
}
# The running processes whose HOME is $1: what that user of this test started.
left_of() {
	local p
	for p in $(pids_with_env -x -e "HOME=$1"); do
		if running "$p"; then echo "$p"; fi
	done
}
# Nothing of nobody's is left: no process (within ~5 s), no registry entry, no private directory.
nothing_left() {
	local i left
	for ((i = 0; i < 50; i++)); do
		left=$(left_of "$U/nobody")
		[ -z "$left" ] && break
		sleep 0.1
	done
	if [ -n "$left" ]; then
		echo "left running:"
		ps -o pid,user,stat,cmd -p "$(paste -sd, <<<"$left")"
		return 1
	fi
	if [ -n "$(ls -A "$U/nobody/xdg/epr" 2>/dev/null)" ]; then echo "left in the registry:"; ls -l "$U/nobody/xdg/epr"; return 1; fi
	if [ -n "$(ls -A "$U/nobody/tmp")" ]; then echo "left in TMPDIR:"; ls -lR "$U/nobody/tmp"; return 1; fi
}
PRELUDE
		cat
	} >"$U/t.sh"
	run unshare -n bash -c 'ip link set lo up && exec bash "$0"' "$U/t.sh"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "epr reserve as nobody prints ports that a plain bind cannot take and SO_REUSEADDR can" {
	ns_script <<'SH'
port=$(as_nobody "$EPR_BIN" reserve)
echo "reserved $port"
[[ $port =~ ^[0-9]+$ ]]
as_nobody python3 - "$port" <<'PY'
import errno, socket, sys
port = int(sys.argv[1])
try:
    socket.socket().bind(("127.0.0.1", port))
    sys.exit("a plain bind of %d succeeded" % port)
except OSError as e:
    assert e.errno == errno.EADDRINUSE, e
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen()
PY
three=$(as_nobody "$EPR_BIN" reserve -n 3)
echo "reserved $three"
[ "$(sort -u <<<"$three" | grep -c '^[0-9][0-9]*$')" -eq 3 ]
nothing_left
SH
}

@test "epr run as nobody: a shimmed server's sentinel is rewritten, a client gets in, nothing is left" {
	ns_script <<'SH'
"$U/as_nobody" "$EPR_BIN" run --real-ports -v -p 7000 -- "$PROGS/listen_server" -s 120 127.0.0.1:7000 >"$U/out" 2>"$U/err" &
launch=$!
for ((i = 0; i < 100; i++)); do grep -qs '^LISTEN' "$U/out" && break; sleep 0.1; done
cat "$U/out" "$U/err"
port=$(awk '$1 == "LISTEN" { print $3 }' "$U/out")
rewritten "$port" 7000
answers "$port"
grep -q "bind 127.0.0.1:7000 -> $port" "$U/err"
kill -TERM "$launch"
wait "$launch" || true
nothing_left
if ss -Hltn | grep -q .; then echo "something still listens"; exit 1; fi
SH
}

@test "epr start as nobody: redis-server told --port 6379 answers PING on EPR_PORT, and stops whole" {
	command -v redis-server >/dev/null && command -v redis-cli >/dev/null || skip "no redis-server"
	ns_script <<'SH'
out=$(as_nobody "$EPR_BIN" start -p 6379 -- redis-server --port 6379 --bind 127.0.0.1 \
	--save '' --appendonly no --dir "$U/nobody")
eval "$out"
rewritten "$EPR_PORT" 6379
[ "$(redis-cli -p "$EPR_PORT" ping)" = PONG ]
as_nobody "$EPR_BIN" stop "$EPR_FILE"
nothing_left
SH
}

@test "epr start -v as nobody says the subreaper path is used, and epr stop leaves nothing, workers included" {
	ns_script <<'SH'
out=$(as_nobody "$EPR_BIN" start -v -p 7000 -- "$PROGS/listen_server" -f 2 -s 300 \
	127.0.0.1:7000 127.0.0.1:0 2>"$U/err")
cat "$U/err"
eval "$out"
grep -q "^epr: .*/listen_server: no writable cgroup v2 (.*): child subreaper" "$U/err"
if grep -q "cgroup is" "$U/err"; then exit 1; fi
rewritten "$EPR_PORT" 7000
answers "$EPR_PORT"
# the supervisor, the server and its two workers
for ((i = 0; i < 100; i++)); do [ "$(left_of "$U/nobody" | wc -l)" -ge 4 ] && break; sleep 0.1; done
ps -o pid,ppid,user,cmd -p "$(left_of "$U/nobody" | paste -sd,)"
[ "$(left_of "$U/nobody" | wc -l)" -ge 4 ]
as_nobody "$EPR_BIN" stop "$EPR_FILE"
nothing_left
if ss -Hltn | grep -q .; then echo "something still listens"; ss -Hltnp; exit 1; fi
SH
}

@test "as nobody, a static server started through sh -c 'exec ...' is caught by seccomp and rewritten" {
	ns_script <<'SH'
out=$(as_nobody "$EPR_BIN" start -t 20 -p 7000 -- sh -c 'exec "$0" "$@"' \
	"$PROGS/static_server" -t 120 127.0.0.1 7000)
eval "$out"
cat "$EPR_LOG"
rewritten "$EPR_PORT" 7000
[ "$(echo hi | timeout 10 socat -t2 - "TCP:127.0.0.1:$EPR_PORT")" = "hello from $EPR_PORT" ]
as_nobody "$EPR_BIN" stop "$EPR_FILE"
nothing_left
SH
}

@test "as nobody, --owner ends the launch when the owner exits: nothing is left" {
	ns_script <<'SH'
"$U/as_nobody" sleep 300 &
owner=$!
out=$(as_nobody "$EPR_BIN" start --owner "$owner" -- "$PROGS/listen_server" -s 300 127.0.0.1:0)
eval "$out"
answers "$EPR_PORT"
kill "$owner"
wait "$owner" || true
for ((i = 0; i < 100; i++)); do
	running "$EPR_PID" || running "$EPR_SUPERVISOR_PID" || break
	sleep 0.1
done
if running "$EPR_PID"; then echo "the server $EPR_PID runs on"; exit 1; fi
if answers "$EPR_PORT" 2>/dev/null; then echo "port $EPR_PORT still answers"; exit 1; fi
nothing_left
SH
}

@test "epr list as nobody shows nobody's launch only, and no one else's list shows it" {
	ns_script <<'SH'
out=$(as_nobody "$EPR_BIN" start -- "$PROGS/listen_server" -s 300 127.0.0.1:0)
eval "$out"
mine=$EPR_PID minefile=$EPR_FILE
# root's launch, in a registry of this test's
mkdir -m 700 "$U/root" "$U/root/run"
out=$(EPR_RUNTIME_DIR=$U/root/run TMPDIR=$U/root "$EPR_BIN" start -- "$PROGS/listen_server" -s 300 127.0.0.1:0)
eval "$out"
roots=$EPR_PID rootfile=$EPR_FILE
pids() { python3 -c 'import json, sys; print(" ".join(str(l["pid"]) for l in json.load(sys.stdin)))'; }
[ "$(as_nobody "$EPR_BIN" list --json | pids)" = "$mine" ]
as_nobody "$EPR_BIN" list | grep -q "^$mine "
[ "$(EPR_RUNTIME_DIR=$U/root/run "$EPR_BIN" list --json | pids)" = "$roots" ]
# the second user has none, and may not read nobody's registry in its stead
[ -z "$(as_other "$EPR_BIN" list)" ]
[ "$(as_other "$EPR_BIN" list --json)" = "[]" ]
if as_other env EPR_RUNTIME_DIR="$U/nobody/xdg/epr" "$EPR_BIN" list 2>"$U/err"; then exit 1; fi
cat "$U/err"
grep -q "^epr: $U/nobody/xdg/epr: " "$U/err"
as_nobody "$EPR_BIN" stop "$minefile"
EPR_RUNTIME_DIR=$U/root/run "$EPR_BIN" stop "$rootfile"
nothing_left
SH
}

@test "another user can neither stop nobody's launch nor receive its sockets, live or after its supervisor died" {
	ns_script <<'SH'
# the env file in a directory of nobody's that others may read
mkdir -m 755 "$U/pub"
chown nobody:nogroup "$U/pub"
out=$(as_nobody TRIGGER="$U/trigger" "$EPR_BIN" start -t 10 -e "$U/pub/victim.env" -- \
	setpriv --pdeathsig clear python3 "$PYPROGS/victim.py")
eval "$out"
as_nobody chmod 644 "$EPR_FILE"
as_other cat "$EPR_FILE" >/dev/null
answers "$EPR_PORT"
# stop: by either pid, by the env file, or all of its own (none)
for what in "$EPR_PID" "$EPR_SUPERVISOR_PID" "$EPR_FILE"; do
	rc=0
	as_other "$EPR_BIN" stop -t 1 "$what" 2>"$U/err" || rc=$?
	cat "$U/err"
	[ "$rc" -eq 1 ] && [ "$(grep -c '^epr: ' "$U/err")" -eq 1 ]
done
as_other "$EPR_BIN" stop --all -t 1
running "$EPR_PID"
answers "$EPR_PORT"
# a forged bind request to the live supervisor: no answer, its socket left as it was
name=$(awk "/@epr-$EPR_SUPERVISOR_PID-/ { print substr(\$NF, 2); exit }" /proc/net/unix)
[ -n "$name" ]
as_other python3 "$PYPROGS/forged_bind.py" "$name" 7000 | tee "$U/forged"
grep -q "its socket's port: 0$" "$U/forged"
if grep -q "reply b'.\+'" "$U/forged"; then exit 1; fi
# the name of a killed supervisor, taken by 65533: the server's next bind fails closed
"$U/as_other" python3 "$PYPROGS/takeover.py" "$name" >"$U/takeover" 2>&1 &
taker=$!
sleep 0.5
kill -KILL "$EPR_SUPERVISOR_PID"
for ((i = 0; i < 50; i++)); do grep -qs "holds the name" "$U/takeover" && break; sleep 0.1; done
touch "$U/trigger"
wait "$taker" || true
cat "$U/takeover" "$EPR_LOG"
grep -q "holds the name" "$U/takeover"
if grep -q "got a socket" "$U/takeover"; then exit 1; fi
grep -q "libepr: python3\[$EPR_PID\]: error: the socket of this launch's epr supervisor (pid $EPR_SUPERVISOR_PID, uid 65534) is held by pid [0-9]*, uid 65533" "$EPR_LOG"
grep -q "victim: bind/listen failed" "$EPR_LOG"
# what the dead supervisor left is still nobody's to stop, not 65533's
for what in "$EPR_PID" "$EPR_FILE"; do
	rc=0
	as_other "$EPR_BIN" stop -t 1 "$what" 2>"$U/err" || rc=$?
	cat "$U/err"
	[ "$rc" -eq 1 ] && [ "$(grep -c '^epr: ' "$U/err")" -eq 1 ]
done
running "$EPR_PID"
as_nobody "$EPR_BIN" stop -t 2 "$EPR_FILE"
nothing_left
SH
}

@test "epr exec as nobody reaches nobody's launch; another user can neither exec in it nor ask its supervisor" {
	ns_script <<'SH'
mkdir -m 755 "$U/pub"
chown nobody:nogroup "$U/pub"
out=$(as_nobody "$EPR_BIN" start -p 7000 -e "$U/pub/l.env" -- "$PROGS/listen_server" -s 300 127.0.0.1:7000)
eval "$out"
as_nobody chmod 644 "$EPR_FILE"
# nobody's own client, outside the tree (the subreaper path: not a descendant of the supervisor)
[ "$(as_nobody "$EPR_BIN" exec "$EPR_FILE" -- sh -c 'echo "$EPR_CLIENT $EPR_PORTS"')" = "1 7000" ]
[ "$(as_nobody "$EPR_BIN" exec "$EPR_PID" -- id -u)" = 65534 ]
# the second user: by the env file or either pid, one line and 1
for what in "$EPR_FILE" "$EPR_PID" "$EPR_SUPERVISOR_PID"; do
	rc=0
	as_other "$EPR_BIN" exec "$what" -- true 2>"$U/err" || rc=$?
	cat "$U/err"
	[ "$rc" -eq 1 ] && [ "$(grep -c '^epr: ' "$U/err")" -eq 1 ]
done
# and its request to the supervisor's socket gets nothing, where nobody's gets an answer
name=$(awk "/@epr-$EPR_SUPERVISOR_PID-/ { print substr(\$NF, 2); exit }" /proc/net/unix)
[ -n "$name" ]
as_other python3 "$PYPROGS/client_request.py" "$name" connect 7000 | tee "$U/asked"
grep -q "uid 65533: no reply" "$U/asked"
as_nobody python3 "$PYPROGS/client_request.py" "$name" connect 7000 | tee "$U/asked"
grep -qx "uid 65534: reply 0 $EPR_PORT" "$U/asked"
as_nobody "$EPR_BIN" stop "$EPR_FILE"
nothing_left
SH
}
