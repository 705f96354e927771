#!/usr/bin/env bats
# python3 -m http.server takes port 0 and prints the port it really got; epr exports it too.
# It also runs side by side told a fixed port, 8000.

load helpers
load servers/servers

# Its own directory to serve, with a page that names it.
prepare_one() {
	mkdir "$1/www"
	echo "http.server of $1" >"$1/www/index.html"
}

# GET / serves the page of the instance of $1.
answers() {
	[ "$(curl -fsS --max-time "$CLIENT_TIMEOUT" "http://127.0.0.1:$2/")" = "http.server of $1" ]
}

@test "4 python3 -m http.server 8000 each serve on their own port; stop leaves nothing" {
	require_server python3 python3
	require_server curl curl
	start_one() {
		epr_start "$1" -p 8000 -- python3 -m http.server 8000 --bind 127.0.0.1 --directory "$1/www"
	}
	prepare_all 4
	side_by_side 4 8000 127.0.0.1
}

@test "4 python3 -m http.server 0 each serve on the port they export; stop leaves nothing" {
	require_server python3 python3
	require_server curl curl
	start_one() {
		epr_start "$1" -- python3 -m http.server 0 --bind 127.0.0.1 --directory "$1/www"
	}
	prepare_all 4
	start_all 4
	ports_distinct
	each_listens_on 127.0.0.1
	each_answers
	stop_all
	all_gone
}
