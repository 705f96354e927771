/* epr exec: run CMD inside a running launch's port space, as a client of it. epr finds the
 * launch's supervisor in the caller's registry, checks that it answers, gives CMD what
 * makes its connects to a sentinel reach the launch's port (the shim in client mode, or for
 * a static or Go program epr's seccomp filter, whose listener the supervisor then serves),
 * and execs CMD: nothing of epr is left. CMD is not part of the server: it is outside the
 * launch's tree and cgroup, a stop does not wait for it, and its exit ends nothing. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "elf_check.h"
#include "epr_env.h"
#include "launch.h"
#include "launch_arg.h"
#include "launch_wire.h"
#include "seccomp_bpf.h"

static void usage(void)
{
	printf("Usage: epr exec [-v] [--real-ports] ENVFILE|PID [--] CMD [ARG...]\n"
	       "Run CMD inside the port space of a running launch of epr start (or epr run),\n"
	       "named by its env file or by the EPR_PID or EPR_SUPERVISOR_PID it printed: CMD's\n"
	       "connects to one of the launch's sentinel ports on this host reach the port the\n"
	       "launch has for it. CMD's own binds are left alone. epr execs CMD: CMD is not\n"
	       "part of the server, a stop does not wait for it, and its exit ends nothing.\n"
	       "\n"
	       "  -v, --verbose        say how CMD is reached, and log each redirected connect\n"
	       "                       (sets EPR_DEBUG=1)\n"
	       "      --real-ports     getsockname() and getpeername() say the real ports, not\n"
	       "                       the sentinels (sets EPR_REAL_PORTS=1)\n"
	       "  -h, --help           show this help\n"
	       "\n"
	       "The exit status is CMD's; 1 when the launch is not found, not the caller's, not\n"
	       "running or stopping; 127 if CMD is not found, 126 if it cannot run; 2 for bad\n"
	       "usage.\n");
}

/* The launch target names, running and the caller's, with the supervisor's channel; exits 1
 * saying what is wrong otherwise. */
static void find_launch(const char *target, struct launch_entry *e)
{
	static struct envfile ef;

	if (!*target)
		cli_usage_error("'' is neither an env file nor a process id");
	if (launch_arg_is_pid(target))
		launch_arg_pid(target, &ef, e);
	else if (!launch_arg_file(target, &ef, e))
		cli_fail("%s is gone: its launch is not running", target);
	switch (registry_state(e)) {
	case ENTRY_SUPERVISED:
		break;
	case ENTRY_FOREIGN:
		cli_fail("%s is not yours: its launch runs as another user (%s)", target,
			 strerror(EPERM));
	case ENTRY_ORPHANED:
		cli_fail("the launch of %s is not running: its supervisor is gone (stop what it left "
			 "with 'epr stop %s')", target, target);
	case ENTRY_OVER:
		cli_fail("the launch of %s is not running", target);
	}
	/* Supervised, and its entry gone: its supervisor is ending the launch. */
	if (!e->listed)
		cli_fail("the launch of %s is stopping", target);
	if (!e->socket[0])
		cli_fail("the launch of %s was started by an older epr, whose supervisor takes no "
			 "clients", target);
}

/* Says why the supervisor of target cannot be asked, and exits 1. */
static _Noreturn void unreachable(const char *target, int err)
{
	if (err == ESHUTDOWN)
		cli_fail("the launch of %s is stopping", target);
	if (err == ECONNREFUSED)
		cli_fail("the launch of %s is not running: nothing holds its supervisor's socket",
			 target);
	if (err == EPERM)
		cli_fail("the socket of the supervisor of %s is held by another process; nothing "
			 "was sent", target);
	if (err == ECONNRESET)
		cli_fail("the supervisor of %s closed the connection without an answer (it answers "
			 "processes of its own user only)", target);
	cli_fail("the supervisor of %s does not answer: %s", target, strerror(err));
}

/* One request of the caller's to e's supervisor: its result, or -errno when none came. */
static int ask(int conn, uint32_t op, int fd)
{
	struct launch_reply rep;

	if (launch_client_call(conn, op, fd, &rep) != 0)
		return -errno;
	return rep.result;
}

/* The supervisor answers clients, and the launch is not stopping: a connect of nowhere
 * (no address: never redirected) is asked, with a socket of the kind a client sends. */
static void check_answers(const char *target, const struct launch_entry *e)
{
	int conn = launch_client_connect(e), probe, rc;

	if (conn < 0)
		unreachable(target, errno);
	probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		cli_fail("socket: %s", strerror(errno));
	rc = ask(conn, LAUNCH_CONNECT, probe);
	close(probe);
	close(conn);
	if (rc != POLICY_PASS)
		unreachable(target, rc < 0 ? -rc : EPROTO);
}

static void set(const char *name, const char *value)
{
	if (setenv(name, value, 1) != 0)
		cli_fail("setting %s: %s", name, strerror(errno));
}

/* CMD's environment: the launch's channel and sentinels, client mode, and the shim unless
 * seccomp reaches CMD. The launch's env file is the supervisor's alone to write. */
static void client_env(const struct launch_entry *e, const char *shim, bool verbose, bool real_ports)
{
	const char *old = getenv("LD_PRELOAD");

	if (shim && old && *old) {
		char *both;

		if (asprintf(&both, "%s:%s", shim, old) < 0)
			cli_fail("out of memory");
		set("LD_PRELOAD", both);
		free(both);
	} else if (shim) {
		set("LD_PRELOAD", shim);
	}
	set(EPR_ENV_SUPERVISOR, e->socket);
	set(EPR_ENV_CLIENT, "1");
	if (e->ports[0])
		set(EPR_ENV_PORTS, e->ports);
	else
		unsetenv(EPR_ENV_PORTS);
	unsetenv(EPR_ENV_ENV_FILE);
	unsetenv(EPR_ENV_TREE);
	unsetenv(EPR_ENV_BOUND);
	if (verbose)
		set(EPR_ENV_DEBUG, "1");
	if (real_ports)
		set(EPR_ENV_REAL_PORTS, "1");
}

/* The thread that hands the filter's listener to the supervisor. It was started before the
 * filter was loaded (filters are per thread here), so that none of its calls is held for a
 * listener nobody serves yet. */
struct handoff {
	int conn;
	int ready[2];  /* the listener's number, or -errno, from the loading thread */
	int result;    /* the supervisor's answer, or -errno */
};

static void *hand_over(void *arg)
{
	struct handoff *h = arg;
	int listener;
	ssize_t n;

	do
		n = read(h->ready[0], &listener, sizeof listener);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof listener)
		h->result = -EPIPE;
	else if (listener < 0)
		h->result = listener; /* the load failed: nothing to send */
	else
		h->result = ask(h->conn, LAUNCH_NOTIFIER, listener);
	return NULL;
}

/* For a static or Go CMD, which the shim cannot reach: epr's seccomp filter on this thread,
 * which execs CMD, its listener served by the supervisor before the exec; exits 1 when that
 * cannot be done. */
static void load_filter(const char *target, const struct launch_entry *e, const char *name)
{
	struct handoff h = { -1, { -1, -1 }, -EPIPE };
	pthread_t thread;
	int listener, err;

	h.conn = launch_client_connect(e);
	if (h.conn < 0)
		unreachable(target, errno);
	if (pipe2(h.ready, O_CLOEXEC) != 0)
		cli_fail("cannot hand a seccomp listener over: %s", strerror(errno));
	err = pthread_create(&thread, NULL, hand_over, &h);
	if (err)
		cli_fail("cannot hand a seccomp listener over: %s", strerror(err));
	/* The supervisor is not CMD's ancestor: where Yama restricts ptrace to ancestors, CMD
	 * lets it read CMD's calls (pidfd_getfd). Without Yama this fails, and is not needed. */
	prctl(PR_SET_PTRACER, (unsigned long)e->supervisor, 0, 0, 0);
	listener = seccomp_bpf_no_new_privs_if_needed();
	if (listener == 0)
		listener = seccomp_bpf_load();
	if (write(h.ready[1], &listener, sizeof listener) != (ssize_t)sizeof listener) {
		close(h.ready[1]); /* the thread reads EOF */
		h.ready[1] = -1;
	}
	pthread_join(thread, NULL);
	close(h.ready[0]);
	if (h.ready[1] >= 0)
		close(h.ready[1]);
	close(h.conn);
	if (listener >= 0)
		close(listener); /* kept by the supervisor now */
	if (listener < 0)
		cli_fail("%s: its connects cannot be caught: %s", name,
			 listener == -EBUSY ? "epr exec already runs under a seccomp notifier (a "
					      "sandbox's)"
			 : listener == -EINVAL || listener == -ENOSYS
				 ? "this kernel has no seccomp user notification"
				 : strerror(-listener));
	if (h.result == -ESHUTDOWN || h.result == -ECONNREFUSED || h.result == -EPERM)
		unreachable(target, -h.result);
	if (h.result != 0)
		cli_fail("the supervisor of %s did not take the seccomp listener of %s: %s", target,
			 name, strerror(h.result < 0 ? -h.result : EPROTO));
}

/* execv, and for a script without "#!" the shell, as execvp does; returns exec's errno. */
static int exec_command(const char *path, char *argv[])
{
	size_t argc = 0;

	execv(path, argv);
	if (errno != ENOEXEC)
		return errno;
	while (argv[argc])
		argc++;
	char *sh_argv[argc + 2];

	sh_argv[0] = (char *)"/bin/sh";
	sh_argv[1] = (char *)path;
	memcpy(sh_argv + 2, argv + 1, argc * sizeof(char *)); /* with the NULL */
	execv(sh_argv[0], sh_argv);
	return ENOEXEC;
}

int cmd_exec(int argc, char *argv[])
{
	enum { OPT_REAL_PORTS = 256 };
	static const struct option options[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "real-ports", no_argument, NULL, OPT_REAL_PORTS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct launch_entry e;
	bool verbose = false, real_ports = false, seccomp;
	const char *target, *name;
	char why[160], *path, *shim = NULL;
	struct program_facts facts;
	enum elf_kind kind;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "+:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case OPT_REAL_PORTS:
			real_ports = true;
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
		cli_usage_error("no ENVFILE or PID to run in");
	target = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc)
		cli_usage_error("no CMD to run");
	name = argv[optind];

	find_launch(target, &e);
	check_answers(target, &e);
	if (verbose)
		cli_warn("the launch of %s: supervisor %d, sentinels %s", target, (int)e.supervisor,
			 e.ports[0] ? e.ports : "none (-p was not given)");

	path = command_path_resolve(name);
	if (!path) {
		err = errno;
		cli_warn("%s: %s", name, strerror(err));
		return command_exec_status(err);
	}
	/* Neither the shim nor the filter reaches it: refused, as epr run refuses it. */
	kind = elf_inspect(path, &facts);
	if (elf_foreign_why(&facts, why, sizeof why)) {
		cli_warn("%s: refused: it is %s", name, why);
		return EXIT_CANNOT_EXEC;
	}
	seccomp = kind == ELF_STATIC || kind == ELF_GO;
	/* A set-id program would run without its privileges under no_new_privs. */
	if (seccomp && elf_runs_set_id(&facts))
		cli_fail("%s is setuid or setgid, and under seccomp (no_new_privs) it would run "
			 "without those privileges; run a copy without the bit", name);
	if (!seccomp) {
		elf_warn_preload(&facts, name);
		shim = shim_path_find();
	}
	if (verbose)
		cli_warn("%s: its connects are redirected by %s", name,
			 !seccomp ? "libepr.so (preload)"
			 : kind == ELF_GO ? "seccomp user notification (a Go program)"
					  : "seccomp user notification (statically linked)");
	client_env(&e, shim, verbose, real_ports);
	free(shim);
	if (seccomp)
		load_filter(target, &e, name);
	/* Nothing of epr's may outlive the exec: every descriptor it opened is close-on-exec. */
	err = exec_command(path, argv + optind);
	cli_warn("%s: %s", name, strerror(err));
	return command_exec_status(err);
}
