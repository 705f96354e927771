/* One notified call as the notifier holds it, shared by seccomp_notify.c (reading, binds and
 * listens, the answer) and seccomp_redirect.c (connects and sends performed on a copy of the
 * target's socket). Internal to helper/seccomp/. */
#ifndef EPR_SECCOMP_CALL_H
#define EPR_SECCOMP_CALL_H

#include <linux/seccomp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "seccomp_notify.h"

enum call_kind { CALL_BIND, CALL_LISTEN, CALL_CONNECT, CALL_SENDTO, CALL_SENDMSG, CALL_OTHER };

/* One notification, read into our own memory. */
struct call {
	pid_t tid;                    /* the notifying thread */
	int target_fd;                /* the socket's number in that thread's own file table */
	enum call_kind kind;
	struct sockaddr_storage addr; /* bind: the sockaddr; connect, send: the destination */
	socklen_t len;
	uint64_t cookie;              /* the socket's SO_COOKIE once fetched; 0: unknown */
	long long value;              /* a call that succeeded: what it returns (a send's count) */
	struct msghdr msg;            /* sendmsg: the target's msghdr (its pointers are the target's) */
};

/* The answer to one notification, as seccomp_handle() gives it: result 0 (the call returns
 * c->value), a positive errno, or INTERCEPT_CONTINUE. A bind or connect that succeeded but
 * whose answer the kernel dropped (a signal) is remembered, so that its restart is told 0.
 * 0, or -errno of the ioctl (ENOENT, a target gone or interrupted, is no error). */
int seccomp_answer(int listener, __u64 id, int result, const struct call *c);

/* seccomp_redirect.c: performs the redirected connect, sendto or sendmsg c on fd, the
 * supervisor's copy of the target's socket, to c->addr with its port set to port. The result
 * for seccomp_answer(); SECCOMP_DEFERRED when a blocking connect is still under way and its
 * answer will come from seccomp_pending_events() (fd and pidfd are then kept). */
#define SECCOMP_DEFERRED (-2)
int seccomp_redirect(int listener, const struct seccomp_notif *n, struct call *c, int fd,
		     int pidfd, unsigned port);

#endif
