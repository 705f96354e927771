#!/usr/bin/env bats
# postgres refuses -p 0: only a rewritten sentinel lets several run from one command line.
# Each has its own data directory (initdb) and its own -k socket directory. postgres will not
# run as root, so as root the tests run it as the postgres user, and its instance directory,
# where it writes its env file, belongs to that user.

load helpers
load servers/servers

# As root, postgres runs as the postgres user; else as ourselves. setpriv execs, where
# runuser would stay in between: epr stop's SIGTERM then reaches postgres itself, and no
# runuser SIGKILLs it 2 s later in the middle of its shutdown checkpoint.
AS_POSTGRES=()
[ "$(id -u)" -ne 0 ] || AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --init-groups --)

prepare_one() {
	[ "$(id -u)" -ne 0 ] || chown postgres: "$1"
	"${AS_POSTGRES[@]}" "$PG_BIN/initdb" -D "$1/data" -U postgres --auth=trust --no-sync --no-instructions
}

start_one() {
	epr_start "$1" -p 5432 -- "${AS_POSTGRES[@]}" "$PG_BIN/postgres" -D "$1/data" -p 5432 -h 127.0.0.1,::1 -k "$1"
}

# select 1 on both addresses, and the server is the one whose data directory is in $1.
answers() {
	local client=(env PGCONNECT_TIMEOUT=5 timeout "$CLIENT_TIMEOUT" psql -X -U postgres -p "$2" -At)
	[ "$("${client[@]}" -h 127.0.0.1 -c 'select 1')" = 1 ] &&
		[ "$("${client[@]}" -h ::1 -c 'select 1')" = 1 ] &&
		[ "$("${client[@]}" -h 127.0.0.1 -c 'show data_directory')" = "$1/data" ]
}

@test "4 postgreses told -p 5432 each answer select 1 on their own port; stop leaves nothing" {
	# the newest installed major version
	PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	require_server "$PG_BIN/postgres" postgresql
	require_server psql postgresql-client
	[ "$(id -u)" -ne 0 ] || require_server setpriv util-linux
	prepare_all 4
	side_by_side 4 5432 127.0.0.1 ::1
}
