#!/usr/bin/env bats
# libepr.so: exporting the chosen ports through EPR_ENV_FILE.

load helpers

SERVER=$EPR_BUILD/tests/listen_server

setup() {
	ENV=$BATS_TEST_TMPDIR/db.env
}

@test "the env file appears once the server listens, with EPR_PORT, EPR_PORT_<S>, EPR_PORT_LIST and EPR_LAUNCH" {
	EPR_PORTS=3306 EPR_ENV_FILE=$ENV run shimmed "$SERVER" 127.0.0.1:3306 '[::1]:3306' 127.0.0.1:0
	[ "$status" -eq 0 ]
	mapfile -t ports < <(listened_ports)
	cat "$ENV"
	[ "$(env_value "$ENV" EPR_PORT)" = "${ports[0]}" ]
	[ "$(env_value "$ENV" EPR_PORT_3306)" = "${ports[0]}" ]
	[ "$(env_value "$ENV" EPR_PORT_LIST)" = "${ports[0]},${ports[2]}" ]
	[[ "$(env_value "$ENV" EPR_LAUNCH)" =~ ^[0-9a-f]{16}$ ]]
	[ "$(wc -l <"$ENV")" -eq 4 ]
}

@test "the env file does not exist until the port is connectable" {
	EPR_ENV_FILE=$ENV run shimmed "$SERVER" -n 127.0.0.1:0 # binds, never listens
	[ "$status" -eq 0 ]
	[ ! -e "$ENV" ]
}

@test "the env file can be sourced by sh, and a client reaches the server on EPR_PORT" {
	background EPR_PORTS=8000 EPR_ENV_FILE="$ENV" shimmed python3 -m http.server \
		--bind 127.0.0.1 8000 --directory "$BATS_TEST_TMPDIR" >/dev/null 2>&1
	wait_for_file "$ENV"
	port=$(sh -c '. "$1" && echo "$EPR_PORT"' sh "$ENV")
	[ "$port" -ne 8000 ]
	curl -fsS "http://127.0.0.1:$port/" >/dev/null
	listening_on "$port"
}

@test "a relative EPR_ENV_FILE is anchored where the program started, not where it binds" {
	mkdir "$BATS_TEST_TMPDIR/start" "$BATS_TEST_TMPDIR/elsewhere"
	cd "$BATS_TEST_TMPDIR/start"
	ELSEWHERE=$BATS_TEST_TMPDIR/elsewhere EPR_ENV_FILE=rel.env run shimmed python3 -c '
import os, socket
os.chdir(os.environ["ELSEWHERE"])
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)'
	[ "$status" -eq 0 ]
	[ -n "$(env_value "$BATS_TEST_TMPDIR/start/rel.env" EPR_PORT)" ]
	[ ! -e "$BATS_TEST_TMPDIR/elsewhere/rel.env" ]
}

@test "loading the shim touches no file: a program that never listens leaves EPR_ENV_FILE alone" {
	printf 'my notes\n' >"$BATS_TEST_TMPDIR/notes.txt"
	run "$EPR_BIN" run -e "$BATS_TEST_TMPDIR/notes.txt" -- /bin/true
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/notes.txt")" = "my notes" ]
	# a running server's env file survives every other shimmed command (the SYNOPSIS style)
	printf 'EPR_PORT=1\nEPR_PORT_LIST=1\nEPR_PID=99\n' >"$ENV"
	cp "$ENV" "$BATS_TEST_TMPDIR/before"
	EPR_ENV_FILE=$ENV run shimmed sh -c 'true; ls / >/dev/null; "$1" -n 127.0.0.1:0' sh "$SERVER"
	[ "$status" -eq 0 ]
	cmp "$ENV" "$BATS_TEST_TMPDIR/before"
}

@test "a launch's first export starts the file afresh: no earlier launch's ports" {
	printf 'EPR_PORT=1\nEPR_PORT_LIST=1\nEPR_PORT_3306=1\nEPR_PID=99\n' >"$ENV"
	EPR_ENV_FILE=$ENV run shimmed "$SERVER" 127.0.0.1:0
	[ "$status" -eq 0 ]
	[ "$(env_value "$ENV" EPR_PORT_LIST)" = "$(listened_ports)" ]
	[ "$(env_value "$ENV" EPR_PORT)" = "$(listened_ports)" ]
	[ -z "$(env_value "$ENV" EPR_PID)" ] && [ -z "$(env_value "$ENV" EPR_PORT_3306)" ]
}

@test "a file that is not an epr env file is never replaced: listen() fails with EEXIST" {
	printf 'EPR_PORT=1\nmy notes\n' >"$ENV"
	cp "$ENV" "$BATS_TEST_TMPDIR/before"
	EPR_ENV_FILE=$ENV run shimmed "$SERVER" 127.0.0.1:0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ERROR 127.0.0.1:0 EEXIST"* ]]
	[[ "$output" == *"libepr: listen_server["*"]: error: cannot write $ENV: it holds lines that are not EPR_ keys, so it is not an epr env file and is left alone: File exists"* ]]
	cmp "$ENV" "$BATS_TEST_TMPDIR/before"
}

@test "the processes of one tree merge their ports into one file" {
	EPR_ENV_FILE=$ENV run shimmed sh -c '"$1" 127.0.0.1:0 & "$1" 127.0.0.1:0 & "$1" "[::1]:0"; wait' sh "$SERVER"
	[ "$status" -eq 0 ]
	[ "$(listened_ports | wc -l)" -eq 3 ]
	[ "$(env_value "$ENV" EPR_PORT_LIST | tr , '\n' | sort)" = "$(listened_ports | sort)" ]
}

@test "a forking server exports its own port and every worker's" {
	EPR_PORTS=6379 EPR_ENV_FILE=$ENV run shimmed "$SERVER" -f 4 127.0.0.1:6379 127.0.0.1:0
	[ "$status" -eq 0 ]
	# parent and workers share the sentinel's port; each port-0 bind is its own
	[ "$(listened_ports | sort -u | wc -l)" -eq 6 ]
	[ "$(env_value "$ENV" EPR_PORT_LIST | tr , '\n' | sort)" = "$(listened_ports | sort -u)" ]
	[ -n "$(env_value "$ENV" EPR_PORT_6379)" ]
}

@test "32 threads binding port 0 at once get 32 distinct ports and a complete env file" {
	EPR_ENV_FILE=$ENV run shimmed "$SERVER" -t 32 127.0.0.1:0
	[ "$status" -eq 0 ]
	[ "$(listened_ports | sort -u | wc -l)" -eq 32 ]
	[ "$(env_value "$ENV" EPR_PORT_LIST | tr , '\n' | sort)" = "$(listened_ports | sort)" ]
}

@test "32 threads binding one sentinel agree on one port" {
	EPR_PORTS=5432 EPR_ENV_FILE=$ENV run shimmed "$SERVER" -t 32 127.0.0.1:5432 '[::1]:5432'
	# one socket per family wins the port; the others fail with the real EADDRINUSE
	[ "$(listened_ports | sort -u | wc -l)" -eq 1 ]
	[ "$(listened_ports | wc -l)" -eq 2 ]
	[ "$(grep -c 'ERROR .* EADDRINUSE' <<<"$output")" -eq 62 ]
	[ "$(env_value "$ENV" EPR_PORT_5432)" = "$(listened_ports | head -n1)" ]
}

@test "a symlink at the path is never written through nor replaced (ELOOP), and no temporary file is left" {
	echo precious >"$BATS_TEST_TMPDIR/victim"
	ln -s "$BATS_TEST_TMPDIR/victim" "$ENV"
	EPR_ENV_FILE=$ENV run shimmed "$SERVER" 127.0.0.1:0
	[ "$status" -eq 1 ]
	[[ "$output" == *"ERROR 127.0.0.1:0 ELOOP"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/victim")" = precious ]
	[ -L "$ENV" ]
	[ "$(find "$BATS_TEST_TMPDIR" -name '*.tmp' | wc -l)" -eq 0 ]
}

@test "the env file honours the umask" {
	(umask 077 && EPR_ENV_FILE=$ENV shimmed "$SERVER" 127.0.0.1:0 >/dev/null)
	[ "$(stat -c %a "$ENV")" = 600 ]
	rm "$ENV"
	(umask 022 && EPR_ENV_FILE=$ENV shimmed "$SERVER" 127.0.0.1:0 >/dev/null)
	[ "$(stat -c %a "$ENV")" = 644 ]
}

@test "keys the shim does not know (EPR_PID from epr start) are kept" {
	# the launch exports, epr start adds EPR_PID, then another process of the tree exports
	EPR_ENV_FILE=$ENV run shimmed sh -c '"$1" 127.0.0.1:0 && echo EPR_PID=4242 >>"$2" &&
		"$1" 127.0.0.1:0' sh "$SERVER" "$ENV"
	[ "$status" -eq 0 ]
	[ "$(env_value "$ENV" EPR_PID)" = 4242 ]
	[ "$(env_value "$ENV" EPR_PORT_LIST)" = "$(listened_ports | paste -sd,)" ]
}

@test "a program that listens on port 0 again and again is capped at 256 ports, said once" {
	# in a private namespace: 260 ports stay in TIME_WAIT for a minute
	run in_netns env EPR_ENV_FILE="$ENV" LD_PRELOAD="$LIBEPR" python3 -c '
import socket
keep = []
for _ in range(260):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1); keep.append(s)
print("listening", len(keep))'
	[ "$status" -eq 0 ]
	[[ "$output" == *"listening 260"* ]]
	[ "$(env_value "$ENV" EPR_PORT_LIST | tr , '\n' | sort -u | wc -l)" -eq 256 ]
	[ "$(grep -c 'libepr: .*warning: .* holds 256 ports' <<<"$output")" -eq 1 ]
}

@test "an env file that cannot be written fails listen() with its errno and leaves no listener" {
	EPR_ENV_FILE=$BATS_TEST_TMPDIR/missing/db.env run shimmed python3 -c '
import socket, errno
s = socket.socket(); s.bind(("127.0.0.1", 0)); print("PORT", s.getsockname()[1])
try:
    s.listen(1)
except OSError as e:
    print("ERR", errno.errorcode[e.errno])'
	[[ "$output" == *"ERR ENOENT"* ]]
	[[ "$output" == *"libepr: python3["*"]: error: cannot write $BATS_TEST_TMPDIR/missing/db.env: No such file or directory"* ]]
	port=$(awk '$1 == "PORT" { print $2 }' <<<"$output")
	run listening_on "$port"
	[ "$status" -ne 0 ]
}

@test "a read-only directory fails listen() with EACCES" {
	# root writes anywhere: the server runs as nobody, in a directory it may only read
	# (copies of the server and the shim there too: the checkout may not be readable by nobody)
	dir=$(mktemp -d /tmp/epr-ro.XXXXXX)
	cp "$SERVER" "$LIBEPR" "$dir/"
	chmod 755 "$dir"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env EPR_ENV_FILE="$dir/db.env" LD_PRELOAD="$dir/libepr.so" "$dir/listen_server" 127.0.0.1:0
	rm -rf "$dir"
	echo "$output"
	[[ "$output" == *"ERROR 127.0.0.1:0 EACCES"* ]]
	[[ "$output" == *"error: cannot write $dir/db.env: Permission denied"* ]]
}

@test "another user cannot stall listen(): a lock held on a shared sticky directory holds nothing up" {
	dir=$(mktemp -d /tmp/epr-shared.XXXXXX)
	chmod 1777 "$dir"
	# nobody takes the lock the export once took, the directory's, and keeps it
	background setpriv --reuid=nobody --regid=nogroup --clear-groups flock "$dir" sleep 30
	for ((i = 0; i < 50; i++)); do flock -n "$dir" true || break; sleep 0.1; done
	run flock -n "$dir" true
	[ "$status" -ne 0 ] # held
	start=$(date +%s%N)
	EPR_ENV_FILE=$dir/db.env run shimmed "$SERVER" 127.0.0.1:0
	took_ms=$((($(date +%s%N) - start) / 1000000))
	exported=$(env_value "$dir/db.env" EPR_PORT_LIST)
	leftover=$(find "$dir" -mindepth 1 ! -name db.env | wc -l)
	rm -rf "$dir"
	echo "$output (took ${took_ms} ms)"
	[ "$status" -eq 0 ]
	[ "$took_ms" -lt 2500 ]
	[ "$exported" = "$(listened_ports)" ]
	[ "$leftover" -eq 0 ] # no lock file stays behind
}

@test "a lock file planted by another user never makes listen() wait" {
	dir=$(mktemp -d /tmp/epr-shared.XXXXXX)
	chmod 1777 "$dir"
	cp "$SERVER" "$LIBEPR" "$dir/"
	chmod 755 "$dir/listen_server" "$dir/libepr.so"
	# nobody plants the lock file's name and holds a lock on it
	background setpriv --reuid=nobody --regid=nogroup --clear-groups flock "$dir/.db.env.lock" sleep 30
	for ((i = 0; i < 50; i++)); do [ -e "$dir/.db.env.lock" ] && break; sleep 0.1; done
	# root may remove it: the export goes ahead
	EPR_ENV_FILE=$dir/db.env run shimmed "$SERVER" 127.0.0.1:0
	root_status=$status root_exported=$(env_value "$dir/db.env" EPR_PORT_LIST) root_port=$(listened_ports)
	# another user may not (the sticky bit): its listen() fails at once, saying why
	background setpriv --reuid=nobody --regid=nogroup --clear-groups flock "$dir/.web.env.lock" sleep 30
	for ((i = 0; i < 50; i++)); do [ -e "$dir/.web.env.lock" ] && break; sleep 0.1; done
	start=$(date +%s%N)
	run setpriv --reuid=daemon --regid=daemon --clear-groups \
		env EPR_ENV_FILE="$dir/web.env" LD_PRELOAD="$dir/libepr.so" "$dir/listen_server" 127.0.0.1:0
	took_ms=$((($(date +%s%N) - start) / 1000000))
	web_exists=$([ -e "$dir/web.env" ] && echo yes || echo no)
	rm -rf "$dir"
	echo "root: $root_status $root_exported; daemon: $output (took ${took_ms} ms)"
	[ "$root_status" -eq 0 ] && [ "$root_exported" = "$root_port" ]
	[[ "$output" == *"ERROR 127.0.0.1:0 EPERM"* ]]
	[[ "$output" == *"error: cannot write $dir/web.env: a file there (it or its .lock) belongs to another user: Operation not permitted"* ]]
	[ "$took_ms" -lt 2500 ]
	[ "$web_exists" = no ]
}

@test "a socket bound in one program image and listened on after execve() is exported" {
	for spec in "0 127.0.0.1:0" "3306 127.0.0.1:3306" "0 [::1]:0"; do
		read -r sentinel addr <<<"$spec"
		rm -f "$ENV"
		# the first image binds (rewritten) and execs; the second listens on the inherited fd
		EPR_PORTS=3306 EPR_ENV_FILE=$ENV run shimmed python3 -c '
import os, socket, sys
host, port = sys.argv[1].rsplit(":", 1)
host = host.strip("[]")
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.bind((host, int(port)))
s.set_inheritable(True)
print("BOUND", s.getsockname()[1], flush=True)
os.execv(sys.executable, [sys.executable, "-c", """
import socket, sys
s = socket.socket(fileno=int(sys.argv[1])); s.listen(1); print("LISTEN", s.getsockname()[1])
""", str(s.fileno())])' "$addr"
		echo "$addr: $output"
		[ "$status" -eq 0 ]
		port=$(awk '$1 == "LISTEN" { print $2 }' <<<"$output")
		[ -n "$port" ] && [ "$port" -ne 3306 ]
		[ "$(env_value "$ENV" EPR_PORT_LIST)" = "$port" ]
		if [ "$sentinel" != 0 ]; then [ "$(env_value "$ENV" EPR_PORT_3306)" = "$port" ]; fi
	done
}
