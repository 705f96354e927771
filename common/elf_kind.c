/* Classifying programs by their ELF headers: bounded reads with pread into the stack, so
 * that libepr.so can ask inside a host's execve() as epr does before its own. The header,
 * each table and the section names are read whole where they are small, as they are in
 * real programs: a handful of preads per file, not one per header (epr start pays this on
 * every launch). */
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
#define ELF_MAX_NAMES    1024 /* section names read at once */

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
	union {
		unsigned char ident[EI_NIDENT];
		Elf64_Ehdr h64;
		Elf32_Ehdr h32;
	} eh;
	unsigned type, phentsize, shentsize;
	bool native_order;
	uint16_t type_machine[2];
	ssize_t got = pread(fd, &eh, sizeof eh, 0); /* the whole header, of either class */

	*foreign = false;
	if (got < EI_NIDENT + (ssize_t)sizeof type_machine || memcmp(eh.ident, ELFMAG, SELFMAG) != 0)
		return false;
	if (eh.ident[EI_CLASS] != ELFCLASS32 && eh.ident[EI_CLASS] != ELFCLASS64)
		return false;
	facts->bits = eh.ident[EI_CLASS] == ELFCLASS64 ? 64 : 32;
	/* e_type and e_machine sit at the same offset in both classes. */
	memcpy(type_machine, eh.ident + EI_NIDENT, sizeof type_machine);
	native_order = eh.ident[EI_DATA] ==
		       (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB);
	if (!native_order) {
		type_machine[0] = __builtin_bswap16(type_machine[0]);
		type_machine[1] = __builtin_bswap16(type_machine[1]);
	}
	facts->machine = type_machine[1];
	if (type_machine[0] != ET_EXEC && type_machine[0] != ET_DYN)
		return false;
	if (!native_order || eh.ident[EI_CLASS] != NATIVE_CLASS || facts->machine != NATIVE_MACHINE) {
		*foreign = true;
		return false;
	}
	f->fd = fd;
	f->is64 = eh.ident[EI_CLASS] == ELFCLASS64;
	if (got < (ssize_t)(f->is64 ? sizeof eh.h64 : sizeof eh.h32))
		return false;
	if (f->is64) {
		type = eh.h64.e_type, phentsize = eh.h64.e_phentsize, shentsize = eh.h64.e_shentsize;
		f->phoff = eh.h64.e_phoff, f->phnum = eh.h64.e_phnum;
		f->shoff = eh.h64.e_shoff, f->shnum = eh.h64.e_shnum, f->shstrndx = eh.h64.e_shstrndx;
	} else {
		type = eh.h32.e_type, phentsize = eh.h32.e_phentsize, shentsize = eh.h32.e_shentsize;
		f->phoff = eh.h32.e_phoff, f->phnum = eh.h32.e_phnum;
		f->shoff = eh.h32.e_shoff, f->shnum = eh.h32.e_shnum, f->shstrndx = eh.h32.e_shstrndx;
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

/* Program and section headers are read this many at a time: one pread for a typical
 * program's whole table, and at most 1 KiB of stack. */
#define HEADERS_AT_ONCE 16

/* Program headers [first, first + n) of f into s, with one pread. */
static bool program_headers(const struct elf_file *f, unsigned first, unsigned n, struct segment *s)
{
	union {
		Elf64_Phdr h64[HEADERS_AT_ONCE];
		Elf32_Phdr h32[HEADERS_AT_ONCE];
	} buf;
	size_t size = f->is64 ? sizeof buf.h64[0] : sizeof buf.h32[0];

	if (!read_exact(f->fd, &buf, n * size, f->phoff + (unsigned long long)first * size))
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (f->is64)
			s[i].type = buf.h64[i].p_type, s[i].offset = buf.h64[i].p_offset,
			s[i].size = buf.h64[i].p_filesz;
		else
			s[i].type = buf.h32[i].p_type, s[i].offset = buf.h32[i].p_offset,
			s[i].size = buf.h32[i].p_filesz;
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

struct section {
	unsigned name;
	unsigned long long offset, size;
};

/* Section headers [first, first + n) of f into s, with one pread. */
static bool section_headers(const struct elf_file *f, unsigned first, unsigned n, struct section *s)
{
	union {
		Elf64_Shdr h64[HEADERS_AT_ONCE];
		Elf32_Shdr h32[HEADERS_AT_ONCE];
	} buf;
	size_t size = f->is64 ? sizeof buf.h64[0] : sizeof buf.h32[0];

	if (!read_exact(f->fd, &buf, n * size, f->shoff + (unsigned long long)first * size))
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (f->is64)
			s[i].name = buf.h64[i].sh_name, s[i].offset = buf.h64[i].sh_offset,
			s[i].size = buf.h64[i].sh_size;
		else
			s[i].name = buf.h32[i].sh_name, s[i].offset = buf.h32[i].sh_offset,
			s[i].size = buf.h32[i].sh_size;
	}
	return true;
}

/* True when some section is named .go.buildinfo (kept even where the note is stripped).
 * The section names are read once, as far as ELF_MAX_NAMES reaches (a C program's are a
 * few hundred bytes); a name beyond that is read on its own. */
static bool has_go_buildinfo(const struct elf_file *f)
{
	static const char wanted[] = ".go.buildinfo";
	char names[ELF_MAX_NAMES];
	size_t have = 0;
	struct section strtab;

	if (f->shnum == 0 || !section_headers(f, f->shstrndx, 1, &strtab))
		return false;
	have = strtab.size < sizeof names ? (size_t)strtab.size : sizeof names;
	if (!read_exact(f->fd, names, have, strtab.offset))
		have = 0; /* a table cut short: each name is read on its own */
	for (unsigned first = 0; first < f->shnum; first += HEADERS_AT_ONCE) {
		struct section sec[HEADERS_AT_ONCE];
		unsigned n = f->shnum - first < HEADERS_AT_ONCE ? f->shnum - first : HEADERS_AT_ONCE;

		if (!section_headers(f, first, n, sec))
			return false;
		for (unsigned i = 0; i < n; i++) {
			char got[sizeof wanted];

			if (sec[i].name <= have && have - sec[i].name >= sizeof wanted) {
				if (memcmp(names + sec[i].name, wanted, sizeof wanted) == 0)
					return true;
			} else if (read_exact(f->fd, got, sizeof got, strtab.offset + sec[i].name) &&
				   memcmp(got, wanted, sizeof wanted) == 0) {
				return true;
			}
		}
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
	for (unsigned first = 0; first < f.phnum; first += HEADERS_AT_ONCE) {
		struct segment seg[HEADERS_AT_ONCE];
		unsigned n = f.phnum - first < HEADERS_AT_ONCE ? f.phnum - first : HEADERS_AT_ONCE;

		if (!program_headers(&f, first, n, seg))
			return ELF_UNKNOWN;
		for (unsigned i = 0; i < n; i++) {
			if (seg[i].type == PT_INTERP)
				facts->interp = true;
			else if (seg[i].type == PT_NOTE && !go)
				go = has_go_note(&f, &seg[i]);
		}
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
