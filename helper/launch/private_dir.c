/* The private directory that epr start makes when no -e is given: it holds the env file
 * and the log, and goes away with the server. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

char *private_dir_create(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (asprintf(&dir, "%s/epr.XXXXXX", tmp) < 0)
		cli_fail("out of memory");
	if (!mkdtemp(dir))
		cli_fail("creating a directory in %s: %s", tmp, strerror(errno));
	return dir;
}

/* Only a directory named as private_dir_create names them is removed, and only its files:
 * the name comes from an env file, which is not proof that the directory is ours. */
int private_dir_remove(const char *dir)
{
	const char *base = strrchr(dir, '/');
	struct dirent *d;
	DIR *handle;
	int fd;

	base = base ? base + 1 : dir;
	if (strncmp(base, "epr.", 4) != 0 || strlen(base) != 10) {
		errno = EPERM;
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	handle = fdopendir(fd);
	if (!handle) {
		close(fd);
		return -1;
	}
	while ((d = readdir(handle)))
		if (d->d_type != DT_DIR)
			unlinkat(fd, d->d_name, 0);
	closedir(handle);
	return rmdir(dir) == 0 || errno == ENOENT ? 0 : -1;
}
