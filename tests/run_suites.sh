#!/usr/bin/env bash
# Runs bats files through prove, JOBS at a time, each in a network namespace of its own
# (run_isolated.sh); prove's closing "Result: PASS" is what CI reads. When a file fails, the
# failed tests' own output (prove -j shows only their numbers) is printed before the result
# line is repeated.
#   tests/run_suites.sh JOBS FILE.bats...
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: $0 JOBS FILE.bats..." >&2; exit 2; }
jobs=$1
shift
unshare -n true 2>/dev/null || jobs=1 # without namespaces the files would meet: one at a time
here=$(cd "$(dirname "$0")" && pwd)
BATS_LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/epr-bats-logs.XXXXXX")
export BATS_LOG_DIR
trap 'rm -rf "$BATS_LOG_DIR"' EXIT

prove -j"$jobs" --timer --exec "bash $here/run_isolated.sh" "$@" && exit 0
for log in "$BATS_LOG_DIR"/*.tap; do
	grep -q '^not ok' "$log" || continue
	printf '\n=== %s: the failed tests\n' "$(basename "$log" .tap).bats"
	# from each "not ok" line up to the next test's line: bats's diagnostics for it
	awk '/^not ok/ { show = 1 } /^ok / { show = 0 } show' "$log"
done
echo "Result: FAIL"
exit 1
