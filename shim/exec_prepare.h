/* Before a process of a launch (under epr run or start) execs: a program libepr.so will not
 * be loaded into (static, Go, setuid, or given an environment without it) gets epr's seccomp
 * filter first, whose listener the supervisor then serves; a program of another class or
 * machine is refused. Outside a launch nothing is done. No malloc, no stdio: the hooks run
 * in fork and vfork children. */
#ifndef EPR_EXEC_PREPARE_H
#define EPR_EXEC_PREPARE_H

#include <stdbool.h>

/* Whether this process belongs to a launch: otherwise the hooks pass straight through. */
bool exec_watched(void);

/* For the program at path (relative to dirfd, AT_FDCWD for the cwd; with empty_path and
 * path "", dirfd itself), about to be run with envp: 0 to go on, or -1 with errno set and
 * a libepr: line said, to fail the exec. errno is kept when it returns 0. */
int exec_prepare_at(int dirfd, const char *path, bool empty_path, bool nofollow,
		    char *const envp[]);

/* The same for file as execvp and posix_spawnp find it in $PATH. */
int exec_prepare_search(const char *file, char *const envp[]);

/* Finds libepr.so's own path, while the process is still single-threaded. */
void exec_prepare_init(void);

#endif
