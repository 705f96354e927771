/* What a process of a launch does before it execs (see exec_prepare.h): classify the program
 * from its ELF headers (common/elf_kind.c), and for one libepr.so will not be loaded into,
 * load epr's seccomp filter (common/seccomp_bpf.c) and hand its listener to the supervisor
 * (LAUNCH_NOTIFIER) before the exec goes on. Anything that fails fails the exec: the
 * program never runs with its binds uncaught. */
#include "exec_prepare.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "config.h"
#include "elf_kind.h"
#include "epr_env.h"
#include "launch_wire.h"
#include "log.h"
#include "seccomp_bpf.h"
#include "supervised.h"

#define SCRIPT_DEPTH 4    /* "#!" interpreters the kernel follows (BINPRM_MAX_RECURSION) */
#define SCRIPT_LINE  256  /* the kernel reads no more of a "#!" line */

enum need {
	NEED_NOTHING,  /* the shim will be loaded into it, or the exec fails on its own */
	NEED_FILTER,   /* static, Go, secure mode, or an environment without the shim */
	NEED_REFUSAL,  /* of another class or machine: nothing of ours reaches it */
};

struct program {
	enum need need;
	struct elf_facts facts;
	bool regular;      /* a regular file, which the exec may run */
	bool setid;        /* its setuid or setgid bit changes this process's ids */
	dev_t dev;         /* which file it is, to say a refusal once */
	ino_t ino;
};

static char self_path[PATH_MAX]; /* libepr.so as the loader found it, for LD_PRELOAD */

void exec_prepare_init(void)
{
	Dl_info info;

	if (dladdr((void *)exec_prepare_init, &info) && info.dli_fname &&
	    strlen(info.dli_fname) < sizeof(self_path))
		strcpy(self_path, info.dli_fname);
}

bool exec_watched(void)
{
	return config_get()->supervisor[0] != '\0';
}

static const char *env_value(char *const envp[], const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* Whether list (LD_PRELOAD: colon- or space-separated) names this libepr.so. */
static bool names_self(const char *list)
{
	const char *base = strrchr(self_path, '/');

	base = base ? base + 1 : self_path;
	while (*list) {
		size_t n = strcspn(list, ": ");

		if (n && ((n == strlen(self_path) && strncmp(list, self_path, n) == 0) ||
			  (memchr(list, '/', n) == NULL && n == strlen(base) && strncmp(list, base, n) == 0)))
			return true;
		list += n + (list[n] != '\0');
	}
	return false;
}

/* Whether envp names the supervisor of another launch: an epr inside this launch, whose
 * own supervisor's child execs its command. */
static bool other_launch(char *const envp[])
{
	const char *supervisor = env_value(envp, EPR_ENV_SUPERVISOR);

	return supervisor && *supervisor && strcmp(supervisor, config_get()->supervisor) != 0;
}

/* Whether the next image gets the shim and this launch's supervisor from envp. */
static bool keeps_shim(char *const envp[])
{
	const char *preload = env_value(envp, "LD_PRELOAD");
	const char *supervisor = env_value(envp, EPR_ENV_SUPERVISOR);

	if (!preload || !supervisor || strcmp(supervisor, config_get()->supervisor) != 0)
		return false;
	if (!self_path[0]) { /* not found at load: trust what this process was given */
		const char *own = getenv("LD_PRELOAD");
		return own && strcmp(own, preload) == 0;
	}
	return names_self(preload);
}

/* The ids after the exec of the file fd (-1: not open) with st (setuid and setgid bits
 * apply unless no_new_privs or a nosuid mount says not): *secure when the loader will run in secure mode and drop LD_PRELOAD,
 * *setid when a bit changes them. File capabilities count as secure, not setid: under
 * no_new_privs the program runs without them. */
static void ids_after(int fd, const struct stat *st, bool *secure, bool *setid)
{
	uid_t ruid, euid, suid, nuid;
	gid_t rgid, egid, sgid, ngid;
	struct statvfs vfs;
	bool bits = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 &&
		    !(fd >= 0 && fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_NOSUID));

	getresuid(&ruid, &euid, &suid);
	getresgid(&rgid, &egid, &sgid);
	nuid = bits && (st->st_mode & S_ISUID) ? st->st_uid : euid;
	ngid = bits && (st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP) ? st->st_gid : egid;
	*setid = nuid != euid || ngid != egid;
	*secure = nuid != ruid || ngid != rgid ||
		  (bits && fd >= 0 && fgetxattr(fd, "security.capability", NULL, 0) > 0);
}

/* The interpreter named by a "#!" line in fd, into out; false when fd is no script. */
static bool interpreter(int fd, char *out, size_t cap)
{
	char line[SCRIPT_LINE + 1];
	ssize_t n = pread(fd, line, SCRIPT_LINE, 0);
	size_t at = 2, len;

	if (n < 3 || line[0] != '#' || line[1] != '!')
		return false;
	line[n] = '\0';
	at += strspn(line + at, " \t");
	len = strcspn(line + at, " \t\n");
	if (len == 0 || len >= cap)
		return false;
	memcpy(out, line + at, len);
	out[len] = '\0';
	return true;
}

/* Classifies what will run from fd: the file, or for a script its interpreter, followed as
 * the kernel does. */
static void inspect(int fd, struct program *p)
{
	char interp[SCRIPT_LINE + 1];
	struct stat st;
	bool secure = false;
	int depth, at = fd;

	/* No execute bit: the exec fails with EACCES on its own. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return;
	p->regular = true;
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	ids_after(fd, &st, &secure, &p->setid);
	for (depth = 0;; depth++) {
		elf_kind_of_fd(at, &p->facts);
		if (p->facts.kind != ELF_UNKNOWN || depth == SCRIPT_DEPTH ||
		    !interpreter(at, interp, sizeof(interp)))
			break;
		if (at != fd)
			close(at);
		at = open(interp, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (at < 0)
			return; /* the kernel will say why */
	}
	if (at != fd)
		close(at);
	switch (p->facts.kind) {
	case ELF_FOREIGN:
		p->need = NEED_REFUSAL;
		break;
	case ELF_STATIC:
	case ELF_GO:
		p->need = NEED_FILTER;
		break;
	case ELF_DYNAMIC:
		p->need = secure ? NEED_FILTER : NEED_NOTHING;
		break;
	case ELF_UNKNOWN:
		break;
	}
}

/* "/proc/self/fd/N" for fd, without stdio. */
static void proc_fd_path(int fd, char *out)
{
	char digits[12];
	int n = 0;

	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) != 0);
	strcpy(out, "/proc/self/fd/");
	out += strlen(out);
	while (n)
		*out++ = digits[--n];
	*out = '\0';
}

static void classify(int dirfd, const char *path, bool empty_path, bool nofollow,
		     char *const envp[], struct program *p)
{
	char self_fd[32];
	int fd;

	if (empty_path) { /* fexecve, execveat(AT_EMPTY_PATH): the descriptor, maybe O_PATH */
		proc_fd_path(dirfd, self_fd);
		dirfd = AT_FDCWD;
		path = self_fd;
	}
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
				 (nofollow ? O_NOFOLLOW : 0));
	if (fd >= 0) {
		inspect(fd, p);
		close(fd);
	} else if (errno == EACCES && faccessat(dirfd, path, X_OK, AT_EACCESS) == 0) {
		struct stat st;
		bool secure;

		p->need = NEED_FILTER; /* execute-only: it could be anything */
		if (fstatat(dirfd, path, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0) == 0) {
			p->regular = S_ISREG(st.st_mode);
			p->dev = st.st_dev;
			p->ino = st.st_ino;
			ids_after(-1, &st, &secure, &p->setid);
		}
	}
	/* With neither the shim nor our supervisor in its environment, nothing else will
	 * catch what it or its children bind. */
	if (p->need == NEED_NOTHING && p->regular && !keeps_shim(envp))
		p->need = NEED_FILTER;
	/* A launch of its own (epr run or start inside this one) catches it itself. */
	if (p->need == NEED_FILTER && other_launch(envp))
		p->need = NEED_NOTHING;
}

/* A shell that searches PATH itself tries each directory in turn (/usr/bin/su, then
 * /bin/su, one file): a refusal is said once for a file in a process. */
static bool said_before(const struct program *p)
{
	/* One word, exchanged atomically: threads racing may say it twice, never tear it. */
	static unsigned long last;
	unsigned long key = (unsigned long)getpid() * 2654435761u ^ (unsigned long)p->dev * 40503u ^
			    (unsigned long)p->ino;

	return p->regular && __atomic_exchange_n(&last, key, __ATOMIC_RELAXED) == key;
}

static void warn(const char *path, const char *what)
{
	struct logline l;

	log_start(&l, "warning");
	log_str(&l, path);
	log_str(&l, ": ");
	log_str(&l, what);
	log_end(&l);
}

static void say(const char *path, const char *what, const char *detail, int err)
{
	struct logline l;

	log_start(&l, "error");
	log_str(&l, path);
	log_str(&l, ": ");
	log_str(&l, what);
	if (detail)
		log_str(&l, detail);
	if (err) {
		log_str(&l, ": ");
		log_errno(&l, err);
	}
	log_end(&l);
}

static int refuse_foreign(const char *path, const struct program *p)
{
	const struct elf_facts *f = &p->facts;
	const char *machine = elf_machine_name(f->machine), *native = elf_machine_name(elf_native_machine());
	struct logline l;

	errno = EPERM;
	if (said_before(p))
		return -1;

	log_start(&l, "error");
	log_str(&l, path);
	log_str(&l, ": refused: it is a ");
	log_num(&l, f->bits);
	log_str(&l, "-bit ");
	log_str(&l, machine ? machine : "foreign");
	log_str(&l, " program; epr catches the binds of ");
	log_num(&l, elf_native_bits());
	log_str(&l, "-bit ");
	log_str(&l, native ? native : "native");
	log_str(&l, " programs only");
	log_end(&l);
	return -1;
}

/* Loads the filter and hands its listener over; 0, or -1 with errno set and said. */
static int filter(const char *path, const struct program *p)
{
	unsigned ignored;
	double deadline;
	int listener, rc, err, conn;

	if (seccomp_bpf_present())
		return 0; /* caught already, since an earlier exec: filters are inherited */
	/* no_new_privs would run it without its privileges: sudo, su and passwd would break.
	 * It runs as it would without epr, which is as far as a launch of a user other than
	 * root can go; said, never silent. */
	if (p->setid && !seccomp_bpf_privileged()) {
		if (!said_before(p))
			warn(path, "runs with its setuid or setgid privileges, and its binds are not "
			     "caught: that needs no_new_privs, which would drop them (a launch run "
			     "as root catches them)");
		return 0;
	}
	rc = seccomp_bpf_no_new_privs_if_needed();
	if (rc < 0) {
		say(path, "not run: prctl(PR_SET_NO_NEW_PRIVS), which seccomp needs", NULL, -rc);
		errno = -rc;
		return -1;
	}
	/* Connected before the filter, which would notify this connect to the listener that
	 * is still ours to hand over. */
	conn = supervised_open(&deadline);
	if (conn < 0) {
		err = errno;
		say(path, "not run: the supervisor did not take its seccomp listener", NULL, err);
		errno = err;
		return -1;
	}
	listener = seccomp_bpf_load();
	if (listener < 0) {
		close(conn);
		say(path, "not run: its binds cannot be caught: ",
		    listener == -EBUSY ? "this process already runs under a seccomp notifier of "
					 "its own (a sandbox's)"
		    : listener == -EINVAL || listener == -ENOSYS
			    ? "this kernel has no seccomp user notification"
			    : "the seccomp filter was refused",
		    -listener);
		errno = -listener;
		return -1;
	}
	rc = supervised_exchange(conn, deadline, LAUNCH_NOTIFIER, listener, NULL, 0, &ignored);
	err = errno;
	/* Kept by the supervisor now; a copy here could answer this process's own calls. */
	close(listener);
	if (rc < 0) {
		say(path, "not run: the supervisor did not take its seccomp listener", NULL, err);
		errno = err;
		return -1;
	}
	return 0;
}

int exec_prepare_at(int dirfd, const char *path, bool empty_path, bool nofollow,
		    char *const envp[])
{
	struct program p = { NEED_NOTHING, { ELF_UNKNOWN, false, 0, 0 }, false, false, 0, 0 };
	int saved = errno;

	if (!exec_watched() || !path)
		return 0;
	classify(dirfd, path, empty_path, nofollow, envp, &p);
	if (p.need == NEED_REFUSAL)
		return refuse_foreign(path, &p);
	if (p.need == NEED_FILTER && filter(empty_path ? "(a descriptor)" : path, &p) < 0)
		return -1;
	errno = saved;
	return 0;
}

int exec_prepare_search(const char *file, char *const envp[])
{
	char candidate[PATH_MAX];
	const char *path, *dir, *end;
	size_t flen;

	if (!exec_watched() || !file || !*file)
		return 0;
	if (strchr(file, '/'))
		return exec_prepare_at(AT_FDCWD, file, false, false, envp);
	path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin"; /* execvp's default */
	flen = strlen(file);
	for (dir = path;; dir = end + 1) {
		size_t dlen;
		struct stat st;
		int saved = errno;

		end = strchrnul(dir, ':');
		dlen = (size_t)(end - dir);
		/* An empty entry is the current directory, as in execvp. */
		if (dlen + 1 + flen < sizeof(candidate)) {
			memcpy(candidate, dir, dlen);
			candidate[dlen] = '/';
			memcpy(candidate + dlen + 1, file, flen + 1);
			if (faccessat(AT_FDCWD, dlen ? candidate : candidate + 1, X_OK, AT_EACCESS) == 0 &&
			    stat(dlen ? candidate : candidate + 1, &st) == 0 && S_ISREG(st.st_mode)) {
				errno = saved;
				return exec_prepare_at(AT_FDCWD, dlen ? candidate : candidate + 1,
						       false, false, envp);
			}
		}
		errno = saved;
		if (!*end)
			return 0;
	}
}
