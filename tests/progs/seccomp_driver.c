/* The seccomp interception mechanism on its own, without epr's supervisor: runs PROG under
 * the bind/listen filter and answers its calls with a small policy, for the bats suites.
 *   seccomp_driver [-s SENTINEL]... [-z] [-d MS] [-t SECONDS] -- PROG [ARG...]
 * A TCP bind to a SENTINEL (up to 8) (or to port 0 with -z) goes to a port reserved on loopback, printed
 * as "bind SENTINEL -> PORT"; every other bind passes through to the kernel. Every listen is
 * done on the driver's copy of the socket and printed as "listen PORT". Exits with PROG's
 * status once the whole tree is gone; after SECONDS (default 30) it kills the tree. -d waits
 * MS milliseconds after each rewritten bind before answering: a slow supervisor, for signals
 * to arrive meanwhile. A bind seen again on a socket it already bound prints "restarted". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reserve.h"
#include "seccomp_notify.h"

#define BIND_ATTEMPTS 8
#define MAX_SENTINELS 8

struct policy {
	int sentinels[MAX_SENTINELS]; /* -s, repeatable */
	int assigned[MAX_SENTINELS];  /* each sentinel's port, once picked */
	int count;
	int zero;                     /* -z: port 0 is rewritten too */
	int delay_ms;                 /* -d */
};

/* The sentinel slot for port, or -1. */
static int sentinel_slot(const struct policy *p, int port)
{
	for (int i = 0; i < p->count; i++)
		if (p->sentinels[i] == port)
			return i;
	return -1;
}

static int addr_port(const struct sockaddr *a, socklen_t len)
{
	if (a->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return -1;
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

static socklen_t loopback(int family, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	set_port(ss, port);
	return family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return addr_port((struct sockaddr *)&ss, len);
}

/* A port reserved on this family's loopback and, exactly, on the other one's. */
static int reserve_both(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, 0, &ss);
	int port = reserve_port((struct sockaddr *)&ss, len, 0), got;

	if (port < 0)
		return port;
	len = loopback(family == AF_INET ? AF_INET6 : AF_INET, port, &ss);
	got = reserve_port((struct sockaddr *)&ss, len, RESERVE_EXACT);
	if (got < 0 && got != -EADDRNOTAVAIL && got != -EAFNOSUPPORT)
		return got;
	return port;
}

static int on_bind(void *ctx, pid_t tgid, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct policy *p = ctx;
	struct sockaddr_storage want;
	int port = addr_port(addr, len), protocol = 0, one = 1, already, slot;
	socklen_t plen = sizeof(protocol);

	(void)tgid;
	slot = port > 0 ? sentinel_slot(p, port) : -1;
	if (port < 0 || !(slot >= 0 || (port == 0 && p->zero)))
		return INTERCEPT_CONTINUE;
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &plen) < 0 || protocol != IPPROTO_TCP)
		return INTERCEPT_CONTINUE;
	/* A restarted bind (the answer was lost to a signal) finds the socket bound by us. */
	already = bound_port(fd);
	if (already > 0) {
		printf("restarted bind %d: already bound to %d\n", port, already);
		return slot >= 0 && already == p->assigned[slot] ? 0 : EINVAL;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return errno;
	memcpy(&want, addr, len);
	if (slot >= 0 && p->assigned[slot]) {
		set_port(&want, p->assigned[slot]);
		if (bind(fd, (struct sockaddr *)&want, len) < 0)
			return errno;
		printf("bind %d -> %d\n", port, p->assigned[slot]);
		return 0;
	}
	for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
		int got = port == 0 ? reserve_port(addr, len, 0) : reserve_both(addr->sa_family);

		if (got == -EADDRINUSE)
			continue;
		if (got < 0)
			return got == -EAGAIN ? EADDRNOTAVAIL : -got;
		set_port(&want, got);
		if (bind(fd, (struct sockaddr *)&want, len) == 0) {
			if (slot >= 0)
				p->assigned[slot] = got;
			printf("bind %d -> %d\n", port, got);
			if (p->delay_ms)
				usleep((useconds_t)p->delay_ms * 1000);
			return 0;
		}
		if (errno != EADDRINUSE)
			return errno;
	}
	return EADDRINUSE;
}

static int on_listen(void *ctx, pid_t tgid, int fd, int backlog)
{
	(void)ctx, (void)tgid;
	if (listen(fd, backlog) < 0)
		return errno;
	printf("listen %d\n", bound_port(fd));
	return 0;
}

static void on_error(void *ctx, pid_t tgid, int err, const char *why)
{
	(void)ctx, (void)tgid, (void)err;
	fprintf(stderr, "seccomp_driver: %s\n", why);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reaps every child (we are a subreaper); PROG's status goes to *status. */
static void reap(pid_t child, int *status, int *child_gone)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (pid == child) {
			*status = st;
			*child_gone = 1;
		}
}

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: seccomp_driver [-s SENTINEL]... [-z] [-d MS] [-t SECONDS] -- PROG [ARG...]\n");
	exit(2);
}

int main(int argc, char *argv[])
{
	struct policy policy;
	struct intercept_ops ops = { .bind = on_bind, .listen = on_listen, .error = on_error };
	double limit = 30, deadline;
	int channel[2], listener, opt, status = 0, child_gone = 0, killed = 0;
	pid_t child;

	memset(&policy, 0, sizeof(policy));
	while ((opt = getopt(argc, argv, "+s:zd:t:")) != -1) {
		if (opt == 's' && policy.count < MAX_SENTINELS)
			policy.sentinels[policy.count++] = atoi(optarg);
		else if (opt == 'z')
			policy.zero = 1;
		else if (opt == 't')
			limit = atof(optarg);
		else if (opt == 'd')
			policy.delay_ms = atoi(optarg);
		else
			usage();
	}
	if (optind >= argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) < 0) {
		perror("seccomp_driver: prctl or socketpair");
		return 1;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		perror("seccomp_driver: fork");
		return 1;
	}
	if (child == 0) {
		char why[256];
		int rc;

		close(channel[0]);
		setpgid(0, 0);
		rc = seccomp_child_install(channel[1], why, sizeof(why));
		if (rc < 0) {
			fprintf(stderr, "seccomp_driver: %s\n", why);
			_exit(125);
		}
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "seccomp_driver: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	close(channel[1]);
	listener = seccomp_receive_listener(channel[0]);
	close(channel[0]);
	if (listener < 0) {
		waitpid(child, &status, 0);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	deadline = now() + limit;
	for (;;) {
		struct pollfd p = { .fd = listener, .events = POLLIN };
		int rc;

		reap(child, &status, &child_gone);
		if (!killed && now() > deadline) {
			fprintf(stderr, "seccomp_driver: %s still runs after %g s: killing it\n",
				argv[optind], limit);
			kill(-child, SIGKILL);
			killed = 1;
			deadline = now() + 5;
		} else if (killed && now() > deadline) {
			fprintf(stderr, "seccomp_driver: the tree outlived SIGKILL by 5 s\n");
			return 1;
		}
		/* A short wait: children are reaped by polling, so HUP can come. */
		if (poll(&p, 1, 50) < 0 && errno != EINTR) {
			perror("seccomp_driver: poll");
			return 1;
		}
		rc = seccomp_handle(listener, &ops, &policy);
		if (rc == -ENOENT)
			break;
		if (rc < 0) {
			fprintf(stderr, "seccomp_driver: listener: %s\n", strerror(-rc));
			return 1;
		}
	}
	close(listener);
	while (!child_gone && waitpid(child, &status, 0) == child)
		child_gone = 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
