/* Stopping a process group and telling when it is gone. PID 1 on some machines never
 * reaps orphans, so a zombie counts as gone: it holds no port and runs no code. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"

/* After SIGKILL, how long to wait for the kernel to tear the group down. */
#define KILL_WAIT_SECONDS 5.0

/* Reads state and pgrp from /proc/PID/stat; comm may hold spaces and ')'. 0 or -1. */
static int read_stat(const char *pid, char *state, pid_t *pgrp)
{
	char path[64], buf[512];
	FILE *f;
	size_t n;
	char *close_paren;
	int ppid, group;

	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	close_paren = strrchr(buf, ')');
	if (!close_paren || sscanf(close_paren + 1, " %c %d %d", state, &ppid, &group) != 3)
		return -1;
	*pgrp = group;
	return 0;
}

unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[512], *close_paren, *field;
	unsigned long long start = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	close_paren = strrchr(buf, ')');
	if (!close_paren)
		return 0;
	/* starttime is field 22; the field after comm is 3 */
	field = close_paren + 1;
	for (int i = 3; i <= 22 && field; i++) {
		field = strchr(field, ' ');
		if (field)
			field++;
	}
	if (field)
		start = strtoull(field, NULL, 10);
	return start;
}

static bool gone_state(char state)
{
	return state == 'Z' || state == 'X' || state == 'x';
}

pid_t proc_pgrp(pid_t pid)
{
	char name[24], state;
	pid_t pgrp;

	snprintf(name, sizeof name, "%d", (int)pid);
	if (read_stat(name, &state, &pgrp) != 0 || gone_state(state))
		return -1;
	return pgrp;
}

bool proc_group_alive(pid_t pgid)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	bool alive = false;

	if (!proc)
		cli_fail("/proc: %s", strerror(errno));
	while (!alive && (d = readdir(proc))) {
		char state;
		pid_t pgrp;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		if (read_stat(d->d_name, &state, &pgrp) == 0 && pgrp == pgid && !gone_state(state))
			alive = true;
	}
	closedir(proc);
	return alive;
}

/* Waits until the group is gone or the deadline passes, reaping child if it exits. */
static bool wait_gone(pid_t pgid, double deadline, pid_t *child, int *status)
{
	double pause = 0.01;

	for (;;) {
		if (*child > 0 && waitpid(*child, status, WNOHANG) == *child)
			*child = 0;
		if (!proc_group_alive(pgid)) {
			if (*child > 0 && waitpid(*child, status, WNOHANG) == *child)
				*child = 0;
			return true;
		}
		if (now_seconds() >= deadline)
			return false;
		sleep_seconds(pause);
		if (pause < 0.05)
			pause *= 1.5;
	}
}

int proc_group_stop(pid_t pgid, double grace, pid_t child, int *status)
{
	int ignored;

	if (!status)
		status = &ignored;
	if (kill(-pgid, SIGTERM) != 0 && errno != ESRCH)
		return -1;
	if (wait_gone(pgid, now_seconds() + grace, &child, status))
		return 0;
	if (kill(-pgid, SIGKILL) != 0 && errno != ESRCH)
		return -1;
	return wait_gone(pgid, now_seconds() + KILL_WAIT_SECONDS, &child, status) ? 0 : -1;
}
