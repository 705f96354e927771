/* What kind of program an ELF file is (common/elf_kind.h), and what epr says about it. */
#ifndef EPR_ELF_CHECK_H
#define EPR_ELF_CHECK_H

#include <stddef.h>

#include "elf_kind.h"

/* For a program of another class or machine (ELF_FOREIGN): "a 32-bit i386 program; epr
 * catches the binds of 64-bit x86-64 programs only", into why. False for any other file. */
bool elf_check_foreign(const char *path, char *why, size_t cap);

#endif
