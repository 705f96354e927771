/* A pass-through bind under seccomp user notification against the same bind bare: what the
 * supervisor's round trip adds to a bind it does not rewrite (goal: <= 15 us).
 *   seccomp_bind [-N] N
 * Times bind(127.0.0.1:PASS_PORT)+close() N times in a child, first bare, then under the
 * bind/listen filter with this process answering CONTINUE through seccomp_handle (which
 * reads the address and takes the socket, as for any bind). -N runs in a fresh network
 * namespace. Prints "MODE MEDIAN_NS P10_NS P90_NS N" for pass-bare and pass-seccomp. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "seccomp_notify.h"

#define WARMUP 20
#define PASS_PORT 5555

static uint64_t time_pass(void)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(PASS_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint64_t t0, t1;

	if (fd < 0)
		die("socket: %m");
	t0 = now_ns();
	if (bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0)
		die("bind 127.0.0.1:%d: %m", PASS_PORT);
	close(fd);
	t1 = now_ns();
	return t1 - t0;
}

static void report(const char *mode, uint64_t *v, size_t n)
{
	uint64_t median = quantile(v, n, 0.5), p10 = quantile(v, n, 0.1), p90 = quantile(v, n, 0.9);

	printf("%s %llu %llu %llu %zu\n", mode, (unsigned long long)median, (unsigned long long)p10,
	       (unsigned long long)p90, n);
	fflush(stdout);
}

static void run_child(int channel, size_t n)
{
	uint64_t *v = malloc(n * sizeof(*v));
	char why[256];

	if (!v)
		die("out of memory for %zu samples", n);
	for (size_t i = 0; i < WARMUP; i++)
		time_pass();
	for (size_t i = 0; i < n; i++)
		v[i] = time_pass();
	report("pass-bare", v, n);
	if (seccomp_child_install(channel, why, sizeof(why)) < 0)
		die("%s", why);
	close(channel);
	for (size_t i = 0; i < WARMUP; i++)
		time_pass();
	for (size_t i = 0; i < n; i++)
		v[i] = time_pass();
	report("pass-seccomp", v, n);
	free(v);
	exit(0);
}

static int pass_bind(void *ctx, pid_t tgid, int fd, const struct sockaddr *addr, socklen_t len)
{
	(void)ctx, (void)tgid, (void)fd, (void)addr, (void)len;
	return INTERCEPT_CONTINUE;
}

static int pass_listen(void *ctx, pid_t tgid, int fd, int backlog)
{
	(void)ctx, (void)tgid, (void)fd, (void)backlog;
	return INTERCEPT_CONTINUE;
}

int main(int argc, char *argv[])
{
	struct intercept_ops ops = { .bind = pass_bind, .listen = pass_listen };
	int channel[2], listener, status, arg = 1;
	long n;
	pid_t child;

	if (argc > 1 && strcmp(argv[1], "-N") == 0) {
		netns_enter();
		arg++;
	}
	if (argc != arg + 1 || (n = strtol(argv[arg], NULL, 10)) < 1 || n > 10000000)
		die("usage: seccomp_bind [-N] N");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) < 0)
		die("socketpair: %m");
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork: %m");
	if (child == 0) {
		close(channel[0]);
		run_child(channel[1], (size_t)n);
	}
	close(channel[1]);
	listener = seccomp_receive_listener(channel[0]);
	if (listener < 0) {
		waitpid(child, &status, 0);
		die("no listener from the child: %s", strerror(-listener));
	}
	for (;;) {
		struct pollfd p = { .fd = listener, .events = POLLIN };
		int rc;

		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			die("poll: %m");
		rc = seccomp_handle(listener, &ops, NULL);
		if (rc == -ENOENT) /* the child is gone */
			break;
		if (rc < 0)
			die("seccomp_handle: %s", strerror(-rc));
	}
	if (waitpid(child, &status, 0) != child)
		die("waitpid: %m");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
