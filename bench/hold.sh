#!/bin/sh
# The hold's benchmarks (issue 21), part 8 of make bench, or alone:
#   bench/hold.sh [--smoke] BUILD_DIR        prints its table (needs root: unshare -n)
# With BENCH_ROWS_ONLY=1 it prints only its rows, and appends each missed target to the file
# $BENCH_MISSED: bench/run.sh puts them in its own table.
#   (a) SO_REUSEADDR binds of a held port at random moments over 135 s (more than two
#       renewals), with bind(0) and outgoing connects in between: 0 may fail, and the kernel
#       must never hand the port out
#   (b) failed binds of 200 clients at once under bind(0) churn, 5 trials: epr portserver
#       (through epr reserve, and through portpicker), portpicker's own portserver, and
#       portpicker without a server
#   (c) the cost of a port: from the portserver, against epr reserve
set -eu

# ---- internal entry points, each run inside a fresh network namespace by unshare -n ----
case "${1:-}" in
_bind) # N SECONDS: hold a port, narrow the range around it, and bind it at random moments
	ip link set lo up
	port=$("$HB/epr" reserve --hold-for $$)
	echo "$((port - 50)) $((port + 50))" >/proc/sys/net/ipv4/ip_local_port_range
	"$HB/bench/hold" bind "$port" "$2" "$3"
	exit 0 ;;
_collide) # VARIANT: $HOLD_TRIALS trials of $HOLD_PROCS clients, churn running
	ip link set lo up
	variant=$2
	case $variant in
	epr-reserve | portpicker-epr)
		"$HB/epr" portserver @bench 2>"$HOLD_TMP/server.$variant" &
		server=$! ;;
	portpicker-own)
		"$HOLD_PY" /usr/bin/portserver --portserver_address=@bench 2>"$HOLD_TMP/server.$variant" &
		server=$! ;;
	*) server="" ;;
	esac
	i=0
	while [ "$i" -lt 50 ] && [ -n "$server" ] && ! grep -q 'erving on' "$HOLD_TMP/server.$variant"; do
		sleep 0.1
		i=$((i + 1))
	done
	"$HB/bench/churn" -r 2000 -k 64 -t 300 >/dev/null &
	churn=$!
	# get a port from "$@", then exec serve on it; the client's pid is this sh, serve's too
	# shellcheck disable=SC2016 # expanded by the inner sh
	get_then_serve='serve=$1 hold=$2; shift 2; p=$("$@") || exit 3; exec "$serve" 127.0.0.1 "$p" "$hold"'
	ask='import os, portpicker; print(portpicker.pick_unused_port(pid=os.getppid()))'
	trial=1
	while [ "$trial" -le "$HOLD_TRIALS" ]; do
		case $variant in
		epr-reserve) set -- PORTSERVER_ADDRESS=@bench /bin/sh -c "$get_then_serve" sh "$HB/bench/serve" 500 "$HB/epr" reserve ;;
		portpicker-epr | portpicker-own) set -- PORTSERVER_ADDRESS=@bench /bin/sh -c "$get_then_serve" sh "$HB/bench/serve" 500 "$HOLD_PY" -c "$ask" ;;
		portpicker-alone) set -- /bin/sh -c "$get_then_serve" sh "$HB/bench/serve" 500 "$HOLD_PY" -c "$ask" ;;
		esac
		"$HB/bench/collide" -n "$HOLD_PROCS" -d 200 -s "$trial" -t 60 "$@" 2>>"$HOLD_TMP/collide.err"
		trial=$((trial + 1))
	done
	kill "$churn" $server 2>/dev/null || true
	wait "$churn" || true
	exit 0 ;;
_cost) # ROUNDS N: whole process and in-process, with the portserver running
	ip link set lo up
	"$HB/epr" portserver @bench 2>/dev/null &
	server=$!
	sleep 0.5
	"$HB/bench/spawn" -r "$2" -- reserve "$HB/epr" reserve \
		-- portserver PORTSERVER_ADDRESS=@bench "$HB/epr" reserve
	PORTSERVER_ADDRESS=@bench "$HB/bench/hold" cost "$3"
	kill "$server"
	exit 0 ;;
esac

# ---- the orchestration ----
smoke=0
if [ "${1:-}" = --smoke ]; then
	smoke=1
	shift
fi
HB=$(cd "${1:?usage: bench/hold.sh [--smoke] BUILD_DIR}" && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/hold.sh
HOLD_PY=/usr/bin/python3 # Debian's: python3-portpicker and python3-psutil
[ "$(id -u)" = 0 ] || { echo "bench: needs root for unshare -n (private network namespaces)" >&2; exit 2; }
if [ "$smoke" = 1 ]; then
	BINDS=200 SECONDS_=5 HOLD_PROCS=20 HOLD_TRIALS=1 COST_ROUNDS=5 COST_N=50
else
	BINDS=10000 SECONDS_=135 HOLD_PROCS=200 HOLD_TRIALS=5 COST_ROUNDS=100 COST_N=500
fi
HOLD_TMP=$(mktemp -d)
trap 'rm -rf "$HOLD_TMP"' EXIT
export HB HOLD_TMP HOLD_PY HOLD_PROCS HOLD_TRIALS
say() { printf '%s\n' "$*" >&2; }
MISSED=${BENCH_MISSED:-$HOLD_TMP/missed}
ROWS=$HOLD_TMP/rows
: >"$ROWS"
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
	printf '| %s | %s | %s | %s | %s |\n' "$1" "${2:+$2 $3}" "$verdict" "$4" "$5" >>"$ROWS"
}

say "8 holds (bench/hold.sh): $BINDS binds over ${SECONDS_}s; collisions ($HOLD_TRIALS x $HOLD_PROCS); cost"
VARIANTS="epr-reserve portpicker-epr portpicker-alone"
if "$HOLD_PY" -c 'import portpicker' 2>/dev/null; then
	if "$HOLD_PY" -c 'import psutil' 2>/dev/null && [ -f /usr/bin/portserver ]; then
		VARIANTS="$VARIANTS portpicker-own"
	else
		say "bench: portpicker's own portserver: not measured (needs python3-psutil: make deps)"
	fi
else
	say "bench: portpicker: not measured (no python3-portpicker: make deps)"
	VARIANTS=epr-reserve
fi
# the three parts side by side: (a) runs while (b) and (c) go on, each in its own namespace
unshare -n sh "$SELF" _bind "$BINDS" "$SECONDS_" >"$HOLD_TMP/bind" 2>"$HOLD_TMP/bind.err" &
bind_job=$!
for v in $VARIANTS; do
	unshare -n sh "$SELF" _collide "$v" >"$HOLD_TMP/collide.$v"
done
unshare -n sh "$SELF" _cost "$COST_ROUNDS" "$COST_N" >"$HOLD_TMP/cost"
wait "$bind_job"

read -r _ rfail _ rn _ zhit _ zn _ chit _ cn _ secs <"$HOLD_TMP/bind"
row "$rfail" '<=' 0 "(h1) SO_REUSEADDR binds of a held port that failed" \
	"of $rn, at random moments over ${secs} s (renewed every 20 s; TIME_WAIT is 60 s)"
row "$((zhit + chit))" '<=' 0 "(h1') times the kernel handed the held port out meanwhile" \
	"bind(0): $zhit of $zn; outgoing connect: $chit of $cn (ip_local_port_range: the port ± 50)"
total=$((HOLD_PROCS * HOLD_TRIALS))
for v in $VARIANTS; do
	fails=$(awk '{ f += $6 + $8 + $10 } END { print f + 0 }' "$HOLD_TMP/collide.$v")
	per=$(awk '{ printf "%s%d", (NR > 1 ? "," : ""), $6 + $8 + $10 }' "$HOLD_TMP/collide.$v")
	case $v in
	epr-reserve) row "$fails" '<=' 0 "(h2) collisions: epr portserver, through epr reserve" "of $total; per trial $per" ;;
	portpicker-epr) row "$fails" '<=' 0 "(h2) collisions: epr portserver, through portpicker.pick_unused_port()" "of $total; per trial $per" ;;
	portpicker-own) row "$fails" '' '' "(h2) collisions: portpicker's own portserver (/usr/bin/portserver, pool 15000-24999)" "of $total; per trial $per" ;;
	portpicker-alone) row "$fails" '' '' "(h2) collisions: portpicker.pick_unused_port() without a server" "of $total; per trial $per" ;;
	esac
done
c() { awk -v n="$1" -v k="$2" '$1 == n { print $k }' "$HOLD_TMP/cost"; }
row "$(awk -v a="$(c portserver 2)" -v b="$(c reserve 2)" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')" \
	'' '' "(h3) cost per port, whole process: epr reserve through the portserver / alone (median)" \
	"$(c portserver 2) µs vs $(c reserve 2) µs"
row "$(awk -v a="$(c cost 3)" -v b="$(c cost 5)" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')" \
	'' '' "(h3') cost per port, in-process: a portserver request / reserve_port() (median)" \
	"$(awk -v n="$(c cost 3)" 'BEGIN { printf "%.1f", n / 1000 }') µs vs $(awk -v n="$(c cost 5)" 'BEGIN { printf "%.1f", n / 1000 }') µs"

if [ "${BENCH_ROWS_ONLY:-}" = 1 ]; then
	cat "$ROWS"
	exit 0
fi
echo
echo "epr hold benchmarks$([ "$smoke" = 1 ] && echo ' (smoke)'): $(nproc) cores, $(uname -sr)"
echo
echo "| value | target | result | measure | figures |"
echo "|---|---|---|---|---|"
cat "$ROWS"
echo
if [ -s "$MISSED" ]; then
	sed 's/^/MISSED: /' "$MISSED"
	exit 1
fi
echo "all targets met"
