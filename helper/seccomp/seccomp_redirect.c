/* A redirected connect, sendto or sendmsg, made by the supervisor on its own copy of the
 * target's socket (pidfd_getfd: the same open socket) to a private copy of the destination
 * whose port is the launch's. The payload and control data are read from the target's memory
 * (process_vm_readv) into the notifier's own buffers; nothing is written back. The supervisor
 * never waits: sends carry MSG_DONTWAIT, and a blocking socket's connect is made
 * non-blocking for that one call and, should it not complete at once (a full backlog drops
 * the SYN), answered later from the supervisor's poll loop, as the kernel would have woken
 * the program. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "seccomp_call.h"

/* One datagram: UDP's largest is 65,507 bytes (IPv4), GSO's sum the same bound. A stream
 * socket's MSG_FASTOPEN send is cut there (a short send is the program's to go on from). */
#define PAYLOAD_MAX 65536
/* Control data for an inet socket (IP_PKTINFO, UDP_SEGMENT, ...): a few dozen bytes. */
#define CONTROL_MAX 4096

static char payload[PAYLOAD_MAX];
static char control[CONTROL_MAX];
static struct iovec their_iov[UIO_MAXIOV];

static void set_port(struct call *c, unsigned port)
{
	if (c->addr.ss_family == AF_INET)
		((struct sockaddr_in *)&c->addr)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&c->addr)->sin6_port = htons((uint16_t)port);
}

/* 0 once len bytes at the target's iov are in ours, EFAULT as the kernel would say. */
static int read_iov(const struct call *c, void *into, size_t len, const struct iovec *iov,
		    unsigned long n)
{
	struct iovec local = { .iov_base = into, .iov_len = len };
	ssize_t got;

	if (len == 0)
		return 0;
	got = process_vm_readv(c->tid, &local, 1, iov, n, 0);
	if (got == (ssize_t)len)
		return 0;
	return got >= 0 || errno == EFAULT ? EFAULT : errno;
}

static bool is_stream(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

/* Cuts the target's iovecs at PAYLOAD_MAX bytes: the bytes to send, or -EMSGSIZE for a
 * datagram that does not fit (the kernel says the same of one larger than UDP allows). */
static long long fit(struct iovec *iov, unsigned long *n, bool stream)
{
	unsigned long long total = 0;

	for (unsigned long i = 0; i < *n; i++) {
		if (iov[i].iov_len > PAYLOAD_MAX - total) {
			if (!stream)
				return -EMSGSIZE;
			iov[i].iov_len = PAYLOAD_MAX - total;
			*n = i + 1;
		}
		total += iov[i].iov_len;
	}
	return (long long)total;
}

/* The send itself: never blocks, never raises SIGPIPE in the supervisor. */
static int send_copy(struct call *c, int fd, size_t len, const void *ctl, size_t ctl_len, int flags)
{
	struct iovec iov = { .iov_base = payload, .iov_len = len };
	struct msghdr m = {
		.msg_name = &c->addr, .msg_namelen = c->len, .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl_len ? (void *)ctl : NULL, .msg_controllen = ctl_len,
	};
	ssize_t sent = sendmsg(fd, &m, flags | MSG_DONTWAIT | MSG_NOSIGNAL);

	if (sent < 0)
		return errno;
	c->value = sent;
	return 0;
}

static int redirect_sendto(const struct seccomp_notif *n, struct call *c, int fd)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)n->data.args[1],
			     .iov_len = (size_t)n->data.args[2] };
	unsigned long one = 1;
	long long len = fit(&iov, &one, is_stream(fd));
	int rc;

	if (len < 0)
		return (int)-len;
	rc = read_iov(c, payload, (size_t)len, &iov, 1);
	return rc ? rc : send_copy(c, fd, (size_t)len, NULL, 0, (int)n->data.args[3]);
}

static int redirect_sendmsg(const struct seccomp_notif *n, struct call *c, int fd)
{
	struct iovec list = { .iov_base = their_iov, .iov_len = 0 };
	struct iovec at = { .iov_base = c->msg.msg_iov };
	unsigned long count = (unsigned long)c->msg.msg_iovlen;
	long long len;
	int rc;

	if (count > UIO_MAXIOV)
		return EMSGSIZE; /* as the kernel says */
	if (c->msg.msg_controllen > CONTROL_MAX)
		return ENOBUFS; /* beyond what an inet socket's control messages take */
	list.iov_len = at.iov_len = count * sizeof(struct iovec);
	rc = read_iov(c, their_iov, list.iov_len, &at, 1);
	if (rc)
		return rc;
	len = fit(their_iov, &count, is_stream(fd));
	if (len < 0)
		return (int)-len;
	rc = read_iov(c, payload, (size_t)len, their_iov, count);
	if (rc)
		return rc;
	at.iov_base = c->msg.msg_control;
	at.iov_len = c->msg.msg_controllen;
	if (c->msg.msg_control && (rc = read_iov(c, control, at.iov_len, &at, 1)) != 0)
		return rc;
	return send_copy(c, fd, (size_t)len, control, c->msg.msg_control ? at.iov_len : 0,
			 (int)n->data.args[2]);
}

/* Connects that the supervisor answers once the kernel says they are done. */
static struct pending {
	int listener; /* a dup of the notifier's listener, -1 in a free slot */
	__u64 id;
	int fd, pidfd;
	struct call c;
} pending[SECCOMP_PENDING_MAX] = { [0 ... SECCOMP_PENDING_MAX - 1] = { .listener = -1 } };

/* A non-blocking connect under way on fd: its result once done, else EINPROGRESS. */
static int connect_result(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = 0;
	socklen_t len = sizeof(err);

	if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLOUT | POLLERR | POLLHUP)))
		return EINPROGRESS;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

static int defer(int listener, __u64 id, const struct call *c, int fd, int pidfd)
{
	for (size_t i = 0; i < SECCOMP_PENDING_MAX; i++) {
		struct pending *w = &pending[i];

		if (w->listener >= 0)
			continue;
		w->listener = fcntl(listener, F_DUPFD_CLOEXEC, 3);
		if (w->listener < 0)
			return errno;
		w->id = id;
		w->fd = fd;
		w->pidfd = pidfd;
		w->c = *c;
		return SECCOMP_DEFERRED;
	}
	return EAGAIN; /* more slow connects at once than the table holds: try again */
}

/* A connect made as the target's socket asks: a non-blocking one answers at once
 * (EINPROGRESS included); a blocking one is made non-blocking for this call only (the flag
 * is the open file's, shared with the target, and put back at once) and, unless the kernel
 * finished it meanwhile (a loopback connect normally has), answered when it is done. */
static int redirect_connect(int listener, const struct seccomp_notif *n, struct call *c, int fd,
			    int pidfd)
{
	int flags = fcntl(fd, F_GETFL), rc;
	bool blocking = flags >= 0 && !(flags & O_NONBLOCK);

	if (flags < 0)
		return errno;
	if (blocking && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return errno;
	rc = connect(fd, (const struct sockaddr *)&c->addr, c->len) == 0 ? 0 : errno;
	if (blocking)
		fcntl(fd, F_SETFL, flags);
	/* EALREADY: a connect that a signal interrupted is still under way; a blocking one
	 * waits on for it, as the kernel's own restarted connect does. */
	if (!blocking || (rc != EINPROGRESS && rc != EALREADY))
		return rc;
	rc = connect_result(fd);
	return rc == EINPROGRESS ? defer(listener, n->id, c, fd, pidfd) : rc;
}

int seccomp_redirect(int listener, const struct seccomp_notif *n, struct call *c, int fd,
		     int pidfd, unsigned port)
{
	set_port(c, port);
	switch (c->kind) {
	case CALL_CONNECT:
		return redirect_connect(listener, n, c, fd, pidfd);
	case CALL_SENDTO:
		return redirect_sendto(n, c, fd);
	default:
		return redirect_sendmsg(n, c, fd);
	}
}

void seccomp_pending_pollfds(struct pollfd *p)
{
	for (size_t i = 0; i < SECCOMP_PENDING_MAX; i++) {
		bool used = pending[i].listener >= 0;

		p[2 * i] = (struct pollfd){ used ? pending[i].fd : -1, POLLOUT, 0 };
		p[2 * i + 1] = (struct pollfd){ used ? pending[i].pidfd : -1, POLLIN, 0 };
	}
}

static void forget(struct pending *w)
{
	close(w->fd);
	close(w->pidfd);
	close(w->listener);
	w->listener = -1;
}

void seccomp_pending_events(const struct pollfd *p)
{
	for (size_t i = 0; i < SECCOMP_PENDING_MAX; i++) {
		struct pending *w = &pending[i];
		int rc;

		if (w->listener < 0)
			continue;
		if (p[2 * i].revents) {
			rc = connect_result(w->fd);
			if (rc == EINPROGRESS)
				continue;
			/* ENOENT (the thread was killed or interrupted) is no error here either */
			seccomp_answer(w->listener, w->id, rc, &w->c);
			forget(w);
		} else if (p[2 * i + 1].revents) {
			forget(w); /* the thread exited: the kernel dropped its call */
		}
	}
}
