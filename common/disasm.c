/* One-instruction x86-64 decoder for fault reports, on capstone (see disasm.h). */
#include "common/disasm.h"

#include <capstone/capstone.h>
#include <stdio.h>

int disasm_insn(const uint8_t *code, size_t len, uint64_t addr, char *out, size_t outlen)
{
	csh h;
	cs_insn *insn;
	int r = -1;

	if (outlen)
		snprintf(out, outlen, "(bad)");
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -1;
	if (cs_disasm(h, code, len, addr, 1, &insn) == 1) {
		if (outlen)
			snprintf(out, outlen, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
				 insn->op_str);
		r = insn->size;
		cs_free(insn, 1);
	}
	cs_close(&h);
	return r;
}
