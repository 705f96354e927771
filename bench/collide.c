/* Starts N copies of a command at once, each after a random delay of 0..D ms, and counts
 * how they ended (serve's exit statuses).
 *   collide [-n N] [-d D_MS] [-s SEED] [-t TIMEOUT_S] [VAR=VAL...] PROG [ARG...]
 * Prints "started N ok K bind_fail B listen_fail L other O". A copy still running after
 * TIMEOUT_S (default 30) is killed and counted as other. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_PROCS 4096

int main(int argc, char *argv[])
{
	static pid_t pids[MAX_PROCS];
	int n = 200, delay_ms = 200, timeout_s = 30, opt, ok = 0, bind_fail = 0, listen_fail = 0, other = 0;
	unsigned seed = (unsigned)getpid();
	struct command cmd;

	while ((opt = getopt(argc, argv, "+n:d:s:t:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'd')
			delay_ms = atoi(optarg);
		else if (opt == 's')
			seed = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 't')
			timeout_s = atoi(optarg);
		else
			return 2;
	}
	if (optind == argc || n < 1 || n > MAX_PROCS)
		die("usage: collide [-n N] [-d MS] [-s SEED] [-t S] [VAR=VAL...] PROG [ARG...]");
	command_parse(&cmd, argv + optind, argc - optind);
	srandom(seed);
	for (int i = 0; i < n; i++) {
		long wait_us = delay_ms > 0 ? random() % ((long)delay_ms * 1000 + 1) : 0;

		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %m");
		if (pids[i] == 0) {
			struct timespec pause = { wait_us / 1000000, wait_us % 1000000 * 1000 };
			nanosleep(&pause, NULL);
			execve(cmd.argv[0], cmd.argv, cmd.envp);
			_exit(127);
		}
	}
	uint64_t deadline = now_ns() + (uint64_t)timeout_s * 1000000000u;
	for (int left = n; left > 0;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid == 0) {
			if (now_ns() > deadline) {
				for (int i = 0; i < n; i++)
					kill(pids[i], SIGKILL);
			}
			usleep(2000);
			continue;
		}
		if (pid < 0)
			break;
		left--;
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (code == 0)
			ok++;
		else if (code == 10)
			bind_fail++;
		else if (code == 11)
			listen_fail++;
		else
			other++;
	}
	printf("started %d ok %d bind_fail %d listen_fail %d other %d\n", n, ok, bind_fail, listen_fail, other);
	return 0;
}
