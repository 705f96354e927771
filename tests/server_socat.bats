#!/usr/bin/env bats
# socat TCP-LISTEN does not set SO_REUSEADDR, which binding a port held in TIME_WAIT needs:
# the shim sets it. Each instance answers every connection with the name of its directory.

load helpers
load servers/servers

prepare_one() {
	echo "socat of $1" >"$1/id"
}

answers() {
	[ "$(timeout "$CLIENT_TIMEOUT" socat -t 5 - "TCP:127.0.0.1:$2" </dev/null)" = "socat of $1" ]
}

@test "4 socat TCP-LISTEN:7000 each answer on their own port; stop leaves nothing" {
	require_server socat socat
	start_one() {
		epr_start "$1" -p 7000 -- socat TCP-LISTEN:7000,bind=127.0.0.1,fork SYSTEM:"cat '$1/id'"
	}
	prepare_all 4
	side_by_side 4 7000 127.0.0.1
}

@test "4 socat TCP-LISTEN:0 each answer on the port they export; stop leaves nothing" {
	require_server socat socat
	start_one() {
		epr_start "$1" -- socat TCP-LISTEN:0,bind=127.0.0.1,fork SYSTEM:"cat '$1/id'"
	}
	prepare_all 4
	start_all 4
	ports_distinct
	each_listens_on 127.0.0.1
	each_answers
	stop_all
	all_gone
}
