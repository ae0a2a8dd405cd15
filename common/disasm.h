/* Decoding one x86-64 instruction (capstone), for fault reports. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes "mnemonic operands" of the instruction at code (len bytes
 * available, located at addr) into out.  Returns its length in bytes, or
 * -1 if it does not decode (out then says "(bad)", also when capstone
 * cannot be loaded). */
int disasm_insn(const uint8_t *code, size_t len, uint64_t addr, char *out, size_t outlen);
/* Loads capstone now (it is dlopen'ed on first use): a process that will
 * lose access to the host's libraries (pivot_root, seccomp) calls this
 * first.  Whether it is usable. */
bool disasm_preload(void);
