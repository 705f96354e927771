#!/bin/sh
# space_serve.sh NAME PROTO HOST PORT: tests/port_space.bats's server (space_server.py) in
# the background, its output in $T/NAME.out and its pid in $T/NAME.pid; returns once it
# says LISTEN (bounded: 10 s), 1 if it does not.
python3 "$(dirname "$0")/space_server.py" "$2" "$3" "$4" >"$T/$1.out" 2>&1 &
echo $! >"$T/$1.pid"
for i in $(seq 100); do
	grep -qs LISTEN "$T/$1.out" && exit 0
	sleep 0.1
done
echo "$1 did not listen (try $i)" >&2
exit 1
