/* The supervisor's half of seccomp interception: one notification in, one answer out. */
#include "seccomp_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "seccomp_bpf.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

/* The Tgid of thread tid, from /proc/TID/status; -errno if it is gone. */
static pid_t thread_group_of(pid_t tid)
{
	char path[48], buf[512];
	ssize_t got;
	int fd;
	const char *tgid;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = read(fd, buf, sizeof(buf) - 1); /* Tgid is the fourth line, well inside 512 bytes */
	close(fd);
	if (got <= 0)
		return got < 0 ? -errno : -ESRCH;
	buf[got] = '\0';
	tgid = strstr(buf, "\nTgid:");
	if (!tgid)
		return -ESRCH;
	return (pid_t)strtol(tgid + 6, NULL, 10);
}

static int id_valid(int listener, __u64 id)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* The answer; a target that died or was interrupted meanwhile (ENOENT) is not an error. */
static int respond(int listener, __u64 id, int result)
{
	struct seccomp_notif_resp resp;

	memset(&resp, 0, sizeof(resp));
	resp.id = id;
	if (result == INTERCEPT_CONTINUE)
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else
		resp.error = -result;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0 || errno == ENOENT)
		return 0;
	return -errno;
}

static void report(const struct intercept_ops *ops, void *ctx, pid_t tgid, int err,
		   const char *what, int fd)
{
	char why[256];

	if (!ops->error)
		return;
	snprintf(why, sizeof(why), "%s (pid %d, fd %d): %s%s", what, (int)tgid, fd, strerror(err),
		 err == EPERM ? " (ptrace restrictions: see kernel.yama.ptrace_scope)" : "");
	ops->error(ctx, tgid, err, why);
}

/* The answer to one valid notification: a result for respond(). */
static int handle(int listener, const struct seccomp_notif *n, const struct intercept_ops *ops,
		  void *ctx)
{
	struct sockaddr_storage addr;
	socklen_t len = 0;
	int target_fd = (int)n->data.args[0], fd = -1, pidfd, result;
	int is_bind = n->data.nr == __NR_bind;
	pid_t tgid;

	/* Only native calls have the argument layout read below (libseccomp's arch tokens are
	 * the AUDIT_ARCH_* values); the filter lets other architectures through anyway. An
	 * i386 socketcall() arrives with another nr and is passed through too. */
	if (n->data.arch != seccomp_bpf_native_arch() || (!is_bind && n->data.nr != __NR_listen) ||
	    (is_bind ? !ops->bind : !ops->listen))
		return INTERCEPT_CONTINUE;
	/* A thread-group leader (a single-threaded server, a main thread) is its own tgid: one
	 * syscall instead of reading /proc. Another thread is refused: EINVAL before Linux 6.9,
	 * ENOENT since (seen on 6.18 with nats-server's Go threads). */
	tgid = (pid_t)n->pid;
	pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
	if (pidfd < 0 && (errno == EINVAL || errno == ENOENT)) {
		tgid = thread_group_of((pid_t)n->pid);
		if (tgid < 0)
			return INTERCEPT_CONTINUE; /* gone: the answer will find nobody */
		pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
		if (pidfd < 0 && errno == ESRCH) /* the leader has exited, its threads run on */
			pidfd = (int)syscall(SYS_pidfd_open, (pid_t)n->pid, PIDFD_THREAD);
	}
	if (pidfd < 0) {
		result = errno;
		if (result == ESRCH)
			return INTERCEPT_CONTINUE;
		report(ops, ctx, tgid, result, "seccomp: pidfd_open", target_fd);
		return result;
	}
	if (is_bind) {
		struct iovec local = { .iov_base = &addr };
		struct iovec remote = { .iov_base = (void *)(uintptr_t)n->data.args[1] };
		ssize_t got;

		/* Out of range: the kernel's own bind gives the program EINVAL or EFAULT. */
		if (n->data.args[2] < sizeof(sa_family_t) || n->data.args[2] > sizeof(addr)) {
			close(pidfd);
			return INTERCEPT_CONTINUE;
		}
		len = (socklen_t)n->data.args[2];
		local.iov_len = remote.iov_len = len;
		memset(&addr, 0, sizeof(addr));
		/* The thread, not the leader: a leader that exited has no memory to read. */
		got = process_vm_readv((pid_t)n->pid, &local, 1, &remote, 1, 0);
		if (got != (ssize_t)len) {
			result = got < 0 ? errno : EFAULT;
			close(pidfd);
			if (result != EPERM)
				return INTERCEPT_CONTINUE;
			report(ops, ctx, tgid, result, "seccomp: process_vm_readv of the bind address",
			       target_fd);
			return result;
		}
	}
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, target_fd, 0);
	result = errno;
	close(pidfd);
	if (fd < 0) {
		if (result == EBADF || result == ESRCH)
			return INTERCEPT_CONTINUE; /* the kernel says EBADF to the program itself */
		report(ops, ctx, tgid, result, "seccomp: pidfd_getfd of the socket", target_fd);
		return result;
	}
	/* What we read belongs to this call only while the call still waits. */
	if (!id_valid(listener, n->id))
		result = INTERCEPT_CONTINUE;
	else if (is_bind)
		result = ops->bind(ctx, tgid, fd, (const struct sockaddr *)&addr, len);
	else
		result = ops->listen(ctx, tgid, fd, (int)n->data.args[1]);
	close(fd);
	return result;
}

int seccomp_handle(int listener, const struct intercept_ops *ops, void *ctx)
{
	struct seccomp_notif n;
	struct pollfd p = { .fd = listener, .events = POLLIN };
	int ready;

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
	return respond(listener, n.id, handle(listener, &n, ops, ctx));
}
