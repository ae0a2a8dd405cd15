/* x86-64 signal frames: rt_sigframe setup on handler entry, rt_sigreturn. */
#include <cpuid.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "platform/platform.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

/* The layouts below are Linux's ABI (asm/sigcontext.h, asm/ucontext.h,
 * arch/x86/kernel/signal_64.c); glibc's ucontext_t differs after
 * uc_sigmask, so it cannot be used for the frame itself. */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* application address of the XSAVE image, or 0 */
	uint64_t reserved1[8];
};

struct k_stack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};

struct k_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct k_stack uc_stack;
	struct k_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct rt_sigframe {
	uint64_t pretcode; /* the handler's return address: sa_restorer */
	struct k_ucontext uc;
	siginfo_t info;
};

_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext_64 is 256 bytes");
_Static_assert(offsetof(struct rt_sigframe, uc.uc_mcontext) == 48, "uc_mcontext offset");
_Static_assert(offsetof(struct rt_sigframe, info) == 312, "rt_sigframe.info offset");
_Static_assert(sizeof(siginfo_t) == 128, "siginfo is 128 bytes");

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

/* glibc's <bits/sigcontext.h> may already define these, with these values. */
#ifndef FP_XSTATE_MAGIC1
#define FP_XSTATE_MAGIC1 0x46505853U
#endif
#ifndef FP_XSTATE_MAGIC2
#define FP_XSTATE_MAGIC2 0x46505845U
#endif
#ifndef FP_XSTATE_MAGIC2_SIZE
#define FP_XSTATE_MAGIC2_SIZE 4
#endif

/* Offsets in the (standard-format) XSAVE image. */
#define FX_FCW 0
#define FX_MXCSR 24
#define FX_ST0 32
#define FX_XMM0 160
#define FX_SW_BYTES 464 /* fpx_sw_bytes live in the FXSAVE area's software-reserved tail */
#define FX_SIZE 512
#define XSAVE_HDR 512
#define XSAVE_HDR_SIZE 64
#define XSAVE_MIN (FX_SIZE + XSAVE_HDR_SIZE)

#define XFEATURE_FP 0x1ULL
#define XFEATURE_SSE 0x2ULL
#define XFEATURE_YMM 0x4ULL

struct fpx_sw_bytes {
	uint32_t magic1;
	uint32_t extended_size; /* xstate_size + FP_XSTATE_MAGIC2_SIZE */
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};
_Static_assert(sizeof(struct fpx_sw_bytes) == 48, "fpx_sw_bytes fill the reserved tail");

#define EFL_CF 0x0001ULL
#define EFL_PF 0x0004ULL
#define EFL_AF 0x0010ULL
#define EFL_ZF 0x0040ULL
#define EFL_SF 0x0080ULL
#define EFL_TF 0x0100ULL
#define EFL_DF 0x0400ULL
#define EFL_OF 0x0800ULL
#define EFL_RF 0x10000ULL
#define EFL_AC 0x40000ULL
/* What rt_sigreturn may change (Linux's FIX_EFLAGS); IF, IOPL and the
 * rest stay as the kernel had them. */
#define FIX_EFLAGS                                                                                 \
	(EFL_AC | EFL_OF | EFL_DF | EFL_TF | EFL_SF | EFL_ZF | EFL_AF | EFL_PF | EFL_CF | EFL_RF)

#define USER_CS 0x33
#define USER_SS 0x2b
#define REDZONE 128
#define MINSIGSTKSZ_LINUX 2048

/* The XSAVE layout the application sees, from CPUID leaf 0xd: the same on
 * every thread, so computed once. */
static struct {
	uint64_t xfeatures; /* user state components enabled in XCR0 */
	uint32_t size;	    /* standard-format image size for those */
	uint32_t mxcsr_mask;
	uint32_t off[64], len[64];
} xs;
static pthread_once_t xs_once = PTHREAD_ONCE_INIT;

static void xs_init(void)
{
	unsigned a, b, c, d;

	/* Defaults for a CPU without XSAVE: x87 and SSE only. */
	xs.xfeatures = XFEATURE_FP | XFEATURE_SSE;
	xs.size = XSAVE_MIN;
	if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE)) {
		uint32_t lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		/* Supervisor components never appear in a user image. */
		xs.xfeatures = ((uint64_t)hi << 32 | lo);
		if (__get_cpuid_count(0xd, 0, &a, &b, &c, &d) && b >= XSAVE_MIN)
			xs.size = b;
		for (int i = 2; i < 64; i++) {
			if (!(xs.xfeatures & (1ULL << i)))
				continue;
			__get_cpuid_count(0xd, (unsigned)i, &a, &b, &c, &d);
			xs.len[i] = a;
			xs.off[i] = b;
		}
	}
	if (xs.size > pf_fpu_size())
		xs.size = (uint32_t)pf_fpu_size();

	/* A zero mask in the FXSAVE image means the architectural default. */
	static uint8_t fx[FX_SIZE] __attribute__((aligned(16)));
	__asm__ volatile("fxsave %0" : "=m"(fx));
	memcpy(&xs.mxcsr_mask, fx + 28, sizeof xs.mxcsr_mask);
	if (!xs.mxcsr_mask)
		xs.mxcsr_mask = 0xffbf;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static void wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, sizeof v); }

/* The FPU state Linux gives a signal handler (and a new program): every
 * component in its init state, x87 control word 0x37f, MXCSR 0x1f80. */
static void fpu_reset(struct arch_state *st)
{
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;

	memset(st->fpu, 0, pf_fpu_size());
	memcpy(st->fpu + FX_FCW, &fcw, sizeof fcw);
	memcpy(st->fpu + FX_MXCSR, &mxcsr, sizeof mxcsr);
	st->fpu_valid = true;
	st->fpu_dirty = true;
}

static bool fpu_ensure_buf(struct arch_state *st)
{
	if (!st->fpu)
		st->fpu = pf_fpu_alloc();
	return st->fpu != NULL;
}

/* Linux's on_sig_stack(): with SS_AUTODISARM the stack counts as free, as
 * the handler that disarmed it may re-arm it. */
static bool on_sig_stack(const struct task *t, uint64_t sp)
{
	if (t->altstack.flags & SS_AUTODISARM)
		return false;
	return t->altstack.size && sp > t->altstack.sp && sp - t->altstack.sp <= t->altstack.size;
}

/* Trap number, error code and fault address for the sigcontext.  Linux
 * reports the last trap of the thread; the sentry keeps no such record, so
 * they are derived from the kernel-generated siginfo of a synchronous
 * fault and are zero for signals sent by a process. */
static void fault_fields(int sig, const siginfo_t *info, struct k_sigcontext *sc)
{
	if (!info || info->si_code <= 0 || info->si_code == SI_KERNEL) {
		if (info && info->si_code == SI_KERNEL && sig == SIGTRAP)
			sc->trapno = 3; /* int3 */
		else if (info && info->si_code == SI_KERNEL && sig == SIGSEGV)
			sc->trapno = 13; /* general protection */
		return;
	}
	switch (sig) {
	case SIGSEGV:
	case SIGBUS:
		sc->trapno = 14;
		sc->cr2 = (uint64_t)info->si_addr;
		/* User mode, plus "protection violation" for ACCERR; whether it
		 * was a write the platform cannot always tell. */
		sc->err = 4 | (sig == SIGSEGV && info->si_code == SEGV_ACCERR ? 1 : 0);
		break;
	case SIGFPE:
		sc->trapno = info->si_code == FPE_INTDIV || info->si_code == FPE_INTOVF ? 0 : 19;
		break;
	case SIGILL:
		sc->trapno = 6;
		break;
	case SIGTRAP:
		sc->trapno = 1;
		break;
	}
}

/* Writes the XSAVE image, with Linux's software-reserved bytes, at fp. */
static int fpu_save(struct task *t, uint64_t fp)
{
	struct arch_state *st = &t->arch;
	struct fpx_sw_bytes sw = {
	    .magic1 = FP_XSTATE_MAGIC1,
	    .extended_size = xs.size + FP_XSTATE_MAGIC2_SIZE,
	    .xfeatures = xs.xfeatures,
	    .xstate_size = xs.size,
	};
	uint32_t magic2 = FP_XSTATE_MAGIC2;

	if (!st->fpu_valid && !st->fpu_dirty && pf->fpu_fetch(t->ctx, st))
		return -EFAULT;
	memcpy(st->fpu + FX_SW_BYTES, &sw, sizeof sw);
	if (mm_copy_out(t->mm, fp, st->fpu, xs.size) ||
	    mm_copy_out(t->mm, fp + xs.size, &magic2, sizeof magic2))
		return -EFAULT;
	return 0;
}

int sigframe_setup(struct task *t, int sig, const siginfo_t *info, const struct k_sigaction *act,
		   uint64_t saved_mask)
{
	struct user_regs_struct *r = &t->arch.regs;
	struct rt_sigframe f;
	uint64_t sp = r->rsp;
	bool was_on_stack = on_sig_stack(t, sp);
	bool entering = false;

	pthread_once(&xs_once, xs_init);
	/* Linux cannot return from a handler without a restorer: glibc
	 * always supplies one. */
	if (!(act->flags & SA_RESTORER))
		return -EFAULT;
	if (!fpu_ensure_buf(&t->arch))
		return -EFAULT;

	sp -= REDZONE;
	if ((act->flags & SA_ONSTACK) && t->altstack.size && !on_sig_stack(t, sp)) {
		sp = t->altstack.sp + t->altstack.size;
		entering = true;
	}
	uint64_t fp = (sp - (xs.size + FP_XSTATE_MAGIC2_SIZE)) & ~63ULL;
	uint64_t frame = ((fp - sizeof f) & ~15ULL) - 8;
	/* An overflowing alternate stack must not spill below itself: the
	 * caller's SIGSEGV is the answer, as on Linux. */
	if (was_on_stack && !on_sig_stack(t, frame))
		return -EFAULT;
	if (entering && frame < t->altstack.sp)
		return -EFAULT;
	if (frame > sp) /* wrapped below address 0 */
		return -EFAULT;

	memset(&f, 0, sizeof f);
	f.pretcode = act->restorer;
	f.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	f.uc.uc_stack.sp = t->altstack.sp;
	f.uc.uc_stack.size = t->altstack.size;
	/* Linux saves its raw flags word here, not what sigaltstack()
	 * reports: 0 for a never-configured stack, not SS_DISABLE. */
	f.uc.uc_stack.flags = (int32_t)t->altstack.flags;
	struct k_sigcontext *sc = &f.uc.uc_mcontext;
	sc->r8 = r->r8;
	sc->r9 = r->r9;
	sc->r10 = r->r10;
	sc->r11 = r->r11;
	sc->r12 = r->r12;
	sc->r13 = r->r13;
	sc->r14 = r->r14;
	sc->r15 = r->r15;
	sc->rdi = r->rdi;
	sc->rsi = r->rsi;
	sc->rbp = r->rbp;
	sc->rbx = r->rbx;
	sc->rdx = r->rdx;
	sc->rax = r->rax;
	sc->rcx = r->rcx;
	sc->rsp = r->rsp;
	sc->rip = r->rip;
	sc->eflags = r->eflags;
	/* Linux reports fs and gs as 0 in 64-bit frames. */
	sc->cs = USER_CS;
	sc->ss = USER_SS;
	sc->oldmask = saved_mask;
	sc->fpstate = fp;
	fault_fields(sig, info, sc);
	f.uc.uc_sigmask = saved_mask;
	if (act->flags & SA_SIGINFO) {
		if (info) {
			f.info = *info;
		} else {
			f.info.si_signo = sig;
			f.info.si_code = SI_KERNEL;
		}
	}

	if (fpu_save(t, fp) || mm_copy_out(t->mm, frame, &f, sizeof f))
		return -EFAULT;

	/* Committed: the handler runs with a clean FPU and these registers. */
	fpu_reset(&t->arch);
	r->rip = act->handler;
	r->rsp = frame;
	r->rdi = (uint64_t)sig;
	r->rsi = frame + offsetof(struct rt_sigframe, info);
	r->rdx = frame + offsetof(struct rt_sigframe, uc);
	r->rax = 0;
	r->eflags &= ~(EFL_DF | EFL_RF | EFL_TF);
	r->cs = USER_CS;
	r->ss = USER_SS;
	if (t->altstack.flags & SS_AUTODISARM) {
		t->altstack.sp = 0;
		t->altstack.size = 0;
		t->altstack.flags = 0;
	}
	return 0;
}

/* Loads the XSAVE image the frame points at into t->arch.fpu, doing what
 * XRSTOR (or FXRSTOR for a frame without valid xstate magic) would do
 * with it.  false where the CPU would fault: the caller forces SIGSEGV. */
static bool fpu_restore(struct task *t, uint64_t fp)
{
	uint8_t *img = t->arch.fpu;
	struct fpx_sw_bytes sw;
	uint64_t rfbm;
	bool fx_only = false;

	memset(img, 0, pf_fpu_size());
	if (fp & 15)
		return false;
	if (mm_copy_in(t->mm, img, fp, FX_SIZE))
		return false;
	memcpy(&sw, img + FX_SW_BYTES, sizeof sw);
	if (sw.magic1 != FP_XSTATE_MAGIC1 || sw.xstate_size < XSAVE_MIN ||
	    sw.xstate_size > xs.size || sw.xstate_size > sw.extended_size) {
		fx_only = true;
	} else {
		uint32_t magic2;
		if (mm_copy_in(t->mm, &magic2, fp + sw.xstate_size, sizeof magic2) ||
		    magic2 != FP_XSTATE_MAGIC2)
			fx_only = true;
	}

	if (fx_only) {
		rfbm = XFEATURE_FP | XFEATURE_SSE;
		memset(img + XSAVE_HDR, 0, XSAVE_HDR_SIZE);
		wr64(img + XSAVE_HDR, rfbm);
	} else {
		/* XRSTOR demands a 64-byte aligned, standard-format image. */
		if (fp & 63)
			return false;
		if (mm_copy_in(t->mm, img + FX_SIZE, fp + FX_SIZE, sw.xstate_size - FX_SIZE))
			return false;
		rfbm = sw.xfeatures & xs.xfeatures;
		uint64_t bv = rd64(img + XSAVE_HDR);
		if (bv & ~xs.xfeatures)
			return false;
		for (int i = 8; i < XSAVE_HDR_SIZE; i++)
			if (img[XSAVE_HDR + i])
				return false;
		bv &= rfbm;
		/* XRSTOR reads a component from memory wherever the header
		 * says, even past the xstate_size the frame claims. */
		for (int i = 2; i < 64; i++) {
			if (!(bv & (1ULL << i)) || !xs.len[i])
				continue;
			if (xs.off[i] + xs.len[i] > sw.xstate_size &&
			    (xs.off[i] + xs.len[i] > xs.size ||
			     mm_copy_in(t->mm, img + xs.off[i], fp + xs.off[i], xs.len[i])))
				return false;
		}
		/* Components absent from the header return to their init
		 * state: zero bytes in the image, which the platform loads. */
		for (int i = 2; i < 64; i++)
			if (!(bv & (1ULL << i)) && xs.len[i] && xs.off[i] + xs.len[i] <= xs.size)
				memset(img + xs.off[i], 0, xs.len[i]);
		if (!(bv & XFEATURE_FP)) {
			uint16_t fcw = 0x37f;
			memset(img, 0, FX_MXCSR);
			memset(img + FX_ST0, 0, FX_XMM0 - FX_ST0);
			memcpy(img + FX_FCW, &fcw, sizeof fcw);
		}
		if (!(bv & XFEATURE_SSE))
			memset(img + FX_XMM0, 0, 16 * 16);
		if (!(rfbm & (XFEATURE_SSE | XFEATURE_YMM))) {
			uint32_t mxcsr = 0x1f80;
			memcpy(img + FX_MXCSR, &mxcsr, sizeof mxcsr);
		}
		memset(img + XSAVE_HDR, 0, XSAVE_HDR_SIZE);
		wr64(img + XSAVE_HDR, bv | XFEATURE_FP | XFEATURE_SSE);
	}
	uint32_t mxcsr;
	memcpy(&mxcsr, img + FX_MXCSR, sizeof mxcsr);
	if (mxcsr & ~xs.mxcsr_mask)
		return false;
	/* The FXSAVE area's reserved tail is for software; the frame's
	 * magic must not reach the platform. */
	memset(img + FX_XMM0 + 16 * 16, 0, FX_SIZE - (FX_XMM0 + 16 * 16));
	t->arch.fpu_valid = true;
	t->arch.fpu_dirty = true;
	return true;
}

/* sigaltstack() as rt_sigreturn applies it: errors are silently ignored.
 * sp is the handler's stack pointer at rt_sigreturn, not the restored one
 * (what Linux checks: a handler that re-armed the altstack it runs on
 * keeps its setting). */
static void restore_altstack(struct task *t, const struct k_stack *ss, uint64_t sp)
{
	uint32_t mode = (uint32_t)ss->flags & ~SS_AUTODISARM;

	if (on_sig_stack(t, sp))
		return;
	if (mode == SS_DISABLE) {
		t->altstack.sp = 0;
		t->altstack.size = 0;
		t->altstack.flags = 0;
		return;
	}
	if ((mode != 0 && mode != SS_ONSTACK) || ss->size < MINSIGSTKSZ_LINUX)
		return;
	t->altstack.sp = ss->sp;
	t->altstack.size = ss->size;
	t->altstack.flags = (uint32_t)ss->flags & SS_AUTODISARM;
}

long sigframe_return(struct task *t, bool *ok)
{
	struct user_regs_struct *r = &t->arch.regs;
	/* The handler's ret popped pretcode: the frame starts 8 below rsp. */
	uint64_t frame = r->rsp - 8;
	struct k_ucontext uc;

	pthread_once(&xs_once, xs_init);
	*ok = false;
	if (mm_copy_in(t->mm, &uc, frame + offsetof(struct rt_sigframe, uc), sizeof uc))
		return -EFAULT;

	pthread_mutex_lock(&t->tg->sighand->lock);
	t->sigmask = uc.uc_sigmask & ~SIG_UNBLOCKABLE;
	pthread_mutex_unlock(&t->tg->sighand->lock);
	/* Newly unblocked signals may be pending: look before running. */
	atomic_store(&t->work, true);

	const struct k_sigcontext *sc = &uc.uc_mcontext;
	r->r8 = sc->r8;
	r->r9 = sc->r9;
	r->r10 = sc->r10;
	r->r11 = sc->r11;
	r->r12 = sc->r12;
	r->r13 = sc->r13;
	r->r14 = sc->r14;
	r->r15 = sc->r15;
	r->rdi = sc->rdi;
	r->rsi = sc->rsi;
	r->rbp = sc->rbp;
	r->rbx = sc->rbx;
	r->rdx = sc->rdx;
	r->rax = sc->rax;
	r->rcx = sc->rcx;
	r->rsp = sc->rsp;
	r->rip = sc->rip;
	r->eflags = (r->eflags & ~FIX_EFLAGS) | (sc->eflags & FIX_EFLAGS);
	r->cs = USER_CS;
	r->ss = USER_SS;
	/* The restored rax is a value, never a syscall to restart. */
	r->orig_rax = (uint64_t)-1;

	if (!fpu_ensure_buf(&t->arch))
		return -EFAULT;
	if (sc->fpstate) {
		if (!fpu_restore(t, sc->fpstate)) {
			/* Linux leaves a clean FPU behind a bad image. */
			fpu_reset(&t->arch);
			return -EFAULT;
		}
	} else {
		fpu_reset(&t->arch);
	}
	restore_altstack(t, &uc.uc_stack, frame + 8);
	*ok = true;
	return (long)r->rax;
}
