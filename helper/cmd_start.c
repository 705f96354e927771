/* epr start: the test-fixture launcher. Starts CMD in the background in its own session,
 * waits until it listens on its ports, prints them for eval and leaves it running. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include <unistd.h>

#include "cli.h"
#include "envfile.h"
#include "epr_env.h"

#define DEFAULT_TIMEOUT 30.0
/* Between SIGTERM and SIGKILL when a start fails. */
#define FAIL_GRACE 3.0
#define LOG_TAIL_LINES 20

struct server {
	struct launch launch;
	const char *name;   /* CMD as given */
	char *path;         /* CMD as found in PATH */
	char *log;          /* absolute */
	char *tmpdir;       /* the private directory, or NULL with -e */
	pid_t pid;          /* also its process group and session */
	double timeout;
};

static volatile sig_atomic_t caught_signal;

static void on_signal(int sig)
{
	caught_signal = sig;
}

static void usage(void)
{
	printf("Usage: epr start [-p S[=P]]... [-e ENVFILE] [-t SECONDS] [-l LOGFILE]\n"
	       "                 [--no-zero] [-v] -- CMD [ARG...]\n"
	       "Start CMD in the background with libepr.so preloaded, wait until it listens,\n"
	       "and print shell lines for eval: EPR_PORT, EPR_PORT_<S>, EPR_PORTS, EPR_PID,\n"
	       "EPR_ENV_FILE, EPR_LOG. Stop it with 'epr stop \"$EPR_ENV_FILE\"'.\n"
	       "\n"
	       "  -p, --port S[=P]     wait for, and rewrite, binds to port S (see epr run);\n"
	       "                       with no -p, wait for any one port (e.g. port 0)\n"
	       "  -e, --env-file FILE  the env file (removed first if there); default: a\n"
	       "                       private directory in $TMPDIR, removed by epr stop\n"
	       "  -l, --log FILE       CMD's stdout and stderr (default: ENVFILE.log with -e,\n"
	       "                       else 'log' in the private directory)\n"
	       "  -t, --timeout SECS   give up after SECS (default 30), stopping CMD\n"
	       "      --no-zero        leave binds to port 0 alone (sets EPR_ZERO=0)\n"
	       "  -v, --verbose        CMD logs each rewrite (sets EPR_DEBUG=1)\n"
	       "  -h, --help           show this help\n"
	       "\n"
	       "Exit status: 0 when CMD listens; 1 if it exits first, times out or cannot be\n"
	       "started; 2 for bad usage; 127 if CMD is not found, 126 if it cannot run.\n");
}

static void parse_options(struct server *s, int argc, char *argv[])
{
	static const struct option options[] = {
		LAUNCH_LONG_OPTIONS,
		{ "log", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	s->timeout = DEFAULT_TIMEOUT;
	while ((opt = getopt_long(argc, argv, "+:p:e:l:t:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (!*optarg)
				cli_usage_error("-l: the log file name is empty");
			s->log = launch_absolute_path(optarg);
			break;
		case 't':
			s->timeout = cli_seconds("-t", optarg);
			break;
		case 'h':
			usage();
			cli_flush_stdout();
			exit(EXIT_SUCCESS);
		default:
			if (!launch_option(&s->launch, opt, optarg))
				cli_bad_option(argv, opt);
		}
	}
	if (optind >= argc)
		cli_usage_error("no CMD to start");
	s->name = argv[optind];
}

/* Picks the env file and the log; removes a stale env file, which would look ready. */
static void prepare_files(struct server *s)
{
	if (!s->launch.env_file) {
		s->tmpdir = private_dir_create();
		if (asprintf(&s->launch.env_file, "%s/env", s->tmpdir) < 0)
			cli_fail("out of memory");
	} else if (unlink(s->launch.env_file) != 0 && errno != ENOENT) {
		cli_fail("removing the stale %s: %s", s->launch.env_file, strerror(errno));
	}
	if (!s->log && asprintf(&s->log, s->tmpdir ? "%s/log" : "%s.log",
				s->tmpdir ? s->tmpdir : s->launch.env_file) < 0)
		cli_fail("out of memory");
}

/* Undoes prepare_files after a failed start; a log that says something is kept. */
static void remove_files(const struct server *s)
{
	struct stat st;

	if (s->tmpdir) {
		if (private_dir_remove(s->tmpdir) != 0)
			cli_warn("removing %s: %s", s->tmpdir, strerror(errno));
		return;
	}
	unlink(s->launch.env_file);
	if (stat(s->log, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
		unlink(s->log);
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a signal must cut the polling sleep short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Marks every descriptor above stderr close-on-exec: a server that kept its caller's
 * pipes open would hang whoever reads them (a test runner, a $(...)) until it exits. */
static void close_inherited_fds(void)
{
	DIR *fds;
	struct dirent *d;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	fds = opendir("/proc/self/fd"); /* kernels before 5.11 */
	if (!fds)
		return;
	while ((d = readdir(fds))) {
		int fd = atoi(d->d_name);

		if (fd > 2 && fd != dirfd(fds))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(fds);
}

/* In the child: a session of its own (so stop can signal the whole group), stdin from
 * /dev/null, output to the log, no other descriptor of ours. Reports exec's errno on
 * the CLOEXEC pipe. */
static _Noreturn void exec_child(const struct server *s, char *argv[], int null_fd, int log_fd,
				 int report_fd)
{
	int err;

	if (setsid() < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
	    dup2(log_fd, STDERR_FILENO) < 0) {
		err = errno;
	} else {
		close_inherited_fds();
		execv(s->path, argv);
		err = errno;
	}
	if (write(report_fd, &err, sizeof err) < 0)
		_exit(EXIT_CANNOT_EXEC);
	_exit(command_exec_status(err));
}

/* Forks and execs CMD. 0 once it runs, else the errno of the failed exec. */
static int spawn(struct server *s, char *argv[])
{
	int null_fd, log_fd, report[2], err = 0;
	ssize_t n;

	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	log_fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (null_fd < 0 || log_fd < 0) {
		cli_warn("%s: %s", null_fd < 0 ? "/dev/null" : s->log, strerror(errno));
		remove_files(s);
		exit(EXIT_FAILURE);
	}
	if (pipe2(report, O_CLOEXEC) != 0)
		cli_fail("pipe: %s", strerror(errno));
	s->pid = fork();
	if (s->pid < 0)
		cli_fail("fork: %s", strerror(errno));
	if (s->pid == 0)
		exec_child(s, argv, null_fd, log_fd, report[1]);
	close(report[1]);
	close(null_fd);
	close(log_fd);
	do
		n = read(report[0], &err, sizeof err);
	while (n < 0 && errno == EINTR);
	close(report[0]);
	if (n != (ssize_t)sizeof err)
		return 0; /* closed by a successful exec */
	waitpid(s->pid, NULL, 0);
	return err;
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

/* Stops what is left of CMD's group and removes what start made. child: CMD's pid while
 * not yet reaped, else 0. */
static void abandon(struct server *s, pid_t child, bool show_log)
{
	if (proc_group_stop(s->pid, FAIL_GRACE, child, NULL) != 0)
		cli_warn("could not stop process group %d: it is still running", (int)s->pid);
	/* The private directory goes, log and all: then do not name a file about to vanish. */
	if (show_log)
		log_tail(s->log, s->tmpdir ? "its log" : s->log, LOG_TAIL_LINES);
	remove_files(s);
}

/* Polls until CMD is ready (0), or fails (the exit status for epr start). */
static int wait_until_ready(struct server *s)
{
	double deadline = now_seconds() + s->timeout, pause = 0.01;
	char why[512] = "", how[64];
	int status;

	for (;;) {
		int ready = server_ready(s->launch.env_file, &s->launch.specs, why, sizeof why);

		if (ready > 0)
			return 0;
		if (ready < 0) {
			cli_warn("reading %s: %s", s->launch.env_file, strerror(errno));
			abandon(s, s->pid, true);
			return EXIT_FAILURE;
		}
		if (caught_signal) {
			cli_warn("interrupted by SIG%s while waiting for %s; stopping it",
				 sigabbrev_np(caught_signal), s->name);
			abandon(s, s->pid, false);
			return 128 + caught_signal;
		}
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			describe_status(status, how, sizeof how);
			cli_warn("%s %s before listening", s->name, how);
			/* Its group may live on in its children; the kernel keeps the id for them. */
			abandon(s, 0, true);
			return EXIT_FAILURE;
		}
		if (now_seconds() >= deadline) {
			cli_warn("%s did not listen within %g second%s (%s); stopping it", s->name,
				 s->timeout, s->timeout == 1 ? "" : "s", why);
			abandon(s, s->pid, true);
			return EXIT_FAILURE;
		}
		sleep_seconds(pause < deadline - now_seconds() ? pause : deadline - now_seconds());
		if (pause < 0.05)
			pause = pause * 1.5 < 0.05 ? pause * 1.5 : 0.05;
	}
}

static int record_server(struct envfile *ef, void *arg)
{
	const struct server *s = arg;
	char pid[16], start[24];

	snprintf(pid, sizeof pid, "%d", (int)s->pid);
	snprintf(start, sizeof start, "%llu", proc_start_time(s->pid));
	if (envfile_set(ef, EPR_KEY_PID, pid) != 0 || envfile_set(ef, EPR_KEY_PID_START, start) != 0 ||
	    envfile_set(ef, EPR_KEY_LOG, s->log) != 0 ||
	    (s->tmpdir && envfile_set(ef, EPR_KEY_TMPDIR, s->tmpdir) != 0))
		return -1;
	return 0;
}

/* Prints NAME=VALUE so that sh's eval gives back VALUE exactly. */
static void print_assignment(const char *name, size_t namelen, const char *value)
{
	size_t safe = strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789_-+=.,:/@%");

	printf("%.*s=", (int)namelen, name);
	if (value[safe] == '\0' && *value) {
		printf("%s\n", value);
		return;
	}
	putchar('\'');
	for (; *value; value++)
		if (*value == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*value);
	fputs("'\n", stdout);
}

static void print_key(const struct envfile *ef, const char *key)
{
	char value[ENVFILE_MAX];

	if (envfile_get(ef, key, value, sizeof value) >= 0)
		print_assignment(key, strlen(key), value);
}

/* EPR_PORT, EPR_PORT_<S>..., EPR_PORTS, EPR_PID, EPR_ENV_FILE, EPR_LOG, EPR_TMPDIR. */
static void print_server(const struct server *s, const struct envfile *ef)
{
	const size_t prefix = strlen(EPR_KEY_PORT_PREFIX);
	const char *line;

	print_key(ef, EPR_KEY_PORT);
	for (line = ef->text; line < ef->text + ef->len; line = strchr(line, '\n') + 1) {
		size_t keylen = strcspn(line, "=\n");
		char key[32];

		if (line[keylen] != '=' || keylen <= prefix || keylen >= sizeof key ||
		    strncmp(line, EPR_KEY_PORT_PREFIX, prefix) != 0 ||
		    strspn(line + prefix, "0123456789") != keylen - prefix)
			continue;
		memcpy(key, line, keylen);
		key[keylen] = '\0';
		print_key(ef, key);
	}
	print_key(ef, EPR_KEY_PORTS);
	print_key(ef, EPR_KEY_PID);
	print_assignment(EPR_ENV_ENV_FILE, strlen(EPR_ENV_ENV_FILE), s->launch.env_file);
	print_key(ef, EPR_KEY_LOG);
	print_key(ef, EPR_KEY_TMPDIR);
}

int cmd_start(int argc, char *argv[])
{
	static struct server s;
	static struct envfile ef;
	char *shim;
	int err, status;

	parse_options(&s, argc, argv);
	shim = shim_path_find();
	s.path = command_path_resolve(s.name);
	if (!s.path) {
		err = errno;
		free(shim);
		cli_warn("%s: %s", s.name, strerror(err));
		return command_exec_status(err);
	}
	elf_check_warn(s.path, s.name);
	prepare_files(&s);
	launch_env_apply(&s.launch, shim, false);
	free(shim);
	/* Caught before the fork, so that no signal can leave CMD running unseen. */
	catch_signals();
	err = spawn(&s, argv + optind);
	if (err) {
		cli_warn("%s: %s", s.name, strerror(err));
		remove_files(&s);
		return command_exec_status(err);
	}
	status = wait_until_ready(&s);
	if (status > 128) {
		signal(status - 128, SIG_DFL);
		raise(status - 128);
	}
	if (status)
		return status;
	if (envfile_update(s.launch.env_file, record_server, &s) != 0 ||
	    envfile_read(s.launch.env_file, &ef) != 0) {
		cli_warn("recording the server in %s: %s", s.launch.env_file, strerror(errno));
		abandon(&s, s.pid, true);
		return EXIT_FAILURE;
	}
	/* Nobody would learn the pid if this output were lost: then stop the server. */
	signal(SIGPIPE, SIG_IGN);
	print_server(&s, &ef);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_warn("writing to stdout: %s; stopping %s", strerror(errno), s.name);
		abandon(&s, s.pid, false);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
