#!/usr/bin/env bats
# Servers that cross process edges: daemons that fork away from epr start, a server that
# drops root before it listens, and a master whose workers serve its socket. Each started 4
# times at once, told the same port, checked from outside, stopped, and gone.

load helpers
load servers/servers

@test "4 redis-servers --daemonize yes: start is ready, each answers, stop ends the daemons" {
	require_server redis-server redis-server
	require_server redis-cli redis-tools
	start_one() {
		epr_start "$1" -p 6379 -- redis-server --port 6379 --bind 127.0.0.1 ::1 --dir "$1" \
			--save '' --appendonly no --daemonize yes --pidfile "$1/redis.pid"
	}
	answers() {
		[ "$(timeout "$CLIENT_TIMEOUT" redis-cli -p "$2" ping)" = PONG ] &&
			[ "$(timeout "$CLIENT_TIMEOUT" redis-cli -p "$2" config get dir | sed -n 2p)" = "$1" ] &&
			# the one answering is the daemon, not the command epr started
			[ "$(cat "$1/redis.pid")" != "$(env_value "$1/env" EPR_PID)" ]
	}
	side_by_side 4 6379 127.0.0.1 ::1
}

@test "4 memcached -d: each answers version on its own port; stop ends the daemons" {
	require_server memcached memcached
	require_server socat socat
	start_one() {
		epr_start "$1" -p 11211 -- memcached -d -u root -l 127.0.0.1 -p 11211 -U 0 -m 8 -c 64 \
			-t 1 -P "$1/memcached.pid"
	}
	answers() {
		printf 'stats\r\nquit\r\n' | timeout "$CLIENT_TIMEOUT" socat - "TCP:127.0.0.1:$2" |
			grep -qx "STAT pid $(cat "$1/memcached.pid")"$'\r'
	}
	side_by_side 4 11211 127.0.0.1
}

@test "4 postgres through pg_ctl -w start: each answers select 1; stop ends the postmasters" {
	PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	require_server "$PG_BIN/pg_ctl" postgresql
	require_server psql postgresql-client
	AS_POSTGRES=()
	[ "$(id -u)" -ne 0 ] || AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --init-groups --)
	prepare_one() {
		[ "$(id -u)" -ne 0 ] || chown postgres: "$1"
		"${AS_POSTGRES[@]}" "$PG_BIN/initdb" -D "$1/data" -U postgres --auth=trust --no-sync \
			--no-instructions
	}
	start_one() {
		epr_start "$1" -p 5432 -- "${AS_POSTGRES[@]}" "$PG_BIN/pg_ctl" -w -t 60 -D "$1/data" \
			-l "$1/postgres.log" -o "-p 5432 -h 127.0.0.1,::1 -k $1" start
	}
	answers() {
		local client=(env PGCONNECT_TIMEOUT=5 timeout "$CLIENT_TIMEOUT" psql -X -U postgres -p "$2" -At)
		[ "$("${client[@]}" -h 127.0.0.1 -c 'show data_directory')" = "$1/data" ] &&
			[ "$("${client[@]}" -h ::1 -c 'select 1')" = 1 ]
	}
	prepare_all 4
	side_by_side 4 5432 127.0.0.1 ::1
}

@test "4 mosquittos as root with no config file drop to their user, and each answers CONNECT" {
	[ "$(id -u)" -eq 0 ] || skip "mosquitto drops privileges only when started as root"
	require_server mosquitto mosquitto
	require_server socat socat
	start_one() {
		epr_start "$1" -p 1883 -- mosquitto
	}
	# an MQTT 3.1.1 CONNECT gets CONNACK "accepted" (20 02 00 00), from a server not running as root
	answers() {
		local pid
		[ "$(printf '\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00' |
			timeout "$CLIENT_TIMEOUT" socat -t2 - "TCP:127.0.0.1:$2" | od -An -tx1 | tr -d ' \n')" = 20020000 ] &&
			pid=$(env_value "$1/env" EPR_PID) &&
			[ "$(ps -o user= -p "$pid" | tr -d ' ')" = mosquitto ]
	}
	side_by_side 4 1883 127.0.0.1 ::1
}

@test "4 gunicorns with 2 workers each: one port per instance, both workers serve it" {
	require_server gunicorn gunicorn
	start_one() {
		epr_start "$1" -p 8000 -- gunicorn -w 2 -b 127.0.0.1:8000 --chdir "$TESTS/servers" \
			--pid "$1/gunicorn.pid" wsgi_app:app
	}
	# both workers answer (their pids differ from the master's), on the instance's port
	answers() {
		local i pids
		pids=$(for ((i = 0; i < 40; i++)); do
			curl -fsS --max-time 5 "http://127.0.0.1:$2/"
		done | sort -u)
		[ "$(wc -l <<<"$pids")" -eq 2 ] && ! grep -qx "$(cat "$1/gunicorn.pid")" <<<"$pids"
	}
	start_all 4 8000
	# the workers fork after the master listens, which made the launch ready
	for dir in "${INSTANCES[@]}"; do
		for ((i = 0; i < 100; i++)); do
			[ "$(pgrep -c -P "$(env_value "$dir/env" EPR_PID)")" -ge 2 ] && break
			sleep 0.1
		done
		remember_pids "$dir"
	done
	ports_distinct 8000
	each_listens_on 127.0.0.1
	each_answers
	sentinel_not_ours 8000
	stop_all
	all_gone
}
