/* The shim's side of the launch wire: no malloc, no stdio, every wait bounded. */
#include "supervised.h"

#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "fd_pass.h"
#include "launch_wire.h"
#include "log.h"

/* The supervisor answers in microseconds; a stopped (SIGSTOP) one must not hang the host. */
#define REPLY_WAIT_SECONDS 10

static void log_unreachable(const char *what, int err)
{
	struct logline l;

	log_start(&l, "error");
	log_str(&l, "the epr supervisor of this launch ");
	log_str(&l, what);
	log_str(&l, ": ");
	log_errno(&l, err);
	log_end(&l);
}

static int exchange(int conn, const struct launch_request *req, int fd, struct launch_reply *rep)
{
	ssize_t n = fd_send(conn, req, sizeof(*req), fd);

	if (n != (ssize_t)sizeof(*req))
		return -1;
	do
		n = recv(conn, rep, sizeof(*rep), 0);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(*rep))
		return 0;
	if (n >= 0)
		errno = ECONNRESET; /* it closed without an answer: it is stopping */
	else if (errno == EAGAIN)
		errno = ETIMEDOUT;
	return -1;
}

int supervised_call(int op, int fd, const struct sockaddr *addr, socklen_t len, unsigned *port)
{
	const struct config *c = config_get();
	struct launch_request req;
	struct launch_reply rep;
	struct timeval wait = { REPLY_WAIT_SECONDS, 0 };
	struct sockaddr_un sun;
	socklen_t sunlen = launch_wire_address(&sun, c->supervisor);
	int conn, rc, saved = errno;

	memset(&req, 0, sizeof(req));
	req.version = LAUNCH_WIRE_VERSION;
	req.op = (uint32_t)op;
	if (addr && len <= sizeof(req.addr)) {
		memcpy(&req.addr, addr, len);
		req.addrlen = len;
	}
	conn = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (conn < 0)
		return -1;
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
	if (connect(conn, (struct sockaddr *)&sun, sunlen) < 0) {
		int err = errno;
		close(conn);
		log_unreachable("cannot be reached", err);
		/* Never a silent bind to the sentinel: the call fails. */
		errno = err == ECONNREFUSED || err == ENOENT ? ECONNREFUSED : err;
		return -1;
	}
	rc = exchange(conn, &req, fd, &rep);
	if (rc < 0) {
		int err = errno;
		close(conn);
		log_unreachable("did not answer", err);
		errno = err;
		return -1;
	}
	close(conn);
	if (rep.result < 0) {
		errno = -rep.result;
		return -1;
	}
	*port = rep.port;
	errno = saved;
	return rep.result;
}
