/* common/reserve.c: the TIME_WAIT reservation, checked against what the kernel then allows. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reserve.h"
#include "sys_socket.h"
#include "tap.h"

/* What libepr.so and epr bind differently; here, plain libc. */
int sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return bind(fd, addr, len);
}

int sys_listen(int fd, int backlog)
{
	return listen(fd, backlog);
}

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

static struct addr make(int family, const char *host, uint16_t port)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&a.ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		inet_pton(AF_INET, host, &in->sin_addr);
		a.len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a.ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		inet_pton(AF_INET6, host, &in6->sin6_addr);
		a.len = sizeof(*in6);
	}
	return a;
}

static int reserve(const struct addr *a, int flags)
{
	return reserve_port((const struct sockaddr *)&a->ss, a->len, flags);
}

static int reserve_at(int family, const char *host, uint16_t port, int flags)
{
	struct addr a = make(family, host, port);

	return reserve(&a, flags);
}

/* bind(2) of a fresh TCP socket to host:port, with or without SO_REUSEADDR: 0 or errno. */
static int try_bind(int family, const char *host, uint16_t port, int reuse)
{
	struct addr a = make(family, host, port);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0, one = 1;

	if (fd < 0)
		return errno;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (reuse)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a.ss, a.len) < 0 || listen(fd, 1) < 0)
		err = errno;
	close(fd);
	return err;
}

/* A listening socket on host port 0: its fd, and its port in *port. */
static int listener(int family, const char *host, uint16_t *port)
{
	struct addr a = make(family, host, 0);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a.ss, a.len) < 0 || listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		tap_bail("listener on %s: %s", host, strerror(errno));
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void test_family(int family, const char *host)
{
	int port = reserve_at(family, host, 0, 0);

	ok(port > 0 && port <= 65535, "%s: reserve_port(0) returns a port (%d)", host, port);
	if (port <= 0)
		return;
	is_int(try_bind(family, host, (uint16_t)port, 0), EADDRINUSE,
	       "%s: a plain bind to the reserved port fails with EADDRINUSE", host);
	is_int(try_bind(family, host, (uint16_t)port, 1), 0,
	       "%s: a bind with SO_REUSEADDR takes the reserved port", host);

	/* A port in TIME_WAIT (another reservation) counts as taken. */
	int again = reserve_at(family, host, (uint16_t)port, RESERVE_EXACT);
	is_int(again, -EADDRINUSE, "%s: RESERVE_EXACT of a port already reserved is -EADDRINUSE", host);
	int other = reserve_at(family, host, (uint16_t)port, 0);
	ok(other > 0 && other != port, "%s: preferring a port already reserved falls back to another (%d)",
	   host, other);

	/* RESERVE_REUSE (the classic Python reserve()): the port just reserved, again. */
	is_int(reserve_at(family, host, (uint16_t)port, RESERVE_REUSE), port,
	       "%s: RESERVE_REUSE of a port already reserved reserves it again", host);
	is_int(try_bind(family, host, (uint16_t)port, 0), EADDRINUSE, "%s: ... still held against a plain bind",
	       host);
	is_int(try_bind(family, host, (uint16_t)port, 1), 0, "%s: ... and open to SO_REUSEADDR", host);
	other = reserve_at(family, host, 0, RESERVE_REUSE);
	ok(other > 0 && other != port, "%s: RESERVE_REUSE without a preference picks a fresh port (%d)", host,
	   other);

	uint16_t busy;
	int fd = listener(family, host, &busy);
	other = reserve_at(family, host, busy, RESERVE_REUSE);
	ok(other > 0 && other != busy, "%s: RESERVE_REUSE of a listening port falls back to another", host);
	is_int(try_bind(family, host, (uint16_t)other, 0), EADDRINUSE, "%s: ... which is held", host);
	is_int(reserve_at(family, host, busy, RESERVE_REUSE | RESERVE_EXACT), -EADDRINUSE,
	       "%s: RESERVE_REUSE|RESERVE_EXACT of a listening port is -EADDRINUSE", host);
	is_int(reserve_at(family, host, busy, RESERVE_EXACT), -EADDRINUSE,
	       "%s: RESERVE_EXACT of a listening port is -EADDRINUSE", host);
	other = reserve_at(family, host, busy, 0);
	ok(other > 0 && other != busy, "%s: preferring a listening port falls back to another", host);
	close(fd);

	/* A port just bound and closed without a connection is free again, and no TIME_WAIT. */
	fd = listener(family, host, &busy);
	close(fd);
	is_int(reserve_at(family, host, busy, 0), busy,
	       "%s: a free preferred port is the one reserved", host);
	fd = listener(family, host, &busy);
	close(fd);
	is_int(reserve_at(family, host, busy, RESERVE_EXACT), busy,
	       "%s: a free port with RESERVE_EXACT is the one reserved", host);
	is_int(try_bind(family, host, busy, 0), EADDRINUSE, "%s: ... and is then held", host);
}

static int have_ipv6_loopback(void)
{
	struct addr a = make(AF_INET6, "::1", 0);
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), ok6;

	if (fd < 0)
		return 0;
	ok6 = bind(fd, (struct sockaddr *)&a.ss, a.len) == 0;
	close(fd);
	return ok6;
}

static void test_errors(void)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.ss.ss_family = AF_UNIX;
	a.len = sizeof(struct sockaddr_storage);
	is_int(reserve(&a, 0), -EINVAL, "errors: AF_UNIX is -EINVAL");
	a.ss.ss_family = AF_UNSPEC;
	is_int(reserve(&a, 0), -EINVAL, "errors: AF_UNSPEC is -EINVAL");
	a = make(AF_INET, "127.0.0.1", 0);
	a.len = sizeof(struct sockaddr_in) - 1;
	is_int(reserve(&a, 0), -EINVAL, "errors: AF_INET shorter than sockaddr_in is -EINVAL");
	a = make(AF_INET6, "::1", 0);
	a.len = 24;
	is_int(reserve(&a, 0), -EINVAL, "errors: AF_INET6 of 24 bytes is -EINVAL (callers pass 28)");
	a = make(AF_INET, "192.0.2.1", 0);
	is_int(reserve(&a, 0), -EADDRNOTAVAIL, "errors: a non-local address is -EADDRNOTAVAIL");
}

static void test_no_fd_leak(void)
{
	int before = count_fds(), all_good = 1;
	uint16_t busy;
	int fd = listener(AF_INET, "127.0.0.1", &busy);

	before++; /* the listener */
	for (int i = 0; i < 20; i++) {
		struct addr a = make(AF_INET, "127.0.0.1", 0);
		all_good &= reserve(&a, 0) > 0;
		a = make(AF_INET, "127.0.0.1", busy);
		all_good &= reserve(&a, RESERVE_EXACT) == -EADDRINUSE;
		a = make(AF_INET, "192.0.2.1", 0);
		all_good &= reserve(&a, 0) == -EADDRNOTAVAIL;
		a.ss.ss_family = AF_UNIX;
		all_good &= reserve(&a, 0) == -EINVAL;
	}
	ok(all_good, "fds: 80 reservations, good and failing, behave");
	is_int(count_fds(), before, "fds: no descriptor is left open by any of them");
	close(fd);
}

/* In a private network namespace (root only): loopback up, ephemeral range low..high. */
static int private_netns(const char *range)
{
	struct ifreq ifr;
	int fd, up, written;

	if (unshare(CLONE_NEWNET) < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	up = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 &&
	     (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
	close(fd);
	fd = open("/proc/sys/net/ipv4/ip_local_port_range", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	written = write(fd, range, strlen(range)) == (ssize_t)strlen(range);
	close(fd);
	return up && written ? 0 : -1;
}

/* Runs check() in a child inside a private namespace; its exit status: 0 pass, 1 fail,
 * 77 namespace unavailable. */
static int in_netns(const char *range, int (*check)(void))
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(private_netns(range) < 0 ? 77 : check());
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

/* One ephemeral port: the listener takes it, the client's connect finds none. */
static int exhausted_by_connect(void)
{
	return reserve_at(AF_INET, "127.0.0.1", 0, 0) == -EAGAIN ? 0 : 1;
}

/* One ephemeral port, held by a listener: bind(0) itself finds none. */
static int exhausted_by_bind(void)
{
	uint16_t port;
	int fd = listener(AF_INET, "127.0.0.1", &port), rc;

	rc = reserve_at(AF_INET, "127.0.0.1", 0, 0) == -EAGAIN ? 0 : 1;
	rc |= reserve_at(AF_INET, "127.0.0.1", port, 0) == -EAGAIN ? 0 : 2; /* the fallback too */
	rc |= reserve_at(AF_INET, "127.0.0.1", port, RESERVE_EXACT) == -EADDRINUSE ? 0 : 4;
	close(fd);
	return rc;
}

static void test_exhausted(void)
{
	int rc = in_netns("40000 40000", exhausted_by_connect);

	if (rc == 77) {
		tap_skip("no private network namespace here (needs root): ephemeral range exhaustion");
		tap_skip("no private network namespace here (needs root): ephemeral range exhaustion");
		return;
	}
	is_int(rc, 0, "exhausted: no ephemeral port for the client's connect is -EAGAIN");
	is_int(in_netns("40000 40000", exhausted_by_bind), 0,
	       "exhausted: no ephemeral port for bind(0), or for the fallback, is -EAGAIN; "
	       "RESERVE_EXACT is still -EADDRINUSE");
}

int main(void)
{
	test_family(AF_INET, "127.0.0.1");
	if (have_ipv6_loopback())
		test_family(AF_INET6, "::1");
	else
		tap_skip("::1: no IPv6 loopback here");
	test_errors();
	test_no_fd_leak();
	test_exhausted();
	return tap_done();
}
