# Shared by every bats suite. EPR_BUILD points the suites at another build (an ASan build,
# or an installed copy: EPR_BIN=/usr/bin/epr EPR_LIB=/usr/lib/epr/libepr.so).
EPR_BUILD=${EPR_BUILD:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)/build}
EPR_BIN=${EPR_BIN:-$EPR_BUILD/epr}
LIBEPR=${EPR_LIB:-$EPR_BUILD/libepr.so}
TESTS=$(cd "$BATS_TEST_DIRNAME" && pwd)
export EPR_BUILD EPR_BIN LIBEPR TESTS

# Run a command with the shim preloaded and nothing else from the caller's EPR_* set.
shimmed() {
	env -u EPR_PORTS -u EPR_ENV_FILE -u EPR_ZERO -u EPR_DEBUG -u EPR_TREE \
		LD_PRELOAD="$LIBEPR" "$@"
}

# True when some socket listens on 127.0.0.1 or [::1] (or a wildcard) port $1, as ss sees it.
listening_on() {
	ss -Hltn "sport = :$1" | grep -q .
}

# Wait (bounded: $2 tenths of a second, default 100) until file $1 exists.
wait_for_file() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for $1" >&2
	return 1
}

# Wait (bounded) until a TCP connect to 127.0.0.1:$1 succeeds.
wait_for_port() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "timed out waiting for port $1" >&2
	return 1
}

# The value of KEY in env file $1, or nothing.
env_value() {
	sed -n "s/^$2=//p" "$1"
}
