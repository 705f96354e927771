/* epr start: the test-fixture launcher. Starts CMD in the background in its own session,
 * waits until it listens on its ports, prints them for eval and leaves it running. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/close_range.h>
#include <unistd.h>

#include "cli.h"
#include "envfile.h"
#include "epr_env.h"
#include "launch.h"

#define DEFAULT_TIMEOUT 30.0
#define FORWARD_WAIT 5.0 /* s: after a forwarded signal, for the supervisor to stop CMD (3 s) */

static struct launch_state s;
static struct launch options;
static volatile sig_atomic_t caught_signal;
static bool json;
static const char *owner_arg;

enum { OPT_WAIT_LOG = 300, OPT_WAIT_CMD, OPT_WAIT_HTTP, OPT_WAIT_NOTIFY, OPT_OWNER, OPT_JSON };

static void on_signal(int sig)
{
	caught_signal = sig;
}

static void usage(void)
{
	printf("Usage: epr start [-p S[=P][/tcp|/udp]]... [-e ENVFILE] [-t SECONDS] [-l LOGFILE]\n"
	       "                 [--wait-log REGEX] [--wait-cmd CMD] [--wait-http PATH]\n"
	       "                 [--wait-notify]\n"
	       "                 [--owner PID|parent] [--json] [--no-zero] [--real-ports] [-v]\n"
	       "                 [--via preload|seccomp|auto] -- CMD [ARG...]\n"
	       "Start CMD in the background as a supervised launch, wait until it listens (and\n"
	       "until every --wait-* holds), and print shell lines for eval: EPR_PORT,\n"
	       "EPR_PORT_<S>, EPR_PORT_LIST, EPR_PID, EPR_SUPERVISOR_PID, EPR_FILE, EPR_LOG.\n"
	       "Stop it with 'epr stop \"$EPR_FILE\"'.\n"
	       "\n"
	       "  -p, --port S[=P]     wait for, and rewrite, binds to port S (see epr run);\n"
	       "                       with no -p, wait for any one port (e.g. port 0);\n"
	       "                       S/tcp: wait for a TCP listen, S/udp: a UDP bind\n"
	       "  -e, --env-file FILE  the env file (removed first if there); default: a\n"
	       "                       private directory in $TMPDIR, removed by epr stop\n"
	       "  -l, --log FILE       CMD's stdout and stderr (default: ENVFILE.log with -e,\n"
	       "                       else 'log' in the private directory)\n"
	       "  -t, --timeout SECS   give up after SECS (default 30), stopping CMD; the\n"
	       "                       message names what was missing and its last failure\n"
	       "      --wait-log REGEX also wait for a line of the log that matches the\n"
	       "                       extended regular expression REGEX\n"
	       "      --wait-cmd CMD   also wait until the shell command CMD exits 0; it is\n"
	       "                       run again until then, with the launch's EPR_* values in\n"
	       "                       its environment, e.g. 'pg_isready -p \"$EPR_PORT\"'\n"
	       "      --wait-http PATH also wait until an HTTP GET of PATH on EPR_PORT answers\n"
	       "                       with a 2xx status\n"
	       "      --wait-notify    also wait for READY=1 from the server on NOTIFY_SOCKET\n"
	       "                       (systemd's sd_notify protocol), which epr sets for it\n"
	       "      --owner PID      stop the launch within a second of PID's exit, however\n"
	       "                       it exits; 'parent': the process that ran epr start\n"
	       "      --json           print one JSON object instead, with the same keys\n"
	       "      --no-zero        leave binds to port 0 alone (sets EPR_ZERO=0)\n"
	       "      --real-ports     getsockname() and getpeername() say the real port, not\n"
	       "                       the sentinel (sets EPR_REAL_PORTS=1)\n"
	       "  -v, --verbose        CMD logs each rewrite (sets EPR_DEBUG=1)\n"
	       "      --via HOW        catch binds with the preloaded shim or seccomp user\n"
	       "                       notification; auto (default): seccomp for static and Go\n"
	       "                       programs, the shim for the rest\n"
	       "  -h, --help           show this help\n"
	       "\n"
	       "Exit status: 0 when CMD listens; 1 if it exits first, times out or cannot be\n"
	       "started; 2 for bad usage; 127 if CMD is not found, 126 if it cannot run.\n");
}

static void set_wait_log(const char *pattern)
{
	char why[256];
	int err;

	if (s.wait.log_pattern)
		regfree(&s.wait.log_re);
	err = regcomp(&s.wait.log_re, pattern, REG_EXTENDED | REG_NOSUB);
	if (err) {
		regerror(err, &s.wait.log_re, why, sizeof why);
		cli_usage_error("--wait-log: '%s' is not an extended regular expression: %s", pattern, why);
	}
	s.wait.log_pattern = pattern;
}

static void parse_options(int argc, char *argv[])
{
	static const struct option table[] = {
		LAUNCH_LONG_OPTIONS,
		{ "log", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "wait-log", required_argument, NULL, OPT_WAIT_LOG },
		{ "wait-cmd", required_argument, NULL, OPT_WAIT_CMD },
		{ "wait-http", required_argument, NULL, OPT_WAIT_HTTP },
		{ "wait-notify", no_argument, NULL, OPT_WAIT_NOTIFY },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	s.options = &options;
	s.timeout = DEFAULT_TIMEOUT;
	s.owner_fd = -1;
	while ((opt = getopt_long(argc, argv, "+:p:e:l:t:vh", table, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (!*optarg)
				cli_usage_error("-l: the log file name is empty");
			s.log = launch_absolute_path(optarg);
			break;
		case 't':
			s.timeout = cli_seconds("-t", optarg);
			break;
		case 'h':
			usage();
			cli_flush_stdout();
			exit(EXIT_SUCCESS);
		case OPT_WAIT_LOG:
			set_wait_log(optarg);
			break;
		case OPT_WAIT_CMD:
			if (!*optarg)
				cli_usage_error("--wait-cmd: the command is empty");
			s.wait.cmd = optarg;
			break;
		case OPT_WAIT_HTTP:
			/* It goes into the request line as it is: one absolute path, no spaces. */
			if (optarg[0] != '/' || optarg[strcspn(optarg, " \t\r\n")] ||
			    strlen(optarg) > 512)
				cli_usage_error("--wait-http: '%s' is not a path such as /health "
						"(it starts with '/', has no spaces, at most 512 bytes)", optarg);
			s.wait.http_path = optarg;
			break;
		case OPT_WAIT_NOTIFY:
			s.wait.notify = true;
			break;
		case OPT_OWNER:
			owner_arg = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			if (!launch_option(&options, opt, optarg))
				cli_bad_option(argv, opt);
		}
	}
	if (optind >= argc)
		cli_usage_error("no CMD to start");
	s.name = argv[optind];
	s.argv = argv + optind;
}

/* --owner: a pidfd of the process whose exit stops the launch, opened here, before the
 * supervisor forks, so that it names the very process meant. */
static void open_owner(void)
{
	long pid;

	if (!owner_arg)
		return;
	pid = strcmp(owner_arg, "parent") == 0 ? (long)getppid() : (long)cli_pid(owner_arg);
	if (!pid)
		cli_usage_error("--owner: '%s' is not a process id or 'parent'", owner_arg);
	s.owner_fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (s.owner_fd < 0 && errno == ESRCH)
		cli_fail("--owner: process %ld is not running", pid);
	/* A thread's id opens no pidfd of a process; its exit is not its process's. */
	if (s.owner_fd < 0 && proc_thread_group((pid_t)pid) > 0 && proc_thread_group((pid_t)pid) != pid)
		cli_fail("--owner: %ld is a thread of process %ld, not a process; give %ld", pid,
			 (long)proc_thread_group((pid_t)pid), (long)proc_thread_group((pid_t)pid));
	if (s.owner_fd < 0)
		cli_fail("--owner: cannot watch process %ld: %s (it needs pidfds, Linux 5.3 or later)",
			 pid, strerror(errno));
	/* The parent may have exited before the pidfd was opened: then ours is someone else. */
	if (strcmp(owner_arg, "parent") == 0 && getppid() != (pid_t)pid)
		cli_fail("--owner parent: the parent (pid %ld) exited already", pid);
	s.owner = (pid_t)pid;
	s.owner_start = proc_start_time(s.owner);
}

/* Picks the env file and the log; refuses the file of a live launch, and any file that epr
 * did not write; removes a stale one, which would look ready. */
static void prepare_files(void)
{
	static struct envfile ef;
	struct stat st;
	int fd, err;

	if (!options.env_file) {
		const char *tmp = getenv("TMPDIR");

		launch_check_value("TMPDIR", tmp && *tmp ? tmp : "/tmp");
		s.tmpdir = private_dir_create();
		if (asprintf(&options.env_file, "%s/env", s.tmpdir) < 0)
			cli_fail("out of memory");
	} else {
		launch_check_value("the env file", options.env_file);
		/* First: a second start of the same file is refused before it touches the log. */
		registry_claim(options.env_file);
		launch_check_env_file(options.env_file, &ef);
		if (unlink(options.env_file) != 0 && errno != ENOENT)
			cli_fail("removing the stale %s: %s", options.env_file, strerror(errno));
	}
	if (!s.log && asprintf((char **)&s.log, s.tmpdir ? "%s/log" : "%s.log",
			       s.tmpdir ? s.tmpdir : options.env_file) < 0)
		cli_fail("out of memory");
	if (!envfile_value_ok(s.log)) {
		if (s.tmpdir)
			private_dir_remove(s.tmpdir);
		launch_check_value("the log", s.log);
	}
	/* O_NONBLOCK and no O_TRUNC until it is known to be a file: a FIFO or a device put in
	 * its place must neither hang the start nor be truncated. */
	fd = open(s.log, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
	err = fd < 0 ? errno : fstat(fd, &st) != 0 ? errno : !S_ISREG(st.st_mode) ? ENXIO
	      : ftruncate(fd, 0) != 0 ? errno : 0;
	if (err) {
		if (s.tmpdir)
			private_dir_remove(s.tmpdir);
		if (err == ENXIO) /* what open says of a FIFO without a reader, or a socket */
			cli_fail("the log %s is not a regular file; name one with -l", s.log);
		cli_fail("%s: %s", s.log, strerror(err));
	}
	close(fd);
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a signal must cut the wait for the supervisor short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The supervisor: a session of its own, so that the caller's terminal and process group
 * signals do not reach it, and none of the caller's descriptors but the ready pipe. */
static _Noreturn void become_supervisor(int ready)
{
	int claim = registry_claim_fd(), next = 4;

	if (setsid() < 0)
		cli_fail("setsid: %s", strerror(errno));
	/* The owner's pidfd and the env file's claim out of the way first: they may sit where
	 * the pipe goes. */
	if (s.owner_fd >= 0 && (s.owner_fd = fcntl(s.owner_fd, F_DUPFD_CLOEXEC, 64)) < 0)
		cli_fail("fcntl: %s", strerror(errno));
	if (claim >= 0 && (claim = fcntl(claim, F_DUPFD_CLOEXEC, 64)) < 0)
		cli_fail("fcntl: %s", strerror(errno));
	if (ready != 3 && dup2(ready, 3) < 0)
		cli_fail("dup2: %s", strerror(errno));
	if (s.owner_fd >= 0) {
		if (dup2(s.owner_fd, next) < 0)
			cli_fail("dup2: %s", strerror(errno));
		s.owner_fd = next++;
	}
	if (claim >= 0) { /* held for the launch's life: the supervisor now owns it */
		if (dup3(claim, next, O_CLOEXEC) < 0)
			cli_fail("dup3: %s", strerror(errno));
		registry_claim_adopt(next++);
	}
	close_range((unsigned)next, ~0U, 0);
	fcntl(3, F_SETFD, FD_CLOEXEC);
	if (s.owner_fd >= 0)
		fcntl(s.owner_fd, F_SETFD, FD_CLOEXEC);
	s.ready_fd = 3;
	exit(supervisor_run(&s));
}

/* Waits for the supervisor's word: 0 once ready, else the status for epr start. A signal
 * caught meanwhile is forwarded as it is (the supervisor stops CMD and says so) and epr
 * start then dies of it; a supervisor that has not exited FORWARD_WAIT later (frozen, say)
 * gets SIGKILL, and CMD dies with it. The signals are blocked but while ppoll waits, so
 * that none is caught between a look at caught_signal and the wait. */
static int wait_ready(pid_t supervisor, int ready)
{
	int pidfd = (int)syscall(SYS_pidfd_open, supervisor, 0), status;
	sigset_t caught, unblocked;
	double deadline = 0;
	char word = 0;

	sigemptyset(&caught);
	sigaddset(&caught, SIGINT);
	sigaddset(&caught, SIGTERM);
	sigaddset(&caught, SIGHUP);
	sigprocmask(SIG_BLOCK, &caught, &unblocked);
	for (;;) {
		struct pollfd p[2] = { { ready, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
		struct timespec left, *limit = NULL;

		if (caught_signal && !deadline) {
			kill(supervisor, caught_signal);
			deadline = now_seconds() + FORWARD_WAIT;
		}
		if (deadline) {
			double rest = deadline - now_seconds();

			if (rest <= 0) {
				cli_warn("the supervisor (pid %d) did not stop within %g seconds of SIG%s; "
					 "killing it", (int)supervisor, FORWARD_WAIT,
					 sigabbrev_np(caught_signal));
				kill(supervisor, SIGKILL);
				break;
			}
			left.tv_sec = (time_t)rest;
			left.tv_nsec = (long)((rest - (double)left.tv_sec) * 1e9);
			limit = &left;
		} else if (ready < 0 && pidfd < 0) {
			break; /* no pidfd (before Linux 5.3): waitpid alone */
		}
		if (ppoll(p, 2, limit, &unblocked) < 0)
			continue; /* EINTR: a signal was caught */
		if (p[0].revents) {
			ssize_t n = read(ready, &word, 1);

			close(ready);
			ready = -1;
			if (n == 1 && word == 'R' && !caught_signal) {
				if (pidfd >= 0)
					close(pidfd);
				sigprocmask(SIG_SETMASK, &unblocked, NULL);
				return 0;
			}
		}
		if (p[1].revents)
			break; /* it exited */
	}
	if (ready >= 0)
		close(ready);
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(supervisor, &status, 0) < 0 && errno == EINTR)
		;
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
	if (caught_signal)
		return 128 + caught_signal;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status) ? WEXITSTATUS(status) : EXIT_FAILURE;
}

/* Prints NAME=VALUE so that sh's eval gives back VALUE exactly. */
static void print_assignment(const char *name, const char *value)
{
	static char quoted[4 * ENVFILE_MAX + 3]; /* room for a value of quotes alone */

	sh_quote(value, quoted, sizeof quoted);
	printf("%s=%s\n", name, quoted);
}

/* What a value is, for --json: shell output is text throughout. */
enum value_kind { AS_NUMBER, AS_NUMBERS, AS_STRING };

/* One KEY=value line, or one member of the JSON object. */
static void print_value(const char *key, const char *value, enum value_kind kind)
{
	static bool first = true;

	if (!json) {
		print_assignment(key, value);
		return;
	}
	fputs(first ? "{" : ", ", stdout);
	first = false;
	json_string(stdout, key);
	fputs(": ", stdout);
	if (kind == AS_STRING || strspn(value, kind == AS_NUMBERS ? "0123456789," : "0123456789") !=
						 strlen(value) || !*value) {
		json_string(stdout, value);
	} else if (kind == AS_NUMBER) {
		fputs(value, stdout);
	} else {
		json_port_list(stdout, value);
	}
}

static void print_key(const struct envfile *ef, const char *key, enum value_kind kind)
{
	char value[ENVFILE_MAX];

	if (envfile_get(ef, key, value, sizeof value) >= 0)
		print_value(key, value, kind);
}

/* EPR_PORT, EPR_PORT_<S>..., EPR_PORT_LIST, EPR_PID, EPR_SUPERVISOR_PID, EPR_FILE, EPR_LOG,
 * EPR_TMPDIR: as shell lines, or with --json as one object of the same keys. */
static void print_server(const struct envfile *ef)
{
	const size_t prefix = strlen(EPR_KEY_PORT_PREFIX);
	const char *line;

	print_key(ef, EPR_KEY_PORT, AS_NUMBER);
	for (line = ef->text; line < ef->text + ef->len; line = strchr(line, '\n') + 1) {
		size_t keylen = strcspn(line, "=\n");
		char key[32];

		if (line[keylen] != '=' || keylen <= prefix || keylen >= sizeof key ||
		    strncmp(line, EPR_KEY_PORT_PREFIX, prefix) != 0 ||
		    strspn(line + prefix, "0123456789") != keylen - prefix)
			continue;
		memcpy(key, line, keylen);
		key[keylen] = '\0';
		print_key(ef, key, AS_NUMBER);
	}
	print_key(ef, EPR_KEY_PORT_LIST, AS_NUMBERS);
	print_key(ef, EPR_KEY_PID, AS_NUMBER);
	print_key(ef, EPR_KEY_SUPERVISOR_PID, AS_NUMBER);
	print_value(EPR_KEY_FILE, options.env_file, AS_STRING);
	print_key(ef, EPR_KEY_LOG, AS_STRING);
	print_key(ef, EPR_KEY_TMPDIR, AS_STRING);
	if (json)
		fputs("}\n", stdout);
}

int cmd_start(int argc, char *argv[])
{
	static struct envfile ef;
	char *shim;
	int err, status, ready[2];
	pid_t supervisor;

	parse_options(argc, argv);
	err = launch_resolve(&s, &shim);
	if (err)
		return err;
	/* Before anything is made or forked: an unusable registry leaves nothing behind. */
	registry_check(options.verbose);
	open_owner();
	prepare_files();
	if (getenv("LD_PRELOAD"))
		s.wait.caller_preload = strdup(getenv("LD_PRELOAD"));
	launch_env_apply(&options, shim, false);
	free(shim);
	/* Caught before the fork, so that no signal can leave CMD running unseen; an inherited
	 * SIGCHLD=SIG_IGN would reap the supervisor before its status is read. */
	catch_signals();
	signal(SIGCHLD, SIG_DFL);
	if (pipe2(ready, O_CLOEXEC) != 0)
		cli_fail("pipe: %s", strerror(errno));
	fflush(NULL);
	supervisor = fork();
	if (supervisor < 0)
		cli_fail("fork: %s", strerror(errno));
	if (supervisor == 0) {
		close(ready[0]);
		become_supervisor(ready[1]);
	}
	close(ready[1]);
	registry_claim_disown(); /* the supervisor holds the claim from now on */
	status = wait_ready(supervisor, ready[0]);
	if (status > 128) {
		signal(status - 128, SIG_DFL);
		raise(status - 128);
	}
	if (status)
		return status;
	if (envfile_read(options.env_file, &ef) != 0) {
		cli_warn("reading %s: %s; stopping %s", options.env_file, strerror(errno), s.name);
		kill(supervisor, SIGTERM);
		return EXIT_FAILURE;
	}
	/* Nobody would learn the pid if this output were lost: then stop the server. */
	signal(SIGPIPE, SIG_IGN);
	print_server(&ef);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_warn("writing to stdout: %s; stopping %s", strerror(errno), s.name);
		kill(supervisor, SIGTERM);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
