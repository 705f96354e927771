#!/usr/bin/env bats
# Whole suites in a port space (issue 19, item 4): programs that start their servers on fixed
# ports and connect to them there, run unmodified under `epr run -p ...`, several at once in
# one network namespace. Each copy's servers get free ports, each copy's clients reach its
# own servers, a server on the fixed port outside every launch is never touched, and nothing
# is left afterwards.

load helpers

EXAMPLES=$(cd "$BATS_TEST_DIRNAME/../examples" && pwd)

setup() {
	if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
		[ "${CI:-}" != true ] || false
		skip "redis-server or redis-cli is not installed"
	fi
	# Outside bats' own 0700 directory: postgres, run as its own user under root, must reach
	# its files.
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/epr-suites.XXXXXX")
	chmod 755 "$WORK"
}

teardown() {
	# whatever a failed run left: every process started under $WORK
	pkill -KILL -f "$WORK" 2>/dev/null || true
	rm -rf "$WORK"
}

# Runs script $1 in a private network namespace where a redis of "the host" listens on 6379
# outside every launch; the script sees EPR, EXAMPLES and WORK. The host's redis must end up
# with no key at all: no copy's client reached it.
with_host_redis() {
	in_netns bash -c 'set -u; EPR=$1 EXAMPLES=$2 WORK=$3; export TMPDIR=$WORK
		redis-server --port 6379 --bind 127.0.0.1 --save "" --appendonly no >/dev/null & host=$!
		for i in $(seq 100); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
		'"$1"'
		status=$?
		keys=$(redis-cli -p 6379 dbsize)
		echo "the host redis on 6379 has $keys keys"
		kill $host; wait $host
		# Nothing of any copy is left: no server in this namespace, no listener.
		left=$(for p in $(pgrep -x "redis-server|postgres"); do
			[ "$(readlink /proc/$p/ns/net)" = "$(readlink /proc/self/ns/net)" ] && echo -n "$p "
		done)
		echo "left: ${left:-nothing}; listening: $(ss -Hltn | wc -l)"
		[ "$status" -eq 0 ] && [ "$keys" = 0 ] && [ -z "$left" ] && [ "$(ss -Hltn | wc -l)" = 0 ]
	' with_host_redis "$EPR_BIN" "$EXAMPLES" "$WORK"
}

@test "4 copies of a suite that starts redis on 6379 and postgres on 5432 and connects there run at once, each green" {
	PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	if [ ! -x "$PG_BIN/postgres" ] || ! command -v psql >/dev/null; then
		[ "${CI:-}" != true ] || false
		skip "postgresql is not installed"
	fi
	cp -r "$EXAMPLES/legacy-suite" "$WORK/suite"
	run with_host_redis '
		pids=()
		for i in 1 2 3 4; do
			"$EPR" run -p 6379 -p 5432 -- make -s -C "$WORK/suite" test >"$WORK/out.$i" 2>&1 &
			pids+=($!)
		done
		failed=0
		for i in 1 2 3 4; do
			wait "${pids[$((i - 1))]}" || failed=$((failed + 1))
			echo "copy $i: $(tail -n 1 "$WORK/out.$i")"
		done
		[ "$failed" = 0 ] || cat "$WORK"/out.*
		[ "$failed" = 0 ]'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c "^copy [1-4]: suite: passed (run-[0-9]*)$" <<<"$output")" = 4 ]
}

@test "4 redis clusters of a master and two sentinels announcing 6379, 26379 and 26380 run at once, one launch each" {
	run with_host_redis '
		pids=()
		for i in 1 2 3 4; do
			"$EPR" run -p 6379 -p 26379 -p 26380 -- "$EXAMPLES/sentinel-cluster.sh" >"$WORK/out.$i" 2>&1 &
			pids+=($!)
		done
		failed=0
		for i in 1 2 3 4; do
			wait "${pids[$((i - 1))]}" || failed=$((failed + 1))
			echo "cluster $i: $(tail -n 1 "$WORK/out.$i")"
		done
		[ "$failed" = 0 ] || cat "$WORK"/out.*
		[ "$failed" = 0 ]'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c "^cluster [1-4]: sentinel-cluster: up$" <<<"$output")" = 4 ]
}
