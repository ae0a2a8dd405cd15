/* Ptrace address spaces: one stub process each, and the batched list of
 * memory-file map/unmap operations applied in it. */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"

struct pf_as *as_create(void)
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
	pid_t spare = stub_clone_inject(as->pid);
	as->spare = spare > 0 ? spare : 0;
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

struct pf_as *ptrace_as_new(void)
{
	/* The factory forks: PR_SET_PDEATHSIG follows the forking thread. */
	return factory_as_new();
}

void ptrace_as_free(struct pf_as *as)
{
	if (!as)
		return;
	pid_t me = ptrace_self();
	bool others = false;
	pthread_mutex_lock(&ptrace_bind_lock);
	pthread_mutex_lock(&as->lock);
	if (!as->reaped)
		kill(as->pid, SIGKILL);
	/* Normally empty: ctxs move on or are freed before their as. */
	struct pf_ctx *ctx;
	while ((ctx = as->ctxs)) {
		as->ctxs = ctx->as_next;
		pid_t tid = atomic_load(&ctx->tid);
		if (tid && ctx->owner == me) {
			stub_reap(tid);
		} else if (tid) {
			/* Only its tracer can collect it. */
			ctx->zombie = tid;
			others = true;
		}
		ctx_unbound(ctx);
	}
	pthread_mutex_unlock(&as->lock);
	pthread_mutex_unlock(&ptrace_bind_lock);
	if (!as->reaped) {
		if (others)
			factory_reap(as->pid);
		else
			stub_reap(as->pid);
	}
	munmap(as->page, STUB_OPS_SIZE);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

static struct stub_op *ops(struct pf_as *as) { return (struct stub_op *)(as->page + OPS_LIST); }

int as_flush_locked(struct pf_as *as, pid_t tid, struct pf_ctx *ctx)
{
	uint32_t n = as->nops;
	if (!n)
		return 0;
	if (atomic_load(&as->dead))
		return -ESRCH;
	uint64_t n64 = n;
	memcpy(as->page + OPS_N, &n64, sizeof n64);
	as->nops = 0;
	atomic_store(&as->pending, false);
	if (ctx)
		ctx->kregs_valid = false;

	struct user_regs_struct regs = {.rip = STUB_ADDR_OF(stub_ops)};
	int e = stub_call(tid, &regs, false, STUB_ADDR_OF(stub_ops_done));
	if (e) {
		atomic_store(&as->dead, true);
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

/* A thread of as that the caller traces and that is therefore stopped:
 * the caller is here, not inside run(). */
static struct pf_ctx *own_ctx_locked(struct pf_as *as)
{
	pid_t me = ptrace_self();
	for (struct pf_ctx *c = as->ctxs; c; c = c->as_next)
		if (c->owner == me && !c->dead && atomic_load(&c->tid))
			return c;
	return NULL;
}

/* Applies the op list now.  Called with as->lock held; returns without. */
static int apply_unlock(struct pf_as *as)
{
	struct pf_ctx *c = own_ctx_locked(as);
	if (c) {
		int e = as_flush_locked(as, atomic_load(&c->tid), c);
		if (e == -ECHILD) {
			atomic_store(&c->tid, 0); /* collected by stub_wait */
			c->dead = true;
			e = -ESRCH;
		}
		pthread_mutex_unlock(&as->lock);
		return e;
	}
	pthread_mutex_unlock(&as->lock);
	return factory_flush(as);
}

static int queue(struct pf_as *as, uint64_t va, uint64_t len, int64_t prot, uint64_t off)
{
	if ((va | len | off) & (PAGE_SIZE - 1) || !len || va >= STUB_MAX_ADDR ||
	    len > STUB_MAX_ADDR - va)
		return -EINVAL;
	pthread_mutex_lock(&as->lock);
	struct stub_op *last = as->nops ? &ops(as)[as->nops - 1] : NULL;
	/* Faults and the loader often map neighbouring pages in order. */
	if (last && prot != OP_UNMAP && last->prot == prot && last->va + last->len == va &&
	    last->off + last->len == off) {
		last->len += len;
	} else if (last && prot == OP_UNMAP && last->prot == OP_UNMAP &&
		   last->va + last->len == va) {
		last->len += len;
	} else {
		while (as->nops == STUB_OPS_MAX) {
			int e = apply_unlock(as);
			if (e)
				return e;
			pthread_mutex_lock(&as->lock);
		}
		ops(as)[as->nops++] =
		    (struct stub_op){.va = va, .len = len, .prot = prot, .off = off};
	}
	/* Pairs with run(), which raises nrunning and then reads pending:
	 * either it sees this op or we see it running. */
	atomic_store(&as->pending, true);
	if (prot == OP_UNMAP && atomic_load(&as->nrunning) > 0)
		return apply_unlock(as);
	pthread_mutex_unlock(&as->lock);
	return 0;
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

long ptrace_as_inject(struct pf_as *as, long nr, const uint64_t args[6])
{
	return factory_inject(as, nr, args);
}
