#!/usr/bin/env bash
# Every epr subcommand and its failure paths once under valgrind's memcheck: the exit status
# must be the one epr promises (never valgrind's 99), so no invalid access and no definite
# leak on any path, exits through cli_fail included.
#   valgrind_cli.sh BUILD_DIR
set -uo pipefail
build=${1:?usage: valgrind_cli.sh BUILD_DIR}
epr=$build/epr
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
work=$(mktemp -d)
export TMPDIR=$work
failures=0 runs=0

# expect STATUS ARGS...: run epr ARGS under valgrind, check the status.
expect() {
	local want=$1 got
	shift
	"${vg[@]}" "$epr" "$@" >"$work/out" 2>"$work/err"
	got=$?
	runs=$((runs + 1))
	if [ "$got" -ne "$want" ]; then
		failures=$((failures + 1))
		echo "FAILED: epr $* exited $got, not $want"
		sed 's/^/   /' "$work/err"
	fi
}

expect 0 --version
expect 0 --help
expect 0 reserve
expect 0 reserve -n 3 ::1
expect 0 reserve 127.0.0.1 "$("$epr" reserve)"
expect 2 reserve -n 0
expect 2 reserve not-an-ip
expect 1 reserve 192.0.2.1
expect 0 run -p 3306 -e "$work/run.env" -- true
expect 127 run -- no-such-command-epr
expect 2 run -p 70000 -- true
expect 2 run
# The supervisor runs under valgrind (start forks it); stop itself needs pidfds, which
# valgrind 3.19 does not know, so the launch is stopped by the plain epr.
expect 0 start -t 10 -p 8000 -e "$work/http.env" -- python3 -m http.server 8000 --bind 127.0.0.1
expect 0 list
expect 0 list --json
runs=$((runs + 1))
if ! "$epr" stop "$work/http.env" >"$work/out" 2>&1; then
	failures=$((failures + 1))
	echo "FAILED: epr stop of the launch that valgrind's epr start supervises:"
	sed 's/^/   /' "$work/out"
fi
expect 0 stop "$work/http.env" # gone: the env file went with the launch, which is stopped (a note)
# The readiness waits and --json, each path once: met, timed out, refused.
expect 0 start -t 30 --json -e "$work/waits.env" --wait-log 'Serving HTTP' --wait-http / \
	--wait-cmd 'test -n "$EPR_PORT"' -- python3 -u -m http.server 0 --bind 127.0.0.1
runs=$((runs + 1))
if ! "$epr" stop "$work/waits.env" >"$work/out" 2>&1; then
	failures=$((failures + 1))
	echo "FAILED: epr stop of the launch with waits:"
	sed 's/^/   /' "$work/out"
fi
expect 1 start -t 3 --wait-cmd 'echo no; exit 3' --wait-http /missing --wait-log never \
	-- python3 -m http.server 0 --bind 127.0.0.1
expect 2 start --wait-log '(' -- true
expect 2 start --owner nobody -- true
expect 1 start -t 1 -- sleep 5
expect 1 start -t 5 -- sh -c 'echo dying; exit 3'
expect 127 start -- no-such-command-epr
expect 1 stop 999999
expect 2 stop
expect 2 stop --owner 5
expect 2 list extra

# Nothing of any launch may be left: valgrind's supervisor has exited.
if pgrep -f "valgrind.*$epr start" >/dev/null; then
	failures=$((failures + 1))
	echo "FAILED: a supervisor under valgrind is still running"
	pkill -f "valgrind.*$epr start"
fi
rm -rf "$work"
echo "valgrind: $runs epr runs, $failures failed"
[ "$failures" -eq 0 ]
