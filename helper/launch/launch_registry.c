/* The caller's live launches: one small env-format file per supervisor in a directory only
 * the caller can write, so that epr stop PID acts on launches of epr's alone, and a stop
 * still finds a tree whose supervisor was killed. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envfile.h"
#include "epr_env.h"
#include "launch.h"

#define KEY_FILE "EPR_FILE"
#define KEY_TREE "EPR_TREE_PIDS"
#define KEY_OWNER "EPR_OWNER_PID"
#define KEY_OWNER_START "EPR_OWNER_START"
#define KEY_COMMAND "EPR_COMMAND" /* percent-encoded: an env-file value has no spaces */
#define KEY_CGROUP "EPR_CGROUP"   /* the launch's cgroup directory */

static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=.,:/@";

void registry_command(char *const argv[], char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; argv[i]; i++) {
		char word[512];
		size_t len = sh_quote(argv[i], word, sizeof word);

		if (len >= sizeof word || used + (i > 0) + len + 4 > cap) { /* room for " ..." */
			snprintf(out + used, cap - used, "%s...", i ? " " : "");
			return;
		}
		used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? " " : "", word);
	}
}

/* "%XX" for every byte outside safe (and '%' itself), so that any command line fits in a
 * value that envfile_value_ok takes. */
static void encode(const char *in, char *out, size_t cap)
{
	size_t used = 0;

	for (; *in && used + 4 < cap; in++) {
		if (*in != '%' && strchr(safe, *in))
			out[used++] = *in;
		else
			used += (size_t)snprintf(out + used, cap - used, "%%%02X", (unsigned char)*in);
	}
	out[used] = '\0';
}

/* The reverse; a control character comes back as '?', for a list printed to a terminal. */
static void decode(const char *in, char *out, size_t cap)
{
	size_t used = 0;
	unsigned byte;
	int n;

	for (; *in && used + 1 < cap; in++) {
		if (*in == '%' && sscanf(in + 1, "%2x%n", &byte, &n) == 1 && n == 2) {
			in += 2;
			out[used++] = byte < 0x20 || byte == 0x7f ? '?' : (char)byte;
		} else {
			out[used++] = *in;
		}
	}
	out[used] = '\0';
}

static char dir[4096];

/* The directory must be ours and closed to others: its files decide what epr stop kills. */
static void check_dir(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		cli_fail("%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		cli_fail("%s: not a directory of yours closed to others (mode 0700); "
			 "remove it or set " EPR_ENV_RUNTIME_DIR, path);
}

const char *registry_dir(void)
{
	const char *base = getenv(EPR_ENV_RUNTIME_DIR), *xdg = getenv("XDG_RUNTIME_DIR");

	if (dir[0])
		return dir;
	if (base && *base)
		snprintf(dir, sizeof dir, "%s", base);
	else if (xdg && *xdg && access(xdg, W_OK) == 0)
		snprintf(dir, sizeof dir, "%s/epr", xdg);
	else
		snprintf(dir, sizeof dir, "/tmp/epr-%u", (unsigned)getuid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		cli_fail("%s: %s", dir, strerror(errno));
	check_dir(dir);
	return dir;
}

static void entry_path(pid_t supervisor, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%d.launch", registry_dir(), (int)supervisor);
}

static int fill(struct envfile *ef, void *arg)
{
	const struct launch_entry *e = arg;
	char n[24];

	envfile_init(ef);
#define NUM(key, value)                                                   \
	snprintf(n, sizeof n, "%llu", (unsigned long long)(value));       \
	if (envfile_set(ef, key, n) != 0)                                  \
		return -1;
	NUM(EPR_KEY_SUPERVISOR_PID, e->supervisor)
	NUM(EPR_KEY_SUPERVISOR_START, e->supervisor_start)
	NUM(EPR_KEY_PID, e->main)
	NUM(EPR_KEY_PID_START, e->main_start)
	if (e->owner > 0) {
		NUM(KEY_OWNER, e->owner)
		NUM(KEY_OWNER_START, e->owner_start)
	}
#undef NUM
	if (e->env_file[0] && envfile_set(ef, KEY_FILE, e->env_file) != 0)
		return -1;
	if (e->tmpdir[0] && envfile_set(ef, EPR_KEY_TMPDIR, e->tmpdir) != 0)
		return -1;
	if (e->tree[0] && envfile_set(ef, KEY_TREE, e->tree) != 0)
		return -1;
	if (e->cgroup[0] && envfile_set(ef, KEY_CGROUP, e->cgroup) != 0)
		return -1;
	if (e->command[0]) {
		char coded[3 * sizeof e->command];

		/* Only shown by epr list: a file too full for it still records the launch. */
		encode(e->command, coded, sizeof coded);
		envfile_set(ef, KEY_COMMAND, coded);
	}
	return 0;
}

int registry_write(const struct launch_entry *e)
{
	char path[4200];

	entry_path(e->supervisor, path, sizeof path);
	return envfile_update(path, fill, (void *)e);
}

void registry_remove(pid_t supervisor)
{
	char path[4200];

	entry_path(supervisor, path, sizeof path);
	unlink(path);
}

static unsigned long long number(const struct envfile *ef, const char *key)
{
	char value[24];

	return envfile_get(ef, key, value, sizeof value) > 0 ? strtoull(value, NULL, 10) : 0;
}

static int read_path(const char *path, struct launch_entry *e)
{
	static struct envfile ef;

	if (envfile_read(path, &ef) != 0)
		return -1;
	if (ef.len == 0) {
		errno = ENOENT;
		return -1;
	}
	memset(e, 0, sizeof *e);
	e->supervisor = (pid_t)number(&ef, EPR_KEY_SUPERVISOR_PID);
	e->supervisor_start = number(&ef, EPR_KEY_SUPERVISOR_START);
	e->main = (pid_t)number(&ef, EPR_KEY_PID);
	e->main_start = number(&ef, EPR_KEY_PID_START);
	if (envfile_get(&ef, KEY_FILE, e->env_file, sizeof e->env_file) < 0)
		e->env_file[0] = '\0';
	if (envfile_get(&ef, KEY_TREE, e->tree, sizeof e->tree) < 0)
		e->tree[0] = '\0';
	if (envfile_get(&ef, EPR_KEY_TMPDIR, e->tmpdir, sizeof e->tmpdir) < 0)
		e->tmpdir[0] = '\0';
	if (envfile_get(&ef, KEY_CGROUP, e->cgroup, sizeof e->cgroup) < 0)
		e->cgroup[0] = '\0';
	e->owner = (pid_t)number(&ef, KEY_OWNER);
	e->owner_start = number(&ef, KEY_OWNER_START);
	{
		char coded[3 * sizeof e->command];

		if (envfile_get(&ef, KEY_COMMAND, coded, sizeof coded) >= 0)
			decode(coded, e->command, sizeof e->command);
	}
	return 0;
}

int registry_read(pid_t supervisor, struct launch_entry *e)
{
	char path[4200];

	entry_path(supervisor, path, sizeof path);
	return read_path(path, e);
}

int registry_each(int (*each)(const struct launch_entry *e, void *arg), void *arg)
{
	DIR *d = opendir(registry_dir());
	struct dirent *ent;
	int rc = 0;

	if (!d)
		return 0;
	while (rc == 0 && (ent = readdir(d))) {
		struct launch_entry e;
		char path[4400];
		size_t len = strlen(ent->d_name);

		if (len < 8 || strcmp(ent->d_name + len - 7, ".launch") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", registry_dir(), ent->d_name);
		if (read_path(path, &e) == 0)
			rc = each(&e, arg);
	}
	closedir(d);
	return rc;
}

struct collected {
	struct launch_entry *all;
	size_t n, cap;
};

static int collect(const struct launch_entry *e, void *arg)
{
	struct collected *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		struct launch_entry *all = realloc(c->all, cap * sizeof *all);

		if (!all)
			cli_fail("reading %s: %s", registry_dir(), strerror(errno));
		c->all = all;
		c->cap = cap;
	}
	c->all[c->n++] = *e;
	return 0;
}

static int oldest_first(const void *a, const void *b)
{
	const struct launch_entry *x = a, *y = b;

	if (x->supervisor_start != y->supervisor_start)
		return x->supervisor_start < y->supervisor_start ? -1 : 1;
	return (x->supervisor > y->supervisor) - (x->supervisor < y->supervisor);
}

struct launch_entry *registry_all(size_t *n)
{
	struct collected c = { NULL, 0, 0 };

	registry_each(collect, &c);
	if (c.n > 1)
		qsort(c.all, c.n, sizeof *c.all, oldest_first);
	*n = c.n;
	return c.all;
}

size_t registry_processes(const struct launch_entry *e, struct launch_process *out, size_t cap)
{
	const char *item = e->tree;
	size_t n = 0;

	if (e->main > 1 && n < cap)
		out[n++] = (struct launch_process){ e->main, e->main_start };
	while (*item && n < cap) {
		unsigned long long start;
		int pid, used;

		if (sscanf(item, "%d:%llu%n", &pid, &start, &used) != 2)
			break;
		item += used + (item[used] == ',');
		if (pid > 1 && pid != e->main)
			out[n++] = (struct launch_process){ pid, start };
	}
	return n;
}

enum entry_state registry_state(const struct launch_entry *e)
{
	struct launch_process procs[256];
	size_t n = registry_processes(e, procs, sizeof procs / sizeof procs[0]);

	if (proc_running(e->supervisor, e->supervisor_start)) {
		uid_t uid = proc_uid(e->supervisor);

		if (uid == getuid())
			return ENTRY_SUPERVISED;
		if (uid != (uid_t)-1)
			return ENTRY_FOREIGN;
		/* it exited in between: what did it leave? */
	}
	for (size_t i = 0; i < n; i++)
		if (proc_running(procs[i].pid, procs[i].start))
			return ENTRY_ORPHANED;
	if (e->cgroup[0] && launch_cgroup_populated(e) == 1)
		return ENTRY_ORPHANED; /* a process forked after the snapshot, in the cgroup */
	return ENTRY_OVER;
}
