/* What /proc says of a process that epr needs: when it started, which tells a reused pid,
 * its state and parent, whose it is, and its name. One parser of /proc/PID/stat for all of them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Reads the whole of a small /proc file into buf (NUL-terminated); its length, or -1. */
static ssize_t read_proc(pid_t pid, const char *file, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, cap - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int proc_stat_read(pid_t pid, struct proc_stat *out)
{
	char buf[1024], *field;
	int ppid;

	if (pid < 1 || read_proc(pid, "stat", buf, sizeof buf) < 0)
		return -1;
	/* comm (field 2) may hold spaces and parentheses: the fields resume after the last ')' */
	field = strrchr(buf, ')');
	if (!field || sscanf(field + 1, " %c %d", &out->state, &ppid) != 2)
		return -1;
	out->ppid = (pid_t)ppid;
	/* starttime is field 22; the field after comm is 3 */
	for (int i = 3; i <= 22 && field; i++) {
		field = strchr(field, ' ');
		if (field)
			field++;
	}
	out->start = field ? strtoull(field, NULL, 10) : 0;
	return out->start ? 0 : -1;
}

unsigned long long proc_start_time(pid_t pid)
{
	struct proc_stat st;

	return proc_stat_read(pid, &st) == 0 ? st.start : 0;
}

bool proc_running(pid_t pid, unsigned long long start)
{
	struct proc_stat st;

	/* A zombie runs no code and holds no port; PID 1 may never reap it. */
	return start && proc_stat_read(pid, &st) == 0 && st.start == start && st.state != 'Z' &&
	       st.state != 'X';
}

int proc_name(pid_t pid, char *out, size_t cap)
{
	char buf[64];
	ssize_t n = pid > 0 ? read_proc(pid, "comm", buf, sizeof buf) : -1;

	if (n <= 0 || cap == 0)
		return -1;
	if (buf[n - 1] == '\n')
		buf[--n] = '\0';
	/* a name is the program's to set: it goes to a terminal */
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	snprintf(out, cap, "%s", buf);
	return 0;
}

pid_t proc_parent(pid_t pid)
{
	struct proc_stat st;

	return proc_stat_read(pid, &st) == 0 ? st.ppid : -1;
}

/* A "Name:\tvalue" line of /proc/PID/status as a number; -1 if it is gone. */
static long status_field(pid_t pid, const char *name)
{
	char buf[2048], key[32];
	const char *at;

	if (read_proc(pid, "status", buf, sizeof buf) < 0)
		return -1;
	snprintf(key, sizeof key, "\n%s:", name);
	at = strstr(buf, key);
	return at ? strtol(at + strlen(key), NULL, 10) : -1;
}

pid_t proc_thread_group(pid_t tid)
{
	return (pid_t)status_field(tid, "Tgid");
}

long long proc_age(unsigned long long start)
{
	static double uptime = -1; /* read once: every age one command shows is of one moment */
	long ticks = sysconf(_SC_CLK_TCK);
	double age;

	if (uptime < 0) {
		FILE *f = fopen("/proc/uptime", "re");

		if (!f || fscanf(f, "%lf", &uptime) != 1)
			uptime = 0;
		if (f)
			fclose(f);
	}
	if (!start || ticks <= 0 || uptime <= 0)
		return 0;
	age = uptime - (double)start / (double)ticks;
	return age > 0 ? (long long)age : 0;
}
