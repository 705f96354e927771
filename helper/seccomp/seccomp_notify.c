/* The supervisor's half of seccomp interception: one notification in, one answer out. A call
 * that may be a candidate is acted on or failed, never passed on unread: CONTINUE is only for
 * calls that are certainly not ours (another family, a destination the policy leaves alone,
 * or one the kernel refuses itself). A redirected connect or send is made on a copy of the
 * socket by seccomp_redirect.c. */
#include "seccomp_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "seccomp_arch.h"
#include "seccomp_call.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9: a pidfd of one thread, not of its thread group */
#endif

/* PIDFD_GET_INFO (Linux 6.13), for headers that lack it: the struct's first version, which
 * later kernels still accept. */
struct pidfd_info_v0 {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid, spare0;
};
#define PIDFD_INFO_PID_V0 1
#define PIDFD_GET_INFO_V0 _IOWR(0xFF, 11, struct pidfd_info_v0)

/* Binds (and redirected connects) whose answer the kernel dropped (a signal interrupted the
 * wait) after the callback had bound (connected) the socket: the restarted call, or the
 * program's retry after EINTR, finds the socket bound (connected) by us and is told 0. Keyed
 * by SO_COOKIE, which the kernel never reuses, the call and the address asked. The
 * supervisor is single-threaded. */
#define LOST_ANSWERS 16
static struct call lost[LOST_ANSWERS];
static unsigned lost_next;

static void remember_lost(const struct call *c)
{
	lost[lost_next++ % LOST_ANSWERS] = *c;
}

static bool answer_was_lost(const struct call *c)
{
	for (unsigned i = 0; i < LOST_ANSWERS; i++) {
		if (lost[i].cookie && lost[i].cookie == c->cookie && lost[i].kind == c->kind &&
		    lost[i].len == c->len && memcmp(&lost[i].addr, &c->addr, c->len) == 0) {
			lost[i].cookie = 0;
			return true;
		}
	}
	return false;
}

static int id_valid(int listener, __u64 id)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

int seccomp_answer(int listener, __u64 id, int result, const struct call *c)
{
	struct seccomp_notif_resp resp;

	memset(&resp, 0, sizeof(resp));
	resp.id = id;
	if (result == INTERCEPT_CONTINUE)
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else if (result == 0)
		resp.val = c->value;
	else
		resp.error = -result;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0)
		return 0;
	if (errno != ENOENT)
		return -errno;
	/* The target died or was interrupted meanwhile: not an error, but a bind or connect
	 * made for it must be owned up to when it comes again. */
	if (result == 0 && c->cookie && (c->kind == CALL_BIND || c->kind == CALL_CONNECT))
		remember_lost(c);
	return 0;
}

/* Fails the call with err and says why in one line: a sentinel is never bound silently. */
static int refuse(const struct intercept_ops *ops, void *ctx, const struct call *c, int err,
		  const char *what)
{
	char why[256];

	if (!ops->error)
		return err;
	snprintf(why, sizeof(why), "seccomp: %s (thread %d, fd %d): %s%s", what, (int)c->tid,
		 c->target_fd, strerror(err),
		 err == EPERM ? " (ptrace restrictions: a process that is not dumpable, or "
				"kernel.yama.ptrace_scope)" : "");
	ops->error(ctx, c->tid, err, why);
	return err;
}

/* Copies len bytes at the thread's ptr into ours: 0, INTERCEPT_CONTINUE when the kernel
 * would fail the call itself (EFAULT: a bad pointer), or the errno to fail it with. */
static int read_target(struct call *c, void *into, uint64_t ptr, size_t len,
		       const struct intercept_ops *ops, void *ctx, const char *what)
{
	struct iovec local = { .iov_base = into, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)ptr, .iov_len = len };
	/* The thread, not the leader: a leader that exited has no memory to read. */
	ssize_t got = process_vm_readv(c->tid, &local, 1, &remote, 1, 0);

	if (got == (ssize_t)len)
		return 0;
	if (got >= 0 || errno == EFAULT)
		return INTERCEPT_CONTINUE;
	if (errno == ESRCH)
		return ESRCH; /* the thread is gone: nobody reads this answer */
	return refuse(ops, ctx, c, errno, what);
}

/* Copies the call's sockaddr from the thread's memory: 0, INTERCEPT_CONTINUE when the call is
 * not ours (the kernel refuses a bad length or pointer itself, with its own errno; a family
 * that is not inet is no port of ours; AF_UNSPEC binds as AF_INET but disconnects a connect),
 * or the errno to fail it with. */
static int read_address(struct call *c, uint64_t ptr, uint64_t len, const struct intercept_ops *ops,
			void *ctx)
{
	sa_family_t f;
	int rc;

	if (len < sizeof(sa_family_t) || len > sizeof(c->addr))
		return INTERCEPT_CONTINUE;
	c->len = (socklen_t)len;
	memset(&c->addr, 0, sizeof(c->addr));
	rc = read_target(c, &c->addr, ptr, c->len, ops, ctx,
			 c->kind == CALL_BIND ? "process_vm_readv of the bind address"
					      : "process_vm_readv of the destination");
	if (rc != 0)
		return rc;
	f = c->addr.ss_family;
	if (f == AF_INET || f == AF_INET6 || (f == AF_UNSPEC && c->kind == CALL_BIND))
		return 0;
	return INTERCEPT_CONTINUE;
}

/* A connect's or send's destination: connect(fd, addr, len), sendto(fd, buf, n, flags, addr,
 * len), sendmsg(fd, msg, flags) with msg->msg_name. As read_address. */
static int read_destination(struct call *c, const struct seccomp_notif *n,
			    const struct intercept_ops *ops, void *ctx)
{
	const __u64 *arg = n->data.args;
	int rc;

	if (c->kind == CALL_CONNECT)
		return read_address(c, arg[1], arg[2], ops, ctx);
	if (c->kind == CALL_SENDTO)
		return arg[5] == 0 ? INTERCEPT_CONTINUE : read_address(c, arg[4], arg[5], ops, ctx);
	rc = read_target(c, &c->msg, arg[1], sizeof(c->msg), ops, ctx,
			 "process_vm_readv of the msghdr");
	if (rc != 0)
		return rc;
	if (!c->msg.msg_name || !c->msg.msg_namelen)
		return INTERCEPT_CONTINUE; /* a connected socket's send */
	/* The kernel cuts a longer msg_namelen to a sockaddr_storage (__copy_msghdr). */
	return read_address(c, (uintptr_t)c->msg.msg_name,
			    c->msg.msg_namelen < sizeof(c->addr) ? c->msg.msg_namelen : sizeof(c->addr),
			    ops, ctx);
}

/* inet_bind() reads AF_UNSPEC with INADDR_ANY as AF_INET (a compatibility rule); so must we, or
 * the kernel would bind the sentinel as asked. False: an address the kernel refuses itself. */
static bool read_as_the_kernel(struct call *c, int domain)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&c->addr;

	if (c->addr.ss_family != AF_UNSPEC)
		return true;
	if (domain != AF_INET || c->len < sizeof(*in) || in->sin_addr.s_addr != htonl(INADDR_ANY))
		return false;
	in->sin_family = AF_INET;
	return true;
}

/* A pidfd whose pidfd_getfd() looks numbers up in thread tid's own file table, which it may
 * have unshared (CLONE_FILES), and which outlives an exited leader's. -errno. */
static int thread_pidfd(pid_t tid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);

	if (pidfd >= 0 || errno != EINVAL)
		return pidfd >= 0 ? pidfd : -errno;
	/* Before Linux 6.9 only a thread-group leader has a pidfd: for the leader itself that is
	 * its own table. Another thread's call cannot be served, and must not pass. */
	pidfd = (int)syscall(SYS_pidfd_open, tid, 0);
	if (pidfd >= 0)
		return pidfd;
	return errno == EINVAL ? -EOPNOTSUPP : -errno;
}

/* The thread group of the thread behind pidfd, for the callbacks (an export watches it).
 * Before Linux 6.13 (no PIDFD_GET_INFO): the thread's own id, a leader's tgid. */
static pid_t thread_group(int pidfd, pid_t tid)
{
	struct pidfd_info_v0 info;

	memset(&info, 0, sizeof(info));
	info.mask = PIDFD_INFO_PID_V0;
	if (ioctl(pidfd, PIDFD_GET_INFO_V0, &info) == 0 && info.tgid > 0)
		return (pid_t)info.tgid;
	return tid;
}

/* Whether a send on this socket goes where its destination says. A TCP socket ignores it
 * (except to open a connection with MSG_FASTOPEN): its send stays in the kernel, which
 * may block on a full buffer as the program expects. */
static bool destination_counts(const struct call *c, const struct seccomp_notif *n, int fd)
{
	int type = 0, flags = (int)n->data.args[c->kind == CALL_SENDTO ? 3 : 2];
	socklen_t len = sizeof(type);

	if (c->kind != CALL_SENDTO && c->kind != CALL_SENDMSG)
		return true;
	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM ||
	       (flags & MSG_FASTOPEN);
}

/* The call, on the supervisor's copy fd of the thread's socket. For a connect or send,
 * redirect is what ops->redirect said (0 with port, or an errno). */
static int act(int listener, const struct seccomp_notif *n, const struct intercept_ops *ops,
	       void *ctx, struct call *c, int pidfd, int fd, int redirect, unsigned port)
{
	int domain = 0;
	socklen_t len = sizeof(domain);

	/* Only inet sockets are ours. The kernel runs the rest in the target, so that a unix
	 * listener records the server's credentials, not the supervisor's (SO_PEERCRED). */
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return errno == ENOTSOCK ? INTERCEPT_CONTINUE : refuse(ops, ctx, c, errno, "SO_DOMAIN");
	if (domain != AF_INET && domain != AF_INET6)
		return INTERCEPT_CONTINUE;
	if (c->kind == CALL_BIND && !read_as_the_kernel(c, domain))
		return INTERCEPT_CONTINUE;
	if (!destination_counts(c, n, fd))
		return INTERCEPT_CONTINUE;
	if (c->kind == CALL_BIND || c->kind == CALL_CONNECT) {
		len = sizeof(c->cookie);
		if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c->cookie, &len) < 0)
			c->cookie = 0;
		if (c->cookie && answer_was_lost(c))
			return 0;
	}
	/* What we read belongs to this call only while the call still waits. */
	if (!id_valid(listener, n->id))
		return ESRCH; /* interrupted or killed: nobody reads this answer */
	switch (c->kind) {
	case CALL_BIND:
		return ops->bind(ctx, thread_group(pidfd, c->tid), fd, (const struct sockaddr *)&c->addr,
				 c->len);
	case CALL_LISTEN:
		return ops->listen(ctx, thread_group(pidfd, c->tid), fd, (int)n->data.args[1]);
	default:
		return redirect ? redirect : seccomp_redirect(listener, n, c, fd, pidfd, port);
	}
}

static enum call_kind kind_of(const struct seccomp_notif *n)
{
	if (n->data.arch != SECCOMP_ARCH_NATIVE)
		return CALL_OTHER;
	switch (n->data.nr) {
	case __NR_bind:
		return CALL_BIND;
	case __NR_listen:
		return CALL_LISTEN;
	case __NR_connect:
		return CALL_CONNECT;
	case __NR_sendto:
		return CALL_SENDTO;
	case __NR_sendmsg:
		return CALL_SENDMSG;
	default:
		return CALL_OTHER;
	}
}

/* What the call needs read before the socket is taken: 0 to go on, or the answer. A connect
 * or send is judged by its destination alone, so that a pass-through costs one read. */
static int read_call(const struct seccomp_notif *n, const struct intercept_ops *ops, void *ctx,
		     struct call *c, int *redirect, unsigned *port)
{
	int rc;

	switch (c->kind) {
	case CALL_BIND:
		return ops->bind ? read_address(c, n->data.args[1], n->data.args[2], ops, ctx)
				 : INTERCEPT_CONTINUE;
	case CALL_LISTEN:
		return ops->listen ? 0 : INTERCEPT_CONTINUE;
	case CALL_OTHER:
		/* The filter notifies only these; anything else cannot be read here. */
		return refuse(ops, ctx, c, ENOSYS, "a system call the notifier cannot read");
	default:
		if (!ops->redirect)
			return INTERCEPT_CONTINUE;
		rc = read_destination(c, n, ops, ctx);
		if (rc != 0)
			return rc;
		*redirect = ops->redirect(ctx, (const struct sockaddr *)&c->addr, c->len, port);
		return *redirect == INTERCEPT_CONTINUE ? INTERCEPT_CONTINUE : 0;
	}
}

/* The answer to one notification: a result for seccomp_answer(), or SECCOMP_DEFERRED. */
static int handle(int listener, const struct seccomp_notif *n, const struct intercept_ops *ops,
		  void *ctx, struct call *c)
{
	int pidfd, fd, result, redirect = 0;
	unsigned port = 0;

	c->tid = (pid_t)n->pid;
	c->target_fd = (int)n->data.args[0];
	c->kind = kind_of(n);
	result = read_call(n, ops, ctx, c, &redirect, &port);
	if (result != 0)
		return result;
	pidfd = thread_pidfd(c->tid);
	if (pidfd == -ESRCH)
		return ESRCH; /* the thread is gone */
	if (pidfd < 0)
		return refuse(ops, ctx, c, -pidfd,
			      pidfd == -EOPNOTSUPP ? "pidfd_open of a thread other than the main one "
						     "(PIDFD_THREAD needs Linux 6.9 or later)"
						   : "pidfd_open of the thread");
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, c->target_fd, 0);
	if (fd < 0) {
		result = errno;
		close(pidfd);
		/* EBADF is the program's own mistake, the errno the kernel would give; ESRCH: gone */
		if (result == EBADF || result == ESRCH)
			return result;
		return refuse(ops, ctx, c, result, "pidfd_getfd of the socket");
	}
	result = act(listener, n, ops, ctx, c, pidfd, fd, redirect, port);
	if (result != SECCOMP_DEFERRED) { /* else the pending connect keeps both */
		close(fd);
		close(pidfd);
	}
	return result;
}

int seccomp_handle(int listener, const struct intercept_ops *ops, void *ctx)
{
	struct seccomp_notif n;
	struct pollfd p = { .fd = listener, .events = POLLIN };
	struct call c;
	int ready, result;

	do
		ready = poll(&p, 1, 0);
	while (ready < 0 && errno == EINTR);
	if (ready < 0)
		return -errno;
	if (p.revents & POLLNVAL)
		return -EBADF;
	if (!(p.revents & POLLIN))
		return (p.revents & POLLHUP) ? -ENOENT : 0;
	memset(&n, 0, sizeof(n)); /* the kernel refuses a RECV buffer that is not zeroed */
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
		return errno == ENOENT || errno == EINTR ? 0 : -errno;
	memset(&c, 0, sizeof(c));
	result = handle(listener, &n, ops, ctx, &c);
	return result == SECCOMP_DEFERRED ? 0 : seccomp_answer(listener, n.id, result, &c);
}
