#!/bin/sh
# make bench / make bench-smoke: run every benchmark of issue 5 (and the parts of later
# issues: holds, bench/hold.sh; connects, bench/connect.sh), print one table (ratios
# first), and exit 1 naming each target that was missed. Needs root (unshare -n).
#   bench/run.sh [--smoke] BUILD_DIR
# --smoke: the same code paths with a few samples, for CI. Its timings are too few to judge,
# so it checks only that every part ran and that (b), (c) and the holds' (h) had no collision.
set -eu

# The peers, as a whole process that prints one port (bench/RESULTS.md, "Peers").
PORTPICKER_CODE='import portpicker; print(portpicker.pick_unused_port())'
PORTFOR_CODE='import port_for; print(port_for.select_random())'
# shellcheck disable=SC2089,SC2090 # node code, passed as one argument
GETPORT_CODE='require("get-port")().then((p) => console.log(p))'

# ---- internal entry points, each run inside a fresh network namespace by unshare -n ----
lo_up() {
	ip link set lo up
	[ -z "${BENCH_RANGE:-}" ] || echo "$BENCH_RANGE" >/proc/sys/net/ipv4/ip_local_port_range
}

case "${1:-}" in
_collide) # VARIANT: $BENCH_TRIALS trials of $BENCH_PROCS processes, churn running
	lo_up
	bin=$BENCH_B/bench variant=$2
	"$bin/churn" -r 2000 -k 64 -t 120 >"$BENCH_TMP/churn.$variant" &
	churn=$!
	# get a port from "$@", then exec serve on it: the gap a real harness has
	# shellcheck disable=SC2016 # expanded by the inner sh
	get_then_serve='serve=$1 hold=$2; shift 2; p=$("$@") || exit 3; exec "$serve" 127.0.0.1 "$p" "$hold"'
	trial=1
	while [ "$trial" -le "$BENCH_TRIALS" ]; do
		case $variant in
		naive) set -- /bin/sh -c "$get_then_serve" sh "$bin/serve" 500 "$bin/naive_port" ;;
		epr) set -- /bin/sh -c "$get_then_serve" sh "$bin/serve" 500 "$BENCH_B/epr" reserve ;;
		sentinel) set -- LD_PRELOAD="$BENCH_B/libepr.so" EPR_PORTS=3306 "$bin/serve" 127.0.0.1 3306 500 ;;
		zero) set -- LD_PRELOAD="$BENCH_B/libepr.so" "$bin/serve" 127.0.0.1 0 500 ;;
		classic) set -- /bin/sh -c "$get_then_serve" sh "$bin/serve" 500 "$BENCH_PY" "$BENCH_DIR/classic_reserve.py" ;;
		portpicker) set -- /bin/sh -c "$get_then_serve" sh "$bin/serve" 500 "$BENCH_PY" -c "$PORTPICKER_CODE" ;;
		port-for) set -- /bin/sh -c "$get_then_serve" sh "$bin/serve" 500 "$BENCH_PY" -c "$PORTFOR_CODE" ;;
		get-port) set -- /bin/sh -c "$get_then_serve" sh "$bin/serve" 500 /usr/bin/env \
			NODE_PATH="$BENCH_NODE_PATH" "$BENCH_NODE" -e "$GETPORT_CODE" ;;
		esac
		"$bin/collide" -n "$BENCH_PROCS" -d 200 -s "$trial" -t 60 "$@" 2>>"$BENCH_TMP/collide.err"
		trial=$((trial + 1))
	done
	kill "$churn"
	wait "$churn" || true
	exit 0 ;;
_scale) # MODE N: populate N TIME_WAIT sockets, count them, time K reservations
	lo_up
	"$BENCH_B/bench/timewait" -m "$2" -t 60 "$3" >/dev/null || true
	printf 'present %s\n' "$(ss -Htan state time-wait | wc -l)"
	exec "$BENCH_B/bench/scale" measure "$BENCH_SCALE_K" ;;
_peers_inproc) # one port from each peer, in-process: Python's, then get-port's
	lo_up
	shift
	PYTHONPATH=$BENCH_DIR/../python EPR_RESERVE_LIB=$BENCH_B/libepr-reserve.so \
		"$BENCH_PY" "$BENCH_DIR/peers_inproc.py" "$BENCH_PEER_ROUNDS" "$BENCH_PEER_N" "$@"
	if [ -n "${BENCH_NODE:-}" ]; then
		NODE_PATH=$BENCH_NODE_PATH "$BENCH_NODE" "$BENCH_DIR/getport_inproc.js" \
			"$BENCH_PEER_ROUNDS" "$BENCH_PEER_N"
	fi
	exit 0 ;;
_exhaust) # reserve until the range runs out, then show what users get
	lo_up
	"$BENCH_B/bench/scale" exhaust 70000 60
	printf 'cli %s\n' "$("$BENCH_B/epr" reserve 2>&1 || true)"
	printf 'shim %s\n' "$(LD_PRELOAD="$BENCH_B/libepr.so" "$BENCH_B/bench/serve" 127.0.0.1 0 0 2>&1 | head -n 1 || true)"
	exit 0 ;;
esac

# ---- the orchestration ----
smoke=0
if [ "${1:-}" = --smoke ]; then
	smoke=1
	shift
fi
B=$(cd "${1:?usage: bench/run.sh [--smoke] BUILD_DIR}" && pwd)
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
SELF=$BENCH_DIR/run.sh
PY=/usr/bin/python3
LIB=$B/libepr.so
BIN=$B/bench
for f in "$LIB" "$B/epr" "$BIN/spawn" "$BIN/inproc" "$PY"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "bench: $f is missing" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root for unshare -n (private network namespaces)" >&2; exit 2; }

if [ "$smoke" = 1 ]; then
	CLI_ROUNDS=5 LOAD_ROUNDS=10 INPROC_ROUNDS=2 INPROC_N=50 PASS_ROUNDS=2 PASS_N=500
	PROCS=20 TRIALS=1 LEVELS="0 500" SCALE_K=50 RANGE="40000 40999" PEER_ROUNDS=2 PEER_N=20
	PEER_SPAWN=3
else
	CLI_ROUNDS=150 LOAD_ROUNDS=400 INPROC_ROUNDS=15 INPROC_N=300 PASS_ROUNDS=30 PASS_N=5000
	PROCS=200 TRIALS=5 LEVELS="0 5000 10000 20000" SCALE_K=300 RANGE="" PEER_ROUNDS=15 PEER_N=200
	PEER_SPAWN=40
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export BENCH_B="$B" BENCH_TMP="$TMP" BENCH_PROCS="$PROCS" BENCH_TRIALS="$TRIALS" BENCH_SCALE_K="$SCALE_K"
# shellcheck disable=SC2090 # node code, passed as one argument
export BENCH_PY="$PY" BENCH_DIR PORTPICKER_CODE PORTFOR_CODE GETPORT_CODE
export BENCH_PEER_ROUNDS="$PEER_ROUNDS" BENCH_PEER_N="$PEER_N"
SENTINELS=$(seq -s, 3306 3369) # 64: a sentinel is reserved once per process, so each child binds all
started=$(date +%s)
say() { printf '%s\n' "$*" >&2; }

# The peers present: a missing one is named and left out, never a crash.
PEERS=classic
for peer in portpicker port_for; do
	if "$PY" -c "import $peer" 2>/dev/null; then
		PEERS="$PEERS $(echo "$peer" | tr _ -)"
	else
		say "bench: $peer: not measured (no python3-$(echo "$peer" | tr _ -): make deps)"
	fi
done
NPM_DIR=$B/npm
BENCH_NODE=$(command -v node || true)
if [ -z "$BENCH_NODE" ]; then
	say "bench: get-port: not measured (no node: make deps)"
elif [ -f "$NPM_DIR/node_modules/get-port/index.js" ] || { command -v npm >/dev/null &&
	timeout 120 npm install --prefix "$NPM_DIR" --no-audit --no-fund --loglevel=error get-port@5 \
		>"$TMP/npm.log" 2>&1; }; then
	PEERS="$PEERS get-port"
else
	say "bench: get-port: not measured (npm install get-port@5 into $NPM_DIR failed: offline?)"
	[ ! -s "$TMP/npm.log" ] || sed 's/^/  npm: /' "$TMP/npm.log" | tail -n 5 >&2
	BENCH_NODE=""
fi
export BENCH_NODE BENCH_NODE_PATH="$NPM_DIR/node_modules"

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'; }
# a / b, 3 decimals
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
# exit status 0 when "$1 $2 $3" holds (op is <= or >=)
holds() { awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN { exit !(op == "<=" ? a <= b : a >= b) }'; }
# microseconds from nanoseconds
us() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1000 }'; }

# a ratio as 1.23x; counts and words as they are
fmt() { case $1 in *.*) awk -v r="$1" 'BEGIN { printf "%.2fx", r }' ;; *) printf '%s' "$1" ;; esac; }

ROWS=$TMP/rows MISSED=$TMP/missed
: >"$ROWS"
: >"$MISSED"
# row RATIO TARGET_OP TARGET WHAT FIGURES: a table row, checked against its target
row() {
	verdict=info
	if [ -n "$2" ]; then
		if holds "$1" "$2" "$3"; then verdict=met; else verdict=MISSED; fi
		[ "$verdict" != MISSED ] || echo "$4: $1, target $2 $3" >>"$MISSED"
		[ "$smoke" = 0 ] || verdict="($verdict)"
	fi
	printf '| %s | %s | %s | %s | %s |\n' "$(fmt "$1")" "${2:+$2 $3}" "$verdict" "$4" "$5" >>"$ROWS"
}

# 1. The CLI, whole process, in a private namespace (each reservation leaves a TIME_WAIT).
say "1/7 CLI start-to-finish ($CLI_ROUNDS rounds)"
"$BIN/spawn" -N -r "$CLI_ROUNDS" -- true /bin/true -- epr "$B/epr" reserve \
	-- python "$PY" "$BENCH_DIR/classic_reserve.py" >"$TMP/cli"
f() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$TMP/cli"; }
row "$(div "$(f python 2)" "$(f epr 2)")" '>=' 10 "python baseline / epr reserve (median wall time)" \
	"epr reserve $(f epr 2) µs, /usr/bin/python3 classic $(f python 2) µs"
row "$(f epr 6)" '<=' 1.1 "epr reserve / /bin/true (paired median; issue 22)" \
	"epr reserve $(f epr 2) µs, /bin/true $(f true 2) µs"

# 2 and 3. In-process costs: one driver, with and without the shim, interleaved by round.
say "2/7 in-process reservation cost ($INPROC_ROUNDS rounds x $INPROC_N)"
i=0
while [ "$i" -lt "$INPROC_ROUNDS" ]; do
	{
		printf '%s ' "$i"; "$BIN/inproc" -N floor "$INPROC_N"
		printf '%s ' "$i"; LD_PRELOAD=$LIB EPR_PORTS=$SENTINELS "$BIN/inproc" -N zero "$INPROC_N"
		printf '%s ' "$i"; LD_PRELOAD=$LIB EPR_PORTS=$SENTINELS "$BIN/inproc" -N sentinel "$INPROC_N"
		printf '%s ' "$i"; "$BIN/inproc" -N reserve "$INPROC_N"
	} >>"$TMP/inproc"
	i=$((i + 1))
done
say "3/7 pass-through cost ($PASS_ROUNDS rounds x $PASS_N)"
i=0
while [ "$i" -lt "$PASS_ROUNDS" ]; do
	# ABAB, then BABA: neither variant always runs first
	if [ $((i % 2)) = 0 ]; then
		printf '%s plain ' "$i"; "$BIN/inproc" -N pass "$PASS_N"
		printf '%s shim ' "$i"; LD_PRELOAD=$LIB EPR_PORTS=3306 "$BIN/inproc" -N pass "$PASS_N"
		printf '%s plainz ' "$i"; "$BIN/inproc" -N pass-zero "$PASS_N"
		printf '%s shimz ' "$i"; LD_PRELOAD=$LIB EPR_PORTS=3306 "$BIN/inproc" -N pass-zero "$PASS_N"
	else
		printf '%s shim ' "$i"; LD_PRELOAD=$LIB EPR_PORTS=3306 "$BIN/inproc" -N pass "$PASS_N"
		printf '%s plain ' "$i"; "$BIN/inproc" -N pass "$PASS_N"
		printf '%s shimz ' "$i"; LD_PRELOAD=$LIB EPR_PORTS=3306 "$BIN/inproc" -N pass-zero "$PASS_N"
		printf '%s plainz ' "$i"; "$BIN/inproc" -N pass-zero "$PASS_N"
	fi >>"$TMP/pass"
	i=$((i + 1))
done
# med MODE: the median over rounds of that mode's per-run median (ns)
med() { awk -v m="$1" '$2 == m { print $3 }' "$TMP/inproc" | median; }
# paired FILE A B: the median over rounds of (A / B) from the same round
paired() {
	awk -v a="$2" -v b="$3" '$2 == a { x[$1] = $3 } $2 == b { y[$1] = $3 }
		END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' "$1" | median
}
awk '{ print $1, $2, $4 }' "$TMP/pass" >"$TMP/pass2"
row "$(paired "$TMP/inproc" zero floor)" '<=' 1.3 "shim bind port 0 / floor (paired median)" \
	"shim $(us "$(med zero)") µs, floor (bare reservation + bind) $(us "$(med floor)") µs"
row "$(paired "$TMP/inproc" sentinel floor)" '<=' 2.5 "shim bind sentinel, v4+v6 / floor (paired median)" \
	"shim $(us "$(med sentinel)") µs, floor $(us "$(med floor)") µs"
row "$(paired "$TMP/inproc" reserve floor)" '' '' "common/reserve.c reserve_port + bind / floor (where the time goes)" \
	"reserve_port $(us "$(med reserve)") µs"
pmed() { awk -v m="$1" '$2 == m { print $3 }' "$TMP/pass2" | median; }
row "$(paired "$TMP/pass2" shim plain)" '<=' 1.05 "pass-through bind+close, shim / no shim (paired median)" \
	"shim $(pmed shim) ns, no shim $(pmed plain) ns (EPR_PORTS=3306, port 5555)"
row "$(paired "$TMP/pass2" shimz plainz)" '<=' 1.05 "the same after 128 port-0 binds (each named port checked against them), shim / no shim" \
	"shim $(pmed shimz) ns, no shim $(pmed plainz) ns"

# 4. Load cost.
say "4/7 load cost ($LOAD_ROUNDS rounds)"
"$BIN/spawn" -r "$LOAD_ROUNDS" -- plain "$BIN/trivial" \
	-- shim LD_PRELOAD="$LIB" EPR_PORTS=3306 "$BIN/trivial" >"$TMP/load"
g() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$TMP/load"; }
row "$(g shim 6)" '<=' 1.15 "load: wall time with / without LD_PRELOAD (paired median)" \
	"$(g shim 2) µs vs $(g plain 2) µs"
row "$(g shim 7)" '<=' 1.10 "load: peak RSS with / without LD_PRELOAD (paired median)" \
	"$(g shim 5) KiB vs $(g plain 5) KiB"

# 5. Collisions: each approach in its own namespace, the same trial seeds, churn running.
say "5/7 collisions ($TRIALS trials x $PROCS processes per approach)"
for v in naive epr sentinel zero $PEERS; do
	unshare -n sh "$SELF" _collide "$v" >"$TMP/collide.$v"
done
fails() { awk '{ f += $6 + $8 + $10 } END { print f + 0 }' "$TMP/collide.$1"; }
total=$((PROCS * TRIALS))
for v in naive epr sentinel zero $PEERS; do
	ok=$(awk '{ s += $4 } END { print s + 0 }' "$TMP/collide.$v")
	[ $((ok + $(fails "$v"))) = "$total" ] || { echo "bench: collide $v: lost processes" >&2; cat "$TMP/collide.$v" >&2; exit 1; }
done
per_trial() { awk '{ printf "%s%d", (NR > 1 ? "," : ""), $6 + $8 + $10 }' "$TMP/collide.$1"; }
churned=$(awk '{ print $2 }' "$TMP/churn.naive")
row "$(fails naive)" '' '' "(a) collisions: bind 0, read, close, rebind" \
	"of $total; per trial $(per_trial naive); churn: $churned loopback connects"
row "$(fails epr)" '<=' 0 "(b) collisions: epr reserve, then bind" "of $total; per trial $(per_trial epr)"
row "$(fails sentinel)" '<=' 0 "(c) collisions: shim rewrites bind of sentinel 3306" "of $total; per trial $(per_trial sentinel)"
row "$(fails zero)" '<=' 0 "(c') collisions: shim rewrites bind of port 0" "of $total; per trial $(per_trial zero)"

# 6. Scale: reservation cost as TIME_WAIT sockets pile up, and where the range runs out.
say "6/7 scale: TIME_WAIT levels $LEVELS, then exhaustion"
export BENCH_RANGE="$RANGE"
for mode in distinct shared; do
	base=""
	for n in $LEVELS; do
		out=$(unshare -n sh "$SELF" _scale "$mode" "$n")
		present=$(printf '%s\n' "$out" | awk '$1 == "present" { print $2 }')
		cost=$(printf '%s\n' "$out" | awk '$1 == "measure" { print $2 }')
		[ -n "$base" ] || base=$cost
		what="reservation cost, $present TIME_WAIT"
		[ "$mode" = distinct ] && what="$what on distinct ports (earlier reservations)" ||
			what="$what on one server port"
		row "$(div "$cost" "$base")" '' '' "$what / none" "$(us "$cost") µs (median of $SCALE_K)"
	done
done
out=$(unshare -n sh "$SELF" _exhaust)
read -r made secs size <<EOT
$(printf '%s\n' "$out" | awk '$1 == "exhaust" { print $2, $3, $4 }')
EOT
err=$(printf '%s\n' "$out" | sed -n 's/^exhaust [^ ]* [^ ]* [^ ]* //p')
bands=$(printf '%s\n' "$out" | awk '$1 == "band" { printf "%s%s%%: %.0f", (n++ ? ", " : ""), $2, $3 / 1000 }')
row "$made" '' '' "reservations before the range ($size ports) ran out: per 60 s TIME_WAIT" \
	"took $secs s; reservation cost (µs) by share of the range filled: $bands; reserve_port() then fails with: $err"
row "-" '' '' "what users get then" \
	"$(printf '%s\n' "$out" | sed -n 's/^cli //p' | head -n 1) / $(printf '%s\n' "$out" | sed -n 's/^shim //p')"

# 7. The peers: one port in-process and as a whole process; their collisions are part 5's.
say "7/7 peers ($PEERS): in-process ($PEER_ROUNDS rounds x $PEER_N), whole process ($PEER_SPAWN rounds)"
# shellcheck disable=SC2086 # PEERS is a list of words
unshare -n sh "$SELF" _peers_inproc epr-python $PEERS >"$TMP/peers_inproc"
set -- epr "$B/epr" reserve -- epr-python PYTHONPATH="$BENCH_DIR/../python" \
	EPR_RESERVE_LIB="$B/libepr-reserve.so" "$PY" -m ephemeral_port_reserve \
	-- classic "$PY" "$BENCH_DIR/classic_reserve.py"
for peer in $PEERS; do
	case $peer in
	portpicker) set -- "$@" -- portpicker "$PY" -c "$PORTPICKER_CODE" ;;
	port-for) set -- "$@" -- port-for "$PY" -c "$PORTFOR_CODE" ;;
	get-port) set -- "$@" -- get-port NODE_PATH="$BENCH_NODE_PATH" "$BENCH_NODE" -e "$GETPORT_CODE" ;;
	esac
done
"$BIN/spawn" -N -r "$PEER_SPAWN" -- "$@" >"$TMP/peers_spawn"
pin() { awk -v n="$1" '$1 == n { print $2 }' "$TMP/peers_inproc"; }
pwhole() { awk -v n="$1" '$1 == n { print $2 }' "$TMP/peers_spawn"; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
row "$(awk '$1 == "paired" { print $3 }' "$TMP/peers_inproc")" '<=' 1.5 \
	"Python reserve() (ctypes, common/reserve.c) / the classic pure-Python one, in-process (paired median)" \
	"$(us "$(pin epr-python)") µs vs $(us "$(pin classic)") µs"
fastest=$(awk '$1 != "epr" && $1 != "epr-python" { print $2 }' "$TMP/peers_spawn" | sort -g | head -n 1)
row "$(div "$fastest" "$(pwhole epr)")" '>=' 1 "whole process: the fastest peer / epr reserve (median wall time)" \
	"epr reserve $(pwhole epr) µs, fastest peer $fastest µs"
PEER_ROWS=$TMP/peer_rows
{
	printf '| %s | %s of %s | %s | %s ms; %s ms as python3 -m ephemeral_port_reserve |\n' \
		"epr reserve (C; the shim's code)" "$(fails epr)" "$total" \
		"$(us "$(med reserve)") µs (reserve_port + bind); $(us "$(pin epr-python)") µs from Python" \
		"$(ms "$(pwhole epr)")" "$(ms "$(pwhole epr-python)")"
	for peer in $PEERS; do
		case $peer in
		classic) what="the classic algorithm (bench/classic_reserve.py)" cli=classic ;;
		portpicker) what="python3-portpicker: portpicker.pick_unused_port()" cli=portpicker ;;
		port-for) what="python3-port-for: port_for.select_random()" cli=port-for ;;
		get-port) what="get-port@5 (npm), node $("$BENCH_NODE" --version)" cli=get-port ;;
		esac
		printf '| %s | %s of %s | %s µs | %s ms |\n' "$what" "$(fails "$peer")" "$total" \
			"$(us "$(pin "$peer")")" "$(ms "$(pwhole "$cli")")"
	done
} >"$PEER_ROWS"
zero_peers=$(for peer in $PEERS; do [ "$(fails "$peer")" != 0 ] || printf '%s ' "$peer"; done)
row "$(echo "$zero_peers" | wc -w)" '' '' "peers with 0 failed binds besides epr" "${zero_peers:-none}"

# 8. Holds (issue 21): bench/hold.sh's rows, in this table.
# shellcheck disable=SC2046 # --smoke or nothing
BENCH_ROWS_ONLY=1 BENCH_MISSED="$MISSED" sh "$BENCH_DIR/hold.sh" $([ "$smoke" = 0 ] || echo --smoke) "$B" >>"$ROWS"

# 9. Connects in a port space (issue 19): bench/connect.sh's rows, in this table.
# shellcheck disable=SC2046 # --smoke or nothing
BENCH_ROWS_ONLY=1 BENCH_MISSED="$MISSED" sh "$BENCH_DIR/connect.sh" $([ "$smoke" = 0 ] || echo --smoke) "$B" >>"$ROWS"

# ---- the table ----
elapsed=$(($(date +%s) - started))
range=$(tr '\t' ' ' </proc/sys/net/ipv4/ip_local_port_range)
echo
echo "epr benchmarks$([ "$smoke" = 1 ] && echo ' (smoke: too few samples to judge times)'): $(nproc) cores, $(uname -sr), ip_local_port_range $range, ${elapsed}s"
echo
echo "| ratio | target | result | measure | figures |"
echo "|---|---|---|---|---|"
cat "$ROWS"
echo
echo "Peers, under part 5's churn ($TRIALS trials x $PROCS processes each); one port in-process, and as a whole process:"
echo
echo "| peer | failed binds | in-process, one port | whole process, one port |"
echo "|---|---|---|---|"
cat "$PEER_ROWS"
echo
if [ "$smoke" = 1 ]; then
	echo "smoke: every part ran; times are not judged on so few samples"
	# collisions are counts, not times: those must hold in a smoke run too
	if grep -q '^(b)\|^(c\|^(h' "$MISSED"; then
		grep '^(b)\|^(c\|^(h' "$MISSED" | sed 's/^/MISSED: /'
		exit 1
	fi
	exit 0
fi
if [ -s "$MISSED" ]; then
	sed 's/^/MISSED: /' "$MISSED"
	exit 1
fi
echo "all targets met"
