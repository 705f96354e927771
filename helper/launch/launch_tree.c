/* The process tree of a launch, contained one of two ways, chosen once at set-up:
 * - a cgroup v2 of its own, where a cgroup2 hierarchy is writable: CMD starts in it, the
 *   kernel keeps membership exact whatever the processes do (fork away, setsid, drop
 *   privileges), it outlives a killed supervisor, and it is signalled, killed and found
 *   empty whole (cgroup.kill, cgroup.events);
 * - else the supervisor's children: it is a child subreaper (it is in both cases, to reap
 *   what forks away), so the tree is exactly its descendants, found through
 *   /proc/PID/task/TID/children without scanning /proc.
 * --wait-cmd attempts are no part of the launch: with a cgroup, each is born in a fresh one,
 * <launch>/wait-cmd/N, killed whole and removed when it ends (never reused: the kernel kills a
 * clone3 into a cgroup just after its cgroup.kill), and not counted as the launch's; without
 * one, each runs under a keeper, a child subreaper that kills what the attempt left. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "cgroup.h"
#include "epr_env.h"
#include "launch.h"

#define TREE_MAX 4096        /* processes visited in one walk */
#define CHAIN_MAX 0x400000   /* parent links: PID_MAX_LIMIT, more than any chain can have */
#define RELEASE_WAIT 1.0     /* s: for killed processes to leave a cgroup before its rmdir */

static struct {
	int fd;               /* the launch's cgroup; -1: the child subreaper path */
	int events;           /* its cgroup.events, for poll */
	char path[4096];      /* its directory */
	char rel[4096];       /* its path as /proc/PID/cgroup shows it */
	char parent[4000];    /* the supervisor's own cgroup */
	bool attempts;        /* <launch>/wait-cmd is made (for the first attempt) */
	char attempts_rel[4200]; /* its path as /proc/PID/cgroup shows it */
	bool keeper;          /* the kernel would not start an attempt in a cgroup: keepers */
	unsigned n_attempts;  /* the name of the last attempt's cgroup */
	int attempt;          /* that cgroup, until it is removed; -1: none */
	bool attempt_killed;  /* its attempt is over: it goes once its processes are gone */
	char attempt_path[4400];
	char why[4400];       /* why there is no cgroup */
} cg = { .fd = -1, .events = -1, .attempt = -1 };

static void attempt_remove(bool wait);

/* Makes the launch's cgroup under the supervisor's own, or says in cg.why why not. */
static void cgroup_setup(void)
{
	const char *mode = getenv(EPR_ENV_CGROUP);
	char rel[4000], name[64];
	unsigned long long random;
	int err;

	if (mode && strcmp(mode, "off") == 0) {
		snprintf(cg.why, sizeof cg.why, "%s=off", EPR_ENV_CGROUP);
		return;
	}
	if (mode && *mode && strcmp(mode, "auto") != 0)
		cli_fail("%s: '%s' is neither auto nor off", EPR_ENV_CGROUP, mode);
	if ((err = cgroup_own(cg.parent, sizeof cg.parent, rel, sizeof rel)) != 0) {
		snprintf(cg.why, sizeof cg.why, "%s", err == ENOENT ? "none mounted" : strerror(err));
		return;
	}
	if (getrandom(&random, sizeof random, 0) != (ssize_t)sizeof random)
		random = (unsigned long long)now_seconds();
	snprintf(name, sizeof name, "epr-%d-%016llx", (int)getpid(), random);
	cg.fd = cgroup_create(cg.parent, name);
	if (cg.fd < 0) {
		snprintf(cg.why, sizeof cg.why, "%s: %.200s", cg.parent, strerror(errno));
		return;
	}
	snprintf(cg.path, sizeof cg.path, "%s/%s", cg.parent, name);
	snprintf(cg.rel, sizeof cg.rel, "%s/%s", strcmp(rel, "/") == 0 ? "" : rel, name);
	cg.events = cgroup_events(cg.fd);
}

int tree_setup(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		return -1;
	cgroup_setup();
	return 0;
}

/* Gives up the launch's cgroup before anything ran in it: the subreaper path instead. */
static void cgroup_drop(const char *why)
{
	snprintf(cg.why, sizeof cg.why, "%s", why);
	close(cg.fd);
	cg.fd = -1;
	if (cg.events >= 0)
		close(cg.events);
	cg.events = -1;
	rmdir(cg.path);
	cg.path[0] = cg.rel[0] = '\0';
}

pid_t tree_fork(void)
{
	pid_t pid;
	char why[sizeof cg.why];

	if (cg.fd < 0)
		return fork();
	pid = cgroup_fork_into(cg.fd);
	if (pid >= 0)
		return pid;
	/* ENOSYS, E2BIG: before Linux 5.7; EACCES, EPERM: a cgroup we made but may not
	 * move into (cgroup.procs of the common ancestor is not ours). */
	snprintf(why, sizeof why, "cannot start in %s: %.200s", cg.path, strerror(errno));
	cgroup_drop(why);
	return fork();
}

void tree_describe(char *out, size_t cap)
{
	if (cg.fd >= 0)
		snprintf(out, cap, "the launch's cgroup is %s", cg.path);
	else
		snprintf(out, cap, "no writable cgroup v2 (%s): child subreaper", cg.why);
}

const char *tree_cgroup(void)
{
	return cg.path;
}

int tree_pollfd(void)
{
	return cg.events;
}

/* Appends the children of every thread of pid to out, each with pid as its parent. */
static size_t children_of(pid_t pid, pid_t *out, pid_t *parents, size_t n, size_t cap)
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
			parents[n] = pid;
			out[n++] = (pid_t)child;
		}
	}
	closedir(tasks);
	return n;
}

/* The descendants of root, breadth first, into out (parents[i] is out[i]'s); their count. */
static size_t walk(pid_t root, pid_t *out, pid_t *parents, size_t cap)
{
	size_t n = children_of(root, out, parents, 0, cap);

	for (size_t i = 0; i < n; i++)
		n = children_of(out[i], out, parents, n, cap);
	return n;
}

/* The subreaper path: sig (and sig2 unless 0) to each descendant through a pidfd, opened
 * and then checked to name a process whose parent is the one it was found under (or the
 * supervisor, which adopts orphans): a pid reused meanwhile is not signalled. */
static void walk_signal(pid_t root, int sig, int sig2)
{
	static pid_t pids[TREE_MAX], parents[TREE_MAX];
	size_t n = walk(root, pids, parents, TREE_MAX);

	for (size_t i = 0; i < n; i++) {
		int fd = (int)syscall(SYS_pidfd_open, pids[i], 0);
		pid_t parent;

		if (fd < 0)
			continue;
		parent = proc_parent(pids[i]);
		if (parent == parents[i] || parent == root) {
			syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
			if (sig2)
				syscall(SYS_pidfd_send_signal, fd, sig2, NULL, 0);
		}
		close(fd);
	}
}

void tree_signal(int sig)
{
	if (cg.fd >= 0)
		cgroup_signal(cg.fd, sig, 0);
	else
		walk_signal(getpid(), sig, 0);
}

void tree_terminate(void)
{
	/* SIGCONT too: a stopped process would hold SIGTERM pending until SIGKILL. */
	if (cg.fd >= 0)
		cgroup_signal(cg.fd, SIGTERM, SIGCONT);
	else
		walk_signal(getpid(), SIGTERM, SIGCONT);
}

void tree_kill(void)
{
	if (cg.fd < 0 || cgroup_kill(cg.fd) != 0)
		walk_signal(getpid(), SIGKILL, 0);
}

/* The launch's cgroup holds a process of its own: one not in the attempts' cgroups. */
static int launch_populated(void)
{
	/* Read from the polled fd first: that acknowledges the change poll reported. */
	int all = cg.events >= 0 ? cgroup_events_populated(cg.events) : cgroup_populated(cg.fd);

	if (all != 1 || !cg.attempts)
		return all;
	return cgroup_populated_except(cg.fd, TREE_ATTEMPTS);
}

/* Whether pid (a child of the supervisor's, so its pid names it until reaped) is an
 * attempt's: the attempt running, its keeper, or a process in the attempts' cgroups. */
static bool attempts_own(const struct launch_state *l, pid_t pid)
{
	if (l->wait.cmd_pid > 0 && !l->wait.cmd_reaped && pid == l->wait.cmd_pid)
		return true;
	return cg.attempts && cgroup_contains(cg.attempts_rel, pid);
}

/* No child is left but the --wait-cmd attempts', which are no part of the server. */
static bool only_attempts_left(const struct launch_state *l)
{
	static pid_t children[TREE_MAX], parents[TREE_MAX];
	size_t n;

	if (!cg.attempts && !(l->wait.cmd_pid > 0 && !l->wait.cmd_reaped))
		return false; /* no attempt has run: every child is the server's */
	n = children_of(getpid(), children, parents, 0, TREE_MAX);
	for (size_t i = 0; i < n; i++)
		if (!attempts_own(l, children[i]))
			return false;
	return n > 0; /* none: a child exited since waitpid, whose SIGCHLD brings us back */
}

bool tree_reap(struct launch_state *l)
{
	for (;;) {
		int status, err;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		err = errno;
		if (pid > 0) {
			if (pid == l->main_pid) {
				l->main_status = status;
				l->main_reaped = true;
				l->reaped_tree = true;
			} else if (!wait_reaped(l, pid, status)) {
				l->reaped_tree = true;
			}
			continue;
		}
		/* An attempt's cgroup, killed, is removed once its processes are gone. */
		attempt_remove(false);
		/* With a cgroup, what is in it counts too: a process the supervisor is no
		 * ancestor of. */
		if (cg.fd >= 0 && launch_populated() == 1)
			return false;
		if (pid < 0 && err == ECHILD)
			return true;
		return only_attempts_left(l);
	}
}

/* Whether the cgroup whose inode (its id) is id is dir (an fd) or below it, depth levels
 * at most, but for the --wait-cmd attempts' cgroups below the launch's (top: dir is the
 * launch's); *budget bounds the directories looked at. */
static bool cgroup_below(int dir, uint64_t id, int depth, int *budget, bool top)
{
	struct stat st;
	struct dirent *ent;
	bool found = false;
	DIR *d;
	int fd;

	if (fstat(dir, &st) == 0 && (uint64_t)st.st_ino == id)
		return true;
	if (depth <= 0 || (fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return false;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return false;
	}
	while (!found && (*budget)-- > 0 && (ent = readdir(d))) {
		int sub;

		if (ent->d_type != DT_DIR || strcmp(ent->d_name, ".") == 0 ||
		    strcmp(ent->d_name, "..") == 0 || (top && strcmp(ent->d_name, TREE_ATTEMPTS) == 0))
			continue;
		sub = openat(dirfd(d), ent->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0) {
			found = cgroup_below(sub, id, depth - 1, budget, false);
			close(sub);
		}
	}
	closedir(d);
	return found;
}

bool tree_held_cgroup(uint64_t id)
{
	int budget = 256;

	return cg.fd >= 0 && id && cgroup_below(cg.fd, id, 8, &budget, true);
}

bool tree_contains(pid_t pid)
{
	pid_t self = getpid();

	/* The attempts' cgroups are below the launch's, and no part of it. */
	if (cg.fd >= 0)
		return cgroup_contains(cg.rel, pid) &&
		       !(cg.attempts && cgroup_contains(cg.attempts_rel, pid));
	/* To pid 1, however deep: a parent chain has no cycle; CHAIN_MAX only bounds a walk
	 * that pid reuse in the middle of it could lead astray. */
	for (long links = 0; links < CHAIN_MAX && pid > 1; links++) {
		pid = proc_parent(pid);
		if (pid == self)
			return true;
	}
	return false;
}

void tree_snapshot(char *out, size_t cap)
{
	static pid_t pids[TREE_MAX], parents[TREE_MAX];
	size_t n = walk(getpid(), pids, parents, TREE_MAX), used = 0;

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

/* Without a cgroup for attempts: the keeper of one attempt, itself a child subreaper, so
 * that what the attempt leaves (a daemon that called setsid()) is reparented to it rather
 * than to the supervisor, and killed with the rest once the attempt ends. It then exits as
 * the attempt did. */
static _Noreturn void keep_attempt(pid_t attempt)
{
	int status = 0, st;
	pid_t pid;

	close_range(3, ~0U, 0); /* nothing of the supervisor's: the attempt has its copies */
	do
		pid = waitpid(-1, &st, 0);
	while (pid != attempt && !(pid < 0 && errno != EINTR));
	if (pid == attempt)
		status = st;
	for (int round = 0; round < 100; round++) {
		walk_signal(getpid(), SIGKILL, 0);
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (pid < 0 && errno == ECHILD)
			break;
		poll(NULL, 0, 10);
	}
	if (WIFSIGNALED(status))
		kill(getpid(), WTERMSIG(status));
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_CANNOT_EXEC);
}

/* Makes the next attempt's cgroup, <launch>/wait-cmd/N, fresh for each attempt; its fd,
 * or -1 with errno. */
static int attempt_create(void)
{
	char dir[4300], name[16];

	snprintf(dir, sizeof dir, "%s/%s", cg.path, TREE_ATTEMPTS);
	if (!cg.attempts) {
		if (mkdir(dir, 0755) != 0)
			return -1;
		cg.attempts = true;
		snprintf(cg.attempts_rel, sizeof cg.attempts_rel, "%s/%s", cg.rel, TREE_ATTEMPTS);
	}
	snprintf(name, sizeof name, "%u", ++cg.n_attempts);
	snprintf(cg.attempt_path, sizeof cg.attempt_path, "%s/%s", dir, name);
	return cgroup_create(dir, name);
}

/* Removes the last attempt's cgroup once that attempt was killed: at once if its processes
 * are gone (else a later call does, each SIGCHLD of theirs brings tree_reap here), or, told
 * to wait, after a bounded wait for them to go. */
static void attempt_remove(bool wait)
{
	double until = now_seconds() + RELEASE_WAIT;

	if (cg.attempt < 0 || !cg.attempt_killed)
		return;
	while (wait && cgroup_populated(cg.attempt) == 1 && now_seconds() < until)
		poll(NULL, 0, 10);
	if (cgroup_remove(cg.attempt_path) != 0 && errno != ENOENT) {
		if (!wait)
			return;
		cli_warn("cannot remove the cgroup %s: %s", cg.attempt_path, strerror(errno));
	}
	close(cg.attempt);
	cg.attempt = -1;
}

/* The cgroup path of an attempt: born in its fresh cgroup. 0 in the child, its pid in the
 * supervisor; -1 with errno. Says in why when the kernel refused and keepers must do. */
static pid_t attempt_fork_into_cgroup(char *why, size_t cap)
{
	pid_t pid;
	int err;

	attempt_remove(true); /* the last one's, killed when it ended */
	cg.attempt = attempt_create();
	if (cg.attempt >= 0) {
		cg.attempt_killed = false;
		if ((pid = cgroup_fork_into(cg.attempt)) >= 0)
			return pid;
	}
	err = errno;
	if (cg.attempt >= 0) {
		close(cg.attempt);
		rmdir(cg.attempt_path);
		cg.attempt = -1;
	}
	errno = err;
	/* Out of processes or memory: this attempt fails, and a later one tries again. */
	if (err == EAGAIN || err == ENOMEM)
		return -1;
	/* ENOSYS, E2BIG: before Linux 5.7; EINVAL, EPERM, EACCES, EEXIST: the kernel or the
	 * hierarchy will not have it. Keepers from now on. */
	snprintf(why, cap, "--wait-cmd attempts cannot start in a cgroup of their own (%.4000s: %s): "
		 "each runs under a keeper instead", cg.attempt_path, strerror(err));
	cg.keeper = true;
	return -2;
}

pid_t tree_fork_attempt(char *why, size_t cap)
{
	pid_t keeper, attempt;

	why[0] = '\0';
	if (cg.fd >= 0 && !cg.keeper && (attempt = attempt_fork_into_cgroup(why, cap)) != -2)
		return attempt;
	keeper = fork();
	if (keeper != 0)
		return keeper;
	child_reset_signals();
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		return 0; /* the attempt itself, as before keepers */
	attempt = fork();
	if (attempt == 0)
		return 0;
	if (attempt < 0)
		_exit(EXIT_CANNOT_EXEC);
	keep_attempt(attempt);
}

void tree_kill_attempt(pid_t keeper)
{
	if (cg.attempt >= 0 && !cg.attempt_killed) {
		cgroup_kill(cg.attempt);
		cg.attempt_killed = true;
		attempt_remove(false);
	} else if (keeper > 0) {
		walk_signal(keeper, SIGKILL, 0);
	}
}

/* Removes the cgroup at path (fd), waiting a bounded time for killed members to leave. */
static void remove_cgroup(int fd, const char *path)
{
	double until = now_seconds() + RELEASE_WAIT;

	while (cgroup_populated(fd) == 1 && now_seconds() < until)
		poll(NULL, 0, 10);
	close(fd);
	if (cgroup_remove(path) != 0 && errno != ENOENT)
		cli_warn("cannot remove the cgroup %s: %s", path, strerror(errno));
}

void tree_release(void)
{
	tree_kill_attempt(0);
	attempt_remove(true);
	if (cg.fd < 0)
		return;
	if (cg.events >= 0)
		close(cg.events);
	cg.events = -1;
	remove_cgroup(cg.fd, cg.path); /* and the attempts' below it */
	cg.fd = -1;
	cg.attempts = false;
	cg.path[0] = cg.rel[0] = '\0';
	snprintf(cg.why, sizeof cg.why, "released");
}
