/* The supervisor's abstract unix socket, which the shim in every process of the tree asks.
 * Abstract: a server that chroots, drops privileges or closes its descriptors still reaches
 * it. Anyone in the network namespace can connect, so a peer must belong to the tree. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd_pass.h"
#include "launch.h"
#include "launch_wire.h"

/* A peer that connects and then says nothing must not stall the launch. */
#define REQUEST_WAIT_MS 1000

int channel_open(struct launch_state *l)
{
	unsigned char random[8];
	struct sockaddr_un sun;
	socklen_t len;
	int fd;

	if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
		return -1;
	snprintf(l->socket_name, sizeof l->socket_name, "epr-%d-%02x%02x%02x%02x%02x%02x%02x%02x",
		 (int)getpid(), random[0], random[1], random[2], random[3], random[4], random[5],
		 random[6], random[7]);
	len = launch_wire_address(&sun, l->socket_name);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 || listen(fd, 128) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Reads one request and the descriptor that came with it (-1 if none). */
static int receive(int conn, struct launch_request *req, int *fd)
{
	ssize_t n = fd_recv(conn, req, sizeof *req, fd);

	if (n != (ssize_t)sizeof *req || *fd < 0 || req->version != LAUNCH_WIRE_VERSION ||
	    req->addrlen > sizeof req->addr)
		return -1;
	return 0;
}

static struct launch_reply answer(struct launch_state *l, const struct launch_request *req, int fd,
				  pid_t pid)
{
	struct launch_reply rep = { -EINVAL, 0 };
	int rc;

	switch (req->op) {
	case LAUNCH_BIND:
		rc = launch_bind(l, fd, (const struct sockaddr *)&req->addr, req->addrlen, &rep.port, pid);
		rep.result = rc == 0 || rc == POLICY_PASS ? rc : -rc;
		break;
	case LAUNCH_LISTEN:
		rc = launch_listened(l, fd, pid);
		rep.result = -rc;
		break;
	case LAUNCH_NOTIFIER:
		rep.result = -launch_adopt_notifier(l, fd, pid);
		break;
	}
	return rep;
}

bool channel_serve(struct launch_state *l, int listener)
{
	struct timeval wait = { 0, REQUEST_WAIT_MS * 1000 };
	struct launch_request req;
	struct launch_reply rep;
	struct ucred peer;
	socklen_t len = sizeof peer;
	int conn, fd;

	conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return errno == EINTR || errno == ECONNABORTED;
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
	setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait);
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0 || !tree_contains(peer.pid)) {
		close(conn); /* not one of ours: no answer at all */
		return true;
	}
	if (receive(conn, &req, &fd) == 0) {
		rep = answer(l, &req, fd, peer.pid);
		send(conn, &rep, sizeof rep, MSG_NOSIGNAL);
	}
	if (fd >= 0)
		close(fd);
	close(conn);
	return true;
}
