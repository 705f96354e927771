/* The seccomp listeners of a launch: CMD's, when the supervisor's child loaded the filter,
 * and those the shim sends (LAUNCH_NOTIFIER) when a process of the tree is about to exec a
 * static or Go program. The supervisor polls them all and serves each alike, but for one
 * thing: a client's (epr exec's CMD, outside the tree) binds and listens are its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "launch.h"

void launch_notifiers_init(struct launch_state *l)
{
	for (size_t i = 0; i < LAUNCH_MAX_NOTIFIERS; i++) {
		l->notifiers[i] = -1;
		l->notifier_client[i] = false;
	}
}

bool launch_notifier_client(const struct launch_state *l, int listener)
{
	for (size_t i = 0; i < LAUNCH_MAX_NOTIFIERS; i++)
		if (l->notifiers[i] == listener)
			return listener >= 0 && l->notifier_client[i];
	return false;
}

/* The kernel names a listener's file "anon_inode:seccomp notify": nothing else is served. */
static bool is_listener(int fd)
{
	static const char want[] = "anon_inode:seccomp notify";
	char link[64], target[sizeof want + 1];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof target);
	return n == (ssize_t)sizeof want - 1 && memcmp(target, want, sizeof want - 1) == 0;
}

int launch_adopt_notifier(struct launch_state *l, int fd, pid_t pid, bool client)
{
	size_t i;

	if (!is_listener(fd))
		return EBADF;
	for (i = 0; i < LAUNCH_MAX_NOTIFIERS && l->notifiers[i] >= 0; i++)
		;
	if (i == LAUNCH_MAX_NOTIFIERS) {
		cli_warn("process %d: cannot serve more than %d seccomp listeners at once",
			 (int)pid, LAUNCH_MAX_NOTIFIERS);
		return EMFILE;
	}
	l->notifiers[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (l->notifiers[i] < 0) {
		l->notifiers[i] = -1;
		return errno;
	}
	l->notifier_client[i] = client;
	if (l->options->verbose && client)
		cli_warn("client process %d: its connects are redirected by seccomp user "
			 "notification from its next program on", (int)pid);
	else if (l->options->verbose)
		cli_warn("process %d: binds are caught by seccomp user notification from its next "
			 "program on", (int)pid);
	return 0;
}
