#!/usr/bin/env bats
# redis-server reads --port 0 as "no TCP at all": only a rewritten sentinel lets several run
# from one command line.

load helpers
load servers/servers

start_one() {
	epr_start "$1" -p 6379 -- redis-server --port 6379 --bind 127.0.0.1 ::1 --dir "$1" \
		--save '' --appendonly no
}

# PING on both addresses, and the server is the one whose directory is $1.
answers() {
	[ "$(timeout "$CLIENT_TIMEOUT" redis-cli -h 127.0.0.1 -p "$2" ping)" = PONG ] &&
		[ "$(timeout "$CLIENT_TIMEOUT" redis-cli -h ::1 -p "$2" ping)" = PONG ] &&
		[ "$(timeout "$CLIENT_TIMEOUT" redis-cli -p "$2" config get dir | sed -n 2p)" = "$1" ]
}

@test "4 redis-servers told --port 6379 each answer PING on their own port; stop leaves nothing" {
	require_server redis-server redis-server
	require_server redis-cli redis-tools
	side_by_side 4 6379 127.0.0.1 ::1
}

@test "24 redis-servers told --port 6379 at once: 24 ports, each answers PING, all stop" {
	require_server redis-server redis-server
	require_server redis-cli redis-tools
	side_by_side 24 6379 127.0.0.1 ::1
}
