/* Catching bind() and listen() of a whole process tree with seccomp user notification, for
 * programs that libepr.so cannot reach (static, or Go's raw syscalls). The child installs the
 * filter (seccomp_filter.c); the supervisor answers each call (seccomp_notify.c). */
#ifndef EPR_SECCOMP_NOTIFY_H
#define EPR_SECCOMP_NOTIFY_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* What the supervisor does with an intercepted call. The callbacks see only calls on
 * AF_INET/AF_INET6 sockets: every other bind or listen (a unix socket's) is left to the
 * kernel, which runs it in the target with the target's credentials. fd is the supervisor's
 * own copy of the target's socket (pidfd_getfd on a pidfd of the notifying thread, so the fd
 * number is looked up in that thread's own file table: the same open socket, with the
 * program's options on it); addr is the supervisor's own copy of the sockaddr (read with
 * process_vm_readv, then checked with SECCOMP_IOCTL_NOTIF_ID_VALID), len <=
 * sizeof(struct sockaddr_storage) bytes; tgid is the thread's process. Return 0: the call
 * succeeded (the callback did it on fd); a positive errno: fail the call with it;
 * INTERCEPT_CONTINUE: let the kernel run the call as the target made it.
 *
 * A bind can arrive twice for one socket: a signal that interrupts the wait after the
 * callback bound fd makes the kernel drop the answer and restart the syscall (or return
 * EINTR, and the program tries again). The notifier remembers binds whose answer was lost
 * and answers the same bind of the same socket 0 itself; the callbacks never see it.
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, used when the kernel has it (5.19+), makes this
 * rare. Any other bind of a socket that is bound already is the callback's to refuse. */
#define INTERCEPT_CONTINUE (-1)
struct intercept_ops {
	int (*bind)(void *ctx, pid_t tgid, int fd, const struct sockaddr *addr, socklen_t len);
	int (*listen)(void *ctx, pid_t tgid, int fd, int backlog);
	/* Optional (NULL: silent). Called with a one-line reason (no "epr:" prefix) when a call
	 * that could be a candidate cannot be handled and is failed with err rather than
	 * passed through, e.g. pidfd_getfd refused by ptrace restrictions: a sentinel must never
	 * be bound silently. tid is the notifying thread. */
	void (*error)(void *ctx, pid_t tid, int err, const char *why);
};

/* In the child, between fork() and exec(): PR_SET_NO_NEW_PRIVS, then a filter that returns
 * USER_NOTIF for bind and listen (ALLOW for everything else, and for other architectures'
 * syscalls) with a new listener fd, which is sent over the unix socket channel with
 * SCM_RIGHTS and closed. 0, or -errno with a one-line reason (no "epr:" prefix) in why:
 * -EBUSY when the process already has a filter with a listener (a sandbox's), -EINVAL or
 * -ENOSYS when the kernel lacks user notification. Uses no stdio; libseccomp mallocs a
 * little while building the filter, which is fine after fork in a single-threaded parent.
 * Only native-architecture calls are caught: an i386 or x32 program on x86_64 is not. */
int seccomp_child_install(int channel, char *why, size_t cap);

/* In the supervisor: the listener fd sent by seccomp_child_install over channel
 * (O_CLOEXEC), or -errno: -EPIPE when the child closed channel without sending one (it
 * failed: its reason is its own to print). */
int seccomp_receive_listener(int channel);

/* Handles one pending notification on listener (call when poll says it is readable); never
 * blocks when nothing is pending. Reads it; copies a bind's sockaddr (a bad length or pointer,
 * or a family other than AF_INET/AF_INET6/AF_UNSPEC: CONTINUE, so the kernel gives the program
 * its own errno); takes the socket with pidfd_open(tid, PIDFD_THREAD) + pidfd_getfd (before
 * Linux 6.9 only a thread-group leader's call can be served: another's fails EOPNOTSUPP);
 * CONTINUEs a socket that is not inet; re-checks ID_VALID, calls ops and answers. A socket
 * that cannot be fetched fails the call (the error itself, ESRCH when the thread is gone,
 * EBADF as the kernel would say) with one line through ops->error: it is never CONTINUEd.
 * Only native-architecture bind and listen are read; anything else the filter lets through
 * fails ENOSYS. Never writes into the target's memory. Returns 0 (also when the target died
 * or its call was interrupted meanwhile), or -ENOENT when the listener is dead: every
 * process of the tree is gone. Other -errno: the listener itself failed. Not thread-safe:
 * the lost answers above are the notifier's own memory. */
int seccomp_handle(int listener, const struct intercept_ops *ops, void *ctx);

#endif
