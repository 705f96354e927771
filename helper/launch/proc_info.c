/* What /proc says of a process that epr needs: when it started, which tells a reused pid,
 * and whose it is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[512], *close_paren, *field;
	unsigned long long start = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	close_paren = strrchr(buf, ')');
	if (!close_paren)
		return 0;
	/* starttime is field 22; the field after comm is 3 */
	field = close_paren + 1;
	for (int i = 3; i <= 22 && field; i++) {
		field = strchr(field, ' ');
		if (field)
			field++;
	}
	if (field)
		start = strtoull(field, NULL, 10);
	return start;
}

bool proc_running(pid_t pid, unsigned long long start)
{
	char path[64], buf[512], *paren, state;
	FILE *f;
	size_t n;

	if (pid < 1 || !start || proc_start_time(pid) != start)
		return false;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	/* A zombie runs no code and holds no port; PID 1 may never reap it. */
	return paren && sscanf(paren + 1, " %c", &state) == 1 && state != 'Z' && state != 'X';
}

uid_t proc_uid(pid_t pid)
{
	char path[64], line[256];
	unsigned long uid;
	uid_t found = (uid_t)-1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return found;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Uid: %lu", &uid) == 1) {
			found = (uid_t)uid;
			break;
		}
	fclose(f);
	return found;
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
