/* epr stop: stop a server that epr start started, given its env file or its pid: its
 * whole process group, then the private directory that start made for it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "envfile.h"
#include "epr_env.h"

#define DEFAULT_GRACE 10.0

static void usage(void)
{
	printf("Usage: epr stop [-t SECONDS] ENVFILE|PID\n"
	       "Stop a server started by epr start: SIGTERM to its process group, SIGKILL\n"
	       "after SECONDS (default 10) if any of it is still running; then remove the\n"
	       "private directory that epr start made for it.\n"
	       "\n"
	       "  -t, --timeout SECS   the grace period before SIGKILL\n"
	       "  -h, --help           show this help\n"
	       "\n"
	       "Exit status: 0 once the group is gone, also when it was already gone but its\n"
	       "env file is still there (a note says so); 1 when nothing can be found or the\n"
	       "group would not die; 2 for bad usage.\n");
}

/* Reads the EPR_ENV_FILE that process pid was started with into out: 0; 1 if it had
 * none; -1 if its environment cannot be read (another user's, a zombie's). */
static int env_file_of(pid_t pid, char *out, size_t cap)
{
	static char environ_text[65536];
	const size_t keylen = strlen(EPR_ENV_ENV_FILE "=");
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, environ_text, sizeof environ_text - 1);
	close(fd);
	if (n <= 0)
		return -1;
	environ_text[n] = '\0';
	for (const char *var = environ_text; var < environ_text + n; var += strlen(var) + 1) {
		if (strncmp(var, EPR_ENV_ENV_FILE "=", keylen) == 0 && strlen(var + keylen) < cap) {
			strcpy(out, var + keylen);
			return 0;
		}
	}
	return 1;
}

/* The pid recorded in an env file, or exits 1. */
static pid_t pid_from_env_file(const char *path, struct envfile *ef)
{
	char value[16];
	char *end;
	long pid;

	if (envfile_read(path, ef) != 0)
		cli_fail("%s: %s", path, strerror(errno));
	if (ef->len == 0 && access(path, F_OK) != 0)
		cli_fail("%s: %s", path, strerror(errno));
	if (envfile_get(ef, EPR_KEY_PID, value, sizeof value) < 0)
		cli_fail("%s has no " EPR_KEY_PID "; was it written by epr start?", path);
	pid = strtol(value, &end, 10);
	if (*end || pid < 2 || pid > 0x3fffffff)
		cli_fail("%s: " EPR_KEY_PID " '%s' is not a process id", path, value);
	return (pid_t)pid;
}

/* False when pid is not the process that epr start recorded in ef: its start time differs,
 * or (for a file without one) it runs with another env file. True when it cannot tell: a
 * server that rewrites its process title (redis, nginx, postgres) overwrites the
 * environment that /proc/PID/environ shows. */
static bool same_process(const struct envfile *ef, const char *env_file, pid_t pid, char *buf,
			 size_t cap)
{
	char *mine, *theirs, recorded[24];
	bool same;

	if (envfile_get(ef, EPR_KEY_PID_START, recorded, sizeof recorded) > 0) {
		unsigned long long now = proc_start_time(pid);
		return now == 0 || now == strtoull(recorded, NULL, 10);
	}
	if (env_file_of(pid, buf, cap) != 0)
		return true;
	mine = realpath(env_file, NULL);
	theirs = realpath(buf, NULL);
	same = !mine || !theirs || strcmp(mine, theirs) == 0;
	free(mine);
	free(theirs);
	return same;
}

static bool is_pid(const char *text)
{
	return *text && strspn(text, "0123456789") == strlen(text);
}

int cmd_stop(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct envfile ef;
	static char env_file[4096];
	double grace = DEFAULT_GRACE;
	char tmpdir[4096];
	const char *target;
	pid_t pid;
	int opt;

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

	if (is_pid(target)) {
		long value = strtol(target, NULL, 10);

		if (value < 2 || value > 0x3fffffff)
			cli_usage_error("'%s' is not a process id", target);
		pid = (pid_t)value;
		/* epr start made CMD a session leader, so its pid names its group; a live pid
		 * that leads no group is someone else's. */
		if (!proc_group_alive(pid) || (proc_pgrp(pid) != -1 && proc_pgrp(pid) != pid))
			cli_fail("%s: no process group led by that pid is running", target);
		if (env_file_of(pid, env_file, sizeof env_file) != 0 ||
		    envfile_read(env_file, &ef) != 0)
			envfile_init(&ef);
	} else {
		pid = pid_from_env_file(target, &ef);
		if (!proc_group_alive(pid))
			cli_warn("note: process group %d of %s is already gone", (int)pid, target);
		else if (!same_process(&ef, target, pid, env_file, sizeof env_file))
			cli_fail("%s: process %d was not started with this env file; "
				 "its pid was reused?", target, (int)pid);
	}
	if (proc_group_alive(pid) && proc_group_stop(pid, grace, 0, NULL) != 0)
		cli_fail("process group %d is still running after SIGKILL", (int)pid);
	if (envfile_get(&ef, EPR_KEY_TMPDIR, tmpdir, sizeof tmpdir) > 0 &&
	    private_dir_remove(tmpdir) != 0)
		cli_fail("removing %s: %s", tmpdir, strerror(errno));
	return EXIT_SUCCESS;
}
