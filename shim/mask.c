/* Under a supervisor, a program that compares its socket's port with its configuration sees
 * the sentinel it asked for: getsockname() of a socket on the launch's port P for S says S,
 * and so does getpeername() of a socket connected to P on this host, for the ports this
 * process knows (known.c). Ports handed out for port 0 are not masked: their programs read
 * the real port to use it. EPR_REAL_PORTS=1 turns this off. The real call fills a private
 * sockaddr; the caller gets what the kernel would give: at most *len bytes, and in *len the
 * full length. */
#include "mask.h"

#include <netinet/in.h>
#include <string.h>

#include "address.h"
#include "config.h"
#include "known.h"
#include "real.h"

typedef int (*name_fn)(int, struct sockaddr *, socklen_t *);

static int masked(name_fn real, int fd, struct sockaddr *addr, socklen_t *len, int peer)
{
	struct sockaddr_storage ss;
	socklen_t full = sizeof(ss);
	uint16_t s = 0;
	int port;

	/* Nothing to mask, or arguments the kernel refuses (EFAULT, EINVAL): the real call. */
	if (!known_any() || addr == NULL || len == NULL || (int)*len < 0 || !config_get()->mask)
		return real(fd, addr, len);
	if (real(fd, (struct sockaddr *)&ss, &full) < 0)
		return -1;
	port = address_port((const struct sockaddr *)&ss, full);
	if (port > 0 && (!peer || address_is_local((const struct sockaddr *)&ss)))
		s = known_sentinel((uint16_t)port);
	if (s && ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(s);
	else if (s)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(s);
	memcpy(addr, &ss, *len < full ? *len : full);
	*len = full;
	return 0;
}

int mask_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return masked(sys_getsockname, fd, addr, len, 0);
}

int mask_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return masked(sys_getpeername, fd, addr, len, 1);
}
