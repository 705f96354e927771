#!/usr/bin/env bats
# libepr.so and UDP: binds to a sentinel are rewritten (its one port serves TCP and UDP),
# exported when bound; binds to port 0 stay the kernel's. Each test runs in its own netns.

load helpers

ECHO=$EPR_BUILD/tests/udp_echo

ASK=$TESTS/progs/udp_ask.py

@test "two UDP servers told sentinel 7 each get their own port, exported once bound, and echo on it" {
	# shellcheck disable=SC2016 # expanded by the inner sh
	run in_netns sh -c '
		for n in a b; do
			EPR_PORTS=7 EPR_ENV_FILE="$3/$n.env" LD_PRELOAD="$2" "$1" -s 60 127.0.0.1:7 "[::1]:7" >"$3/$n.out" &
		done
		for i in $(seq 50); do [ -s "$3/a.env" ] && [ -s "$3/b.env" ] && break; sleep 0.1; done
		for n in a b; do
			p=$(sed -n "s/^EPR_PORT_7=//p" "$3/$n.env")
			echo "$n: port $p, bound: $(awk "{ print \$3 }" "$3/$n.out" | sort -u | tr "\n" " ")"
			echo "$n v4: $("$4" "$p" 127.0.0.1)"
			echo "$n v6: $("$4" "$p" ::1)"
		done
		kill %1 %2' sh "$ECHO" "$LIBEPR" "$BATS_TEST_TMPDIR" "$ASK"
	echo "$output"
	[ "$(grep -c ' v[46]: ping$' <<<"$output")" -eq 4 ]
	a=$(sed -n 's/^a: port \([0-9]*\), bound: \([0-9]*\) $/\1=\2/p' <<<"$output")
	b=$(sed -n 's/^b: port \([0-9]*\), bound: \([0-9]*\) $/\1=\2/p' <<<"$output")
	[ -n "$a" ] && [ -n "$b" ] && [ "${a%=*}" = "${a#*=}" ] && [ "${b%=*}" = "${b#*=}" ]
	[ "${a%=*}" != "${b%=*}" ] && [ "${a%=*}" != 7 ] && [ "${b%=*}" != 7 ]
}

@test "TCP and UDP binds of one sentinel get one port, in either order" {
	for order in "tcp udp" "udp tcp"; do
		read -ra protos <<<"$order"
		run in_netns env EPR_PORTS=53 EPR_ENV_FILE="$BATS_TEST_TMPDIR/dns.env" LD_PRELOAD="$LIBEPR" python3 -c '
import socket, sys
ports = {}
for proto in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 53))
    if proto == "tcp": s.listen(1)
    ports[proto] = s.getsockname()[1]; globals()[proto] = s
print("TCP", ports["tcp"], "UDP", ports["udp"])' "${protos[@]}"
		echo "$order: $output"
		[ "$status" -eq 0 ]
		read -r _ tcp _ udp <<<"$output"
		[ "$tcp" = "$udp" ] && [ "$tcp" != 53 ]
		[ "$(env_value "$BATS_TEST_TMPDIR/dns.env" EPR_PORT_53)" = "$tcp" ]
		[ "$(env_value "$BATS_TEST_TMPDIR/dns.env" EPR_PORT_LIST)" = "$tcp" ]
	done
}

@test "a UDP bind of port 0 is left to the kernel, and exports nothing" {
	run in_netns env EPR_ENV_FILE="$BATS_TEST_TMPDIR/u.env" LD_PRELOAD="$LIBEPR" EPR_DEBUG=1 "$ECHO" -s 0 127.0.0.1:0
	[ "$status" -eq 0 ]
	[[ "$output" == "BOUND 127.0.0.1:0 "* ]] && [[ "$output" != *libepr* ]]
	[ ! -e "$BATS_TEST_TMPDIR/u.env" ]
}

@test "two dnsmasq told port 53 each answer dig over UDP and TCP on their own port" {
	command -v dnsmasq >/dev/null || skip "dnsmasq is not installed"
	command -v dig >/dev/null || skip "dig is not installed (bind9-dnsutils)"
	# shellcheck disable=SC2016 # expanded by the inner sh
	run in_netns sh -c '
		for n in a b; do
			EPR_PORTS=53 EPR_ENV_FILE="$2/$n.env" LD_PRELOAD="$1" timeout 20 dnsmasq --no-daemon \
				--conf-file=/dev/null --no-resolv --no-hosts --user=root --port=53 \
				--listen-address=127.0.0.1 --bind-interfaces --address=/test.epr/127.0.0.9 \
				--pid-file="$2/$n.pid" >"$2/$n.log" 2>&1 &
		done
		for i in $(seq 50); do
			grep -qs "^EPR_PORT_53=" "$2/a.env" && grep -qs "^EPR_PORT_53=" "$2/b.env" && break
			sleep 0.1
		done
		for n in a b; do
			p=$(sed -n "s/^EPR_PORT_53=//p" "$2/$n.env")
			echo "$n port $p"
			echo "$n udp $(dig +short +time=2 +tries=1 @127.0.0.1 -p "$p" test.epr)"
			echo "$n tcp $(dig +short +tcp +time=2 +tries=1 @127.0.0.1 -p "$p" test.epr)"
			ss -Hlun "sport = :$p" | grep -q "127.0.0.1:$p" && echo "$n ss udp"
			ss -Hltn "sport = :$p" | grep -q "127.0.0.1:$p" && echo "$n ss tcp"
		done
		kill %1 %2' sh "$LIBEPR" "$BATS_TEST_TMPDIR"
	echo "$output"
	a=$(awk '$1 == "a" && $2 == "port" { print $3 }' <<<"$output")
	b=$(awk '$1 == "b" && $2 == "port" { print $3 }' <<<"$output")
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] && [ "$a" != 53 ] && [ "$b" != 53 ]
	[ "$(grep -cE '^[ab] (udp|tcp) 127\.0\.0\.9$' <<<"$output")" -eq 4 ]
	[ "$(grep -cE '^[ab] ss (udp|tcp)$' <<<"$output")" -eq 4 ]
}
