#!/usr/bin/env bash
# The 30-second demo: two redis-servers started with the same command line, both asking
# for port 6379, each on its own free port; a client reaches each one. Then both stop.
set -euo pipefail
epr=${EPR_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/epr}

start_one() {
	"$epr" start -p 6379 -- redis-server --port 6379 --bind 127.0.0.1 ::1 --save '' --appendonly no
}

a=$(start_one)
b=$(start_one)
port_a=$(sed -n 's/^EPR_PORT=//p' <<<"$a")
port_b=$(sed -n 's/^EPR_PORT=//p' <<<"$b")
trap '"$epr" stop "$(sed -n "s/^EPR_FILE=//p" <<<"$a")"; "$epr" stop "$(sed -n "s/^EPR_FILE=//p" <<<"$b")"' EXIT

echo "Both servers were told: --port 6379"
for port in "$port_a" "$port_b"; do
	printf 'redis-server on 127.0.0.1:%s and [::1]:%s answers %s\n' "$port" "$port" \
		"$(redis-cli -h 127.0.0.1 -p "$port" ping)"
done
echo "What the kernel sees (ss -ltn):"
ss -Hltn "( sport = :$port_a or sport = :$port_b )"
