/* libepr-reserve.so: common/reserve.c for Python's ctypes (ephemeral_port_reserve.py), so
 * that the TIME_WAIT trick exists once, in C, for the shim, the epr command and Python; and
 * a C client of portpicker's portserver protocol (common/portserver_client.c). */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epr_env.h"
#include "portserver_client.h"
#include "reserve.h"
#include "sys_socket.h"

/* Not preloaded with the shim: plain libc, as for the epr command. */
int sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return bind(fd, addr, len);
}

int sys_listen(int fd, int backlog)
{
	return listen(fd, backlog);
}

int epr_reserve(const char *ip, int port);

/* Reserves a TCP port on the numeric address ip (IPv4, or IPv6 with an optional %scope),
 * preferring port, with the classic reserve()'s semantic (RESERVE_REUSE). Returns the
 * port, or -errno: -EINVAL when ip is not a numeric address (the caller resolves names)
 * or port is not 0-65535, -EAGAIN when no ephemeral port is free. */
int epr_reserve(const char *ip, int port)
{
	struct addrinfo hints, *found;
	int result;

	if (!ip || port < 0 || port > 65535)
		return -EINVAL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(ip, NULL, &hints, &found) != 0)
		return -EINVAL;
	if (found->ai_family == AF_INET)
		((struct sockaddr_in *)found->ai_addr)->sin_port = htons((uint16_t)port);
	else if (found->ai_family == AF_INET6)
		((struct sockaddr_in6 *)found->ai_addr)->sin6_port = htons((uint16_t)port);
	result = reserve_port(found->ai_addr, found->ai_addrlen, RESERVE_REUSE);
	freeaddrinfo(found);
	return result;
}

int epr_portserver_request(const char *address, int pid);

/* Asks a portserver (epr portserver, or portpicker's) for a port held until process pid
 * exits, as portpicker's get_port_from_port_server() does. address: "@name" for the
 * abstract namespace or a path; NULL: $PORTSERVER_ADDRESS. pid: 0 for the caller's own.
 * Waits 5 s at most. Returns the port, or -errno: -EDESTADDRREQ when no address is given or
 * set, -EINVAL for a bad address or pid, -ECONNREFUSED or -ENOENT when no portserver
 * listens there, -EPERM when it refused the pid (pid 1, or no such process), -EPROTO for an
 * answer that is not a port, -EAGAIN on a timeout. Thread-safe; no stdio, no malloc. */
int epr_portserver_request(const char *address, int pid)
{
	if (!address)
		address = getenv(EPR_ENV_PORTSERVER);
	if (!address || !*address)
		return -EDESTADDRREQ;
	if (pid < 0)
		return -EINVAL;
	return portserver_request(address, pid ? (pid_t)pid : getpid());
}
