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

__thread pid_t ptrace_tls_tid;
pthread_mutex_t ptrace_bind_lock = PTHREAD_MUTEX_INITIALIZER;

/* Every ctx that has an owner (under ptrace_bind_lock). */
static struct pf_ctx *owned;
static pthread_key_t owner_key;
static pthread_once_t owner_once = PTHREAD_ONCE_INIT;
static __thread bool owner_registered;

struct pf_ctx *ptrace_ctx_new(void)
{
	struct pf_ctx *ctx = calloc(1, sizeof *ctx);
	if (ctx)
		ctx->cpu = -1;
	return ctx;
}

void ctx_unbound(struct pf_ctx *ctx)
{
	atomic_store(&ctx->tid, 0);
	atomic_store(&ctx->tgid, 0);
	atomic_store(&ctx->as, NULL);
	ctx->as_next = NULL;
	ctx->kregs_valid = false;
}

/* Ends ctx's stub thread, if any (caller holds ptrace_bind_lock and traces
 * it: it is the owner). */
static void detach_locked(struct pf_ctx *ctx)
{
	struct pf_as *as = atomic_load(&ctx->as);
	pid_t tid = atomic_load(&ctx->tid);
	if (as) {
		pthread_mutex_lock(&as->lock);
		for (struct pf_ctx **p = &as->ctxs; *p; p = &(*p)->as_next)
			if (*p == ctx) {
				*p = ctx->as_next;
				break;
			}
		pthread_mutex_unlock(&as->lock);
		ctx_unbound(ctx);
		if (tid)
			stub_thread_exit(tid);
	}
	if (ctx->zombie) {
		stub_reap(ctx->zombie);
		ctx->zombie = 0;
	}
}

static void owned_unlink_locked(struct pf_ctx *ctx)
{
	if (!ctx->owned_pprev)
		return;
	*ctx->owned_pprev = ctx->owned_next;
	if (ctx->owned_next)
		ctx->owned_next->owned_pprev = ctx->owned_pprev;
	ctx->owned_pprev = NULL;
}

/* A sentry thread is exiting: its stub threads would otherwise be killed
 * (EXITKILL takes the whole stub process) or, worse, left untraced. */
static void owner_exit(void *unused)
{
	pid_t me = ptrace_self();
	pthread_mutex_lock(&ptrace_bind_lock);
	struct pf_ctx *next;
	for (struct pf_ctx *ctx = owned; ctx; ctx = next) {
		next = ctx->owned_next;
		if (ctx->owner != me || ctx->owner_gone)
			continue;
		detach_locked(ctx);
		ctx->owner_gone = true;
		if (ctx->orphan) {
			owned_unlink_locked(ctx);
			free(ctx);
		}
	}
	pthread_mutex_unlock(&ptrace_bind_lock);
}

static void owner_key_init(void)
{
	if (pthread_key_create(&owner_key, owner_exit))
		die("ptrace: pthread_key_create");
}

void ptrace_ctx_free(struct pf_ctx *ctx)
{
	if (!ctx)
		return;
	pthread_mutex_lock(&ptrace_bind_lock);
	if (ctx->owner && !ctx->owner_gone && ctx->owner != ptrace_self()) {
		/* Its stub thread answers only to the owner, which is alive. */
		log_warn("ptrace: ctx freed by thread %d while its thread %d lives", ptrace_self(),
			 ctx->owner);
		ctx->orphan = true;
		pthread_mutex_unlock(&ptrace_bind_lock);
		return;
	}
	detach_locked(ctx);
	owned_unlink_locked(ctx);
	pthread_mutex_unlock(&ptrace_bind_lock);
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

/* A parked stub thread in as: the spare one the factory made with it, or
 * one cloned by a thread the caller already traces there, or by the control
 * thread through the factory. */
static pid_t new_thread(struct pf_as *as)
{
	pthread_mutex_lock(&as->lock);
	pid_t me = ptrace_self();
	if (as->spare) {
		pid_t r = as->spare;
		as->spare = 0;
		pthread_mutex_unlock(&as->lock);
		return r;
	}
	for (struct pf_ctx *c = as->ctxs; c; c = c->as_next) {
		pid_t tid = atomic_load(&c->tid);
		if (c->owner == me && !c->dead && tid) {
			c->kregs_valid = false;
			pid_t r = stub_clone_inject(tid);
			pthread_mutex_unlock(&as->lock);
			return r;
		}
	}
	pthread_mutex_unlock(&as->lock);
	return factory_clone(as);
}

/* The first run() of ctx in as, from the calling thread. */
static int bind(struct pf_ctx *ctx, struct pf_as *as)
{
	pid_t me = ptrace_self();
	pthread_mutex_lock(&ptrace_bind_lock);
	if ((ctx->owner && ctx->owner != me) || ctx->owner_gone) {
		pthread_mutex_unlock(&ptrace_bind_lock);
		log_warn("ptrace: ctx of thread %d run by thread %d", ctx->owner, me);
		return -EINVAL;
	}
	if (!ctx->owner) {
		pthread_once(&owner_once, owner_key_init);
		if (!owner_registered) {
			/* Any non-NULL value makes the destructor run. */
			pthread_setspecific(owner_key, &owner_registered);
			owner_registered = true;
		}
		ctx->owner = me;
		ctx->owned_next = owned;
		if (owned)
			owned->owned_pprev = &ctx->owned_next;
		ctx->owned_pprev = &owned;
		owned = ctx;
	}
	/* execve: the task keeps its ctx, its thread in the old as goes. */
	detach_locked(ctx);
	pthread_mutex_unlock(&ptrace_bind_lock);

	if (atomic_load(&as->dead))
		return -ESRCH;
	pid_t tid = new_thread(as);
	if (tid < 0)
		return tid;
	int e = stub_seize(tid);
	if (e) {
		/* An untraced thread must not live on next to application
		 * memory: the as is lost. */
		log_warn("ptrace: cannot seize stub thread %d: %s", tid, strerror(-e));
		syscall(SYS_tgkill, as->pid, tid, SIGKILL);
		atomic_store(&as->dead, true);
		return -ESRCH;
	}
	pthread_mutex_lock(&ptrace_bind_lock);
	pthread_mutex_lock(&as->lock);
	ctx->as_next = as->ctxs;
	as->ctxs = ctx;
	pthread_mutex_unlock(&as->lock);
	ctx->dead = false;
	ctx->kregs_valid = false;
	ctx->fpu_init = true; /* a fresh thread, or execve: Linux starts clean */
	atomic_store(&ctx->tgid, as->pid);
	atomic_store(&ctx->tid, tid);
	atomic_store(&ctx->as, as);
	pthread_mutex_unlock(&ptrace_bind_lock);
	pin(ctx, tid);
	return 0;
}

static int set_fpu(pid_t tid, const uint8_t *img)
{
	/* The host loads MXCSR and the x87 control word only for components
	 * named in XSTATE_BV; a saved image may have them clear (init state)
	 * while the sentry has since changed them.  The image holds valid
	 * values for both either way, so name them (the shared initial image
	 * already does, and is never written). */
	uint8_t *buf = (uint8_t *)img;
	uint64_t bv;
	memcpy(&bv, buf + 512, sizeof bv);
	if ((bv & 3) != 3) {
		bv |= 3;
		memcpy(buf + 512, &bv, sizeof bv);
	}
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

/* The stub thread failed; -ECHILD means stub_wait collected it. */
static int fail(struct pf_ctx *ctx, struct pf_as *as, int e)
{
	ctx->dead = true;
	atomic_store(&as->dead, true);
	if (e == -ECHILD) {
		atomic_store(&ctx->tid, 0);
		e = -ESRCH;
	}
	return e;
}

static int run_thread(struct pf_ctx *ctx, struct pf_as *as, pid_t tid, struct arch_state *st,
		      struct pf_event *ev)
{
	int e;
	if (atomic_load(&as->pending)) {
		pthread_mutex_lock(&as->lock);
		e = as_flush_locked(as, tid, ctx);
		pthread_mutex_unlock(&as->lock);
		if (e)
			return e == -ECHILD || e == -ESRCH ? fail(ctx, as, e) : e;
		/* A flush takes a while; an interrupt may have come meanwhile. */
		if (atomic_exchange(&ctx->intr, false)) {
			ev->kind = PF_EV_INTERRUPT;
			return 0;
		}
	}
	if ((e = load_regs(ctx, tid, st)))
		return e == -ESRCH ? fail(ctx, as, e) : e;
	if (st->fpu_dirty || ctx->fpu_init) {
		if ((e = set_fpu(tid, st->fpu_dirty ? st->fpu : pf_fpu_init_image())))
			return e;
		st->fpu_dirty = false;
		ctx->fpu_init = false;
	}
	st->fpu_valid = false;

	int sig = 0;
	for (;;) {
		if (ptrace(PTRACE_SYSEMU, tid, 0, sig))
			return fail(ctx, as, -errno);
		sig = 0;
		int status = stub_wait(tid);
		if (status < 0)
			return fail(ctx, as, status);
		int stop = WSTOPSIG(status);
		if (stop == (SIGTRAP | 0x80)) {
			if ((e = fetch_regs(ctx, tid, st)))
				return fail(ctx, as, e);
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
			return fail(ctx, as, e);
		return 0;
	}
}

int ptrace_run(struct pf_ctx *ctx, struct pf_as *as, struct arch_state *st, struct pf_event *ev)
{
	int e;
	if (__builtin_expect(atomic_load_explicit(&ctx->as, memory_order_acquire) != as ||
				 ctx->owner != ptrace_self(),
			     0) &&
	    (e = bind(ctx, as)))
		return e;
	if (ctx->dead || atomic_load_explicit(&as->dead, memory_order_relaxed))
		return -ESRCH;
	pid_t tid = atomic_load_explicit(&ctx->tid, memory_order_relaxed);
	memset(ev, 0, sizeof *ev);

	if (atomic_exchange(&ctx->intr, false)) {
		ev->kind = PF_EV_INTERRUPT;
		return 0;
	}
	/* From here until the thread stops again, unmap() applies its ops
	 * itself instead of leaving them to us (see ptrace_internal.h). */
	atomic_fetch_add(&as->nrunning, 1);
	e = run_thread(ctx, as, tid, st, ev);
	atomic_fetch_sub(&as->nrunning, 1);
	return e;
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
	if (!atomic_load(&ctx->as) || ctx->fpu_init) {
		memcpy(st->fpu, pf_fpu_init_image(), pf_fpu_size());
	} else {
		struct iovec iov = {.iov_base = st->fpu, .iov_len = pf_fpu_size() & ~7UL};
		pid_t tid = atomic_load(&ctx->tid);
		if (!tid)
			return -ESRCH;
		if (ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov))
			return -errno;
	}
	st->fpu_valid = true;
	return 0;
}
