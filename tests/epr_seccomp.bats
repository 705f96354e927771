#!/usr/bin/env bats
# epr run and epr start catch the binds of programs the shim cannot reach with seccomp user
# notification, feeding the same launch: one map, one env file, one readiness, one stop. Each
# case runs in a private network namespace and is checked from outside.

load helpers
bats_require_minimum_version 1.5.0

PROGS=$EPR_BUILD/tests

setup() {
	launch_setup
}

teardown() {
	launch_teardown
}

# Runs a bash script (stdin) in a fresh network namespace with loopback up; D, PROGS, EPR_BIN set.
netns_script() {
	D=$BATS_TEST_TMPDIR PROGS=$PROGS unshare -n bash -c 'ip link set lo up && exec bash -e'
}

@test "auto picks seccomp for a static program and says so with -v; its sentinel and port 0 are rewritten" {
	run netns_script <<'SH'
"$EPR_BIN" start -v -p 7000 -e "$D/env" -- "$PROGS/static_server" -t 60 127.0.0.1 7000 127.0.0.1 0 2>"$D/err"
cat "$D/err"
. "$D/env"
[ "$EPR_PORT" = "$EPR_PORT_7000" ] && [ "$EPR_PORT" != 7000 ]
# ready once the sentinel listens; the port-0 listener follows
for i in $(seq 100); do grep -qs "^EPR_PORT_LIST=.*," "$D/env" && break; sleep 0.05; done
other=$(sed -n 's/^EPR_PORT_LIST=//p' "$D/env" | tr , '\n' | grep -vx "$EPR_PORT")
[ -n "$other" ]
[ "$(echo hi | socat -t2 - "TCP:127.0.0.1:$EPR_PORT")" = "hello from $EPR_PORT" ]
[ "$(echo hi | socat -t2 - "TCP:127.0.0.1:$other")" = "hello from $other" ]
# port 0 was rewritten too: its port is in TIME_WAIT's reserved range, and exported
grep -q "LISTEN 127.0.0.1 $other" "$D/env.log"
"$EPR_BIN" stop "$D/env"
if ss -Hltn | grep -q .; then echo "something still listens"; exit 1; fi
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"static_server: binds are caught by seccomp user notification (statically linked)"* ]]
	[[ $output == *"epr: bind 127.0.0.1:7000 -> "*" (seccomp)"* ]]
}

@test "eight threads binding the sentinel at once share one port under seccomp" {
	run netns_script <<'SH'
"$EPR_BIN" start --via seccomp -p 7000 -e "$D/env" -- "$PROGS/threads_bind" 7000 30 >/dev/null
. "$D/env"
[ "$EPR_PORT" != 7000 ]
for i in $(seq 100); do [ "$(ss -Hltn "sport = :$EPR_PORT" | wc -l)" -eq 8 ] && break; sleep 0.05; done
[ "$(ss -Hltn "sport = :$EPR_PORT" | wc -l)" -eq 8 ]
[ "$(grep -c "^LISTEN 127.0.0.1 $EPR_PORT$" "$D/env.log")" -eq 8 ]
"$EPR_BIN" stop "$D/env"
SH
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "workers forked after exec bind the sentinel and share one port under seccomp" {
	run netns_script <<'SH'
"$EPR_BIN" start --via seccomp -p 7000 -e "$D/env" -- "$PROGS/fork_bind" 4 7000 30 >/dev/null
. "$D/env"
for i in $(seq 100); do [ "$(ss -Hltn "sport = :$EPR_PORT" | wc -l)" -eq 4 ] && break; sleep 0.05; done
[ "$(ss -Hltn "sport = :$EPR_PORT" | wc -l)" -eq 4 ]
[ "$(ss -Hltnp "sport = :$EPR_PORT" | grep -o 'pid=[0-9]*' | sort -u | wc -l)" -eq 4 ]
"$EPR_BIN" stop "$D/env"
if pgrep -f "fork_bind 4 7000"; then echo "a worker is left"; exit 1; fi
SH
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a bind to a non-sentinel port passes through untouched, its errno intact" {
	run netns_script <<'SH'
"$PROGS/static_server" -t 20 127.0.0.1 5000 >/dev/null &
for i in $(seq 50); do ss -Hltn "sport = :5000" | grep -q . && break; sleep 0.1; done
bare=$("$PROGS/static_server" -t 1 127.0.0.1 5000 2>&1) || true
through=$("$EPR_BIN" run --via seccomp -p 7000 -- "$PROGS/static_server" -t 1 127.0.0.1 5000 2>&1) && exit 1
echo "bare: $bare"
echo "through: $through"
[ "$bare" = "$through" ]
kill %1
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"through: bind 127.0.0.1 5000: EADDRINUSE (Address already in use)"* ]]
}

@test "a dual-stack [::] bind of the sentinel under seccomp answers over IPv4 and IPv6 on one port" {
	run netns_script <<'SH'
"$EPR_BIN" start --via seccomp -p 7000 -e "$D/env" -- "$PROGS/static_server" -d -t 60 :: 7000 >/dev/null
. "$D/env"
[ "$(echo hi | socat -t2 - "TCP:127.0.0.1:$EPR_PORT")" = "hello from $EPR_PORT" ]
[ "$(echo hi | socat -t2 - "TCP:[::1]:$EPR_PORT")" = "hello from $EPR_PORT" ]
"$EPR_BIN" stop "$D/env"
SH
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "inside a sandbox that already has a notifier, epr start fails at once with one line, before the server runs" {
	run netns_script <<'SH'
rc=0
"$PROGS/own_notifier" "$EPR_BIN" start -p 7000 -e "$D/env" -- "$PROGS/static_server" -t 30 127.0.0.1 7000 || rc=$?
echo "rc=$rc"
if ss -Hltn | grep -q .; then echo "something listens"; exit 1; fi
[ ! -e "$D/env" ]
SH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"rc=126"* ]]
	[[ $output == *"epr: cannot catch binds with seccomp user notification: "*"busy"*"--via preload"* ]]
	[[ $output != *LISTEN* ]]
}

@test "a setuid program is refused under --via seccomp, which would run it without its privileges" {
	cp "$PROGS/static_server" "$BATS_TEST_TMPDIR/suid_server"
	chown nobody "$BATS_TEST_TMPDIR/suid_server"
	chmod 4755 "$BATS_TEST_TMPDIR/suid_server"
	run "$EPR_BIN" start --via seccomp -p 7000 -- "$BATS_TEST_TMPDIR/suid_server" 127.0.0.1 7000
	[ "$status" -eq 1 ]
	[[ $output == "epr: $BATS_TEST_TMPDIR/suid_server is setuid or setgid, and under --via seccomp"* ]]
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "--via preload on a Go program warns that the shim will not see its binds" {
	command -v nats-server >/dev/null || { [ -z "${CI:-}" ] || false; skip "nats-server is not installed"; }
	run "$EPR_BIN" run --via preload -- nats-server --version
	[ "$status" -eq 0 ]
	[[ $output == *"epr: warning: nats-server is a Go program"* ]]
	run "$EPR_BIN" run --via sideways -- true
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == "epr: --via: 'sideways' is not preload, seccomp or auto" ]]
}
