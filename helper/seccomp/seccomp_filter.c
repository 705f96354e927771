/* The child's half of seccomp interception: the filter that turns bind() and listen() into
 * user notifications, and the hand-over of its listener fd to the supervisor. */
#include "seccomp_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd_pass.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* Two rules and an arch check compile to a few dozen instructions; this is ample. */
#define FILTER_MAX_INSNS 256

/* why = a + b + ": " + strerror(err), truncated to cap; no stdio, no malloc. */
static void reason(char *why, size_t cap, const char *a, const char *b, int err)
{
	char buf[128];
	const char *parts[4] = { a, b, ": ", strerror_r(err, buf, sizeof(buf)) };
	size_t used = 0;

	if (cap == 0)
		return;
	for (int i = 0; i < 4; i++)
		for (const char *s = parts[i]; *s && used + 1 < cap; s++)
			why[used++] = *s;
	why[used] = '\0';
}

/* libseccomp 2.5.4 has no attribute for WAIT_KILLABLE_RECV: it builds the program, which
 * goes through a pipe (seccomp_export_bpf writes to an fd) into a stack buffer. */
static int build_program(struct sock_filter *insns, unsigned short *count, char *why, size_t cap)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int pipefd[2] = { -1, -1 }, rc;
	ssize_t got;

	if (!ctx) {
		reason(why, cap, "seccomp: cannot build the filter", " (libseccomp)", ENOMEM);
		return -ENOMEM;
	}
	/* libseccomp probes the kernel: below API level 5 it refuses SCMP_ACT_NOTIFY with a
	 * bare EINVAL, which would not say why. */
	if (seccomp_api_get() < 5) {
		seccomp_release(ctx);
		reason(why, cap, "seccomp: this kernel has no seccomp user notification "
		       "(needs Linux 5.0+ with CONFIG_SECCOMP_FILTER)", "", ENOSYS);
		return -ENOSYS;
	}
	/* Other architectures' syscalls (i386 or x32 on x86_64) are let through, not killed:
	 * the supervisor only reads native arguments. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(bind), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(listen), 0);
	if (rc < 0) {
		reason(why, cap, "seccomp: cannot add the bind and listen rules", " (libseccomp)", -rc);
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		rc = -errno;
		reason(why, cap, "seccomp: pipe for the filter program", "", errno);
		goto out;
	}
	rc = seccomp_export_bpf(ctx, pipefd[1]);
	if (rc < 0) {
		reason(why, cap, "seccomp: cannot export the filter program", " (libseccomp)", -rc);
		goto out;
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	got = read(pipefd[0], insns, FILTER_MAX_INSNS * sizeof(*insns));
	if (got <= 0 || got % (ssize_t)sizeof(*insns) != 0 ||
	    got == FILTER_MAX_INSNS * (ssize_t)sizeof(*insns)) {
		rc = -E2BIG;
		reason(why, cap, "seccomp: the exported filter program is empty or too long", "", E2BIG);
		goto out;
	}
	*count = (unsigned short)(got / (ssize_t)sizeof(*insns));
	rc = 0;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	seccomp_release(ctx);
	return rc;
}

/* The listener fd, or -errno. Without WAIT_KILLABLE_RECV (kernels before 5.19 say EINVAL)
 * it loads again with NEW_LISTENER alone. */
static int load_program(struct sock_filter *insns, unsigned short count, char *why, size_t cap)
{
	struct sock_fprog prog = { .len = count, .filter = insns };
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);

	if (fd < 0 && errno == EINVAL)
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd >= 0)
		return (int)fd;
	switch (errno) {
	case EBUSY:
		reason(why, cap, "seccomp: a second listener is refused: this process already runs "
		       "under a seccomp notifier (a sandbox or container's)", "", EBUSY);
		return -EBUSY;
	case EINVAL:
	case ENOSYS:
		reason(why, cap, "seccomp: this kernel has no seccomp user notification "
		       "(needs Linux 5.0+ with CONFIG_SECCOMP_FILTER)", "", errno);
		return -errno;
	default:
		reason(why, cap, "seccomp: the filter was refused", "", errno);
		return -errno;
	}
}

static int send_fd(int channel, int fd)
{
	char byte = 'L';

	return fd_send(channel, &byte, 1, fd) == 1 ? 0 : -errno;
}

int seccomp_child_install(int channel, char *why, size_t cap)
{
	struct sock_filter insns[FILTER_MAX_INSNS];
	unsigned short count = 0;
	int listener, rc;

	if (cap)
		why[0] = '\0';
	/* Required for an unprivileged filter; it also means setuid bits raise nothing. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		rc = -errno;
		reason(why, cap, "seccomp: prctl(PR_SET_NO_NEW_PRIVS)", "", errno);
		return rc;
	}
	rc = build_program(insns, &count, why, cap);
	if (rc < 0)
		return rc;
	listener = load_program(insns, count, why, cap);
	if (listener < 0)
		return listener;
	rc = send_fd(channel, listener);
	if (rc < 0)
		reason(why, cap, "seccomp: cannot hand the listener to the supervisor", "", -rc);
	/* The child keeps no listener: with its own copy it could answer its own calls. */
	close(listener);
	return rc;
}

int seccomp_receive_listener(int channel)
{
	char byte = 0;
	int fd;
	ssize_t got = fd_recv(channel, &byte, 1, &fd);

	if (got < 0)
		return errno == EMSGSIZE ? -EPIPE : -errno;
	if (got == 0 || fd < 0)
		return -EPIPE; /* the child ended, or sent no listener */
	return fd;
}
