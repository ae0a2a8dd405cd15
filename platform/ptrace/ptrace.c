/* The ptrace platform's ops table and its once-per-sentry setup. */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

int ptrace_memfd = -1;
int ptrace_codefd = -1;
pid_t ptrace_sentry_pid;
uint8_t *ptrace_fpu_init_image;

/* The FPU state Linux gives a new program: x87 control word 0x37f, MXCSR
 * 0x1f80 (all exceptions masked, round to nearest), every register zero.
 * XSTATE_BV names x87 and SSE so that both are loaded from this image. */
static int fpu_image_init(void)
{
	uint8_t *p = pf_fpu_alloc();
	if (!p)
		return -ENOMEM;
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80, mxcsr_mask = 0xffff;
	uint64_t xstate_bv = 3;
	memcpy(p + 0, &fcw, sizeof fcw);
	memcpy(p + 24, &mxcsr, sizeof mxcsr);
	memcpy(p + 28, &mxcsr_mask, sizeof mxcsr_mask);
	memcpy(p + 512, &xstate_bv, sizeof xstate_bv);
	ptrace_fpu_init_image = p;
	return 0;
}

static int ptrace_init(int memfd)
{
	if (memfd < 0)
		return -EBADF;
	ptrace_memfd = memfd;
	ptrace_sentry_pid = getpid();
	int e = stub_code_init();
	if (e) {
		log_warn("ptrace: stub code memfd: %s", strerror(-e));
		return e;
	}
	if (!ptrace_fpu_init_image && (e = fpu_image_init()))
		return e;
	return factory_start();
}

const struct platform platform_ptrace = {
    .name = "ptrace",
    .init = ptrace_init,
    .max_addr = STUB_MAX_ADDR,
    .as_new = ptrace_as_new,
    .as_free = ptrace_as_free,
    .map = ptrace_map,
    .unmap = ptrace_unmap,
    .ctx_new = ptrace_ctx_new,
    .ctx_free = ptrace_ctx_free,
    .run = ptrace_run,
    .interrupt = ptrace_interrupt,
    .fpu_fetch = ptrace_fpu_fetch,
};
