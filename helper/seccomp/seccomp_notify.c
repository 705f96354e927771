/* The supervisor's half of seccomp interception: one notification in, one answer out. A call
 * that may be a candidate is acted on or failed, never passed on unread: CONTINUE is only for
 * calls that are certainly not ours (another family, or one the kernel refuses itself). */
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

/* One notification, read into our own memory. */
struct call {
	pid_t tid;                    /* the notifying thread */
	int target_fd;                /* the socket's number in that thread's own file table */
	bool is_bind;
	struct sockaddr_storage addr; /* bind: our copy of the sockaddr */
	socklen_t len;
	uint64_t cookie;              /* bind: the socket's SO_COOKIE once fetched; 0: unknown */
};

/* Binds whose answer the kernel dropped (a signal interrupted the wait) after the callback
 * had bound the socket: the restarted call, or the program's retry after EINTR, finds the
 * socket bound by us and is told 0. Keyed by SO_COOKIE, which the kernel never reuses, and
 * the address asked. The supervisor is single-threaded. */
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
		if (lost[i].cookie && lost[i].cookie == c->cookie && lost[i].len == c->len &&
		    memcmp(&lost[i].addr, &c->addr, c->len) == 0) {
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

/* The answer. A target that died or was interrupted meanwhile (ENOENT) is not an error, but
 * *lost says so. */
static int respond(int listener, __u64 id, int result, bool *lost_answer)
{
	struct seccomp_notif_resp resp;

	memset(&resp, 0, sizeof(resp));
	resp.id = id;
	if (result == INTERCEPT_CONTINUE)
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else
		resp.error = -result;
	*lost_answer = false;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0)
		return 0;
	*lost_answer = errno == ENOENT;
	return *lost_answer ? 0 : -errno;
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

/* Copies the bind's sockaddr from the thread's memory: 0, INTERCEPT_CONTINUE when the call is
 * not ours (the kernel refuses a bad length or pointer itself, with its own errno; a family
 * that is not inet is no port of ours), or the errno to fail it with. */
static int read_address(struct call *c, uint64_t ptr, uint64_t len, const struct intercept_ops *ops,
			void *ctx)
{
	struct iovec local = { .iov_base = &c->addr };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)ptr };
	ssize_t got;

	if (len < sizeof(sa_family_t) || len > sizeof(c->addr))
		return INTERCEPT_CONTINUE;
	c->len = (socklen_t)len;
	local.iov_len = remote.iov_len = c->len;
	memset(&c->addr, 0, sizeof(c->addr));
	/* The thread, not the leader: a leader that exited has no memory to read. */
	got = process_vm_readv(c->tid, &local, 1, &remote, 1, 0);
	if (got == (ssize_t)c->len) {
		sa_family_t f = c->addr.ss_family;
		return f == AF_INET || f == AF_INET6 || f == AF_UNSPEC ? 0 : INTERCEPT_CONTINUE;
	}
	if (got >= 0 || errno == EFAULT)
		return INTERCEPT_CONTINUE;
	if (errno == ESRCH)
		return ESRCH; /* the thread is gone: nobody reads this answer */
	return refuse(ops, ctx, c, errno, "process_vm_readv of the bind address");
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

/* The call, on the supervisor's copy fd of the thread's socket. */
static int act(int listener, const struct seccomp_notif *n, const struct intercept_ops *ops,
	       void *ctx, struct call *c, int pidfd, int fd)
{
	int domain = 0;
	socklen_t len = sizeof(domain);

	/* Only inet sockets are ours. The kernel runs the rest in the target, so that a unix
	 * listener records the server's credentials, not the supervisor's (SO_PEERCRED). */
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return errno == ENOTSOCK ? INTERCEPT_CONTINUE : refuse(ops, ctx, c, errno, "SO_DOMAIN");
	if (domain != AF_INET && domain != AF_INET6)
		return INTERCEPT_CONTINUE;
	if (c->is_bind) {
		if (!read_as_the_kernel(c, domain))
			return INTERCEPT_CONTINUE;
		len = sizeof(c->cookie);
		if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c->cookie, &len) < 0)
			c->cookie = 0;
		if (c->cookie && answer_was_lost(c))
			return 0;
	}
	/* What we read belongs to this call only while the call still waits. */
	if (!id_valid(listener, n->id))
		return ESRCH; /* interrupted or killed: nobody reads this answer */
	if (c->is_bind)
		return ops->bind(ctx, thread_group(pidfd, c->tid), fd, (const struct sockaddr *)&c->addr,
				 c->len);
	return ops->listen(ctx, thread_group(pidfd, c->tid), fd, (int)n->data.args[1]);
}

/* The answer to one notification: a result for respond(). */
static int handle(int listener, const struct seccomp_notif *n, const struct intercept_ops *ops,
		  void *ctx, struct call *c)
{
	int pidfd, fd, result;

	c->tid = (pid_t)n->pid;
	c->target_fd = (int)n->data.args[0];
	c->is_bind = n->data.nr == __NR_bind;
	/* The filter notifies native bind and listen only; anything else cannot be read here. */
	if (n->data.arch != SECCOMP_ARCH_NATIVE || (!c->is_bind && n->data.nr != __NR_listen))
		return refuse(ops, ctx, c, ENOSYS, "a system call the notifier cannot read");
	if (c->is_bind ? !ops->bind : !ops->listen)
		return INTERCEPT_CONTINUE;
	if (c->is_bind) {
		result = read_address(c, n->data.args[1], n->data.args[2], ops, ctx);
		if (result != 0)
			return result;
	}
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
	result = act(listener, n, ops, ctx, c, pidfd, fd);
	close(fd);
	close(pidfd);
	return result;
}

int seccomp_handle(int listener, const struct intercept_ops *ops, void *ctx)
{
	struct seccomp_notif n;
	struct pollfd p = { .fd = listener, .events = POLLIN };
	struct call c;
	bool lost_answer;
	int ready, result, rc;

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
	rc = respond(listener, n.id, result, &lost_answer);
	if (lost_answer && c.is_bind && result == 0 && c.cookie)
		remember_lost(&c);
	return rc;
}
