#!/usr/bin/env bash
# The soak: for SOAK_SECONDS (default 600), rounds of SOAK_PARALLEL (default 4) socat servers
# started at once with `epr start -p 7000`, each answering a client, then stopped at once
# with `epr stop`. Runs in a private network namespace (its reservations stay out of the
# host's port range). Counts starts, failed starts, failed answers, and afterwards what was
# leaked: processes, listeners, temporary directories, the driver's own descriptors.
# Exit 0 only when nothing failed and nothing leaked.
#   soak.sh EPR_BIN
set -euo pipefail

epr=${1:?usage: soak.sh EPR_BIN}
seconds=${SOAK_SECONDS:-600}
parallel=${SOAK_PARALLEL:-4}

if [ -z "${SOAK_IN_NETNS:-}" ]; then
	exec unshare -n env SOAK_IN_NETNS=1 bash -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/epr-soak.XXXXXX")
export TMPDIR=$work/tmp # epr start's private directories land here
mkdir -p "$TMPDIR"
# Interrupted, the soak still stops what it started: every server's env file is under TMPDIR.
on_interrupt() {
	local env_file
	for env_file in "$TMPDIR"/epr.*/env; do
		[ -e "$env_file" ] && "$epr" stop -t 5 "$env_file" >/dev/null 2>&1
	done
	rm -rf "$work"
	exit 130
}
trap on_interrupt INT TERM
fds_before=$(find /proc/$$/fd -mindepth 1 | wc -l)
rounds=0 starts=0 failed_starts=0 failed_answers=0
deadline=$((SECONDS + seconds))

one_round() {
	local i out pids=()
	for ((i = 0; i < parallel; i++)); do
		"$epr" start -t 20 -p 7000 -- socat TCP-LISTEN:7000,bind=127.0.0.1,fork SYSTEM:'echo ok' \
			>"$work/start.$i" 2>&1 &
		pids+=($!)
	done
	for ((i = 0; i < parallel; i++)); do
		starts=$((starts + 1))
		if ! wait "${pids[i]}"; then
			failed_starts=$((failed_starts + 1))
			sed 's/^/  start failed: /' "$work/start.$i" >&2
			continue
		fi
		out=$(sed -n 's/^EPR_PORT=//p' "$work/start.$i")
		[ "$(socat -T 5 - "TCP:127.0.0.1:$out" </dev/null 2>/dev/null)" = ok ] ||
			failed_answers=$((failed_answers + 1))
	done
	for ((i = 0; i < parallel; i++)); do
		out=$(sed -n 's/^EPR_FILE=//p' "$work/start.$i")
		[ -z "$out" ] || "$epr" stop -t 10 "$out" >/dev/null &
	done
	wait
	rounds=$((rounds + 1))
}

while ((SECONDS < deadline)); do
	one_round
done

# Leaks, checked from outside: any process still running from one of our private dirs,
# any listener, any directory left in TMPDIR, any descriptor the driver gained.
leaked_processes=0
for environ in /proc/[0-9]*/environ; do
	if { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -q "^EPR_ENV_FILE=$TMPDIR/"; then
		state=$(awk '{ print $3 }' "${environ%environ}stat" 2>/dev/null || true)
		[ "$state" = Z ] || leaked_processes=$((leaked_processes + 1))
	fi
done
leaked_listeners=$(ss -Hltn | wc -l)
leaked_dirs=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 | wc -l)
leaked_fds=$(($(find /proc/$$/fd -mindepth 1 | wc -l) - fds_before))
rm -rf "$work"

printf 'soak: %d s, %d rounds of %d: %d starts, %d failed starts, %d failed answers\n' \
	"$seconds" "$rounds" "$parallel" "$starts" "$failed_starts" "$failed_answers"
printf 'soak: leaked %d processes, %d listeners, %d temporary directories, %d descriptors\n' \
	"$leaked_processes" "$leaked_listeners" "$leaked_dirs" "$leaked_fds"
[ $((failed_starts + failed_answers + leaked_processes + leaked_listeners + leaked_dirs + leaked_fds)) -eq 0 ]
