#!/usr/bin/env bats
# A server the shim cannot reach (static, Go) started through a wrapper (sh -c 'exec ...', a
# script, env, timeout, setpriv, python) is caught like one started directly: libepr.so, in
# the wrapper, loads epr's seccomp filter before the exec and hands its listener to the
# supervisor. Where that cannot be done the exec fails with one libepr: line, and nothing
# binds the sentinel. Programs of another architecture are refused. Each case runs in a
# private network namespace and is checked from outside: a client, and ss.

load helpers
bats_require_minimum_version 1.5.0

PROGS=$EPR_BUILD/tests
STATIC=$PROGS/static_server

setup() {
	launch_setup
}

teardown() {
	launch_teardown
}

# Runs a bash script (stdin) in a fresh network namespace with loopback up.
netns_script() {
	D=$BATS_TEST_TMPDIR PROGS=$PROGS STATIC=$STATIC unshare -n bash -c 'ip link set lo up && exec bash -e'
}

# The wrapper words put before the server for each way in; "script" is a file of its own.
wrapper_words() {
	case $1 in
	direct) ;;
	sh) echo "sh -c 'exec \"\$@\"' sh" ;;
	script) echo "$BATS_TEST_TMPDIR/wrap.sh" ;;
	env) echo env ;;
	timeout) echo "timeout 60" ;;
	setpriv) echo "setpriv --reuid=nobody --regid=nogroup --clear-groups" ;;
	esac
}

# Starts the static server and nats-server through wrapper $1, each told its sentinel, and
# checks: rewritten, answers on EPR_PORT, nothing on the sentinel, stopped and gone.
wrapped_servers() {
	printf '#!/bin/sh\nexec "$@"\n' >"$BATS_TEST_TMPDIR/wrap.sh"
	chmod 755 "$BATS_TEST_TMPDIR/wrap.sh"
	[ "$1" != setpriv ] || [ "$(id -u)" = 0 ] || skip "setpriv --reuid needs root"
	command -v nats-server >/dev/null || skip "nats-server is not installed"
	W=$(wrapper_words "$1") run netns_script <<'SH'
check() { # name sentinel client-check
	. "$D/$1.env"
	echo "$1: EPR_PORT=$EPR_PORT"
	[ -n "$EPR_PORT" ]
	[ "$EPR_PORT" != "$2" ]
	ss -Hltn "sport = :$EPR_PORT" | grep -q .
	if ss -Hltn "sport = :$2" | grep -q .; then echo "$1: the sentinel $2 listens"; exit 1; fi
	$3
	"$EPR_BIN" stop "$D/$1.env"
}
static_answers() { [ "$(echo hi | timeout 10 socat -t2 - "TCP:127.0.0.1:$EPR_PORT")" = "hello from $EPR_PORT" ]; }
nats_answers() { printf 'PING\r\n' | timeout 10 socat -t2 - "TCP:127.0.0.1:$EPR_PORT" | grep -q '^PONG'; }
eval "\"\$EPR_BIN\" start -t 20 -p 7000 -e \"\$D/static.env\" -- $W \"\$STATIC\" -t 120 127.0.0.1 7000"
check static 7000 static_answers
eval "\"\$EPR_BIN\" start -t 20 -p 4222 -e \"\$D/nats.env\" -- $W nats-server -a 127.0.0.1 -p 4222"
check nats 4222 nats_answers
if ss -Hltn | grep -q .; then echo "something still listens"; ss -Hltnp; exit 1; fi
SH
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a static server and nats-server started directly are rewritten" {
	wrapped_servers direct
}

@test "a static server and nats-server started through sh -c 'exec ...' are rewritten" {
	wrapped_servers sh
}

@test "a static server and nats-server started through a script are rewritten" {
	wrapped_servers script
}

@test "a static server and nats-server started through env are rewritten" {
	wrapped_servers env
}

@test "a static server and nats-server started through timeout 60 are rewritten" {
	wrapped_servers timeout
}

@test "a static server and nats-server started through setpriv --reuid=nobody are rewritten" {
	wrapped_servers setpriv
}

@test "python's subprocess and os.posix_spawn of a static server are rewritten" {
	run netns_script <<'SH'
"$EPR_BIN" run -p 7000 -- python3 -c '
import os, subprocess, sys
subprocess.run([sys.argv[1], "-n", "1", "-t", "20", "127.0.0.1", "7000"])
' "$STATIC" >"$D/out1" &
"$EPR_BIN" run -p 7001 -- python3 -c '
import os, sys
pid = os.posix_spawn(sys.argv[1], [sys.argv[1], "-n", "1", "-t", "20", "127.0.0.1", "7001"], os.environ)
os.waitpid(pid, 0)
' "$STATIC" >"$D/out2" &
for i in $(seq 100); do [ -s "$D/out1" ] && [ -s "$D/out2" ] && break; sleep 0.1; done
cat "$D/out1" "$D/out2"
p1=$(awk '{ print $3 }' "$D/out1") p2=$(awk '{ print $3 }' "$D/out2")
# one test a line: bash -e ignores a failure inside a && list
[ -n "$p1" ]
[ "$p1" != 7000 ]
[ -n "$p2" ]
[ "$p2" != 7001 ]
[ "$(echo hi | timeout 10 socat -t2 - "TCP:127.0.0.1:$p1")" = "hello from $p1" ]
[ "$(echo hi | timeout 10 socat -t2 - "TCP:127.0.0.1:$p2")" = "hello from $p2" ]
wait
SH
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a dynamic server given an environment without libepr.so (env -i) is caught all the same" {
	run netns_script <<'SH'
"$EPR_BIN" run -p 7000 -- env -i python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 7000)); s.listen()
print("LISTEN", s.getsockname()[1], flush=True)
'
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "LISTEN "* ]]
	[ "$output" != "LISTEN 7000" ]
}

@test "a wrapper's exec of a static server fails closed, with one libepr: line, when seccomp cannot be used" {
	# own_notifier runs sh under a seccomp notifier of its own, as a sandbox would: the
	# kernel refuses epr's a second listener.
	run -126 --separate-stderr netns_script <<'SH'
rc=0
"$EPR_BIN" run -p 7000 -- "$PROGS/own_notifier" sh -c 'exec "$1" -n 1 -t 5 127.0.0.1 7000' sh "$STATIC" || rc=$?
if ss -Hltn | grep -q .; then echo "something listens"; exit 1; fi
exit "$rc"
SH
	echo "stdout: $output"
	echo "stderr: $stderr"
	[ -z "$output" ] # the server never ran: no LISTEN line
	[ "$(grep -c '^libepr: ' <<<"$stderr")" -eq 1 ]
	[[ $stderr == *"static_server: not run: its binds cannot be caught: this process already runs under a seccomp notifier"* ]]
}

@test "setuid programs inside a launch run as root keep working: su to nobody, then a bind" {
	[ "$(id -u)" = 0 ] || skip "the launch must run as root"
	run netns_script <<'SH'
"$EPR_BIN" run --real-ports -p 7000 -- su nobody -s /bin/sh -c 'exec python3 -c "
import socket, os
s = socket.socket(); s.bind((\"127.0.0.1\", 7000)); s.listen()
print(\"LISTEN\", s.getsockname()[1], os.getuid(), flush=True)
"'
"$EPR_BIN" run -p 7001 -- sh -c 'su nobody -s /bin/sh -c "exec \"$1\" -n 1 -t 5 127.0.0.1 7001" -- sh' sh "$STATIC" >"$D/out" &
for i in $(seq 100); do [ -s "$D/out" ] && break; sleep 0.1; done
cat "$D/out"
p=$(awk '{ print $3 }' "$D/out")
[ -n "$p" ]
[ "$p" != 7001 ]
[ "$(ps -o user= -p "$(ss -Hltnp "sport = :$p" | grep -o 'pid=[0-9]*' | cut -d= -f2)")" = nobody ]
[ "$(echo hi | timeout 10 socat -t2 - "TCP:127.0.0.1:$p")" = "hello from $p" ]
wait
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "LISTEN "*" 65534"* ]]
	[[ $output != "LISTEN 7000 "* ]]
}

@test "a script without #! runs with /bin/sh, as execvp would run it" {
	printf 'echo "hi from $0 $1"\n' >"$BATS_TEST_TMPDIR/noshebang"
	chmod 755 "$BATS_TEST_TMPDIR/noshebang"
	cd "$BATS_TEST_TMPDIR"
	run "$EPR_BIN" run -- ./noshebang one
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "hi from ./noshebang one" ]
}

# A static i386 program that exits 0 at once: from binutils when it can assemble 32-bit
# code, else its ELF header and one segment written byte by byte.
make_i386() {
	if printf '.globl _start\n_start:\n movl $1, %%eax\n movl $0, %%ebx\n int $0x80\n' |
		as --32 -o "$1.o" - 2>/dev/null && ld -m elf_i386 -o "$1" "$1.o" 2>/dev/null; then
		return 0
	fi
	python3 - "$1" <<'PY'
import struct, sys
code = bytes.fromhex("b801000000bb00000000cd80")
base, hdr = 0x08048000, 52 + 32
ehdr = b"\x7fELF\x01\x01\x01" + bytes(9) + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, base + hdr,
       52, 0, 0, 52, 32, 1, 0, 0, 0)
phdr = struct.pack("<IIIIIIII", 1, 0, base, base, hdr + len(code), hdr + len(code), 5, 0x1000)
open(sys.argv[1], "wb").write(ehdr + phdr + code)
PY
	chmod 755 "$1"
}

@test "an i386 program is refused with one line and 126, directly and through a wrapper" {
	make_i386 "$BATS_TEST_TMPDIR/tiny32"
	run --separate-stderr "$EPR_BIN" run -- "$BATS_TEST_TMPDIR/tiny32"
	echo "$stderr"
	[ "$status" -eq 126 ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr == "epr: $BATS_TEST_TMPDIR/tiny32: refused: it is a 32-bit i386 program; epr catches the binds of 64-bit x86-64 programs only" ]]
	run --separate-stderr "$EPR_BIN" run -- sh -c 'exec "$1"' sh "$BATS_TEST_TMPDIR/tiny32"
	echo "$stderr"
	[ "$status" -eq 126 ]
	[ "$(grep -c '^libepr: ' <<<"$stderr")" -eq 1 ]
	[[ $stderr == *"libepr: sh["*"]: error: $BATS_TEST_TMPDIR/tiny32: refused: it is a 32-bit i386 program"* ]]
}

@test "an epr launch inside a launch catches its own command, dynamic or static" {
	run netns_script <<'SH'
"$EPR_BIN" run -- "$EPR_BIN" run --real-ports -p 7000 -- python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 7000)); s.listen()
print("LISTEN", s.getsockname()[1], flush=True)
'
"$EPR_BIN" run -- "$EPR_BIN" run -v -p 7001 -- "$STATIC" -n 1 -t 1 127.0.0.1 7001 2>&1
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "LISTEN "* ]]
	[ "${lines[0]}" != "LISTEN 7000" ]
	[[ $output == *"epr: bind 127.0.0.1:7001 -> "*" (seccomp)"* ]]
}

@test "a setuid program exec'd in a launch of a user other than root runs with its privileges, and says its binds are not caught" {
	[ "$(id -u)" = 0 ] || skip "needs root to become nobody"
	[ -u /usr/bin/passwd ] || skip "passwd is not setuid here"
	run_dir=$(mktemp -d /tmp/epr-wrappers.XXXXXX)
	chown nobody:nogroup "$run_dir"
	# passwd -S reads /etc/shadow: what it prints shows whether it kept its privileges.
	plain=$(setpriv --reuid=nobody --regid=nogroup --clear-groups passwd -S)
	unprivileged=$(setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs passwd -S)
	run --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env EPR_RUNTIME_DIR="$run_dir" "$EPR_BIN" run -- sh -c 'exec passwd -S' </dev/null
	rm -rf "$run_dir"
	echo "stdout: $output"
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "$plain" ]
	[ "$plain" != "$unprivileged" ] || skip "passwd -S shows the same without its privileges here"
	[ "$(grep -c '^libepr: ' <<<"$stderr")" -eq 1 ]
	[[ $stderr == *"/passwd: runs with its setuid or setgid privileges, and its binds are not caught"* ]]
}
