/* ELF64 x86-64 header validation and "#!" line parsing over untrusted bytes. */
#include "sentry/kernel/elf/elf.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>

/* The loader maps 4 KiB pages whatever the platform's huge pages. */
#define ELF_PAGE 4096ULL

bool elf_is_elf(const void *buf, size_t len)
{
	return len >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

int elf_parse_ehdr(const void *buf, size_t len, struct elf_info *out)
{
	Elf64_Ehdr eh;

	if (len < sizeof eh || !elf_is_elf(buf, len))
		return -ENOEXEC;
	/* Copy: buf may be unaligned (a fuzzer's, or an offset into a page). */
	memcpy(&eh, buf, sizeof eh);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
		return -ENOEXEC;
	if (eh.e_machine != EM_X86_64)
		return -ENOEXEC;
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return -ENOEXEC;
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return -ENOEXEC;
	/* PN_XNUM (count stored in section 0) would exceed 64 KiB anyway. */
	if (eh.e_phnum == 0 || (size_t)eh.e_phnum * sizeof(Elf64_Phdr) > ELF_MAX_PHDRS_SIZE)
		return -ENOEXEC;
	if (eh.e_phoff > UINT64_MAX - ELF_MAX_PHDRS_SIZE)
		return -ENOEXEC;

	memset(out, 0, sizeof *out);
	out->dyn = eh.e_type == ET_DYN;
	out->entry = eh.e_entry;
	out->phoff = eh.e_phoff;
	out->phnum = eh.e_phnum;
	/* A missing PT_GNU_STACK means a non-executable stack for 64-bit
	 * programs on current Linux (no READ_IMPLIES_EXEC on x86-64). */
	return 0;
}

size_t elf_phdrs_size(const struct elf_info *info)
{
	return (size_t)info->phnum * sizeof(Elf64_Phdr);
}

static int seg_prot(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/* Validates one PT_LOAD and appends it. */
static int add_load(struct elf_info *info, const Elf64_Phdr *ph, uint64_t file_size,
		    uint64_t max_addr)
{
	if (info->nload == ELF_MAX_LOADS)
		return -ENOEXEC;
	if (ph->p_filesz > ph->p_memsz)
		return -ENOEXEC;
	/* File pages can only be mapped where offset and address agree. */
	if ((ph->p_offset & (ELF_PAGE - 1)) != (ph->p_vaddr & (ELF_PAGE - 1)))
		return -ENOEXEC;
	if (ph->p_offset > file_size || ph->p_filesz > file_size - ph->p_offset)
		return -ENOEXEC;
	/* The page-rounded end must not wrap and must fit the address space. */
	if (ph->p_vaddr >= max_addr || ph->p_memsz > max_addr - ph->p_vaddr)
		return -ENOEXEC;
	uint64_t end = ph->p_vaddr + ph->p_memsz;
	if (end > max_addr - (max_addr & (ELF_PAGE - 1)))
		return -ENOEXEC;
	end = (end + ELF_PAGE - 1) & ~(ELF_PAGE - 1);
	/* The ABI orders PT_LOADs by address; the span computation relies on it. */
	if (info->nload && ph->p_vaddr < info->load[info->nload - 1].vaddr)
		return -ENOEXEC;

	struct elf_seg *s = &info->load[info->nload++];
	s->vaddr = ph->p_vaddr;
	s->memsz = ph->p_memsz;
	s->offset = ph->p_offset;
	s->filesz = ph->p_filesz;
	s->prot = seg_prot(ph->p_flags);
	if (info->nload == 1)
		info->lo = ph->p_vaddr & ~(ELF_PAGE - 1);
	if (end > info->hi)
		info->hi = end;
	return 0;
}

int elf_parse_phdrs(struct elf_info *info, const void *phdrs, size_t len, uint64_t file_size,
		    uint64_t max_addr)
{
	size_t tsize = elf_phdrs_size(info);
	uint64_t pt_phdr = 0;
	bool have_pt_phdr = false;

	if (len < tsize || max_addr < ELF_PAGE)
		return -ENOEXEC;
	if (info->phoff > file_size || tsize > file_size - info->phoff)
		return -ENOEXEC;

	for (unsigned i = 0; i < info->phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, (const char *)phdrs + i * sizeof ph, sizeof ph);
		int r = 0;
		switch (ph.p_type) {
		case PT_LOAD:
			r = add_load(info, &ph, file_size, max_addr);
			break;
		case PT_INTERP:
			if (info->has_interp || ph.p_filesz < 2 || ph.p_filesz > PATH_MAX ||
			    ph.p_offset > file_size || ph.p_filesz > file_size - ph.p_offset)
				return -ENOEXEC;
			info->has_interp = true;
			info->interp_off = ph.p_offset;
			info->interp_len = ph.p_filesz;
			break;
		case PT_GNU_STACK:
			info->exec_stack = ph.p_flags & PF_X;
			break;
		case PT_PHDR:
			have_pt_phdr = true;
			pt_phdr = ph.p_vaddr;
			break;
		}
		if (r)
			return r;
	}
	if (info->nload == 0)
		return -ENOEXEC;
	if (info->hi - info->lo > max_addr)
		return -ENOEXEC;
	/* An ET_DYN image's entry is relative to its own span; an ET_EXEC's must
	 * lie in the address space at all (whether it is mapped is the
	 * application's problem, as on Linux: it faults). */
	if (info->entry >= max_addr)
		return -ENOEXEC;

	/* AT_PHDR: where a PT_LOAD maps the table (what Linux uses), else
	 * PT_PHDR's claim. */
	for (int i = 0; i < info->nload; i++) {
		const struct elf_seg *s = &info->load[i];
		if (info->phoff >= s->offset && info->phoff - s->offset <= s->filesz &&
		    tsize <= s->filesz - (info->phoff - s->offset)) {
			info->phdr_vaddr = s->vaddr + (info->phoff - s->offset);
			return 0;
		}
	}
	if (have_pt_phdr && pt_phdr < max_addr)
		info->phdr_vaddr = pt_phdr;
	return 0;
}

int elf_check_interp(const char *buf, size_t len)
{
	if (len < 2 || len > PATH_MAX || buf[len - 1] != '\0')
		return -ENOEXEC;
	if (memchr(buf, '\0', len - 1))
		return -ENOEXEC;
	return 0;
}

int elf_parse(const void *buf, size_t len, uint64_t max_addr, struct elf_info *out)
{
	int r = elf_parse_ehdr(buf, len, out);
	if (r)
		return r;
	size_t tsize = elf_phdrs_size(out);
	if (out->phoff > len || tsize > len - out->phoff)
		return -ENOEXEC;
	r = elf_parse_phdrs(out, (const char *)buf + out->phoff, tsize, len, max_addr);
	if (r)
		return r;
	if (out->has_interp) {
		/* elf_parse_phdrs bounded it by the file size, which is len. */
		const char *s = (const char *)buf + out->interp_off;
		r = elf_check_interp(s, out->interp_len);
		if (r)
			return r;
		out->interp = s;
	}
	return 0;
}

/* ---- "#!" ---- */

static bool blank(char c) { return c == ' ' || c == '\t'; }

static char *skip_blanks(char *p, char *last)
{
	for (; p <= last; p++)
		if (!blank(*p))
			return p;
	return NULL;
}

static char *find_terminator(char *p, char *last)
{
	for (; p <= last; p++)
		if (blank(*p) || *p == '\0')
			return p;
	return NULL;
}

int shebang_parse(const void *buf, size_t len, struct shebang *out)
{
	/* Work on a NUL-padded copy of exactly what Linux would have read. */
	char b[SHEBANG_MAX + 1];
	size_t n = len < SHEBANG_MAX ? len : SHEBANG_MAX;
	memset(b, 0, sizeof b);
	memcpy(b, buf, n);
	if (n < 2 || b[0] != '#' || b[1] != '!')
		return -ENOEXEC;

	/* The last byte is reserved for the terminator, as in Linux. */
	char *buf_end = b + SHEBANG_MAX - 1;
	char *end = NULL;
	for (char *p = b; p < b + SHEBANG_MAX && *p; p++) {
		if (*p == '\n') {
			end = p;
			break;
		}
	}
	if (!end) {
		/* No newline: acceptable only if the interpreter name ends in
		 * the buffer; a truncated name would run the wrong program. */
		char *name = skip_blanks(b + 2, buf_end);
		if (!name || !find_terminator(name, buf_end))
			return -ENOEXEC;
		end = buf_end;
	}
	while (blank(end[-1]))
		end--;
	*end = '\0';

	char *name = skip_blanks(b + 2, end);
	if (!name || name == end || *name == '\0')
		return -ENOEXEC;
	char *sep = find_terminator(name, end);
	char *arg = NULL;
	if (sep && *sep)
		arg = skip_blanks(sep, end);
	if (sep)
		*sep = '\0';

	memset(out, 0, sizeof *out);
	/* Both strings are shorter than the buffer they came from. */
	strcpy(out->interp, name);
	if (arg && *arg) {
		strcpy(out->arg, arg);
		out->has_arg = true;
	}
	return 0;
}
