#!/usr/bin/env bats
# libepr.so under a real server: redis-server reads port 0 as "no TCP at all", so only a
# rewritten sentinel lets two of them run side by side from one command line.

load helpers

start_redis() { # $1: its directory
	mkdir -p "$1"
	background EPR_PORTS=6379 EPR_ENV_FILE="$1/redis.env" shimmed redis-server --port 6379 \
		--bind 127.0.0.1 ::1 --dir "$1" --save '' --appendonly no --daemonize no \
		--logfile "$1/redis.log"
}

@test "two redis-servers with sentinel 6379 on 127.0.0.1 and ::1 each answer on their own port" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	start_redis "$BATS_TEST_TMPDIR/a"
	start_redis "$BATS_TEST_TMPDIR/b"
	wait_for_file "$BATS_TEST_TMPDIR/a/redis.env"
	wait_for_file "$BATS_TEST_TMPDIR/b/redis.env"
	a=$(env_value "$BATS_TEST_TMPDIR/a/redis.env" EPR_PORT_6379)
	b=$(env_value "$BATS_TEST_TMPDIR/b/redis.env" EPR_PORT_6379)
	echo "ports: $a $b"
	[ "$a" -ne "$b" ] && [ "$a" -ne 6379 ] && [ "$b" -ne 6379 ]
	for port in "$a" "$b"; do
		[ "$(redis-cli -h 127.0.0.1 -p "$port" ping)" = PONG ]
		[ "$(redis-cli -h ::1 -p "$port" ping)" = PONG ]
		ss -Hltn "sport = :$port" | grep -q "127.0.0.1:$port"
		ss -Hltn "sport = :$port" | grep -q "\[::1\]:$port"
	done
	# each answers as itself: a key set in one is absent in the other
	redis-cli -p "$a" set who a >/dev/null
	[ "$(redis-cli -p "$a" get who)" = a ]
	[ -z "$(redis-cli -p "$b" get who)" ]
}
