/* Unit tests of the ptrace platform: stub processes, syscall/fault/signal
 * events, map/unmap, interrupts, FPU state and the stub's lockdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "platform/platform.h"
#include "platform/ptrace/ptrace_internal.h"

#define CODE_VA 0x400000UL
#define DATA_VA 0x600000UL
#define HOLE_VA 0x700000UL
#define MEM_SIZE 0x100000UL
#define CODE_OFF 0x0
#define DATA_OFF 0x1000
#define HOLE_OFF 0x2000
#define MAGIC 0x5eed1234abcd0077UL

/* The application's code: snippets assembled here, copied to the memory
 * file's first page and mapped at CODE_VA. */
extern const char app_start[], app_end[], t_args[], t_args_ret[], t_fault[], t_int3[], t_ud2[],
    t_hlt[], t_spin[], t_getpid[], t_host[], t_fpu[];
__asm__(".section .rodata\n"
	".balign 16\n"
	"app_start:\n"
	"t_args: mov $1,%edi; mov $2,%esi; mov $3,%edx; mov $4,%r10d; mov $5,%r8d; mov $6,%r9d\n"
	"	mov $39,%eax; syscall\n"
	"t_args_ret: mov %rax,%rdi; mov $60,%eax; syscall; ud2\n"
	"t_fault: mov 0x700000,%rax\n"
	"	mov %rax,%rdi; mov $60,%eax; syscall; ud2\n"
	"t_int3: int3; ud2\n"
	"t_ud2: ud2\n"
	"t_hlt: hlt\n"
	"t_spin: jmp t_spin\n"
	"t_getpid: mov $39,%eax; syscall; jmp t_getpid\n"
	"t_host: mov $18,%eax; syscall\n" /* pwrite64 with the test's args */
	"	mov $231,%eax; syscall; ud2\n"
	"t_fpu: stmxcsr 0x600100; fnstcw 0x600108; mov $39,%eax; syscall; ud2\n"
	"app_end:\n"
	".text\n");

#define APP(sym) (CODE_VA + (uint64_t)((sym)-app_start))

static int memfd;
static struct pf_as *as;
static struct pf_ctx *ctx;
static struct arch_state st;

static void set_rip(uint64_t rip)
{
	memset(&st.regs, 0, sizeof st.regs);
	st.regs.rip = rip;
	st.regs.rsp = DATA_VA + PAGE_SIZE - 64;
	st.regs.eflags = 0x202;
}

static struct pf_event run(void)
{
	struct pf_event ev;
	assert_int_equal(pf->run(ctx, as, &st, &ev), 0);
	return ev;
}

static uint64_t mem64(uint64_t off)
{
	uint64_t v = 0;
	assert_int_equal(pread(memfd, &v, sizeof v, off), sizeof v);
	return v;
}

static int setup(void **state)
{
	pf = &platform_ptrace;
	memfd = memfd_create("ptrace-test-mem", 0);
	if (memfd < 0 || ftruncate(memfd, MEM_SIZE))
		return -1;
	size_t n = app_end - app_start;
	uint64_t magic = MAGIC;
	if (pwrite(memfd, app_start, n, CODE_OFF) != (ssize_t)n ||
	    pwrite(memfd, &magic, sizeof magic, HOLE_OFF) != sizeof magic ||
	    pwrite(memfd, &magic, sizeof magic, DATA_OFF) != sizeof magic)
		return -1;
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
	pf->ctx_free(ctx);
	pf->as_free(as);
	return 0;
}

static void test_fpu_fresh_before_run(void **state)
{
	/* Before the ctx ever ran: the Linux initial state, not the sentry's. */
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
	set_rip(APP(t_args));
	struct pf_event ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.orig_rax, 39);
	assert_int_equal(st.regs.rdi, 1);
	assert_int_equal(st.regs.rsi, 2);
	assert_int_equal(st.regs.rdx, 3);
	assert_int_equal(st.regs.r10, 4);
	assert_int_equal(st.regs.r8, 5);
	assert_int_equal(st.regs.r9, 6);
	/* rip is after the 2-byte syscall instruction */
	assert_int_equal(st.regs.rip, APP(t_args_ret));
	st.regs.rax = 0x1234abcd;
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.orig_rax, 60);
	assert_int_equal(st.regs.rdi, 0x1234abcd);
}

static void test_fault_map_unmap(void **state)
{
	set_rip(APP(t_fault));
	struct pf_event ev = run();
	assert_int_equal(ev.kind, PF_EV_FAULT);
	assert_int_equal(ev.addr, HOLE_VA);
	assert_int_equal(ev.si_code, SEGV_MAPERR);
	assert_int_equal(st.regs.rip, APP(t_fault));

	/* Map it and retry the same instruction. */
	assert_int_equal(pf->map(as, HOLE_VA, PAGE_SIZE, PF_PROT_READ, HOLE_OFF), 0);
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.orig_rax, 60);
	assert_int_equal(st.regs.rdi, MAGIC);

	/* Unmapped again: the same load faults again. */
	assert_int_equal(pf->unmap(as, HOLE_VA, PAGE_SIZE), 0);
	set_rip(APP(t_fault));
	ev = run();
	assert_int_equal(ev.kind, PF_EV_FAULT);
	assert_int_equal(ev.addr, HOLE_VA);

	/* Write to a read-only mapping: an access error. */
	assert_int_equal(pf->map(as, HOLE_VA, PAGE_SIZE, PF_PROT_READ, HOLE_OFF), 0);
	set_rip(APP(t_fpu)); /* stmxcsr to DATA_VA+0x100 works; use the hole read-only */
	assert_int_equal(pf->map(as, DATA_VA, PAGE_SIZE, PF_PROT_READ, DATA_OFF), 0);
	ev = run();
	assert_int_equal(ev.kind, PF_EV_FAULT);
	assert_int_equal(ev.addr, DATA_VA + 0x100);
	assert_int_equal(ev.si_code, SEGV_ACCERR);
	assert_int_equal(pf->map(as, DATA_VA, PAGE_SIZE, PF_PROT_READ | PF_PROT_WRITE, DATA_OFF),
			 0);
	assert_int_equal(pf->unmap(as, HOLE_VA, PAGE_SIZE), 0);
}

static void test_map_rejects_stub_area(void **state)
{
	assert_int_equal(pf->map(as, STUB_MAX_ADDR, PAGE_SIZE, PF_PROT_READ, 0), -EINVAL);
	assert_int_equal(pf->map(as, STUB_MAX_ADDR - PAGE_SIZE, 2 * PAGE_SIZE, PF_PROT_READ, 0),
			 -EINVAL);
	assert_int_equal(pf->unmap(as, STUB_CODE_ADDR, PAGE_SIZE), -EINVAL);
	assert_int_equal(pf->map(as, CODE_VA + 1, PAGE_SIZE, PF_PROT_READ, 0), -EINVAL);
}

static void test_signals(void **state)
{
	set_rip(APP(t_int3));
	struct pf_event ev = run();
	assert_int_equal(ev.kind, PF_EV_SIGNAL);
	assert_int_equal(ev.signo, SIGTRAP);
	assert_int_equal(st.regs.rip, APP(t_int3) + 1);

	set_rip(APP(t_ud2));
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SIGNAL);
	assert_int_equal(ev.signo, SIGILL);
	assert_int_equal(ev.info.si_code, ILL_ILLOPN);
	assert_int_equal(st.regs.rip, APP(t_ud2));

	/* A privileged instruction: #GP, SIGSEGV with SI_KERNEL. */
	set_rip(APP(t_hlt));
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SIGNAL);
	assert_int_equal(ev.signo, SIGSEGV);
	assert_int_equal(ev.si_code, SI_KERNEL);
}

static void *interrupter(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	pf->interrupt(ctx);
	return NULL;
}

static void test_interrupt(void **state)
{
	/* Not running: the next run returns at once. */
	pf->interrupt(ctx);
	set_rip(APP(t_spin));
	struct pf_event ev = run();
	assert_int_equal(ev.kind, PF_EV_INTERRUPT);
	assert_int_equal(st.regs.rip, APP(t_spin));

	/* The pending signal of that interrupt must not produce a second one:
	 * the next run has to be stopped by a fresh interrupt from a thread. */
	for (int i = 0; i < 2; i++) {
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, interrupter, NULL), 0);
		ev = run();
		pthread_join(th, NULL);
		assert_int_equal(ev.kind, PF_EV_INTERRUPT);
		assert_int_equal(st.regs.rip, APP(t_spin));
	}
}

static void test_fpu(void **state)
{
	set_rip(APP(t_fpu));
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

	/* The sentry changes it: round toward zero. */
	mxcsr = 0x7f80;
	memcpy(st.fpu + 24, &mxcsr, 4);
	st.fpu_dirty = true;
	set_rip(APP(t_fpu));
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_false(st.fpu_dirty);
	assert_int_equal(mem64(DATA_OFF + 0x100) & 0xffffffff, 0x7f80);
	assert_int_equal(pf->fpu_fetch(ctx, &st), 0);
	memcpy(&mxcsr, st.fpu + 24, 4);
	assert_int_equal(mxcsr, 0x7f80);
}

/* The application's syscalls never reach the host, even exit_group and even
 * through the stub's own syscall instruction. */
static void test_no_host_syscalls(void **state)
{
	set_rip(APP(t_host));
	st.regs.rdi = memfd; /* the stub holds the memory file under this number */
	st.regs.rsi = DATA_VA;
	st.regs.rdx = 8;
	st.regs.r10 = 0x3000;
	struct pf_event ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.orig_rax, __NR_pwrite64);
	assert_int_equal(mem64(0x3000), 0);
	st.regs.rax = 8;
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.orig_rax, __NR_exit_group);
	assert_int_equal(mem64(0x3000), 0);
	assert_int_equal(kill(as->pid, 0), 0);

	set_rip(STUB_ADDR_OF(stub_syscall));
	st.regs.rax = __NR_getppid;
	ev = run();
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	assert_int_equal(st.regs.orig_rax, __NR_getppid);
	assert_int_equal(kill(as->pid, 0), 0);
}

/* Nothing of the sentry is left in the stub: only the application's pages,
 * the stub's two regions and the vsyscall page. */
static void test_stub_maps(void **state)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/maps", as->pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int n = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		assert_int_equal(sscanf(line, "%lx-%lx", &lo, &hi), 2);
		bool ok = (lo >= CODE_VA && hi <= HOLE_VA + PAGE_SIZE) ||
			  (lo >= STUB_CODE_ADDR && hi <= STUB_OPS_ADDR + STUB_OPS_SIZE) ||
			  strstr(line, "[vsyscall]");
		if (!ok)
			print_error("unexpected stub mapping: %s", line);
		assert_true(ok);
		n++;
	}
	fclose(f);
	assert_true(n >= 3);

	snprintf(path, sizeof path, "/proc/%d/status", as->pid);
	f = fopen(path, "r");
	assert_non_null(f);
	bool filtered = false;
	while (fgets(line, sizeof line, f))
		if (!strcmp(line, "Seccomp:\t2\n"))
			filtered = true;
	fclose(f);
	assert_true(filtered);
}

/* The stub's seccomp filter: what the sentry may inject works, anything
 * else kills the stub, and run() then fails cleanly. */
static void test_stub_seccomp(void **state)
{
	struct pf_as *as2 = pf->as_new();
	assert_non_null(as2);
	uint64_t args[6] = {0};
	assert_int_equal(ptrace_as_inject(as2, __NR_getpid, args), as2->pid);
	args[0] = 0x10000;
	args[1] = PAGE_SIZE;
	args[2] = PROT_READ;
	args[3] = MAP_SHARED | MAP_FIXED;
	args[4] = memfd;
	assert_int_equal(ptrace_as_inject(as2, __NR_mmap, args), 0x10000);
	memset(args, 0, sizeof args);
	assert_int_equal(ptrace_as_inject(as2, __NR_getuid, args), -ESRCH);

	struct pf_ctx *ctx2 = pf->ctx_new();
	struct arch_state st2 = st;
	struct pf_event ev;
	as2->dead = true;
	assert_true(pf->run(ctx2, as2, &st2, &ev) < 0);
	pf->ctx_free(ctx2);
	pf->as_free(as2);
}

static void test_stub_killed(void **state)
{
	struct pf_as *as2 = pf->as_new();
	struct pf_ctx *ctx2 = pf->ctx_new();
	assert_non_null(as2);
	assert_int_equal(pf->map(as2, CODE_VA, PAGE_SIZE, PF_PROT_READ | PF_PROT_EXEC, CODE_OFF),
			 0);
	struct arch_state st2 = {.fpu = st.fpu};
	st2.regs.rip = APP(t_getpid);
	st2.regs.eflags = 0x202;
	struct pf_event ev;
	assert_int_equal(pf->run(ctx2, as2, &st2, &ev), 0);
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	/* Some other host process signals the stub: swallowed. */
	kill(as2->pid, SIGTERM);
	assert_int_equal(pf->run(ctx2, as2, &st2, &ev), 0);
	assert_int_equal(ev.kind, PF_EV_SYSCALL);
	kill(as2->pid, SIGKILL);
	assert_int_equal(pf->run(ctx2, as2, &st2, &ev), -ESRCH);
	pf->ctx_free(ctx2);
	pf->as_free(as2);
}

static void test_getpid_speed(void **state)
{
	const int n = 100000;
	set_rip(APP(t_getpid));
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
	printf("ptrace_getpid_roundtrip_ns %.0f\n", ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fpu_fresh_before_run),
	    cmocka_unit_test(test_syscall_args_and_result),
	    cmocka_unit_test(test_fault_map_unmap),
	    cmocka_unit_test(test_map_rejects_stub_area),
	    cmocka_unit_test(test_signals),
	    cmocka_unit_test(test_interrupt),
	    cmocka_unit_test(test_fpu),
	    cmocka_unit_test(test_no_host_syscalls),
	    cmocka_unit_test(test_stub_maps),
	    cmocka_unit_test(test_stub_seccomp),
	    cmocka_unit_test(test_stub_killed),
	    cmocka_unit_test(test_getpid_speed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
