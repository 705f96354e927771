/* Classifying programs by their ELF headers: bounded reads with pread into the stack, so
 * that libepr.so can ask inside a host's execve() as epr does before its own. */
#include "elf_kind.h"

#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bounds on what a hostile or broken file can make us read: real programs have a dozen
 * program headers, a few dozen sections, and notes of a few hundred bytes. */
#define ELF_MAX_PHDRS    256
#define ELF_MAX_SHDRS    4096
#define ELF_MAX_NOTE     4096

#define GO_NOTE_BUILDID  4 /* Go's linker: ELF_NOTE_GOBUILDID_TAG, owner "Go" */

/* The fields we need, the same for ELFCLASS32 and ELFCLASS64. */
struct elf_file {
	int fd;
	bool is64;
	unsigned long long phoff, shoff;
	unsigned phnum, shnum, shstrndx;
};

struct segment {
	unsigned type;
	unsigned long long offset, size;
};

static bool read_exact(int fd, void *buf, size_t len, unsigned long long at)
{
	return pread(fd, buf, len, (off_t)at) == (ssize_t)len;
}

#if defined(__x86_64__) && defined(__ILP32__)
#define NATIVE_MACHINE EM_X86_64 /* x32 */
#elif defined(__x86_64__)
#define NATIVE_MACHINE EM_X86_64
#elif defined(__i386__)
#define NATIVE_MACHINE EM_386
#elif defined(__aarch64__)
#define NATIVE_MACHINE EM_AARCH64
#elif defined(__arm__)
#define NATIVE_MACHINE EM_ARM
#elif defined(__riscv)
#define NATIVE_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define NATIVE_MACHINE EM_PPC64
#elif defined(__s390x__)
#define NATIVE_MACHINE EM_S390
#elif defined(__loongarch__)
#define NATIVE_MACHINE EM_LOONGARCH
#else
#define NATIVE_MACHINE EM_NONE
_Static_assert(NATIVE_MACHINE != EM_NONE, "elf_kind.c: name this architecture's ELF machine");
#endif
#define NATIVE_CLASS (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32)

unsigned elf_native_bits(void)
{
	return NATIVE_CLASS == ELFCLASS64 ? 64 : 32;
}

unsigned elf_native_machine(void)
{
	return NATIVE_MACHINE;
}

const char *elf_machine_name(unsigned machine)
{
	switch (machine) {
	case EM_386: return "i386";
	case EM_X86_64: return "x86-64";
	case EM_ARM: return "ARM";
	case EM_AARCH64: return "AArch64";
	case EM_RISCV: return "RISC-V";
	case EM_PPC: return "PowerPC";
	case EM_PPC64: return "PowerPC64";
	case EM_S390: return "S/390";
	case EM_MIPS: return "MIPS";
	case EM_LOONGARCH: return "LoongArch";
	}
	return NULL;
}

/* Reads the ELF header of an executable or shared object. One of another class, byte
 * order or machine is *foreign (its headers are not read further). */
static bool elf_open(int fd, struct elf_file *f, struct elf_facts *facts, bool *foreign)
{
	unsigned char ident[EI_NIDENT];
	unsigned type, phentsize, shentsize;
	bool native_order;
	uint16_t type_machine[2];

	*foreign = false;
	if (!read_exact(fd, ident, sizeof ident, 0) || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return false;
	if (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64)
		return false;
	facts->bits = ident[EI_CLASS] == ELFCLASS64 ? 64 : 32;
	/* e_type and e_machine sit at the same offset in both classes. */
	if (!read_exact(fd, type_machine, sizeof type_machine, EI_NIDENT))
		return false;
	native_order = ident[EI_DATA] ==
		       (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB);
	if (!native_order) {
		type_machine[0] = __builtin_bswap16(type_machine[0]);
		type_machine[1] = __builtin_bswap16(type_machine[1]);
	}
	facts->machine = type_machine[1];
	if (type_machine[0] != ET_EXEC && type_machine[0] != ET_DYN)
		return false;
	if (!native_order || ident[EI_CLASS] != NATIVE_CLASS || facts->machine != NATIVE_MACHINE) {
		*foreign = true;
		return false;
	}
	f->fd = fd;
	f->is64 = ident[EI_CLASS] == ELFCLASS64;
	if (f->is64) {
		Elf64_Ehdr eh;

		if (!read_exact(fd, &eh, sizeof eh, 0))
			return false;
		type = eh.e_type, phentsize = eh.e_phentsize, shentsize = eh.e_shentsize;
		f->phoff = eh.e_phoff, f->phnum = eh.e_phnum;
		f->shoff = eh.e_shoff, f->shnum = eh.e_shnum, f->shstrndx = eh.e_shstrndx;
	} else {
		Elf32_Ehdr eh;

		if (!read_exact(fd, &eh, sizeof eh, 0))
			return false;
		type = eh.e_type, phentsize = eh.e_phentsize, shentsize = eh.e_shentsize;
		f->phoff = eh.e_phoff, f->phnum = eh.e_phnum;
		f->shoff = eh.e_shoff, f->shnum = eh.e_shnum, f->shstrndx = eh.e_shstrndx;
	}
	if (type != ET_EXEC && type != ET_DYN)
		return false;
	if (f->phnum == 0 || f->phnum > ELF_MAX_PHDRS ||
	    phentsize != (f->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return false;
	/* Sections are optional (a stripped file may have none): only the .go.buildinfo
	 * check needs them. */
	if (f->shnum > ELF_MAX_SHDRS || f->shstrndx >= f->shnum ||
	    shentsize != (f->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)))
		f->shnum = 0;
	return true;
}

static bool program_header(const struct elf_file *f, unsigned i, struct segment *s)
{
	if (f->is64) {
		Elf64_Phdr ph;

		if (!read_exact(f->fd, &ph, sizeof ph, f->phoff + (unsigned long long)i * sizeof ph))
			return false;
		s->type = ph.p_type, s->offset = ph.p_offset, s->size = ph.p_filesz;
	} else {
		Elf32_Phdr ph;

		if (!read_exact(f->fd, &ph, sizeof ph, f->phoff + (unsigned long long)i * sizeof ph))
			return false;
		s->type = ph.p_type, s->offset = ph.p_offset, s->size = ph.p_filesz;
	}
	return true;
}

/* True when the PT_NOTE segment s holds a note of owner "Go", type 4 (Go's build id).
 * Note headers are the same three 32-bit words for both classes; fields are 4-aligned. */
static bool has_go_note(const struct elf_file *f, const struct segment *s)
{
	unsigned char buf[ELF_MAX_NOTE];
	size_t len = s->size < sizeof buf ? (size_t)s->size : sizeof buf, at = 0;

	if (!read_exact(f->fd, buf, len, s->offset))
		return false;
	while (at + sizeof(Elf32_Nhdr) <= len) {
		Elf32_Nhdr nh;
		size_t name = at + sizeof nh;

		memcpy(&nh, buf + at, sizeof nh);
		if (nh.n_namesz > len || nh.n_descsz > len)
			return false;
		if (nh.n_type == GO_NOTE_BUILDID && nh.n_namesz >= 3 && name + 3 <= len &&
		    memcmp(buf + name, "Go\0", 3) == 0)
			return true;
		at = name + ((nh.n_namesz + 3u) & ~3u) + ((nh.n_descsz + 3u) & ~3u);
	}
	return false;
}

/* The name offset and file position of section i, from its header. */
static bool section_header(const struct elf_file *f, unsigned i, unsigned *name,
			   unsigned long long *offset)
{
	if (f->is64) {
		Elf64_Shdr sh;

		if (!read_exact(f->fd, &sh, sizeof sh, f->shoff + (unsigned long long)i * sizeof sh))
			return false;
		*name = sh.sh_name, *offset = sh.sh_offset;
	} else {
		Elf32_Shdr sh;

		if (!read_exact(f->fd, &sh, sizeof sh, f->shoff + (unsigned long long)i * sizeof sh))
			return false;
		*name = sh.sh_name, *offset = sh.sh_offset;
	}
	return true;
}

/* True when some section is named .go.buildinfo (kept even where the note is stripped). */
static bool has_go_buildinfo(const struct elf_file *f)
{
	static const char wanted[] = ".go.buildinfo";
	unsigned long long strtab, ignored;
	unsigned name;

	if (f->shnum == 0 || !section_header(f, f->shstrndx, &name, &strtab))
		return false;
	for (unsigned i = 0; i < f->shnum; i++) {
		char got[sizeof wanted];

		if (!section_header(f, i, &name, &ignored))
			return false;
		if (read_exact(f->fd, got, sizeof got, strtab + name) &&
		    memcmp(got, wanted, sizeof wanted) == 0)
			return true;
	}
	return false;
}

enum elf_kind elf_kind_of_fd(int fd, struct elf_facts *facts)
{
	struct elf_file f;
	bool go = false, foreign;

	facts->kind = ELF_UNKNOWN;
	facts->interp = false;
	facts->bits = facts->machine = 0;
	if (!elf_open(fd, &f, facts, &foreign))
		return facts->kind = foreign ? ELF_FOREIGN : ELF_UNKNOWN;
	for (unsigned i = 0; i < f.phnum; i++) {
		struct segment s;

		if (!program_header(&f, i, &s))
			return ELF_UNKNOWN;
		if (s.type == PT_INTERP)
			facts->interp = true;
		else if (s.type == PT_NOTE && !go)
			go = has_go_note(&f, &s);
	}
	if (go || has_go_buildinfo(&f))
		return facts->kind = ELF_GO;
	return facts->kind = facts->interp ? ELF_DYNAMIC : ELF_STATIC;
}

enum elf_kind elf_classify(const char *path)
{
	struct elf_facts facts = { ELF_UNKNOWN, false, 0, 0 };
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return ELF_UNKNOWN;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		elf_kind_of_fd(fd, &facts);
	close(fd);
	return facts.kind;
}
