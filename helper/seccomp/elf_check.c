/* Warning when the loader will not preload libepr.so into a program, and naming the class
 * and machine of one that no interceptor of ours can reach. */
#include "elf_check.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static enum elf_kind inspect(const char *path, bool *interp, struct stat *st)
{
	struct elf_facts facts = { ELF_UNKNOWN, false, 0, 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	*interp = false;
	memset(st, 0, sizeof(*st)); /* unreadable: no mode bits, so no setuid warning */
	if (fd < 0)
		return ELF_UNKNOWN;
	if (fstat(fd, st) == 0 && S_ISREG(st->st_mode))
		elf_kind_of_fd(fd, &facts);
	close(fd);
	*interp = facts.interp;
	return facts.kind;
}

bool elf_check_foreign(const char *path, char *why, size_t cap)
{
	struct elf_facts facts = { ELF_UNKNOWN, false, 0, 0 };
	const char *machine, *native = elf_machine_name(elf_native_machine());
	char number[16];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		elf_kind_of_fd(fd, &facts);
	close(fd);
	if (facts.kind != ELF_FOREIGN)
		return false;
	machine = elf_machine_name(facts.machine);
	if (!machine) {
		snprintf(number, sizeof number, "machine %u", facts.machine);
		machine = number;
	}
	snprintf(why, cap, "a %u-bit %s program; epr catches the binds of %u-bit %s programs only",
		 facts.bits, machine, elf_native_bits(), native ? native : "native");
	return true;
}

void elf_check_warn(const char *path, const char *name)
{
	struct stat st;
	bool interp;
	enum elf_kind kind = inspect(path, &interp, &st);

	if ((kind == ELF_STATIC || kind == ELF_GO) && !interp)
		cli_warn("warning: %s is statically linked; libepr.so cannot be loaded "
			 "into it and its binds will not be rewritten", name);
	else if (kind == ELF_GO)
		cli_warn("warning: %s is a Go program, which calls bind() without libc; "
			 "libepr.so will not see its binds", name);
	/* Secure mode, where the loader drops LD_PRELOAD, is when real and effective ids differ. */
	if (((st.st_mode & S_ISUID) && st.st_uid != getuid()) ||
	    ((st.st_mode & S_ISGID) && st.st_gid != getgid()))
		cli_warn("warning: %s is setuid or setgid; the loader ignores LD_PRELOAD "
			 "for it and its binds will not be rewritten", name);
}
