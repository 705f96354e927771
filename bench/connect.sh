#!/bin/sh
# The connect benchmarks (issue 19), part 9 of make bench, or alone:
#   bench/connect.sh [--smoke] BUILD_DIR     prints its table (needs root: unshare -n)
# With BENCH_ROWS_ONLY=1 it prints only its rows, and appends each missed target to the file
# $BENCH_MISSED: bench/run.sh puts them in its own table. bench/connect_loop.c times one
# connect() to a loopback listener, in a private network namespace, rounds interleaved:
#   (p1) a pass-through connect (no sentinel) inside epr run -p 3306 (the shim's hook under
#        a supervisor), against the same program without epr: paired median <= 1.05x; the
#        bare shim beside them, for information
#   (p2) a rewritten connect to sentinel 3306 inside epr run -p 3306, after the first one
#        (which asks the supervisor), against a plain connect to a real port in the same
#        process, interleaved: median <= 1.5x
# --smoke: a few samples; checks that every part ran, and judges no time.
set -eu

case "${1:-}" in
_rounds) # ROUNDS N: both parts inside this namespace
	ip link set lo up
	rounds=$2 n=$3 i=0 lib=$CB/libepr.so loop=$CB/bench/connect_loop
	while [ "$i" -lt "$rounds" ]; do
		# ABC, then CBA: no variant always runs first
		if [ $((i % 2)) = 0 ]; then set -- plain epr bare; else set -- bare epr plain; fi
		for v in "$@"; do
			case $v in
			plain) out=$("$loop" "$n") ;;
			epr) out=$("$CB/epr" run -p 3306 --no-zero -- "$loop" "$n") ;;
			bare) out=$(LD_PRELOAD=$lib EPR_PORTS=3306 "$loop" "$n") ;;
			esac
			echo "$i $v $(echo "$out" | awk '$1 == "plain" { print $2 }')"
		done
		"$CB/epr" run -p 3306 -- "$loop" "$n" 3306 |
			awk -v i="$i" '{ v[$1] = $2; f = ($1 == "rewritten" ? $4 : f) }
				END { print i, "rewritten", v["rewritten"], v["plain"], f }'
		i=$((i + 1))
	done
	exit 0 ;;
esac

smoke=0
if [ "${1:-}" = --smoke ]; then
	smoke=1
	shift
fi
CB=$(cd "${1:?usage: bench/connect.sh [--smoke] BUILD_DIR}" && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/connect.sh
[ "$(id -u)" = 0 ] || { echo "bench: needs root for unshare -n (private network namespaces)" >&2; exit 2; }
[ -x "$CB/bench/connect_loop" ] || { echo "bench: $CB/bench/connect_loop is missing" >&2; exit 2; }
if [ "$smoke" = 1 ]; then ROUNDS=2 N=200; else ROUNDS=30 N=3000; fi
CTMP=$(mktemp -d)
trap 'rm -rf "$CTMP"' EXIT
export CB
MISSED=${BENCH_MISSED:-$CTMP/missed}
ROWS=$CTMP/rows
: >"$ROWS" "$CTMP/missed"
# row VALUE TARGET_OP TARGET WHAT FIGURES, as bench/run.sh writes them
row() {
	verdict=info
	if [ -n "$2" ]; then
		if awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN { exit !(op == "<=" ? a <= b : a >= b) }'; then
			verdict=met
		else
			verdict=MISSED
			echo "$4: $1, target $2 $3" >>"$MISSED"
		fi
		[ "$smoke" = 0 ] || verdict="($verdict)"
	fi
	printf '| %s | %s | %s | %s | %s |\n' "$(awk -v r="$1" 'BEGIN { printf "%.2fx", r }')" \
		"${2:+$2 $3}" "$verdict" "$4" "$5" >>"$ROWS"
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'; }
# paired A B: the median over rounds of A / B from the same round
paired() {
	awk -v a="$1" -v b="$2" '$2 == a { x[$1] = $3 } $2 == b { y[$1] = $3 }
		END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' "$CTMP/rounds" | median
}
med() { awk -v m="$1" -v c="${2:-3}" '$2 == m { print $c }' "$CTMP/rounds" | median; }
us() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1000 }'; }

printf '%s\n' "9 connects (bench/connect.sh): $ROUNDS rounds x $N connects per variant" >&2
unshare -n sh "$SELF" _rounds "$ROUNDS" "$N" >"$CTMP/rounds"
for v in plain epr bare rewritten; do
	[ "$(med "$v")" != nan ] || { echo "bench: connect: variant $v did not run" >&2; exit 1; }
done
row "$(paired epr plain)" '<=' 1.05 \
	"(p1) pass-through connect() inside epr run -p 3306 / without epr (paired median)" \
	"epr $(us "$(med epr)") µs, plain $(us "$(med plain)") µs, bare shim (EPR_PORTS=3306) $(us "$(med bare)") µs"
c2=$(awk '$2 == "rewritten" && $4 > 0 { print $3 / $4 }' "$CTMP/rounds" | median)
row "$c2" '<=' 1.5 \
	"(p2) rewritten connect() to sentinel 3306, after the first / plain connect to a real port, one process (median)" \
	"rewritten $(us "$(med rewritten)") µs, plain $(us "$(med rewritten 4)") µs; the first (asks the supervisor) $(us "$(med rewritten 5)") µs"

if [ "${BENCH_ROWS_ONLY:-}" = 1 ]; then
	cat "$ROWS"
	exit 0
fi
echo
echo "epr connect benchmarks$([ "$smoke" = 1 ] && echo ' (smoke: too few samples to judge times)'): $(nproc) cores, $(uname -sr)"
echo
echo "| ratio | target | result | measure | figures |"
echo "|---|---|---|---|---|"
cat "$ROWS"
echo
if [ "$smoke" = 1 ]; then
	echo "smoke: every part ran; times are not judged on so few samples"
	exit 0
fi
if [ -s "$MISSED" ]; then
	sed 's/^/MISSED: /' "$MISSED"
	exit 1
fi
echo "all targets met"
