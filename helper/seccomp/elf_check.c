/* Warning when the loader will not preload libepr.so into a program, and naming the class
 * and machine of one that no interceptor of ours can reach. epr start reads the program
 * once (elf_inspect) and asks all three questions of what it read. */
#include "elf_check.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum elf_kind elf_inspect(const char *path, struct program_facts *facts)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	memset(facts, 0, sizeof(*facts));
	facts->elf.kind = ELF_UNKNOWN;
	if (fd < 0)
		return ELF_UNKNOWN;
	if (fstat(fd, &facts->st) != 0)
		memset(&facts->st, 0, sizeof(facts->st));
	else if (S_ISREG(facts->st.st_mode))
		elf_kind_of_fd(fd, &facts->elf);
	close(fd);
	return facts->elf.kind;
}

bool elf_foreign_why(const struct program_facts *facts, char *why, size_t cap)
{
	const char *machine, *native = elf_machine_name(elf_native_machine());
	char number[16];

	if (facts->elf.kind != ELF_FOREIGN)
		return false;
	machine = elf_machine_name(facts->elf.machine);
	if (!machine) {
		snprintf(number, sizeof number, "machine %u", facts->elf.machine);
		machine = number;
	}
	snprintf(why, cap, "a %u-bit %s program; epr catches the binds of %u-bit %s programs only",
		 facts->elf.bits, machine, elf_native_bits(), native ? native : "native");
	return true;
}

bool elf_runs_set_id(const struct program_facts *facts)
{
	/* Secure mode, where the loader drops LD_PRELOAD, is when real and effective ids differ. */
	return ((facts->st.st_mode & S_ISUID) && facts->st.st_uid != getuid()) ||
	       ((facts->st.st_mode & S_ISGID) && facts->st.st_gid != getgid());
}

void elf_warn_preload(const struct program_facts *facts, const char *name)
{
	enum elf_kind kind = facts->elf.kind;

	if ((kind == ELF_STATIC || kind == ELF_GO) && !facts->elf.interp)
		cli_warn("warning: %s is statically linked; libepr.so cannot be loaded "
			 "into it and its binds will not be rewritten", name);
	else if (kind == ELF_GO)
		cli_warn("warning: %s is a Go program, which calls bind() without libc; "
			 "libepr.so will not see its binds", name);
	if (elf_runs_set_id(facts))
		cli_warn("warning: %s is setuid or setgid; the loader ignores LD_PRELOAD "
			 "for it and its binds will not be rewritten", name);
}

bool elf_check_foreign(const char *path, char *why, size_t cap)
{
	struct program_facts facts;

	elf_inspect(path, &facts);
	return elf_foreign_why(&facts, why, cap);
}

void elf_check_warn(const char *path, const char *name)
{
	struct program_facts facts;

	elf_inspect(path, &facts);
	elf_warn_preload(&facts, name);
}
