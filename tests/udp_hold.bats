#!/usr/bin/env bats
# A launch holds the UDP side of a sentinel's port from its reservation until the server's
# UDP bind of it: no UDP autobind on the host (sendto from an unbound socket, bind to port
# 0) may take it in between. Each test runs in its own netns, with a narrowed port range.

load helpers

setup() {
	launch_setup
	# the trigger file, where a server that runs as nobody can see it (the test's own
	# directory is private)
	GO_DIR=$(mktemp -d /tmp/udp_hold.XXXXXX)
	chmod 755 "$GO_DIR"
}

teardown() {
	launch_teardown
	rm -rf "$GO_DIR"
}

# Takes every UDP port autobind hands out (sendto from unbound sockets, then binds to port
# 0), keeps them, writes their numbers to $1, and waits to be killed.
GRAB='
import socket, sys, time
held, ports = [], []
for i in range(64):
    s = socket.socket(socket.AF_INET6 if i % 4 == 3 else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        if i < 32:
            s.sendto(b"x", ("127.0.0.1", 9))
        else:
            s.bind(("::" if i % 4 == 3 else "0.0.0.0", 0))
    except OSError:
        continue
    held.append(s); ports.append(s.getsockname()[1])
open(sys.argv[1], "w").write(" ".join(map(str, sorted(set(ports)))) + "\n")
time.sleep(60)'

# Sends "ping" to 127.0.0.1:$1 from port 50000 (outside the narrowed range, all taken) and
# prints the answer.
ASK='
import socket, sys
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.bind(("127.0.0.1", 50000)); c.settimeout(5)
c.sendto(b"ping", ("127.0.0.1", int(sys.argv[1])))
try:
    print("answer", c.recvfrom(100)[0].decode())
except OSError as e:
    print("no answer:", e)'

# Runs the server ("$@" before it: how) under epr start -p 5353 in a netns whose port range
# is 40000-40007, takes every other UDP port with autobinds, then lets the server bind UDP.
# --real-ports: the server logs the real port it bound, not the sentinel.
late_udp_bind() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	run in_netns sh -c '
		epr=$1 dir=$2 prog=$3 grab=$4 ask=$5 go=$6/go
		shift 6
		echo "40000 40007" >/proc/sys/net/ipv4/ip_local_port_range
		eval "$("$epr" start --real-ports -p 5353 -l "$dir/server.log" -e "$dir/s.env" -- \
			"$@" python3 "$prog" 5353 "$go")" || exit 1
		p=$EPR_PORT_5353
		echo "port $p"
		python3 -c "$grab" "$dir/grabbed" 3>&- &
		grabber=$!
		for i in $(seq 100); do [ -s "$dir/grabbed" ] && break; sleep 0.1; done
		echo "autobinds got: $(cat "$dir/grabbed")"
		touch "$go"
		for i in $(seq 100); do grep -qs "^UDP" "$dir/server.log" && break; sleep 0.1; done
		grep "^UDP" "$dir/server.log"
		python3 -c "$ask" "$p"
		echo "UDP sockets on the port: $(ss -Huan "sport = :$p" | wc -l)"
		"$epr" stop "$dir/s.env" >/dev/null
		kill "$grabber"' sh "$EPR_BIN" "$BATS_TEST_TMPDIR" "$TESTS/progs/udp_late_bind.py" "$GRAB" "$ASK" \
		"$GO_DIR" "$@"
	echo "$output"
	p=$(sed -n 's/^port //p' <<<"$output")
	[ -n "$p" ] && [ "$p" -ge 40000 ] && [ "$p" -le 40007 ]
	# every other port of the range went to the autobinds, and the sentinel's did not
	[ "$(sed -n 's/^autobinds got: //p' <<<"$output" | wc -w)" -eq 7 ]
	grabbed=$(sed -n 's/^autobinds got: //p' <<<"$output")
	[[ " $grabbed " != *" $p "* ]]
	grep -qx "UDP bound $p" <<<"$output"
	grep -qx "answer ping" <<<"$output"
	# the supervisor's holders are gone: the server's socket is the port's only one
	grep -qx "UDP sockets on the port: 1" <<<"$output"
}

@test "a late UDP bind of a sentinel gets its port although UDP autobinds took every other one" {
	late_udp_bind
}

@test "the same for a server that runs as nobody (the supervisor's hold is root's)" {
	PATH=/usr/bin:$PATH late_udp_bind setpriv --reuid=nobody --regid=nogroup --clear-groups
}
