/* Which interceptor a launch uses (--via): the preloaded shim for programs that call libc's
 * bind through the dynamic linker, seccomp user notification for static and Go programs,
 * which the shim cannot reach. What a dynamic CMD execs later is the shim's to catch
 * (shim/exec.c). A program of another class or machine is refused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "elf_check.h"
#include "launch.h"

enum launch_via launch_choose_via(const struct launch *l, const struct program_facts *facts,
				  const char *name)
{
	enum elf_kind kind = facts->elf.kind;
	enum launch_via via = l->via;

	if (via == VIA_AUTO)
		via = kind == ELF_STATIC || kind == ELF_GO ? VIA_SECCOMP : VIA_PRELOAD;
	if (via == VIA_PRELOAD) {
		elf_warn_preload(facts, name);
		if (l->verbose)
			cli_warn("%s: binds are caught by libepr.so (preload)", name);
		return via;
	}
	/* no_new_privs, which the filter needs, keeps a setuid program from its privileges:
	 * it would run, but not as what it expects. */
	if (elf_runs_set_id(facts))
		cli_fail("%s is setuid or setgid, and under --via seccomp (no_new_privs) it would "
			 "run without those privileges; use --via preload, or a copy without the bit",
			 name);
	if (l->verbose)
		cli_warn("%s: binds are caught by seccomp user notification (%s)", name,
			 kind == ELF_GO ? "a Go program" : kind == ELF_STATIC ? "statically linked"
									  : "--via seccomp");
	return via;
}

int launch_resolve(struct launch_state *l, char **shim)
{
	struct program_facts facts;
	char why[160];
	int err;

	l->path = command_path_resolve(l->name);
	if (!l->path) {
		err = errno;
		cli_warn("%s: %s", l->name, strerror(err));
		return command_exec_status(err);
	}
	/* Neither interceptor reaches it: the shim is not its class, the filter answers only
	 * native calls. Refused before it runs, never left to bind the sentinel. */
	/* Read once for all that follows: each look is a few preads, on every launch. */
	elf_inspect(l->path, &facts);
	if (elf_foreign_why(&facts, why, sizeof why)) {
		cli_warn("%s: refused: it is %s", l->name, why);
		return EXIT_CANNOT_EXEC;
	}
	l->seccomp = launch_choose_via(l->options, &facts, l->name) == VIA_SECCOMP;
	*shim = l->seccomp ? NULL : shim_path_find();
	return 0;
}
