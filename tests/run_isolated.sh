#!/usr/bin/env bash
# make check's runner for one bats file: the file runs in a network namespace of its own, with
# loopback up, so that suites run side by side never see each other's listeners, port ranges
# or servers (ss, a sentinel's port, a narrowed ip_local_port_range). prove -j calls it once a
# file (tests/run_suites.sh). Its TAP output also goes to $BATS_LOG_DIR/NAME.tap when that is
# set: prove -j shows only which tests failed, the log keeps why.
# Without the right to unshare (an unprivileged user), the file runs in the caller's namespace,
# and run_suites.sh then runs the files one at a time.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 FILE.bats" >&2; exit 2; }
run_file() {
	if unshare -n true 2>/dev/null; then
		unshare -n sh -c 'ip link set lo up && exec bats --tap "$1"' run_isolated "$1"
	else
		bats --tap "$1"
	fi
}
if [ -n "${BATS_LOG_DIR:-}" ]; then
	run_file "$1" | tee "$BATS_LOG_DIR/$(basename "$1" .bats).tap"
else
	run_file "$1"
fi
