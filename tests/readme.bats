#!/usr/bin/env bats
# The README's commands run as written. A fenced ```sh block right after a marker comment
# <!-- test: NAME --> is extracted and run with bash -e, from the work tree (the blocks
# put build/ on PATH themselves, as a reader would), in a private TMPDIR.

load helpers
bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
README=$REPO/README.md

setup() {
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR"
}

teardown() {
	# a failed block must not leave its server behind: find it by its env file
	kill_by_env_file_dir "$TMPDIR"
}

# The names of the marked blocks, one a line, in README order.
markers() {
	sed -n 's/^<!-- test: \([a-z0-9-]*\) -->$/\1/p' "$README"
}

# The body of the ```sh block right after marker $1; fails if there is none.
block() {
	awk -v name="$1" '
		$0 == "<!-- test: " name " -->" { marked = 1; next }
		marked && !inside { if ($0 == "```sh") { inside = 1; next } exit 1 }
		inside && $0 == "```" { found = 1; exit }
		inside { print }
		END { exit !found }' "$README"
}

# Runs block $1 from the work tree, with none of the caller's EPR_* settings.
run_block() {
	local body
	body=$(block "$1") || {
		echo "README.md: no \`\`\`sh block after <!-- test: $1 -->"
		return 1
	}
	run env -u EPR_LIB -u EPR_BIN bash -e -o pipefail -c "cd '$REPO' && $body"
	echo "$output"
}

@test "every marker in the README is followed by a sh block, and each has a test here" {
	local name
	[ -n "$(markers)" ]
	for name in $(markers); do
		block "$name" >/dev/null || { echo "no sh block after the marker $name"; return 1; }
		grep -q "run_block $name\$" "$BATS_TEST_FILENAME" || { echo "no test runs $name"; return 1; }
	done
}

@test "the quick-start: a redis-server told 6379 starts elsewhere, answers PING, and stops" {
	command -v redis-server >/dev/null || skip "no redis-server (make deps)"
	run_block quick-start
	[ "$status" -eq 0 ]
	[ "$output" = PONG ]
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "the reserve example: a port from epr reserve can be bound with SO_REUSEADDR" {
	run_block reserve
	[ "$status" -eq 0 ]
	[[ $output =~ ^bound\ [0-9]+$ ]]
}

@test "the test-fixture example: set-up starts redis, the test uses it, tear-down stops it" {
	command -v redis-server >/dev/null || skip "no redis-server (make deps)"
	run_block fixture
	[ "$status" -eq 0 ]
	[ "$output" = OK ]
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "the owner example: a redis-server waited for with --wait-cmd answers, and stop --all --owner ends it" {
	command -v redis-server >/dev/null || skip "no redis-server (make deps)"
	export EPR_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	run_block fixture-owner
	[ "$status" -eq 0 ]
	[ "$output" = PONG ]
	[ -z "$(ls -A "$TMPDIR")" ] && [ -z "$(ls -A "$EPR_RUNTIME_DIR")" ]
}

@test "the set-up's make deps works as root without sudo, and through sudo for anyone else" {
	grep -qx 'make deps demo .*' "$README"
	run ! grep -q 'sudo make deps' "$README"
	[ "$(id -u)" = 0 ] || skip "needs root to compare root with another user"
	run make -s -n -C "$REPO" deps
	[ "$status" -eq 0 ]
	[[ $output == *"apt-get install -y --no-install-recommends "* ]]
	[[ $output != *sudo* ]]
	run setpriv --reuid=nobody --regid=nogroup --clear-groups -- make -s -n -C "$REPO" deps
	[ "$status" -eq 0 ]
	[[ $output == *"sudo apt-get update"* ]]
	[[ $output == *"sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "* ]]
}

@test "the bats setup_file example is sh that defines the two functions (tests/shell_patterns.bats runs it)" {
	run_block bats-setup-file
	[ "$status" -eq 0 ]
}
