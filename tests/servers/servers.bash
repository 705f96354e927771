# Shared by the tests/server_*.bats suites: N instances of one real server, started at once
# through `epr start` with the same port options, checked from outside, stopped, and gone.
#
# A suite loads helpers and this file, then defines
#   start_one DIR    epr_start DIR -p S -- SERVER...: one instance whose files live in DIR
#   answers DIR PORT a real client's check that the instance of DIR answers on PORT
# and, when its instances need files made first (a data directory), prepare_one DIR.
#
# After start_all N: INSTANCES[i] is instance i's directory, PORTS[i] its exported port and
# PIDS[i] its EPR_PID, for i in 1..N.

# Generous for a slow 2-core CI starting a dozen servers at once.
START_TIMEOUT=${EPR_SERVERS_START_TIMEOUT:-120}
STOP_TIMEOUT=${EPR_SERVERS_STOP_TIMEOUT:-30}
# Every client call is bounded.
CLIENT_TIMEOUT=20

setup() {
	# Outside bats' own 0700 directory: servers that drop root (postgres, nginx's workers)
	# must reach their files.
	SERVERS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/epr-servers.XXXXXX")
	chmod 755 "$SERVERS_DIR"
	INSTANCES=() PORTS=() PIDS=()
}

# A failed test leaves nothing running: epr stop every instance that started and was not
# seen gone, then KILL whatever of theirs survived.
teardown() {
	local env pids stopper
	local -a stoppers=()
	for env in "$SERVERS_DIR"/*/env; do
		if [ ! -f "$env" ] || [ -e "$(dirname "$env")/gone" ]; then
			continue
		fi
		remember_pids "$(dirname "$env")"
		"$EPR_BIN" stop -t 5 "$env" >/dev/null 2>&1 3>&- &
		stoppers+=($!)
	done
	# only these: a bare wait would also wait for what background() started
	for stopper in "${stoppers[@]}"; do
		wait "$stopper" || true
	done
	for pids in "$SERVERS_DIR"/*/pids; do
		if [ -f "$pids" ] && [ ! -e "$(dirname "$pids")/gone" ]; then
			xargs -r kill -KILL <"$pids" 2>/dev/null || true
		fi
	done
	stop_background
	rm -rf "$SERVERS_DIR"
}

# Skips with the reason when COMMAND ($1, from Debian package $2) is missing; under CI,
# where every package is installed, that is a failure instead.
require_server() {
	command -v "$1" >/dev/null && return 0
	if [ -n "${CI:-}" ]; then
		echo "$1 is not installed (Debian package $2), and CI must run every server" >&2
		return 1
	fi
	skip "$1 is not installed (Debian package $2)"
}

# epr start for instance directory $1: its env file is $1/env, its log $1/env.log.
epr_start() {
	local dir=$1
	shift
	"$EPR_BIN" start -t "$START_TIMEOUT" -e "$dir/env" "$@"
}

# Runs FUNC DIR ($1) for instances 1..N ($2) at once and waits for all; prints the output
# of those that failed.
for_each_at_once() {
	local func=$1 n=$2 i failed=0
	local -a jobs=()
	for ((i = 1; i <= n; i++)); do
		mkdir -p "$SERVERS_DIR/$i"
		"$func" "$SERVERS_DIR/$i" >"$SERVERS_DIR/$i/$func.out" 2>&1 3>&- &
		jobs[i]=$!
	done
	for ((i = 1; i <= n; i++)); do
		wait "${jobs[i]}" && continue
		echo "instance $i: $func failed:"
		sed 's/^/  /' "$SERVERS_DIR/$i/$func.out"
		failed=1
	done
	return "$failed"
}

prepare_all() {
	for_each_at_once prepare_one "$1"
}

# Starts N ($1) instances at once. With a sentinel S ($2), each must have exported
# EPR_PORT_S, and that is its port; else its EPR_PORT.
start_all() {
	local n=$1 sentinel=${2:-} i dir key=EPR_PORT
	[ -z "$sentinel" ] || key=EPR_PORT_$sentinel
	for_each_at_once start_one "$n" || return 1
	for ((i = 1; i <= n; i++)); do
		dir=$SERVERS_DIR/$i
		INSTANCES[i]=$dir
		PORTS[i]=$(env_value "$dir/env" "$key")
		PIDS[i]=$(env_value "$dir/env" EPR_PID)
		# what epr start printed agrees with the env file, the truth
		if [ -z "${PORTS[i]}" ] || [ "$(sed -n "s/^$key=//p" "$dir/start_one.out")" != "${PORTS[i]}" ]; then
			echo "instance $i: no $key, or epr start printed another one than $dir/env:"
			cat "$dir/start_one.out" "$dir/env"
			return 1
		fi
		remember_pids "$dir"
	done
	echo "ports: ${PORTS[*]}"
}

# Appends to DIR/pids the server's process tree: its supervisor's descendants (daemons that
# left CMD's session included), CMD's group and its session.
remember_pids() {
	local dir=$1 root sup
	root=$(env_value "$dir/env" EPR_PID 2>/dev/null) || true
	sup=$(env_value "$dir/env" EPR_SUPERVISOR_PID 2>/dev/null) || true
	[ -n "$root" ] || return 0
	# ps is our tool, not a program under test: a sanitizer run's preloaded runtime can hang it
	LD_PRELOAD='' ps -e -o pid=,ppid=,pgid=,sid= | awk -v root="$root" -v sup="${sup:-0}" '
		{ parent[$1] = $2; if ($3 == root || $4 == root) keep[$1] = 1 }
		END {
			keep[root] = 1
			if (sup > 0) keep[sup] = 1
			do {
				grew = 0
				for (p in parent)
					if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 }
			} while (grew)
			for (p in keep) print p
		}' >>"$dir/pids"
	sort -u -o "$dir/pids" "$dir/pids"
}

# The pids with a socket listening on TCP port $1, as ss sees them.
listener_pids() {
	ss -Hltnp "sport = :$1" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u
}

# No two instances share a port, and none has the sentinel $1 (if given).
ports_distinct() {
	local sentinel=${1:-} port
	if [ "$(printf '%s\n' "${PORTS[@]}" | sort -u | wc -l)" -ne "${#PORTS[@]}" ]; then
		echo "two instances share a port: ${PORTS[*]}"
		return 1
	fi
	for port in "${PORTS[@]}"; do
		[ "$port" != "$sentinel" ] || { echo "an instance has the sentinel $sentinel itself"; return 1; }
	done
}

# Each instance answers a real client on its own port.
each_answers() {
	local i
	for i in "${!INSTANCES[@]}"; do
		answers "${INSTANCES[i]}" "${PORTS[i]}" || {
			echo "instance $i (${INSTANCES[i]}) does not answer on port ${PORTS[i]}; its log:"
			tail -n 20 "${INSTANCES[i]}/env.log"
			return 1
		}
	done
}

# Each instance's port is held by the instance itself, on each address given (127.0.0.1, ::1).
each_listens_on() {
	local i addr pid listeners
	for i in "${!INSTANCES[@]}"; do
		for addr in "$@"; do
			[[ $addr == *:* ]] && addr="[$addr]"
			ss -Hltn "sport = :${PORTS[i]}" | awk '{ print $4 }' | grep -qxF "$addr:${PORTS[i]}" || {
				echo "instance $i: nothing listens on $addr:${PORTS[i]}:"
				ss -Hltnp "sport = :${PORTS[i]}"
				return 1
			}
		done
		listeners=$(listener_pids "${PORTS[i]}")
		[ -n "$listeners" ] || { echo "instance $i: no listener pid on ${PORTS[i]}"; return 1; }
		for pid in $listeners; do
			grep -qx "$pid" "${INSTANCES[i]}/pids" || {
				echo "instance $i: pid $pid listens on its port ${PORTS[i]} and is not its own"
				return 1
			}
		done
	done
}

# None of our instances listens on the sentinel $1. Something else may: a system service
# installed with the package is left alone.
sentinel_not_ours() {
	local pid
	for pid in $(listener_pids "$1"); do
		if cat "$SERVERS_DIR"/*/pids | grep -qx "$pid"; then
			echo "pid $pid of ours listens on the sentinel $1:"
			ss -Hltnp "sport = :$1"
			return 1
		fi
	done
}

# epr stop, every instance at once.
stop_all() {
	local i failed=0
	local -a jobs=()
	for i in "${!INSTANCES[@]}"; do
		remember_pids "${INSTANCES[i]}"
		"$EPR_BIN" stop -t "$STOP_TIMEOUT" "${INSTANCES[i]}/env" >"${INSTANCES[i]}/stop.out" 2>&1 3>&- &
		jobs[i]=$!
	done
	for i in "${!INSTANCES[@]}"; do
		wait "${jobs[i]}" && continue
		echo "instance $i: epr stop failed:"
		cat "${INSTANCES[i]}/stop.out"
		failed=1
	done
	return "$failed"
}

# After stop_all: no process of any instance runs, and nothing listens on their ports.
all_gone() {
	local i pid failed=0
	for i in "${!INSTANCES[@]}"; do
		while read -r pid; do
			alive "$pid" || continue
			echo "instance $i: pid $pid still runs: $(LD_PRELOAD='' ps -o stat=,args= -p "$pid")"
			failed=1
		done <"${INSTANCES[i]}/pids"
		if listening_on "${PORTS[i]}"; then
			echo "instance $i: port ${PORTS[i]} still has a listener:"
			ss -Hltnp "sport = :${PORTS[i]}"
			failed=1
		fi
	done
	# teardown leaves alone what was seen gone: its pids may be someone else's by then
	[ "$failed" -ne 0 ] || for i in "${!INSTANCES[@]}"; do touch "${INSTANCES[i]}/gone"; done
	return "$failed"
}

# The whole promise, for suites whose case is the usual one: N ($1) instances told the
# sentinel S ($2) start at once, each answers on its own port (held on each address given
# after S), none took S, and after epr stop nothing of them is left.
side_by_side() {
	local n=$1 sentinel=$2
	shift 2
	start_all "$n" "$sentinel"
	ports_distinct "$sentinel"
	each_listens_on "$@"
	each_answers
	sentinel_not_ours "$sentinel"
	stop_all
	all_gone
}
