#!/usr/bin/env bats
# mariadbd reads --port=0 as "the default, 3306": only a rewritten sentinel lets several run
# from one command line. Each has its own data directory, made by mariadb-install-db.

load helpers
load servers/servers

# Each has its own --tmpdir too: installs run side by side would share /tmp's temporary tables.
prepare_one() {
	mkdir "$1/tmp"
	mariadb-install-db --no-defaults --datadir="$1/data" --tmpdir="$1/tmp" --user=root \
		--auth-root-authentication-method=normal --skip-test-db --innodb-log-file-size=8M
}

start_one() {
	epr_start "$1" -p 3306 -- mariadbd --no-defaults --datadir="$1/data" --socket="$1/mysqld.sock" \
		--pid-file="$1/mysqld.pid" --tmpdir="$1/tmp" --user=root --port=3306 --bind-address=127.0.0.1,::1 \
		--innodb-log-file-size=8M --innodb-buffer-pool-size=16M --skip-log-bin
}

# select 1 on both addresses, and the server is the one whose data directory is in $1.
answers() {
	local client=(timeout "$CLIENT_TIMEOUT" mariadb --no-defaults -u root -P "$2" -N -B)
	[ "$("${client[@]}" -h 127.0.0.1 -e 'select 1')" = 1 ] &&
		[ "$("${client[@]}" -h ::1 -e 'select 1')" = 1 ] &&
		[ "$("${client[@]}" -h 127.0.0.1 -e 'select @@datadir')" = "$1/data/" ]
}

@test "4 mariadbds told --port=3306 each answer select 1 on their own port; stop leaves nothing" {
	require_server mariadbd mariadb-server
	require_server mariadb-install-db mariadb-server
	require_server mariadb mariadb-client
	prepare_all 4
	side_by_side 4 3306 127.0.0.1 ::1
}
