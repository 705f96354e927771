/* Finding CMD the way execvp does, so that epr can inspect the program it will run. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* 1: an executable regular file; 0: absent; -1: there but not executable (EACCES). */
static int executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (S_ISDIR(st.st_mode) || access(path, X_OK) != 0)
		return -1;
	return 1;
}

char *command_path_resolve(const char *name)
{
	const char *path = getenv("PATH");
	bool denied = false;
	const char *dir, *end;

	if (!*name) {
		errno = ENOENT;
		return NULL;
	}
	if (strchr(name, '/')) {
		int ok = executable(name);

		if (ok > 0)
			return strdup(name);
		errno = ok == 0 ? ENOENT : EACCES;
		return NULL;
	}
	/* execvp's default when PATH is unset. */
	if (!path)
		path = "/bin:/usr/bin";
	for (dir = path;; dir = end + 1) {
		size_t dirlen;
		char *candidate;
		int ok;

		end = strchrnul(dir, ':');
		dirlen = (size_t)(end - dir);
		candidate = malloc(dirlen + strlen(name) + 3);
		if (!candidate)
			cli_fail("out of memory");
		/* An empty PATH entry means the current directory, as in execvp. */
		if (dirlen == 0)
			strcpy(candidate, "./");
		else {
			memcpy(candidate, dir, dirlen);
			strcpy(candidate + dirlen, "/");
		}
		strcat(candidate, name);
		ok = executable(candidate);
		if (ok > 0)
			return candidate;
		free(candidate);
		denied |= ok < 0;
		if (!*end)
			break;
	}
	errno = denied ? EACCES : ENOENT;
	return NULL;
}

int command_exec_status(int err)
{
	return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}
