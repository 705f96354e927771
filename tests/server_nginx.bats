#!/usr/bin/env bats
# nginx rejects "listen 127.0.0.1:0": only a rewritten sentinel lets several run from one
# configuration. Each gets its own prefix directory, with tests/servers/nginx.conf in it.

load helpers
load servers/servers

prepare_one() {
	mkdir -p "$1/html" "$1/tmp"
	cp "$TESTS/servers/nginx.conf" "$1/nginx.conf"
	echo "nginx of $1" >"$1/html/index.html"
}

start_one() {
	epr_start "$1" -p 80 -- "$NGINX" -p "$1" -c nginx.conf -e stderr
}

# GET / on both addresses serves the page of the instance of $1.
answers() {
	[ "$(curl -fsS --max-time "$CLIENT_TIMEOUT" "http://127.0.0.1:$2/")" = "nginx of $1" ] &&
		[ "$(curl -fsS --max-time "$CLIENT_TIMEOUT" "http://[::1]:$2/")" = "nginx of $1" ]
}

@test "4 nginxes listening on 127.0.0.1:80 and [::1]:80 each serve on their own port; stop leaves nothing" {
	# nginx lives in /usr/sbin, which a user's PATH may lack
	NGINX=$(PATH=$PATH:/usr/sbin command -v nginx) || true
	require_server "${NGINX:-nginx}" nginx
	require_server curl curl
	prepare_all 4
	side_by_side 4 80 127.0.0.1 ::1
}
