/* Renewing a port's TIME_WAIT on the same port, without ever listening on it. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "hold.h"
#include "sys_socket.h"

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/* A listener on an ephemeral port of addr's address, its address in out; fd or -errno. A
 * new one each time: the 4-tuple of the previous renewal may still be in TIME_WAIT. */
static int peer_listener(const struct sockaddr_storage *addr, socklen_t len,
			 struct sockaddr_storage *out)
{
	socklen_t outlen = sizeof(*out);
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	*out = *addr;
	set_port(out, 0);
	if (sys_bind(fd, (struct sockaddr *)out, len) < 0 || sys_listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)out, &outlen) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int hold_renew(const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_storage held, peer;
	int listener, client = -1, accepted = -1, one = 1, result = 0;

	if (len > sizeof(held))
		return -EINVAL;
	memset(&held, 0, sizeof(held));
	memcpy(&held, addr, len);
	listener = peer_listener(&held, len, &peer);
	if (listener < 0) /* no ephemeral port for it just now: not the held port's fault */
		return listener == -EADDRINUSE ? -EAGAIN : listener;
	client = socket(held.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (client < 0 || setsockopt(client, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    sys_bind(client, (struct sockaddr *)&held, len) < 0)
		goto fail;
	/* An interrupted loopback connect still completes: accept() below waits for it. */
	if (connect(client, (struct sockaddr *)&peer, len) < 0 && errno != EINTR)
		goto fail_after_bind;
	do
		accepted = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	while (accepted < 0 && errno == EINTR);
	if (accepted < 0)
		goto fail_after_bind;
	/* The held side closes first: the active closer is the one that enters TIME_WAIT. */
	close(client);
	client = -1;
	goto done;
fail_after_bind: /* the port was bound: whatever failed, no server has it */
	if (errno == EADDRINUSE)
		errno = EAGAIN;
fail:
	result = -errno;
done:
	if (client >= 0)
		close(client);
	if (accepted >= 0)
		close(accepted);
	close(listener);
	return result;
}
