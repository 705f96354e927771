/* helper/seccomp/seccomp_filter.c: the listener reaches the supervisor, a second one is refused with
 * EBUSY and a reason, and a child that sends none is told apart. Each case runs in a child,
 * since a filter cannot be removed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp_notify.h"
#include "tap.h"

#define FIRST_FAILED 200

/* Runs install in a child that then reports, through its exit status, the second install's
 * -errno (or 0); the parent receives the first listener. */
static int twice(int *listener, char *why, size_t cap)
{
	int channel[2], report[2], status;
	ssize_t got;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) < 0 || pipe(report) < 0)
		tap_bail("socketpair or pipe: %s", strerror(errno));
	child = fork();
	if (child < 0)
		tap_bail("fork: %s", strerror(errno));
	if (child == 0) {
		char reason[256];
		int first = seccomp_child_install(channel[1], reason, sizeof(reason)), second;

		if (first < 0) { /* its reason goes back as the report */
			if (write(report[1], reason, strlen(reason) + 1) < 0)
				_exit(101);
			_exit(FIRST_FAILED);
		}
		second = seccomp_child_install(channel[1], reason, sizeof(reason));
		if (write(report[1], reason, strlen(reason) + 1) < 0)
			_exit(101);
		_exit(second < 0 ? -second : 0);
	}
	close(channel[1]);
	close(report[1]);
	*listener = seccomp_receive_listener(channel[0]);
	got = read(report[0], why, cap - 1);
	why[got > 0 ? got : 0] = '\0';
	close(report[0]);
	close(channel[0]);
	waitpid(child, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void)
{
	char why[256];
	int listener = -1, second = twice(&listener, why, sizeof(why)), channel[2];

	/* valgrind does not emulate seccomp(2): nothing to check there but the reason. */
	if (second == FIRST_FAILED && strstr(why, "no seccomp user notification")) {
		printf("1..0 # SKIP %s\n", why);
		return 0;
	}
	ok(listener >= 0, "the supervisor receives the listener fd (got %d)", listener);
	ok(listener >= 0 && (fcntl(listener, F_GETFD) & FD_CLOEXEC), "the received listener is close-on-exec");
	is_int(second, EBUSY, "a second listener in the same process is refused with EBUSY");
	ok(strstr(why, "a second listener is refused") != NULL && strchr(why, '\n') == NULL,
	   "with a one-line reason: '%s'", why);
	if (listener >= 0) {
		is_int(seccomp_handle(listener, &(struct intercept_ops){ NULL, NULL, NULL }, NULL), -ENOENT,
		       "once the tree is gone, seccomp_handle says the listener is dead (-ENOENT)");
		close(listener);
	}

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) < 0)
		tap_bail("socketpair: %s", strerror(errno));
	close(channel[1]);
	is_int(seccomp_receive_listener(channel[0]), -EPIPE,
	       "a channel closed without a listener gives -EPIPE");
	close(channel[0]);
	return tap_done();
}
