/* Warnings for programs that the dynamic loader will not preload libepr.so into. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Program headers read at most: real programs have a dozen or so. */
#define ELF_MAX_PHDRS 256

/* 1: an ELF executable with no PT_INTERP (static, or static-pie); 0: dynamic, not ELF,
 * or not readable; the check is advice, so anything odd means "no warning". */
static int statically_linked(int fd)
{
	unsigned char ident[EI_NIDENT];
	unsigned long long phoff;
	unsigned phnum, phentsize, i;
	bool is64;

	if (pread(fd, ident, sizeof ident, 0) != (ssize_t)sizeof ident ||
	    memcmp(ident, ELFMAG, SELFMAG) != 0)
		return 0;
	is64 = ident[EI_CLASS] == ELFCLASS64;
	if (is64) {
		Elf64_Ehdr eh;

		if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh)
			return 0;
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
		if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
			return 0;
	} else {
		Elf32_Ehdr eh;

		if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh)
			return 0;
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
		if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
			return 0;
	}
	if (phnum == 0 || phnum > ELF_MAX_PHDRS ||
	    phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return 0;
	for (i = 0; i < phnum; i++) {
		Elf64_Phdr ph64;
		Elf32_Phdr ph32;
		off_t at = (off_t)(phoff + (unsigned long long)i * phentsize);
		unsigned type;

		if (is64) {
			if (pread(fd, &ph64, sizeof ph64, at) != (ssize_t)sizeof ph64)
				return 0;
			type = ph64.p_type;
		} else {
			if (pread(fd, &ph32, sizeof ph32, at) != (ssize_t)sizeof ph32)
				return 0;
			type = ph32.p_type;
		}
		if (type == PT_INTERP)
			return 0;
	}
	return 1;
}

void elf_check_warn(const char *path, const char *name)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (statically_linked(fd))
			cli_warn("warning: %s is statically linked; libepr.so cannot be loaded "
				 "into it and its binds will not be rewritten", name);
		/* Secure mode, where the loader drops LD_PRELOAD, is when real and effective ids differ. */
		if (((st.st_mode & S_ISUID) && st.st_uid != getuid()) ||
		    ((st.st_mode & S_ISGID) && st.st_gid != getgid()))
			cli_warn("warning: %s is setuid or setgid; the loader ignores LD_PRELOAD "
				 "for it and its binds will not be rewritten", name);
	}
	close(fd);
}
