#!/usr/bin/env bats
# memcached reads -p 0 as "no TCP", silently: only a rewritten sentinel lets several run from
# one command line.

load helpers
load servers/servers

start_one() {
	epr_start "$1" -p 11211 -- memcached -u root -l '127.0.0.1,[::1]' -p 11211 -U 0 -m 8 -c 64 -t 1
}

# version on both addresses, and stats names the instance's own pid (its EPR_PID).
answers() {
	local client=(timeout "$CLIENT_TIMEOUT" socat -t 5 -)
	[[ $(printf 'version\r\nquit\r\n' | "${client[@]}" "TCP:127.0.0.1:$2") == VERSION* ]] &&
		[[ $(printf 'version\r\nquit\r\n' | "${client[@]}" "TCP:[::1]:$2") == VERSION* ]] &&
		printf 'stats\r\nquit\r\n' | "${client[@]}" "TCP:127.0.0.1:$2" |
		grep -qx "STAT pid $(env_value "$1/env" EPR_PID)"$'\r'
}

@test "4 memcacheds told -p 11211 each answer version on their own port; stop leaves nothing" {
	require_server memcached memcached
	require_server socat socat
	side_by_side 4 11211 127.0.0.1 ::1
}
