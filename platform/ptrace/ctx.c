/* Ptrace contexts: running application code in a stub thread under
 * PTRACE_SYSEMU and turning each stop into a pf_event. */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

struct pf_ctx *ptrace_ctx_new(void)
{
	struct pf_ctx *ctx = calloc(1, sizeof *ctx);
	if (ctx)
		ctx->cpu = -1;
	return ctx;
}

static void unbind(struct pf_ctx *ctx)
{
	struct pf_as *as = ctx->as;
	if (!as)
		return;
	pthread_mutex_lock(&as->lock);
	if (as->main_ctx == ctx)
		as->main_ctx = NULL;
	pthread_mutex_unlock(&as->lock);
	atomic_store(&ctx->tid, 0);
	atomic_store(&ctx->tgid, 0);
	ctx->as = NULL;
	ctx->kregs_valid = false;
}

void ptrace_ctx_free(struct pf_ctx *ctx)
{
	if (!ctx)
		return;
	/* The main thread is the stub process itself: it goes with as_free.
	 * Cloned stub threads (next milestone) get an injected exit(0). */
	unbind(ctx);
	free(ctx);
}

/* Both ends of a ptrace round trip on one CPU: a wake-up across cores costs
 * 7-10x the whole round trip on this kind of host. */
static void pin(struct pf_ctx *ctx, pid_t tid)
{
	if (ctx->cpu < 0)
		ctx->cpu = sched_getcpu();
	if (ctx->cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(ctx->cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) || sched_setaffinity(tid, sizeof set, &set))
		DEBUG("ptrace: cannot pin stub %d to cpu %d: %s", tid, ctx->cpu, strerror(errno));
}

static int bind(struct pf_ctx *ctx, struct pf_as *as)
{
	unbind(ctx);
	pthread_mutex_lock(&as->lock);
	if (as->main_ctx) {
		pthread_mutex_unlock(&as->lock);
		log_warn("ptrace: a second thread in one address space is not supported yet");
		return -EAGAIN;
	}
	as->main_ctx = ctx;
	pthread_mutex_unlock(&as->lock);
	ctx->as = as;
	ctx->dead = as->dead;
	ctx->kregs_valid = false;
	ctx->fpu_init = true; /* a fresh thread, or execve: Linux starts clean */
	atomic_store(&ctx->tgid, as->pid);
	atomic_store(&ctx->tid, as->pid);
	pin(ctx, as->pid);
	return 0;
}

static int set_fpu(pid_t tid, uint8_t *buf)
{
	/* The host loads MXCSR and the x87 control word only for components
	 * named in XSTATE_BV; a saved image may have them clear (init state)
	 * while the sentry has since changed them.  The image holds valid
	 * values for both either way, so name them. */
	uint64_t bv;
	memcpy(&bv, buf + 512, sizeof bv);
	bv |= 3;
	memcpy(buf + 512, &bv, sizeof bv);
	struct iovec iov = {.iov_base = buf, .iov_len = pf_fpu_size() & ~7UL};
	return ptrace(PTRACE_SETREGSET, tid, NT_X86_XSTATE, &iov) ? -errno : 0;
}

/* Gives the host thread st's registers with as few ptrace calls as possible:
 * after a syscall usually only rax changed, and often nothing did. */
static int load_regs(struct pf_ctx *ctx, pid_t tid, struct arch_state *st)
{
	struct user_regs_struct *r = &st->regs;
	/* Values the kernel refuses or that would fault on return; the
	 * application cannot choose its selectors anyway. */
	r->cs = 0x33;
	r->ss = 0x2b;
	r->ds = r->es = r->fs = r->gs = 0;

	struct user_regs_struct want = *r;
	/* With orig_rax >= 0 and rax one of the kernel's internal -ERESTART*
	 * codes, a host signal arriving as we resume would make the host
	 * rewind rip and rerun the syscall instruction. */
	if ((int64_t)want.orig_rax >= 0 && (int64_t)want.rax <= -512 && (int64_t)want.rax >= -516)
		want.orig_rax = -1;

	if (ctx->kregs_valid) {
		struct user_regs_struct k = ctx->kregs;
		k.rax = want.rax;
		if (!memcmp(&k, &want, sizeof k)) {
			if (ctx->kregs.rax == want.rax)
				return 0;
			if (ptrace(PTRACE_POKEUSER, tid, offsetof(struct user_regs_struct, rax),
				   want.rax))
				return -errno;
			ctx->kregs.rax = want.rax;
			return 0;
		}
	}
	ctx->kregs_valid = false;
	if (ptrace(PTRACE_SETREGS, tid, 0, &want))
		return -errno;
	ctx->kregs = want;
	ctx->kregs_valid = true;
	return 0;
}

static int fetch_regs(struct pf_ctx *ctx, pid_t tid, struct arch_state *st)
{
	if (ptrace(PTRACE_GETREGS, tid, 0, &st->regs)) {
		ctx->kregs_valid = false;
		return -errno;
	}
	ctx->kregs = st->regs;
	ctx->kregs_valid = true;
	return 0;
}

static bool is_interrupt(const siginfo_t *si)
{
	return si->si_signo == PTRACE_INTR_SIG && si->si_code == SI_TKILL &&
	       si->si_pid == ptrace_sentry_pid;
}

static bool is_sync(int sig, const siginfo_t *si)
{
	/* si_code > 0 means the kernel raised it for an instruction (or
	 * SI_KERNEL, e.g. a general protection fault or int3); kill() and
	 * tgkill() from anyone give si_code <= 0. */
	return (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
		sig == SIGTRAP) &&
	       si->si_code > 0;
}

static int fail(struct pf_ctx *ctx, int e)
{
	ctx->dead = true;
	if (ctx->as)
		ctx->as->dead = true;
	return e;
}

int ptrace_run(struct pf_ctx *ctx, struct pf_as *as, struct arch_state *st, struct pf_event *ev)
{
	int e;
	if (ctx->as != as && (e = bind(ctx, as)))
		return e;
	if (ctx->dead || as->dead)
		return -ESRCH;
	pid_t tid = atomic_load(&ctx->tid);
	memset(ev, 0, sizeof *ev);

	if (atomic_exchange(&ctx->intr, false)) {
		ev->kind = PF_EV_INTERRUPT;
		return 0;
	}
	if (as->nops) {
		pthread_mutex_lock(&as->lock);
		e = as_flush_locked(as, tid);
		pthread_mutex_unlock(&as->lock);
		if (e)
			return fail(ctx, e);
		ctx->kregs_valid = false;
		/* A flush takes a while; an interrupt may have come meanwhile. */
		if (atomic_exchange(&ctx->intr, false)) {
			ev->kind = PF_EV_INTERRUPT;
			return 0;
		}
	}
	if ((e = load_regs(ctx, tid, st)))
		return e == -ESRCH ? fail(ctx, e) : e;
	if (st->fpu_dirty || ctx->fpu_init) {
		if ((e = set_fpu(tid, st->fpu_dirty ? st->fpu : ptrace_fpu_init_image)))
			return e;
		st->fpu_dirty = false;
		ctx->fpu_init = false;
	}
	st->fpu_valid = false;

	int sig = 0;
	for (;;) {
		if (ptrace(PTRACE_SYSEMU, tid, 0, sig))
			return fail(ctx, -errno);
		sig = 0;
		int status = stub_wait(tid);
		if (status < 0)
			return fail(ctx, status);
		int stop = WSTOPSIG(status);
		if (stop == (SIGTRAP | 0x80)) {
			if ((e = fetch_regs(ctx, tid, st)))
				return fail(ctx, e);
			ev->kind = PF_EV_SYSCALL;
			return 0;
		}
		siginfo_t si;
		if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si))
			continue; /* a group-stop: just resume */
		if (is_interrupt(&si)) {
			if (!atomic_exchange(&ctx->intr, false))
				continue; /* already reported by an earlier run() */
			ev->kind = PF_EV_INTERRUPT;
		} else if (stop == SIGSEGV &&
			   (si.si_code == SEGV_MAPERR || si.si_code == SEGV_ACCERR)) {
			ev->kind = PF_EV_FAULT;
			ev->addr = (uint64_t)si.si_addr;
			ev->access = 0; /* ptrace does not show the page-fault error code */
			ev->si_code = si.si_code;
			ev->signo = SIGSEGV;
			ev->info = si;
		} else if (is_sync(stop, &si)) {
			ev->kind = PF_EV_SIGNAL;
			ev->signo = stop;
			ev->si_code = si.si_code;
			ev->addr = (uint64_t)si.si_addr;
			ev->info = si;
		} else {
			/* An asynchronous host signal (not ours to deliver: the
			 * application's signals live in the sentry). */
			DEBUG("ptrace: stub %d: ignoring host SIG%s", tid, sigabbrev_np(stop));
			continue;
		}
		if ((e = fetch_regs(ctx, tid, st)))
			return fail(ctx, e);
		return 0;
	}
}

void ptrace_interrupt(struct pf_ctx *ctx)
{
	atomic_store(&ctx->intr, true);
	pid_t tgid = atomic_load(&ctx->tgid), tid = atomic_load(&ctx->tid);
	if (tid > 0)
		syscall(SYS_tgkill, tgid, tid, PTRACE_INTR_SIG);
}

int ptrace_fpu_fetch(struct pf_ctx *ctx, struct arch_state *st)
{
	if (st->fpu_dirty)
		return 0; /* the sentry's copy is the newer one */
	if (!ctx->as || ctx->fpu_init) {
		memcpy(st->fpu, ptrace_fpu_init_image, pf_fpu_size());
	} else {
		struct iovec iov = {.iov_base = st->fpu, .iov_len = pf_fpu_size() & ~7UL};
		if (ptrace(PTRACE_GETREGSET, atomic_load(&ctx->tid), NT_X86_XSTATE, &iov))
			return -errno;
	}
	st->fpu_valid = true;
	return 0;
}
