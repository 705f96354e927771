#!/bin/sh
# make bench (and bench-smoke): what epr start and epr stop add to a real server's own start
# and stop, side by side with the same server started by hand (bench/launch.c), medians of
# paired differences. Targets: start overhead <= 1 ms, stop overhead <= 2 ms.
#   bench/launch.sh [--smoke] BUILD_DIR
set -eu
smoke=0
if [ "${1:-}" = --smoke ]; then
	smoke=1
	shift
fi
B=$(cd "${1:?usage: bench/launch.sh [--smoke] BUILD_DIR}" && pwd)
[ "$(id -u)" = 0 ] || { echo "bench: needs root for unshare -n (private network namespaces)" >&2; exit 2; }
if [ "$smoke" = 1 ]; then ROUNDS=2 AGE=30; else ROUNDS=15 AGE=300; fi
missed=0
printf '\n%-18s %12s %12s %12s   %12s %12s %12s\n' server start_hand start_epr "overhead" \
	stop_hand stop_epr "overhead"
run() {
	name=$1 sentinel=$2
	shift 2
	command -v "$1" >/dev/null || { printf '%-18s not installed\n' "$name"; return 0; }
	# shellcheck disable=SC2046 # six numbers, split on purpose
	set -- $("$B/bench/launch" -r "$ROUNDS" -a "$AGE" "$B/epr" "$sentinel" -- "$@")
	echo "$name $*" | awk '{ printf "%-18s %9.2f ms %9.2f ms %+9.2f ms   %9.2f ms %9.2f ms %+9.2f ms\n",
		$1, $2 / 1000, $3 / 1000, $4 / 1000, $5 / 1000, $6 / 1000, $7 / 1000 }'
	[ "$smoke" = 1 ] && return 0
	[ "$3" -le 1000 ] || { echo "  missed: $name start overhead $3 us > 1000 us"; missed=1; }
	[ "$6" -le 2000 ] || { echo "  missed: $name stop overhead $6 us > 2000 us"; missed=1; }
}
run redis-server 6379 redis-server --port PORT --bind 127.0.0.1 --save '' --appendonly no
run memcached 11211 memcached -u root -l 127.0.0.1 -p PORT -U 0 -m 8 -t 1
run "http.server" 8000 /usr/bin/python3 -m http.server PORT --bind 127.0.0.1
printf '(medians of %s rounds, each arm stopping its server %s ms after spawning it)\n' "$ROUNDS" "$AGE"
exit "$missed"
