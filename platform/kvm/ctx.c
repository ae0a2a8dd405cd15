/* KVM contexts: entering the guest through the trampoline with sync_regs,
 * and turning each exit into a pf_event. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static __thread pid_t self_tid;
static __thread bool kick_blocked;

struct pf_ctx *kvm_ctx_new(void) { return calloc(1, sizeof(struct pf_ctx)); }

static void unbind(struct pf_ctx *ctx)
{
	struct pf_as *as = ctx->as;
	if (!as)
		return;
	pthread_mutex_lock(&as->lock);
	for (struct pf_ctx **p = &as->ctxs; *p; p = &(*p)->as_next)
		if (*p == ctx) {
			*p = ctx->as_next;
			break;
		}
	ctx->as = NULL;
	ctx->as_next = NULL;
	pthread_mutex_unlock(&as->lock);
}

void kvm_ctx_free(struct pf_ctx *ctx)
{
	if (!ctx)
		return;
	unbind(ctx);
	kvm_vcpu_put(ctx->v);
	free(ctx);
}

/* First run in as (a new thread, or the task's execve): Linux starts the
 * new program with a clean FPU, as the ptrace platform does. */
static void bind(struct pf_ctx *ctx, struct pf_as *as)
{
	unbind(ctx);
	pthread_mutex_lock(&as->lock);
	ctx->as = as;
	ctx->as_next = as->ctxs;
	as->ctxs = ctx;
	pthread_mutex_unlock(&as->lock);
	ctx->fpu_init = true;
}

static void drain_kicks(void)
{
	sigset_t kick;
	sigemptyset(&kick);
	sigaddset(&kick, KVM_KICK_SIG);
	struct timespec zero = {0, 0};
	while (sigtimedwait(&kick, NULL, &zero) > 0)
		;
}

static void regs_in(struct kvm_regs *k, const struct user_regs_struct *r)
{
	k->rax = r->rax;
	k->rbx = r->rbx;
	k->rcx = r->rcx;
	k->rdx = r->rdx;
	k->rsi = r->rsi;
	k->rdi = r->rdi;
	k->rbp = r->rbp;
	k->r8 = r->r8;
	k->r9 = r->r9;
	k->r10 = r->r10;
	k->r11 = r->r11;
	k->r12 = r->r12;
	k->r13 = r->r13;
	k->r14 = r->r14;
	k->r15 = r->r15;
}

static void regs_out(struct user_regs_struct *r, const struct kvm_regs *k)
{
	r->rax = k->rax;
	r->rbx = k->rbx;
	r->rcx = k->rcx;
	r->rdx = k->rdx;
	r->rsi = k->rsi;
	r->rdi = k->rdi;
	r->rbp = k->rbp;
	r->r8 = k->r8;
	r->r9 = k->r9;
	r->r10 = k->r10;
	r->r11 = k->r11;
	r->r12 = k->r12;
	r->r13 = k->r13;
	r->r14 = k->r14;
	r->r15 = k->r15;
	r->cs = SEL_UCS;
	r->ss = SEL_UDS;
	r->ds = r->es = r->fs = r->gs = 0;
}

/* Puts st into the vCPU: general registers through sync_regs, the rest in
 * the entry frame on the vCPU page.  Returns whether it is a full entry. */
static bool load(struct vcpu *v, struct pf_as *as, uint64_t gen, const struct arch_state *st)
{
	const struct user_regs_struct *r = &st->regs;
	struct kvm_regs *k = &v->run->s.regs.regs;
	bool full = v->gen != gen || v->fs_base != r->fs_base || v->gs_base != r->gs_base;
	uint64_t *top = (uint64_t *)(v->page + PAGE_SIZE);
	uint64_t *iret = top + FRAME_IRET / 8;
	iret[0] = r->rip;
	iret[1] = SEL_UCS;
	iret[2] = (r->eflags & X86_RFLAGS_USER) | X86_RFLAGS_IF | X86_RFLAGS_FIXED;
	iret[3] = r->rsp;
	iret[4] = SEL_UDS;
	regs_in(k, r);
	if (full) {
		uint64_t *f = top + FRAME_FULL / 8;
		f[0] = as->root;
		f[1] = r->fs_base;
		f[2] = r->gs_base;
		f[3] = r->rax;
		f[4] = r->rcx;
		f[5] = r->rdx;
		k->rip = TRAMP_GVA(kvm_tramp_entry_full);
		k->rsp = v->page_gva + PAGE_SIZE + FRAME_FULL;
	} else {
		k->rip = TRAMP_GVA(kvm_tramp_entry_fast);
		k->rsp = v->page_gva + PAGE_SIZE + FRAME_IRET;
	}
	k->rflags = X86_RFLAGS_FIXED;
	v->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	if (v->user_mode) {
		/* Stopped in ring 3 by a kick: setting rip does not change
		 * the privilege level, the segment registers do (this resets
		 * CR3 and the bases too, hence the full entry). */
		v->run->s.regs.sregs = v->sregs;
		v->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
		v->user_mode = false;
	}
	return full;
}

static bool in_entry(uint64_t rip)
{
	return rip >= TRAMP_GVA(kvm_tramp_entry_full) && rip <= TRAMP_GVA(kvm_tramp_entry_end);
}

static void set_signal(struct pf_event *ev, int signo, int code, uint64_t addr)
{
	ev->kind = PF_EV_SIGNAL;
	ev->signo = signo;
	ev->si_code = code;
	ev->addr = addr;
	memset(&ev->info, 0, sizeof ev->info);
	ev->info.si_signo = signo;
	ev->info.si_code = code;
	ev->info.si_addr = (void *)addr;
}

/* SIGFPE's si_code from the unmasked exception flags, as Linux reports a
 * floating-point exception (x87 status word or MXCSR). */
static int fpe_code(struct vcpu *v, int vec)
{
	if (kvm_get_xsave(v))
		return 0;
	uint32_t flags, mask;
	if (vec == X86_XM) {
		uint32_t mxcsr;
		memcpy(&mxcsr, v->xsave + 24, 4);
		flags = mxcsr & 0x3f;
		mask = mxcsr >> 7 & 0x3f;
	} else {
		uint16_t fcw, fsw;
		memcpy(&fcw, v->xsave, 2);
		memcpy(&fsw, v->xsave + 2, 2);
		flags = fsw & 0x3f;
		mask = fcw & 0x3f;
	}
	flags &= ~mask;
	if (flags & 0x01)
		return FPE_FLTINV;
	if (flags & 0x04)
		return FPE_FLTDIV;
	if (flags & 0x08)
		return FPE_FLTOVF;
	if (flags & 0x10)
		return FPE_FLTUND;
	if (flags & 0x20)
		return FPE_FLTRES;
	return 0;
}

/* An exception from ring 3: registers from sync_regs and the frame. */
static void exception(struct vcpu *v, int vec, const uint64_t *frame, uint64_t err,
		      struct arch_state *st, struct pf_event *ev)
{
	struct user_regs_struct *r = &st->regs;
	regs_out(r, &v->run->s.regs.regs);
	r->rip = frame[0];
	r->eflags = frame[2];
	r->rsp = frame[3];
	r->orig_rax = -1;
	switch (vec) {
	case X86_PF: {
		uint64_t cr2 = *(uint64_t *)(v->page + PAGE_SIZE + FRAME_CR2);
		ev->kind = PF_EV_FAULT;
		ev->addr = cr2;
		ev->access = err & PF_ERR_I   ? PF_ACCESS_EXEC
			     : err & PF_ERR_W ? PF_ACCESS_WRITE
					      : PF_ACCESS_READ;
		ev->si_code = err & PF_ERR_P ? SEGV_ACCERR : SEGV_MAPERR;
		ev->signo = SIGSEGV;
		ev->info.si_signo = SIGSEGV;
		ev->info.si_code = ev->si_code;
		ev->info.si_addr = (void *)cr2;
		break;
	}
	case X86_DE:
		set_signal(ev, SIGFPE, FPE_INTDIV, r->rip);
		break;
	case X86_DB:
		set_signal(ev, SIGTRAP, r->eflags & X86_RFLAGS_TF ? TRAP_TRACE : TRAP_BRKPT, 0);
		break;
	case X86_BP:
		set_signal(ev, SIGTRAP, SI_KERNEL, 0);
		break;
	case X86_UD:
		set_signal(ev, SIGILL, ILL_ILLOPN, r->rip);
		break;
	case X86_MF:
	case X86_XM:
		set_signal(ev, SIGFPE, fpe_code(v, vec), r->rip);
		break;
	case X86_AC:
		set_signal(ev, SIGBUS, BUS_ADRALN, 0);
		break;
	case X86_NP:
	case X86_SS:
		set_signal(ev, SIGBUS, SI_KERNEL, 0);
		break;
	default: /* #GP, #TS, #OF, #BR and the rest */
		set_signal(ev, SIGSEGV, SI_KERNEL, 0);
		break;
	}
}

/* `syscall` left rcx = return rip, r11 = rflags, as on the hardware. */
static void syscall_event(const struct kvm_regs *k, struct arch_state *st, struct pf_event *ev)
{
	struct user_regs_struct *r = &st->regs;
	regs_out(r, k);
	r->orig_rax = k->rax;
	r->rax = -ENOSYS;
	r->rip = k->rcx;
	r->eflags = k->r11;
	r->rsp = k->rsp;
	ev->kind = PF_EV_SYSCALL;
}

/* Handles one exit; 1 to enter the guest again, 0 with ev filled, -errno. */
static int handle_exit(struct pf_ctx *ctx, struct vcpu *v, int rc, struct arch_state *st,
		       struct pf_event *ev, bool *resume)
{
	struct kvm_run *run = v->run;
	struct kvm_regs *k = &run->s.regs.regs;
	if (rc < 0 && rc != -EINTR && rc != -EAGAIN) {
		log_warn("kvm: KVM_RUN: %s", strerror(-rc));
		return rc;
	}
	if (rc < 0 || run->exit_reason == KVM_EXIT_INTR) {
		drain_kicks();
		if (k->rip < KBASE) {
			/* Stopped in application code: that is its state now. */
			v->user_mode = true;
			v->gen = 0;
			regs_out(&st->regs, k);
			st->regs.rip = k->rip;
			st->regs.eflags = k->rflags;
			st->regs.rsp = k->rsp;
			st->regs.orig_rax = -1;
		} else if (!in_entry(k->rip)) {
			/* Between a trap and its `out`: let it reach the exit;
			 * an interrupt is then reported by the next run(). */
			*resume = true;
			return 1;
		} else {
			v->gen = 0; /* half-done entry: redo all of it */
		}
		if (atomic_exchange(&ctx->intr, false)) {
			ev->kind = PF_EV_INTERRUPT;
			return 0;
		}
		return 1;
	}
	if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT) {
		struct kvm_sregs sr;
		ioctl(v->fd, KVM_GET_SREGS, &sr);
		log_warn("kvm: vCPU %d: unexpected exit %u at rip 0x%llx rsp 0x%llx (cr3 0x%llx "
			 "cr2 0x%llx cs 0x%x)",
			 v->id, run->exit_reason, (unsigned long long)k->rip,
			 (unsigned long long)k->rsp, (unsigned long long)sr.cr3,
			 (unsigned long long)sr.cr2, sr.cs.selector);
		v->broken = true;
		return -EIO;
	}
	unsigned port = run->io.port;
	if (port == PORT_SYSCALL) {
		syscall_event(k, st, ev);
		return 0;
	}
	int vec = port - PORT_VEC;
	if (vec < 0 || vec >= X86_NVEC) {
		log_warn("kvm: vCPU %d: out to port 0x%x", v->id, port);
		v->broken = true;
		return -EIO;
	}
	bool has_err = X86_ERRCODE_VECS >> vec & 1;
	uint64_t *frame = (uint64_t *)(v->page + PAGE_SIZE + (has_err ? FRAME_EXC_ERR : FRAME_EXC));
	uint64_t err = 0;
	if (has_err)
		err = *frame++;
	if ((frame[1] & 3) == 3) {
		if (vec == X86_NMI)
			return 1;
		if (vec == X86_GP && frame[0] == TRAMP_GVA(kvm_tramp_syscall)) {
			syscall_event(k, st, ev);
			st->regs.rsp = frame[3];
			return 0;
		}
		exception(v, vec, frame, err, st, ev);
		return 0;
	}
	/* In ring 0: the trampoline's own entry. */
	v->gen = 0;
	if (frame[0] == TRAMP_GVA(kvm_tramp_entry_full) ||
	    frame[0] == TRAMP_GVA(kvm_tramp_entry_fast) || vec == X86_NMI)
		return 1; /* an event KVM re-injected as we re-entered: the
			     application's instruction will raise it again */
	if (in_entry(frame[0]) && (vec == X86_GP || vec == X86_SS || vec == X86_NP)) {
		/* iretq refused the application's state (a non-canonical rip
		 * from sigreturn, say): Linux sends SIGSEGV. */
		set_signal(ev, SIGSEGV, SI_KERNEL, 0);
		return 0;
	}
	log_warn("kvm: vCPU %d: exception %d in the trampoline at 0x%lx (error 0x%lx)", v->id, vec,
		 (unsigned long)frame[0], (unsigned long)err);
	v->broken = true;
	return -EIO;
}

int kvm_run_ctx(struct pf_ctx *ctx, struct pf_as *as, struct arch_state *st, struct pf_event *ev)
{
	memset(ev, 0, sizeof *ev);
	if (atomic_exchange(&ctx->intr, false)) {
		ev->kind = PF_EV_INTERRUPT;
		return 0;
	}
	if (!kick_blocked) {
		sigset_t kick;
		sigemptyset(&kick);
		sigaddset(&kick, KVM_KICK_SIG);
		pthread_sigmask(SIG_BLOCK, &kick, NULL);
		kick_blocked = true;
		self_tid = gettid();
	}
	if (!ctx->v && !(ctx->v = kvm_vcpu_get()))
		return -EAGAIN;
	struct vcpu *v = ctx->v;
	if (v->broken)
		return -EIO;
	if (ctx->as != as)
		bind(ctx, as);
	int e;
	if (st->fpu_dirty || ctx->fpu_init) {
		memcpy(v->xsave, st->fpu_dirty ? st->fpu : pf_fpu_init_image(),
		       kvm_xsave_size < pf_fpu_size() ? kvm_xsave_size : pf_fpu_size());
		if ((e = kvm_set_xsave(v))) {
			log_warn("kvm: KVM_SET_XSAVE: %s", strerror(-e));
			return e;
		}
		st->fpu_dirty = false;
		ctx->fpu_init = false;
	}
	st->fpu_valid = false;

	atomic_store(&ctx->tid, self_tid);
	bool resume = false;
	for (;;) {
		uint64_t gen = 0;
		bool full = false;
		if (!resume) {
			gen = atomic_load(&as->gen);
			full = load(v, as, gen, st);
			atomic_store(&ctx->guest_gen, gen);
			/* Pairs with shootdown(): it sees us, or we see it. */
			if (atomic_load(&as->gen) != gen) {
				atomic_store(&ctx->guest_gen, 0);
				continue;
			}
		} else {
			v->run->kvm_dirty_regs = 0;
			atomic_store(&ctx->guest_gen, v->gen ? v->gen : 1);
		}
		if (!resume && atomic_load(&ctx->intr)) {
			atomic_store(&ctx->guest_gen, 0);
			atomic_store(&ctx->intr, false);
			ev->kind = PF_EV_INTERRUPT;
			break;
		}
		if (full) {
			v->gen = gen;
			v->fs_base = st->regs.fs_base;
			v->gs_base = st->regs.gs_base;
		}
		resume = false;
		int rc = ioctl(v->fd, KVM_RUN, 0) ? -errno : 0;
		atomic_store(&ctx->guest_gen, 0);
		rc = handle_exit(ctx, v, rc, st, ev, &resume);
		if (rc <= 0) {
			atomic_store(&ctx->tid, 0);
			return rc;
		}
	}
	atomic_store(&ctx->tid, 0);
	return 0;
}

void kvm_interrupt(struct pf_ctx *ctx)
{
	atomic_store(&ctx->intr, true);
	pid_t tid = atomic_load(&ctx->tid);
	if (tid)
		tgkill(getpid(), tid, KVM_KICK_SIG);
}

int kvm_fpu_fetch(struct pf_ctx *ctx, struct arch_state *st)
{
	if (st->fpu_dirty)
		return 0; /* the sentry's copy is the newer one */
	size_t n = kvm_xsave_size < pf_fpu_size() ? kvm_xsave_size : pf_fpu_size();
	if (!ctx->v || ctx->fpu_init) {
		memcpy(st->fpu, pf_fpu_init_image(), pf_fpu_size());
	} else {
		int e = kvm_get_xsave(ctx->v);
		if (e)
			return e;
		memcpy(st->fpu, ctx->v->xsave, n);
	}
	st->fpu_valid = true;
	return 0;
}
