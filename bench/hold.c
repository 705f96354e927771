/* The hold's benchmarks (issue 21).
 *   hold bind PORT N SECONDS   N SO_REUSEADDR binds of 127.0.0.1:PORT at random moments over
 *                              SECONDS, with bind(0) and outgoing connects between them:
 *                              prints "reuse_fail F of N bind0_hit B of M connect_hit C of K"
 *                              (B and C: how often the kernel handed out PORT)
 *   hold cost N                the median in-process cost of a port from the portserver at
 *                              $PORTSERVER_ADDRESS and from reserve_port(): prints
 *                              "cost portserver NS reserve NS" */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "portserver_client.h"
#include "reserve.h"
#include "sys_socket.h"

/* reserve.c's calls, plain: no shim here. */
int sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return bind(fd, addr, len);
}

int sys_listen(int fd, int backlog)
{
	return listen(fd, backlog);
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port) };

	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return in;
}

/* A server's bind: SO_REUSEADDR, bind, close. True when it succeeded. */
static int reuse_bind(uint16_t port)
{
	struct sockaddr_in in = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, ok;

	if (fd < 0)
		die("socket: %m");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&in, sizeof(in)) == 0;
	if (!ok)
		fprintf(stderr, "hold: SO_REUSEADDR bind of %u: %m\n", port);
	close(fd);
	return ok;
}

/* The port that bind(0) gets, or 0. */
static uint16_t bind_zero(void)
{
	struct sockaddr_in in = loopback(0);
	socklen_t len = sizeof(in);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint16_t port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&in, len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&in, &len) == 0)
		port = ntohs(in.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* The local port of an outgoing connect to server, or 0. The accepted side closes first,
 * so the client's port is not left in TIME_WAIT. */
static uint16_t connect_port(int server, const struct sockaddr_in *to)
{
	struct sockaddr_in in;
	socklen_t len = sizeof(in);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), accepted;
	uint16_t port = 0;

	if (fd >= 0 && connect(fd, (const struct sockaddr *)to, sizeof(*to)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&in, &len) == 0) {
		port = ntohs(in.sin_port);
		accepted = accept(server, NULL, NULL);
		if (accepted >= 0)
			close(accepted);
	}
	if (fd >= 0)
		close(fd);
	return port;
}

static int bench_bind(uint16_t port, long n, double seconds)
{
	struct sockaddr_in to = loopback(0);
	socklen_t len = sizeof(to);
	long fails = 0, zeros = 0, zero_hits = 0, connects = 0, connect_hits = 0;
	int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint64_t start = now_ns();

	/* the connects' destination, on 127.0.0.2: outside the ports held on 127.0.0.1 */
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
	if (server < 0 || bind(server, (struct sockaddr *)&to, len) < 0 || listen(server, 64) < 0 ||
	    getsockname(server, (struct sockaddr *)&to, &len) < 0)
		die("listener: %m");
	srandom((unsigned)getpid());
	for (long i = 0; i < n; i++) {
		/* a random moment in the i-th of n equal slices of the run */
		uint64_t slice = (uint64_t)(seconds * 1e9 / (double)n);
		uint64_t at = start + (uint64_t)i * slice + (uint64_t)random() % (slice ? slice : 1);
		uint64_t now;

		while ((now = now_ns()) < at) {
			uint64_t left = at - now;
			struct timespec pause = { 0, (long)(left > 2000000 ? 2000000 : left) };
			uint16_t p = bind_zero();

			zeros += p != 0;
			zero_hits += p == port;
			if (zeros % 8 == 0) {
				p = connect_port(server, &to);
				connects += p != 0;
				connect_hits += p == port;
			}
			nanosleep(&pause, NULL);
		}
		fails += !reuse_bind(port);
	}
	printf("reuse_fail %ld of %ld bind0_hit %ld of %ld connect_hit %ld of %ld seconds %.0f\n",
	       fails, n, zero_hits, zeros, connect_hits, connects, (double)(now_ns() - start) / 1e9);
	return 0;
}

static int bench_cost(int n)
{
	const char *address = getenv("PORTSERVER_ADDRESS");
	uint64_t *server = calloc((size_t)n, sizeof(*server)), *local = calloc((size_t)n, sizeof(*local));
	struct sockaddr_in in = loopback(0);

	if (!server || !local || !address)
		die("cost: no memory, or no PORTSERVER_ADDRESS");
	for (int i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		int port = portserver_request(address, getpid());
		uint64_t t1 = now_ns();
		int mine = reserve_port((struct sockaddr *)&in, sizeof(in), 0);
		uint64_t t2 = now_ns();

		if (port < 0 || mine < 0)
			die("cost: %s", strerror(port < 0 ? -port : -mine));
		server[i] = t1 - t0;
		local[i] = t2 - t1;
	}
	printf("cost portserver %llu reserve %llu\n", (unsigned long long)quantile(server, (size_t)n, 0.5),
	       (unsigned long long)quantile(local, (size_t)n, 0.5));
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc == 5 && strcmp(argv[1], "bind") == 0)
		return bench_bind((uint16_t)atoi(argv[2]), atol(argv[3]), atof(argv[4]));
	if (argc == 3 && strcmp(argv[1], "cost") == 0)
		return bench_cost(atoi(argv[2]));
	die("usage: hold bind PORT N SECONDS | hold cost N");
}
