/* Unit tests of the KVM platform: syscall/fault/signal events with access
 * kinds, map/unmap and TLB flushes, interrupts, FPU and fs/gs bases,
 * several address spaces and contexts, and the round-trip cost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "platform/kvm/kvm_internal.h"
#include "platform/platform.h"

#define CODE_VA 0x400000UL
#define DATA_VA 0x600000UL
#define HOLE_VA 0x700000UL
#define SMC_VA 0x800000UL
#define BIG_VA 0x40000000UL
#define BIG_LEN (1UL << 30)
#define MEM_SIZE 0x100000UL
#define CODE_OFF 0x0
#define DATA_OFF 0x1000
#define HOLE_OFF 0x2000
#define DATA2_OFF 0x3000
#define SMC_OFF 0x4000
#define BIG_OFF 0x5000
#define MAGIC 0x5eed1234abcd0077UL
#define MAGIC2 0x0badcafe12345678UL

/* The application's code, copied to the memory file's first page. */
extern const char app_start[], app_end[], t_args[], t_args_ret[], t_read[], t_write[], t_jmp[],
    t_int3[], t_ud2[], t_hlt[], t_div[], t_spin[], t_getpid[], t_fpu[], t_fs[], t_smc_write[],
    t_touch[], t_spinread[], t_sse[];
__asm__(".section .rodata\n"
	".balign 16\n"
	"app_start:\n"
	"t_args: mov $1,%edi; mov $2,%esi; mov $3,%edx; mov $4,%r10d; mov $5,%r8d; mov $6,%r9d\n"
	"	mov $39,%eax; syscall\n"
	"t_args_ret: mov %rax,%rdi; mov $60,%eax; syscall; ud2\n"
	"t_read: mov (%rbx),%rdi; mov $39,%eax; syscall; ud2\n"
	"t_write: mov %rax,(%rbx); mov $39,%eax; syscall; ud2\n"
	"t_jmp: jmp *%rbx\n"
	"t_int3: int3; ud2\n"
	"t_ud2: ud2\n"
	"t_hlt: hlt\n"
	"t_div: xor %ecx,%ecx; mov $1,%eax; cltd; div %ecx; ud2\n"
	"t_spin: jmp t_spin\n"
	"t_getpid: mov $39,%eax; syscall; jmp t_getpid\n"
	"t_fpu: stmxcsr 0x600100; fnstcw 0x600108; mov $39,%eax; syscall; ud2\n"
	"t_fs: mov %fs:0,%rdi; mov %gs:8,%rsi; mov $39,%eax; syscall; ud2\n"
	"t_smc_write: mov %rsi,(%rbx); mov %rdx,8(%rbx); mov $39,%eax; syscall; ud2\n"
	"t_touch: mov (%rbx),%rax; add $4096,%rbx; cmp %rcx,%rbx; jb t_touch\n"
	"	mov $39,%eax; syscall; ud2\n"
	"t_spinread: mov (%rbx),%rax; jmp t_spinread\n"
	"t_sse: movq %rdi,%xmm3; movq %xmm5,%rsi; mov $39,%eax; syscall; ud2\n"
	"app_end:\n"
	".text\n");

#define APP(sym) (CODE_VA + (uint64_t)((sym)-app_start))

static int memfd;
static struct pf_as *as;
static struct pf_ctx *ctx;
static struct arch_state st;
static bool have_kvm;

static void set_rip(struct arch_state *s, uint64_t rip)
{
	memset(&s->regs, 0, sizeof s->regs);
	s->regs.rip = rip;
	s->regs.rsp = DATA_VA + PAGE_SIZE - 64;
	s->regs.eflags = 0x202;
}

static struct pf_event run_in(struct pf_ctx *c, struct pf_as *a, struct arch_state *s)
{
	struct pf_event ev;
	assert_int_equal(pf->run(c, a, s, &ev), 0);
	return ev;
}

static struct pf_event run(void)
{
	struct pf_event ev = run_in(ctx, as, &st);
	if (getenv("KVM_TEST_DEBUG"))
		fprintf(stderr, "ev %d addr %lx access %d code %d signo %d rip %llx\n", ev.kind,
			ev.addr, ev.access, ev.si_code, ev.signo, st.regs.rip);
	return ev;
}

static uint64_t mem64(uint64_t off)
{
	uint64_t v = 0;
	assert_int_equal(pread(memfd, &v, sizeof v, off), sizeof v);
	return v;
}

static void put64(uint64_t off, uint64_t v)
{
	assert_int_equal(pwrite(memfd, &v, sizeof v, off), sizeof v);
}

static int setup(void **state)
{
	if (access("/dev/kvm", R_OK | W_OK)) {
		print_message("kvm_test: no usable /dev/kvm, skipping\n");
		return 0;
	}
	have_kvm = true;
	pf = &platform_kvm;
	memfd = memfd_create("kvm-test-mem", 0);
	if (memfd < 0 || ftruncate(memfd, MEM_SIZE))
		return -1;
	size_t n = app_end - app_start;
	if (pwrite(memfd, app_start, n, CODE_OFF) != (ssize_t)n)
		return -1;
	put64(HOLE_OFF, MAGIC);
	put64(DATA_OFF, MAGIC);
	put64(DATA2_OFF, MAGIC2);
	put64(BIG_OFF, MAGIC);
	if (pf->init(memfd))
		return -1;
	as = pf->as_new();
	ctx = pf->ctx_new();
	st.fpu = pf_fpu_alloc();
	if (!as || !ctx || !st.fpu)
		return -1;
	if (pf->map(as, CODE_VA, PAGE_SIZE, PF_PROT_READ | PF_PROT_EXEC, CODE_OFF) ||
	    pf->map(as, DATA_VA, PAGE_SIZE, PF_PROT_READ | PF_PROT_WRITE, DATA_OFF))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	if (have_kvm) {
		pf->ctx_free(ctx);
		pf->as_free(as);
	}
	return 0;
}

#define NEED_KVM()                                                                                 \
	do {                                                                                       \
		if (!have_kvm)                                                                     \
			skip();                                                                    \
	} while (0)

static void test_fpu_fresh_before_run(void **state)
{
	NEED_KVM();
	assert_int_equal(pf->fpu_fetch(ctx, &st), 0);
	uint32_t mxcsr;
	uint16_t fcw;
	memcpy(&mxcsr, st.fpu + 24, 4);
	memcpy(&fcw, st.fpu, 2);
	assert_int_equal(mxcsr, 0x1f80);
	assert_int_equal(fcw, 0x37f);
}

static void test_syscall_args_and_result(void **state)
{
	NEED_KVM();
	set_rip(&st, APP(t_args));
	st.regs.r12 = 0x1212;
	st.regs.rbp = 0xbbbb;
	struct pf_event ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.orig_rax, 39);
	assert_int_equal(st.regs.rdi, 1);
	assert_int_equal(st.regs.rsi, 2);
	assert_int_equal(st.regs.rdx, 3);
	assert_int_equal(st.regs.r10, 4);
	assert_int_equal(st.regs.r8, 5);
	assert_int_equal(st.regs.r9, 6);
	assert_int_equal(st.regs.r12, 0x1212);
	assert_int_equal(st.regs.rbp, 0xbbbb);
	assert_int_equal(st.regs.rsp, DATA_VA + PAGE_SIZE - 64);
	assert_int_equal(st.regs.cs, 0x33);
	assert_int_equal(st.regs.ss, 0x2b);
	/* rip is after the syscall; rcx and r11 hold rip and rflags, as Linux */
	assert_int_equal(st.regs.rip, APP(t_args_ret));
	assert_int_equal(st.regs.rcx, APP(t_args_ret));
	assert_int_equal(st.regs.r11 & 0x200, 0x200);
	assert_int_equal(st.regs.eflags & 0x200, 0x200);
	st.regs.rax = 0x1234abcd;
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.orig_rax, 60);
	assert_int_equal(st.regs.rdi, 0x1234abcd);
}

static void expect_fault(uint64_t addr, int access, int code, uint64_t rip)
{
	struct pf_event ev = run();
	assert_int_equal(ev.kind, PF_EV_FAULT);
	assert_int_equal(ev.addr, addr);
	assert_int_equal(ev.access, access);
	assert_int_equal(ev.si_code, code);
	assert_int_equal(st.regs.rip, rip);
}

static void test_fault_map_unmap(void **state)
{
	NEED_KVM();
	/* Read of a hole. */
	set_rip(&st, APP(t_read));
	st.regs.rbx = HOLE_VA + 8;
	expect_fault(HOLE_VA + 8, PF_ACCESS_READ, SEGV_MAPERR, APP(t_read));
	assert_int_equal(st.regs.rbx, HOLE_VA + 8);

	/* Map it and retry the same instruction. */
	assert_int_equal(pf->map(as, HOLE_VA, PAGE_SIZE, PF_PROT_READ, HOLE_OFF), 0);
	struct pf_event ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.rdi, mem64(HOLE_OFF + 8));
	set_rip(&st, APP(t_read));
	st.regs.rbx = HOLE_VA;
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.rdi, MAGIC);

	/* Write to the read-only page: an access error, kind write. */
	set_rip(&st, APP(t_write));
	st.regs.rbx = HOLE_VA + 16;
	expect_fault(HOLE_VA + 16, PF_ACCESS_WRITE, SEGV_ACCERR, APP(t_write));
	/* Write to a hole. */
	set_rip(&st, APP(t_write));
	st.regs.rbx = HOLE_VA + PAGE_SIZE;
	expect_fault(HOLE_VA + PAGE_SIZE, PF_ACCESS_WRITE, SEGV_MAPERR, APP(t_write));
	/* Jump into the non-executable page and into a hole. */
	set_rip(&st, APP(t_jmp));
	st.regs.rbx = HOLE_VA + 0x20;
	expect_fault(HOLE_VA + 0x20, PF_ACCESS_EXEC, SEGV_ACCERR, HOLE_VA + 0x20);
	set_rip(&st, APP(t_jmp));
	st.regs.rbx = SMC_VA;
	expect_fault(SMC_VA, PF_ACCESS_EXEC, SEGV_MAPERR, SMC_VA);

	/* Upgrade to writable: the write goes through, to the file. */
	assert_int_equal(pf->map(as, HOLE_VA, PAGE_SIZE, PF_PROT_READ | PF_PROT_WRITE, HOLE_OFF),
			 0);
	set_rip(&st, APP(t_write));
	st.regs.rbx = HOLE_VA + 16;
	st.regs.rax = 0x77;
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(mem64(HOLE_OFF + 16), 0x77);

	/* Unmapped again: the same load faults again although its
	 * translation was in the TLB a moment ago. */
	assert_int_equal(pf->unmap(as, HOLE_VA, PAGE_SIZE), 0);
	set_rip(&st, APP(t_read));
	st.regs.rbx = HOLE_VA;
	expect_fault(HOLE_VA, PF_ACCESS_READ, SEGV_MAPERR, APP(t_read));

	/* Remapped to another page of the file: the new contents. */
	assert_int_equal(pf->map(as, HOLE_VA, PAGE_SIZE, PF_PROT_READ, HOLE_OFF), 0);
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.rdi, MAGIC);
	assert_int_equal(pf->map(as, HOLE_VA, PAGE_SIZE, PF_PROT_READ, DATA2_OFF), 0);
	set_rip(&st, APP(t_read));
	st.regs.rbx = HOLE_VA;
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.rdi, MAGIC2);

	/* PROT_NONE: absent to the guest. */
	assert_int_equal(pf->map(as, HOLE_VA, PAGE_SIZE, 0, HOLE_OFF), 0);
	set_rip(&st, APP(t_read));
	st.regs.rbx = HOLE_VA;
	expect_fault(HOLE_VA, PF_ACCESS_READ, SEGV_MAPERR, APP(t_read));
	assert_int_equal(pf->unmap(as, HOLE_VA, PAGE_SIZE), 0);

	/* The kernel half is there but never the application's. */
	set_rip(&st, APP(t_read));
	st.regs.rbx = KBASE;
	ev = run();
	assert_int_equal(ev.kind, PF_EV_FAULT);
	assert_int_equal(ev.addr, KBASE);
	assert_int_equal(ev.si_code, SEGV_ACCERR);
}

static void test_map_rejects_bad_ranges(void **state)
{
	NEED_KVM();
	assert_int_equal(pf->map(as, KVM_MAX_ADDR, PAGE_SIZE, PF_PROT_READ, 0), -EINVAL);
	assert_int_equal(pf->map(as, KVM_MAX_ADDR - PAGE_SIZE, 2 * PAGE_SIZE, PF_PROT_READ, 0),
			 -EINVAL);
	assert_int_equal(pf->unmap(as, KBASE, PAGE_SIZE), -EINVAL);
	assert_int_equal(pf->map(as, CODE_VA + 1, PAGE_SIZE, PF_PROT_READ, 0), -EINVAL);
	assert_int_equal(pf->map(as, CODE_VA, PAGE_SIZE, PF_PROT_READ, MEMFILE_SIZE), -EINVAL);
	/* Unmapping a huge, mostly empty range is cheap and fine. */
	assert_int_equal(pf->unmap(as, 0x100000000UL, 0x7f0000000000UL), 0);
}

static void test_signals(void **state)
{
	NEED_KVM();
	set_rip(&st, APP(t_int3));
	struct pf_event ev = run();
	assert_int_equal(ev.kind, PF_EV_SIGNAL);
	assert_int_equal(ev.signo, SIGTRAP);
	assert_int_equal(ev.si_code, SI_KERNEL);
	assert_int_equal(st.regs.rip, APP(t_int3) + 1);

	set_rip(&st, APP(t_ud2));
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SIGNAL);
	assert_int_equal(ev.signo, SIGILL);
	assert_int_equal(ev.info.si_code, ILL_ILLOPN);
	assert_int_equal((uint64_t)ev.info.si_addr, APP(t_ud2));
	assert_int_equal(st.regs.rip, APP(t_ud2));

	/* A privileged instruction: #GP, SIGSEGV with SI_KERNEL. */
	set_rip(&st, APP(t_hlt));
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SIGNAL);
	assert_int_equal(ev.signo, SIGSEGV);
	assert_int_equal(ev.si_code, SI_KERNEL);
	assert_int_equal(st.regs.rip, APP(t_hlt));

	set_rip(&st, APP(t_div));
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SIGNAL);
	assert_int_equal(ev.signo, SIGFPE);
	assert_int_equal(ev.si_code, FPE_INTDIV);
	assert_int_equal(st.regs.rip, APP(t_div) + 8);

	/* A non-canonical rip (a bad sigreturn): SIGSEGV, nothing ran. */
	set_rip(&st, 0x0000900000000000UL);
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SIGNAL);
	assert_int_equal(ev.signo, SIGSEGV);
	assert_int_equal(st.regs.rip, 0x0000900000000000UL);

	/* IOPL from the sentry is ignored: `hlt` still faults, and the
	 * platform keeps working. */
	set_rip(&st, APP(t_hlt));
	st.regs.eflags |= 0x3000;
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SIGNAL);
	assert_int_equal(ev.signo, SIGSEGV);
}

static void *interrupter(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	pf->interrupt(arg);
	return NULL;
}

static void test_interrupt(void **state)
{
	NEED_KVM();
	/* Not running: the next run returns at once. */
	pf->interrupt(ctx);
	set_rip(&st, APP(t_spin));
	struct pf_event ev = run();
	assert_int_equal(ev.kind, PF_EV_INTERRUPT);
	assert_int_equal(st.regs.rip, APP(t_spin));

	for (int i = 0; i < 3; i++) {
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, interrupter, ctx), 0);
		ev = run();
		pthread_join(th, NULL);
		assert_int_equal(ev.kind, PF_EV_INTERRUPT);
		assert_int_equal(st.regs.rip, APP(t_spin));
	}
	/* And nothing is left over: a syscall comes back as a syscall. */
	set_rip(&st, APP(t_getpid));
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
}

static void test_fpu(void **state)
{
	NEED_KVM();
	set_rip(&st, APP(t_fpu));
	struct pf_event ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(mem64(DATA_OFF + 0x100) & 0xffffffff, 0x1f80);
	assert_int_equal(mem64(DATA_OFF + 0x108) & 0xffff, 0x37f);

	memset(st.fpu, 0xaa, pf_fpu_size());
	assert_int_equal(pf->fpu_fetch(ctx, &st), 0);
	assert_true(st.fpu_valid);
	uint32_t mxcsr;
	memcpy(&mxcsr, st.fpu + 24, 4);
	assert_int_equal(mxcsr, 0x1f80);

	/* The sentry changes it: round toward zero, and xmm5 = 0x55. */
	mxcsr = 0x7f80;
	memcpy(st.fpu + 24, &mxcsr, 4);
	memset(st.fpu + 160 + 5 * 16, 0, 16);
	st.fpu[160 + 5 * 16] = 0x55;
	st.fpu_dirty = true;
	set_rip(&st, APP(t_fpu));
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_false(st.fpu_dirty);
	assert_false(st.fpu_valid);
	assert_int_equal(mem64(DATA_OFF + 0x100) & 0xffffffff, 0x7f80);

	/* xmm3 written by the guest reaches the sentry; xmm5 the other way. */
	set_rip(&st, APP(t_sse));
	st.regs.rdi = 0x1122334455667788UL;
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.rsi, 0x55);
	assert_int_equal(pf->fpu_fetch(ctx, &st), 0);
	memcpy(&mxcsr, st.fpu + 24, 4);
	assert_int_equal(mxcsr, 0x7f80);
	uint64_t x3;
	memcpy(&x3, st.fpu + 160 + 3 * 16, 8);
	assert_int_equal(x3, 0x1122334455667788UL);
}

static void test_fs_gs_base(void **state)
{
	NEED_KVM();
	put64(DATA_OFF + 0x200, 0xf5f5f5f5UL);
	put64(DATA_OFF + 0x308, 0x6565UL);
	set_rip(&st, APP(t_fs));
	st.regs.fs_base = DATA_VA + 0x200;
	st.regs.gs_base = DATA_VA + 0x300;
	struct pf_event ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.rdi, 0xf5f5f5f5UL);
	assert_int_equal(st.regs.rsi, 0x6565);
	assert_int_equal(st.regs.fs_base, DATA_VA + 0x200);

	/* Changed between two runs of the same vCPU. */
	put64(DATA_OFF + 0x400, 0x4444UL);
	set_rip(&st, APP(t_fs));
	st.regs.fs_base = DATA_VA + 0x400;
	st.regs.gs_base = DATA_VA + 0x300;
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.rdi, 0x4444);
	st.regs.fs_base = st.regs.gs_base = 0;
}

/* Two address spaces, two contexts, one host thread: each sees its own
 * memory at the same address, however they alternate on vCPUs. */
static void test_two_spaces(void **state)
{
	NEED_KVM();
	struct pf_as *as2 = pf->as_new();
	struct pf_ctx *ctx2 = pf->ctx_new();
	assert_non_null(as2);
	assert_non_null(ctx2);
	assert_int_equal(pf->map(as2, CODE_VA, PAGE_SIZE, PF_PROT_READ | PF_PROT_EXEC, CODE_OFF),
			 0);
	assert_int_equal(pf->map(as2, DATA_VA, PAGE_SIZE, PF_PROT_READ | PF_PROT_WRITE, DATA2_OFF),
			 0);
	struct arch_state st2 = {.fpu = pf_fpu_alloc()};
	for (int i = 0; i < 6; i++) {
		struct pf_ctx *c = i & 1 ? ctx2 : ctx;
		struct pf_as *a = i & 2 ? as2 : as;
		struct arch_state *s = i & 1 ? &st2 : &st;
		set_rip(s, APP(t_read));
		s->regs.rbx = DATA_VA;
		struct pf_event ev = run_in(c, a, s);
		assert_int_equal(ev.kind, PF_EV_SYSCALL);
		assert_int_equal(s->regs.rdi, a == as2 ? MAGIC2 : MAGIC);
	}
	/* A fresh ctx on a pooled vCPU starts with Linux's FPU state. */
	pf->ctx_free(ctx2);
	ctx2 = pf->ctx_new();
	set_rip(&st2, APP(t_fpu));
	struct pf_event ev = run_in(ctx2, as, &st2);
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(mem64(DATA_OFF + 0x100) & 0xffffffff, 0x1f80);
	pf->ctx_free(ctx2);
	pf->as_free(as2);
	free(st2.fpu);
}

/* 1 GiB of address space, every page mapped on its first touch. */
static void test_touch_1g(void **state)
{
	NEED_KVM();
	set_rip(&st, APP(t_touch));
	st.regs.rbx = BIG_VA;
	st.regs.rcx = BIG_VA + BIG_LEN;
	uint64_t faults = 0;
	for (;;) {
		struct pf_event ev = run();
		if (ev.kind == PF_EV_SYSCALL)
			break;
		assert_int_equal(ev.kind, PF_EV_FAULT);
		assert_int_equal(ev.addr, BIG_VA + faults * PAGE_SIZE);
		assert_int_equal(ev.access, PF_ACCESS_READ);
		/* Every page shows the same file page: no memory needed. */
		assert_int_equal(pf->map(as, ev.addr, PAGE_SIZE, PF_PROT_READ, BIG_OFF), 0);
		faults++;
	}
	assert_int_equal(faults, BIG_LEN / PAGE_SIZE);
	assert_int_equal(st.regs.rbx, BIG_VA + BIG_LEN);
	assert_int_equal(kvm_as_translate(as, BIG_VA + BIG_LEN - 8, NULL), BIG_OFF + PAGE_SIZE - 8);
	uint64_t before = as->tables;
	assert_int_equal(pf->unmap(as, BIG_VA, BIG_LEN), 0);
	assert_int_equal(kvm_as_translate(as, BIG_VA, NULL), -1);
	assert_int_equal(as->tables, before);
}

/* Code written through a writable mapping runs once it is remapped
 * executable, and a second version replaces the first. */
static void test_self_modifying_code(void **state)
{
	NEED_KVM();
	for (uint32_t k = 41; k <= 42; k++) {
		assert_int_equal(
		    pf->map(as, SMC_VA, PAGE_SIZE, PF_PROT_READ | PF_PROT_WRITE, SMC_OFF), 0);
		/* mov $k,%edi; mov $60,%eax; syscall; ud2 */
		uint8_t code[16] = {0xbf, 0, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05, 0x0f, 0x0b};
		memcpy(code + 1, &k, 4);
		set_rip(&st, APP(t_smc_write));
		st.regs.rbx = SMC_VA;
		memcpy(&st.regs.rsi, code, 8);
		memcpy(&st.regs.rdx, code + 8, 8);
		struct pf_event ev = run();
		assert_int_equal(ev.kind, PF_EV_SYSCALL);
		/* Not executable yet. */
		set_rip(&st, SMC_VA);
		expect_fault(SMC_VA, PF_ACCESS_EXEC, SEGV_ACCERR, SMC_VA);
		assert_int_equal(
		    pf->map(as, SMC_VA, PAGE_SIZE, PF_PROT_READ | PF_PROT_EXEC, SMC_OFF), 0);
		set_rip(&st, SMC_VA);
		ev = run();
		assert_int_equal(ev.kind, PF_EV_SYSCALL);
		assert_int_equal(st.regs.orig_rax, 60);
		assert_int_equal(st.regs.rdi, k);
	}
	assert_int_equal(pf->unmap(as, SMC_VA, PAGE_SIZE), 0);
}

struct spinner {
	struct pf_ctx *ctx;
	struct arch_state st;
	struct pf_event ev;
	int rc;
};

static void *spin_reader(void *arg)
{
	struct spinner *s = arg;
	s->rc = pf->run(s->ctx, as, &s->st, &s->ev);
	return NULL;
}

/* Another thread's vCPU reads a page in a loop; unmapping it here must
 * make that vCPU fault (a TLB shootdown), not read on from a stale TLB. */
static void test_unmap_shootdown(void **state)
{
	NEED_KVM();
	assert_int_equal(pf->map(as, HOLE_VA, PAGE_SIZE, PF_PROT_READ, HOLE_OFF), 0);
	struct spinner s = {.ctx = pf->ctx_new(), .st.fpu = pf_fpu_alloc()};
	set_rip(&s.st, APP(t_spinread));
	s.st.regs.rbx = HOLE_VA;
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, spin_reader, &s), 0);
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	assert_int_equal(pf->unmap(as, HOLE_VA, PAGE_SIZE), 0);
	pthread_join(th, NULL);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.ev.kind, PF_EV_FAULT);
	assert_int_equal(s.ev.addr, HOLE_VA);
	assert_int_equal(s.st.regs.rip, APP(t_spinread));
	pf->ctx_free(s.ctx);
	free(s.st.fpu);
}

static void test_getpid_speed(void **state)
{
	NEED_KVM();
	const int n = 100000;
	set_rip(&st, APP(t_getpid));
	struct pf_event ev = run();
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		st.regs.rax = 1;
		ev = run();
		if (ev.kind != PF_EV_SYSCALL || st.regs.orig_rax != 39)
			fail();
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
	printf("kvm_getpid_roundtrip_ns %.0f\n", ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fpu_fresh_before_run),
	    cmocka_unit_test(test_syscall_args_and_result),
	    cmocka_unit_test(test_fault_map_unmap),
	    cmocka_unit_test(test_map_rejects_bad_ranges),
	    cmocka_unit_test(test_signals),
	    cmocka_unit_test(test_interrupt),
	    cmocka_unit_test(test_fpu),
	    cmocka_unit_test(test_fs_gs_base),
	    cmocka_unit_test(test_two_spaces),
	    cmocka_unit_test(test_touch_1g),
	    cmocka_unit_test(test_self_modifying_code),
	    cmocka_unit_test(test_unmap_shootdown),
	    cmocka_unit_test(test_getpid_speed),
	};
	/* KVM_TEST_FILTER=pattern runs a subset (debugging). */
	if (getenv("KVM_TEST_FILTER"))
		cmocka_set_test_filter(getenv("KVM_TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
