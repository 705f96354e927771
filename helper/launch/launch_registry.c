/* The caller's launches: one small env-format file per supervisor in a directory only the
 * caller can write, so that epr stop PID acts on launches of epr's alone, and a stop still
 * finds a tree whose supervisor was killed. Each file has one writer, its supervisor, and
 * is replaced by write and rename. Whether a supervisor runs is a kernel fact: it holds an
 * flock on "PID.lock" beside its entry (a file of its own: a rename replaces the entry's
 * inode) from before CMD runs until it exits, and the kernel drops it when it dies. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "envfile.h"
#include "epr_env.h"
#include "launch.h"

#define KEY_FILE "EPR_FILE"
#define KEY_TREE "EPR_TREE_PIDS"
#define KEY_OWNER "EPR_OWNER_PID"
#define KEY_OWNER_START "EPR_OWNER_START"
#define KEY_COMMAND "EPR_COMMAND"         /* argv, percent-encoded, joined by "%00" */
#define KEY_COMMAND_CUT "EPR_COMMAND_CUT" /* 1: the last arguments did not fit */
#define ARG_SEP "%00"
#define LOCK_WAIT_MS 2000 /* a cleaner or a reader holds a lock for microseconds */
#define KEY_CGROUP "EPR_CGROUP"   /* the launch's cgroup directory */
#define KEY_SOCKET EPR_ENV_SUPERVISOR /* the supervisor's abstract socket, for epr exec */
#define KEY_PORTS EPR_ENV_PORTS       /* the launch's sentinels, for epr exec */

static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=.,:/@";

static char dir[4096];
static int lock_fd = -1, claim_fd = -1;
static pid_t lock_holder, claim_holder; /* who takes them down at exit: not a forked child */
static char claim_name[4200];
/* The holder's entry is in the registry: while it is, the lock's name stays (see
 * release_at_exit). */
static bool entry_listed;

/* ---- the directory ---- */

/* NULL when path is a directory of ours closed to others (its files decide what epr stop
 * signals), else why not. */
static const char *unusable(const char *path)
{
	static char why[160];
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		snprintf(why, sizeof why, "%s", strerror(errno));
		return why;
	}
	if (lstat(path, &st) != 0) {
		snprintf(why, sizeof why, "%s", strerror(errno));
		return why;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077)) {
		snprintf(why, sizeof why, "not a directory of yours closed to others (mode 0700)");
		return why;
	}
	return NULL;
}

/* The first usable of the candidates; exits 1 naming the first's fault when none is. */
static void resolve(bool verbose)
{
	const char *env = getenv(EPR_ENV_RUNTIME_DIR), *xdg = getenv("XDG_RUNTIME_DIR");
	const char *home = getenv("HOME"), *first_why = NULL;
	char first[4096] = "", candidate[4096];

	if (env && *env) { /* the user's choice: no stand-in */
		const char *why = unusable(env);

		if (why)
			cli_fail("%s: %s; remove it or set " EPR_ENV_RUNTIME_DIR, env, why);
		snprintf(dir, sizeof dir, "%s", env);
		return;
	}
	for (int i = 0; i < 4; i++) {
		const char *why;

		if (i == 0 && xdg && *xdg && access(xdg, W_OK) == 0)
			snprintf(candidate, sizeof candidate, "%s/epr", xdg);
		/* A tmpfs, as XDG_RUNTIME_DIR is: where /tmp is on disk (ext4 on Debian 12), each
		 * start and stop would otherwise pay the journal for files that live seconds. */
		else if (i == 1 && access("/dev/shm", W_OK) == 0)
			snprintf(candidate, sizeof candidate, "/dev/shm/epr-%u", (unsigned)getuid());
		else if (i == 2)
			snprintf(candidate, sizeof candidate, "/tmp/epr-%u", (unsigned)getuid());
		else if (i == 3 && home && *home) {
			snprintf(candidate, sizeof candidate, "%s/.cache", home);
			mkdir(candidate, 0700); /* XDG's cache home; what is there already stays */
			snprintf(candidate, sizeof candidate, "%s/.cache/epr", home);
		} else
			continue;
		why = unusable(candidate);
		if (!why) {
			if (first[0] && verbose)
				cli_warn("note: %s: %s; using %s instead", first, first_why, candidate);
			snprintf(dir, sizeof dir, "%s", candidate);
			return;
		}
		if (!first[0]) {
			snprintf(first, sizeof first, "%s", candidate);
			first_why = why;
		}
	}
	cli_fail("%s: %s; remove it or set " EPR_ENV_RUNTIME_DIR, first, first_why);
}

const char *registry_dir(void)
{
	if (!dir[0])
		resolve(false);
	return dir;
}

void registry_check(bool verbose)
{
	if (!dir[0])
		resolve(verbose);
}

static void entry_path(pid_t supervisor, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%d.launch", registry_dir(), (int)supervisor);
}

static void lock_path(pid_t supervisor, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%d.lock", registry_dir(), (int)supervisor);
}

/* ---- locks ---- */

static bool same_file(int fd, const char *path)
{
	struct stat st, now;

	return fstat(fd, &st) == 0 && lstat(path, &now) == 0 && st.st_dev == now.st_dev &&
	       st.st_ino == now.st_ino;
}

/* An exclusive flock on path (created 0600), waiting up to LOCK_WAIT_MS if wait, else
 * failing at once with EWOULDBLOCK when it is held. Whoever removes a lock file does so
 * while holding it: the name is checked to still be the file locked, else tried again. */
static int take_lock(const char *path, bool wait)
{
	struct timespec pause = { 0, 1000000 };
	int budget = LOCK_WAIT_MS;

	for (int lap = 0; lap < 1000; lap++) {
		int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600), err;

		if (fd < 0)
			return -1;
		while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			err = errno;
			if ((err == EWOULDBLOCK && wait && budget-- > 0) || err == EINTR) {
				nanosleep(&pause, NULL);
				continue;
			}
			close(fd);
			errno = err;
			return -1;
		}
		if (same_file(fd, path))
			return fd;
		close(fd);
	}
	errno = EAGAIN;
	return -1;
}

/* Whether some process holds an flock on path: a shared one cannot be had (a missing file
 * is held by nobody). Ours, taken for a moment, goes with the close. */
static bool lock_held(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	bool held;

	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/* Removes path if it still is the file fd has open. */
static void unlink_own(int fd, const char *path)
{
	if (fd >= 0 && same_file(fd, path))
		unlink(path);
}

/* At exit, the lock's name goes only with no entry left: an entry kept (the tree ended on its
 * own) names a launch whose supervisor runs until the kernel drops the lock, and a reader
 * that found no lock file then would take the running supervisor for a foreign process.
 * Whoever removes that entry after our death removes the lock file with it. */
static void release_at_exit(void)
{
	char path[4200];

	if (lock_fd >= 0 && lock_holder == getpid() && !entry_listed) {
		lock_path(lock_holder, path, sizeof path);
		unlink_own(lock_fd, path);
	}
	if (claim_fd >= 0 && claim_holder == getpid())
		unlink_own(claim_fd, claim_name);
}

static void release_when_done(void)
{
	static bool registered;

	if (!registered && atexit(release_at_exit) == 0)
		registered = true;
}

int registry_hold(void)
{
	char path[4200];

	lock_path(getpid(), path, sizeof path);
	lock_fd = take_lock(path, true);
	if (lock_fd < 0)
		return -1;
	lock_holder = getpid();
	release_when_done();
	if (claim_fd >= 0) { /* for the message of a start refused the same env file */
		char pid[16];
		int len = snprintf(pid, sizeof pid, "%d\n", (int)getpid());

		if (ftruncate(claim_fd, 0) != 0 || pwrite(claim_fd, pid, (size_t)len, 0) != len)
			return 0; /* only the message would lack the pid */
	}
	return 0;
}

bool registry_supervised(const struct launch_entry *e)
{
	char path[4200];

	if (e->supervisor < 2)
		return false;
	lock_path(e->supervisor, path, sizeof path);
	/* The start time tells this entry's supervisor from a later one with the same pid. */
	return lock_held(path) && proc_running(e->supervisor, e->supervisor_start);
}

void registry_close_inherited(void)
{
	if (lock_fd >= 0)
		close(lock_fd);
	if (claim_fd >= 0)
		close(claim_fd);
	lock_fd = claim_fd = -1;
}

/* ---- the env file's claim ---- */

/* "claim-HASH" in the registry, HASH of the env file's directory (by device and inode: two
 * spellings of one directory are one) and base name. */
static void claim_path(const char *env_file, char *out, size_t cap)
{
	const char *slash = strrchr(env_file, '/'), *base = slash ? slash + 1 : env_file;
	unsigned long long hash = 14695981039346656037ULL; /* FNV-1a */
	char parent[4096];
	struct stat st;
	unsigned long long id[2] = { 0, 0 };
	const unsigned char *bytes;

	snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - env_file) : 1,
		 slash ? (slash == env_file ? "/" : env_file) : ".");
	if (stat(parent, &st) == 0) {
		id[0] = (unsigned long long)st.st_dev;
		id[1] = (unsigned long long)st.st_ino;
	} else {
		base = env_file;
	}
	bytes = (const unsigned char *)id;
	for (size_t i = 0; i < sizeof id; i++)
		hash = (hash ^ bytes[i]) * 1099511628211ULL;
	for (bytes = (const unsigned char *)base; *bytes; bytes++)
		hash = (hash ^ *bytes) * 1099511628211ULL;
	snprintf(out, cap, "%s/claim-%016llx", registry_dir(), hash);
}

/* The pid that the holder of the claim at path wrote into it; 0 if none yet. */
static pid_t claim_holder_pid(const char *path)
{
	char text[16] = "";
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return 0;
	if (read(fd, text, sizeof text - 1) < 0)
		text[0] = '\0';
	close(fd);
	return (pid_t)atoi(text);
}

void registry_claim(const char *env_file)
{
	pid_t holder;

	claim_path(env_file, claim_name, sizeof claim_name);
	claim_fd = take_lock(claim_name, false);
	if (claim_fd < 0 && errno != EWOULDBLOCK)
		cli_fail("claiming %s in %s: %s", env_file, registry_dir(), strerror(errno));
	if (claim_fd < 0 && (holder = claim_holder_pid(claim_name)) > 0)
		cli_fail("%s belongs to a launch that is still running (supervisor %d); stop it "
			 "first with 'epr stop %s'", env_file, (int)holder, env_file);
	if (claim_fd < 0)
		cli_fail("%s belongs to a launch that is still running; stop it first with "
			 "'epr stop %s'", env_file, env_file);
	claim_holder = getpid();
	release_when_done();
	if (ftruncate(claim_fd, 0) != 0)
		return; /* what a dead holder wrote only misnames it in a message */
}

int registry_claim_fd(void)
{
	return claim_fd;
}

void registry_claim_adopt(int fd)
{
	claim_fd = fd;
	claim_holder = getpid();
}

void registry_claim_disown(void)
{
	if (claim_fd >= 0)
		close(claim_fd);
	claim_fd = -1;
	claim_holder = 0;
}

/* ---- entries ---- */

/* "%XX" for every byte outside safe (and '%' itself), so that any argument fits in a value
 * that envfile_value_ok takes; its length, or cap if it does not fit. */
static size_t encode(const char *in, char *out, size_t cap)
{
	size_t used = 0;

	for (; *in; in++) {
		if (used + 4 > cap)
			return cap;
		if (*in != '%' && strchr(safe, *in))
			out[used++] = *in;
		else
			used += (size_t)snprintf(out + used, cap - used, "%%%02X", (unsigned char)*in);
	}
	out[used] = '\0';
	return used;
}

void registry_set_command(struct launch_entry *e, char *const argv[])
{
	size_t used = 0, cap = sizeof e->command;

	e->command[0] = '\0';
	e->command_cut = false;
	for (size_t i = 0; argv[i]; i++) {
		size_t sep = i ? strlen(ARG_SEP) : 0, len;

		if (used + sep >= cap ||
		    (len = encode(argv[i], e->command + used + sep, cap - used - sep)) == cap - used - sep) {
			e->command[used] = '\0';
			e->command_cut = true;
			return;
		}
		if (sep)
			memcpy(e->command + used, ARG_SEP, sep);
		used += sep + len;
	}
}

/* The next argument of a command at *at into out (decoded, NUL-terminated, at most cap - 1
 * bytes); false when there is none. */
static bool next_argument(const char **at, char *out, size_t cap)
{
	const char *in = *at;
	size_t used = 0;
	unsigned byte;
	int n;

	if (!in)
		return false;
	for (; *in; in++) {
		if (strncmp(in, ARG_SEP, strlen(ARG_SEP)) == 0)
			break;
		if (*in == '%' && sscanf(in + 1, "%2x%n", &byte, &n) == 1 && n == 2) {
			in += 2;
		} else {
			byte = (unsigned char)*in;
		}
		if (used + 1 < cap)
			out[used++] = (char)byte;
	}
	out[used] = '\0';
	*at = *in ? in + strlen(ARG_SEP) : NULL;
	return true;
}

char *registry_command_text(const struct launch_entry *e, bool printable)
{
	/* A byte takes at most 4 in sh quoting ("'\''"), an argument 3 more with its space. */
	size_t cap = 4 * sizeof e->command + 8, used = 0;
	char *text = malloc(cap), *arg = malloc(sizeof e->command);
	const char *at = e->command[0] ? e->command : NULL;

	if (!text || !arg)
		cli_fail("listing the launches: out of memory");
	text[0] = '\0';
	while (next_argument(&at, arg, sizeof e->command)) {
		if (used)
			text[used++] = ' ';
		used += sh_quote(arg, text + used, cap - used - 5);
	}
	if (e->command_cut)
		used += (size_t)snprintf(text + used, cap - used, "%s...", used ? " " : "");
	for (char *c = text; printable && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	free(arg);
	return text;
}

static int fill(struct envfile *ef, const struct launch_entry *e)
{
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
	if (e->socket[0] && envfile_set(ef, KEY_SOCKET, e->socket) != 0)
		return -1;
	if (e->ports[0] && envfile_set(ef, KEY_PORTS, e->ports) != 0)
		return -1;
	if (e->command[0]) {
		/* Only shown by epr list: what does not fit is left out, whole arguments first. */
		static char coded[sizeof e->command];
		bool cut = e->command_cut;

		snprintf(coded, sizeof coded, "%s", e->command);
		while (envfile_set(ef, KEY_COMMAND, coded) != 0 && errno == ENOSPC) {
			char *last = strstr(coded, ARG_SEP), *next;

			while (last && (next = strstr(last + 1, ARG_SEP)))
				last = next;
			if (!last)
				break;
			*last = '\0';
			cut = true;
		}
		if (cut)
			envfile_set(ef, KEY_COMMAND_CUT, "1");
	}
	return 0;
}

int registry_write(const struct launch_entry *e)
{
	static struct envfile ef;
	char path[4200];

	if (fill(&ef, e) != 0)
		return -1;
	entry_path(e->supervisor, path, sizeof path);
	if (envfile_replace(path, &ef) != 0)
		return -1;
	if (e->supervisor == lock_holder && lock_holder == getpid())
		entry_listed = true;
	return 0;
}

void registry_remove(pid_t supervisor)
{
	char path[4200];

	if (supervisor != lock_holder || lock_holder != getpid())
		return;
	/* The entry first, then the lock: a lock file is never missing while the entry that
	 * names its supervisor is there (registry_state relies on it). */
	entry_path(supervisor, path, sizeof path);
	unlink(path);
	entry_listed = false;
	lock_path(supervisor, path, sizeof path);
	unlink_own(lock_fd, path);
	if (claim_fd >= 0 && claim_holder == getpid())
		unlink_own(claim_fd, claim_name);
}

static unsigned long long number(const struct envfile *ef, const char *key)
{
	char value[24];

	return envfile_get(ef, key, value, sizeof value) > 0 ? strtoull(value, NULL, 10) : 0;
}

static int read_path(const char *path, struct launch_entry *e)
{
	static struct envfile ef;
	char cut[4];

	if (envfile_read(path, &ef) != 0)
		return -1;
	if (ef.len == 0) {
		errno = ENOENT;
		return -1;
	}
	memset(e, 0, sizeof *e);
	e->listed = true;
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
	if (envfile_get(&ef, KEY_SOCKET, e->socket, sizeof e->socket) < 0)
		e->socket[0] = '\0';
	if (envfile_get(&ef, KEY_PORTS, e->ports, sizeof e->ports) < 0)
		e->ports[0] = '\0';
	e->owner = (pid_t)number(&ef, KEY_OWNER);
	e->owner_start = number(&ef, KEY_OWNER_START);
	if (envfile_get(&ef, KEY_COMMAND, e->command, sizeof e->command) < 0)
		e->command[0] = '\0';
	e->command_cut = envfile_get(&ef, KEY_COMMAND_CUT, cut, sizeof cut) > 0;
	return 0;
}

bool registry_lists(const struct launch_entry *e, struct launch_entry *now)
{
	return registry_read(e->supervisor, now) == 0 && now->supervisor_start == e->supervisor_start;
}

int registry_read(pid_t supervisor, struct launch_entry *e)
{
	char path[4200];

	entry_path(supervisor, path, sizeof path);
	if (read_path(path, e) != 0)
		return -1;
	if (e->supervisor != supervisor) { /* not what its name says: not an entry of epr's */
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int registry_each(int (*each)(const struct launch_entry *e, void *arg), void *arg)
{
	DIR *d = opendir(registry_dir());
	struct dirent *ent;
	int rc = 0;

	if (!d)
		return 0;
	while (rc == 0 && (ent = readdir(d))) {
		static struct launch_entry e;
		size_t digits = strspn(ent->d_name, "0123456789");

		if (!digits || strcmp(ent->d_name + digits, ".launch") != 0)
			continue;
		if (registry_read((pid_t)atoi(ent->d_name), &e) == 0)
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
	static struct launch_process procs[256];
	size_t n = registry_processes(e, procs, sizeof procs / sizeof procs[0]);
	bool foreign = false;

	if (registry_supervised(e))
		return ENTRY_SUPERVISED;
	/* Its supervisor's pid runs, start time and all, yet holds no lock. A supervisor of
	 * ours ending its launch removes its entry, then its lock file, and then exits: with
	 * the listed entry gone now, it is that, its tree already stopped. Otherwise no
	 * supervisor of ours ever was that process, and the entry is nobody's to act on. */
	if (proc_running(e->supervisor, e->supervisor_start)) {
		static struct launch_entry now;

		if (e->listed && !registry_lists(e, &now))
			return ENTRY_OVER;
		return ENTRY_FOREIGN;
	}
	for (size_t i = 0; i < n; i++) {
		if (!proc_running(procs[i].pid, procs[i].start))
			continue;
		/* The kernel says whether it is ours to signal: root's launch may hold a server
		 * that dropped to another user, and that is still root's to stop. */
		if (kill(procs[i].pid, 0) == 0 || errno != EPERM)
			return ENTRY_ORPHANED;
		foreign = true; /* another user's: not ours to signal */
	}
	if (e->cgroup[0] && launch_cgroup_populated(e) == 1)
		return ENTRY_ORPHANED; /* a process forked after the snapshot, in the cgroup */
	return foreign ? ENTRY_FOREIGN : ENTRY_OVER;
}

int registry_clean(const struct launch_entry *e)
{
	static struct launch_entry now;
	char lock[4200], path[4200];
	int fd, err = 0;

	lock_path(e->supervisor, lock, sizeof lock);
	entry_path(e->supervisor, path, sizeof path);
	fd = take_lock(lock, false);
	if (fd < 0)
		return errno == EWOULDBLOCK ? 0 : -1; /* a live supervisor has that pid now */
	/* Unless a later launch of that pid wrote it meanwhile. */
	if (registry_read(e->supervisor, &now) != 0 || now.supervisor_start == e->supervisor_start)
		if (unlink(path) != 0 && errno != ENOENT)
			err = errno;
	unlink(lock);
	close(fd);
	if (e->env_file[0]) {
		char claim[sizeof claim_name];

		claim_path(e->env_file, claim, sizeof claim);
		fd = take_lock(claim, false);
		if (fd >= 0) { /* else a live launch has claimed it since */
			unlink(claim);
			close(fd);
		}
	}
	errno = err;
	return err ? -1 : 0;
}
