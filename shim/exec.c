/* The exec family, hooked so that a wrapper (sh -c 'exec ...', a script, env, timeout,
 * setpriv, python's subprocess) inside a launch cannot hand a static or Go server past
 * epr: each hook asks exec_prepare, then calls the next definition in the symbol chain.
 * The next definitions are looked up at load, while the process is single-threaded: a fork
 * child of a threaded host must not take the loader's lock. Outside a launch each hook is
 * one check and the real call. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include "exec_prepare.h"
#include "log.h"

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[], int);
typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			const posix_spawnattr_t *, char *const[], char *const[]);

enum next { N_EXECVE, N_EXECV, N_EXECVP, N_EXECVPE, N_FEXECVE, N_EXECVEAT, N_SPAWN, N_SPAWNP, N_COUNT };

static const char *const names[N_COUNT] = { "execve", "execv", "execvp", "execvpe", "fexecve",
					     "execveat", "posix_spawn", "posix_spawnp" };
static void *next_fn[N_COUNT];

/* Our own definitions, which a lookup must not return. */
static void *own(enum next n)
{
	static void *const mine[N_COUNT] = { (void *)execve, (void *)execv, (void *)execvp,
					     (void *)execvpe, (void *)fexecve, (void *)execveat,
					     (void *)posix_spawn, (void *)posix_spawnp };
	return mine[n];
}

static void *lookup(enum next n)
{
	void *sym = dlsym(RTLD_NEXT, names[n]);

	return sym == own(n) ? NULL : sym;
}

__attribute__((constructor)) static void exec_hooks_at_load(void)
{
	exec_prepare_init();
	for (int n = 0; n < N_COUNT; n++)
		__atomic_store_n(&next_fn[n], lookup((enum next)n), __ATOMIC_RELEASE);
}

/* The next definition; one that a hook called before our constructor looks up itself. */
static void *next(enum next n)
{
	void *fn = __atomic_load_n(&next_fn[n], __ATOMIC_ACQUIRE);

	if (!fn) {
		fn = lookup(n);
		if (fn)
			__atomic_store_n(&next_fn[n], fn, __ATOMIC_RELEASE);
		else
			errno = ENOSYS;
	}
	return fn;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	execve_fn fn = (execve_fn)next(N_EXECVE);

	if (!fn || exec_prepare_at(AT_FDCWD, path, false, false, envp) < 0)
		return -1;
	return fn(path, argv, envp);
}

int execv(const char *path, char *const argv[])
{
	execv_fn fn = (execv_fn)next(N_EXECV);

	if (!fn || exec_prepare_at(AT_FDCWD, path, false, false, environ) < 0)
		return -1;
	return fn(path, argv);
}

int execvp(const char *file, char *const argv[])
{
	execv_fn fn = (execv_fn)next(N_EXECVP);

	if (!fn || exec_prepare_search(file, environ) < 0)
		return -1;
	return fn(file, argv);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	execve_fn fn = (execve_fn)next(N_EXECVPE);

	if (!fn || exec_prepare_search(file, envp) < 0)
		return -1;
	return fn(file, argv, envp);
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
	fexecve_fn fn = (fexecve_fn)next(N_FEXECVE);

	if (!fn || exec_prepare_at(fd, "", true, false, envp) < 0)
		return -1;
	return fn(fd, argv, envp);
}

int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	execveat_fn fn = (execveat_fn)next(N_EXECVEAT);

	if (!fn || exec_prepare_at(dirfd, path, (flags & AT_EMPTY_PATH) && !*path,
				   flags & AT_SYMLINK_NOFOLLOW, envp) < 0)
		return -1;
	return fn(dirfd, path, argv, envp, flags);
}

/* posix_spawn answers an error number. The filter goes into the caller, whose child
 * inherits it: glibc's child execs without a hookable call. */
int posix_spawn(pid_t *restrict pid, const char *restrict path,
		const posix_spawn_file_actions_t *restrict actions,
		const posix_spawnattr_t *restrict attr, char *const argv[restrict],
		char *const envp[restrict])
{
	spawn_fn fn = (spawn_fn)next(N_SPAWN);
	int saved = errno, err;

	if (!fn || exec_prepare_at(AT_FDCWD, path, false, false, envp) < 0) {
		err = errno;
		errno = saved;
		return err;
	}
	return fn(pid, path, actions, attr, argv, envp);
}

int posix_spawnp(pid_t *restrict pid, const char *restrict file,
		 const posix_spawn_file_actions_t *restrict actions,
		 const posix_spawnattr_t *restrict attr, char *const argv[restrict],
		 char *const envp[restrict])
{
	spawn_fn fn = (spawn_fn)next(N_SPAWNP);
	int saved = errno, err;

	if (!fn || exec_prepare_search(file, envp) < 0) {
		err = errno;
		errno = saved;
		return err;
	}
	return fn(pid, file, actions, attr, argv, envp);
}

/* The execl forms: their arguments gathered into an array on the stack, as libc does. */
#define GATHER(first, ap, argv, then_envp)                                                  \
	size_t argc = 1;                                                                    \
	va_start(ap, first);                                                                \
	while (va_arg(ap, const char *))                                                    \
		argc++;                                                                     \
	va_end(ap);                                                                         \
	char *argv[argc + 1];                                                               \
	argv[0] = (char *)(first);                                                          \
	va_start(ap, first);                                                                \
	for (size_t i_ = 1; i_ <= argc; i_++)                                               \
		argv[i_] = va_arg(ap, char *);                                              \
	then_envp;                                                                          \
	va_end(ap)

int execl(const char *path, const char *arg, ...)
{
	va_list ap;

	GATHER(arg, ap, argv, (void)0);
	return execve(path, argv, environ);
}

int execlp(const char *file, const char *arg, ...)
{
	va_list ap;

	GATHER(arg, ap, argv, (void)0);
	return execvp(file, argv);
}

int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char *const *envp;

	GATHER(arg, ap, argv, envp = va_arg(ap, char *const *));
	return execve(path, argv, envp);
}
