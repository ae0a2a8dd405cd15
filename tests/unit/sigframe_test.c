/* Tests of sentry/kernel/sigframe.c against a fake address space and platform:
 * frame layout (checked against a frame the host kernel builds), register
 * and FPU round trips, alternate stacks, and rt_sigreturn's sanitising. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

/* The unit under test is compiled in, so nothing else needs to link. */
#include "sentry/kernel/sigframe.c"

/* ---- Fake application memory: [mem_base, mem_base + MEM_LEN) ---- */

#define MEM_LEN (1UL << 20)
static uint8_t *mem_base;

static bool mem_ok(uint64_t a, size_t n)
{
	uint64_t b = (uint64_t)mem_base;
	return a >= b && n <= MEM_LEN && a - b <= MEM_LEN - n;
}

int mm_copy_in(struct mm *mm, void *dst, uint64_t src, size_t n)
{
	if (!mem_ok(src, n))
		return -EFAULT;
	memcpy(dst, (void *)src, n);
	return 0;
}

int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	if (!mem_ok(dst, n))
		return -EFAULT;
	memcpy((void *)dst, src, n);
	return 0;
}

/* ---- Fake platform: fpu_fetch hands out a recognisable image ---- */

static uint8_t *pattern_fpu;
static int nfetch;

size_t pf_fpu_size(void)
{
	static size_t size;
	unsigned a, b, c, d;
	if (!size) {
		size = __get_cpuid_count(0xd, 0, &a, &b, &c, &d) && b ? b : 576;
		if (size < 4096)
			size = 4096;
	}
	return size;
}

uint8_t *pf_fpu_alloc(void)
{
	uint8_t *p = aligned_alloc(64, pf_fpu_size());
	if (p)
		memset(p, 0, pf_fpu_size());
	return p;
}

static int fake_fetch(struct pf_ctx *ctx, struct arch_state *st)
{
	nfetch++;
	memcpy(st->fpu, pattern_fpu, pf_fpu_size());
	st->fpu_valid = true;
	return 0;
}

static const struct platform fake_pf = {.name = "fake", .fpu_fetch = fake_fetch};
const struct platform *pf = &fake_pf;

/* ---- Fixtures ---- */

static struct sighand sh;
static struct thread_group tg;
static struct task task;
static struct user_regs_struct orig_regs;

#define HANDLER 0x401000UL
#define RESTORER 0x402000UL

static void fill_pattern(void)
{
	pattern_fpu = pf_fpu_alloc();
	assert_non_null(pattern_fpu);
	uint16_t fcw = 0x27f; /* precision 53 bits: not the init value */
	uint32_t mxcsr = 0x1fa0;
	memcpy(pattern_fpu + FX_FCW, &fcw, 2);
	memcpy(pattern_fpu + FX_MXCSR, &mxcsr, 4);
	for (int i = 0; i < 8 * 16; i++)
		pattern_fpu[FX_ST0 + i] = (uint8_t)(0x40 + i);
	for (int i = 0; i < 16 * 16; i++)
		pattern_fpu[FX_XMM0 + i] = (uint8_t)(0x80 + i);
	uint64_t bv = XFEATURE_FP | XFEATURE_SSE;
	if (xs.xfeatures & XFEATURE_YMM) {
		for (uint32_t i = 0; i < xs.len[2]; i++)
			pattern_fpu[xs.off[2] + i] = (uint8_t)(0x11 + i);
		bv |= XFEATURE_YMM;
	}
	wr64(pattern_fpu + XSAVE_HDR, bv);
}

static int setup(void **state)
{
	pthread_once(&xs_once, xs_init);
	if (!mem_base) {
		mem_base =
		    mmap(NULL, MEM_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(mem_base != MAP_FAILED);
		fill_pattern();
	}
	memset(mem_base, 0, MEM_LEN);
	memset(&task, 0, sizeof task);
	pthread_mutex_init(&sh.lock, NULL);
	tg.sighand = &sh;
	task.tg = &tg;
	task.arch.fpu = pf_fpu_alloc();
	struct user_regs_struct *r = &task.arch.regs;
	uint64_t *w = (uint64_t *)r;
	for (size_t i = 0; i < sizeof *r / 8; i++)
		w[i] = 0x1000 + i;
	r->rsp = (uint64_t)mem_base + MEM_LEN / 2 + 0x28; /* deliberately unaligned */
	r->rip = 0x400123;
	r->eflags = 0x246 | EFL_DF | EFL_TF;
	r->cs = USER_CS;
	r->ss = USER_SS;
	r->orig_rax = 39;
	orig_regs = *r;
	nfetch = 0;
	return 0;
}

static int teardown(void **state)
{
	free(task.arch.fpu);
	return 0;
}

static const struct k_sigaction act_plain = {
    .handler = HANDLER, .flags = SA_RESTORER | SA_SIGINFO, .restorer = RESTORER};

static ucontext_t *uc_of(uint64_t frame) { return (ucontext_t *)(frame + 8); }

/* ---- Layout against the host kernel's own frame ---- */

static struct {
	uint64_t uc, rsp, fpstate, uc_flags, sw_xfeatures;
	uint32_t magic1, ext_size, xstate_size, magic2;
	int ss_flags;
	uint64_t oldmask, fs_gs;
} native;

static void native_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
	native.uc = (uint64_t)uc;
	native.rsp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
	native.fpstate = (uint64_t)fp;
	native.uc_flags = uc->uc_flags;
	native.ss_flags = uc->uc_stack.ss_flags;
	native.oldmask = uc->uc_mcontext.gregs[REG_OLDMASK];
	native.fs_gs = (uint64_t)uc->uc_mcontext.gregs[REG_CSGSFS] >> 16 & 0xffffffff;
	memcpy(&native.magic1, fp + 464, 4);
	memcpy(&native.ext_size, fp + 468, 4);
	memcpy(&native.sw_xfeatures, fp + 472, 8);
	memcpy(&native.xstate_size, fp + 480, 4);
	memcpy(&native.magic2, fp + native.xstate_size, 4);
}

static void test_layout_matches_host(void **state)
{
	struct sigaction sa = {.sa_sigaction = native_handler, .sa_flags = SA_SIGINFO};
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	raise(SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
	assert_int_not_equal(native.uc, 0);

	/* Same rsp modulo a page, so the same alignment decisions. */
	struct user_regs_struct *r = &task.arch.regs;
	r->rsp = (uint64_t)mem_base + MEM_LEN / 2 + (native.rsp & 0xfff);
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act_plain, SIGBIT(SIGUSR2)), 0);
	uint64_t frame = r->rsp;
	ucontext_t *uc = uc_of(frame);
	assert_int_equal(r->rdx, frame + 8);
	/* Offsets below the interrupted rsp: frame and XSAVE image. */
	uint64_t my_rsp = (uint64_t)mem_base + MEM_LEN / 2 + (native.rsp & 0xfff);
	assert_int_equal(my_rsp - frame, native.rsp - (native.uc - 8));
	assert_int_equal(my_rsp - (uint64_t)uc->uc_mcontext.fpregs, native.rsp - native.fpstate);
	assert_int_equal(uc->uc_flags, native.uc_flags);
	assert_int_equal(uc->uc_stack.ss_flags, native.ss_flags);
	assert_int_equal((uc->uc_mcontext.gregs[REG_CSGSFS] >> 16) & 0xffffffff, native.fs_gs);
	const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t magic1, ext_size, xstate_size, magic2;
	uint64_t xf;
	memcpy(&magic1, fp + 464, 4);
	memcpy(&ext_size, fp + 468, 4);
	memcpy(&xf, fp + 472, 8);
	memcpy(&xstate_size, fp + 480, 4);
	memcpy(&magic2, fp + xstate_size, 4);
	assert_int_equal(magic1, native.magic1);
	assert_int_equal(ext_size, native.ext_size);
	assert_int_equal(xf, native.sw_xfeatures);
	assert_int_equal(xstate_size, native.xstate_size);
	assert_int_equal(magic2, native.magic2);
	/* At handler entry rsp + 8 is 16-byte aligned, as after a call. */
	assert_int_equal((frame + 8) % 16, 0);
	assert_int_equal((native.uc) % 16, 0);
}

/* ---- Round trips ---- */

static void test_setup_registers_and_frame(void **state)
{
	struct user_regs_struct *r = &task.arch.regs;
	siginfo_t si = {.si_signo = SIGUSR1, .si_code = SI_QUEUE};
	si.si_value.sival_int = 77;
	uint64_t saved = SIGBIT(SIGUSR2) | SIGBIT(SIGHUP);

	assert_int_equal(sigframe_setup(&task, SIGUSR1, &si, &act_plain, saved), 0);
	uint64_t frame = r->rsp;
	assert_int_equal(frame % 16, 8);
	assert_true(frame + 440 <= orig_regs.rsp - REDZONE);
	assert_int_equal(r->rip, HANDLER);
	assert_int_equal(r->rdi, SIGUSR1);
	assert_int_equal(r->rsi, frame + 312);
	assert_int_equal(r->rdx, frame + 8);
	assert_int_equal(r->rax, 0);
	assert_int_equal(r->eflags & (EFL_DF | EFL_TF), 0);
	assert_int_equal(*(uint64_t *)frame, RESTORER);

	siginfo_t *fsi = (siginfo_t *)r->rsi;
	assert_int_equal(fsi->si_signo, SIGUSR1);
	assert_int_equal(fsi->si_code, SI_QUEUE);
	assert_int_equal(fsi->si_value.sival_int, 77);

	ucontext_t *uc = uc_of(frame);
	greg_t *g = uc->uc_mcontext.gregs;
	assert_int_equal(g[REG_R8], orig_regs.r8);
	assert_int_equal(g[REG_R15], orig_regs.r15);
	assert_int_equal(g[REG_RDI], orig_regs.rdi);
	assert_int_equal(g[REG_RSI], orig_regs.rsi);
	assert_int_equal(g[REG_RBP], orig_regs.rbp);
	assert_int_equal(g[REG_RBX], orig_regs.rbx);
	assert_int_equal(g[REG_RDX], orig_regs.rdx);
	assert_int_equal(g[REG_RAX], orig_regs.rax);
	assert_int_equal(g[REG_RCX], orig_regs.rcx);
	assert_int_equal(g[REG_RSP], orig_regs.rsp);
	assert_int_equal(g[REG_RIP], orig_regs.rip);
	assert_int_equal(g[REG_EFL], orig_regs.eflags);
	assert_int_equal(g[REG_CSGSFS], USER_CS | (uint64_t)USER_SS << 48);
	assert_int_equal(g[REG_OLDMASK], saved);
	assert_int_equal(uc->uc_sigmask.__val[0], saved);
	assert_int_equal(uc->uc_stack.ss_flags, 0); /* never configured */
	assert_int_equal((uint64_t)uc->uc_mcontext.fpregs % 64, 0);
	assert_true((uint64_t)uc->uc_mcontext.fpregs > frame + 440);
	assert_memory_equal(uc->uc_mcontext.fpregs->_xmm, pattern_fpu + FX_XMM0, 256);
	assert_int_equal(uc->uc_mcontext.fpregs->cwd, 0x27f);

	/* The handler starts from a clean FPU. */
	assert_int_equal(nfetch, 1);
	assert_true(task.arch.fpu_dirty);
	uint16_t fcw;
	uint32_t mxcsr;
	memcpy(&fcw, task.arch.fpu, 2);
	memcpy(&mxcsr, task.arch.fpu + FX_MXCSR, 4);
	assert_int_equal(fcw, 0x37f);
	assert_int_equal(mxcsr, 0x1f80);
	assert_int_equal(rd64(task.arch.fpu + XSAVE_HDR), 0);
	for (int i = 0; i < 256; i++)
		assert_int_equal(task.arch.fpu[FX_XMM0 + i], 0);
}

/* The handler's `ret` pops pretcode; then rt_sigreturn. */
static long do_return(bool *ok)
{
	task.arch.regs.rsp += 8;
	task.arch.regs.rip = RESTORER + 7;
	atomic_store(&task.work, false);
	return sigframe_return(&task, ok);
}

static void test_roundtrip(void **state)
{
	struct user_regs_struct *r = &task.arch.regs;
	uint64_t saved = SIGBIT(SIGUSR2) | SIG_UNBLOCKABLE;
	bool ok;

	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act_plain, saved), 0);
	task.sigmask = ~0ULL;
	/* The handler clobbers registers and its FPU. */
	r->rbx = r->r12 = r->rcx = 0xdead;
	memset(task.arch.fpu, 0x5a, 512);
	task.arch.fpu_dirty = false;

	long rax = do_return(&ok);
	assert_true(ok);
	assert_int_equal(rax, orig_regs.rax);
	struct user_regs_struct want = orig_regs;
	want.orig_rax = (uint64_t)-1;
	assert_memory_equal(r, &want, sizeof want);
	assert_int_equal(task.sigmask, SIGBIT(SIGUSR2));
	assert_true(atomic_load(&task.work));
	assert_true(task.arch.fpu_dirty);
	assert_memory_equal(task.arch.fpu, pattern_fpu, 160 + 256);
	if (xs.xfeatures & XFEATURE_YMM)
		assert_memory_equal(task.arch.fpu + xs.off[2], pattern_fpu + xs.off[2], xs.len[2]);
	assert_int_equal(rd64(task.arch.fpu + XSAVE_HDR), rd64(pattern_fpu + XSAVE_HDR));
	/* The frame's software bytes never reach the platform. */
	for (int i = FX_SW_BYTES; i < FX_SIZE; i++)
		assert_int_equal(task.arch.fpu[i], 0);
}

static void test_handler_edits_context(void **state)
{
	struct user_regs_struct *r = &task.arch.regs;
	bool ok;

	assert_int_equal(sigframe_setup(&task, SIGSEGV, NULL, &act_plain, 0), 0);
	ucontext_t *uc = uc_of(r->rsp);
	greg_t *g = uc->uc_mcontext.gregs;
	g[REG_RIP] += 2;
	g[REG_RAX] = 1234;
	/* Privileged flags (IOPL, IF off, VM) are ignored; DF and CF are not. */
	g[REG_EFL] = 0x3000 | 0x20000 | EFL_DF | EFL_CF | 0x2;
	g[REG_CSGSFS] = 0x10 | (0x18ULL << 48);
	uc->uc_sigmask.__val[0] = SIGBIT(SIGKILL) | SIGBIT(SIGINT);

	assert_int_equal(do_return(&ok), 1234);
	assert_true(ok);
	assert_int_equal(r->rip, orig_regs.rip + 2);
	assert_int_equal(r->eflags, 0x202 | EFL_DF | EFL_CF);
	assert_int_equal(r->cs, USER_CS);
	assert_int_equal(r->ss, USER_SS);
	assert_int_equal(task.sigmask, SIGBIT(SIGINT));
}

static void test_no_restorer_or_no_stack(void **state)
{
	struct user_regs_struct *r = &task.arch.regs;
	struct k_sigaction act = act_plain;

	act.flags &= ~(uint64_t)SA_RESTORER;
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act, 0), -EFAULT);
	assert_memory_equal(r, &orig_regs, sizeof *r);
	/* A stack outside the address space. */
	r->rsp = 0x1000;
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act_plain, 0), -EFAULT);
	assert_int_equal(r->rip, orig_regs.rip);
	r->rsp = 0x100;
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act_plain, 0), -EFAULT);
}

static void test_altstack(void **state)
{
	struct user_regs_struct *r = &task.arch.regs;
	struct k_sigaction act = act_plain;
	uint64_t ss = (uint64_t)mem_base + 0x10000, size = 0x8000;
	bool ok;

	act.flags |= SA_ONSTACK;
	task.altstack.sp = ss;
	task.altstack.size = size;
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act, 0), 0);
	uint64_t frame = r->rsp;
	assert_true(frame > ss && frame < ss + size);
	assert_true(ss + size - frame < 2 * 4096 + 1024);
	ucontext_t *uc = uc_of(frame);
	assert_int_equal((uint64_t)uc->uc_stack.ss_sp, ss);
	assert_int_equal(uc->uc_stack.ss_size, size);
	assert_int_equal(uc->uc_stack.ss_flags, 0);

	/* Nested: already on the altstack, the next frame goes below rsp. */
	assert_int_equal(sigframe_setup(&task, SIGUSR2, NULL, &act, 0), 0);
	uint64_t frame2 = r->rsp;
	assert_true(frame2 > ss && frame2 + 440 + REDZONE <= frame);

	/* Overflow of the altstack is a failed delivery. */
	r->rsp = ss + 600;
	assert_int_equal(sigframe_setup(&task, SIGUSR2, NULL, &act, 0), -EFAULT);
	r->rsp = frame2;

	/* Returning to code on the altstack leaves it alone (EPERM ignored);
	 * the interrupted code was the first handler, entered with rax 0. */
	assert_int_equal(do_return(&ok), 0);
	assert_true(ok);
	assert_int_equal(task.altstack.sp, ss);

	/* Without SA_ONSTACK the normal stack is used. */
	r->rsp = orig_regs.rsp;
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act_plain, 0), 0);
	assert_true(r->rsp > ss + size);

	/* Too small to hold the frame at all. */
	task.altstack.size = 2048;
	r->rsp = orig_regs.rsp;
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act, 0), -EFAULT);
}

static void test_autodisarm(void **state)
{
	struct user_regs_struct *r = &task.arch.regs;
	struct k_sigaction act = act_plain;
	uint64_t ss = (uint64_t)mem_base + 0x10000, size = 0x8000;
	bool ok;

	act.flags |= SA_ONSTACK;
	task.altstack.sp = ss;
	task.altstack.size = size;
	task.altstack.flags = SS_AUTODISARM;
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act, 0), 0);
	assert_true(r->rsp > ss && r->rsp < ss + size);
	assert_int_equal(task.altstack.size, 0);
	ucontext_t *uc = uc_of(r->rsp);
	assert_int_equal((uint32_t)uc->uc_stack.ss_flags, SS_AUTODISARM);
	assert_int_equal(do_return(&ok), (long)orig_regs.rax);
	assert_true(ok);
	assert_int_equal(task.altstack.sp, ss);
	assert_int_equal(task.altstack.size, size);
	assert_int_equal(task.altstack.flags, SS_AUTODISARM);
}

static void test_bad_fpstate(void **state)
{
	struct user_regs_struct *r = &task.arch.regs;
	bool ok;

	/* A feature the CPU lacks in XSTATE_BV: XRSTOR would fault. */
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act_plain, 0), 0);
	uint8_t *fp = (uint8_t *)uc_of(r->rsp)->uc_mcontext.fpregs;
	wr64(fp + XSAVE_HDR, rd64(fp + XSAVE_HDR) | (1ULL << 62));
	do_return(&ok);
	assert_false(ok);
	uint16_t fcw;
	memcpy(&fcw, task.arch.fpu, 2);
	assert_int_equal(fcw, 0x37f);
	assert_true(task.arch.fpu_dirty);

	/* Reserved MXCSR bits. */
	r->rsp = orig_regs.rsp;
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act_plain, 0), 0);
	fp = (uint8_t *)uc_of(r->rsp)->uc_mcontext.fpregs;
	uint32_t mxcsr = 0xffffffff;
	memcpy(fp + FX_MXCSR, &mxcsr, 4);
	do_return(&ok);
	assert_false(ok);

	/* The fpstate pointer out of the address space. */
	r->rsp = orig_regs.rsp;
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act_plain, 0), 0);
	uc_of(r->rsp)->uc_mcontext.fpregs = (void *)0x1000;
	do_return(&ok);
	assert_false(ok);

	/* The whole frame unreadable. */
	r->rsp = 0x1008;
	assert_int_equal(sigframe_return(&task, &ok), -EFAULT);
	assert_false(ok);
}

static void test_fx_only_and_null_fpstate(void **state)
{
	struct user_regs_struct *r = &task.arch.regs;
	bool ok;

	/* Without the magic the legacy area alone is restored; AVX halves
	 * go back to their init state. */
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act_plain, 0), 0);
	uint8_t *fp = (uint8_t *)uc_of(r->rsp)->uc_mcontext.fpregs;
	memset(fp + FX_SW_BYTES, 0, 4);
	do_return(&ok);
	assert_true(ok);
	assert_memory_equal(task.arch.fpu + FX_XMM0, pattern_fpu + FX_XMM0, 256);
	assert_int_equal(rd64(task.arch.fpu + XSAVE_HDR), XFEATURE_FP | XFEATURE_SSE);
	if (xs.xfeatures & XFEATURE_YMM)
		for (uint32_t i = 0; i < xs.len[2]; i++)
			assert_int_equal(task.arch.fpu[xs.off[2] + i], 0);

	/* No fpstate at all: a clean FPU, and success. */
	r->rsp = orig_regs.rsp;
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act_plain, 0), 0);
	uc_of(r->rsp)->uc_mcontext.fpregs = NULL;
	memset(task.arch.fpu, 0x77, 512);
	do_return(&ok);
	assert_true(ok);
	uint16_t fcw;
	memcpy(&fcw, task.arch.fpu, 2);
	assert_int_equal(fcw, 0x37f);
	assert_int_equal(task.arch.fpu[FX_XMM0], 0);

	/* XSTATE_BV without SSE: the xmm registers return to zero. */
	r->rsp = orig_regs.rsp;
	task.arch.fpu_valid = task.arch.fpu_dirty = false; /* as after a platform run */
	assert_int_equal(sigframe_setup(&task, SIGUSR1, NULL, &act_plain, 0), 0);
	fp = (uint8_t *)uc_of(r->rsp)->uc_mcontext.fpregs;
	wr64(fp + XSAVE_HDR, XFEATURE_FP);
	do_return(&ok);
	assert_true(ok);
	for (int i = 0; i < 256; i++)
		assert_int_equal(task.arch.fpu[FX_XMM0 + i], 0);
	assert_memory_equal(task.arch.fpu + FX_ST0, pattern_fpu + FX_ST0, 128);
}

static void test_fault_fields(void **state)
{
	siginfo_t si = {.si_signo = SIGSEGV, .si_code = SEGV_ACCERR};
	si.si_addr = (void *)0xabc000;
	assert_int_equal(sigframe_setup(&task, SIGSEGV, &si, &act_plain, 0), 0);
	greg_t *g = uc_of(task.arch.regs.rsp)->uc_mcontext.gregs;
	assert_int_equal(g[REG_TRAPNO], 14);
	assert_int_equal(g[REG_CR2], 0xabc000);
	assert_int_equal(g[REG_ERR] & 1, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_layout_matches_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_setup_registers_and_frame, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_handler_edits_context, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_restorer_or_no_stack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_altstack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_autodisarm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_fpstate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fx_only_and_null_fpstate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fault_fields, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
