/* common/envfile.c: the KEY=VALUE text in memory, and its read and atomic update on disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envfile.h"
#include "epr_env.h"
#include "tap.h"

static char tmpdir[] = "/tmp/epr-unit-envfile.XXXXXX";

/* ef's text as a C string (for is_str); one static buffer, so one use per statement. */
static const char *text(const struct envfile *ef)
{
	static char buf[ENVFILE_MAX + 1];

	memcpy(buf, ef->text, ef->len);
	buf[ef->len] = '\0';
	return buf;
}

static void load(struct envfile *ef, const char *s)
{
	ef->len = strlen(s);
	memcpy(ef->text, s, ef->len);
}

static const char *get(const struct envfile *ef, const char *key)
{
	static char buf[ENVFILE_MAX];

	return envfile_get(ef, key, buf, sizeof(buf)) < 0 ? NULL : buf;
}

static void test_get_set(void)
{
	struct envfile ef;
	char small[4];

	ef.len = 99;
	envfile_init(&ef);
	is_int(ef.len, 0, "init: empty");
	ok(get(&ef, "A") == NULL, "get: absent key in an empty file");
	is_int(envfile_set(&ef, "A", "1"), 0, "set: into an empty file");
	is_str(text(&ef), "A=1\n", "set: writes one whole line");

	load(&ef, "A=1\nB=2\nC=3\n");
	is_int(envfile_set(&ef, "B", "22"), 0, "set: an existing key");
	is_str(text(&ef), "A=1\nB=22\nC=3\n", "set: replaces its line in place, growing");
	is_int(envfile_set(&ef, "B", ""), 0, "set: an empty value");
	is_str(text(&ef), "A=1\nB=\nC=3\n", "set: replaces its line in place, shrinking");
	is_str(get(&ef, "B"), "", "get: an empty value is present and empty");
	is_int(envfile_set(&ef, "C", "33"), 0, "set: the last line");
	is_str(text(&ef), "A=1\nB=\nC=33\n", "set: the last line is replaced");
	is_int(envfile_set(&ef, "D", "4"), 0, "set: a new key");
	is_str(text(&ef), "A=1\nB=\nC=33\nD=4\n", "set: a new key is appended");

	load(&ef, "# comment\nFOO=bar\n\nnot a pair\nEPR_PORT_LIST=1,2\nEPR_PORT_80=1\nEPR_PORT=1\n");
	is_str(get(&ef, "EPR_PORT"), "1", "get: EPR_PORT is not confused with EPR_PORT_LIST or EPR_PORT_80");
	is_str(get(&ef, "EPR_PORT_LIST"), "1,2", "get: EPR_PORT_LIST");
	ok(get(&ef, "EPR") == NULL, "get: a key prefix does not match");
	ok(get(&ef, "bar") == NULL, "get: a value does not match as a key");
	ok(get(&ef, "not a pair") == NULL, "get: a line without '=' is no key");
	is_int(envfile_set(&ef, "EPR_PORT", "2"), 0, "set: EPR_PORT among look-alikes");
	is_str(text(&ef), "# comment\nFOO=bar\n\nnot a pair\nEPR_PORT_LIST=1,2\nEPR_PORT_80=1\nEPR_PORT=2\n",
	       "set: changes EPR_PORT only, keeping comments, blank and unknown lines");

	load(&ef, "A=12345\n");
	is_int(envfile_get(&ef, "A", small, sizeof(small)), -1, "get: a value that does not fit is -1");
	load(&ef, "A=123\n");
	is_int(envfile_get(&ef, "A", small, sizeof(small)), 3, "get: a value that just fits");
	is_str(small, "123", "get: ... is NUL-terminated");
	load(&ef, "A=1=2\n");
	is_str(get(&ef, "A"), "1=2", "get: the value runs from the first '='");

	/* Not whole lines: what the read path never produces, but must not over-read. */
	load(&ef, "A=1\nB=2");
	is_str(get(&ef, "B"), "2", "get: a last line without '\\n' still reads");
	is_int(envfile_set(&ef, "B", "3"), 0, "set: a last line without '\\n' ...");
	is_str(text(&ef), "A=1\nB=3\n", "set: ... is replaced by a whole line");
	load(&ef, "A=1\nB=");
	is_str(get(&ef, "B"), "", "get: 'B=' at the very end is empty");
}

static void test_set_full(void)
{
	struct envfile ef;
	char big[ENVFILE_MAX];

	/* One line that leaves exactly room for "B=1\n". */
	envfile_init(&ef);
	memset(big, 'x', sizeof(big));
	big[ENVFILE_MAX - 4 - 3] = '\0'; /* "A=" + value + '\n' = ENVFILE_MAX - 4 */
	is_int(envfile_set(&ef, "A", big), 0, "full: a long line");
	is_int(ef.len, ENVFILE_MAX - 4, "full: it leaves 4 bytes");
	is_int(envfile_set(&ef, "B", "1"), 0, "full: a line that fills the buffer exactly fits");
	is_int(ef.len, ENVFILE_MAX, "full: the buffer is full");
	errno = 0;
	is_int(envfile_set(&ef, "C", "1"), -1, "full: one more line does not fit ...");
	is_int(errno, ENOSPC, "full: ... ENOSPC");
	is_int(ef.len, ENVFILE_MAX, "full: ... and nothing changed");
	errno = 0;
	is_int(envfile_set(&ef, "B", "22"), -1, "full: growing a line past the end ...");
	is_int(errno, ENOSPC, "full: ... ENOSPC");
	is_str(get(&ef, "B"), "1", "full: ... and the old value stays");
	is_int(envfile_set(&ef, "B", "2"), 0, "full: replacing with the same length still works");
	is_int(envfile_set(&ef, "B", ""), 0, "full: shrinking still works");
	is_int(ef.len, ENVFILE_MAX - 1, "full: shrinking frees a byte");
	ok(ef.text[ef.len - 1] == '\n', "full: still whole lines");
	errno = 0;
	is_int(envfile_add_port(&ef, 8080, 0), -1, "full: add_port into a full buffer ...");
	is_int(errno, ENOSPC, "full: ... ENOSPC");
}

static void test_add_port(void)
{
	struct envfile ef;

	load(&ef, "FOO=bar\n");
	is_int(envfile_add_port(&ef, 40001, 0), 1, "add_port: a port-0 port is recorded");
	is_str(text(&ef), "FOO=bar\nEPR_PORT=40001\nEPR_PORT_LIST=40001\n",
	       "add_port: EPR_PORT and EPR_PORT_LIST set, unknown keys kept");
	is_int(envfile_add_port(&ef, 40001, 0), 0, "add_port: the same port again is 0");
	is_str(text(&ef), "FOO=bar\nEPR_PORT=40001\nEPR_PORT_LIST=40001\n", "add_port: ... and changes nothing");
	is_int(envfile_add_port(&ef, 40002, 3306), 1, "add_port: a sentinel's port");
	is_str(get(&ef, "EPR_PORT"), "40001", "add_port: EPR_PORT stays the first port");
	is_str(get(&ef, "EPR_PORT_LIST"), "40001,40002", "add_port: EPR_PORT_LIST in listen order");
	is_str(get(&ef, "EPR_PORT_3306"), "40002", "add_port: EPR_PORT_<sentinel>");
	is_int(envfile_add_port(&ef, 40002, 3306), 0, "add_port: the same sentinel and port again is 0");
	is_int(envfile_add_port(&ef, 40002, 3307), 1, "add_port: the same port for another sentinel ...");
	is_str(get(&ef, "EPR_PORT_3307"), "40002", "add_port: ... sets EPR_PORT_3307");
	is_str(get(&ef, "EPR_PORT_LIST"), "40001,40002", "add_port: ... without repeating it in EPR_PORT_LIST");
	is_int(envfile_add_port(&ef, 40003, 3306), 1, "add_port: a sentinel's new port");
	is_str(get(&ef, "EPR_PORT_3306"), "40003", "add_port: EPR_PORT_3306 replaced in place");
	is_str(get(&ef, "FOO"), "bar", "add_port: FOO still there");

	envfile_init(&ef);
	envfile_add_port(&ef, 8080, 0);
	is_int(envfile_add_port(&ef, 80, 0), 1, "add_port: 80 is not taken for 8080");
	is_int(envfile_add_port(&ef, 808, 0), 1, "add_port: nor 808");
	is_int(envfile_add_port(&ef, 1, 0), 1, "add_port: port 1");
	is_int(envfile_add_port(&ef, 65535, 65535), 1, "add_port: port and sentinel 65535");
	is_str(get(&ef, "EPR_PORT_LIST"), "8080,80,808,1,65535", "add_port: every port, once each");
	is_str(get(&ef, "EPR_PORT_65535"), "65535", "add_port: EPR_PORT_65535");
	is_int(envfile_add_port(&ef, 80, 0), 0, "add_port: 80 again is 0");

	load(&ef, "EPR_PORT_LIST=1,2\n");
	is_int(envfile_add_port(&ef, 3, 0), 1, "add_port: to a file whose EPR_PORT is missing");
	is_str(get(&ef, "EPR_PORT"), "3", "add_port: ... sets EPR_PORT (once)");
}

static void test_add_port_cap(void)
{
	struct envfile ef;
	int good = 1;

	envfile_init(&ef);
	for (int i = 0; i < EPR_MAX_EXPORTS; i++)
		good &= envfile_add_port(&ef, (uint16_t)(60000 + i), (uint16_t)(10000 + i % EPR_MAX_SENTINELS)) == 1;
	ok(good, "cap: EPR_MAX_EXPORTS (%d) ports are recorded", EPR_MAX_EXPORTS);
	size_t len = ef.len;
	errno = 0;
	is_int(envfile_add_port(&ef, 65000, 0), -1, "cap: one port more is refused ...");
	is_int(errno, ENOSPC, "cap: ... with ENOSPC");
	is_int(ef.len, len, "cap: ... and the text is unchanged");
	is_int(envfile_add_port(&ef, 60010, 0), 0, "cap: a recorded port is still 0 at the cap");
	is_str(get(&ef, "EPR_PORT"), "60000", "cap: EPR_PORT is the first");

	char want[EPR_MAX_EXPORTS * 6 + 1];
	size_t at = 0;
	for (int i = 0; i < EPR_MAX_EXPORTS; i++)
		at += (size_t)snprintf(want + at, sizeof(want) - at, "%s%d", i ? "," : "", 60000 + i);
	is_str(get(&ef, "EPR_PORT_LIST"), want, "cap: EPR_PORT_LIST holds all %d, in order", EPR_MAX_EXPORTS);
}

/* Files. */

/* name in tmpdir; four rotating buffers, so that one call can take two paths. */
static const char *in_tmp(const char *name)
{
	static char paths[4][512];
	static unsigned next;
	char *path = paths[next++ % 4];

	snprintf(path, sizeof(paths[0]), "%s/%s", tmpdir, name);
	return path;
}

static void write_file(const char *p, const char *data, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0)
		tap_bail("cannot write %s: %s", p, strerror(errno));
}

static size_t read_file(const char *p, char *buf, size_t cap)
{
	int fd = open(p, O_RDONLY);
	ssize_t got = fd < 0 ? -1 : read(fd, buf, cap - 1);

	if (fd >= 0)
		close(fd);
	buf[got < 0 ? 0 : got] = '\0';
	return got < 0 ? 0 : (size_t)got;
}

/* Names in tmpdir other than "." and "..", comma-separated, sorted by readdir order. */
static int dir_entries(char *out, size_t cap)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	out[0] = '\0';
	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", n++ ? "," : "", e->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

static void clean_tmp(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
}

static void test_read(void)
{
	struct envfile ef;
	char big[ENVFILE_MAX + 10];

	ef.len = 5;
	is_int(envfile_read(in_tmp("missing.env"), &ef), 0, "read: a missing file is no error ...");
	is_int(ef.len, 0, "read: ... and reads as empty");

	write_file(in_tmp("a.env"), "A=1\nB=2\n", 8);
	is_int(envfile_read(in_tmp("a.env"), &ef), 0, "read: a file");
	is_str(text(&ef), "A=1\nB=2\n", "read: its text");

	write_file(in_tmp("b.env"), "A=1\nB=2", 7);
	is_int(envfile_read(in_tmp("b.env"), &ef), 0, "read: a file without a final '\\n'");
	is_str(text(&ef), "A=1\nB=2\n", "read: ... gets one, so that the text is whole lines");
	envfile_set(&ef, "C", "3");
	is_str(text(&ef), "A=1\nB=2\nC=3\n", "read: ... and a set after it appends a line of its own");

	write_file(in_tmp("empty.env"), "", 0);
	is_int(envfile_read(in_tmp("empty.env"), &ef), 0, "read: an empty file");
	is_int(ef.len, 0, "read: ... is empty");

	if (symlink(in_tmp("a.env"), in_tmp("link.env")) < 0)
		tap_bail("symlink: %s", strerror(errno));
	errno = 0;
	is_int(envfile_read(in_tmp("link.env"), &ef), -1, "read: a symlink is refused ...");
	is_int(errno, ELOOP, "read: ... with ELOOP");

	memset(big, 'x', sizeof(big));
	for (size_t i = 99; i < sizeof(big); i += 100)
		big[i] = '\n';
	write_file(in_tmp("big.env"), big, ENVFILE_MAX + 1);
	errno = 0;
	is_int(envfile_read(in_tmp("big.env"), &ef), -1, "read: a file over ENVFILE_MAX is refused ...");
	is_int(errno, EFBIG, "read: ... with EFBIG");
	write_file(in_tmp("big.env"), big, ENVFILE_MAX + 10);
	errno = 0;
	is_int(envfile_read(in_tmp("big.env"), &ef), -1, "read: a file well over ENVFILE_MAX ...");
	is_int(errno, EFBIG, "read: ... EFBIG");

	big[ENVFILE_MAX - 2] = '\n';
	write_file(in_tmp("big.env"), big, ENVFILE_MAX - 1);
	is_int(envfile_read(in_tmp("big.env"), &ef), 0, "read: a file of ENVFILE_MAX - 1 bytes reads");
	write_file(in_tmp("big.env"), big, ENVFILE_MAX - 2);
	is_int(envfile_read(in_tmp("big.env"), &ef), 0, "read: ENVFILE_MAX - 1 bytes without a final '\\n' ...");
	ok(ef.len == ENVFILE_MAX - 1 && ef.text[ef.len - 1] == '\n', "read: ... gets its '\\n'");

	/* envfile_set lets the text reach exactly ENVFILE_MAX, so a file of that size is one
	 * that envfile_update itself writes; reading it back must work. */
	big[ENVFILE_MAX - 1] = '\n';
	write_file(in_tmp("big.env"), big, ENVFILE_MAX);
	is_int(envfile_read(in_tmp("big.env"), &ef), 0, "read: a file of exactly ENVFILE_MAX bytes reads");

	errno = 0;
	is_int(envfile_read(tmpdir, &ef), -1, "read: a directory is an error");
	is_int(errno, EISDIR, "read: ... EISDIR");
	clean_tmp();
}

static int set_key(struct envfile *ef, void *arg)
{
	return envfile_set(ef, "KEY", arg);
}

static int leave_alone(struct envfile *ef, void *arg)
{
	(void)arg;
	envfile_set(ef, "CHANGED", "yes"); /* must not reach the file */
	return 1;
}

static int fail_eperm(struct envfile *ef, void *arg)
{
	(void)ef;
	(void)arg;
	errno = EPERM;
	return -1;
}

static int add_port(struct envfile *ef, void *arg)
{
	int added = envfile_add_port(ef, *(const uint16_t *)arg, 0);

	return added < 0 ? -1 : added ? 0 : 1;
}

static int fill_exactly(struct envfile *ef, void *arg)
{
	static char value[ENVFILE_MAX];

	(void)arg;
	memset(value, 'v', ENVFILE_MAX - ef->len - 3);
	value[ENVFILE_MAX - ef->len - 3] = '\0';
	return envfile_set(ef, "Z", value); /* "Z=" + value + '\n' */
}

static void test_update(void)
{
	char buf[ENVFILE_MAX + 1], names[512];
	struct stat before, after;
	struct envfile ef;

	is_int(envfile_update(in_tmp("u.env"), set_key, "1"), 0, "update: creates a missing file");
	read_file(in_tmp("u.env"), buf, sizeof(buf));
	is_str(buf, "KEY=1\n", "update: ... with the update's text");
	is_int(dir_entries(names, sizeof(names)), 1, "update: leaves no temporary file");
	is_str(names, "u.env", "update: ... only the env file");

	write_file(in_tmp("u.env"), "OTHER=x\nKEY=1\n", 14);
	stat(in_tmp("u.env"), &before);
	int old = open(in_tmp("u.env"), O_RDONLY);
	is_int(envfile_update(in_tmp("u.env"), set_key, "2"), 0, "update: an existing file");
	read_file(in_tmp("u.env"), buf, sizeof(buf));
	is_str(buf, "OTHER=x\nKEY=2\n", "update: read, changed, written");
	stat(in_tmp("u.env"), &after);
	ok(before.st_ino != after.st_ino, "update: the file is replaced (rename), not rewritten in place");
	ssize_t got = pread(old, buf, sizeof(buf) - 1, 0);
	buf[got < 0 ? 0 : got] = '\0';
	is_str(buf, "OTHER=x\nKEY=1\n", "update: a reader of the old file sees it whole");
	close(old);
	ok((after.st_mode & 0777) == 0644, "update: the new file is mode 0644 (umask 022)");
	is_int(dir_entries(names, sizeof(names)), 1, "update: leaves no temporary file");

	stat(in_tmp("u.env"), &before);
	is_int(envfile_update(in_tmp("u.env"), leave_alone, NULL), 0, "update: returning 1 is success ...");
	stat(in_tmp("u.env"), &after);
	read_file(in_tmp("u.env"), buf, sizeof(buf));
	ok(before.st_ino == after.st_ino && before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
	   before.st_mtim.tv_nsec == after.st_mtim.tv_nsec, "update: ... and leaves the file untouched");
	is_str(buf, "OTHER=x\nKEY=2\n", "update: ... with its text");
	is_int(envfile_update(in_tmp("none.env"), leave_alone, NULL), 0, "update: returning 1 on a missing file ...");
	ok(access(in_tmp("none.env"), F_OK) < 0, "update: ... does not create it");

	errno = 0;
	is_int(envfile_update(in_tmp("u.env"), fail_eperm, NULL), -1, "update: returning -1 fails ...");
	is_int(errno, EPERM, "update: ... with the update's errno");
	read_file(in_tmp("u.env"), buf, sizeof(buf));
	is_str(buf, "OTHER=x\nKEY=2\n", "update: ... and leaves the file as it was");
	is_int(dir_entries(names, sizeof(names)), 1, "update: leaves no temporary file");

	errno = 0;
	is_int(envfile_update(in_tmp("nodir/u.env"), set_key, "1"), -1, "update: a missing directory ...");
	is_int(errno, ENOENT, "update: ... ENOENT");
	errno = 0;
	is_int(envfile_update(in_tmp("dir/"), set_key, "1"), -1, "update: a path ending in '/' ...");
	is_int(errno, EISDIR, "update: ... EISDIR");

	symlink(in_tmp("u.env"), in_tmp("link.env"));
	errno = 0;
	is_int(envfile_update(in_tmp("link.env"), set_key, "3"), -1, "update: through a symlink ...");
	is_int(errno, ELOOP, "update: ... ELOOP");
	read_file(in_tmp("u.env"), buf, sizeof(buf));
	is_str(buf, "OTHER=x\nKEY=2\n", "update: ... and its target is untouched");
	unlink(in_tmp("link.env"));

	/* A temporary file planted where ours goes: a symlink is removed, not followed. */
	char planted[300];
	snprintf(planted, sizeof(planted), ".u.env.%d.tmp", (int)getpid());
	write_file(in_tmp("victim"), "victim\n", 7);
	symlink(in_tmp("victim"), in_tmp(planted));
	is_int(envfile_update(in_tmp("u.env"), set_key, "4"), 0, "update: with a symlink planted as its temp file");
	read_file(in_tmp("victim"), buf, sizeof(buf));
	is_str(buf, "victim\n", "update: ... the symlink's target is untouched");
	read_file(in_tmp("u.env"), buf, sizeof(buf));
	is_str(buf, "OTHER=x\nKEY=4\n", "update: ... and the env file is written");
	unlink(in_tmp("victim"));

	char cwd[4096];
	if (getcwd(cwd, sizeof(cwd)) && chdir(tmpdir) == 0) {
		is_int(envfile_update("rel.env", set_key, "5"), 0, "update: a path without a '/'");
		read_file(in_tmp("rel.env"), buf, sizeof(buf));
		is_str(buf, "KEY=5\n", "update: ... is in the current directory");
		if (chdir(cwd) < 0)
			tap_bail("chdir back: %s", strerror(errno));
	}

	/* A text of exactly ENVFILE_MAX: update writes it, so update must read it back. */
	write_file(in_tmp("full.env"), "", 0);
	is_int(envfile_update(in_tmp("full.env"), fill_exactly, NULL), 0, "update: writes a text of ENVFILE_MAX bytes");
	is_int(envfile_read(in_tmp("full.env"), &ef), 0, "update: ... which envfile_read reads back");
	is_int(envfile_update(in_tmp("full.env"), leave_alone, NULL), 0, "update: ... and the next update can read it");
	clean_tmp();
}

static void test_update_lock_timeout(void)
{
	int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	int lfd = open(in_tmp(".locked.env.lock"), O_RDWR | O_CREAT | O_EXCL, 0600);
	pid_t pid;
	int status = 0;

	if (dfd < 0 || flock(dfd, LOCK_EX) < 0)
		tap_bail("cannot lock %s: %s", tmpdir, strerror(errno));
	is_int(envfile_update(in_tmp("dir-locked.env"), set_key, "1"), 0,
	       "update: a lock on the directory (anyone who can read it can take one) stalls nothing");
	ok(access(in_tmp(".dir-locked.env.lock"), F_OK) < 0, "update: ... and leaves no lock file");
	close(dfd);
	if (lfd < 0 || flock(lfd, LOCK_EX) < 0)
		tap_bail("cannot lock %s: %s", in_tmp(".locked.env.lock"), strerror(errno));
	pid = fork();
	if (pid == 0) {
		alarm(20);
		envfile_set_lock_wait(200); /* the real 5 s would show nothing more */
		errno = 0;
		int rc = envfile_update(in_tmp("locked.env"), set_key, "1");
		_exit(rc == -1 && errno == ETIMEDOUT ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "update: the lock file held by another writer gives up with ETIMEDOUT");
	ok(access(in_tmp("locked.env"), F_OK) < 0, "update: ... and writes nothing");
	close(lfd);
	chmod(in_tmp(".locked.env.lock"), 0644); /* loosened: not trusted, so replaced */
	is_int(envfile_update(in_tmp("locked.env"), set_key, "1"), 0,
	       "update: a lock file others could open is removed and made afresh");
	if (symlink("/nonexistent/epr-lock", in_tmp(".sym.env.lock")) < 0)
		tap_bail("symlink: %s", strerror(errno));
	is_int(envfile_update(in_tmp("sym.env"), set_key, "1"), 0,
	       "update: a symlink at the lock's name is removed, never followed");
	ok(access(in_tmp(".sym.env.lock"), F_OK) < 0 && errno == ENOENT, "update: ... and no lock is left");
	clean_tmp();
}

/* A FIFO at the path must not block the host's listen() forever. */
static void test_update_fifo(void)
{
	pid_t pid;
	int status = 0;

	if (mkfifo(in_tmp("fifo.env"), 0644) < 0)
		tap_bail("mkfifo: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		alarm(1);
		int rc = envfile_update(in_tmp("fifo.env"), set_key, "1");
		_exit(rc == -1 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "update: a FIFO at the path fails instead of blocking");
	if (WIFSIGNALED(status))
		tap_diag("the updater was killed by signal %d (SIGALRM = %d)", WTERMSIG(status), SIGALRM);
	clean_tmp();
}

#define WRITERS 6
#define PORTS_EACH 10

static void test_update_concurrent(void)
{
	pid_t pids[WRITERS];
	int good = 1, status;
	struct envfile ef;
	char names[512];

	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] < 0)
			tap_bail("fork: %s", strerror(errno));
		if (pids[w] == 0) {
			for (int i = 0; i < PORTS_EACH; i++) {
				uint16_t port = (uint16_t)(20000 + w * 100 + i);
				if (envfile_update(in_tmp("race.env"), add_port, &port) < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS; w++)
		good &= waitpid(pids[w], &status, 0) == pids[w] && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	ok(good, "concurrent: %d processes each add %d ports, all succeed", WRITERS, PORTS_EACH);
	is_int(envfile_read(in_tmp("race.env"), &ef), 0, "concurrent: the file reads");

	char list[EPR_MAX_EXPORTS * 6 + 1], num[8];
	int found = 0, commas = 0;
	if (envfile_get(&ef, "EPR_PORT_LIST", list, sizeof(list)) < 0)
		list[0] = '\0';
	for (const char *p = list; *p; p++)
		commas += *p == ',';
	for (int w = 0; w < WRITERS; w++)
		for (int i = 0; i < PORTS_EACH; i++) {
			snprintf(num, sizeof(num), "%d", 20000 + w * 100 + i);
			char *at = strstr(list, num);
			found += at && (at == list || at[-1] == ',') && (at[5] == ',' || at[5] == '\0');
		}
	is_int(found, WRITERS * PORTS_EACH, "concurrent: no port is lost");
	is_int(commas + 1, WRITERS * PORTS_EACH, "concurrent: none is doubled");
	is_int(dir_entries(names, sizeof(names)), 1, "concurrent: no temporary file is left");
	clean_tmp();
}

/* What cannot be written so that sh, docker and systemd all read it back is refused. */
static void test_unsafe_values(void)
{
	static const char *const bad[] = {
		"a;id", "a b", "a'b", "a\"b", "$HOME", "`id`", "$(id)", "a\nEPR_PORT=1", "a\\b",
		"#x", "~/x", "a*", "a?", "a[b]", "a&b", "a|b", "a<b", "a>b", "a\tb", "a\rb", "(x)", "!x",
		"{a,b}", "\xc3\xa9",
	};
	static const char *const good[] = {
		"", "41234", "3306,6379", "/tmp/epr-1.Ab_c/log", "a=b", "user@host:/x", "50%",
		"+-.,:/@%_=",
	};
	struct envfile ef;
	char cmd[256], got[64];
	FILE *sh;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok(!envfile_value_ok(bad[i]), "value_ok: '%s' is refused", bad[i]);
		load(&ef, "A=1\n");
		errno = 0;
		ok(envfile_set(&ef, "K", bad[i]) == -1 && errno == EINVAL && ef.len == 4,
		   "set: '%s' fails with EINVAL and changes nothing", bad[i]);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(envfile_value_ok(good[i]), "value_ok: '%s' passes", good[i]);
	envfile_init(&ef);
	ok(envfile_set(&ef, "A\nB", "1") == -1 && errno == EINVAL, "set: a key with a newline is refused");
	ok(envfile_set(&ef, "A=B", "1") == -1 && errno == EINVAL, "set: a key with '=' is refused");
	ok(envfile_set(&ef, "", "1") == -1 && errno == EINVAL, "set: an empty key is refused");
	ok(envfile_set(&ef, "1A", "1") == -1 && errno == EINVAL, "set: a key starting with a digit is refused");

	/* every character that passes reads back as itself in sh */
	is_int(envfile_update(in_tmp("safe.env"), set_key, (void *)"+-.,:/@%_=Az09"), 0,
	       "update: a value of every safe character is written");
	snprintf(cmd, sizeof(cmd), "sh -c '. \"$1\" && printf %%s \"$KEY\"' sh %s", in_tmp("safe.env"));
	sh = popen(cmd, "r");
	got[0] = '\0';
	if (sh && fgets(got, sizeof(got), sh) == NULL)
		got[0] = '\0';
	if (sh)
		pclose(sh);
	is_str(got, "+-.,:/@%_=Az09", "sh: . reads it back exactly");
	clean_tmp();
}

/* A launch starts its file afresh once, keeps its own, and replaces only an epr file. */
static void test_claim(void)
{
	struct envfile ef;

	envfile_init(&ef);
	ok(envfile_is_epr(&ef), "is_epr: an empty file is");
	is_int(envfile_claim(&ef, "00ff"), 1, "claim: an empty file is started afresh");
	is_str(text(&ef), "EPR_LAUNCH=00ff\n", "claim: ... holding just EPR_LAUNCH");
	load(&ef, "EPR_LAUNCH=00ff\nEPR_PORT=1\nEPR_PID=7\n");
	is_int(envfile_claim(&ef, "00ff"), 0, "claim: the launch's own file is kept");
	is_str(text(&ef), "EPR_LAUNCH=00ff\nEPR_PORT=1\nEPR_PID=7\n", "claim: ... as it was");
	is_int(envfile_claim(&ef, "abcd"), 1, "claim: another launch's file is started afresh");
	is_str(text(&ef), "EPR_LAUNCH=abcd\n", "claim: ... without its ports");
	load(&ef, "EPR_PORT=1\nEPR_PORT_LIST=1\n");
	is_int(envfile_claim(&ef, "abcd"), 1, "claim: an epr file without EPR_LAUNCH is an earlier launch's");
	load(&ef, "EPR_PORT=1\nnotes\n");
	errno = 0;
	ok(envfile_claim(&ef, "abcd") == -1 && errno == EEXIST, "claim: a line that is no key: EEXIST");
	is_str(text(&ef), "EPR_PORT=1\nnotes\n", "claim: ... and nothing changed");
	load(&ef, "HOME=/root\n");
	ok(!envfile_is_epr(&ef), "is_epr: another key makes it not an epr file");
	load(&ef, "EPR_\n");
	ok(!envfile_is_epr(&ef), "is_epr: EPR_ without '=' is not a key line");
}

/* envfile_replace: the single writer's write and rename, with no lock file. */
static void test_replace(void)
{
	struct envfile ef;
	char buf[256], names[256];

	clean_tmp();
	load(&ef, "EPR_PORT=1\n");
	is_int(envfile_replace(in_tmp("r.env"), &ef), 0, "replace: creates a missing file");
	read_file(in_tmp("r.env"), buf, sizeof buf);
	is_str(buf, "EPR_PORT=1\n", "replace: ... with the text");
	load(&ef, "EPR_PORT=2\n");
	is_int(envfile_replace(in_tmp("r.env"), &ef), 0, "replace: an existing file");
	read_file(in_tmp("r.env"), buf, sizeof buf);
	is_str(buf, "EPR_PORT=2\n", "replace: ... with the new text");
	dir_entries(names, sizeof names);
	is_str(names, "r.env", "replace: no temporary or lock file is left");
	if (symlink(in_tmp("target"), in_tmp("link.env")) != 0)
		tap_bail("symlink: %s", strerror(errno));
	is_int(envfile_replace(in_tmp("link.env"), &ef), 0, "replace: a symlink at the path ...");
	ok(access(in_tmp("target"), F_OK) != 0, "replace: ... is replaced, never followed");
	is_int(envfile_replace(in_tmp("nodir/r.env"), &ef), -1, "replace: a missing directory ...");
	is_int(errno, ENOENT, "replace: ... fails with ENOENT");
	clean_tmp();
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		tap_bail("mkdtemp: %s", strerror(errno));
	umask(022);
	test_get_set();
	test_set_full();
	test_add_port();
	test_add_port_cap();
	test_read();
	test_update();
	test_update_concurrent();
	test_update_fifo();
	test_update_lock_timeout();
	test_unsafe_values();
	test_claim();
	test_replace();
	clean_tmp();
	rmdir(tmpdir);
	return tap_done();
}
