/* Catching bind() and listen() of a whole process tree with seccomp user notification, for
 * programs that libepr.so cannot reach (static, or Go's raw syscalls). The child installs the
 * filter (seccomp_filter.c); the supervisor answers each call (seccomp_notify.c). */
#ifndef EPR_SECCOMP_NOTIFY_H
#define EPR_SECCOMP_NOTIFY_H

#include <poll.h>
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
	/* Optional (NULL: every connect and send continues). Where a connect, a sendto with a
	 * destination or a sendmsg with a msg_name goes: addr is the notifier's copy of the
	 * destination, of any family. INTERCEPT_CONTINUE: the kernel runs the call as made (the
	 * path of nearly every call, so no system call here); 0 with *port: the notifier makes
	 * the call itself on its copy of the socket, to addr with that port, and answers with
	 * its result; a positive errno (ECONNREFUSED): the call fails with it. Called for every
	 * notifier alike: a process's connects follow the map whoever started it. */
	int (*redirect)(void *ctx, const struct sockaddr *addr, socklen_t len, unsigned *port);
};

/* In the child, between fork() and exec(): PR_SET_NO_NEW_PRIVS, then epr's filter
 * (common/seccomp_bpf.h: USER_NOTIF for native bind, listen, connect, sendmsg and sendto
 * with a destination, EPERM for other architectures' and x32's, ALLOW for the rest) with a new listener fd,
 * which is sent over the unix socket channel with SCM_RIGHTS and closed. 0, or -errno with
 * a one-line reason (no "epr:" prefix) in why: -EBUSY when the process already has a filter
 * with a listener (a sandbox's), -EINVAL or -ENOSYS when the kernel lacks user
 * notification. No stdio, no malloc. */
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
 * Only native-architecture calls are read; one the notifier does not know fails ENOSYS. A connect, sendto or sendmsg: its destination is copied (for sendmsg, the
 * msghdr first) and given to ops->redirect; only a redirected call takes the socket, and
 * then the payload and control data are read too (process_vm_readv), bounded to 64 KiB.
 * Never writes into the target's memory. Returns 0 (also when the target died
 * or its call was interrupted meanwhile), or -ENOENT when the listener is dead: every
 * process of the tree is gone. Other -errno: the listener itself failed. Not thread-safe:
 * the lost answers above are the notifier's own memory. */
int seccomp_handle(int listener, const struct intercept_ops *ops, void *ctx);

/* Redirected connects of blocking sockets that did not complete at once (a listener whose
 * backlog is full drops the SYN, and the kernel retries it for seconds): the notifier made
 * them non-blocking on its copy and answers each once the kernel says it is done, so the
 * supervisor never waits on one. Its loop polls these descriptors beside the listeners. */
#define SECCOMP_PENDING_MAX 16
#define SECCOMP_PENDING_POLLFDS (2 * SECCOMP_PENDING_MAX) /* the socket, the thread's pidfd */
/* Fills p[0 .. SECCOMP_PENDING_POLLFDS) (fd -1 in a free slot). */
void seccomp_pending_pollfds(struct pollfd *p);
/* Answers each pending connect whose socket poll found done (its SO_ERROR, or 0) and forgets
 * those whose thread exited. */
void seccomp_pending_events(const struct pollfd *p);

#endif
