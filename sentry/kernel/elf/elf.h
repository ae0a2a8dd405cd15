/* Pure parsers for what execve reads from a file: ELF64 x86-64 headers and
 * "#!" interpreter lines.  No I/O and no allocation: every function takes a
 * buffer of untrusted bytes and either fills a description or returns
 * -ENOEXEC, so the loader, the unit tests and the fuzzer share them.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux reads this many bytes of a file to recognise its format. */
#define ELF_PROBE_SIZE 256
/* Like Linux, refuse program header tables larger than 64 KiB. */
#define ELF_MAX_PHDRS_SIZE 65536
/* More PT_LOAD segments than any linker emits; bounds struct elf_info. */
#define ELF_MAX_LOADS 64
#define ELF_EHDR_SIZE 64
#define ELF_PHDR_SIZE 56

/* One PT_LOAD segment, validated: filesz <= memsz, offset and vaddr
 * congruent modulo the page size, no overflow. */
struct elf_seg {
	uint64_t vaddr, memsz;
	uint64_t offset, filesz;
	int prot; /* PROT_READ/WRITE/EXEC from p_flags */
};

struct elf_info {
	bool dyn;	/* ET_DYN (PIE or ld.so): loaded at a chosen bias */
	uint64_t entry; /* e_entry, before the load bias */
	uint64_t phoff; /* e_phoff */
	uint16_t phnum;
	/* Program headers' address in the image (AT_PHDR) before the bias, or 0
	 * when no segment maps them and there is no PT_PHDR. */
	uint64_t phdr_vaddr;
	/* PT_INTERP bytes in the file; interp_len includes the final NUL. */
	bool has_interp;
	uint64_t interp_off, interp_len;
	/* The interpreter path, set only by elf_parse() when the whole
	 * PT_INTERP lies inside its buffer (points into that buffer). */
	const char *interp;
	bool exec_stack; /* PT_GNU_STACK with PF_X */
	/* PT_LOAD segments in file order (ascending vaddr, as the ABI says). */
	int nload;
	struct elf_seg load[ELF_MAX_LOADS];
	/* Page-aligned span of all segments, before the bias. */
	uint64_t lo, hi;
};

/* Validates the ELF header in buf (at least ELF_EHDR_SIZE bytes from file
 * offset 0): magic, ELFCLASS64, little endian, EV_CURRENT, EM_X86_64,
 * ET_EXEC or ET_DYN, e_phentsize, 1 <= e_phnum, table <= 64 KiB.
 * Fills dyn, entry, phoff, phnum.  0 or -ENOEXEC. */
int elf_parse_ehdr(const void *buf, size_t len, struct elf_info *out);

/* Bytes of program headers to read at out->phoff after elf_parse_ehdr. */
size_t elf_phdrs_size(const struct elf_info *info);

/* Validates the program header table (elf_phdrs_size bytes) and fills the
 * rest of info.  file_size bounds segment and PT_INTERP offsets (pass
 * UINT64_MAX if unknown); max_addr bounds the address space: ET_EXEC
 * segments must lie below it, ET_DYN images must be smaller than it.
 * 0 or -ENOEXEC. */
int elf_parse_phdrs(struct elf_info *info, const void *phdrs, size_t len, uint64_t file_size,
		    uint64_t max_addr);

/* Checks PT_INTERP bytes: 2..PATH_MAX bytes ending in NUL, no NUL before.
 * 0 or -ENOEXEC. */
int elf_check_interp(const char *buf, size_t len);

/* Whole-file convenience (tests, fuzzer): buf holds the file from offset 0
 * and len is its size.  Headers, phdrs and PT_INTERP must lie in buf.
 * 0 or -ENOEXEC. */
int elf_parse(const void *buf, size_t len, uint64_t max_addr, struct elf_info *out);

/* True if buf starts with the ELF magic. */
bool elf_is_elf(const void *buf, size_t len);

/* ---- "#!" scripts ---- */

#define SHEBANG_MAX 256 /* BINPRM_BUF_SIZE: the line must fit in this */

struct shebang {
	char interp[SHEBANG_MAX];
	char arg[SHEBANG_MAX];
	bool has_arg;
};

/* Parses the first line of a script (buf holds the file's first bytes,
 * starting with "#!").  As Linux: the interpreter runs from the first
 * non-blank after "#!" to the next blank; everything after it, with
 * surrounding blanks stripped, is one optional argument.  The line must end
 * within SHEBANG_MAX bytes unless the interpreter name itself ends within
 * them (the argument is then truncated).  0 or -ENOEXEC (not a script,
 * empty interpreter, truncated interpreter name). */
int shebang_parse(const void *buf, size_t len, struct shebang *out);
