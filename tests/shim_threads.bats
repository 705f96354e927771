#!/usr/bin/env bats
# libepr.so inside threaded and forking programs: no deadlock, no lost port.

load helpers

@test "fork() while other threads are inside the rewritten bind: every child binds and exits" {
	run in_netns env EPR_PORTS=3306 LD_PRELOAD="$LIBEPR" "$EPR_BUILD/tests/fork_storm" 8 100
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"FORKS 100 0 0"* ]]
}

@test "posix_spawn and vfork children of a shimmed program run normally" {
	EPR_DEBUG=1 run shimmed python3 -c '
import os, subprocess, socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
pid = os.posix_spawnp("true", ["true"], os.environ)
print("spawn", os.waitpid(pid, 0)[1])
print("vfork", subprocess.run(["true"], close_fds=True).returncode)'
	[ "$status" -eq 0 ]
	[[ "$output" == *"spawn 0"* ]] && [[ "$output" == *"vfork 0"* ]]
}
