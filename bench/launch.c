/* What epr start and epr stop add to a server's own start and stop, measured side by side:
 * round by round, the same server started by hand (spawn, then connect every 50 us until it
 * accepts; stop: SIGTERM and wait) and through epr (epr start returns once ready; epr stop
 * returns once the tree is gone). Medians of the paired differences. Both arms stop their
 * server at the same age (-a MS after the spawn): a server's own shutdown may wait for its
 * next timer tick (memcached checks its stop flag once a second), which is then the same.
 *   launch [-r ROUNDS] [-a MS] EPR SENTINEL -- SERVER ARG...   (the word PORT is the port)
 * Runs in a fresh network namespace. Prints:
 *   start_hand_us start_epr_us start_overhead_us stop_hand_us stop_epr_us stop_overhead_us */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_ROUNDS 200
#define MAX_ARGS 64
#define READY_LIMIT_NS (20ull * 1000000000u)

extern char **environ;

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		die("free port: %m");
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int accepts(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static pid_t spawn(char **argv, int quiet)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	if (quiet) {
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		die("spawn %s: %m", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static void wait_ok(pid_t pid, const char *what)
{
	int status;

	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("%s failed (status %#x)", what, status);
}

/* argv with the word PORT replaced by port. */
static void with_port(char **out, char **in, int n, const char *port)
{
	for (int i = 0; i < n; i++)
		out[i] = strcmp(in[i], "PORT") == 0 ? (char *)port : in[i];
	out[n] = NULL;
}

static void sleep_until(uint64_t when)
{
	uint64_t now = now_ns();

	if (when > now) {
		struct timespec pause = { (time_t)((when - now) / 1000000000u),
					  (long)((when - now) % 1000000000u) };
		nanosleep(&pause, NULL);
	}
}

static int64_t diff_median(const uint64_t *a, const uint64_t *b, int n)
{
	static uint64_t d[MAX_ROUNDS];
	int64_t shift = 1000000000; /* quantile() takes unsigned values */

	for (int i = 0; i < n; i++)
		d[i] = (uint64_t)((int64_t)a[i] - (int64_t)b[i] + shift);
	return (int64_t)quantile(d, (size_t)n, 0.5) - shift;
}

int main(int argc, char *argv[])
{
	static uint64_t hand_start[MAX_ROUNDS], hand_stop[MAX_ROUNDS], epr_start[MAX_ROUNDS],
		epr_stop[MAX_ROUNDS];
	char *hand[MAX_ARGS + 1], *through[MAX_ARGS + 12], env_file[64], port_text[8];
	int rounds = 15, age_ms = 300, opt, n;
	const char *epr, *sentinel;

	while ((opt = getopt(argc, argv, "+r:a:")) != -1) {
		if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'a')
			age_ms = atoi(optarg);
		else
			die("usage: launch [-r ROUNDS] [-a MS] EPR SENTINEL -- SERVER ARG...");
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || argc - optind < 4 || strcmp(argv[optind + 2], "--"))
		die("usage: launch -r ROUNDS EPR SENTINEL -- SERVER ARG...");
	epr = argv[optind];
	sentinel = argv[optind + 1];
	argv += optind + 3;
	n = argc - optind - 3;
	if (n > MAX_ARGS)
		die("too many arguments");
	netns_enter();
	snprintf(env_file, sizeof env_file, "/tmp/epr-bench-launch.%d.env", (int)getpid());

	for (int r = 0; r < rounds; r++) {
		uint64_t t0, deadline;
		pid_t pid;
		int port = free_port();

		/* by hand */
		snprintf(port_text, sizeof port_text, "%d", port);
		with_port(hand, argv, n, port_text);
		t0 = now_ns();
		pid = spawn(hand, 1);
		deadline = t0 + READY_LIMIT_NS;
		while (!accepts(port)) {
			struct timespec pause = { 0, 50000 };
			if (now_ns() > deadline)
				die("%s did not accept on %d", hand[0], port);
			nanosleep(&pause, NULL);
		}
		hand_start[r] = now_ns() - t0;
		sleep_until(t0 + (uint64_t)age_ms * 1000000u);
		t0 = now_ns();
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		hand_stop[r] = now_ns() - t0;

		/* through epr, told the sentinel */
		{
			int k = 0;
			char *start_argv[MAX_ARGS + 12];

			start_argv[k++] = (char *)epr;
			start_argv[k++] = "start";
			start_argv[k++] = "-t";
			start_argv[k++] = "20";
			start_argv[k++] = "-p";
			start_argv[k++] = (char *)sentinel;
			start_argv[k++] = "-e";
			start_argv[k++] = env_file;
			start_argv[k++] = "--";
			with_port(start_argv + k, argv, n, sentinel);
			memcpy(through, start_argv, sizeof start_argv);
		}
		t0 = now_ns();
		wait_ok(spawn(through, 1), "epr start");
		epr_start[r] = now_ns() - t0;
		sleep_until(t0 + (uint64_t)age_ms * 1000000u);
		{
			char *stop_argv[] = { (char *)epr, "stop", env_file, NULL };
			t0 = now_ns();
			wait_ok(spawn(stop_argv, 0), "epr stop");
			epr_stop[r] = now_ns() - t0;
		}
	}
	printf("%.0f %.0f %.0f %.0f %.0f %.0f\n",
	       (double)quantile(hand_start, (size_t)rounds, 0.5) / 1e3,
	       (double)quantile(epr_start, (size_t)rounds, 0.5) / 1e3,
	       (double)diff_median(epr_start, hand_start, rounds) / 1e3,
	       (double)quantile(hand_stop, (size_t)rounds, 0.5) / 1e3,
	       (double)quantile(epr_stop, (size_t)rounds, 0.5) / 1e3,
	       (double)diff_median(epr_stop, hand_stop, rounds) / 1e3);
	return 0;
}
