/* signal_test: delivery to handlers: siginfo, masks, flags, ucontext, FPU, altstacks, waits. */
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "testlib.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

/* What the last handler saw; handlers write, tests read after delivery. */
static volatile int hits;
static volatile int last_sig;
static siginfo_t last_info;
static sigset_t mask_in_handler;

static void reset_record(void)
{
	hits = 0;
	last_sig = 0;
	memset(&last_info, 0, sizeof last_info);
	sigemptyset(&mask_in_handler);
}

static void record(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	last_sig = sig;
	if (si)
		last_info = *si;
	sigprocmask(SIG_SETMASK, NULL, &mask_in_handler);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags, const sigset_t *mask)
{
	struct sigaction sa = {.sa_sigaction = fn, .sa_flags = SA_SIGINFO | flags};
	if (mask)
		sa.sa_mask = *mask;
	else
		sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(sig, &sa, NULL));
}

static void set_default(int sig)
{
	signal(sig, SIG_DFL);
}

static void unblock_all(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int wait_status(pid_t pid)
{
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	return status;
}

TEST(raise_siginfo)
{
	reset_record();
	install(SIGUSR1, record, 0, NULL);
	CHECK_EQ(raise(SIGUSR1), 0);
	set_default(SIGUSR1);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_sig, SIGUSR1);
	CHECK_EQ(last_info.si_signo, SIGUSR1);
	/* glibc's raise is tgkill. */
	CHECK_EQ(last_info.si_code, SI_TKILL);
	CHECK_EQ(last_info.si_pid, getpid());
	CHECK_EQ(last_info.si_uid, getuid());
}

TEST(kill_self_siginfo)
{
	reset_record();
	install(SIGUSR2, record, 0, NULL);
	CHECK_EQ(kill(getpid(), SIGUSR2), 0);
	set_default(SIGUSR2);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_info.si_signo, SIGUSR2);
	CHECK_EQ(last_info.si_code, SI_USER);
	CHECK_EQ(last_info.si_pid, getpid());
	CHECK_EQ(last_info.si_uid, getuid());
}

TEST(tgkill_siginfo)
{
	reset_record();
	install(SIGUSR1, record, 0, NULL);
	CHECK_EQ(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1), 0);
	set_default(SIGUSR1);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_info.si_code, SI_TKILL);
	CHECK_EQ(last_info.si_pid, getpid());
	/* A thread of another process is ESRCH, a bad signal EINVAL. */
	CHECK_ERRNO(syscall(SYS_tgkill, getpid(), 0x3fffff, SIGUSR1), ESRCH);
	CHECK_ERRNO(syscall(SYS_tgkill, getpid(), gettid(), 65), EINVAL);
}

TEST(sigqueue_value)
{
	reset_record();
	install(SIGUSR1, record, 0, NULL);
	CHECK_EQ(sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 4242}), 0);
	set_default(SIGUSR1);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_info.si_code, SI_QUEUE);
	CHECK_EQ(last_info.si_value.sival_int, 4242);
	CHECK_EQ(last_info.si_pid, getpid());
}

TEST(handler_mask)
{
	sigset_t extra, now;
	sigemptyset(&extra);
	sigaddset(&extra, SIGUSR2);
	sigaddset(&extra, SIGHUP);
	reset_record();
	install(SIGUSR1, record, 0, &extra);
	raise(SIGUSR1);
	set_default(SIGUSR1);
	CHECK_EQ(hits, 1);
	CHECK(sigismember(&mask_in_handler, SIGUSR1));
	CHECK(sigismember(&mask_in_handler, SIGUSR2));
	CHECK(sigismember(&mask_in_handler, SIGHUP));
	CHECK(!sigismember(&mask_in_handler, SIGTERM));
	/* The mask is back after the handler. */
	sigprocmask(SIG_SETMASK, NULL, &now);
	CHECK(!sigismember(&now, SIGUSR1));
	CHECK(!sigismember(&now, SIGUSR2));
}

static volatile int depth, max_depth;

static void nodefer_handler(int sig, siginfo_t *si, void *uc)
{
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	record(sig, si, uc);
	if (hits < 3)
		raise(sig);
	depth--;
}

TEST(nodefer)
{
	reset_record();
	depth = max_depth = 0;
	install(SIGUSR1, nodefer_handler, SA_NODEFER, NULL);
	raise(SIGUSR1);
	set_default(SIGUSR1);
	CHECK_EQ(hits, 3);
	CHECK_EQ(max_depth, 3);
	CHECK(!sigismember(&mask_in_handler, SIGUSR1));
}

TEST(deferred_without_nodefer)
{
	/* Without SA_NODEFER the handler's own raise waits until it returns. */
	reset_record();
	depth = max_depth = 0;
	install(SIGUSR1, nodefer_handler, 0, NULL);
	raise(SIGUSR1);
	set_default(SIGUSR1);
	CHECK_EQ(hits, 3);
	CHECK_EQ(max_depth, 1);
}

TEST(resethand)
{
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		struct sigaction old;
		reset_record();
		install(SIGUSR1, record, SA_RESETHAND, NULL);
		raise(SIGUSR1);
		if (hits != 1)
			_exit(3);
		sigaction(SIGUSR1, NULL, &old);
		if (old.sa_handler != SIG_DFL)
			_exit(4);
		raise(SIGUSR1);
		_exit(5);
	}
	int st = wait_status(pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGUSR1);
}

/* ---- The ucontext: registers seen and changed by the handler ---- */

static volatile uint64_t uc_rip, uc_rax;
static volatile bool uc_skip;

static void uc_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uc_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	uc_rax = (uint64_t)uc->uc_mcontext.gregs[REG_RAX];
	if (uc_skip) {
		/* Skip the 5-byte `mov $7, %eax` after the syscall and
		 * pretend the syscall returned 42. */
		uc->uc_mcontext.gregs[REG_RIP] += 5;
		uc->uc_mcontext.gregs[REG_RAX] = 42;
	}
}

/* kill(getpid(), SIGUSR1) by hand, so the return address is known. */
static uint64_t kill_self_asm(uint64_t *after)
{
	uint64_t rax = SYS_kill, label;
	__asm__ volatile("lea 1f(%%rip), %1\n\t"
			 "syscall\n"
			 "1:\n\t"
			 ".byte 0xb8, 7, 0, 0, 0\n\t" /* mov $7, %eax */
			 : "+a"(rax), "=&r"(label)
			 : "D"((uint64_t)getpid()), "S"((uint64_t)SIGUSR1)
			 : "rcx", "r11", "memory");
	*after = label;
	return rax;
}

TEST(ucontext_rip_rax)
{
	uint64_t label;
	install(SIGUSR1, uc_handler, 0, NULL);
	uc_skip = false;
	uint64_t rax = kill_self_asm(&label);
	CHECK_EQ(rax, 7);
	CHECK_EQ(uc_rip, label);
	CHECK_EQ(uc_rax, 0); /* kill's own result */

	uc_skip = true;
	rax = kill_self_asm(&label);
	set_default(SIGUSR1);
	CHECK_EQ(uc_rip, label);
	CHECK_EQ(rax, 42);
}

/* ---- FPU state across a handler ---- */

static volatile uint32_t h_mxcsr;
static volatile uint16_t h_fcw;
static volatile bool have_avx;

static void fpu_clobber(int sig, siginfo_t *si, void *uc)
{
	uint32_t mx;
	uint16_t cw, newcw = 0x7f;
	uint32_t newmx = 0x7f80;
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mx), "=m"(cw));
	h_mxcsr = mx;
	h_fcw = cw;
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\t"
			 "pcmpeqd %%xmm1, %%xmm1\n\tpcmpeqd %%xmm2, %%xmm2\n\t"
			 "pcmpeqd %%xmm3, %%xmm3\n\tpcmpeqd %%xmm4, %%xmm4\n\t"
			 "pcmpeqd %%xmm5, %%xmm5\n\tpcmpeqd %%xmm6, %%xmm6\n\t"
			 "pcmpeqd %%xmm7, %%xmm7\n\tpcmpeqd %%xmm8, %%xmm8\n\t"
			 "pcmpeqd %%xmm9, %%xmm9\n\tpcmpeqd %%xmm10, %%xmm10\n\t"
			 "pcmpeqd %%xmm11, %%xmm11\n\tpcmpeqd %%xmm12, %%xmm12\n\t"
			 "pcmpeqd %%xmm13, %%xmm13\n\tpcmpeqd %%xmm14, %%xmm14\n\t"
			 "pcmpeqd %%xmm15, %%xmm15\n\t"
			 "fninit\n\tfldcw %0\n\tldmxcsr %1\n\t"
			 "fldz\n\tfldz\n\tfstp %%st(0)\n\tfstp %%st(0)"
			 :
			 : "m"(newcw), "m"(newmx)
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
			   "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	if (have_avx)
		__asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\t"
				 "vpcmpeqd %%ymm15, %%ymm15, %%ymm15\n\tvzeroupper" ::
				     : "xmm0", "xmm15");
	/* vzeroupper left the uppers zero; dirty ymm7's upper half. */
	if (have_avx)
		__asm__ volatile("vpcmpeqd %%ymm7, %%ymm7, %%ymm7" ::: "xmm7");
}

TEST(fpu_preserved)
{
	uint8_t in[16][16], out[16][16];
	double st_out[2];
	uint32_t mx_in = 0x1f80 | 0x2000, mx_out; /* round down */
	uint16_t cw_in = 0x27f, cw_out;          /* 53-bit precision */
	uint64_t rax = SYS_kill;

	have_avx = __builtin_cpu_supports("avx");
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			in[i][j] = (uint8_t)(i * 16 + j + 1);
	install(SIGUSR1, fpu_clobber, 0, NULL);
	/* One asm block so the compiler cannot touch the registers between
	 * loading them and storing them after the signal. */
	__asm__ volatile("movdqu 0(%[in]), %%xmm0\n\tmovdqu 16(%[in]), %%xmm1\n\t"
			 "movdqu 32(%[in]), %%xmm2\n\tmovdqu 48(%[in]), %%xmm3\n\t"
			 "movdqu 64(%[in]), %%xmm4\n\tmovdqu 80(%[in]), %%xmm5\n\t"
			 "movdqu 96(%[in]), %%xmm6\n\tmovdqu 112(%[in]), %%xmm7\n\t"
			 "movdqu 128(%[in]), %%xmm8\n\tmovdqu 144(%[in]), %%xmm9\n\t"
			 "movdqu 160(%[in]), %%xmm10\n\tmovdqu 176(%[in]), %%xmm11\n\t"
			 "movdqu 192(%[in]), %%xmm12\n\tmovdqu 208(%[in]), %%xmm13\n\t"
			 "movdqu 224(%[in]), %%xmm14\n\tmovdqu 240(%[in]), %%xmm15\n\t"
			 "ldmxcsr %[mxi]\n\tfldcw %[cwi]\n\t"
			 "fld1\n\tfldpi\n\t"
			 "syscall\n\t"
			 "fstpl 0(%[st])\n\tfstpl 8(%[st])\n\t"
			 "stmxcsr %[mxo]\n\tfnstcw %[cwo]\n\t"
			 "movdqu %%xmm0, 0(%[out])\n\tmovdqu %%xmm1, 16(%[out])\n\t"
			 "movdqu %%xmm2, 32(%[out])\n\tmovdqu %%xmm3, 48(%[out])\n\t"
			 "movdqu %%xmm4, 64(%[out])\n\tmovdqu %%xmm5, 80(%[out])\n\t"
			 "movdqu %%xmm6, 96(%[out])\n\tmovdqu %%xmm7, 112(%[out])\n\t"
			 "movdqu %%xmm8, 128(%[out])\n\tmovdqu %%xmm9, 144(%[out])\n\t"
			 "movdqu %%xmm10, 160(%[out])\n\tmovdqu %%xmm11, 176(%[out])\n\t"
			 "movdqu %%xmm12, 192(%[out])\n\tmovdqu %%xmm13, 208(%[out])\n\t"
			 "movdqu %%xmm14, 224(%[out])\n\tmovdqu %%xmm15, 240(%[out])\n\t"
			 "ldmxcsr %[mxd]\n\tfldcw %[cwd]"
			 : "+a"(rax), [mxo] "=m"(mx_out), [cwo] "=m"(cw_out)
			 : [in] "r"(in), [out] "r"(out), [st] "r"(st_out), [mxi] "m"(mx_in),
			   [cwi] "m"(cw_in), [mxd] "m"((uint32_t){0x1f80}),
			   [cwd] "m"((uint16_t){0x37f}), "D"((uint64_t)getpid()),
			   "S"((uint64_t)SIGUSR1)
			 : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
			   "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
			   "xmm14", "xmm15");
	set_default(SIGUSR1);
	CHECK_EQ(rax, 0);
	/* The handler started from Linux's clean FPU state. */
	CHECK_EQ(h_mxcsr, 0x1f80);
	CHECK_EQ(h_fcw, 0x37f);
	for (int i = 0; i < 16; i++)
		CHECK(memcmp(in[i], out[i], 16) == 0);
	CHECK_EQ(mx_out, 0x1f80 | 0x2000);
	CHECK_EQ(cw_out, 0x27f);
	CHECK(st_out[0] > 3.14159 && st_out[0] < 3.1416);
	CHECK(st_out[1] == 1.0);
}

TEST(avx_preserved)
{
	uint8_t ymm_in[32], ymm_out[32] = {0};
	uint64_t rax = SYS_kill;

	have_avx = __builtin_cpu_supports("avx");
	if (!have_avx)
		return;
	for (int j = 0; j < 32; j++)
		ymm_in[j] = (uint8_t)(0xa0 + j);
	install(SIGUSR1, fpu_clobber, 0, NULL);
	__asm__ volatile("vmovdqu %[in], %%ymm7\n\t"
			 "syscall\n\t"
			 "vmovdqu %%ymm7, %[out]\n\t"
			 "vzeroupper"
			 : "+a"(rax), [out] "=m"(ymm_out)
			 : [in] "m"(ymm_in), "D"((uint64_t)getpid()), "S"((uint64_t)SIGUSR1)
			 : "rcx", "r11", "memory", "xmm7");
	set_default(SIGUSR1);
	CHECK_EQ(rax, 0);
	CHECK(memcmp(ymm_in, ymm_out, 32) == 0);
}

/* ---- Alternate stacks ---- */

static char *alt_base;
static size_t alt_size;
static volatile uintptr_t local_addr;
static volatile int alt_flags, alt_set_errno;
static volatile size_t alt_size_seen;
static volatile bool alt_no_set;

static void alt_handler(int sig, siginfo_t *si, void *uc)
{
	volatile char here;
	stack_t cur, new = {.ss_sp = alt_base, .ss_size = alt_size};
	local_addr = (uintptr_t)&here;
	sigaltstack(NULL, &cur);
	alt_flags = cur.ss_flags;
	alt_size_seen = cur.ss_size;
	if (alt_no_set)
		return;
	errno = 0;
	alt_set_errno = sigaltstack(&new, NULL) == 0 ? 0 : errno;
}

TEST(altstack)
{
	stack_t ss, old;
	alt_size = 64 * 1024;
	alt_base = malloc(alt_size);
	CHECK(alt_base != NULL);
	ss = (stack_t){.ss_sp = alt_base, .ss_size = alt_size};
	CHECK_OK(sigaltstack(&ss, &old));
	install(SIGUSR1, alt_handler, SA_ONSTACK, NULL);
	raise(SIGUSR1);
	CHECK(local_addr >= (uintptr_t)alt_base && local_addr < (uintptr_t)alt_base + alt_size);
	CHECK_EQ(alt_flags, SS_ONSTACK);
	CHECK_EQ(alt_set_errno, EPERM);

	/* Without SA_ONSTACK the handler stays on the normal stack. */
	install(SIGUSR1, alt_handler, 0, NULL);
	raise(SIGUSR1);
	CHECK(local_addr < (uintptr_t)alt_base || local_addr >= (uintptr_t)alt_base + alt_size);
	CHECK_EQ(alt_flags, 0);
	set_default(SIGUSR1);

	stack_t now;
	CHECK_OK(sigaltstack(NULL, &now));
	CHECK_EQ(now.ss_flags, 0);
	CHECK_EQ((uintptr_t)now.ss_sp, (uintptr_t)alt_base);
	ss.ss_flags = SS_DISABLE;
	CHECK_OK(sigaltstack(&ss, NULL));
	free(alt_base);
}

TEST(altstack_autodisarm)
{
	stack_t ss, now;
	alt_size = 64 * 1024;
	alt_base = malloc(alt_size);
	CHECK(alt_base != NULL);
	ss = (stack_t){.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = SS_AUTODISARM};
	CHECK_OK(sigaltstack(&ss, NULL));
	install(SIGUSR1, alt_handler, SA_ONSTACK, NULL);
	raise(SIGUSR1);
	CHECK(local_addr >= (uintptr_t)alt_base && local_addr < (uintptr_t)alt_base + alt_size);
	/* Disarmed while the handler ran, so changing it was allowed; the
	 * handler re-armed it (without SS_AUTODISARM) on the stack it runs
	 * on, so rt_sigreturn leaves that setting alone. */
	CHECK_EQ(alt_flags, SS_DISABLE);
	CHECK_EQ(alt_set_errno, 0);
	CHECK_OK(sigaltstack(NULL, &now));
	CHECK_EQ((uintptr_t)now.ss_sp, (uintptr_t)alt_base);
	CHECK_EQ(now.ss_size, alt_size);
	CHECK_EQ(now.ss_flags, 0);

	/* A handler that leaves it alone gets the saved one back. */
	alt_no_set = true;
	CHECK_OK(sigaltstack(&ss, NULL));
	raise(SIGUSR1);
	alt_no_set = false;
	CHECK_EQ(alt_flags, SS_DISABLE);
	CHECK_EQ(alt_size_seen, 0);
	CHECK_OK(sigaltstack(NULL, &now));
	CHECK_EQ((uintptr_t)now.ss_sp, (uintptr_t)alt_base);
	CHECK_EQ(now.ss_size, alt_size);
	CHECK_EQ((unsigned)now.ss_flags, SS_AUTODISARM);
	set_default(SIGUSR1);
	ss.ss_flags = SS_DISABLE;
	CHECK_OK(sigaltstack(&ss, NULL));
	free(alt_base);
}

static int overflow_fd;

static void overflow_handler(int sig, siginfo_t *si, void *uc)
{
	char c = 'S';
	if (write(overflow_fd, &c, 1) != 1)
		_exit(2);
	_exit(0);
}

/* Always true; keeps the compiler from calling the recursion infinite. */
static volatile int keep_recursing = 1;

static int recurse(volatile char *prev)
{
	volatile char buf[1024];
	buf[0] = prev ? prev[0] + 1 : 0;
	if (!keep_recursing)
		return 0;
	return recurse(buf) + buf[1];
}

TEST(stack_overflow_on_altstack)
{
	int p[2];
	CHECK_OK(pipe(p));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		static char stack[64 * 1024];
		stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack};
		struct rlimit core = {0, 0}, rl = {1 << 20, 1 << 20};
		setrlimit(RLIMIT_CORE, &core);
		setrlimit(RLIMIT_STACK, &rl);
		close(p[0]);
		overflow_fd = p[1];
		sigaltstack(&ss, NULL);
		install(SIGSEGV, overflow_handler, SA_ONSTACK, NULL);
		recurse(NULL);
		_exit(3);
	}
	close(p[1]);
	char c = 0;
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(c, 'S');
	close(p[0]);
	int st = wait_status(pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

/* ---- Nesting, sigsuspend, synchronous waits ---- */

static volatile int order[8];
static volatile int norder;

static void nest_inner(int sig, siginfo_t *si, void *uc)
{
	order[norder++] = 2;
}

static void nest_outer(int sig, siginfo_t *si, void *uc)
{
	order[norder++] = 1;
	raise(SIGUSR2);
	order[norder++] = 3;
}

TEST(nested_handlers)
{
	norder = 0;
	install(SIGUSR1, nest_outer, 0, NULL);
	install(SIGUSR2, nest_inner, 0, NULL);
	raise(SIGUSR1);
	set_default(SIGUSR1);
	set_default(SIGUSR2);
	CHECK_EQ(norder, 3);
	CHECK_EQ(order[0], 1);
	CHECK_EQ(order[1], 2);
	CHECK_EQ(order[2], 3);
}

TEST(sigsuspend_eintr)
{
	sigset_t block, empty, now;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	reset_record();
	install(SIGUSR1, record, 0, NULL);
	CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));

	/* A signal already pending. */
	raise(SIGUSR1);
	CHECK_EQ(hits, 0);
	CHECK_ERRNO(sigsuspend(&empty), EINTR);
	CHECK_EQ(hits, 1);
	sigprocmask(SIG_SETMASK, NULL, &now);
	CHECK(sigismember(&now, SIGUSR1));
	/* The handler ran with sigsuspend's mask plus its own signal. */
	CHECK(sigismember(&mask_in_handler, SIGUSR1));

	/* One that arrives while asleep, from a child. */
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	CHECK_ERRNO(sigsuspend(&empty), EINTR);
	CHECK_EQ(hits, 2);
	CHECK_EQ(last_info.si_pid, pid);
	CHECK_EQ(last_info.si_code, SI_USER);
	sigprocmask(SIG_SETMASK, NULL, &now);
	CHECK(sigismember(&now, SIGUSR1));
	wait_status(pid);
	unblock_all();
	set_default(SIGUSR1);
}

TEST(sigtimedwait_pending)
{
	sigset_t set;
	siginfo_t si;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN);
	CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));

	CHECK_EQ(sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 5}), 0);
	struct timespec ts = {1, 0};
	memset(&si, 0, sizeof si);
	CHECK_EQ(sigtimedwait(&set, &si, &ts), SIGUSR1);
	CHECK_EQ(si.si_signo, SIGUSR1);
	CHECK_EQ(si.si_code, SI_QUEUE);
	CHECK_EQ(si.si_value.sival_int, 5);
	CHECK_EQ(si.si_pid, getpid());

	kill(getpid(), SIGUSR2);
	memset(&si, 0, sizeof si);
	CHECK_EQ(sigwaitinfo(&set, &si), SIGUSR2);
	CHECK_EQ(si.si_code, SI_USER);

	/* Real-time signals queue every instance, in order. */
	for (int i = 1; i <= 3; i++)
		CHECK_EQ(sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i}), 0);
	/* A standard signal queues once. */
	raise(SIGUSR1);
	raise(SIGUSR1);
	sigset_t pend;
	CHECK_OK(sigpending(&pend));
	CHECK(sigismember(&pend, SIGUSR1));
	CHECK(sigismember(&pend, SIGRTMIN));
	/* Lower numbers first: SIGUSR1 before SIGRTMIN. */
	CHECK_EQ(sigwaitinfo(&set, &si), SIGUSR1);
	for (int i = 1; i <= 3; i++) {
		CHECK_EQ(sigwaitinfo(&set, &si), SIGRTMIN);
		CHECK_EQ(si.si_value.sival_int, i);
	}

	/* Nothing pending: EAGAIN after the timeout. */
	struct timespec t0, t1;
	ts = (struct timespec){0, 20 * 1000 * 1000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERRNO(sigtimedwait(&set, &si, &ts), EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int64_t ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	CHECK(ns >= 20 * 1000 * 1000);
	/* A zero timeout polls. */
	ts = (struct timespec){0, 0};
	CHECK_ERRNO(sigtimedwait(&set, &si, &ts), EAGAIN);
	CHECK_OK(sigpending(&pend));
	CHECK(!sigismember(&pend, SIGUSR1));
	unblock_all();
}

TEST(sigqueueinfo_permissions)
{
	siginfo_t si;
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	int p[2];
	CHECK_OK(pipe(p));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		/* SIGUSR1 stays blocked here: wait to be killed. */
		close(p[1]);
		char c;
		if (read(p[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[0]);
	/* Another process may not be sent kernel (>= 0) or tkill codes. */
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = SI_USER;
	CHECK_ERRNO(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si), EPERM);
	si.si_code = SI_KERNEL;
	CHECK_ERRNO(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si), EPERM);
	si.si_code = SI_TKILL;
	CHECK_ERRNO(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si), EPERM);
	si.si_code = SI_USER;
	CHECK_ERRNO(syscall(SYS_rt_tgsigqueueinfo, pid, pid, SIGUSR1, &si), EPERM);
	si.si_code = SI_QUEUE;
	CHECK_EQ(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si), 0);
	CHECK_EQ(syscall(SYS_rt_tgsigqueueinfo, pid, pid, SIGUSR1, &si), 0);
	CHECK_ERRNO(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, NULL), EFAULT);
	close(p[1]);
	int st = wait_status(pid);
	CHECK(WIFEXITED(st));

	/* To oneself any code goes, and the handler sees it verbatim. */
	reset_record();
	install(SIGUSR2, record, 0, NULL);
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR2;
	si.si_code = SI_KERNEL;
	si.si_pid = 4321;
	CHECK_EQ(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGUSR2, &si), 0);
	set_default(SIGUSR2);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_info.si_code, SI_KERNEL);
	CHECK_EQ(last_info.si_pid, 4321);
	unblock_all();
}

TEST(kill_signal_zero_and_errors)
{
	CHECK_EQ(kill(getpid(), 0), 0);
	pid_t pid = CHECK_OK(fork());
	if (pid == 0)
		_exit(0);
	/* A zombie still exists... */
	siginfo_t si;
	CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	CHECK_EQ(kill(pid, 0), 0);
	wait_status(pid);
	/* ...a reaped process does not. */
	CHECK_ERRNO(kill(pid, 0), ESRCH);
	CHECK_ERRNO(kill(getpid(), 65), EINVAL);
	CHECK_ERRNO(kill(getpid(), -1), EINVAL);
	CHECK_ERRNO(kill(0x3ffffff, SIGTERM), ESRCH);
}

TEST(kill_process_group)
{
	int p[2];
	CHECK_OK(pipe(p));
	pid_t leader = CHECK_OK(fork());
	if (leader == 0) {
		setpgid(0, 0);
		close(p[0]);
		if (fork() == 0) {
			pause();
			_exit(1);
		}
		/* Both in the group now; the leader survives the group's
		 * SIGTERM to report on its child. */
		signal(SIGTERM, SIG_IGN);
		if (write(p[1], "x", 1) != 1)
			_exit(2);
		int st;
		wait(&st);
		_exit(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM ? 7 : 8);
	}
	close(p[1]);
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	close(p[0]);
	CHECK_ERRNO(kill(-0x3ffffff, SIGTERM), ESRCH);
	CHECK_EQ(kill(-leader, 0), 0);
	CHECK_EQ(kill(-leader, SIGTERM), 0);
	int st = wait_status(leader);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 7);
}

/* ---- Children: SIGCHLD, stop and continue, default actions ---- */

TEST(sigchld_siginfo)
{
	sigset_t set;
	siginfo_t si;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0)
		_exit(7);
	memset(&si, 0, sizeof si);
	CHECK_EQ(sigwaitinfo(&set, &si), SIGCHLD);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 7);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_uid, getuid());
	int st = wait_status(pid);
	CHECK_EQ(WEXITSTATUS(st), 7);

	/* The same through a handler, while sigsuspend sleeps. */
	sigset_t empty;
	sigemptyset(&empty);
	reset_record();
	install(SIGCHLD, record, 0, NULL);
	pid = CHECK_OK(fork());
	if (pid == 0)
		_exit(9);
	while (hits == 0)
		sigsuspend(&empty);
	set_default(SIGCHLD);
	CHECK_EQ(last_info.si_signo, SIGCHLD);
	CHECK_EQ(last_info.si_code, CLD_EXITED);
	CHECK_EQ(last_info.si_status, 9);
	CHECK_EQ(last_info.si_pid, pid);
	wait_status(pid);

	/* A killed child reports CLD_KILLED and the signal. */
	pid = CHECK_OK(fork());
	if (pid == 0) {
		pause();
		_exit(1);
	}
	kill(pid, SIGKILL);
	memset(&si, 0, sizeof si);
	CHECK_EQ(sigwaitinfo(&set, &si), SIGCHLD);
	CHECK_EQ(si.si_code, CLD_KILLED);
	CHECK_EQ(si.si_status, SIGKILL);
	CHECK_EQ(si.si_pid, pid);
	wait_status(pid);
	unblock_all();
}

TEST(stop_and_continue)
{
	int st;
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		for (;;)
			pause();
	}
	CHECK_EQ(kill(pid, SIGSTOP), 0);
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_EQ(WSTOPSIG(st), SIGSTOP);
	/* Reported once. */
	CHECK_EQ(waitpid(pid, &st, WUNTRACED | WNOHANG), 0);
	CHECK_EQ(kill(pid, SIGCONT), 0);
	CHECK_EQ(waitpid(pid, &st, WCONTINUED), pid);
	CHECK(WIFCONTINUED(st));
	/* SIGTSTP's default is a stop as well. */
	CHECK_EQ(kill(pid, SIGTSTP), 0);
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_EQ(WSTOPSIG(st), SIGTSTP);
	/* A stopped process still dies of SIGKILL. */
	CHECK_EQ(kill(pid, SIGKILL), 0);
	st = wait_status(pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGKILL);
}

TEST(default_actions)
{
	int st;
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		pause();
		_exit(1);
	}
	CHECK_EQ(kill(pid, SIGTERM), 0);
	st = wait_status(pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGTERM);

	/* Ignored by default: the child carries on. */
	pid = CHECK_OK(fork());
	if (pid == 0) {
		raise(SIGCHLD);
		raise(SIGURG);
		raise(SIGWINCH);
		kill(getpid(), SIGCONT);
		_exit(0);
	}
	st = wait_status(pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);

	/* SIG_IGN'd SIGTERM does nothing; nothing is left pending. */
	pid = CHECK_OK(fork());
	if (pid == 0) {
		sigset_t pend;
		signal(SIGTERM, SIG_IGN);
		raise(SIGTERM);
		kill(getpid(), SIGTERM);
		sigpending(&pend);
		_exit(sigismember(&pend, SIGTERM) ? 2 : 0);
	}
	st = wait_status(pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);

	/* A blocked signal with default action is pending, then kills on unblock. */
	pid = CHECK_OK(fork());
	if (pid == 0) {
		sigset_t set, pend;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(SIGUSR1);
		sigpending(&pend);
		if (!sigismember(&pend, SIGUSR1))
			_exit(3);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		_exit(4);
	}
	st = wait_status(pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGUSR1);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, raise_siginfo, kill_self_siginfo, tgkill_siginfo,
			 sigqueue_value, handler_mask, nodefer, deferred_without_nodefer, resethand,
			 ucontext_rip_rax, fpu_preserved, avx_preserved, altstack, altstack_autodisarm,
			 stack_overflow_on_altstack, nested_handlers, sigsuspend_eintr,
			 sigtimedwait_pending, sigqueueinfo_permissions, kill_signal_zero_and_errors,
			 kill_process_group, sigchld_siginfo, stop_and_continue, default_actions);
}
