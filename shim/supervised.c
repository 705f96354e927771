/* The shim's side of the launch wire: no malloc, no stdio, every wait bounded, and nothing
 * sent to a peer that is not the supervisor the launch named. */
#include "supervised.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fd_pass.h"
#include "launch_wire.h"
#include "log.h"
#include "real.h"

static void log_failure(const char *what, int err)
{
	struct logline l;

	log_start(&l, "error");
	log_str(&l, "the epr supervisor of this launch ");
	log_str(&l, what);
	if (err) {
		log_str(&l, ": ");
		log_errno(&l, err);
	}
	log_end(&l);
}

static void log_impostor(const struct launch_peer *want, const struct ucred *seen)
{
	struct logline l;

	log_start(&l, "error");
	log_str(&l, "the socket of this launch's epr supervisor (pid ");
	log_num(&l, want->pid);
	log_str(&l, ", uid ");
	log_num(&l, want->uid);
	log_str(&l, ") is held by pid ");
	log_num(&l, (unsigned long)seen->pid);
	log_str(&l, ", uid ");
	log_num(&l, seen->uid);
	log_str(&l, "; the supervisor is gone, nothing was sent");
	log_end(&l);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Both directions of conn wait at most until deadline: connect() on a full backlog waits on
 * the send timeout, recv() on the receive one. 0, or -1 with errno (ETIMEDOUT once past). */
static int bound_waits(int conn, double deadline)
{
	double left = deadline - now();
	struct timeval tv;

	if (left <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	tv.tv_sec = (time_t)left;
	tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6); /* below 1000000 */
	if (tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1; /* 0 would mean "wait for ever" */
	if (setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -1;
	return 0;
}

/* Whether the listener at the other end of conn is the supervisor want names. With pidfs
 * (Linux 6.9) its pidfd's inode says so whatever the pid namespace and however pids were
 * reused; else its pid and uid must be the ones named. */
static int peer_is(int conn, const struct launch_peer *want, struct ucred *seen)
{
	socklen_t len = sizeof(*seen);
	struct stat st;
	int pidfd, same;

	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, seen, &len) < 0)
		return -1;
	if (!want->id)
		return seen->pid == (pid_t)want->pid && seen->uid == want->uid;
	len = sizeof(pidfd);
	if (getsockopt(conn, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0)
		return 0; /* the supervisor had pidfs, so the kernel has this: the holder is gone */
	same = fstat(pidfd, &st) == 0 && (uint64_t)st.st_ino == want->id;
	close(pidfd);
	return same;
}

static int exchange(int conn, const struct launch_request *req, int fd, struct launch_reply *rep,
		    double deadline)
{
	ssize_t n;

	if (bound_waits(conn, deadline) < 0)
		return -1;
	n = fd_send(conn, req, sizeof(*req), fd);
	if (n != (ssize_t)sizeof(*req))
		return -1;
	do
		n = bound_waits(conn, deadline) < 0 ? -2 : recv(conn, rep, sizeof(*rep), 0);
	while (n == -1 && errno == EINTR);
	if (n == -2)
		return -1;
	if (n == (ssize_t)sizeof(*rep))
		return 0;
	if (n >= 0)
		errno = ECONNRESET; /* it closed without an answer */
	else if (errno == EAGAIN)
		errno = ETIMEDOUT;
	return -1;
}

/* A connection to the supervisor want names, or -1 with errno set and the reason logged. */
static int connect_supervisor(const char *name, const struct launch_peer *want, double deadline)
{
	struct sockaddr_un sun;
	socklen_t sunlen = launch_wire_address(&sun, name);
	struct ucred seen;
	int conn, rc, err;

	conn = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (conn < 0)
		return -1;
	do
		rc = bound_waits(conn, deadline) < 0 ? -2 : sys_connect(conn, (struct sockaddr *)&sun, sunlen);
	while (rc == -1 && errno == EINTR);
	if (rc < 0) {
		err = errno == EAGAIN ? ETIMEDOUT : errno; /* a full backlog, for the whole wait */
		close(conn);
		log_failure("cannot be reached", err);
		/* Never a silent bind to the sentinel: the call fails. */
		errno = err == ENOENT ? ECONNREFUSED : err;
		return -1;
	}
	rc = peer_is(conn, want, &seen);
	if (rc <= 0) {
		err = errno;
		close(conn);
		if (rc < 0)
			log_failure("cannot be checked", err);
		else
			log_impostor(want, &seen);
		errno = rc < 0 ? err : EPERM;
		return -1;
	}
	return conn;
}

/* A call's connection and its deadline: the supervisor answers in microseconds; a stopped
 * (SIGSTOP) or busy one must not hang the host: connect, send and receive together get
 * EPR_CALL_WAIT seconds. */
int supervised_open(double *deadline)
{
	const struct config *c = config_get();
	struct launch_peer want;

	*deadline = now() + c->call_wait;
	if (!launch_wire_peer(c->supervisor, &want)) {
		log_failure("is not named in a form this libepr.so knows", 0);
		errno = EINVAL;
		return -1;
	}
	return connect_supervisor(c->supervisor, &want, *deadline);
}

int supervised_exchange(int conn, double deadline, int op, int fd, const struct sockaddr *addr,
			socklen_t len, unsigned *port)
{
	struct launch_request req;
	struct launch_reply rep;
	int rc, saved = errno;

	memset(&req, 0, sizeof(req));
	req.version = LAUNCH_WIRE_VERSION;
	req.op = (uint32_t)op;
	if (addr && len <= sizeof(req.addr)) {
		memcpy(&req.addr, addr, len);
		req.addrlen = len;
	}
	rc = exchange(conn, &req, fd, &rep, deadline);
	if (rc < 0) {
		int err = errno;
		close(conn);
		log_failure("did not answer", err);
		errno = err;
		return -1;
	}
	close(conn);
	if (rep.result == -ESHUTDOWN && op == LAUNCH_CONNECT) {
		errno = ECONNREFUSED; /* as when its server is gone: clients know what to do */
		return -1;
	}
	if (rep.result == -ESHUTDOWN) {
		if (op == LAUNCH_BIND)
			log_failure("is stopping it: bind refused", 0);
		else if (op == LAUNCH_LISTEN)
			log_failure("is stopping it: listen refused", 0);
		else
			log_failure("is stopping it: request refused", 0);
		errno = ESHUTDOWN;
		return -1;
	}
	if (rep.result < 0) {
		errno = -rep.result;
		return -1;
	}
	*port = rep.port;
	errno = saved;
	return rep.result;
}

int supervised_call(int op, int fd, const struct sockaddr *addr, socklen_t len, unsigned *port)
{
	double deadline;
	int conn = supervised_open(&deadline);

	if (conn < 0)
		return -1;
	return supervised_exchange(conn, deadline, op, fd, addr, len, port);
}
