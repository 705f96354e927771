/* What epr start and epr stop add to a server's own start and stop, measured side by side:
 * round by round, the same server started by hand (spawn, then connect every 50 us until it
 * accepts; stop: SIGTERM and wait) and through epr (epr start returns once ready; epr stop
 * returns once the tree is gone). Medians of the paired differences. Both arms stop their
 * server at the same age, -a MS after the server itself began: a server's own shutdown may
 * wait for its next timer tick (memcached checks its stop flag once a second, redis ten
 * times), which is then equally far. Counting from the spawn of epr start instead would
 * put epr's start-up on the stop: its server begins later, so its tick comes later. Each
 * server is run as "launch --stamp FILE SERVER ARG...", which writes CLOCK_MONOTONIC to FILE
 * and execs the server, in both arms alike.
 *   launch [-r ROUNDS] [-a MS] EPR SENTINEL -- SERVER ARG...   (the word PORT is the port)
 * The floor of each epr arm is the by-hand arm plus one process: /bin/true, spawned and waited
 * for the same way in the same round (issue 22: epr start and stop at the cost of one process).
 * Runs in a fresh network namespace. Prints:
 *   start_hand_us start_epr_us start_overhead_us stop_hand_us stop_epr_us stop_overhead_us
 *   true_us start_beyond_floor_us stop_beyond_floor_us */
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

/* launch --stamp FILE PROG ARG...: the moment the server begins, then the server. */
static _Noreturn void stamp_and_exec(char **argv)
{
	FILE *f = fopen(argv[0], "w");

	if (!f || fprintf(f, "%llu\n", (unsigned long long)now_ns()) < 0 || fclose(f) != 0)
		die("stamp %s: %m", argv[0]);
	execvp(argv[1], argv + 1);
	die("exec %s: %m", argv[1]);
}

/* When the stamped server began (stamp_and_exec). */
static uint64_t stamped(const char *path)
{
	unsigned long long t = 0;
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%llu", &t) != 1 || !t)
		die("reading the stamp %s", path);
	fclose(f);
	unlink(path);
	return (uint64_t)t;
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

static char self[4096], stamp_file[64];

/* argv with the word PORT replaced by port, run through "launch --stamp". */
static void with_port(char **out, char **in, int n, const char *port)
{
	*out++ = self;
	*out++ = "--stamp";
	*out++ = stamp_file;
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

/* The median of a[i] - b[i] - c[i] (c may be NULL): paired, round by round. */
static int64_t diff_median(const uint64_t *a, const uint64_t *b, const uint64_t *c, int n)
{
	static uint64_t d[MAX_ROUNDS];
	int64_t shift = 1000000000; /* quantile() takes unsigned values */

	for (int i = 0; i < n; i++)
		d[i] = (uint64_t)((int64_t)a[i] - (int64_t)b[i] - (c ? (int64_t)c[i] : 0) + shift);
	return (int64_t)quantile(d, (size_t)n, 0.5) - shift;
}

/* One process, spawned and waited for as an epr command is: the floor's share of epr. */
static uint64_t one_process(int quiet)
{
	char *true_argv[] = { "/bin/true", NULL };
	uint64_t t0 = now_ns();

	wait_ok(spawn(true_argv, quiet), "/bin/true");
	return now_ns() - t0;
}

int main(int argc, char *argv[])
{
	static uint64_t hand_start[MAX_ROUNDS], hand_stop[MAX_ROUNDS], epr_start[MAX_ROUNDS],
		epr_stop[MAX_ROUNDS], true_start[MAX_ROUNDS], true_stop[MAX_ROUNDS];
	char *hand[MAX_ARGS + 4], *through[MAX_ARGS + 16], env_file[64], port_text[8];
	int rounds = 15, age_ms = 300, opt, n;
	const char *epr, *sentinel;
	ssize_t len;

	if (argc > 3 && strcmp(argv[1], "--stamp") == 0)
		stamp_and_exec(argv + 2);
	len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0)
		die("readlink /proc/self/exe: %m");
	self[len] = '\0';

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
	snprintf(stamp_file, sizeof stamp_file, "/tmp/epr-bench-launch.%d.stamp", (int)getpid());

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
		sleep_until(stamped(stamp_file) + (uint64_t)age_ms * 1000000u);
		t0 = now_ns();
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		hand_stop[r] = now_ns() - t0;
		true_start[r] = one_process(1); /* as epr start is run */
		true_stop[r] = one_process(0); /* as epr stop is run */

		/* through epr, told the sentinel */
		{
			int k = 0;
			char *start_argv[MAX_ARGS + 16];

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
		sleep_until(stamped(stamp_file) + (uint64_t)age_ms * 1000000u);
		{
			char *stop_argv[] = { (char *)epr, "stop", env_file, NULL };
			t0 = now_ns();
			wait_ok(spawn(stop_argv, 0), "epr stop");
			epr_stop[r] = now_ns() - t0;
		}
	}
	{ /* epr stop keeps a log that says something; this one has served */
		char log[sizeof env_file + 4];

		snprintf(log, sizeof log, "%s.log", env_file);
		unlink(log);
	}
	printf("%.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n",
	       (double)quantile(hand_start, (size_t)rounds, 0.5) / 1e3,
	       (double)quantile(epr_start, (size_t)rounds, 0.5) / 1e3,
	       (double)diff_median(epr_start, hand_start, NULL, rounds) / 1e3,
	       (double)quantile(hand_stop, (size_t)rounds, 0.5) / 1e3,
	       (double)quantile(epr_stop, (size_t)rounds, 0.5) / 1e3,
	       (double)diff_median(epr_stop, hand_stop, NULL, rounds) / 1e3,
	       (double)quantile(true_start, (size_t)rounds, 0.5) / 1e3,
	       (double)diff_median(epr_start, hand_start, true_start, rounds) / 1e3,
	       (double)diff_median(epr_stop, hand_stop, true_stop, rounds) / 1e3);
	return 0;
}
