/* What kind of program an ELF file is, for choosing how its binds are caught: the preloaded
 * shim needs a dynamically linked program that calls libc's bind; static and Go programs
 * (Go makes raw syscalls even when linked against libc for cgo) need seccomp. */
#ifndef EPR_ELF_CHECK_H
#define EPR_ELF_CHECK_H

enum elf_kind {
	ELF_DYNAMIC, /* has PT_INTERP: the loader runs and honours LD_PRELOAD */
	ELF_STATIC,  /* no PT_INTERP (static or static-pie) */
	ELF_GO,      /* a Go build-id note or a .go.buildinfo section, static or not */
	ELF_UNKNOWN  /* not ELF (a script), not an executable, or unreadable */
};

enum elf_kind elf_classify(const char *path);

#endif
