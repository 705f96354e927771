#!/bin/sh
# make bench-compare: epr start and epr stop of two builds, side by side in one run, for the
# overheads that bench/launch.sh reports (each against the same server by hand). The rounds
# alternate between the builds, so a noisy neighbour weighs on both alike; the figure per
# build is the median of its runs' medians.
#   bench/compare.sh [-n RUNS] [-r ROUNDS] OLD_BUILD NEW_BUILD
# e.g. git worktree add /tmp/old REV && make -C /tmp/old && bench/compare.sh /tmp/old/build build
set -eu
RUNS=5 ROUNDS=9 AGE=300
while getopts n:r: o; do
	case $o in
	n) RUNS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
OLD=$(cd "${1:?usage: bench/compare.sh [-n RUNS] [-r ROUNDS] OLD_BUILD NEW_BUILD}" && pwd)
NEW=$(cd "${2:?usage: bench/compare.sh [-n RUNS] [-r ROUNDS] OLD_BUILD NEW_BUILD}" && pwd)
[ "$(id -u)" = 0 ] || { echo "bench: needs root for unshare -n (private network namespaces)" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
one() {
	name=$1 sentinel=$2
	shift 2
	command -v "$1" >/dev/null || { printf '%-14s not installed\n' "$name"; return 0; }
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		for which in old new; do
			if [ "$which" = old ]; then b=$OLD; else b=$NEW; fi
			printf '%s %s %s\n' "$name" "$which" \
				"$("$NEW/bench/launch" -r "$ROUNDS" -a "$AGE" "$b/epr" "$sentinel" -- "$@")" >>"$out"
		done
		i=$((i + 1))
	done
}
one redis-server 6379 redis-server --port PORT --bind 127.0.0.1 --save '' --appendonly no
one memcached 11211 memcached -u root -l 127.0.0.1 -p PORT -U 0 -m 8 -t 1
one http.server 8000 /usr/bin/python3 -m http.server PORT --bind 127.0.0.1
printf '\n%-14s %-4s %14s %14s %14s %14s   (median of %s runs of %s rounds each, builds alternating)\n' \
	server build start_overhead stop_overhead start_floor+ stop_floor+ "$RUNS" "$ROUNDS"
sort -k1,1 -k2,2r "$out" | awk '
	function median(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function flush() {
		if (key == "") return
		split(key, k, " ")
		printf "%-14s %-4s %+11.2f ms %+11.2f ms %+11.2f ms %+11.2f ms\n", k[1], k[2], median(st, n) / 1000,
			median(sp, n) / 1000, median(fst, n) / 1000, median(fsp, n) / 1000
	}
	{ if ($1 " " $2 != key) { flush(); key = $1 " " $2; n = 0 }
	  n++; st[n] = $5; sp[n] = $8; fst[n] = $10; fsp[n] = $11 }
	END { flush() }'
