/* Finding the launch an argument of epr stop or epr exec names (see launch_arg.h). */
#include "launch_arg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "epr_env.h"

bool launch_arg_is_pid(const char *text)
{
	return *text && strspn(text, "0123456789") == strlen(text);
}

static unsigned long long number(const struct envfile *ef, const char *key)
{
	char value[24];

	return envfile_get(ef, key, value, sizeof value) > 0 ? strtoull(value, NULL, 10) : 0;
}

struct by_file {
	const char *path;
	struct launch_entry *out;
	bool found;
};

static int match_file(const struct launch_entry *e, void *arg)
{
	struct by_file *f = arg;

	if (strcmp(e->env_file, f->path) != 0)
		return 0;
	*f->out = *e;
	f->found = true;
	return 1;
}

bool launch_arg_file(const char *path, struct envfile *ef, struct launch_entry *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 && errno == ENOENT) {
		struct by_file f = { path, e, false };

		envfile_init(ef);
		registry_each(match_file, &f);
		return f.found;
	}
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
	/* The registry's copy has the tree as the supervisor last saw it, and its channel. */
	static struct launch_entry known;
	if (registry_lists(e, &known)) {
		e->listed = true;
		memcpy(e->tree, known.tree, sizeof e->tree);
		memcpy(e->tmpdir, known.tmpdir, sizeof e->tmpdir);
		memcpy(e->cgroup, known.cgroup, sizeof e->cgroup);
		memcpy(e->socket, known.socket, sizeof e->socket);
		memcpy(e->ports, known.ports, sizeof e->ports);
	}
	return true;
}

struct find {
	pid_t pid;
	struct launch_entry *out;
	bool found;
};

static int match_pid(const struct launch_entry *e, void *arg)
{
	struct find *f = arg;
	bool supervised = registry_supervised(e);

	/* CMD may have exited (a daemon's launcher) while its launch runs on. */
	if ((e->supervisor == f->pid && supervised) ||
	    (e->main == f->pid && (supervised || proc_running(f->pid, e->main_start)))) {
		*f->out = *e;
		f->found = true;
		return 1;
	}
	return 0;
}

void launch_arg_pid(const char *text, struct envfile *ef, struct launch_entry *e)
{
	struct find f = { cli_pid(text), e, false };

	if (f.pid < 2)
		cli_usage_error("'%s' is not a process id", text);
	registry_each(match_pid, &f);
	if (!f.found)
		cli_fail("%s: not a running launch of epr's (no launch of yours has that pid)", text);
	if (!e->env_file[0] || envfile_read(e->env_file, ef) != 0)
		envfile_init(ef);
}
