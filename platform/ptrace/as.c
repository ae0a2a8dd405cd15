/* Ptrace address spaces: one stub process each, and the batched list of
 * memory-file map/unmap operations applied in it. */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"

struct pf_as *ptrace_as_new(void)
{
	struct pf_as *as = calloc(1, sizeof *as);
	if (!as)
		return NULL;
	pthread_mutex_init(&as->lock, NULL);
	int fd = memfd_create("cvisor-stub-ops", MFD_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (ftruncate(fd, STUB_OPS_SIZE))
		goto fail_fd;
	as->page = mmap(NULL, STUB_OPS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (as->page == MAP_FAILED) {
		as->page = NULL;
		goto fail_fd;
	}
	int e = stub_create(as, fd);
	close(fd);
	if (e)
		goto fail;
	DEBUG("ptrace: address space %p is stub %d", (void *)as, as->pid);
	return as;
fail_fd:
	close(fd);
fail:
	if (as->page)
		munmap(as->page, STUB_OPS_SIZE);
	pthread_mutex_destroy(&as->lock);
	free(as);
	return NULL;
}

void ptrace_as_free(struct pf_as *as)
{
	if (!as)
		return;
	pthread_mutex_lock(&as->lock);
	struct pf_ctx *ctx = as->main_ctx;
	if (ctx) {
		atomic_store(&ctx->tid, 0);
		atomic_store(&ctx->tgid, 0);
		ctx->as = NULL;
		ctx->kregs_valid = false;
	}
	as->main_ctx = NULL;
	pthread_mutex_unlock(&as->lock);
	if (!as->dead)
		stub_kill(as->pid);
	munmap(as->page, STUB_OPS_SIZE);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

static struct stub_op *ops(struct pf_as *as) { return (struct stub_op *)(as->page + OPS_LIST); }

int as_flush_locked(struct pf_as *as, pid_t tid)
{
	uint32_t n = as->nops;
	if (!n)
		return 0;
	if (as->dead)
		return -ESRCH;
	uint64_t n64 = n;
	memcpy(as->page + OPS_N, &n64, sizeof n64);
	as->nops = 0;
	if (as->main_ctx && atomic_load(&as->main_ctx->tid) == tid)
		as->main_ctx->kregs_valid = false;

	struct user_regs_struct regs = {.rip = STUB_ADDR_OF(stub_ops)};
	int e = stub_call(tid, &regs, false, STUB_ADDR_OF(stub_ops_done));
	if (e) {
		as->dead = true;
		return e;
	}
	if (regs.rax) {
		struct stub_op *op = &ops(as)[regs.r14 < n ? regs.r14 : 0];
		log_warn("ptrace: stub %d: host %s of 0x%lx+0x%lx failed: %s", as->pid,
			 op->prot == OP_UNMAP ? "munmap" : "mmap", (unsigned long)op->va,
			 (unsigned long)op->len, strerror(-(long)regs.rax));
		return (int)(long)regs.rax;
	}
	return 0;
}

static int queue(struct pf_as *as, uint64_t va, uint64_t len, int64_t prot, uint64_t off)
{
	if ((va | len | off) & (PAGE_SIZE - 1) || !len || va >= STUB_MAX_ADDR ||
	    len > STUB_MAX_ADDR - va)
		return -EINVAL;
	pthread_mutex_lock(&as->lock);
	int e = 0;
	struct stub_op *last = as->nops ? &ops(as)[as->nops - 1] : NULL;
	/* Faults and the loader often map neighbouring pages in order. */
	if (last && prot != OP_UNMAP && last->prot == prot && last->va + last->len == va &&
	    last->off + last->len == off) {
		last->len += len;
		goto out;
	}
	if (last && prot == OP_UNMAP && last->prot == OP_UNMAP && last->va + last->len == va) {
		last->len += len;
		goto out;
	}
	if (as->nops == STUB_OPS_MAX) {
		/* Flushing needs a stopped thread we trace: the main thread is
		 * stopped whenever its tracer is not inside run(). */
		if (as->tracer != gettid()) {
			e = -ENOMEM;
			goto out;
		}
		e = as_flush_locked(as, as->pid);
		if (e)
			goto out;
	}
	ops(as)[as->nops++] = (struct stub_op){.va = va, .len = len, .prot = prot, .off = off};
out:
	pthread_mutex_unlock(&as->lock);
	return e;
}

int ptrace_map(struct pf_as *as, uint64_t va, uint64_t len, int prot, uint64_t off)
{
	if (prot & ~(PF_PROT_READ | PF_PROT_WRITE | PF_PROT_EXEC))
		return -EINVAL;
	return queue(as, va, len, prot, off);
}

int ptrace_unmap(struct pf_as *as, uint64_t va, uint64_t len)
{
	return queue(as, va, len, OP_UNMAP, 0);
}
