/* The env file: KEY=VALUE lines, no quotes, read back exactly by sh's ".", docker
 * --env-file and systemd EnvironmentFile=. Held in a fixed buffer so that the shim never mallocs. */
#ifndef EPR_ENVFILE_H
#define EPR_ENVFILE_H

#include <stddef.h>
#include <stdint.h>

#define ENVFILE_MAX 8192

struct envfile {
	size_t len;
	char text[ENVFILE_MAX]; /* always whole lines, each ending in '\n' */
};

void envfile_init(struct envfile *ef);

/* Copies the value of key into out (NUL-terminated). Returns its length, or -1 if absent
 * or if it does not fit. */
int envfile_get(const struct envfile *ef, const char *key, char *out, size_t cap);

/* Whether value reads back as exactly itself in sh's ".", docker --env-file and systemd
 * EnvironmentFile= alike: only letters, digits and "_-+=.,:/@%" (ports, plain paths).
 * Anything else (spaces, quotes, "$", "`", ";", "#", "~", "\\", a newline) is refused. */
int envfile_value_ok(const char *value);

/* Whether key is a shell variable name: [A-Za-z_][A-Za-z0-9_]*. */
int envfile_key_ok(const char *key);

/* Sets key to value, replacing its line or appending one. -1 with errno EINVAL if the key
 * or the value fails the checks above, ENOSPC if it does not fit; ef is then unchanged. */
int envfile_set(struct envfile *ef, const char *key, const char *value);

/* Records that port is listening, for sentinel (0: a port-0 bind): appends it to EPR_PORTS,
 * sets EPR_PORT if unset and EPR_PORT_<sentinel>. Returns 1 if recorded, 0 if it was
 * already there, -1 with errno ENOSPC when EPR_MAX_EXPORTS ports are already recorded. */
int envfile_add_port(struct envfile *ef, uint16_t port, uint16_t sentinel);

/* Whether ef looks like a file epr wrote: every line an EPR_ key (an empty file counts). */
int envfile_is_epr(const struct envfile *ef);

/* Makes ef the file of launch id before the launch writes it: kept if its EPR_LAUNCH is id
 * already (0); started afresh, holding just EPR_LAUNCH=id, if it is empty or an earlier
 * launch's epr file (1); -1 with errno EEXIST if it holds anything but EPR_ keys, which is
 * not epr's to replace. */
int envfile_claim(struct envfile *ef, const char *id);

/* Reads path into ef; a missing file reads as empty. Refuses a symlink (ELOOP), a
 * directory (EISDIR), anything else that is not a regular file such as a FIFO (EINVAL)
 * and a file over ENVFILE_MAX (EFBIG). 0, or -1 with errno set. */
int envfile_read(const char *path, struct envfile *ef);

/* Read-modify-write of path under an exclusive lock on ".<base>.lock" beside it (mode
 * 0600, removed when done; one another user left is removed, or EPERM), so that concurrent
 * writers (threads, processes of one tree, epr start) lose no entry. update() changes ef
 * and returns 0 to write it, 1 to leave the file as it is, -1 (errno set) to fail. The
 * file is replaced atomically: a temporary file created with O_EXCL in the same directory
 * (never through a symlink), then rename(). Waits for the lock for a bounded time
 * (ETIMEDOUT). 0, or -1 with errno set; nothing is left behind on failure. */
int envfile_update(const char *path, int (*update)(struct envfile *ef, void *arg), void *arg);

/* How long envfile_update waits for the lock, in milliseconds (5000 unless set). The unit
 * tests shorten it, so that a test of the timeout does not wait out the real one. */
void envfile_set_lock_wait(int ms);

/* Writes ef to path for a file with a single writer (a registry entry; the env file of a
 * supervised launch, whose supervisor holds the file's claim): the same atomic replacement
 * as envfile_update, without its lock. 0, or -1 with errno set; nothing left on failure. */
int envfile_replace(const char *path, const struct envfile *ef);

#endif
