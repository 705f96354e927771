/* Stopping launches for epr stop, one or many at once: every request goes out first, then
 * all are waited for together, so N launches stop in about the time of one. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"
#include "launch.h"

/* After SIGKILL, how long the kernel may take to tear a tree down. */
#define KILL_WAIT 5.0
/* A supervisor sends that SIGKILL itself, then removes its files, before it exits. */
#define SUPERVISOR_SLACK 5.0

/* A pidfd of pid if it still runs with that start time, else -1. Without pidfds (a kernel
 * before 5.3, or valgrind) that is said and epr stops: it would otherwise take a running
 * launch for one that is gone. */
static int pidfd_of(pid_t pid, unsigned long long start)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0 && errno != ESRCH && proc_running(pid, start))
		cli_fail("cannot open a pidfd of process %d: %s (epr stop needs Linux 5.3 or later)",
			 (int)pid, strerror(errno));
	/* Checked after the open: the pidfd then names exactly the process we checked. */
	if (fd >= 0 && !proc_running(pid, start)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A pidfd of e's supervisor while it holds its entry's lock, else -1: the pidfd is opened
 * first, so that the process it names is the one that held the lock after it. */
static int supervisor_pidfd(const struct launch_entry *e)
{
	int fd;

	if (e->supervisor < 2)
		return -1;
	fd = (int)syscall(SYS_pidfd_open, e->supervisor, 0);
	if (fd < 0 && errno != ESRCH && registry_supervised(e))
		cli_fail("cannot open a pidfd of process %d: %s (epr stop needs Linux 5.3 or later)",
			 (int)e->supervisor, strerror(errno));
	if (fd >= 0 && !registry_supervised(e)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Asks the supervisor to stop its launch, with the grace period in the signal's value
 * (milliseconds, rounded up: a grace under 1 ms must not read as 0, "the default"): it
 * exits once no process of the tree is left. 0, or an errno. */
static int ask_supervisor(int pidfd, double grace)
{
	siginfo_t info;
	int ms = (int)(grace * 1000);

	memset(&info, 0, sizeof info);
	info.si_signo = SIGTERM;
	info.si_code = SI_QUEUE;
	info.si_pid = getpid();
	info.si_uid = getuid();
	info.si_value.sival_int = (double)ms < grace * 1000 || ms < 1 ? ms + 1 : ms;
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, &info, 0) != 0 && errno != ESRCH)
		return errno; /* ESRCH: it exited meanwhile, which a poll of its pidfd sees */
	return 0;
}

/* The cgroup e recorded, opened if it is still a cgroup2 directory named as epr names
 * them; -1 otherwise. */
static int entry_cgroup(const struct launch_entry *e)
{
	const char *base = strrchr(e->cgroup, '/');
	struct statfs fs;
	int fd;

	if (!e->cgroup[0] || !base || strncmp(base + 1, "epr-", 4) != 0)
		return -1;
	fd = cgroup_open(e->cgroup);
	if (fd >= 0 && (fstatfs(fd, &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC)) {
		close(fd);
		return -1;
	}
	return fd;
}

int launch_cgroup_populated(const struct launch_entry *e)
{
	int fd = entry_cgroup(e), populated;

	if (fd < 0)
		return -1;
	/* What the --wait-cmd attempts left is no part of it (and goes with its cgroup). */
	populated = cgroup_populated_except(fd, TREE_ATTEMPTS);
	close(fd);
	return populated;
}

/* The supervisor is gone, its cgroup is not: every member (as the kernel counts them, so
 * also what forked after any snapshot) gets SIGTERM and SIGCONT, and is waited for. */
static bool stop_cgroup(struct launch_stop *s, int cgroup)
{
	s->n_orphans = cgroup_pidfds(cgroup, s->orphans, LAUNCH_STOP_MAX);
	cgroup_signal(cgroup, SIGTERM, SIGCONT);
	close(cgroup);
	return s->n_orphans > 0;
}

bool launch_stop_begin(struct launch_stop *s, const struct launch_entry *e, double grace)
{
	struct launch_process procs[LAUNCH_STOP_MAX];
	size_t n;
	int cgroup;

	s->entry = e;
	s->n_orphans = 0;
	s->error = 0;
	s->survivors = false;
	s->waited = 0;
	s->supervisor = supervisor_pidfd(e);
	if (s->supervisor >= 0) {
		s->error = ask_supervisor(s->supervisor, grace);
		if (s->error) {
			close(s->supervisor);
			s->supervisor = -1;
		}
		return true;
	}
	if ((cgroup = entry_cgroup(e)) >= 0)
		return stop_cgroup(s, cgroup);
	n = registry_processes(e, procs, LAUNCH_STOP_MAX);
	for (size_t i = 0; i < n; i++)
		if ((s->orphans[s->n_orphans] = pidfd_of(procs[i].pid, procs[i].start)) >= 0)
			s->n_orphans++;
	for (size_t i = 0; i < s->n_orphans; i++) {
		if (syscall(SYS_pidfd_send_signal, s->orphans[i], SIGTERM, NULL, 0) == 0) {
			/* a stopped process would hold SIGTERM pending until SIGKILL */
			syscall(SYS_pidfd_send_signal, s->orphans[i], SIGCONT, NULL, 0);
			continue;
		}
		if (errno != EPERM)
			continue;
		/* not ours to signal: said at once, not waited for */
		s->error = EPERM;
		close(s->orphans[i]);
		s->orphans[i] = -1;
	}
	return s->n_orphans > 0;
}

/* Points slots[i] at each pidfd of s[0..n) still open, with its pollfd; how many. */
static size_t open_fds(struct launch_stop *s, size_t n, struct pollfd *p, int **slots)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i].supervisor >= 0)
			slots[m++] = &s[i].supervisor;
		for (size_t j = 0; j < s[i].n_orphans; j++)
			if (s[i].orphans[j] >= 0)
				slots[m++] = &s[i].orphans[j];
	}
	for (size_t k = 0; k < m; k++)
		p[k] = (struct pollfd){ *slots[k], POLLIN, 0 };
	return m;
}

static void kill_orphans(struct launch_stop *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int cgroup = s[i].n_orphans ? entry_cgroup(s[i].entry) : -1;

		if (cgroup >= 0) { /* stopped and forking ones too */
			cgroup_kill(cgroup);
			close(cgroup);
		}
		for (size_t j = 0; j < s[i].n_orphans; j++)
			if (s[i].orphans[j] >= 0)
				syscall(SYS_pidfd_send_signal, s[i].orphans[j], SIGKILL, NULL, 0);
	}
}

bool launch_stop_wait(struct launch_stop *s, size_t n, double grace)
{
	double kill_at = now_seconds() + grace, give_up = kill_at + KILL_WAIT;
	size_t cap = 0, m;
	struct pollfd *p;
	int **slots;
	bool killed = false;

	for (size_t i = 0; i < n; i++) {
		cap += s[i].n_orphans + (s[i].supervisor >= 0);
		if (s[i].supervisor >= 0)
			give_up = kill_at + KILL_WAIT + SUPERVISOR_SLACK;
	}
	p = calloc(cap + 1, sizeof *p);
	slots = calloc(cap + 1, sizeof *slots);
	if (!p || !slots)
		cli_fail("waiting for the launches to stop: %s", strerror(errno));
	while ((m = open_fds(s, n, p, slots)) > 0) {
		double now = now_seconds(), until = killed ? give_up : kill_at;

		if (!killed && now >= kill_at) {
			kill_orphans(s, n); /* a supervisor kills its own tree */
			killed = true;
			continue;
		}
		if (now >= give_up)
			break;
		if (poll(p, m, (int)((until - now) * 1000) + 1) <= 0)
			continue;
		for (size_t k = 0; k < m; k++) {
			if (p[k].revents) {
				close(*slots[k]);
				*slots[k] = -1;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		s[i].waited = now_seconds() - kill_at + grace;
		if (s[i].supervisor >= 0 && !s[i].error)
			s[i].error = ETIMEDOUT;
		for (size_t j = 0; j < s[i].n_orphans; j++)
			s[i].survivors |= s[i].orphans[j] >= 0;
	}
	free(p);
	free(slots);
	return m == 0;
}

/* Kills what is left in the cgroup at path (fd), waits a bounded time for it to empty, and
 * removes it; says so when it cannot. */
static void remove_cgroup(int fd, const char *path)
{
	double give_up = now_seconds() + KILL_WAIT;
	int events = cgroup_events(fd), populated;

	while ((populated = cgroup_populated(fd)) == 1 && now_seconds() < give_up) {
		struct pollfd p = { events, POLLPRI, 0 };

		cgroup_kill(fd);
		if (events < 0 || cgroup_events_populated(events) == 1)
			poll(events >= 0 ? &p : NULL, events >= 0, 100);
	}
	if (events >= 0)
		close(events);
	close(fd);
	if (cgroup_remove(path) != 0 && errno != ENOENT)
		cli_warn("cannot remove the cgroup %s: %s", path, strerror(errno));
}

int launch_clean_up(const struct launch_entry *e)
{
	int cgroup = entry_cgroup(e);

	if (cgroup >= 0)
		remove_cgroup(cgroup, e->cgroup); /* the --wait-cmd attempts' below it too */
	if (registry_clean(e) != 0)
		return -1;
	return e->tmpdir[0] ? private_dir_remove(e->tmpdir) : 0;
}
