/* helper/seccomp/elf_check.c: which programs are dynamic, static or Go, and what epr warns about. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "elf_check.h"
#include "tap.h"

#ifndef STATIC_PROG /* tests/unit/unit.mk gives the build's absolute paths */
#define STATIC_PROG "build/tests/static_server"
#endif
#ifndef TEST_PROGS
#define TEST_PROGS "build/tests"
#endif

/* elf_check_warn's output, captured instead of going to stderr. */
static char warned[1024];

void cli_warn(const char *fmt, ...)
{
	size_t used = strlen(warned);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(warned + used, sizeof(warned) - used, fmt, ap);
	va_end(ap);
	strncat(warned, "\n", sizeof(warned) - strlen(warned) - 1);
}

static const char *kind_name(enum elf_kind k)
{
	switch (k) {
	case ELF_DYNAMIC: return "dynamic";
	case ELF_STATIC: return "static";
	case ELF_GO: return "go";
	case ELF_FOREIGN: return "foreign";
	case ELF_UNKNOWN: return "unknown";
	}
	return "?";
}

/* A file at dir/name with the first len bytes of src (all of it if len is 0), or text. */
static char *make_file(const char *dir, const char *name, const char *src, size_t len,
		       const char *text)
{
	static char paths[4][256];
	static int next;
	char *path = paths[next++ % 4];
	char buf[4096];
	int out;

	snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0)
		tap_bail("cannot create %s", path);
	if (text) {
		if (write(out, text, strlen(text)) < 0)
			tap_bail("write %s", path);
	} else {
		int in = open(src, O_RDONLY | O_CLOEXEC);
		ssize_t got = in < 0 ? -1 : read(in, buf, len && len < sizeof(buf) ? len : sizeof(buf));

		if (got <= 0 || write(out, buf, (size_t)got) != got)
			tap_bail("cannot copy %s", src);
		close(in);
	}
	close(out);
	return path;
}

/* dir/name: an ELF header of class bits and machine, as a program of another architecture
 * starts; nothing past it is read for such a file. */
static char *make_elf_header(const char *dir, const char *name, unsigned bits, unsigned machine)
{
	static char path[256];
	unsigned char eh[64] = { 0x7f, 'E', 'L', 'F', 0, ELFDATA2LSB, EV_CURRENT };
	int out;

	eh[EI_CLASS] = bits == 64 ? ELFCLASS64 : ELFCLASS32;
	eh[16] = ET_EXEC; /* e_type and e_machine follow e_ident in both classes */
	eh[18] = (unsigned char)(machine & 0xff);
	eh[19] = (unsigned char)(machine >> 8);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0 || write(out, eh, bits == 64 ? 64 : 52) < 0)
		tap_bail("cannot create %s", path);
	close(out);
	return path;
}

/* dir/name: a native program of nothing but headers and a section-name table, whose 24th
 * section is named .go.buildinfo, its name after 1500 bytes of another: past the names
 * common/elf_kind.c reads at once, and past its first 16 section headers. */
static char *make_far_buildinfo(const char *dir, const char *name)
{
	enum { PAD = 1500, SECTIONS = 24 };
	static char path[256];
	static unsigned char file[4096];
	static const char go[] = ".go.buildinfo";
	size_t names = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr), go_at = 1 + PAD + 1;
	size_t shoff = (names + go_at + sizeof go + 7) & ~(size_t)7;
	Elf64_Ehdr eh = {
		.e_ident = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_DYN, .e_machine = (Elf64_Half)elf_native_machine(), .e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr), .e_shoff = shoff, .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 1, .e_shentsize = sizeof(Elf64_Shdr),
		.e_shnum = SECTIONS, .e_shstrndx = 1,
	};
	Elf64_Phdr ph = { .p_type = PT_LOAD, .p_filesz = shoff };
	Elf64_Shdr sh[SECTIONS];
	size_t size = shoff + sizeof sh;
	int out;

	if (sizeof(void *) != 8 || size > sizeof file)
		return NULL;
	memset(sh, 0, sizeof sh);
	for (unsigned i = 1; i < SECTIONS; i++)
		sh[i].sh_name = 1; /* the long name */
	sh[1].sh_offset = names, sh[1].sh_size = go_at + sizeof go;
	sh[SECTIONS - 1].sh_name = (Elf64_Word)go_at;
	memset(file, 0, sizeof file);
	memcpy(file, &eh, sizeof eh);
	memcpy(file + sizeof eh, &ph, sizeof ph);
	memset(file + names + 1, 'y', PAD);
	memcpy(file + names + go_at, go, sizeof go);
	memcpy(file + shoff, sh, sizeof sh);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0 || write(out, file, size) != (ssize_t)size)
		tap_bail("cannot create %s", path);
	close(out);
	return path;
}

static const char *go_server(void)
{
	static const char *const places[] = { "/usr/bin/nats-server", "/usr/sbin/nats-server" };

	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++)
		if (access(places[i], R_OK) == 0)
			return places[i];
	return NULL;
}

int main(void)
{
	char dir[] = "/tmp/test_elf_check.XXXXXX";
	const char *nats = go_server(), *ci = getenv("CI");

	if (!mkdtemp(dir))
		tap_bail("mkdtemp");

	is_str(kind_name(elf_classify("/bin/true")), "dynamic", "/bin/true is dynamic");
	is_str(kind_name(elf_classify(STATIC_PROG)), "static", "a program linked -static is static");
	if (nats)
		is_str(kind_name(elf_classify(nats)), "go", "%s (Go, linked against libc) is Go", nats);
	else if (ci && strcmp(ci, "true") == 0)
		ok(0, "nats-server is installed (CI installs it)");
	else
		tap_skip("nats-server is not installed");
	if (access("/usr/bin/etcd", R_OK) == 0)
		is_str(kind_name(elf_classify("/usr/bin/etcd")), "go", "/usr/bin/etcd is Go");
	else
		tap_skip("etcd is not installed");
	/* Its section headers are read 16 at a time; .go.buildinfo sits past the first 16. */
	is_str(kind_name(elf_classify(TEST_PROGS "/go_buildinfo")), "go",
	       "a dynamic program with a .go.buildinfo section and no Go note is Go");
	{
		char *far = make_far_buildinfo(dir, "far");

		if (far) {
			is_str(kind_name(elf_classify(far)), "go",
			       "... and so is one whose section name lies beyond the first 1 KiB of names");
			unlink(far);
		} else {
			tap_skip("a 32-bit build: the far-name file is written as ELF64");
		}
	}

	is_str(kind_name(elf_classify(make_file(dir, "script", NULL, 0, "#!/bin/sh\ntrue\n"))),
	       "unknown", "a shell script is unknown");
	is_str(kind_name(elf_classify(make_file(dir, "head", "/bin/true", 64, NULL))), "unknown",
	       "an ELF header without its program headers is unknown");
	is_str(kind_name(elf_classify(make_file(dir, "empty", NULL, 0, ""))), "unknown",
	       "an empty file is unknown");
	is_str(kind_name(elf_classify(dir)), "unknown", "a directory is unknown");
	is_str(kind_name(elf_classify("/nonexistent/epr-test")), "unknown", "a missing file is unknown");

	{
		char why[200] = "";
		const char *i386 = make_elf_header(dir, "i386", 32, EM_386);

		is_str(kind_name(elf_classify(i386)), "foreign", "a 32-bit i386 program is foreign");
		ok(elf_check_foreign(i386, why, sizeof(why)) &&
		   strstr(why, "32-bit i386 program") != NULL && strstr(why, "64-bit") != NULL,
		   "and is named as such: '%s'", why);
		unlink(i386);
		is_str(kind_name(elf_classify(make_elf_header(dir, "other", 64,
			elf_native_machine() == EM_AARCH64 ? EM_X86_64 : EM_AARCH64))), "foreign",
		       "a 64-bit program of another machine is foreign");
		unlink(make_elf_header(dir, "other", 64, 0));
		ok(!elf_check_foreign("/bin/true", why, sizeof(why)), "/bin/true is not foreign");
	}

	warned[0] = '\0';
	elf_check_warn("/bin/true", "true");
	is_str(warned, "", "no warning for a dynamic program");
	warned[0] = '\0';
	elf_check_warn(STATIC_PROG, "static_server");
	ok(strstr(warned, "static_server is statically linked") != NULL, "a static program is warned about");
	if (nats) {
		warned[0] = '\0';
		elf_check_warn(nats, "nats-server");
		ok(strstr(warned, "nats-server is a Go program") != NULL, "a Go program is warned about");
	}

	unlink(make_file(dir, "script", NULL, 0, ""));
	unlink(make_file(dir, "head", NULL, 0, ""));
	unlink(make_file(dir, "empty", NULL, 0, ""));
	rmdir(dir);
	return tap_done();
}
