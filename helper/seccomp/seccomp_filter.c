/* The child's half of seccomp interception: epr's filter (common/seccomp_bpf.c), which turns
 * bind() and listen() into user notifications, and the hand-over of its listener fd to the
 * supervisor. */
#include "seccomp_notify.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "fd_pass.h"
#include "seccomp_bpf.h"

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

/* The listener fd, or -errno with the reason said. */
static int load_program(char *why, size_t cap)
{
	int fd = seccomp_bpf_load();

	switch (fd) {
	case -EBUSY:
		reason(why, cap, "seccomp: a second listener is refused: this process already runs "
		       "under a seccomp notifier (a sandbox or container's)", "", EBUSY);
		break;
	case -EINVAL:
	case -ENOSYS:
		reason(why, cap, "seccomp: this kernel has no seccomp user notification "
		       "(needs Linux 5.0+ with CONFIG_SECCOMP_FILTER)", "", -fd);
		break;
	default:
		if (fd < 0)
			reason(why, cap, "seccomp: the filter was refused", "", -fd);
	}
	return fd;
}

static int send_fd(int channel, int fd)
{
	char byte = 'L';

	return fd_send(channel, &byte, 1, fd) == 1 ? 0 : -errno;
}

int seccomp_child_install(int channel, char *why, size_t cap)
{
	int listener, rc;

	if (cap)
		why[0] = '\0';
	/* Required for an unprivileged filter; it also means setuid bits raise nothing. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		rc = -errno;
		reason(why, cap, "seccomp: prctl(PR_SET_NO_NEW_PRIVS)", "", errno);
		return rc;
	}
	listener = load_program(why, cap);
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
