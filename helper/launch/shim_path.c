/* Finding libepr.so: $EPR_LIB, else next to this executable (a build tree), else in its
 * ../lib/epr/ (an install). Never the current directory: proxychains' CVE-2015-3887. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "epr_env.h"

static bool is_regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* LD_PRELOAD splits on spaces and colons, so a path holding one cannot be preloaded. path
 * is realpath()'s, NULL when it failed. */
static char *checked(char *path, const char *origin)
{
	if (!path)
		cli_fail("%s: %s", origin, strerror(errno));
	if (strpbrk(path, " :\t\n"))
		cli_fail("%s: '%s' contains a space or a colon, which LD_PRELOAD cannot carry",
			 origin, path);
	return path;
}

static char *from_env(const char *value)
{
	char *path;

	if (!*value)
		cli_fail(EPR_ENV_LIB " is set but empty");
	path = realpath(value, NULL);
	if (!path)
		cli_fail(EPR_ENV_LIB ": '%s': %s", value, strerror(errno));
	if (!is_regular_file(path))
		cli_fail(EPR_ENV_LIB ": '%s' is not a regular file", value);
	return checked(path, EPR_ENV_LIB);
}

char *shim_path_find(void)
{
	char exe[PATH_MAX], beside[PATH_MAX + 16], installed[PATH_MAX + 32];
	const char *value = getenv(EPR_ENV_LIB);
	ssize_t n;
	char *slash;

	if (value)
		return from_env(value);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0)
		cli_fail("cannot find libepr.so: /proc/self/exe: %s; set " EPR_ENV_LIB,
			 strerror(errno));
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0'; /* the kernel's path is absolute, so there is a slash */
	snprintf(beside, sizeof beside, "%s/libepr.so", exe);
	snprintf(installed, sizeof installed, "%s/../lib/epr/libepr.so", exe);
	/* realpath: LD_PRELOAD then names the library plainly, without "bin/../" */
	if (is_regular_file(beside))
		return checked(realpath(beside, NULL), "libepr.so");
	if (is_regular_file(installed))
		return checked(realpath(installed, NULL), "libepr.so");
	cli_fail("cannot find libepr.so (looked in %s, %s; set " EPR_ENV_LIB ")", beside, installed);
}
