#!/usr/bin/env bash
# A shell test fixture: run CMD with a redis-server of its own, on a free port.
#
#   examples/with-redis.sh CMD [ARG...]
#
# starts redis-server told --port 6379 through epr, runs CMD with REDIS_PORT and REDIS_URL
# set to where it really listens, and stops the server when CMD ends, fails or is
# interrupted. Exits with CMD's status.
set -euo pipefail
epr=${EPR_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/epr}

if [ $# -eq 0 ]; then
	echo "usage: $0 CMD [ARG...]" >&2
	exit 2
fi

dir=$(mktemp -d)
# The trap is set before the start: a start interrupted half way leaves nothing either.
stop() {
	[ ! -e "$dir/redis.env" ] || "$epr" stop "$dir/redis.env" >/dev/null
	rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# epr start prints EPR_PORT=..., EPR_PID=... lines: eval them once it has succeeded
# (eval "" would succeed too). --owner $$: should this script be SIGKILLed, when no trap
# runs, the server goes with it all the same.
launch=$("$epr" start -p 6379 -e "$dir/redis.env" -t 30 --owner $$ -- redis-server --port 6379 \
	--bind 127.0.0.1 ::1 --dir "$dir" --save '' --appendonly no) || exit 1
eval "$launch"

export REDIS_PORT=$EPR_PORT REDIS_URL=redis://127.0.0.1:$EPR_PORT/0
"$@"
