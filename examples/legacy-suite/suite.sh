#!/bin/sh
# The suite: servers up on their fixed ports, the tests, servers down. Written the way such
# suites are, with 6379 and 5432 throughout. See the Makefile for how to run copies at once.
set -eu

work=$(mktemp -d "${TMPDIR:-/tmp}/legacy-suite.XXXXXX")
pg_bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
# postgres will not run as root: as root, run it as the postgres user.
as_pg=
if [ "$(id -u)" -eq 0 ]; then
	as_pg="setpriv --reuid=postgres --regid=postgres --init-groups --"
	chown postgres: "$work"
fi

redis_pid='' pg_pid=''
cleanup() {
	[ -z "$redis_pid" ] || kill "$redis_pid" 2>/dev/null || true
	[ -z "$pg_pid" ] || kill "$pg_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "suite: starting redis on 6379 and postgres on 5432"
redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
	>"$work/redis.log" 2>&1 &
redis_pid=$!
$as_pg "$pg_bin/initdb" -D "$work/pg" -U postgres --auth=trust --no-sync --no-instructions \
	>"$work/initdb.log"
$as_pg "$pg_bin/postgres" -D "$work/pg" -p 5432 -h 127.0.0.1 -k "$work" \
	>"$work/postgres.log" 2>&1 &
pg_pid=$!

# Wait for both, as such suites do: poll the fixed ports, for at most 30 s.
i=0
until redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 &&
	pg_isready -q -h 127.0.0.1 -p 5432; do
	i=$((i + 1))
	if [ "$i" -gt 300 ]; then
		echo "suite: the servers did not come up" >&2
		cat "$work/redis.log" "$work/postgres.log" >&2
		exit 1
	fi
	sleep 0.1
done

# The tests: each writes something of its own and reads it back. Two copies sharing a
# server would see each other's keys and tables, so these also show isolation.
token="run-$$"
echo "suite: test 1: redis SET and GET on localhost:6379"
redis-cli -h localhost -p 6379 set suite:token "$token" >/dev/null
[ "$(redis-cli -h localhost -p 6379 get suite:token)" = "$token" ]
[ "$(redis-cli -h localhost -p 6379 dbsize)" = 1 ]

echo "suite: test 2: postgres CREATE, INSERT and SELECT on localhost:5432"
psql="psql -X -At -h localhost -p 5432 -U postgres"
$psql -c "create table suite (token text)" >/dev/null
$psql -c "insert into suite values ('$token')" >/dev/null
[ "$($psql -c 'select token from suite')" = "$token" ]

echo "suite: passed ($token)"
