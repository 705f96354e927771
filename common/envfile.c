/* The env file: edited as text in a fixed buffer, replaced atomically under a lock file
 * of its own. No stdio and no malloc: the shim calls this from inside the host's listen(). */
#include "envfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h> /* renameat() only */
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "epr_env.h"

/* a writer holds the lock for microseconds; a stuck one must not hang us */
static int lock_wait_ms = 5000;

void envfile_set_lock_wait(int ms)
{
	lock_wait_ms = ms;
}

void envfile_init(struct envfile *ef)
{
	ef->len = 0;
}

/* The offset of the line "key=...", or -1. */
static long line_of(const struct envfile *ef, const char *key)
{
	size_t klen = strlen(key);

	for (size_t at = 0; at < ef->len;) {
		const char *nl = memchr(ef->text + at, '\n', ef->len - at);
		size_t end = nl ? (size_t)(nl - ef->text) : ef->len;

		if (end - at > klen && memcmp(ef->text + at, key, klen) == 0 && ef->text[at + klen] == '=')
			return (long)at;
		at = end + 1;
	}
	return -1;
}

int envfile_get(const struct envfile *ef, const char *key, char *out, size_t cap)
{
	long at = line_of(ef, key);

	if (at < 0)
		return -1;
	const char *value = ef->text + at + strlen(key) + 1;
	const char *nl = memchr(value, '\n', ef->len - (size_t)(value - ef->text));
	size_t vlen = nl ? (size_t)(nl - value) : ef->len - (size_t)(value - ef->text);

	if (vlen >= cap)
		return -1;
	memcpy(out, value, vlen);
	out[vlen] = '\0';
	return (int)vlen;
}

/* sh's ".", docker --env-file and systemd EnvironmentFile= disagree on quotes, escapes,
 * "#", "~" and spaces; these characters mean themselves in all three. */
static const char value_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				  "0123456789_-+=.,:/@%";

int envfile_value_ok(const char *value)
{
	return value[strspn(value, value_chars)] == '\0';
}

int envfile_key_ok(const char *key)
{
	if (!((*key >= 'A' && *key <= 'Z') || (*key >= 'a' && *key <= 'z') || *key == '_'))
		return 0;
	for (key++; *key; key++)
		if (!((*key >= 'A' && *key <= 'Z') || (*key >= 'a' && *key <= 'z') ||
		      (*key >= '0' && *key <= '9') || *key == '_'))
			return 0;
	return 1;
}

int envfile_set(struct envfile *ef, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value), need = klen + 1 + vlen + 1;
	long at;
	size_t start, old = 0;

	if (!envfile_key_ok(key) || !envfile_value_ok(value)) {
		errno = EINVAL;
		return -1;
	}
	at = line_of(ef, key);
	start = at < 0 ? ef->len : (size_t)at;
	if (at >= 0) {
		const char *nl = memchr(ef->text + start, '\n', ef->len - start);
		old = (nl ? (size_t)(nl - ef->text) + 1 : ef->len) - start;
	}
	if (ef->len - old + need > sizeof(ef->text)) {
		errno = ENOSPC;
		return -1;
	}
	memmove(ef->text + start + need, ef->text + start + old, ef->len - start - old);
	memcpy(ef->text + start, key, klen);
	ef->text[start + klen] = '=';
	memcpy(ef->text + start + klen + 1, value, vlen);
	ef->text[start + need - 1] = '\n';
	ef->len = ef->len - old + need;
	return 0;
}

/* Writes the decimal form of n into buf (at least 6 bytes); returns its length. */
static size_t format_port(char *buf, unsigned n)
{
	char tmp[6];
	size_t len = 0;

	do
		tmp[len++] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	for (size_t i = 0; i < len; i++)
		buf[i] = tmp[len - 1 - i];
	buf[len] = '\0';
	return len;
}

static int list_has(const char *list, const char *port)
{
	size_t plen = strlen(port);

	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == plen && memcmp(p, port, len) == 0)
			return 1;
		p += len + (comma != NULL);
	}
	return 0;
}

int envfile_add_port(struct envfile *ef, uint16_t port, uint16_t sentinel)
{
	char list[EPR_MAX_EXPORTS * 6 + 1], num[6], key[sizeof(EPR_KEY_PORT_PREFIX) + 6];
	size_t count = 0;
	int changed = 0;

	format_port(num, port);
	if (envfile_get(ef, EPR_KEY_PORT_LIST, list, sizeof(list)) < 0)
		list[0] = '\0';
	if (!list_has(list, num)) {
		for (const char *p = list; *p; p++)
			count += *p == ',';
		if (list[0] && count + 1 >= EPR_MAX_EXPORTS) {
			errno = ENOSPC;
			return -1;
		}
		size_t len = strlen(list);
		if (len)
			list[len++] = ',';
		memcpy(list + len, num, strlen(num) + 1);
		changed = 1;
	}
	if (line_of(ef, EPR_KEY_PORT) < 0) {
		if (envfile_set(ef, EPR_KEY_PORT, num) < 0)
			return -1;
		changed = 1;
	}
	if (sentinel) {
		char old[8];
		memcpy(key, EPR_KEY_PORT_PREFIX, sizeof(EPR_KEY_PORT_PREFIX) - 1);
		format_port(key + sizeof(EPR_KEY_PORT_PREFIX) - 1, sentinel);
		if (envfile_get(ef, key, old, sizeof(old)) < 0 || strcmp(old, num) != 0) {
			if (envfile_set(ef, key, num) < 0)
				return -1;
			changed = 1;
		}
	}
	if (changed && envfile_set(ef, EPR_KEY_PORT_LIST, list) < 0)
		return -1;
	return changed;
}

int envfile_is_epr(const struct envfile *ef)
{
	for (size_t at = 0; at < ef->len;) {
		const char *nl = memchr(ef->text + at, '\n', ef->len - at);
		size_t end = nl ? (size_t)(nl - ef->text) : ef->len;
		const char *eq = memchr(ef->text + at, '=', end - at);

		if (end - at < 5 || memcmp(ef->text + at, "EPR_", 4) != 0 || eq == NULL)
			return 0;
		at = end + 1;
	}
	return 1;
}

int envfile_claim(struct envfile *ef, const char *id)
{
	char old[64];

	if (envfile_get(ef, EPR_KEY_LAUNCH, old, sizeof(old)) >= 0 && strcmp(old, id) == 0)
		return 0;
	if (!envfile_is_epr(ef)) {
		errno = EEXIST;
		return -1;
	}
	envfile_init(ef);
	return envfile_set(ef, EPR_KEY_LAUNCH, id) < 0 ? -1 : 1;
}

/* The directory and base name of path, split into dir (NUL-terminated) and *base. */
static int split_path(const char *path, char *dir, size_t cap, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 1;

	if (!slash)
		memcpy(dir, ".", 2);
	else if (dlen == 0)
		memcpy(dir, "/", 2);
	else if (dlen >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	} else {
		memcpy(dir, path, dlen);
		dir[dlen] = '\0';
	}
	*base = slash ? slash + 1 : path;
	if (**base == '\0') {
		errno = EISDIR;
		return -1;
	}
	return 0;
}

static int read_fail(int fd, int err)
{
	close(fd);
	errno = err;
	return -1;
}

/* Reads the whole file into ef. O_NONBLOCK and the regular-file check: a FIFO planted at
 * the path must not block the host's listen() (which holds the lock) forever. */
static int read_at(int dirfd, const char *base, struct envfile *ef)
{
	int fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;

	ef->len = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0)
		return read_fail(fd, errno);
	if (!S_ISREG(st.st_mode))
		return read_fail(fd, S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
	for (;;) {
		char probe;
		ssize_t got = ef->len < sizeof(ef->text)
				      ? read(fd, ef->text + ef->len, sizeof(ef->text) - ef->len)
				      : read(fd, &probe, 1); /* full: is there more? */

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return read_fail(fd, errno);
		if (got == 0)
			break;
		if (ef->len == sizeof(ef->text))
			return read_fail(fd, EFBIG);
		ef->len += (size_t)got;
	}
	close(fd);
	if (ef->len && ef->text[ef->len - 1] != '\n') {
		if (ef->len == sizeof(ef->text)) {
			errno = EFBIG;
			return -1;
		}
		ef->text[ef->len++] = '\n';
	}
	return 0;
}

int envfile_read(const char *path, struct envfile *ef)
{
	return read_at(AT_FDCWD, path, ef);
}

/* Waits for an exclusive flock on fd, taking the milliseconds from *budget. */
static int lock_wait(int fd, int *budget)
{
	struct timespec pause = { 0, 1000000 };

	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (*budget <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&pause, NULL);
		--*budget;
	}
	return 0;
}

/* ".<base>.lock" beside the file. */
static int lock_name(char *out, size_t cap, const char *base)
{
	size_t blen = strlen(base);

	if (blen + 7 > cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	out[0] = '.';
	memcpy(out + 1, base, blen);
	memcpy(out + 1 + blen, ".lock", 6);
	return 0;
}

/* A lock file only we (or the directory's owner) can open, so only we can lock it: mode
 * 0600, owned by us or by the directory's owner, who can do anything there anyway. */
static int trusted_lock(int fd, const struct stat *dir)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) == 0 &&
	       (st.st_uid == geteuid() || st.st_uid == dir->st_uid);
}

/* Root in another user's directory (epr start, a server that dropped root: postgres) makes
 * the lock that user's, so that both can open it. */
static void give_to_dir_owner(int fd, const struct stat *dir)
{
	struct stat st;

	if (geteuid() != 0 || dir->st_uid == 0 || fstat(fd, &st) < 0 || st.st_uid != 0)
		return;
	if (fchown(fd, dir->st_uid, (gid_t)-1) < 0)
		return; /* it stays root's; the owner's writers then fail with EACCES, not a wait */
}

/* Takes the writers' lock: an flock on ".<base>.lock", which the writer that holds it
 * removes when it is done. Not the directory: anyone who can read a directory can flock it,
 * and in /tmp that would stall every listen(). A lock file left by another user is removed
 * if we may (our own directory, or root); else EPERM at once, never a wait. Returns the
 * locked fd. */
static int lock_writers(int dirfd, const char *name)
{
	struct stat dir, st, now;
	int budget = lock_wait_ms;

	if (fstat(dirfd, &dir) < 0)
		return -1;
	/* each lap either waits (from the budget) or finds the lock file changed under it */
	for (int lap = 0; lap < 100000; lap++) {
		int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);

		if (fd < 0) {
			int err = errno;
			/* a symlink, or EACCES on another user's file, is that file's fault (removed
			 * below, if we may); any other error is the directory's */
			if (err != ELOOP && (err != EACCES || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
					     st.st_uid == geteuid())) {
				errno = err;
				return -1;
			}
		}
		if (fd < 0 || !trusted_lock(fd, &dir)) {
			if (fd >= 0)
				close(fd);
			if (unlinkat(dirfd, name, 0) < 0) {
				errno = EPERM;
				return -1;
			}
			continue;
		}
		give_to_dir_owner(fd, &dir);
		if (lock_wait(fd, &budget) < 0) {
			int err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		/* the writer before us may have removed (and another re-made) the name meanwhile */
		if (fstat(fd, &st) == 0 && fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_dev == now.st_dev && st.st_ino == now.st_ino)
			return fd;
		close(fd);
	}
	errno = ETIMEDOUT;
	return -1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t put = write(fd, buf, len);

		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0)
			return -1;
		buf += put;
		len -= (size_t)put;
	}
	return 0;
}

/* Names the temporary file ".<base>.<pid>.tmp" so that writers never share one. */
static int temp_name(char *out, size_t cap, const char *base)
{
	size_t blen = strlen(base);
	char pid[12];
	size_t plen = 0;
	unsigned long n = (unsigned long)getpid();

	do
		pid[plen++] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	if (blen + plen + 7 > cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	char *p = out;
	*p++ = '.';
	memcpy(p, base, blen);
	p += blen;
	*p++ = '.';
	while (plen)
		*p++ = pid[--plen];
	memcpy(p, ".tmp", 5);
	return 0;
}

static int replace_at(int dirfd, const char *base, const struct envfile *ef)
{
	char tmp[NAME_MAX + 1];
	int fd, saved;

	if (temp_name(tmp, sizeof(tmp), base) < 0)
		return -1;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		/* Left by a dead writer with our pid, or planted: unlinkat removes a symlink itself. */
		unlinkat(dirfd, tmp, 0);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return -1;
	int written = write_all(fd, ef->text, ef->len);
	saved = errno;
	if (close(fd) < 0 && written == 0) {
		written = -1;
		saved = errno;
	}
	if (written < 0) {
		unlinkat(dirfd, tmp, 0);
		errno = saved;
		return -1;
	}
	if (renameat(dirfd, tmp, dirfd, base) < 0) {
		saved = errno;
		unlinkat(dirfd, tmp, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

int envfile_update(const char *path, int (*update)(struct envfile *ef, void *arg), void *arg)
{
	char dir[4096], lock[NAME_MAX + 1];
	const char *base;
	struct envfile ef;
	int dirfd, lockfd, rc = -1, saved;

	if (split_path(path, dir, sizeof(dir), &base) < 0 || lock_name(lock, sizeof(lock), base) < 0)
		return -1;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -1;
	lockfd = lock_writers(dirfd, lock);
	if (lockfd >= 0) {
		if (read_at(dirfd, base, &ef) == 0) {
			int what = update(&ef, arg);

			rc = what < 0 ? -1 : what == 1 ? 0 : replace_at(dirfd, base, &ef);
		}
		saved = errno;
		unlinkat(dirfd, lock, 0); /* while still held: the next writer makes a fresh one */
		close(lockfd);
		errno = saved;
	}
	saved = errno;
	close(dirfd);
	errno = saved;
	return rc;
}

int envfile_replace(const char *path, const struct envfile *ef)
{
	char dir[4096];
	const char *base;
	int dirfd, rc, saved;

	if (split_path(path, dir, sizeof(dir), &base) < 0)
		return -1;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -1;
	rc = replace_at(dirfd, base, ef);
	saved = errno;
	close(dirfd);
	errno = saved;
	return rc;
}
