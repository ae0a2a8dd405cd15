/* Platform selection by name and the XSAVE-area helpers shared by platforms. */
#include "platform/platform.h"

#include <cpuid.h>
#include <pthread.h>
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

static uint8_t *fpu_init;
static pthread_once_t fpu_init_once = PTHREAD_ONCE_INIT;

/* The FPU state Linux gives a new program: x87 control word 0x37f, MXCSR
 * 0x1f80 (all exceptions masked, round to nearest), every register zero.
 * XSTATE_BV names x87 and SSE so that both are loaded from this image. */
static void fpu_init_build(void)
{
	uint8_t *p = pf_fpu_alloc();
	if (!p)
		return;
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80, mxcsr_mask = 0xffff;
	uint64_t xstate_bv = 3;
	memcpy(p + 0, &fcw, sizeof fcw);
	memcpy(p + 24, &mxcsr, sizeof mxcsr);
	memcpy(p + 28, &mxcsr_mask, sizeof mxcsr_mask);
	memcpy(p + 512, &xstate_bv, sizeof xstate_bv);
	fpu_init = p;
}

const uint8_t *pf_fpu_init_image(void)
{
	pthread_once(&fpu_init_once, fpu_init_build);
	return fpu_init;
}
