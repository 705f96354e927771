#!/usr/bin/env bats
# epr_pytest's database fixtures (tests/python/test_db_fixtures.py): postgres and mariadb per
# test and per session, and a postgres database per test from a template, under two
# pytest-xdist workers. Each run is in a private network namespace where stand-ins listen on
# 5432 and 3306, as the host's own servers would: they must see no connection. Afterwards no
# data directory, server or listener of the fixtures' may be left.

load helpers
bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
PY=${EPR_PYTHON:-/usr/bin/python3}

setup() {
	export PYTHONPATH=$REPO/python EPR_RESERVE_LIB=$EPR_BUILD/libepr-reserve.so EPR_BIN
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	RECORD=$BATS_TEST_TMPDIR/record
	BASETEMP=$BATS_TEST_TMPDIR/pytest
	LOGS=$BATS_TEST_TMPDIR
	mkdir -p "$TMPDIR" "$RECORD"
}

teardown() {
	kill_by_env_file_dir "$TMPDIR"
	if [ -n "${OTHER:-}" ]; then
		kill_by_env_file_dir "$OTHER/tmp"
		rm -rf "$OTHER"
	fi
}

# Skips when COMMAND ($1, from Debian package $2) is missing; under CI, a failure.
require() {
	command -v "$1" >/dev/null && return 0
	[ -z "${CI:-}" ] || { echo "$1 is not installed (Debian package $2), and CI must run it" >&2; return 1; }
	skip "$1 is not installed (Debian package $2)"
}

have_pytest() {
	"$PY" -c 'import pytest, xdist' 2>/dev/null || skip "no python3-pytest or python3-pytest-xdist (make deps)"
}

# True when libepr.so is an ASan build, under which mariadbd dies at start-up: make
# check-asan leaves tests/server_mariadb.bats out for that (mk/sanitize.mk).
asan_build() {
	ldd "$LIBEPR" | grep -q libasan
}

# pytest -k "$1" on the suite, two workers, in a private network namespace with the
# stand-ins up, as the user that words before the command name (none: ourselves); then
# "pytest exit N", what else listens, and what the stand-ins saw.
run_db_tests() {
	local k=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner sh
	run in_netns "$@" env TMPDIR="$TMPDIR" EPR_TEST_RECORD="$RECORD" sh -c '
		py=$1 standin=$2 log=$3
		"$py" "$standin" "$log" 600 5432 3306 >"$log.out" &
		standin_pid=$!
		i=0
		until grep -q ready "$log.out" || [ "$i" -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
		"$py" -m pytest -p no:cacheprovider -p epr_pytest -q -n 2 --basetemp "$4" -k "$5" "$6"
		echo "pytest exit $?"
		echo "listening after: $(ss -Hltn | grep -cvE ":(5432|3306) ")"
		kill "$standin_pid"
		wait "$standin_pid" 2>/dev/null
		echo "stand-ins saw: $(wc -l <"$log") connections"' sh "$PY" "$TESTS/progs/standin_server.py" \
		"$LOGS/standin.log" "$BASETEMP" "$k" "$TESTS/python/test_db_fixtures.py"
	echo "$output"
}

# Every base directory that a test recorded is gone, no server of the run is left, and each
# xdist worker's session tests of fixture $1 saw one server.
check_nothing_left() {
	local worker
	[ -n "$(ls "$RECORD")" ]
	# shellcheck disable=SC2016
	run awk 'NF >= 3 { print $3 }' "$RECORD"/*
	[ -n "$output" ]
	while read -r base; do
		[ ! -e "$base" ] || { echo "left: $base"; return 1; }
	done <<<"$output"
	run ! pgrep -f "$BASETEMP"
	[ -z "$(ls -A "$TMPDIR")" ] || { ls -lAR "$TMPDIR"; return 1; }
	for worker in gw0 gw1; do
		[ "$(cat "$RECORD/$worker-$1-session-"* 2>/dev/null | awk '{ print $1 }' | sort -u | wc -l)" -le 1 ]
	done
}

@test "postgres per test and per session, and a database per test from a template, under two xdist workers" {
	have_pytest
	PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	[ -x "$PG_BIN/postgres" ] || require postgres postgresql
	require psql postgresql-client
	[ "$(id -u)" -ne 0 ] || require setpriv util-linux
	run_db_tests "not mariadb"
	[[ $output == *"9 passed"* ]]
	[[ $output == *"pytest exit 0"* ]]
	[[ $output == *"listening after: 0"* ]]
	[[ $output == *"stand-ins saw: 0 connections"* ]]
	check_nothing_left postgres
	# as root, postgres ran as the postgres user (nobody without one); else as ourselves
	user=$(id -u)
	[ "$user" -ne 0 ] || user=$(id -u postgres 2>/dev/null || id -u nobody)
	[ "$(awk '{ print $4 }' "$RECORD"/*-postgres-test)" = "$user" ]
	# each database name once per server
	[ "$(cat "$RECORD"/*-postgres-db-* | wc -l)" -eq 4 ]
	[ "$(cat "$RECORD"/*-postgres-db-* | sort -u | wc -l)" -eq 4 ]
}

@test "mariadb per test and per session, under two xdist workers" {
	have_pytest
	require mariadb mariadb-client
	PATH=$PATH:/usr/sbin require mariadbd mariadb-server
	require mariadb-install-db mariadb-server
	! asan_build || skip "mariadbd dies at start-up under an ASan-built libepr.so"
	run_db_tests mariadb
	[[ $output == *"4 passed"* ]]
	[[ $output == *"pytest exit 0"* ]]
	[[ $output == *"listening after: 0"* ]]
	[[ $output == *"stand-ins saw: 0 connections"* ]]
	check_nothing_left mariadb
}

@test "as a user other than root, the fixtures pass too, and the servers run as that user" {
	[ "$(id -u)" -eq 0 ] || skip "needs root, to run as nobody (the other tests run as this user)"
	have_pytest
	require psql postgresql-client
	require mariadb mariadb-client
	# nobody can reach neither bats' 0700 directory nor the caller's
	OTHER=$(mktemp -d /tmp/epr-db-fixtures.XXXXXX)
	TMPDIR=$OTHER/tmp RECORD=$OTHER/record BASETEMP=$OTHER/pytest LOGS=$OTHER
	mkdir -p "$TMPDIR" "$RECORD"
	chmod 755 "$OTHER"
	chown -R nobody:nogroup "$OTHER"
	k='' passed=13
	! asan_build || k="not mariadb" passed=9
	run_db_tests "$k" setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$OTHER"
	[[ $output == *"$passed passed"* ]]
	[[ $output == *"pytest exit 0"* ]]
	[[ $output == *"listening after: 0"* ]]
	[[ $output == *"stand-ins saw: 0 connections"* ]]
	check_nothing_left postgres
	[ "$(awk '{ print $4 }' "$RECORD"/*-postgres-test)" = "$(id -u nobody)" ]
	asan_build || [ "$(awk '{ print $4 }' "$RECORD"/*-mariadb-test)" = "$(id -u nobody)" ]
}
