#!/usr/bin/env bats
# epr exec LAUNCH -- CMD: a client run inside a running launch's port space. CMD finds the
# launch by its env file or its pids, gets the launch's channel and sentinels, and is epr's
# own process once epr is gone; it is not part of the server (not in its tree or cgroup, a
# stop neither waits for it nor kills it), and its own binds are its own. Real clients
# (redis-cli, psql, and etcdctl, a Go client under seccomp) reach the launch's servers
# through the sentinel. Every case runs in a private network namespace.

load helpers
bats_require_minimum_version 1.5.0

PROGS=$TESTS/progs

setup() {
	launch_setup
}

teardown() {
	launch_teardown
	[ ! -d "${SRV:-}" ] || rm -rf "$SRV"
}

# Runs the bash script on stdin in a fresh network namespace with loopback up, with
# D (the test's directory), PROGS, and the test programs' build in PROGS_BIN; its output is
# shown on failure.
ns_script() {
	{
		echo 'set -e'
		# The launch of one listen_server told 127.0.0.1:S for each sentinel S given.
		cat <<'SH'
start_listen() {
	local spec=() addrs=()
	for p in "$@"; do spec+=(-p "$p"); addrs+=("127.0.0.1:$p"); done
	eval "$("$EPR_BIN" start "${spec[@]}" -e "$D/env" -- "$PROGS_BIN/listen_server" -s 300 "${addrs[@]}")"
}
running() { local s; s=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ -n "$s" ] && [ "$s" != Z ]; }
SH
		cat
	} >"$BATS_TEST_TMPDIR/t.sh"
	run env D="$BATS_TEST_TMPDIR" PROGS="$PROGS" PROGS_BIN="$EPR_BUILD/tests" \
		unshare -n bash -c 'ip link set lo up && exec bash "$0"' "$BATS_TEST_TMPDIR/t.sh"
	echo "$output"
	[ "$status" -eq 0 ]
}

# What only the shim in client mode (EPR_CLIENT: connects redirected, binds left alone) does.
needs_client_shim() {
	grep -qa EPR_CLIENT "$LIBEPR" || skip "needs libepr.so's client mode (EPR_CLIENT), issue 19's shim side"
}

@test "epr exec ENVFILE gives CMD the launch's socket, its sentinels and client mode, and no env file" {
	ns_script <<'SH'
start_listen 7000 7001
"$EPR_BIN" exec "$EPR_FILE" -- env >"$D/env.seen"
cat "$D/env.seen"
socket=$(awk "/@epr-$EPR_SUPERVISOR_PID-/ { print substr(\$NF, 2); exit }" /proc/net/unix)
[ -n "$socket" ]
grep -qx "EPR_SUPERVISOR_SOCKET=$socket" "$D/env.seen"
grep -qx "EPR_PORTS=7000,7001" "$D/env.seen"
grep -qx "EPR_CLIENT=1" "$D/env.seen"
grep -qx "LD_PRELOAD=$LIBEPR" "$D/env.seen"
# the env file is the supervisor's alone to write
EPR_ENV_FILE=$D/other "$EPR_BIN" exec "$EPR_FILE" -- env >"$D/env.seen"
if grep -q "^EPR_ENV_FILE=" "$D/env.seen"; then exit 1; fi
if grep -q "^EPR_REAL_PORTS=\|^EPR_DEBUG=" "$D/env.seen"; then exit 1; fi
# --real-ports and -v set what the shim reads; -v says how CMD is reached
"$EPR_BIN" exec -v --real-ports "$EPR_FILE" -- env 2>"$D/err" >"$D/env.seen"
cat "$D/err"
grep -qx "EPR_REAL_PORTS=1" "$D/env.seen"
grep -qx "EPR_DEBUG=1" "$D/env.seen"
grep -q "^epr: the launch of $EPR_FILE: supervisor $EPR_SUPERVISOR_PID, sentinels 7000,7001$" "$D/err"
grep -q "^epr: env: its connects are redirected by libepr.so (preload)$" "$D/err"
# an LD_PRELOAD of the caller's stays, after the shim
LD_PRELOAD=libm.so.6 "$EPR_BIN" exec "$EPR_FILE" -- env >"$D/env.seen"
grep -qx "LD_PRELOAD=$LIBEPR:libm.so.6" "$D/env.seen"
"$EPR_BIN" stop "$EPR_FILE"
SH
}

@test "epr exec EPR_PID and EPR_SUPERVISOR_PID name the same launch as its env file" {
	ns_script <<'SH'
start_listen 7000
want=$("$EPR_BIN" exec "$EPR_FILE" -- printenv EPR_SUPERVISOR_SOCKET)
[ -n "$want" ]
[ "$("$EPR_BIN" exec "$EPR_PID" -- printenv EPR_SUPERVISOR_SOCKET)" = "$want" ]
[ "$("$EPR_BIN" exec "$EPR_SUPERVISOR_PID" -- printenv EPR_SUPERVISOR_SOCKET)" = "$want" ]
# a launch of epr run, without an env file, by its pid
"$EPR_BIN" run -p 7100 -- "$PROGS_BIN/listen_server" -s 300 127.0.0.1:7100 >"$D/run.out" &
runner=$!
for i in $(seq 100); do grep -qs '^LISTEN' "$D/run.out" && break; sleep 0.1; done
[ "$("$EPR_BIN" exec "$runner" -- printenv EPR_PORTS)" = 7100 ]
kill -TERM "$runner"
wait "$runner" || true
"$EPR_BIN" stop "$EPR_FILE"
SH
}

@test "epr exec becomes CMD: CMD has its pid and program, and its exit status is epr exec's" {
	ns_script <<'SH'
start_listen 7000
"$EPR_BIN" exec "$EPR_FILE" -- sh -c 'echo "$$ $(readlink /proc/$$/exe)"' >"$D/seen" &
pid=$!
wait "$pid"
cat "$D/seen"
[ "$(cat "$D/seen")" = "$pid $(readlink -f /bin/sh)" ]
rc=0; "$EPR_BIN" exec "$EPR_FILE" -- sh -c 'exit 3' || rc=$?
[ "$rc" -eq 3 ]
rc=0; "$EPR_BIN" exec "$EPR_FILE" -- sh -c 'kill -KILL $$' || rc=$?
[ "$rc" -eq 137 ]
# and no descriptor of epr's is left to CMD: it has the caller's, no more
fds='for f in /proc/$$/fd/*; do t=$(readlink "$f"); echo "${f##*/} ${t%%\[*}"; done'
mine=$(sh -c "$fds")
theirs=$("$EPR_BIN" exec "$EPR_FILE" -- sh -c "$fds")
echo "fds: caller's $mine; CMD's $theirs"
[ "$theirs" = "$mine" ]
"$EPR_BIN" stop "$EPR_FILE"
SH
}

@test "CMD is not part of the server: outside its cgroup, and its exit ends nothing" {
	ns_script <<'SH'
start_listen 7000
cgroup=$(sed -n 's/^EPR_CGROUP=//p' "$EPR_RUNTIME_DIR/$EPR_SUPERVISOR_PID.launch")
"$EPR_BIN" exec "$EPR_FILE" -- sh -c 'cat /proc/$$/cgroup; echo "pid $$"' >"$D/seen"
cat "$D/seen"
pid=$(sed -n 's/^pid //p' "$D/seen")
if [ -n "$cgroup" ]; then
	# not in the launch's cgroup, nor below it
	if grep -q "^0::${cgroup#/sys/fs/cgroup*/}\(/\|$\)" "$D/seen" ||
		grep -q ":/$(basename "$cgroup")\(/\|$\)" "$D/seen"; then exit 1; fi
fi
"$EPR_BIN" exec "$EPR_FILE" -- true
# the launch runs on, and is listed as before
running "$EPR_PID"
running "$EPR_SUPERVISOR_PID"
"$EPR_BIN" list | grep -q "^$EPR_PID "
"$EPR_BIN" stop "$EPR_FILE"
SH
}

@test "epr stop neither waits for nor kills a CMD that epr exec runs in the launch" {
	ns_script <<'SH'
start_listen 7000
"$EPR_BIN" exec "$EPR_FILE" -- sleep 300 &
client=$!
for i in $(seq 100); do [ "$(readlink "/proc/$client/exe")" != "$(readlink -f "$EPR_BIN")" ] && break; sleep 0.1; done
running "$client"
# a stop with a grace longer than the test: it returns once the server alone is gone
"$EPR_BIN" stop -t 600 "$EPR_FILE"
if running "$EPR_PID"; then echo "the server runs on"; exit 1; fi
if running "$EPR_SUPERVISOR_PID"; then echo "the supervisor runs on"; exit 1; fi
running "$client"
kill "$client"
wait "$client" || true
SH
}

@test "a static CMD gets epr's seccomp filter from epr exec, and its bind of a sentinel is its own" {
	ns_script <<'SH'
start_listen 7000
"$EPR_BIN" exec -v "$EPR_FILE" -- "$PROGS_BIN/static_server" -t 1 127.0.0.1 7000 >"$D/out" 2>"$D/err"
cat "$D/out" "$D/err"
grep -q "static_server: its connects are redirected by seccomp user notification (statically linked)" "$D/err"
# the real port 7000, as without epr; the launch's own 7000 is elsewhere, and stays
grep -qx "LISTEN 127.0.0.1 7000" "$D/out"
[ "$(sed -n 's/^EPR_PORT_7000=//p' "$EPR_FILE")" = "$EPR_PORT" ]
[ "$EPR_PORT" != 7000 ]
# the listener it sent is under a notifier of its own, not the tree's: the launch is ready still
ss -Hltn "sport = :$EPR_PORT" | grep -q .
"$EPR_BIN" stop "$EPR_FILE"
SH
}

@test "a static program that a shimmed CMD execs is the client's too: its bind of a sentinel is its own" {
	ns_script <<'SH'
start_listen 7000
# sh gets the shim, whose exec hook hands the static program's filter to the supervisor
"$EPR_BIN" exec "$EPR_FILE" -- sh -c 'exec "$0" -t 1 127.0.0.1 7000' "$PROGS_BIN/static_server" >"$D/out"
cat "$D/out"
grep -qx "LISTEN 127.0.0.1 7000" "$D/out"
[ "$(sed -n 's/^EPR_PORT_7000=//p' "$EPR_FILE")" = "$EPR_PORT" ]
"$EPR_BIN" stop "$EPR_FILE"
SH
}

@test "a shimmed CMD's bind of a sentinel is its own, and the launch keeps its port" {
	needs_client_shim
	ns_script <<'SH'
start_listen 7000
"$EPR_BIN" exec "$EPR_FILE" -- "$PROGS_BIN/listen_server" 127.0.0.1:7000 >"$D/out"
cat "$D/out"
grep -qx "LISTEN 127.0.0.1:7000 7000" "$D/out"
[ "$(sed -n 's/^EPR_PORT_7000=//p' "$EPR_FILE")" = "$EPR_PORT" ]
"$EPR_BIN" stop "$EPR_FILE"
SH
}

@test "errors: a LAUNCH that names no running launch of yours is one epr: line and 1" {
	ns_script <<'SH'
expect() { # STATUS PATTERN -- epr exec ARGS...
	local want=$1 pattern=$2 rc=0
	shift 3
	"$EPR_BIN" exec "$@" 2>"$D/err" >/dev/null || rc=$?
	cat "$D/err"
	[ "$rc" -eq "$want" ] || { echo "status $rc, not $want"; return 1; }
	[ "$(grep -c '^epr: ' "$D/err")" -eq 1 ] && grep -q "^epr: $pattern" "$D/err"
}
start_listen 7000
expect 1 "$$: not a running launch of epr's" -- "$$" -- true
expect 1 "$D/gone is gone: its launch is not running" -- "$D/gone" -- true
echo 'X=1' >"$D/notenv"
expect 1 "$D/notenv has no EPR_SUPERVISOR_PID" -- "$D/notenv" -- true
# another user's file names no launch of the caller's
cp "$EPR_FILE" "$D/theirs"
chown 65534 "$D/theirs"
expect 1 "$D/theirs belongs to another user" -- "$D/theirs" -- true
# usage
expect 2 "no ENVFILE or PID to run in" --
expect 2 "no CMD to run" -- "$EPR_FILE"
expect 2 "no CMD to run" -- "$EPR_FILE" --
expect 2 "'' is neither an env file nor a process id" -- "" -- true
expect 2 "" -- --bogus "$EPR_FILE" -- true
"$EPR_BIN" stop "$EPR_FILE"
# a stopped launch, by its file and its pid
expect 1 "$EPR_FILE is gone: its launch is not running" -- "$EPR_FILE" -- true
expect 1 "$EPR_PID: not a running launch of epr's" -- "$EPR_PID" -- true
SH
}

@test "errors: CMD not found is 127, not executable 126, a foreign program refused with 126" {
	ns_script <<'SH'
start_listen 7000
rc=0; "$EPR_BIN" exec "$EPR_FILE" -- no-such-command-here 2>"$D/err" || rc=$?
cat "$D/err"
[ "$rc" -eq 127 ] && grep -qx "epr: no-such-command-here: No such file or directory" "$D/err"
printf '#!/bin/sh\n' >"$D/noexec"
rc=0; "$EPR_BIN" exec "$EPR_FILE" -- "$D/noexec" 2>"$D/err" || rc=$?
cat "$D/err"
[ "$rc" -eq 126 ] && grep -qx "epr: $D/noexec: Permission denied" "$D/err"
# a static i386 program: its ELF header and one segment
python3 - "$D/tiny32" <<'PY'
import struct, sys
code = bytes.fromhex("b801000000bb00000000cd80")
base, hdr = 0x08048000, 52 + 32
ehdr = b"\x7fELF\x01\x01\x01" + bytes(9) + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, base + hdr,
       52, 0, 0, 52, 32, 1, 0, 0, 0)
phdr = struct.pack("<IIIIIIII", 1, 0, base, base, hdr + len(code), hdr + len(code), 5, 0x1000)
open(sys.argv[1], "wb").write(ehdr + phdr + code)
PY
chmod 755 "$D/tiny32"
rc=0; "$EPR_BIN" exec "$EPR_FILE" -- "$D/tiny32" 2>"$D/err" || rc=$?
cat "$D/err"
[ "$rc" -eq 126 ] && [ "$(wc -l <"$D/err")" -eq 1 ]
grep -q "^epr: $D/tiny32: refused: it is a 32-bit i386 program" "$D/err"
"$EPR_BIN" stop "$EPR_FILE"
SH
}

@test "errors: a launch whose supervisor was killed is not running: one line and 1" {
	ns_script <<'SH'
start_listen 7000
kill -KILL "$EPR_SUPERVISOR_PID"
for i in $(seq 100); do running "$EPR_SUPERVISOR_PID" || break; sleep 0.1; done
for what in "$EPR_FILE" "$EPR_PID"; do
	rc=0; "$EPR_BIN" exec "$what" -- true 2>"$D/err" || rc=$?
	cat "$D/err"
	[ "$rc" -eq 1 ] && [ "$(wc -l <"$D/err")" -eq 1 ]
	grep -q "^epr: .*not \(a \)\?running" "$D/err"
done
"$EPR_BIN" stop -t 2 "$EPR_FILE" 2>/dev/null || true
SH
}

@test "errors: a launch that is stopping takes no client: one line and 1" {
	ns_script <<'SH'
# a server that ignores SIGTERM keeps its launch stopping for the whole grace
eval "$("$EPR_BIN" start -e "$D/env" -- python3 "$PROGS/cli_stubborn.py")"
"$EPR_BIN" stop -t 30 "$EPR_FILE" 2>/dev/null &
stopper=$!
said=
for i in $(seq 100); do
	rc=0; "$EPR_BIN" exec "$EPR_FILE" -- true 2>"$D/err" || rc=$?
	if grep -q "is stopping" "$D/err"; then said=$rc; break; fi
	sleep 0.1
done
cat "$D/err"
[ "$said" = 1 ] && [ "$(wc -l <"$D/err")" -eq 1 ]
grep -qx "epr: the launch of $EPR_FILE is stopping" "$D/err"
kill -KILL "$EPR_PID"
wait "$stopper" || true
SH
}

# The clients below need the shim's connect redirect (libepr.so's client mode), and the Go
# one the seccomp notifier's: each connects to the sentinel itself.

@test "redis-cli -p 6379 through epr exec reaches its own launch's redis, 4 launches side by side" {
	needs_client_shim
	command -v redis-server >/dev/null && command -v redis-cli >/dev/null || skip "no redis-server"
	ns_script <<'SH'
starts=()
for i in 1 2 3 4; do
	mkdir "$D/r$i"
	"$EPR_BIN" start -p 6379 -e "$D/r$i/env" -- redis-server --port 6379 --bind 127.0.0.1 \
		--save '' --appendonly no --dir "$D/r$i" >/dev/null &
	starts+=($!)
done
for p in "${starts[@]}"; do wait "$p"; done
for i in 1 2 3 4; do
	[ "$("$EPR_BIN" exec "$D/r$i/env" -- redis-cli -p 6379 ping)" = PONG ]
	[ "$("$EPR_BIN" exec "$D/r$i/env" -- redis-cli -p 6379 set who "$i")" = OK ]
done
for i in 1 2 3 4; do
	[ "$("$EPR_BIN" exec "$D/r$i/env" -- redis-cli -p 6379 get who)" = "$i" ]
	# each is the instance on its launch's port
	[ "$(redis-cli -p "$(sed -n 's/^EPR_PORT_6379=//p' "$D/r$i/env")" get who)" = "$i" ]
done
# nothing of ours on the sentinel itself
if ss -Hltn 'sport = :6379' | grep -q .; then exit 1; fi
for i in 1 2 3 4; do "$EPR_BIN" stop "$D/r$i/env"; done
SH
}

@test "psql -p 5432 through epr exec reaches the launch's postgres" {
	needs_client_shim
	PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	[ -x "$PG_BIN/postgres" ] && command -v psql >/dev/null || skip "no postgres"
	# postgres will not run as root: as root, as the postgres user, in a directory it reaches
	SRV=$(mktemp -d /tmp/epr-exec-pg.XXXXXX)
	chmod 755 "$SRV"
	local as=()
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$SRV"
		as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
	fi
	"${as[@]}" "$PG_BIN/initdb" -D "$SRV/data" -U postgres --auth=trust --no-sync --no-instructions >/dev/null
	AS="${as[*]}" PG_BIN=$PG_BIN SRV=$SRV ns_script <<'SH'
# shellcheck disable=SC2086 # AS is words
eval "$("$EPR_BIN" start -t 120 -p 5432 -e "$SRV/env" -- $AS "$PG_BIN/postgres" -D "$SRV/data" \
	-p 5432 -h 127.0.0.1 -k "$SRV")"
[ "$EPR_PORT" != 5432 ]
out=$(PGCONNECT_TIMEOUT=5 timeout 20 "$EPR_BIN" exec "$EPR_FILE" -- psql -X -At -U postgres \
	-h 127.0.0.1 -p 5432 -c 'show data_directory' -c 'show port')
echo "$out"
[ "$out" = "$SRV/data
5432" ]
"$EPR_BIN" stop -t 30 "$EPR_FILE"
SH
}

@test "etcdctl, a Go client, through epr exec reaches the launch's etcd (seccomp)" {
	command -v etcd >/dev/null && command -v etcdctl >/dev/null || skip "no etcd and etcdctl"
	ns_script <<'SH'
eval "$("$EPR_BIN" start -t 120 -p 2379 -p 2380 -e "$D/env" -- etcd --name e1 --data-dir "$D/data" \
	--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
	--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
	--initial-cluster e1=http://127.0.0.1:2380)"
[ "$EPR_PORT_2379" != 2379 ]
ctl() { timeout 30 "$EPR_BIN" exec "$EPR_FILE" -- etcdctl --endpoints=http://127.0.0.1:2379 \
	--dial-timeout=5s --command-timeout=10s "$@"; }
ctl put who one
[ "$(ctl get --print-value-only who)" = one ]
# the same key on the launch's own port, without epr
[ "$(ETCDCTL_API=3 timeout 30 etcdctl --endpoints="http://127.0.0.1:$EPR_PORT_2379" get --print-value-only who)" = one ]
"$EPR_BIN" stop -t 30 "$EPR_FILE"
SH
}
