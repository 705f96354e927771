/* In-process costs, timed per call with CLOCK_MONOTONIC. Run the same binary with and
 * without LD_PRELOAD=libepr.so, so that the shim is the only difference.
 *   inproc [-N] MODE N
 *   floor     one TIME_WAIT reservation written here as bare calls, then bind (no shim)
 *   reserve   common/reserve.c's reserve_port(), then bind (no shim): the library's share
 *   zero      bind(0.0.0.0:0), which the shim rewrites
 *   sentinel  bind(0.0.0.0:S) for each S in EPR_PORTS (the shim reserves on v4 and v6);
 *             a sentinel is reserved once per process, so a child is forked per list
 *   pass      bind(127.0.0.1:PASS_PORT)+close(), a port no sentinel names
 *   pass-zero the same after 128 binds of port 0: the shim then checks each named port
 *             against the 128 ports it handed out (bind 0, close, bind that port again)
 * -N runs in a fresh network namespace. Prints "MODE MEDIAN_NS P10_NS P90_NS N". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "reserve.h"
#include "sys_socket.h"

#define WARMUP 20
#define PASS_PORT 5555
#define MAX_SENTINELS 64

/* common/reserve.c reaches bind and listen through these, as the epr command does. */
int sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return bind(fd, addr, len);
}

int sys_listen(int fd, int backlog)
{
	return listen(fd, backlog);
}

static struct sockaddr_in addr4(uint32_t ip, uint16_t port)
{
	struct sockaddr_in in;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(ip);
	in.sin_port = htons(port);
	return in;
}

static int tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %m");
	return fd;
}

/* The floor: the least a TIME_WAIT reservation can do. Returns the port. */
static uint16_t floor_reserve(void)
{
	struct sockaddr_in in = addr4(INADDR_LOOPBACK, 0);
	socklen_t len = sizeof(in);
	int one = 1, listener = tcp_socket(), client = tcp_socket(), accepted;

	if (bind(listener, (struct sockaddr *)&in, sizeof(in)) < 0)
		die("floor: bind: %m");
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (listen(listener, 1) < 0 || getsockname(listener, (struct sockaddr *)&in, &len) < 0)
		die("floor: listen: %m");
	if (connect(client, (struct sockaddr *)&in, sizeof(in)) < 0)
		die("floor: connect: %m");
	accepted = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (accepted < 0)
		die("floor: accept: %m");
	close(accepted);
	close(client);
	close(listener);
	return ntohs(in.sin_port);
}

static void bind_reserved(int fd, uint16_t port)
{
	struct sockaddr_in any = addr4(INADDR_ANY, port);
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0)
		die("bind to reserved port %u: %m", port);
}

/* One timed operation of mode; returns its ns. */
static uint64_t time_one(const char *mode)
{
	struct sockaddr_in in;
	int fd = tcp_socket();
	uint64_t t0 = now_ns(), t1;

	if (strcmp(mode, "floor") == 0) {
		bind_reserved(fd, floor_reserve());
	} else if (strcmp(mode, "reserve") == 0) {
		struct sockaddr_in lo = addr4(INADDR_LOOPBACK, 0);
		int port = reserve_port((struct sockaddr *)&lo, sizeof(lo), 0);
		if (port < 0)
			die("reserve_port: %s", strerror(-port));
		bind_reserved(fd, (uint16_t)port);
	} else if (strcmp(mode, "zero") == 0) {
		in = addr4(INADDR_ANY, 0);
		if (bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0)
			die("bind 0.0.0.0:0: %m");
	} else if (strcmp(mode, "pass") == 0 || strcmp(mode, "pass-zero") == 0) {
		in = addr4(INADDR_LOOPBACK, PASS_PORT);
		if (bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0)
			die("bind 127.0.0.1:%d: %m", PASS_PORT);
		close(fd);
		t1 = now_ns();
		return t1 - t0;
	} else {
		die("unknown mode '%s'", mode);
	}
	t1 = now_ns();
	close(fd);
	return t1 - t0;
}

static int sentinels(uint16_t *out)
{
	const char *p = getenv("EPR_PORTS");
	int n = 0;

	while (p && *p && n < MAX_SENTINELS) {
		out[n++] = (uint16_t)strtoul(p, (char **)&p, 10);
		p += *p == ',';
	}
	if (n < 2)
		die("sentinel: EPR_PORTS must list at least two sentinels");
	return n;
}

/* A child binds each sentinel once and writes the times to fd; the first, which also pays
 * the fork's copy-on-write faults, is dropped. Returns the count read. */
static size_t sentinel_batch(const uint16_t *s, int ns, uint64_t *out, size_t room)
{
	int pipefd[2];
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd) < 0 || (pid = fork()) < 0)
		die("pipe/fork: %m");
	if (pid == 0) {
		uint64_t t[MAX_SENTINELS];
		close(pipefd[0]);
		for (int i = 0; i < ns; i++) {
			struct sockaddr_in in = addr4(INADDR_ANY, s[i]);
			int fd = tcp_socket();
			uint64_t t0 = now_ns();
			if (bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0) {
				fprintf(stderr, "inproc: bind sentinel %u: %m\n", s[i]);
				_exit(1);
			}
			t[i] = now_ns() - t0;
			close(fd);
		}
		_exit(write(pipefd[1], t + 1, sizeof(uint64_t) * (size_t)(ns - 1)) < 0);
	}
	close(pipefd[1]);
	while (got < room && (n = read(pipefd[0], out + got, (room - got) * sizeof(uint64_t))) > 0)
		got += (size_t)n / sizeof(uint64_t);
	close(pipefd[0]);
	int status;
	waitpid(pid, &status, 0);
	if (status != 0)
		die("sentinel child failed");
	return got;
}

int main(int argc, char *argv[])
{
	int in_netns = argc > 1 && strcmp(argv[1], "-N") == 0;
	const char *mode;
	uint64_t *t;
	size_t n, got = 0;

	if (argc != 3 + in_netns)
		die("usage: inproc [-N] floor|reserve|zero|sentinel|pass|pass-zero N");
	mode = argv[1 + in_netns];
	n = strtoul(argv[2 + in_netns], NULL, 10);
	t = calloc(n + WARMUP, sizeof(*t));
	if (in_netns)
		netns_enter();
	if (strcmp(mode, "pass-zero") == 0) {
		for (int i = 0; i < 128; i++) { /* the shim's whole ring of port-0 ports */
			struct sockaddr_in in = addr4(INADDR_LOOPBACK, 0);
			int fd = tcp_socket();
			if (bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0)
				die("bind 127.0.0.1:0: %m");
			close(fd);
		}
	}
	if (strcmp(mode, "sentinel") == 0) {
		uint16_t s[MAX_SENTINELS];
		int ns = sentinels(s);
		/* resolve the shim's bind and fault in its pages before the children copy them */
		time_one("pass");
		while (got < n)
			got += sentinel_batch(s, ns, t + got, n - got);
	} else {
		for (size_t i = 0; i < n + WARMUP; i++) {
			uint64_t ns = time_one(mode);
			if (i >= WARMUP)
				t[got++] = ns;
		}
	}
	printf("%s %llu %llu %llu %zu\n", mode, (unsigned long long)quantile(t, got, 0.5),
	       (unsigned long long)quantile(t, got, 0.1), (unsigned long long)quantile(t, got, 0.9), got);
	return 0;
}
