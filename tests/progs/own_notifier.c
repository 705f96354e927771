/* Runs a command under a seccomp user-notification filter of its own, as a sandbox that
 * already uses one would: a second listener (epr's) must then be refused with EBUSY.
 *   own_notifier CMD [ARG...]
 * The filter notifies only on kcmp(2), which nothing here calls, so nobody needs to answer;
 * its listener is kept open across exec, since the kernel forgets a listener once closed. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	scmp_filter_ctx ctx;
	int rc, fd;

	if (argc < 2)
		return 2;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return 1;
	rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(kcmp), 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	fd = rc == 0 ? seccomp_notify_fd(ctx) : rc;
	if (fd < 0 || fcntl(fd, F_SETFD, 0) < 0) {
		fprintf(stderr, "own_notifier: cannot install a notifier: %s\n", strerror(fd < 0 ? -fd : errno));
		return 1;
	}
	/* No seccomp_release: the exec replaces everything, and the fd must stay. */
	execvp(argv[1], argv + 1);
	fprintf(stderr, "own_notifier: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
