/* The process tree of a launch. The supervisor is a child subreaper: whatever forks away,
 * calls setsid() or double-forks is reparented to it, so the tree is exactly its
 * descendants, found through /proc/PID/task/TID/children without scanning /proc. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"

#define TREE_MAX 4096   /* processes visited in one walk */
#define TREE_DEPTH 64   /* parent links followed by tree_contains */

int tree_become_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/* Appends the children of every thread of pid to out. */
static size_t children_of(pid_t pid, pid_t *out, size_t n, size_t cap)
{
	char path[64];
	DIR *tasks;
	struct dirent *d;

	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	tasks = opendir(path);
	if (!tasks)
		return n;
	while ((d = readdir(tasks)) && n < cap) {
		char file[320], buf[4096];
		FILE *f;
		size_t len;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(file, sizeof file, "/proc/%d/task/%s/children", (int)pid, d->d_name);
		f = fopen(file, "re");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = '\0';
		for (char *p = buf, *end; n < cap; p = end) {
			long child = strtol(p, &end, 10);

			if (end == p)
				break;
			out[n++] = (pid_t)child;
		}
	}
	closedir(tasks);
	return n;
}

/* The tree, breadth first, into out; its size. */
static size_t walk(pid_t *out, size_t cap)
{
	size_t n = children_of(getpid(), out, 0, cap);

	for (size_t i = 0; i < n; i++)
		n = children_of(out[i], out, n, cap);
	return n;
}

void tree_signal(int sig)
{
	static pid_t pids[TREE_MAX];
	size_t n = walk(pids, TREE_MAX);

	for (size_t i = 0; i < n; i++)
		kill(pids[i], sig);
}

bool tree_reap(struct launch_state *l)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			if (pid == l->main_pid) {
				l->main_status = status;
				l->main_reaped = true;
			} else {
				wait_reaped(l, pid, status);
			}
			continue;
		}
		if (pid < 0 && errno == ECHILD)
			return true;
		/* A --wait-cmd attempt is no part of the server: alone, it is all that is left. */
		if (l->wait.cmd_pid > 0 && !l->wait.cmd_reaped) {
			pid_t children[2];

			return children_of(getpid(), children, 0, 2) == 1 && children[0] == l->wait.cmd_pid;
		}
		return false;
	}
}

bool tree_contains(pid_t pid)
{
	pid_t self = getpid();

	for (int depth = 0; depth < TREE_DEPTH && pid > 1; depth++) {
		pid = proc_parent(pid);
		if (pid == self)
			return true;
	}
	return false;
}

void tree_snapshot(char *out, size_t cap)
{
	static pid_t pids[TREE_MAX];
	size_t n = walk(pids, TREE_MAX), used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out + used, cap - used, "%s%d:%llu", used ? "," : "", (int)pids[i],
				 proc_start_time(pids[i]));

		if (w < 0 || (size_t)w >= cap - used) {
			out[used] = '\0';
			break;
		}
		used += (size_t)w;
	}
}
