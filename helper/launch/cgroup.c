/* cgroup v2 for a launch (see cgroup.h). Only files of the cgroup itself are touched, so no
 * controller is needed: this works on a hybrid layout (cgroup2 beside v1 controllers) too. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/sched.h>

#include "cgroup.h"
#include "cli.h"

#define MEMBERS_MAX 8192   /* processes read from cgroup.procs at once */
#define FREEZE_WAIT_MS 500 /* a task in the kernel (D state) may take a while to freeze */
#define SIGNAL_ROUNDS 8    /* reads of cgroup.procs for one signal, while new members show */

/* mountinfo escapes a space as \040 (octal); undone in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		unsigned c;

		if (s[0] == '\\' && sscanf(s + 1, "%3o", &c) == 1 && strspn(s + 1, "01234567") >= 3) {
			*out++ = (char)c;
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* The root and the mount point of the cgroup2 mount; 0 or ENOENT. */
static int cgroup2_mount(char *root, char *point, size_t cap)
{
	char line[8192];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int err = ENOENT;

	if (!f)
		return errno;
	while (err && fgets(line, sizeof line, f)) {
		char r[4096], p[4096], type[64], *dash = strstr(line, " - ");

		if (!dash || sscanf(dash, " - %63s", type) != 1 || strcmp(type, "cgroup2") != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", r, p) != 2)
			continue;
		unescape(r);
		unescape(p);
		if (strlen(r) < cap && strlen(p) < cap) {
			strcpy(root, r);
			strcpy(point, p);
			err = 0;
		}
	}
	fclose(f);
	return err;
}

/* The 0:: line of /proc/PID/cgroup (PID 0: self) into rel; 0 or an errno. */
static int unified_path(pid_t pid, char *rel, size_t cap)
{
	char path[64], line[4200];
	FILE *f;
	int err = ENOENT;

	if (pid)
		snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	else
		snprintf(path, sizeof path, "/proc/self/cgroup");
	f = fopen(path, "re");
	if (!f)
		return errno;
	while (err && fgets(line, sizeof line, f)) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line + 3) < cap) {
			strcpy(rel, line + 3);
			err = 0;
		}
	}
	fclose(f);
	return err;
}

int cgroup_own(char *dir, size_t dircap, char *rel, size_t relcap)
{
	char root[4096], point[4096];
	const char *below;
	size_t rootlen;
	int err;

	if ((err = cgroup2_mount(root, point, sizeof root)) != 0 ||
	    (err = unified_path(0, rel, relcap)) != 0)
		return err;
	/* A mount of a subtree shows paths from its root. */
	rootlen = strcmp(root, "/") == 0 ? 0 : strlen(root);
	if (strncmp(rel, root, rootlen) != 0 || (rel[rootlen] != '/' && rel[rootlen] != '\0'))
		return ENOENT;
	below = rel + rootlen;
	if ((size_t)snprintf(dir, dircap, "%s%s", point, strcmp(below, "/") == 0 ? "" : below) >= dircap)
		return ENAMETOOLONG;
	return 0;
}

int cgroup_open(const char *path)
{
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int cgroup_create(const char *parent, const char *name)
{
	char path[4300];

	if ((size_t)snprintf(path, sizeof path, "%s/%s", parent, name) >= sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(path, 0755) != 0)
		return -1;
	return cgroup_open(path);
}

pid_t cgroup_fork_into(int dirfd)
{
	struct clone_args args;

	memset(&args, 0, sizeof args);
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = (uint64_t)dirfd;
	return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

/* Reads the cgroup's file name whole (small files only); its length, or -1. */
static ssize_t read_file(int dirfd, const char *name, char *buf, size_t cap)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

static int write_file(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC), err;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	err = errno;
	close(fd);
	errno = err;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The value of key in cgroup.events read from fd (from its start, which also acknowledges
 * a change that poll reported): 0 or 1, -1 with errno. */
static int event(int fd, const char *key)
{
	char buf[256], *at;
	size_t keylen = strlen(key);
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0 || (n = read(fd, buf, sizeof buf - 1)) < 0)
		return -1;
	buf[n] = '\0';
	for (at = buf; (at = strstr(at, key)); at += keylen)
		if ((at == buf || at[-1] == '\n') && at[keylen] == ' ')
			return at[keylen + 1] == '1';
	errno = ENOENT;
	return -1;
}

int cgroup_events(int dirfd)
{
	return openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
}

int cgroup_events_populated(int events)
{
	return event(events, "populated");
}

int cgroup_populated(int dirfd)
{
	int fd = cgroup_events(dirfd), populated;

	if (fd < 0)
		return -1;
	populated = event(fd, "populated");
	close(fd);
	return populated;
}

int cgroup_populated_except(int dirfd, const char *child)
{
	char buf[16];
	int populated = cgroup_populated(dirfd), fd;
	DIR *d;
	struct dirent *ent;

	if (populated != 1 || (fd = openat(dirfd, child, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return populated;
	populated = cgroup_populated(fd);
	close(fd);
	if (populated != 1) /* all of it is outside child */
		return 1;
	/* Both are: a member of the cgroup itself, or of another cgroup below, is what counts. */
	if (read_file(dirfd, "cgroup.procs", buf, sizeof buf) != 0)
		return 1; /* some member (or a read error: the safe answer is "populated") */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 1;
	}
	populated = 0;
	while (!populated && (ent = readdir(d))) {
		int sub;

		if (ent->d_type != DT_DIR || strcmp(ent->d_name, ".") == 0 ||
		    strcmp(ent->d_name, "..") == 0 || strcmp(ent->d_name, child) == 0)
			continue;
		sub = openat(dirfd, ent->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		populated = sub >= 0 ? cgroup_populated(sub) != 0 : errno != ENOENT;
		if (sub >= 0)
			close(sub);
	}
	closedir(d);
	return populated;
}

/* Freezes (or thaws) the cgroup and, to freeze, waits a bounded time until it is frozen:
 * then no member runs, so none forks and none reaps another. 0, or -1 when not frozen. */
static int freeze(int dirfd, bool on)
{
	double until = now_seconds() + FREEZE_WAIT_MS / 1000.0;
	int events, frozen = -1;

	if (write_file(dirfd, "cgroup.freeze", on ? "1" : "0") != 0 || !on)
		return on ? -1 : 0;
	events = cgroup_events(dirfd);
	if (events < 0)
		return -1;
	while ((frozen = event(events, "frozen")) == 0 && now_seconds() < until) {
		struct pollfd p = { events, POLLPRI, 0 };

		poll(&p, 1, (int)((until - now_seconds()) * 1000) + 1);
	}
	close(events);
	return frozen == 1 ? 0 : -1;
}

/* The pids in cgroup.procs into out; how many. */
static size_t members(int dirfd, pid_t *out, size_t cap)
{
	static char buf[MEMBERS_MAX * 12];
	size_t n = 0;

	if (read_file(dirfd, "cgroup.procs", buf, sizeof buf) < 0)
		return 0;
	for (char *p = buf, *end; n < cap; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 0)
			out[n++] = (pid_t)pid;
	}
	return n;
}

static bool listed(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* pidfds of the members. A pid read from cgroup.procs may be reused before pidfd_open, so
 * the list is read again after: a pid that is still listed is a live member that the pidfd
 * names (a live process keeps its pid), and any other pidfd is closed. */
static size_t member_pidfds(int dirfd, int *fds, pid_t *pids, size_t cap)
{
	static pid_t again[MEMBERS_MAX];
	size_t n = members(dirfd, pids, cap), m, kept = 0;

	for (size_t i = 0; i < n; i++)
		fds[i] = (int)syscall(SYS_pidfd_open, pids[i], 0);
	m = members(dirfd, again, MEMBERS_MAX);
	for (size_t i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (!listed(again, m, pids[i])) {
			close(fds[i]);
			continue;
		}
		fds[kept] = fds[i];
		pids[kept++] = pids[i];
	}
	return kept;
}

size_t cgroup_pidfds(int dirfd, int *out, size_t cap)
{
	static pid_t pids[MEMBERS_MAX];

	return member_pidfds(dirfd, out, pids, cap < MEMBERS_MAX ? cap : MEMBERS_MAX);
}

/* One round: sig (and sig2) to each member not in done[0..*n_done), which it joins. How
 * many were signalled. */
static size_t signal_new_members(int dirfd, int sig, int sig2, pid_t *done, size_t *n_done)
{
	static int fds[MEMBERS_MAX];
	static pid_t pids[MEMBERS_MAX];
	size_t n = member_pidfds(dirfd, fds, pids, MEMBERS_MAX), fresh = 0;

	for (size_t i = 0; i < n; i++) {
		if (!listed(done, *n_done, pids[i])) {
			syscall(SYS_pidfd_send_signal, fds[i], sig, NULL, 0);
			if (sig2)
				syscall(SYS_pidfd_send_signal, fds[i], sig2, NULL, 0);
			if (*n_done < MEMBERS_MAX)
				done[(*n_done)++] = pids[i];
			fresh++;
		}
		close(fds[i]);
	}
	return fresh;
}

int cgroup_signal(int dirfd, int sig, int sig2)
{
	static pid_t done[MEMBERS_MAX];
	size_t n_done = 0, rounds = 0;
	/* SIGKILL comes here only without cgroup.kill (before 5.14): frozen, no member forks
	 * between the read and the kill. Any other signal is a request the tree may act on as
	 * it likes, and freezing for it cost a stop a freeze and a thaw of every thread (a
	 * wake-up each, 0.1 to 0.3 ms in all); the members are read again after each round
	 * instead, so that a process forked meanwhile gets the signal too. What forks faster
	 * than that still meets cgroup.kill when the grace ends. */
	bool freezing = sig == SIGKILL;

	if (freezing)
		freeze(dirfd, true); /* best effort: what forks past it meets the next read */
	while (signal_new_members(dirfd, sig, sig2, done, &n_done) > 0 && ++rounds < SIGNAL_ROUNDS)
		;
	if (freezing) /* also after a freeze that timed out half done */
		freeze(dirfd, false);
	return (int)n_done;
}

int cgroup_kill(int dirfd)
{
	if (write_file(dirfd, "cgroup.kill", "1") == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	/* Before 5.14: in a frozen cgroup no member forks between the read and the kill. */
	return cgroup_signal(dirfd, SIGKILL, 0) < 0 ? -1 : 0;
}

bool cgroup_contains(const char *rel, pid_t pid)
{
	char path[4200];
	size_t len = strlen(rel);

	if (pid < 1 || unified_path(pid, path, sizeof path) != 0)
		return false;
	if (strcmp(rel, "/") == 0)
		return true;
	return strncmp(path, rel, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

int cgroup_remove(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *ent;

	/* A launch started inside this one made its cgroup below: killed with it, it may not
	 * have removed that. Only directories: a cgroup's files go with the rmdir. */
	while (d && (ent = readdir(d))) {
		char sub[4400];

		if (ent->d_type != DT_DIR || strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, ent->d_name) < sizeof sub)
			cgroup_remove(sub);
	}
	if (d)
		closedir(d);
	return rmdir(path);
}
