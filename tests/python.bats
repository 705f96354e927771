#!/usr/bin/env bats
# The Python modules (python/): ephemeral_port_reserve's classic contract, the epr launcher
# and the epr_pytest plugin under four pytest-xdist workers, checked from outside too. Run
# with Debian's python3, its pytest and pytest-xdist; servers run in private network
# namespaces where the test needs no host ports.

load helpers
bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
PY=${EPR_PYTHON:-/usr/bin/python3}
RESERVED=$TESTS/progs/cli_reserved.py

setup() {
	export PYTHONPATH=$REPO/python EPR_RESERVE_LIB=$EPR_BUILD/libepr-reserve.so EPR_BIN
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR"
}

teardown() {
	kill_by_env_file_dir "$TMPDIR"
}

have_pytest() {
	"$PY" -c 'import pytest, xdist' 2>/dev/null || skip "no python3-pytest or python3-pytest-xdist (make deps)"
}

# reserve() in its own python3 process: prints the port.
py_reserve() {
	"$PY" -c 'import sys; from ephemeral_port_reserve import reserve; print(reserve(*sys.argv[1:]))' "$@"
}

@test "ephemeral_port_reserve keeps the classic contract (its pytest suite)" {
	have_pytest
	run in_netns env TMPDIR="$TMPDIR" "$PY" -m pytest -p no:cacheprovider -q \
		"$TESTS/python/test_ephemeral_port_reserve.py"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == *" passed in "* ]]
}

@test "a port from reserve() refuses a plain bind and accepts SO_REUSEADDR, from another process" {
	port=$(py_reserve)
	"$PY" "$RESERVED" 127.0.0.1 "$port"
	port=$(py_reserve ::1)
	"$PY" "$RESERVED" ::1 "$port"
}

@test "reserve(ip, port) of a port just reserved by epr reserve returns it again" {
	port=$("$EPR_BIN" reserve)
	[ "$(py_reserve 127.0.0.1 "$port")" = "$port" ]
	"$PY" "$RESERVED" 127.0.0.1 "$port"
}

@test "python3 -m ephemeral_port_reserve prints a reserved port" {
	run "$PY" -m ephemeral_port_reserve ::1
	[ "$status" -eq 0 ]
	"$PY" "$RESERVED" ::1 "$output"
}

@test "reserve() is epr's C reservation, loaded from libepr-reserve.so, not Python's own" {
	run "$PY" -c 'import ephemeral_port_reserve as e; print(e.library_path)'
	[ "$output" = "$EPR_BUILD/libepr-reserve.so" ]
	nm -D --defined-only "$EPR_BUILD/libepr-reserve.so" | grep -q ' T epr_reserve$'
	# the module itself makes no socket calls: the TIME_WAIT trick exists once, in C
	run ! grep -nE '\.(bind|listen|accept|connect|setsockopt)\(' "$REPO/python/ephemeral_port_reserve.py"
	run env EPR_RESERVE_LIB=/nonexistent/libepr-reserve.so "$PY" -c 'import ephemeral_port_reserve'
	[ "$status" -ne 0 ]
	[[ $output == *"/nonexistent/libepr-reserve.so"* ]]
}

@test "epr.Server starts a server, gives its ports and log, and stops it (its pytest suite)" {
	have_pytest
	# pytest's own tmp_path lives outside TMPDIR, which must hold nothing of epr's afterwards
	run in_netns env TMPDIR="$TMPDIR" "$PY" -m pytest -p no:cacheprovider -q \
		--basetemp="$BATS_TEST_TMPDIR/pytest" "$TESTS/python/test_epr_launcher.py"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "four xdist workers, each test its own redis-server through epr_server: all pass, nothing left running" {
	have_pytest
	command -v redis-server >/dev/null || skip "no redis-server (make deps)"
	record=$BATS_TEST_TMPDIR/record
	mkdir -p "$record"
	run in_netns env TMPDIR="$TMPDIR" EPR_TEST_RECORD="$record" sh -c '
		"$0" -m pytest -p no:cacheprovider -p epr_pytest -q -n 4 --basetemp "$TMPDIR/pytest" "$1"
		echo "pytest exit $?"
		echo "listening after: $(ss -Hltn | wc -l)"' "$PY" "$TESTS/python/test_redis_fixture.py"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"16 passed"* ]]
	[[ $output == *"pytest exit 0"* ]]
	[[ $output == *"listening after: 0"* ]]
	# 12 tests, 12 servers on 12 ports, spread over the 4 workers
	[ "$(cat "$record"/* | awk '{ print $1 }' | sort -u | wc -l)" -eq 12 ]
	[ "$(cat "$record"/* | awk '{ print $2 }' | sort -u | wc -l)" -eq 12 ]
	[ "$(find "$record" -type f -printf '%f\n' | sed 's/-.*//' | sort -u | wc -l)" -eq 4 ]
	# no redis-server of this test is left, and epr stop removed every private directory
	run ! pgrep -f "$TMPDIR/pytest"
	[ -z "$(find "$TMPDIR" -maxdepth 1 -name 'epr.*')" ]
}

@test "a failing test's report carries the log of the server it started" {
	have_pytest
	run in_netns env TMPDIR="$TMPDIR" "$PY" -m pytest -p no:cacheprovider -p epr_pytest "$TESTS/python/fail_case.py"
	echo "$output"
	[ "$status" -eq 1 ]
	port=$(sed -n 's/^-* epr log: python3 (port \([0-9]*\)) -*$/\1/p' <<<"$output")
	[ -n "$port" ]
	# the section holds the server's output: cli_listen.py prints the port getsockname() says,
	# in a launch the sentinel it asked for
	grep -qx 8000 <<<"$output"
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "make install puts the modules where python3 finds them, using the installed library and epr" {
	dest=$BATS_TEST_TMPDIR/dest
	make -s -C "$REPO" B="$EPR_BUILD" install DESTDIR="$dest" PREFIX=/opt/epr-py >/dev/null
	root=$dest/opt/epr-py
	pydir=$root/lib/python$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')/dist-packages
	[ -f "$pydir/ephemeral_port_reserve.py" ]
	run env -u EPR_RESERVE_LIB -u EPR_BIN PYTHONPATH="$pydir" "$PY" -c '
import ephemeral_port_reserve, epr, epr_pytest
print(ephemeral_port_reserve.library_path)
print(epr.epr_command())
print(ephemeral_port_reserve.reserve())'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$root/lib/epr/libepr-reserve.so" ]
	[ "${lines[1]}" = "$root/bin/epr" ]
	"$PY" "$RESERVED" 127.0.0.1 "${lines[2]}"
}

@test "the modules' directory is on python3's sys.path, for PREFIX /usr/local and the package's /usr" {
	for prefix in /usr/local /usr; do
		dir=$(make -s -n -C "$REPO" B="$EPR_BUILD" install PREFIX="$prefix" | sed -n "s/^install -m 0644 python\/.* '\(.*\)\/'$/\1/p")
		[ -n "$dir" ]
		"$PY" -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' "$dir" || { echo "$dir is not on sys.path"; return 1; }
	done
}

@test "the ready-made redis and memcached fixtures, per test and per session, under two xdist workers" {
	have_pytest
	command -v redis-server >/dev/null && command -v memcached >/dev/null || skip "no redis-server or memcached (make deps)"
	run in_netns env TMPDIR="$TMPDIR" "$PY" -m pytest -p no:cacheprovider -p epr_pytest -q -n 2 \
		--basetemp "$TMPDIR/pytest" "$TESTS/python/test_service_fixtures.py"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"4 passed"* ]]
	run ! pgrep -f "$TMPDIR/pytest"
}
