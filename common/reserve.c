/* The TIME_WAIT reservation. The accepted side closes first: the active closer is the one
 * that enters TIME_WAIT, so the listener's own port is the one held. */
#include "reserve.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "sys_socket.h"

static void close_quietly(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int bind_preferred(int fd, struct sockaddr_storage *ss, socklen_t len, int flags)
{
	in_port_t *port = ss->ss_family == AF_INET6 ? &((struct sockaddr_in6 *)ss)->sin6_port
						    : &((struct sockaddr_in *)ss)->sin_port;

	int reuse = (flags & RESERVE_REUSE) && *port != 0, off = 0;

	/* Without SO_REUSEADDR yet: a preferred port in TIME_WAIT (another reservation) must
	 * count as taken, and bind(0) stays fast with thousands of TIME_WAIT sockets (until
	 * about half the range is held: see bench/RESULTS.md). RESERVE_REUSE sets it for the
	 * preferred port only, so that a port in TIME_WAIT is taken again. */
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse)) < 0)
		return -1;
	if (sys_bind(fd, (struct sockaddr *)ss, len) == 0)
		return 0;
	if (errno != EADDRINUSE || (flags & RESERVE_EXACT))
		return -1;
	if (*port != 0) {
		*port = 0;
		if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &off, sizeof(off)) < 0)
			return -1;
		if (sys_bind(fd, (struct sockaddr *)ss, len) == 0)
			return 0;
	}
	if (errno == EADDRINUSE) /* what bind(0) says when no ephemeral port is free */
		errno = EAGAIN;
	return -1;
}

int reserve_port(const struct sockaddr *addr, socklen_t len, int flags)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int listener = -1, client = -1, accepted = -1, one = 1, result;

	if ((addr->sa_family != AF_INET || len < sizeof(struct sockaddr_in)) &&
	    (addr->sa_family != AF_INET6 || len < sizeof(struct sockaddr_in6)))
		return -EINVAL;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, addr, addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
						      : sizeof(struct sockaddr_in6));
	len = addr->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	listener = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0)
		goto fail;
	if (bind_preferred(listener, &ss, len, flags) < 0)
		goto fail;
	/* The TIME_WAIT socket inherits SO_REUSEADDR: without it the server's rebind fails. */
	if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (sys_listen(listener, 1) < 0) /* listen(0) deadlocks the connect below */
		goto fail;
	if (getsockname(listener, (struct sockaddr *)&ss, &sslen) < 0)
		goto fail;
	client = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (client < 0)
		goto fail;
	/* An interrupted loopback connect still completes: accept() below waits for it. */
	if (connect(client, (struct sockaddr *)&ss, len) < 0 && errno != EINTR) {
		if (errno == EADDRNOTAVAIL) /* no ephemeral port left for the client */
			errno = EAGAIN;
		goto fail;
	}
	do
		accepted = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	while (accepted < 0 && errno == EINTR);
	if (accepted < 0)
		goto fail;

	result = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						: ((struct sockaddr_in *)&ss)->sin_port);
	close(accepted);
	close(client);
	close(listener);
	return result;
fail:
	result = -errno;
	close_quietly(accepted);
	close_quietly(client);
	close_quietly(listener);
	return result;
}
