/* epr's own side of a launch's channel, as a client of it (epr exec): a connection to the
 * supervisor a registry entry names, checked to be that supervisor before anything is sent,
 * and one request on it. Every wait is bounded: a stopped supervisor hangs nobody. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "epr_env.h"
#include "fd_pass.h"
#include "launch.h"
#include "launch_wire.h"

/* Each of connect, send and receive; the supervisor answers in microseconds. */
#define CLIENT_WAIT_S EPR_CALL_WAIT_DEFAULT

/* Whether the listener at the other end of conn is the supervisor want names: its pidfd's
 * inode with pidfs (Linux 6.9), else its pid and uid. */
static bool peer_is(int conn, const struct launch_peer *want)
{
	struct ucred seen;
	socklen_t len = sizeof seen;
	struct stat st;
	int pidfd;
	bool same;

	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &seen, &len) < 0 ||
	    seen.pid != (pid_t)want->pid || seen.uid != want->uid)
		return false;
	if (!want->id)
		return true;
	len = sizeof pidfd;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0)
		return false;
	same = fstat(pidfd, &st) == 0 && (uint64_t)st.st_ino == want->id;
	close(pidfd);
	return same;
}

int launch_client_connect(const struct launch_entry *e)
{
	struct timeval wait = { CLIENT_WAIT_S, 0 };
	struct launch_peer want;
	struct sockaddr_un sun;
	socklen_t len;
	int conn, rc, err;

	if (!launch_wire_peer(e->socket, &want) || want.pid != (uint32_t)e->supervisor) {
		errno = EINVAL;
		return -1;
	}
	len = launch_wire_address(&sun, e->socket);
	conn = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (conn < 0)
		return -1;
	if (setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait) < 0 ||
	    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait) < 0)
		goto fail;
	do
		rc = connect(conn, (struct sockaddr *)&sun, len);
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		if (errno == EAGAIN)
			errno = ETIMEDOUT; /* a full backlog for the whole wait */
		goto fail;
	}
	if (!peer_is(conn, &want)) {
		errno = EPERM;
		goto fail;
	}
	return conn;
fail:
	err = errno;
	close(conn);
	errno = err;
	return -1;
}

int launch_client_call(int conn, uint32_t op, int fd, struct launch_reply *rep)
{
	struct launch_request req;
	ssize_t n;

	memset(&req, 0, sizeof req);
	req.version = LAUNCH_WIRE_VERSION;
	req.op = op;
	if (fd_send(conn, &req, sizeof req, fd) != (ssize_t)sizeof req)
		return -1;
	do
		n = recv(conn, rep, sizeof *rep, 0);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof *rep)
		return 0;
	if (n >= 0)
		errno = ECONNRESET; /* closed without an answer: we are not a peer it serves */
	else if (errno == EAGAIN)
		errno = ETIMEDOUT;
	return -1;
}
