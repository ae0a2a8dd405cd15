/* One-instruction x86-64 decoder for fault reports, on capstone loaded on first use (see disasm.h). */
#include "common/disasm.h"

#include <capstone/capstone.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* capstone is opened with dlopen rather than linked: as a DT_NEEDED
 * library its ~77000 relocations cost every exec of cvisor (launcher,
 * gofer, sentry) about a millisecond, for a decoder only --debug fault
 * reports use. */
static struct {
	cs_err (*open)(cs_arch, cs_mode, csh *);
	size_t (*disasm)(csh, const uint8_t *, size_t, uint64_t, size_t, cs_insn **);
	void (*free)(cs_insn *, size_t);
	cs_err (*close)(csh *);
	bool ok;
} cs;
static pthread_once_t cs_once = PTHREAD_ONCE_INIT;

#define STR_(x) #x
#define STR(x) STR_(x)

static void cs_load(void)
{
	void *h = dlopen("libcapstone.so." STR(CS_API_MAJOR), RTLD_NOW | RTLD_LOCAL);
	if (!h)
		h = dlopen("libcapstone.so", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	cs.open = (cs_err(*)(cs_arch, cs_mode, csh *))dlsym(h, "cs_open");
	cs.disasm = (size_t(*)(csh, const uint8_t *, size_t, uint64_t, size_t, cs_insn **))dlsym(
	    h, "cs_disasm");
	cs.free = (void (*)(cs_insn *, size_t))dlsym(h, "cs_free");
	cs.close = (cs_err(*)(csh *))dlsym(h, "cs_close");
	cs.ok = cs.open && cs.disasm && cs.free && cs.close;
}

bool disasm_preload(void)
{
	pthread_once(&cs_once, cs_load);
	return cs.ok;
}

int disasm_insn(const uint8_t *code, size_t len, uint64_t addr, char *out, size_t outlen)
{
	csh h;
	cs_insn *insn;
	int r = -1;

	if (outlen)
		snprintf(out, outlen, "(bad)");
	if (!disasm_preload() || cs.open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -1;
	if (cs.disasm(h, code, len, addr, 1, &insn) == 1) {
		if (outlen)
			snprintf(out, outlen, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
				 insn->op_str);
		r = insn->size;
		cs.free(insn, 1);
	}
	cs.close(&h);
	return r;
}
