/* epr stop: stop a launch of epr start (or epr run), given its env file or a pid it printed:
 * its supervisor stops the whole tree and removes what start made. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"
#include "envfile.h"
#include "epr_env.h"
#include "launch.h"

#define DEFAULT_GRACE 10.0

static void usage(void)
{
	printf("Usage: epr stop [-t SECONDS] ENVFILE|PID\n"
	       "Stop a launch of epr start (or epr run), named by its env file or by the\n"
	       "EPR_PID or EPR_SUPERVISOR_PID it printed: SIGTERM to its whole process tree,\n"
	       "SIGKILL after SECONDS (default 10) to what is left; then remove what epr start\n"
	       "made. Only the caller's own launches are stopped.\n"
	       "\n"
	       "  -t, --timeout SECS   the grace period before SIGKILL\n"
	       "  -h, --help           show this help\n"
	       "\n"
	       "Exit status: 0 once the tree is gone, also when it was already gone (a note\n"
	       "says so); 1 for a pid or file that names no launch of the caller's, or a tree\n"
	       "that would not die; 2 for bad usage.\n");
}

/* After SIGKILL, how long the kernel may take to tear a tree down. */
#define KILL_WAIT 5.0

static bool is_pid(const char *text)
{
	return *text && strspn(text, "0123456789") == strlen(text);
}

static unsigned long long number(const struct envfile *ef, const char *key)
{
	char value[24];

	return envfile_get(ef, key, value, sizeof value) > 0 ? strtoull(value, NULL, 10) : 0;
}

/* The launch an env file names. It must be the caller's: its pids are signalled. What is
 * removed comes from the caller's registry, never from the file: a file can name any
 * directory. Exits 1 if it is not an env file of a launch. */
static void launch_of_file(const char *path, struct envfile *ef, struct launch_entry *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 || fstat(fd, &st) != 0)
		cli_fail("%s: %s", path, strerror(errno));
	close(fd);
	if (st.st_uid != getuid() && st.st_uid != 0)
		cli_fail("%s belongs to another user (uid %u); it does not name a launch of yours",
			 path, (unsigned)st.st_uid);
	if (envfile_read(path, ef) != 0)
		cli_fail("%s: %s", path, strerror(errno));
	memset(e, 0, sizeof *e);
	e->supervisor = (pid_t)number(ef, EPR_KEY_SUPERVISOR_PID);
	e->supervisor_start = number(ef, EPR_KEY_SUPERVISOR_START);
	e->main = (pid_t)number(ef, EPR_KEY_PID);
	e->main_start = number(ef, EPR_KEY_PID_START);
	if (e->supervisor < 2 || !e->supervisor_start)
		cli_fail("%s has no " EPR_KEY_SUPERVISOR_PID "; was it written by epr start?", path);
	snprintf(e->env_file, sizeof e->env_file, "%s", path);
	/* The registry's copy has the tree as the supervisor last saw it. */
	struct launch_entry known;
	if (registry_read(e->supervisor, &known) == 0 && known.supervisor_start == e->supervisor_start) {
		memcpy(e->tree, known.tree, sizeof e->tree);
		memcpy(e->tmpdir, known.tmpdir, sizeof e->tmpdir);
	}
}

struct find {
	pid_t pid;
	struct launch_entry *out;
	bool found;
};

static int match_pid(const struct launch_entry *e, void *arg)
{
	struct find *f = arg;

	if ((e->supervisor == f->pid && proc_running(f->pid, e->supervisor_start)) ||
	    (e->main == f->pid && proc_running(f->pid, e->main_start))) {
		*f->out = *e;
		f->found = true;
		return 1;
	}
	return 0;
}

/* The launch of pid, its supervisor's or CMD's, among the caller's; exits 1 if none. */
static void launch_of_pid(const char *text, struct envfile *ef, struct launch_entry *e)
{
	long value = strtol(text, NULL, 10);
	struct find f = { 0, e, false };

	if (value < 2 || value > 0x3fffffff)
		cli_usage_error("'%s' is not a process id", text);
	f.pid = (pid_t)value;
	registry_each(match_pid, &f);
	if (!f.found)
		cli_fail("%s: not a running launch of epr's (no launch of yours has that pid)", text);
	if (!e->env_file[0] || envfile_read(e->env_file, ef) != 0)
		envfile_init(ef);
}

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

/* Waits until every pidfd in fds is readable (its process gone) or the deadline passes;
 * true when all are gone. */
static bool wait_all(int *fds, size_t n, double deadline)
{
	for (size_t i = 0; i < n; i++) {
		while (fds[i] >= 0) {
			struct pollfd p = { fds[i], POLLIN, 0 };
			double left = deadline - now_seconds();

			if (left <= 0)
				return false;
			if (poll(&p, 1, (int)(left * 1000) + 1) > 0) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	return true;
}

/* The supervisor is gone (killed): stop what is left of the tree it last saw. */
static int stop_orphans(const struct launch_entry *e, double grace)
{
	static int fds[256];
	size_t n = 0;
	const char *item = e->tree;

	if (e->main > 1 && (fds[n] = pidfd_of(e->main, e->main_start)) >= 0)
		n++;
	while (*item && n < sizeof fds / sizeof fds[0]) {
		unsigned long long start;
		int pid, used;

		if (sscanf(item, "%d:%llu%n", &pid, &start, &used) != 2)
			break;
		item += used + (item[used] == ',');
		if (pid > 1 && pid != e->main && (fds[n] = pidfd_of(pid, start)) >= 0)
			n++;
	}
	if (!n)
		return 0;
	cli_warn("note: the supervisor of this launch is gone; stopping the %zu process%s it left",
		 n, n == 1 ? "" : "es");
	for (size_t i = 0; i < n; i++)
		syscall(SYS_pidfd_send_signal, fds[i], SIGTERM, NULL, 0);
	if (wait_all(fds, n, now_seconds() + grace))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			syscall(SYS_pidfd_send_signal, fds[i], SIGKILL, NULL, 0);
	return wait_all(fds, n, now_seconds() + KILL_WAIT) ? 0 : -1;
}

/* Asks the supervisor to stop its launch, with the grace period in the signal's value,
 * and waits for it to exit: it does so once no process of the tree is left. */
static int stop_supervised(int pidfd, double grace)
{
	siginfo_t info;
	struct pollfd p = { pidfd, POLLIN, 0 };
	double deadline = now_seconds() + grace + KILL_WAIT + 5;

	memset(&info, 0, sizeof info);
	info.si_signo = SIGTERM;
	info.si_code = SI_QUEUE;
	info.si_pid = getpid();
	info.si_uid = getuid();
	info.si_value.sival_int = (int)(grace * 1000);
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, &info, 0) != 0)
		return errno == ESRCH ? 0 : -1;
	while (poll(&p, 1, (int)((deadline - now_seconds()) * 1000) + 1) <= 0)
		if (now_seconds() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
	return 0;
}

int cmd_stop(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct envfile ef;
	static struct launch_entry e;
	double grace = DEFAULT_GRACE;
	const char *target;
	int opt, pidfd;

	while ((opt = getopt_long(argc, argv, "+:t:h", options, NULL)) != -1) {
		switch (opt) {
		case 't':
			grace = cli_seconds("-t", optarg);
			break;
		case 'h':
			usage();
			cli_flush_stdout();
			return EXIT_SUCCESS;
		default:
			cli_bad_option(argv, opt);
		}
	}
	if (optind >= argc)
		cli_usage_error("no ENVFILE or PID to stop");
	if (argc - optind > 1)
		cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
	target = argv[optind];

	if (is_pid(target))
		launch_of_pid(target, &ef, &e);
	else
		launch_of_file(target, &ef, &e);
	pidfd = pidfd_of(e.supervisor, e.supervisor_start);
	if (pidfd >= 0) {
		if (stop_supervised(pidfd, grace) != 0)
			cli_fail("the supervisor %d of %s did not finish: %s", (int)e.supervisor, target,
				 strerror(errno));
		close(pidfd);
		return EXIT_SUCCESS;
	}
	/* No supervisor: what it left, if anything, and the files. */
	if (stop_orphans(&e, grace) != 0)
		cli_fail("some process of %s is still running after SIGKILL", target);
	else if (!e.tree[0] && !proc_running(e.main, e.main_start))
		cli_warn("note: the launch of %s is already gone", target);
	registry_remove(e.supervisor);
	if (e.tmpdir[0] && private_dir_remove(e.tmpdir) != 0)
		cli_fail("removing %s: %s", e.tmpdir, strerror(errno));
	return EXIT_SUCCESS;
}
