/* Classifying programs by their ELF headers, and warning when the loader will not preload
 * libepr.so into one. */
#include "elf_check.h"

#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

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

/* Reads the ELF header of an executable or shared object in this host's byte order. */
static bool elf_open(int fd, struct elf_file *f)
{
	unsigned char ident[EI_NIDENT];
	unsigned type, phentsize, shentsize;

	if (!read_exact(fd, ident, sizeof ident, 0) || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return false;
	if (ident[EI_DATA] != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB))
		return false;
	f->fd = fd;
	f->is64 = ident[EI_CLASS] == ELFCLASS64;
	if (f->is64) {
		Elf64_Ehdr eh;

		if (!read_exact(fd, &eh, sizeof eh, 0))
			return false;
		type = eh.e_type, phentsize = eh.e_phentsize, shentsize = eh.e_shentsize;
		f->phoff = eh.e_phoff, f->phnum = eh.e_phnum;
		f->shoff = eh.e_shoff, f->shnum = eh.e_shnum, f->shstrndx = eh.e_shstrndx;
	} else if (ident[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;

		if (!read_exact(fd, &eh, sizeof eh, 0))
			return false;
		type = eh.e_type, phentsize = eh.e_phentsize, shentsize = eh.e_shentsize;
		f->phoff = eh.e_phoff, f->phnum = eh.e_phnum;
		f->shoff = eh.e_shoff, f->shnum = eh.e_shnum, f->shstrndx = eh.e_shstrndx;
	} else {
		return false;
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

/* The kind; *interp says whether there is a PT_INTERP (a Go program may have one or not). */
static enum elf_kind classify_fd(int fd, bool *interp_out)
{
	struct elf_file f;
	bool interp = false, go = false;

	*interp_out = false;
	if (!elf_open(fd, &f))
		return ELF_UNKNOWN;
	for (unsigned i = 0; i < f.phnum; i++) {
		struct segment s;

		if (!program_header(&f, i, &s))
			return ELF_UNKNOWN;
		if (s.type == PT_INTERP)
			interp = true;
		else if (s.type == PT_NOTE && !go)
			go = has_go_note(&f, &s);
	}
	*interp_out = interp;
	if (go || has_go_buildinfo(&f))
		return ELF_GO;
	return interp ? ELF_DYNAMIC : ELF_STATIC;
}

static enum elf_kind inspect(const char *path, bool *interp, struct stat *st)
{
	enum elf_kind kind = ELF_UNKNOWN;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*interp = false;
	memset(st, 0, sizeof(*st)); /* unreadable: no mode bits, so no setuid warning */
	if (fd < 0)
		return ELF_UNKNOWN;
	if (fstat(fd, st) == 0 && S_ISREG(st->st_mode))
		kind = classify_fd(fd, interp);
	close(fd);
	return kind;
}

enum elf_kind elf_classify(const char *path)
{
	struct stat st;
	bool interp;

	return inspect(path, &interp, &st);
}

void elf_check_warn(const char *path, const char *name)
{
	struct stat st;
	bool interp;
	enum elf_kind kind = inspect(path, &interp, &st);

	if (kind != ELF_UNKNOWN && !interp)
		cli_warn("warning: %s is statically linked; libepr.so cannot be loaded "
			 "into it and its binds will not be rewritten", name);
	else if (kind == ELF_GO)
		cli_warn("warning: %s is a Go program, which calls bind() without libc; "
			 "libepr.so will not see its binds", name);
	/* Secure mode, where the loader drops LD_PRELOAD, is when real and effective ids differ. */
	if (((st.st_mode & S_ISUID) && st.st_uid != getuid()) ||
	    ((st.st_mode & S_ISGID) && st.st_gid != getgid()))
		cli_warn("warning: %s is setuid or setgid; the loader ignores LD_PRELOAD "
			 "for it and its binds will not be rewritten", name);
}
