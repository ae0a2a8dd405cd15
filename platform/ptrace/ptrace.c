/* The ptrace platform's ops table and its once-per-sentry setup. */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

int ptrace_memfd = -1;
int ptrace_codefd = -1;
pid_t ptrace_sentry_pid;

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
	if (!pf_fpu_init_image() && (e = -ENOMEM))
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
