/* Platform selection by name and the XSAVE-area helpers shared by platforms. */
#include "platform/platform.h"

#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

const struct platform *pf;

/* Weak, so that a unit test linking one platform's folder still links. */
#pragma weak platform_ptrace
#pragma weak platform_kvm

const struct platform *pf_lookup(const char *name)
{
	if (!strcmp(name, "ptrace"))
		return &platform_ptrace;
	if (!strcmp(name, "kvm"))
		return &platform_kvm;
	return NULL;
}

size_t pf_fpu_size(void)
{
	static size_t size;
	if (!size) {
		unsigned a, b, c, d;
		/* CPUID.(EAX=0DH,ECX=0):EBX is the XSAVE area size for the features
		 * enabled in XCR0; 4096 covers AVX-512 with room to spare. */
		if (__get_cpuid_count(0xd, 0, &a, &b, &c, &d) && b)
			size = b;
		else
			size = 512 + 64;
		if (size < 4096)
			size = 4096;
	}
	return size;
}

uint8_t *pf_fpu_alloc(void)
{
	size_t n = pf_fpu_size();
	uint8_t *p = aligned_alloc(64, n);
	if (p)
		memset(p, 0, n);
	return p;
}
