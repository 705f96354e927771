/* Starting a hold in the background: epr reserve --hold returns as soon as it has printed,
 * and the holder keeps none of the caller's descriptors, so PORT=$(epr reserve --hold)
 * does not wait for the hold to end. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cli.h"
#include "hold.h"

/* stdin, stdout and stderr on /dev/null; every other descriptor closed but keep. */
static void detach_descriptors(int keep)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		_exit(1);
	for (int fd = 0; fd < 3; fd++)
		if (fd != null && dup2(null, fd) < 0)
			_exit(1);
	if (keep >= 3) {
		if (keep > 3)
			close_range(3, (unsigned)keep - 1, 0);
		close_range((unsigned)keep + 1, ~0u, 0);
	} else {
		close_range(3, ~0u, 0);
	}
}

/* Waits (bounded) until the holder has closed its end of the pipe, which it does once it
 * carries its name and holds none of the caller's descriptors: when epr reserve --hold
 * returns, pgrep -x epr-hold finds it. */
static void wait_until_detached(int ready)
{
	struct pollfd p = { .fd = ready, .events = POLLIN };
	char byte;

	if (poll(&p, 1, 5000) > 0)
		(void)!read(ready, &byte, 1);
	close(ready);
}

pid_t hold_start(const uint16_t *ports, int n, const struct sockaddr_storage *addr,
		 socklen_t len, double deadline, int pidfd)
{
	int ready[2] = { -1, -1 };
	bool sync = pipe2(ready, O_CLOEXEC) == 0;
	pid_t pid = fork();

	if (pid != 0) {
		if (sync) {
			close(ready[1]);
			if (pid > 0)
				wait_until_detached(ready[0]);
			else
				close(ready[0]);
		}
		return pid;
	}
	/* Its own session: the caller's terminal signals and job control are not its own. */
	setsid();
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "epr-hold", 0, 0, 0);
	detach_descriptors(pidfd);
	hold_run(ports, n, addr, len, deadline, pidfd);
}
