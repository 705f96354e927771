/* What kind of program an ELF file is (common/elf_kind.h), and what epr says about it. */
#ifndef EPR_ELF_CHECK_H
#define EPR_ELF_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "elf_kind.h"

/* What epr needs to know of a program before it runs it, read with one open. */
struct program_facts {
	struct elf_facts elf;
	struct stat st; /* all zero when it could not be read: no mode bits */
};

/* Reads path's ELF headers and mode; an unreadable file or one that is not a regular file
 * is ELF_UNKNOWN. Returns facts->elf.kind. */
enum elf_kind elf_inspect(const char *path, struct program_facts *facts);
/* For a program of another class or machine (ELF_FOREIGN): "a 32-bit i386 program; epr
 * catches the binds of 64-bit x86-64 programs only", into why. False for any other. */
bool elf_foreign_why(const struct program_facts *facts, char *why, size_t cap);
/* Setuid or setgid to someone else: the loader drops LD_PRELOAD, and no_new_privs (which
 * the seccomp filter needs) would run it without the privileges. */
bool elf_runs_set_id(const struct program_facts *facts);
/* The warnings of elf_check_warn (helper/cli.h), from facts already read. */
void elf_warn_preload(const struct program_facts *facts, const char *name);

/* The same, each opening path itself, for callers that ask one question. */
bool elf_check_foreign(const char *path, char *why, size_t cap);

#endif
