/* What kind of program an ELF file is, for choosing how its binds are caught: the preloaded
 * shim needs a dynamically linked program that calls libc's bind; static and Go programs
 * (Go makes raw syscalls even when linked against libc for cgo) need seccomp; a program of
 * another class or machine (i386 on x86_64) is reached by neither, and is refused.
 * Shared by epr and libepr.so: no malloc, no stdio, a few KiB of stack. */
#ifndef EPR_ELF_KIND_H
#define EPR_ELF_KIND_H

#include <stdbool.h>

enum elf_kind {
	ELF_DYNAMIC, /* has PT_INTERP: the loader runs and honours LD_PRELOAD */
	ELF_STATIC,  /* no PT_INTERP (static or static-pie) */
	ELF_GO,      /* a Go build-id note or a .go.buildinfo section, static or not */
	ELF_FOREIGN, /* an ELF executable of another class, byte order or machine than ours */
	ELF_UNKNOWN  /* not ELF (a script), not an executable, or unreadable */
};

struct elf_facts {
	enum elf_kind kind;
	bool interp;        /* has PT_INTERP */
	unsigned bits;      /* 32 or 64 (ELF class); 0 when not ELF */
	unsigned machine;   /* e_machine (EM_*); 0 when unknown */
};

/* Classifies the open file fd (read with pread: its offset is untouched). */
enum elf_kind elf_kind_of_fd(int fd, struct elf_facts *facts);
/* The same for the file at path; unreadable or not a regular file: ELF_UNKNOWN. */
enum elf_kind elf_classify(const char *path);
/* "i386", "x86-64", "ARM", "AArch64"... for a machine number; NULL for one we do not name. */
const char *elf_machine_name(unsigned machine);
/* This build's own class (32 or 64) and machine, which a program must share. */
unsigned elf_native_bits(void);
unsigned elf_native_machine(void);

#endif
