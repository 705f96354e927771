#!/usr/bin/env bats
# Small frictions a new user meets: the README's install lines as root without sudo, its
# Python example's leftovers, and a suite run before make.

load helpers
bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
README=$REPO/README.md
# PATH without bats' own libexec, where a nested `bats` would find the wrong script
USER_PATH=$(tr ':' '\n' <<<"$PATH" | grep -v bats-core | paste -sd:)

# The README's sh blocks, every line.
sh_lines() {
	awk '$0 == "```sh" { inside = 1; next } inside && $0 == "```" { inside = 0 } inside' "$README"
}

@test "the README's install lines work as root without sudo and through sudo otherwise" {
	# no command line starts with a bare sudo, which root on Debian does not have
	run ! grep -E '^\s*sudo ' <(sh_lines)
	grep -q '^\$SUDO make install' <(sh_lines | sed 's/^make && //')
	grep -q '^\$SUDO apt-get install ' <(sh_lines)
	line=$(sh_lines | grep -m1 '^SUDO=' | sed 's/ *#.*//')
	[ "$(id -u)" = 0 ] || skip "needs root to compare root with another user"
	[ -z "$(bash -c "$line; echo \$SUDO")" ]
	[ "$(setpriv --reuid=nobody --regid=nogroup --clear-groups bash -c "$line; echo \$SUDO")" = sudo ]
}

@test "the README's Python example leaves no dump.rdb behind" {
	command -v redis-server >/dev/null || skip "no redis-server (make deps)"
	launch_setup
	awk '/^Python, for example:/ { found = 1 } found && $0 == "```python" { inside = 1; next }
		inside && $0 == "```" { exit } inside' "$README" >"$BATS_TEST_TMPDIR/example.py"
	grep -q 'epr", "start"' "$BATS_TEST_TMPDIR/example.py"
	mkdir "$BATS_TEST_TMPDIR/cwd"
	run in_netns env -C "$BATS_TEST_TMPDIR/cwd" PATH="$EPR_BUILD:$PATH" python3 "$BATS_TEST_TMPDIR/example.py"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/cwd")" ]
}

@test "a suite run before make fails once, saying to run make first" {
	run env -u EPR_BIN -u EPR_LIB EPR_BUILD="$BATS_TEST_TMPDIR/no-build" PATH="$USER_PATH" \
		bats "$TESTS/epr_reserve.bats"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(grep -c '^not ok' <<<"$output")" -eq 1 ]
	[[ $output == *"no-build/epr is missing: run make first"* ]]
}
