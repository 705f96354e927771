/* The supervisor: one small process per launch that owns it while it lives. It spawns CMD,
 * answers the shim's binds and listens, tells epr start when the launch is ready, and stops
 * the whole tree. Single-threaded and event-driven: poll() on a signalfd, the shim's socket
 * and its connections, and a timerfd; no sleep loops, no blocking read. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include <unistd.h>

#include "epr_env.h"
#include "launch.h"
#include "seccomp_notify.h"

#define FAIL_GRACE 3.0      /* SIGTERM to SIGKILL when a start fails */
#define STOP_GRACE 10.0     /* ... when stopped by a plain SIGTERM */
#define KILL_WAIT 5.0       /* after SIGKILL, for the kernel to tear the tree down */
#define OWNER_GRACE 1.0     /* ... when the owner exited: nobody waits for a clean stop */
#define LOG_TAIL_LINES 20
#define SNAPSHOT_EVERY 1.0  /* s: the registry's tree snapshot, on the subreaper path */

/* Signals the supervisor takes through its signalfd. The server gets none of this: its
 * mask and dispositions are reset before exec. */
static const int handled[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static int sigfd = -1, timer = -1;
static int log_out = -1; /* epr start: the log, opened once, before CMD runs */

static void block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
		sigaddset(&set, handled[i]);
	/* An inherited SIGCHLD=SIG_IGN would reap children behind our back. */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		cli_fail("signalfd: %s", strerror(errno));
}

static void arm(double seconds)
{
	struct itimerspec when = { { 0, 0 }, { 0, 0 } };

	if (seconds > 0) {
		when.it_value.tv_sec = (time_t)seconds;
		when.it_value.tv_nsec = (long)((seconds - (double)when.it_value.tv_sec) * 1e9);
		if (!when.it_value.tv_sec && !when.it_value.tv_nsec)
			when.it_value.tv_nsec = 1;
	}
	timerfd_settime(timer, 0, &when, NULL);
}

/* In the child, for a seccomp launch: the filter, whose listener goes to the supervisor
 * over pass. A failure is said here, on the caller's stderr, before the server runs. */
static void install_filter(int pass, int report)
{
	char why[256];
	int err = seccomp_child_install(pass, why, sizeof why);

	if (err == 0)
		return;
	cli_warn("cannot catch binds with seccomp user notification: %s; run it with "
		 "--via preload if it calls libc's bind", why);
	err = -1; /* said already */
	if (write(report, &err, sizeof err) < 0)
		_exit(EXIT_CANNOT_EXEC);
	_exit(EXIT_CANNOT_EXEC);
}

/* In the child: what the server must not inherit from epr, then exec. */
static _Noreturn void exec_child(const struct launch_state *l, int report, int pass)
{
	int err, null_fd;

	child_reset_signals();
	/* On the subreaper path, CMD dies with a killed supervisor, unless it changes its
	 * credentials (the kernel then clears this) or forks away; the cgroup holds those. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	registry_close_inherited();
	if (pass >= 0)
		install_filter(pass, report);
	if (!l->foreground) {
		null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (setsid() < 0 || null_fd < 0 || dup2(null_fd, 0) < 0 ||
		    dup2(log_out, 1) < 0 || dup2(log_out, 2) < 0) {
			err = errno;
			goto fail;
		}
		/* A server that kept its caller's pipes open would hang whoever reads them. */
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	}
	execv(l->path, l->argv);
	err = errno;
	/* A script without "#!": the shell runs it, as execvp does. */
	if (err == ENOEXEC) {
		size_t argc = 0;

		while (l->argv[argc])
			argc++;
		char *sh_argv[argc + 2];

		sh_argv[0] = (char *)"/bin/sh";
		sh_argv[1] = l->path;
		memcpy(sh_argv + 2, l->argv + 1, argc * sizeof(char *)); /* with the NULL */
		execv(sh_argv[0], sh_argv);
		err = ENOEXEC; /* what the script itself gave */
	}
fail:
	if (write(report, &err, sizeof err) < 0)
		_exit(EXIT_CANNOT_EXEC);
	_exit(command_exec_status(err));
}

/* Forks and execs CMD: 0 once it runs, else exec's errno, or -1 when the child said why.
 * For a seccomp launch, *listener is the filter's notification fd. */
static int spawn(struct launch_state *l, int *listener)
{
	int report[2], pass[2] = { -1, -1 }, err = 0;
	ssize_t n;

	if (pipe2(report, O_CLOEXEC) != 0)
		return errno;
	if (l->seccomp && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pass) != 0)
		return errno;
	l->main_pid = tree_fork();
	if (l->main_pid < 0)
		return errno;
	if (l->main_pid == 0)
		exec_child(l, report[1], pass[1]);
	close(report[1]);
	if (l->seccomp) {
		close(pass[1]);
		*listener = seccomp_receive_listener(pass[0]);
		close(pass[0]);
	}
	do
		n = read(report[0], &err, sizeof err);
	while (n < 0 && errno == EINTR);
	close(report[0]);
	if (n != (ssize_t)sizeof err)
		return 0;
	waitpid(l->main_pid, NULL, 0);
	l->main_reaped = true;
	return err;
}

static void register_launch(const struct launch_state *l)
{
	struct launch_entry e = {
		.supervisor = getpid(),
		.supervisor_start = proc_start_time(getpid()),
		.main = launch_main_pid(l),
		.main_start = launch_main_pid(l) == l->main_pid && l->main_reaped ? 0
			      : proc_start_time(launch_main_pid(l)),
	};

	if (l->options->env_file)
		snprintf(e.env_file, sizeof e.env_file, "%s", l->options->env_file);
	if (l->tmpdir)
		snprintf(e.tmpdir, sizeof e.tmpdir, "%s", l->tmpdir);
	e.owner = l->owner;
	e.owner_start = l->owner_start;
	registry_set_command(&e, l->argv);
	tree_snapshot(e.tree, sizeof e.tree);
	snprintf(e.cgroup, sizeof e.cgroup, "%s", tree_cgroup());
	/* What epr exec gives a client: this channel, and the sentinels CMD was given. */
	snprintf(e.socket, sizeof e.socket, "%s", l->socket_name);
	snprintf(e.ports, sizeof e.ports, "%s", getenv(EPR_ENV_PORTS) ? getenv(EPR_ENV_PORTS) : "");
	if (registry_write(&e) != 0)
		cli_warn("recording the launch in %s: %s", registry_dir(), strerror(errno));
}

/* "exited with status 3" or "was killed by signal SIGSEGV", for messages. */
static void describe_status(int status, char *out, size_t cap)
{
	if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));

		if (abbrev)
			snprintf(out, cap, "was killed by signal SIG%s", abbrev);
		else
			snprintf(out, cap, "was killed by signal %d", WTERMSIG(status));
	} else {
		snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
	}
}

static void drain_signals(void)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
		;
}

/* The seccomp listeners, then the connects they answer later: LAUNCH_NOTIFIER_POLLFDS
 * entries of p. */
#define LAUNCH_NOTIFIER_POLLFDS (LAUNCH_MAX_NOTIFIERS + SECCOMP_PENDING_POLLFDS)
static void notifier_pollfds(const struct launch_state *l, struct pollfd *p)
{
	for (size_t i = 0; i < LAUNCH_MAX_NOTIFIERS; i++)
		p[i] = (struct pollfd){ l->notifiers[i], POLLIN, 0 };
	seccomp_pending_pollfds(p + LAUNCH_MAX_NOTIFIERS);
}

/* Answers what notifier_pollfds' p says has come; a listener whose targets are all gone is
 * closed. True if a listener had something. */
static bool notifier_events(struct launch_state *l, const struct pollfd *p)
{
	bool served = false;

	seccomp_pending_events(p + LAUNCH_MAX_NOTIFIERS);
	for (size_t i = 0; i < LAUNCH_MAX_NOTIFIERS; i++) {
		int *notifier = &l->notifiers[i];

		if (!(p[i].revents & (POLLIN | POLLHUP)))
			continue;
		served = true;
		if ((p[i].revents & POLLHUP) || !launch_seccomp_serve(l, *notifier)) {
			close(*notifier); /* every target of this filter is gone */
			*notifier = -1;
		}
	}
	return served;
}

/* SIGTERM and SIGCONT to the whole tree, SIGKILL after grace, until no process is left.
 * 0, or -1 if some process outlived SIGKILL by KILL_WAIT. The shim's socket stays ours
 * meanwhile, and its requests are refused (the phase is LAUNCH_STOPPING). The seccomp
 * notifiers are served too: a server that connects or sends during its shutdown would
 * otherwise wait in that call until the SIGKILL. */
static int stop_tree(struct launch_state *l, double grace)
{
	enum { S_SIGNALS, S_TREE, S_CHANNEL, S_NOTIFIERS = S_CHANNEL + CHANNEL_POLLFDS,
	       S_ALL = S_NOTIFIERS + LAUNCH_NOTIFIER_POLLFDS };
	double deadline = now_seconds() + grace;
	bool killed = false;

	wait_cancel(l);
	l->phase = LAUNCH_STOPPING;
	tree_terminate();
	for (;;) {
		struct pollfd p[S_ALL] = { [S_SIGNALS] = { sigfd, POLLIN, 0 },
					   [S_TREE] = { tree_pollfd(), POLLPRI, 0 } };
		double left;

		if (tree_reap(l))
			return 0;
		left = deadline - now_seconds();
		if (left <= 0) {
			if (killed)
				return -1;
			killed = true;
			tree_kill();
			deadline = now_seconds() + KILL_WAIT;
			continue;
		}
		channel_pollfds(p + S_CHANNEL);
		notifier_pollfds(l, p + S_NOTIFIERS);
		poll(p, S_ALL, (int)(left * 1000) + 1);
		channel_events(l, p + S_CHANNEL);
		notifier_events(l, p + S_NOTIFIERS);
		drain_signals();
		if (killed) /* what forked in between is killed too */
			tree_kill();
	}
}

/* What start made: the private directory, or the env file given with -e. */
static void remove_files(const struct launch_state *l, bool keep_log)
{
	struct stat st;

	if (l->tmpdir) {
		if (private_dir_remove(l->tmpdir) != 0)
			cli_warn("removing %s: %s", l->tmpdir, strerror(errno));
		return;
	}
	if (l->options->env_file)
		unlink(l->options->env_file);
	if (l->log && (!keep_log || (stat(l->log, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)))
		unlink(l->log);
}

/* A start given up on: the tree stopped, what start made removed, the launch unlisted. */
static void abandon(struct launch_state *l, double grace, bool keep_log)
{
	stop_tree(l, grace);
	remove_files(l, keep_log);
	registry_remove(getpid());
}

/* A start that failed: say why, stop what runs, show the log, remove what start made. */
static int fail_start(struct launch_state *l, const char *fmt, const char *detail)
{
	char msg[1280];

	snprintf(msg, sizeof msg, fmt, l->name, detail);
	cli_warn("%s", msg);
	if (stop_tree(l, FAIL_GRACE) != 0)
		cli_warn("some process of %s outlived SIGKILL", l->name);
	log_tail(l->log, l->tmpdir ? "its log" : l->log, LOG_TAIL_LINES);
	remove_files(l, true);
	registry_remove(getpid());
	return EXIT_FAILURE;
}

/* Ready: epr start hears of it at once (the env file is current since the last listen),
 * and the supervisor's own output moves to the log so that it holds none of its caller's
 * pipes. The registry is brought up to date after: it is not on the path to ready. */
static int become_ready(struct launch_state *l)
{
	int quiet;

	launch_prune(l);
	if (!launch_ready(l) || !wait_done(l))
		return 0;
	l->phase = LAUNCH_READY;
	arm(0);
	/* Whatever happened to the log's name since: $(epr start) must see its EOF now. */
	quiet = open("/dev/null", O_RDWR | O_CLOEXEC);
	dup2(quiet >= 0 ? quiet : log_out, 0);
	dup2(quiet >= 0 ? quiet : log_out, 1);
	dup2(log_out, 2);
	if (quiet >= 0)
		close(quiet);
	if (write(l->ready_fd, "R", 1) != 1) {
		/* epr start is gone: nobody will learn of this launch */
		abandon(l, FAIL_GRACE, false);
		return EXIT_FAILURE;
	}
	close(l->ready_fd);
	l->ready_fd = -1;
	/* Only now: every wait holds, so no attempt runs, and closing --wait-log's inotify
	 * waits for an RCU grace period (milliseconds, tens on a busy host). */
	wait_cancel(l);
	register_launch(l);
	if (!*tree_cgroup())
		arm(SNAPSHOT_EVERY);
	return 0;
}

/* The end of a launch whose tree is gone; the status for epr run. A background launch
 * stays listed, its tree empty, so that epr stop can still remove what start made. */
static int finish(struct launch_state *l)
{
	int status = l->main_status;

	tree_release();
	if (!l->foreground) {
		register_launch(l);
		return EXIT_SUCCESS;
	}
	registry_remove(getpid());
	if (WIFSIGNALED(status)) {
		sigset_t set;

		signal(WTERMSIG(status), SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, WTERMSIG(status));
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

/* A stop asked for (epr stop queues SIGTERM with the grace in milliseconds), or the owner's
 * exit: the whole tree, then what start made. */
static int stop_launch(struct launch_state *l, double grace)
{
	int rc = stop_tree(l, grace);

	if (rc != 0)
		cli_warn("some process of %s outlived SIGKILL", l->name);
	if (!l->foreground)
		remove_files(l, true); /* a log that says something stays, as after a failed start */
	registry_remove(getpid());
	if (rc != 0)
		return EXIT_FAILURE;
	return l->foreground ? finish(l) : EXIT_SUCCESS;
}

/* Children exited (SIGCHLD), or a process that listened did (prune). -1 to go on, else
 * the supervisor's exit status. */
static int on_children(struct launch_state *l, bool prune)
{
	bool over;
	char how[64];

	/* Before the reap: a message of a sender that just exited is judged while its zombie
	 * still says where it was. */
	if (l->phase == LAUNCH_STARTING && !l->foreground && l->wait.notify)
		wait_notify_receive(l);
	l->reaped_tree = false;
	over = tree_reap(l);

	/* --wait-notify: a server that exits before READY=1 will not say it, whatever runs on. */
	if (l->phase == LAUNCH_STARTING && !l->foreground && l->main_reaped) {
		describe_status(l->main_status, how, sizeof how);
		if (wait_main_exited(l, how))
			return fail_start(l, "%s %s", wait_failure(l));
	}
	if (over) {
		/* The launch is over: its env file keeps what it last exported. */
		if (l->phase == LAUNCH_STARTING && !l->foreground) {
			describe_status(l->main_status, how, sizeof how);
			return fail_start(l, "%s %s before listening", how);
		}
		return finish(l);
	}
	if (l->phase == LAUNCH_STARTING && !l->foreground && l->main_reaped &&
	    !(WIFEXITED(l->main_status) && WEXITSTATUS(l->main_status) == 0)) {
		describe_status(l->main_status, how, sizeof how);
		return fail_start(l, "%s %s before listening", how);
	}
	/* A daemon's parent exited, or a worker: ports may have closed with it. A --wait-cmd
	 * attempt closed none: its reap, every few ms while it is retried, asks no sock_diag. */
	if (!prune && !l->reaped_tree)
		return -1;
	launch_prune(l);
	if (l->phase == LAUNCH_READY)
		register_launch(l);
	return -1;
}

/* One signal. -1 to go on, else the supervisor's exit status. */
static int on_signal(struct launch_state *l, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;

	if (sig != SIGCHLD) {
		/* epr run forwards what was sent to it; a key on the terminal reached CMD already. */
		if (l->foreground && !(sig == SIGTERM && si->ssi_code == SI_QUEUE)) {
			if (si->ssi_code != SI_KERNEL)
				tree_signal(sig);
			return -1;
		}
		if (l->phase == LAUNCH_STARTING && !(sig == SIGTERM && si->ssi_code == SI_QUEUE)) {
			cli_warn("interrupted by SIG%s while waiting for %s; stopping it",
				 sigabbrev_np(sig), l->name);
			abandon(l, FAIL_GRACE, true);
			return 128 + sig;
		}
		return stop_launch(l, si->ssi_code == SI_QUEUE && si->ssi_int > 0 ? si->ssi_int / 1000.0
									  : STOP_GRACE);
	}
	return on_children(l, false);
}

/* -t ran out: what is missing is said, the ports or the waits, after the ports that listen
 * unmoved. */
static int timed_out(struct launch_state *l)
{
	char msg[1024], why[sizeof msg - 128];
	const char *plural = l->timeout == 1 ? "" : "s";

	/* First what listens where epr was not told to move it: often the whole story. */
	launch_unmoved_say(l);
	if (!launch_ready(l)) {
		snprintf(msg, sizeof msg, "%%s did not listen within %g second%s (%%s); stopping it",
			 l->timeout, plural);
		return fail_start(l, msg, l->why);
	}
	wait_describe(l, why, sizeof why);
	snprintf(msg, sizeof msg, "%%s listens but was not ready within %g second%s (%%s); stopping it",
		 l->timeout, plural);
	return fail_start(l, msg, why);
}

/* The owner (--owner) exited, however it did: the launch goes with it. */
static int owner_exited(struct launch_state *l)
{
	close(l->owner_fd);
	l->owner_fd = -1;
	cli_warn("the owner of this launch (pid %d) exited; stopping %s", (int)l->owner, l->name);
	if (l->phase == LAUNCH_STARTING) {
		abandon(l, OWNER_GRACE, true);
		return EXIT_FAILURE;
	}
	return stop_launch(l, OWNER_GRACE);
}

/* Where each descriptor sits in the poll set; the exports' pidfds follow. */
enum { P_SIGNALS, P_TIMER, P_OWNER, P_TREE, P_WAIT, P_CHANNEL = P_WAIT + WAIT_POLLFDS,
       P_NOTIFIERS = P_CHANNEL + CHANNEL_POLLFDS, P_EXPORTS = P_NOTIFIERS + LAUNCH_NOTIFIER_POLLFDS };

static int loop(struct launch_state *l)
{
	for (;;) {
		static struct pollfd p[P_EXPORTS + LAUNCH_MAX_EXPORTS];
		static size_t which[LAUNCH_MAX_EXPORTS];
		struct signalfd_siginfo si;
		bool prune_due;
		nfds_t n = P_EXPORTS;
		int rc;

		/* An fd of -1 is ignored by poll. */
		p[P_SIGNALS] = (struct pollfd){ sigfd, POLLIN, 0 };
		p[P_TIMER] = (struct pollfd){ timer, POLLIN, 0 };
		p[P_OWNER] = (struct pollfd){ l->owner_fd, POLLIN, 0 };
		p[P_TREE] = (struct pollfd){ tree_pollfd(), POLLPRI, 0 }; /* the cgroup emptied */
		wait_pollfds(l, p + P_WAIT);
		channel_pollfds(p + P_CHANNEL);
		notifier_pollfds(l, p + P_NOTIFIERS);
		/* The processes that listen: their exit closes ports, which then go unexported. */
		for (size_t i = 0; i < l->n_exports; i++) {
			if (l->exports[i].pidfd < 0)
				continue;
			which[n - P_EXPORTS] = i;
			p[n++] = (struct pollfd){ l->exports[i].pidfd, POLLIN, 0 };
		}
		if (poll(p, n, -1) < 0 && errno != EINTR)
			cli_fail("poll: %s", strerror(errno));
		prune_due = p[P_TREE].revents != 0;
		for (nfds_t i = n; i > P_EXPORTS; i--) {
			if (p[i - 1].revents) {
				launch_export_exited(l, which[i - 1 - P_EXPORTS]);
				prune_due = true;
			}
		}
		if (p[P_OWNER].revents)
			return owner_exited(l);
		/* A listen the notifier answered may have made the launch ready. */
		if (notifier_events(l, p + P_NOTIFIERS) && l->phase == LAUNCH_STARTING &&
		    !l->foreground && (rc = become_ready(l)) != 0)
			return rc;
		if (channel_events(l, p + P_CHANNEL) && l->phase == LAUNCH_STARTING && !l->foreground &&
		    (rc = become_ready(l)) != 0)
			return rc;
		if (p[P_TIMER].revents & POLLIN) {
			uint64_t expired;

			if (read(timer, &expired, sizeof expired) == (ssize_t)sizeof expired) {
				if (l->phase == LAUNCH_STARTING && !l->foreground)
					return timed_out(l);
				/* The subreaper path: a worker forked since is known to epr stop
				 * should the supervisor be killed. */
				register_launch(l);
				arm(SNAPSHOT_EVERY);
			}
		}
		while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
			if ((rc = on_signal(l, &si)) >= 0)
				return rc;
		if (prune_due && (rc = on_children(l, true)) >= 0)
			return rc;
		if (l->phase == LAUNCH_STARTING && wait_wanted(&l->wait)) {
			wait_events(l, p + P_WAIT);
			if (wait_failure(l))
				return fail_start(l, "%s %s", wait_failure(l));
			/* Once the ports have listened, a wait that now holds may finish the start. */
			if (l->wait.begun && wait_done(l) && (rc = become_ready(l)) != 0)
				return rc;
		}
	}
}

/* The log CMD writes to and the supervisor moves its stderr to once ready, opened here once:
 * nothing done to its name later (a server that removes it) can hold the caller's pipes. */
static int open_log(const struct launch_state *l)
{
	struct stat st;

	/* O_NONBLOCK: a FIFO put in its place since epr start made it must not hang us. */
	log_out = open(l->log, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (log_out < 0)
		return -1;
	if (fstat(log_out, &st) != 0 || !S_ISREG(st.st_mode)) {
		errno = ENXIO;
		return -1;
	}
	return fcntl(log_out, F_SETFL, O_APPEND); /* no O_NONBLOCK left for CMD */
}

int supervisor_run(struct launch_state *l)
{
	char how[4400];
	int err, rc;

	block_signals();
	timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (timer < 0)
		cli_fail("timerfd: %s", strerror(errno));
	if (tree_setup() != 0)
		cli_fail("cannot become a child subreaper: %s", strerror(errno));
	/* Before CMD runs, for as long as the supervisor lives: what says the launch is alive. */
	if (registry_hold() != 0) {
		cli_warn("cannot lock the launch's entry in %s: %s", registry_dir(), strerror(errno));
		if (!l->foreground)
			remove_files(l, false);
		return EXIT_FAILURE;
	}
	launch_ports_init(l);
	if (channel_open(l) != 0)
		cli_fail("cannot open the supervisor's socket: %s", strerror(errno));
	if (setenv(EPR_ENV_SUPERVISOR, l->socket_name, 1) != 0)
		cli_fail("setting %s: %s", EPR_ENV_SUPERVISOR, strerror(errno));
	if (!l->foreground && open_log(l) != 0) {
		if (errno == ENXIO)
			cli_warn("the log %s is not a regular file", l->log);
		else
			cli_warn("%s: %s", l->log, strerror(errno));
		remove_files(l, true); /* what is now at the log's name is not ours to remove */
		tree_release();
		return EXIT_FAILURE;
	}
	/* Before CMD runs, so that no line of its log is missed. */
	if (wait_wanted(&l->wait) && wait_setup(l, how, sizeof how) != 0) {
		cli_warn("%s", how);
		remove_files(l, false);
		tree_release();
		return EXIT_FAILURE;
	}
	launch_notifiers_init(l);
	err = spawn(l, &l->notifiers[0]);
	if (l->options->verbose) {
		tree_describe(how, sizeof how);
		cli_warn("%s: %s", l->name, how);
	}
	if (err) {
		if (err > 0)
			cli_warn("%s: %s", l->name, strerror(err));
		if (!l->foreground)
			remove_files(l, false);
		registry_remove(getpid());
		tree_release();
		return err > 0 ? command_exec_status(err) : EXIT_CANNOT_EXEC;
	}
	if (l->seccomp && l->notifiers[0] < 0) {
		cli_warn("%s: the seccomp listener did not arrive: %s", l->name, strerror(-l->notifiers[0]));
		l->notifiers[0] = -1;
		stop_tree(l, FAIL_GRACE);
		if (!l->foreground)
			remove_files(l, false);
		tree_release();
		return EXIT_CANNOT_EXEC;
	}
	register_launch(l);
	arm(l->foreground ? (*tree_cgroup() ? 0 : SNAPSHOT_EVERY) : l->timeout);
	rc = loop(l);
	tree_release();
	return rc;
}
