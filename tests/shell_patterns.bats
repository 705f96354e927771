#!/usr/bin/env bats
# Every documented way to start a server from the shell fails its set-up when epr start
# fails, instead of going on with an empty $EPR_PORT (with which psql -p "" reaches 5432,
# the host's own server): the README's marked blocks, epr(1)'s marked examples (".\" test:
# NAME" before the .Bd), examples/with-redis.sh and examples/integration.mk. The start is
# made to fail (EPR_LIB names no library), and the client the pattern would run next is a
# stand-in that notes any call: none may come.

load helpers
bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# PATH without bats' own libexec, where a nested `bats` would find the wrong script
USER_PATH=$(tr ':' '\n' <<<"$PATH" | grep -v bats-core | paste -sd:)
# An ASan build's runs need their sanitizer options, which env -i would drop
SANITIZER_ENV=()
[ -z "${ASAN_OPTIONS:-}" ] || SANITIZER_ENV+=("ASAN_OPTIONS=$ASAN_OPTIONS")
[ -z "${UBSAN_OPTIONS:-}" ] || SANITIZER_ENV+=("UBSAN_OPTIONS=$UBSAN_OPTIONS")

setup() {
	command -v redis-cli >/dev/null || skip "no redis-cli (make deps)"
	launch_setup
	BIN=$BATS_TEST_TMPDIR/bin # epr, as the patterns name it
	STAND_IN=$BATS_TEST_TMPDIR/stand-in # a redis-cli that notes its calls
	CALLS=$BATS_TEST_TMPDIR/calls
	mkdir -p "$BIN" "$STAND_IN"
	ln -s "$EPR_BIN" "$BIN/epr"
	printf '#!/bin/sh\necho "redis-cli $*" >>"%s"\necho PONG\n' "$CALLS" >"$STAND_IN/redis-cli"
	chmod +x "$STAND_IN/redis-cli"
}

teardown() {
	launch_teardown
}

# The README's ```sh block after <!-- test: $1 -->.
readme_block() {
	awk -v name="$1" '
		$0 == "<!-- test: " name " -->" { marked = 1; next }
		marked && !inside { if ($0 == "```sh") { inside = 1; next } exit 1 }
		inside && $0 == "```" { found = 1; exit }
		inside { print }
		END { exit !found }' "$REPO/README.md"
}

# epr(1)'s literal display after .\" test: $1, with the roff escapes undone.
man_block() {
	awk -v name="$1" '
		$0 == ".\\\" test: " name { marked = 1; next }
		marked && !inside { if ($0 ~ /^\.Bd -literal/) { inside = 1; next } exit 1 }
		inside && $0 == ".Ed" { found = 1; exit }
		inside { gsub(/\\e/, "\\"); sub(/^\\&/, ""); print }
		END { exit !found }' "$REPO/docs/epr.1"
}

# Run CMD with a start that fails and the stand-in redis-cli first on PATH; $output ends
# with "exit N".
run_failing_start() {
	run env -u EPR_BIN EPR_LIB=/nonexistent/libepr.so PATH="$STAND_IN:$BIN:$USER_PATH" \
		bash -c '"$@"; echo "exit $?"' run_failing_start "$@"
	echo "$output"
	echo "calls: $(cat "$CALLS" 2>/dev/null)"
}

# The set-up failed, and nothing went on to the client.
refused_to_go_on() {
	[[ $output == *"epr: EPR_LIB: '/nonexistent/libepr.so'"* ]]
	[[ ${lines[-1]} =~ ^exit\ [1-9][0-9]*$ ]]
	[ ! -e "$CALLS" ]
}

# A bats file made of set-up block $1 and a test that pings the server; run by bats.
bats_file_of() {
	{
		printf '%s\n' "$1"
		# shellcheck disable=SC2016 # for the generated file
		printf '@test "the server answers" {\n\tredis-cli -p "$EPR_PORT" ping\n}\n'
	} >"$BATS_TEST_TMPDIR/pattern.bats"
	echo "$BATS_TEST_TMPDIR/pattern.bats"
}

@test "the README's plain-script blocks stop at a failed start, with and without set -e" {
	local name body
	for name in quick-start fixture fixture-owner; do
		body=$(readme_block "$name")
		# the block's own PATH line names the work tree's build: ours comes first
		body=${body//'export PATH="$PWD/build:$PATH"'/}
		for errexit in -e +e; do
			run_failing_start bash "$errexit" -c "cd '$BATS_TEST_TMPDIR' && $body"
			refused_to_go_on || { echo "README block $name under bash $errexit went on"; return 1; }
		done
	done
}

@test "the README's and epr(1)'s bats setup_file, and epr(1)'s setup, fail the file when the start fails" {
	local block
	for block in "$(readme_block bats-setup-file)" "$(man_block setup-file)" "$(man_block setup)"; do
		[ -n "$block" ]
		run_failing_start env -i "${SANITIZER_ENV[@]}" PATH="$STAND_IN:$BIN:$USER_PATH" HOME="$HOME" TMPDIR="$TMPDIR" \
			EPR_RUNTIME_DIR="$EPR_RUNTIME_DIR" EPR_LIB=/nonexistent/libepr.so \
			bats "$(bats_file_of "$block")"
		refused_to_go_on || { echo "this set-up went on: $block"; return 1; }
	done
}

@test "the bats setup_file patterns work when the start succeeds: the tests see EPR_PORT" {
	command -v redis-server >/dev/null || skip "no redis-server (make deps)"
	local block
	for block in "$(readme_block bats-setup-file)" "$(man_block setup-file)" "$(man_block setup)"; do
		run in_netns env -i "${SANITIZER_ENV[@]}" PATH="$BIN:$USER_PATH" HOME="$HOME" TMPDIR="$TMPDIR" \
			EPR_RUNTIME_DIR="$EPR_RUNTIME_DIR" bats "$(bats_file_of "$block")"
		echo "$output"
		[ "$status" -eq 0 ]
	done
}

@test "epr(1)'s Makefile recipe fails when the start fails, without running the tests" {
	man_block makefile >"$BATS_TEST_TMPDIR/Makefile"
	printf '#!/bin/sh\nredis-cli -p "$REDIS_PORT" ping\n' >"$BATS_TEST_TMPDIR/run-tests"
	chmod +x "$BATS_TEST_TMPDIR/run-tests"
	run_failing_start make -C "$BATS_TEST_TMPDIR" test
	refused_to_go_on
}

@test "epr(1)'s Makefile recipe runs the tests against the server when the start succeeds" {
	command -v redis-server >/dev/null || skip "no redis-server (make deps)"
	man_block makefile >"$BATS_TEST_TMPDIR/Makefile"
	printf '#!/bin/sh\nredis-cli -p "$REDIS_PORT" ping\n' >"$BATS_TEST_TMPDIR/run-tests"
	chmod +x "$BATS_TEST_TMPDIR/run-tests"
	run in_netns env PATH="$BIN:$PATH" make -s -C "$BATS_TEST_TMPDIR" test
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *PONG* ]]
}

@test "examples/with-redis.sh does not run CMD when the start fails" {
	run_failing_start env EPR_BIN="$EPR_BIN" "$REPO/examples/with-redis.sh" \
		sh -c 'redis-cli -p "$REDIS_PORT" ping'
	refused_to_go_on
}

@test "examples/integration.mk fails when the database does not start, without running TEST" {
	command -v mariadb-install-db >/dev/null || skip "no mariadb-install-db (make deps)"
	run_failing_start make -f "$REPO/examples/integration.mk" integration-test \
		EPR="$EPR_BIN" DB_DIR="$BATS_TEST_TMPDIR/db" TEST='redis-cli -p "$$EPR_PORT" ping'
	refused_to_go_on
}
