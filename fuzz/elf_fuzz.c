/* libFuzzer target: the ELF and "#!" parsers must survive arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sentry/kernel/elf/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info info;
	struct shebang sb;

	/* A small address space too, so the limit checks are exercised. */
	if (elf_parse(data, size, 0x7ffffffff000ULL, &info) == 0) {
		if (info.interp && strlen(info.interp) + 1 != info.interp_len)
			__builtin_trap();
		for (int i = 0; i < info.nload; i++)
			if (info.load[i].filesz > info.load[i].memsz ||
			    info.load[i].offset + info.load[i].filesz > size ||
			    info.load[i].vaddr + info.load[i].memsz > info.hi)
				__builtin_trap();
		if (info.hi - info.lo > 0x7ffffffff000ULL)
			__builtin_trap();
	}
	elf_parse(data, size, 1ULL << 32, &info);
	if (shebang_parse(data, size, &sb) == 0) {
		if (!sb.interp[0] || strlen(sb.interp) >= SHEBANG_MAX)
			__builtin_trap();
	}
	return 0;
}
