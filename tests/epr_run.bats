#!/usr/bin/env bats
# epr run: exec CMD with libepr.so preloaded and the EPR_* variables set.

load helpers
bats_require_minimum_version 1.5.0

LISTEN=$TESTS/progs/cli_listen.py

setup() {
	OUT=$BATS_TEST_TMPDIR/out
}

# Prints, one a line, what CMD sees of the variables named.
show_env() {
	local v
	for v in "$@"; do
		printf '%s=%s\n' "$v" "${!v-<unset>}"
	done
}
export -f show_env

@test "CMD runs with libepr.so preloaded, and its bind to port 0 is exported" {
	run "$EPR_BIN" run -e "$BATS_TEST_TMPDIR/env" -- python3 "$LISTEN" 127.0.0.1 0
	[ "$status" -eq 0 ]
	[ "$(env_value "$BATS_TEST_TMPDIR/env" EPR_PORT)" = "$output" ]
}

@test "a sentinel given with -p is rewritten and exported as EPR_PORT_<S>" {
	# the program prints what getsockname() says: with --real-ports the real port
	run "$EPR_BIN" run --real-ports -p 8000 -e "$BATS_TEST_TMPDIR/env" -- python3 "$LISTEN" 127.0.0.1 8000
	[ "$status" -eq 0 ]
	[ "$output" -ne 8000 ]
	[ "$(env_value "$BATS_TEST_TMPDIR/env" EPR_PORT_8000)" = "$output" ]
	# without it, the sentinel it asked for (a launch is a port space)
	run "$EPR_BIN" run -p 8000 -e "$BATS_TEST_TMPDIR/env" -- python3 "$LISTEN" 127.0.0.1 8000
	[ "$status" -eq 0 ]
	[ "$output" -eq 8000 ]
	[ "$(env_value "$BATS_TEST_TMPDIR/env" EPR_PORT_8000)" -ne 8000 ]
}

@test "the exit status is CMD's" {
	run "$EPR_BIN" run -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run "$EPR_BIN" run -- true
	[ "$status" -eq 0 ]
}

@test "epr stays as CMD's supervisor: CMD is its child, and a daemon of CMD's is waited for" {
	run bash -c 'echo $$; exec "$EPR_BIN" run -- sh -c "echo \$PPID"'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	# CMD exits 5 at once, its setsid'd grandchild lives on for a while: epr waits for both
	start=$(date +%s%N)
	run "$EPR_BIN" run -- sh -c 'setsid sh -c "sleep 1; echo late >$0" "$0" & exit 5' "$OUT"
	[ "$status" -eq 5 ]
	[ "$(cat "$OUT")" = late ]
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 900 ]
}

@test "libepr.so goes first in LD_PRELOAD, after which what was there stays" {
	"$EPR_BIN" run -- bash -c 'show_env LD_PRELOAD' >"$OUT"
	[ "$(cat "$OUT")" = "LD_PRELOAD=$(realpath "$LIBEPR")" ]
	# a library that does not exist only costs a warning from ld.so
	LD_PRELOAD="/nonexistent/a.so /nonexistent/b.so" \
		"$EPR_BIN" run -- bash -c 'show_env LD_PRELOAD' >"$OUT" 2>/dev/null
	[ "$(cat "$OUT")" = "LD_PRELOAD=$(realpath "$LIBEPR"):/nonexistent/a.so /nonexistent/b.so" ]
}

@test "the -p items are joined into EPR_PORTS, and the env file is made absolute" {
	cd "$BATS_TEST_TMPDIR"
	"$EPR_BIN" run -p 6379 -p 8000=18000,5432 -p 6379 -e rel.env -- \
		bash -c 'show_env EPR_PORTS EPR_ENV_FILE' >"$OUT"
	grep -qx "EPR_PORTS=6379,8000=18000,5432" "$OUT"
	grep -qx "EPR_ENV_FILE=$BATS_TEST_TMPDIR/rel.env" "$OUT"
}

@test "--no-zero sets EPR_ZERO=0 and -v sets EPR_DEBUG=1" {
	"$EPR_BIN" run --no-zero -v -- bash -c 'show_env EPR_ZERO EPR_DEBUG' >"$OUT"
	grep -qx "EPR_ZERO=0" "$OUT"
	grep -qx "EPR_DEBUG=1" "$OUT"
	"$EPR_BIN" run -- bash -c 'show_env EPR_ZERO EPR_DEBUG' >"$OUT"
	grep -qx "EPR_ZERO=<unset>" "$OUT"
	grep -qx "EPR_DEBUG=<unset>" "$OUT"
}

@test "--no-zero leaves a bind to port 0 alone" {
	run "$EPR_BIN" run --no-zero -e "$BATS_TEST_TMPDIR/env" -- python3 "$LISTEN" 127.0.0.1 0
	[ "$status" -eq 0 ]
	[ -z "$(env_value "$BATS_TEST_TMPDIR/env" EPR_PORT)" ]
}

@test "an inherited EPR_TREE is dropped, so the env file starts afresh" {
	echo "EPR_PORT=1" >"$BATS_TEST_TMPDIR/env"
	EPR_TREE=$BATS_TEST_TMPDIR/env EPR_ENV_FILE=$BATS_TEST_TMPDIR/env \
		"$EPR_BIN" run -- python3 "$LISTEN" 127.0.0.1 0 >"$OUT"
	[ "$(env_value "$BATS_TEST_TMPDIR/env" EPR_PORT)" = "$(cat "$OUT")" ]
	EPR_TREE=/elsewhere "$EPR_BIN" run -- bash -c 'show_env EPR_TREE' >"$OUT"
	grep -qx "EPR_TREE=<unset>" "$OUT"
}

@test "a CMD that is not found exits 127, one that cannot run 126" {
	run -127 "$EPR_BIN" run -- no-such-command-epr
	[ "$status" -eq 127 ]
	[[ $output == "epr: no-such-command-epr: "* ]]
	touch "$BATS_TEST_TMPDIR/not-executable"
	run -126 "$EPR_BIN" run -- "$BATS_TEST_TMPDIR/not-executable"
	[ "$status" -eq 126 ]
}

@test "a malformed -p, a missing CMD and unknown options are usage errors" {
	for args in "-p 70000 -- true" "-p 80=x -- true" "-p , -- true" "-p" "--" "" "-x -- true"; do
		# shellcheck disable=SC2086 # each string is split into its words on purpose
		run "$EPR_BIN" run $args
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 2 ]
		[[ ${lines[0]} == "epr: "* ]]
		[ "${lines[1]}" = "Try 'epr run --help'." ]
	done
	run "$EPR_BIN" run -p 70000 -- true
	[ "${lines[0]}" = "epr: -p: '70000' is not a port (1-65535)" ]
}

@test "EPR_LIB chooses the library, and must exist" {
	cp "$LIBEPR" "$BATS_TEST_TMPDIR/other.so"
	EPR_LIB=$BATS_TEST_TMPDIR/other.so "$EPR_BIN" run -- bash -c 'show_env LD_PRELOAD' >"$OUT"
	grep -qx "LD_PRELOAD=$BATS_TEST_TMPDIR/other.so" "$OUT"
	EPR_LIB=$BATS_TEST_TMPDIR/missing.so run "$EPR_BIN" run -- true
	[ "$status" -eq 1 ]
	[[ $output == *"$BATS_TEST_TMPDIR/missing.so"* ]]
}

@test "an installed epr finds its library in ../lib/epr/" {
	mkdir -p "$BATS_TEST_TMPDIR/bin" "$BATS_TEST_TMPDIR/lib/epr"
	cp "$EPR_BIN" "$BATS_TEST_TMPDIR/bin/epr"
	cp "$LIBEPR" "$BATS_TEST_TMPDIR/lib/epr/libepr.so"
	env -u EPR_LIB "$BATS_TEST_TMPDIR/bin/epr" run -- bash -c 'show_env LD_PRELOAD' >"$OUT"
	grep -qx "LD_PRELOAD=$(realpath "$BATS_TEST_TMPDIR")/lib/epr/libepr.so" "$OUT"
}

@test "without a library beside it, epr says where it looked, and never uses the current directory" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cp "$EPR_BIN" "$BATS_TEST_TMPDIR/bin/epr"
	cp "$LIBEPR" "$BATS_TEST_TMPDIR/libepr.so"
	cd "$BATS_TEST_TMPDIR"
	run env -u EPR_LIB "$BATS_TEST_TMPDIR/bin/epr" run -- true
	[ "$status" -eq 1 ]
	[ "$output" = "epr: cannot find libepr.so (looked in $BATS_TEST_TMPDIR/bin/libepr.so, $BATS_TEST_TMPDIR/bin/../lib/epr/libepr.so; set EPR_LIB)" ]
}

@test "a statically linked CMD runs under seccomp by default, and gets a warning with --via preload" {
	[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib64/libc.a ] || skip "no static libc"
	printf 'int main(void) { return 3; }\n' >"$BATS_TEST_TMPDIR/s.c"
	cc -static -o "$BATS_TEST_TMPDIR/static" "$BATS_TEST_TMPDIR/s.c" || skip "cannot link statically"
	run "$EPR_BIN" run -- "$BATS_TEST_TMPDIR/static"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	run "$EPR_BIN" run --via preload -- "$BATS_TEST_TMPDIR/static"
	[ "$status" -eq 3 ]
	[ "$output" = "epr: warning: $BATS_TEST_TMPDIR/static is statically linked; libepr.so cannot be loaded into it and its binds will not be rewritten" ]
}

@test "a CMD found through PATH is checked too" {
	printf 'int main(void) { return 0; }\n' >"$BATS_TEST_TMPDIR/s.c"
	cc -static -o "$BATS_TEST_TMPDIR/static-epr-test" "$BATS_TEST_TMPDIR/s.c" 2>/dev/null ||
		skip "cannot link statically"
	PATH=$BATS_TEST_TMPDIR:$PATH run "$EPR_BIN" run --via preload -- static-epr-test
	[ "$status" -eq 0 ]
	[[ $output == "epr: warning: static-epr-test is statically linked"* ]]
	PATH=$BATS_TEST_TMPDIR:$PATH run "$EPR_BIN" run -v -- static-epr-test
	# -v says the interceptor first, then the containment
	[ "${lines[0]}" = "epr: static-epr-test: binds are caught by seccomp user notification (statically linked)" ]
	# a dynamically linked program gets no warning
	run "$EPR_BIN" run -- true
	[ -z "$output" ]
}

@test "a setuid CMD gets a warning, and still runs" {
	[ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 || skip "needs root and user nobody"
	cp "$(type -P true)" "$BATS_TEST_TMPDIR/suid-true"
	chown nobody "$BATS_TEST_TMPDIR/suid-true"
	chmod 4755 "$BATS_TEST_TMPDIR/suid-true"
	run "$EPR_BIN" run -- "$BATS_TEST_TMPDIR/suid-true"
	[ "$status" -eq 0 ]
	[[ $output == "epr: warning: $BATS_TEST_TMPDIR/suid-true is setuid or setgid; the loader ignores LD_PRELOAD"* ]]
}
