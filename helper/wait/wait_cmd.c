/* --wait-cmd: attempts of /bin/sh -c CMD in a process group and a fresh cgroup of their own
 * (or, without a cgroup, under a keeper of their own: see tree_fork_attempt), with the launch's
 * EPR_* values and without the shim; their output comes through a pipe, their status
 * through tree_reap(). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envfile.h"
#include "epr_env.h"
#include "launch.h"

/* In the attempt's child: the caller's environment with the launch's EPR_* values, and none
 * of what makes a process part of the launch. */
static void cmd_environment(const struct launch_state *l)
{
	static struct envfile ef;
	const char *line;

	unsetenv(EPR_ENV_SUPERVISOR);
	unsetenv(EPR_ENV_PORTS);
	unsetenv(EPR_ENV_ENV_FILE);
	unsetenv(EPR_ENV_TREE);
	unsetenv(EPR_ENV_BOUND);
	unsetenv("NOTIFY_SOCKET"); /* the server's (--wait-notify) or the caller's: not for a probe */
	if (l->wait.caller_preload)
		setenv("LD_PRELOAD", l->wait.caller_preload, 1);
	else
		unsetenv("LD_PRELOAD");
	if (!l->options->env_file || envfile_read(l->options->env_file, &ef) != 0)
		return;
	setenv(EPR_KEY_FILE, l->options->env_file, 1);
	for (line = ef.text; line < ef.text + ef.len; line = strchr(line, '\n') + 1) {
		char key[64], value[ENVFILE_MAX];
		size_t keylen = strcspn(line, "=\n");

		if (line[keylen] != '=' || keylen >= sizeof key)
			continue;
		memcpy(key, line, keylen);
		key[keylen] = '\0';
		if (envfile_get(&ef, key, value, sizeof value) >= 0)
			setenv(key, value, 1);
	}
}

static _Noreturn void cmd_child(const struct launch_state *l, int out)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	setpgid(0, 0); /* its own group: a timeout kills what it started too */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	child_reset_signals();
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	cmd_environment(l);
	execl("/bin/sh", "sh", "-c", l->wait.cmd, (char *)NULL);
	dprintf(2, "/bin/sh: %s\n", strerror(errno));
	_exit(127);
}

void wait_cmd_begin(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;
	char why[4600];
	int out[2];

	if (pipe2(out, O_CLOEXEC) != 0) {
		snprintf(w->cmd_last, sizeof w->cmd_last, "could not run: pipe: %s", strerror(errno));
		w->cmd_next = now_seconds() + WAIT_RETRY_MAX;
		return;
	}
	w->cmd_pid = tree_fork_attempt(why, sizeof why);
	if (w->cmd_pid == 0)
		cmd_child(l, out[1]);
	close(out[1]);
	if (why[0] && l->options->verbose)
		cli_warn("%s: %s", l->name, why);
	if (w->cmd_pid < 0) {
		snprintf(w->cmd_last, sizeof w->cmd_last, "could not run: fork: %s", strerror(errno));
		close(out[0]);
		w->cmd_pid = 0;
		w->cmd_next = now_seconds() + WAIT_RETRY_MAX;
		return;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	w->cmd_out = out[0];
	w->cmd_reaped = false;
	w->cmd_output_len = 0;
}

/* Keeps the last bytes of the attempt's output. */
void wait_cmd_read(struct launch_wait *w)
{
	char buf[1024];
	ssize_t n;

	if (w->cmd_out < 0)
		return;
	while ((n = read(w->cmd_out, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			break;
		}
		if ((size_t)n >= sizeof w->cmd_output) {
			memcpy(w->cmd_output, buf + n - (sizeof w->cmd_output - 1), sizeof w->cmd_output - 1);
			w->cmd_output_len = sizeof w->cmd_output - 1;
			continue;
		}
		if (w->cmd_output_len + (size_t)n >= sizeof w->cmd_output) {
			size_t drop = w->cmd_output_len + (size_t)n - (sizeof w->cmd_output - 1);

			memmove(w->cmd_output, w->cmd_output + drop, w->cmd_output_len - drop);
			w->cmd_output_len -= drop;
		}
		memcpy(w->cmd_output + w->cmd_output_len, buf, (size_t)n);
		w->cmd_output_len += (size_t)n;
	}
	close(w->cmd_out); /* end of output: every writer is gone */
	w->cmd_out = -1;
}

void wait_cmd_finish(struct launch_wait *w)
{
	char how[64], said[WAIT_LAST];

	wait_cmd_read(w);
	if (w->cmd_out >= 0) { /* something it started holds the pipe: its output is done */
		close(w->cmd_out);
		w->cmd_out = -1;
	}
	kill(-w->cmd_pid, SIGKILL); /* what it left in its group */
	tree_kill_attempt(0);       /* and in its cgroup: a daemon that called setsid() */
	w->cmd_pid = 0;
	if (WIFEXITED(w->cmd_status) && WEXITSTATUS(w->cmd_status) == 0) {
		w->cmd_done = true;
		return;
	}
	if (WIFSIGNALED(w->cmd_status))
		snprintf(how, sizeof how, "was killed by signal %d", WTERMSIG(w->cmd_status));
	else
		snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(w->cmd_status));
	wait_last_line(w->cmd_output, w->cmd_output_len, said, sizeof said);
	if (said[0])
		snprintf(w->cmd_last, sizeof w->cmd_last, "%s: \"%s\"", how, said);
	else
		snprintf(w->cmd_last, sizeof w->cmd_last, "%s, printing nothing", how);
	w->cmd_next = now_seconds() + CMD_RETRY;
}

bool wait_reaped(struct launch_state *l, pid_t pid, int status)
{
	struct launch_wait *w = &l->wait;

	if (!w->cmd_pid || pid != w->cmd_pid)
		return false;
	w->cmd_status = status;
	w->cmd_reaped = true;
	return true;
}
