/* sigfault_test: fault signals (SEGV, FPE, ILL, TRAP): siginfo, fix-ups in handlers, blocking. */
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "testlib.h"

/* The SIGBUS-past-EOF case (a file mapping touched beyond the end of the
 * file) is left out: file mappings past EOF read zeros in the sandbox
 * this milestone. */

static volatile int hits;
static volatile int seen_sig, seen_code;
static volatile uint64_t seen_addr, seen_rip, seen_trapno;
/* What the handler does before returning. */
static volatile int skip_bytes;     /* advance rip past the faulting instruction */
static volatile int64_t set_rax = -1; /* >= 0: new rax */
static void *volatile fix_page;     /* mprotect/map this page read-write */

static void fault_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	hits++;
	seen_sig = sig;
	seen_code = si->si_code;
	seen_addr = (uint64_t)si->si_addr;
	seen_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	seen_trapno = (uint64_t)uc->uc_mcontext.gregs[REG_TRAPNO];
	if (fix_page) {
		if (mmap(fix_page, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != fix_page)
			_exit(90);
		fix_page = NULL;
	}
	uc->uc_mcontext.gregs[REG_RIP] += skip_bytes;
	if (set_rax >= 0)
		uc->uc_mcontext.gregs[REG_RAX] = set_rax;
}

static void install(int sig)
{
	struct sigaction sa = {.sa_sigaction = fault_handler, .sa_flags = SA_SIGINFO};
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(sig, &sa, NULL));
	hits = 0;
	seen_sig = seen_code = 0;
	seen_addr = seen_rip = seen_trapno = 0;
	skip_bytes = 0;
	set_rax = -1;
	fix_page = NULL;
}

static void uninstall(int sig)
{
	signal(sig, SIG_DFL);
}

/* Handlers for the protection fault: mprotect in place. */
static void accerr_handler(int sig, siginfo_t *si, void *uc)
{
	hits++;
	seen_sig = sig;
	seen_code = si->si_code;
	seen_addr = (uint64_t)si->si_addr;
	seen_trapno = (uint64_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_TRAPNO];
	if (mprotect((void *)((uint64_t)si->si_addr & ~4095ULL), 4096, PROT_READ | PROT_WRITE))
		_exit(91);
}

TEST(segv_accerr_fixed_by_mprotect)
{
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	struct sigaction sa = {.sa_sigaction = accerr_handler, .sa_flags = SA_SIGINFO};
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(SIGSEGV, &sa, NULL));
	hits = 0;
	/* The store faults, the handler makes the page writable, and the
	 * store is retried and succeeds. */
	((volatile char *)p)[123] = 'z';
	uninstall(SIGSEGV);
	CHECK_EQ(hits, 1);
	CHECK_EQ(seen_sig, SIGSEGV);
	CHECK_EQ(seen_code, SEGV_ACCERR);
	CHECK_EQ(seen_addr, (uint64_t)(p + 123));
	CHECK_EQ(seen_trapno, 14);
	CHECK_EQ(p[123], 'z');
	munmap(p, 4096);
}

TEST(segv_maperr_fixed_by_mmap)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK_OK(munmap(p, 4096));
	install(SIGSEGV);
	fix_page = p;
	((volatile char *)p)[4000] = 'q';
	uninstall(SIGSEGV);
	CHECK_EQ(hits, 1);
	CHECK_EQ(seen_code, SEGV_MAPERR);
	CHECK_EQ(seen_addr, (uint64_t)(p + 4000));
	CHECK_EQ(p[4000], 'q');
	CHECK_EQ(seen_trapno, 14);
	munmap(p, 4096);
}

TEST(segv_read_of_null)
{
	uint64_t label, val = 5;
	install(SIGSEGV);
	skip_bytes = 3; /* mov (%rcx), %rax */
	set_rax = 77;
	__asm__ volatile("lea 1f(%%rip), %0\n"
			 "1:\n\t"
			 ".byte 0x48, 0x8b, 0x01\n\t" /* mov (%rcx), %rax */
			 : "=&r"(label), "+a"(val)
			 : "c"((uint64_t)16)
			 : "memory");
	uninstall(SIGSEGV);
	CHECK_EQ(hits, 1);
	CHECK_EQ(seen_code, SEGV_MAPERR);
	CHECK_EQ(seen_addr, 16);
	CHECK_EQ(seen_rip, label);
	CHECK_EQ(val, 77);
}

TEST(segv_general_protection)
{
	/* A non-canonical address is a #GP, not a page fault: SI_KERNEL and
	 * no address. */
	uint64_t label, val = 5;
	install(SIGSEGV);
	skip_bytes = 3;
	set_rax = 78;
	__asm__ volatile("lea 1f(%%rip), %0\n"
			 "1:\n\t"
			 ".byte 0x48, 0x8b, 0x01\n\t"
			 : "=&r"(label), "+a"(val)
			 : "c"((uint64_t)0x8000000000000000ULL)
			 : "memory");
	uninstall(SIGSEGV);
	CHECK_EQ(hits, 1);
	CHECK_EQ(seen_sig, SIGSEGV);
	CHECK_EQ(seen_code, SI_KERNEL);
	CHECK_EQ(seen_addr, 0);
	CHECK_EQ(seen_rip, label);
	CHECK_EQ(val, 78);
}

TEST(sigfpe_intdiv)
{
	uint64_t label, rax = 100, rdx = 0;
	install(SIGFPE);
	skip_bytes = 2; /* idiv %ecx */
	set_rax = 99;
	__asm__ volatile("lea 1f(%%rip), %0\n"
			 "1:\n\t"
			 ".byte 0xf7, 0xf9\n\t" /* idiv %ecx */
			 : "=&r"(label), "+a"(rax), "+d"(rdx)
			 : "c"(0)
			 : "memory");
	uninstall(SIGFPE);
	CHECK_EQ(hits, 1);
	CHECK_EQ(seen_sig, SIGFPE);
	CHECK_EQ(seen_code, FPE_INTDIV);
	CHECK_EQ(seen_addr, label);
	CHECK_EQ(seen_rip, label);
	CHECK_EQ(seen_trapno, 0);
	CHECK_EQ(rax, 99);
}

TEST(sigill_ud2)
{
	uint64_t label;
	install(SIGILL);
	skip_bytes = 2;
	__asm__ volatile("lea 1f(%%rip), %0\n"
			 "1:\n\t"
			 "ud2\n\t"
			 : "=&r"(label)
			 :
			 : "memory");
	uninstall(SIGILL);
	CHECK_EQ(hits, 1);
	CHECK_EQ(seen_sig, SIGILL);
	CHECK_EQ(seen_code, ILL_ILLOPN);
	CHECK_EQ(seen_addr, label);
	CHECK_EQ(seen_rip, label);
	CHECK_EQ(seen_trapno, 6);
}

TEST(sigtrap_int3)
{
	uint64_t label;
	install(SIGTRAP);
	/* int3 is a trap: rip is already past it. */
	__asm__ volatile("lea 1f(%%rip), %0\n\t"
			 "int3\n"
			 "1:\n\t"
			 : "=&r"(label)
			 :
			 : "memory");
	uninstall(SIGTRAP);
	CHECK_EQ(hits, 1);
	CHECK_EQ(seen_sig, SIGTRAP);
	CHECK_EQ(seen_code, SI_KERNEL);
	CHECK_EQ(seen_addr, 0);
	CHECK_EQ(seen_rip, label);
	CHECK_EQ(seen_trapno, 3);
}

/* Runs fn in a child with sig blocked or ignored; returns the wait status. */
static int child_fault(void (*fn)(void), int sig, bool ignore)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit core = {0, 0};
		setrlimit(RLIMIT_CORE, &core); /* no core files */
		struct sigaction sa = {.sa_sigaction = fault_handler, .sa_flags = SA_SIGINFO};
		sigemptyset(&sa.sa_mask);
		if (ignore)
			sa.sa_handler = SIG_IGN;
		sigaction(sig, &sa, NULL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		if (!ignore)
			sigprocmask(SIG_BLOCK, &set, NULL);
		fn();
		_exit(hits ? 10 : 11);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	return st;
}

static void do_null_store(void)
{
	*(volatile int *)8 = 1;
}

static void do_ud2(void)
{
	__asm__ volatile("ud2");
}

static void do_div0(void)
{
	uint64_t rax = 1, rdx = 0;
	__asm__ volatile(".byte 0xf7, 0xf9" : "+a"(rax), "+d"(rdx) : "c"(0));
}

TEST(blocked_fault_kills)
{
	int st = child_fault(do_null_store, SIGSEGV, false);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGSEGV);
	st = child_fault(do_ud2, SIGILL, false);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGILL);
	st = child_fault(do_div0, SIGFPE, false);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGFPE);
	/* Ignoring a fault signal does not help either. */
	st = child_fault(do_null_store, SIGSEGV, true);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGSEGV);
}

TEST(default_fault_kills)
{
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		struct rlimit core = {0, 0};
		setrlimit(RLIMIT_CORE, &core);
		do_null_store();
		_exit(1);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGSEGV);
}

static volatile int inner_hits;

static void segv_in_handler(int sig, siginfo_t *si, void *uc)
{
	inner_hits++;
	*(volatile int *)8 = 1; /* SIGSEGV while SIGSEGV is blocked */
}

TEST(fault_inside_its_own_handler_kills)
{
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		struct rlimit core = {0, 0};
		setrlimit(RLIMIT_CORE, &core);
		struct sigaction sa = {.sa_sigaction = segv_in_handler, .sa_flags = SA_SIGINFO};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, NULL);
		do_null_store();
		_exit(1);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGSEGV);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, segv_accerr_fixed_by_mprotect, segv_maperr_fixed_by_mmap,
			 segv_read_of_null, segv_general_protection, sigfpe_intdiv, sigill_ud2,
			 sigtrap_int3, blocked_fault_kills, default_fault_kills,
			 fault_inside_its_own_handler_kills);
}
