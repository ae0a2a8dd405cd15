/* Ptrace stub processes: the code memfd, forking and locking down a stub,
 * and running stub code in a stopped stub thread. */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

int stub_code_init(void)
{
	size_t len = (size_t)(stub_end - stub_start);
	/* Kernels with vm.memfd_noexec need MFD_EXEC; older ones reject it. */
	int fd = memfd_create("cvisor-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("cvisor-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, STUB_CODE_SIZE) || pwrite(fd, stub_start, len, 0) != (ssize_t)len)
		goto fail;
	/* Sealed so that no process can change the code every stub runs. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		goto fail;
	ptrace_codefd = fd;
	return 0;
fail:;
	int e = -errno;
	close(fd);
	return e;
}

#define ALLOW(nr)                                                                                  \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),                                           \
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* Only what the sentry injects: mapping memory, stub threads (clone, exit,
 * stopping themselves) and nothing that reaches files, sockets or other
 * processes.  The application's own syscalls never get here: PTRACE_SYSEMU
 * stops them before seccomp runs. */
static const struct sock_filter stub_filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    ALLOW(__NR_mmap),
    ALLOW(__NR_munmap),
    ALLOW(__NR_mprotect),
    ALLOW(__NR_exit),
    ALLOW(__NR_exit_group),
    ALLOW(__NR_clone),
    ALLOW(__NR_kill),
    ALLOW(__NR_tgkill),
    ALLOW(__NR_getpid),
    ALLOW(__NR_gettid),
    ALLOW(__NR_rt_sigreturn),
    ALLOW(__NR_pause),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
};
_Static_assert(OPS_FILTER + sizeof stub_filter <= OPS_LIST, "filter overlaps the op list");

/* The fprog as the stub sees it: pointers are stub addresses. */
static void write_filter(uint8_t *page)
{
	struct sock_fprog prog = {
	    .len = sizeof stub_filter / sizeof stub_filter[0],
	    .filter = (struct sock_filter *)(STUB_OPS_ADDR + OPS_FILTER),
	};
	memcpy(page + OPS_FILTER, stub_filter, sizeof stub_filter);
	memcpy(page + OPS_FPROG, &prog, sizeof prog);
}

static void close_gaps(int a, int b, int c)
{
	int k[3] = {a, b, c};
	/* sort three */
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2 - i; j++)
			if (k[j] > k[j + 1]) {
				int t = k[j];
				k[j] = k[j + 1];
				k[j + 1] = t;
			}
	int lo = 0;
	for (int i = 0; i < 3; i++) {
		if (k[i] > lo)
			syscall(SYS_close_range, lo, k[i] - 1, 0);
		lo = k[i] + 1;
	}
	syscall(SYS_close_range, lo, ~0U, 0);
}

/* glibc registered an rseq area in the forking thread's TLS, which the
 * child inherits; once the stub has unmapped it, the kernel's next rseq
 * update (after any preemption or signal) would kill the stub with SIGSEGV. */
static void rseq_unregister(void)
{
	if (!__rseq_size)
		return;
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	/* The registered length may be the whole struct rather than __rseq_size. */
	unsigned lens[] = {__rseq_size, 32};
	for (int i = 0; i < 2; i++)
		if (!syscall(SYS_rseq, area, lens[i], 1 /* RSEQ_FLAG_UNREGISTER */, RSEQ_SIG))
			return;
}

/* In the child of a (possibly multithreaded) sentry: raw system calls only,
 * no locks, no allocation. */
static void __attribute__((noreturn)) stub_child(pid_t parent, int opsfd)
{
	/* The control thread never needs a signal, and threads cloned from it
	 * inherit the mask: a parked, untraced thread must not die of a stray
	 * signal.  stub_seize() unblocks them for ctx threads. */
	uint64_t all = ~0UL;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof all);
	/* The sentry's handlers (crash reports) point at code the stub will not
	 * have; every signal must just stop the stub for its tracer. */
	struct {
		unsigned long handler, flags, restorer, mask;
	} dfl = {0};
	for (int sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
	if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) ||
	    syscall(SYS_getppid) != parent)
		syscall(SYS_exit_group, 1);
	rseq_unregister();
	/* Terminal signals to the sentry's session must not reach stubs. */
	syscall(SYS_setsid);
	if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0))
		syscall(SYS_exit_group, 1);
	close_gaps(ptrace_memfd, ptrace_codefd, opsfd);
	/* The stub runs application code: it keeps no capability.  That also
	 * lets the sentry, which keeps almost none itself, set the stub's CPU
	 * affinity (the kernel wants the target's permitted set to be a subset
	 * of the caller's) and so run it on its own CPU. */
	for (int cap = 0; cap < 64; cap++)
		syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
	syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	struct {
		uint32_t version;
		int pid;
	} caphdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct {
		uint32_t effective, permitted, inheritable;
	} capdata[2] = {{0}};
	if (syscall(SYS_capset, &caphdr, capdata))
		syscall(SYS_exit_group, 1);
	if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		syscall(SYS_exit_group, 1);
	long a = syscall(SYS_mmap, 0, STUB_CODE_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED,
			 ptrace_codefd, 0);
	if (a < 0 || (a >= STUB_CODE_ADDR - STUB_CODE_SIZE && a < STUB_OPS_ADDR + STUB_OPS_SIZE))
		syscall(SYS_exit_group, 1);
	void (*stage1)(long, long, long) =
	    (void (*)(long, long, long))(a + (stub_stage1 - stub_start));
	stage1(a, ptrace_codefd, opsfd);
	__builtin_unreachable();
}

static const char *sigstr(int sig)
{
	const char *s = sigabbrev_np(sig);
	return s ? s : "?";
}

int stub_wait(pid_t tid)
{
	int status;
	for (;;) {
		pid_t r = waitpid(tid, &status, __WALL);
		if (r == tid)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		log_warn("ptrace: wait for stub %d: %s", tid, strerror(errno));
		return -ECHILD;
	}
	if (WIFEXITED(status)) {
		log_warn("ptrace: stub %d exited with status %d", tid, WEXITSTATUS(status));
		return -ECHILD;
	}
	if (WIFSIGNALED(status)) {
		log_warn("ptrace: stub %d killed by SIG%s%s", tid, sigstr(WTERMSIG(status)),
			 WTERMSIG(status) == SIGSYS ? " (its seccomp filter)" : "");
		return -ECHILD;
	}
	return status;
}

/* Waits for the int3 at done_rip; other stops (stray host signals) are
 * suppressed.  A fault in stub code means the stub is broken: -EFAULT. */
static int wait_breakpoint(pid_t tid, struct user_regs_struct *regs, uint64_t done_rip)
{
	for (;;) {
		int status = stub_wait(tid);
		if (status < 0)
			return status;
		int sig = WSTOPSIG(status);
		if (sig == SIGTRAP) {
			if (ptrace(PTRACE_GETREGS, tid, 0, regs))
				return -errno;
			if (regs->rip == done_rip)
				return 0;
		} else if (sig == SIGSEGV || sig == SIGILL || sig == SIGBUS || sig == SIGFPE) {
			siginfo_t si;
			if (!ptrace(PTRACE_GETSIGINFO, tid, 0, &si) && si.si_code > 0) {
				struct user_regs_struct r;
				ptrace(PTRACE_GETREGS, tid, 0, &r);
				log_warn(
				    "ptrace: stub %d: SIG%s (si_code %d, addr 0x%lx) at rip 0x%llx",
				    tid, sigstr(sig), si.si_code, (unsigned long)si.si_addr, r.rip);
				return -EFAULT;
			}
		}
		if (ptrace(PTRACE_CONT, tid, 0, 0))
			return -errno;
	}
}

int stub_call(pid_t tid, struct user_regs_struct *regs, bool set_all, uint64_t done_rip)
{
	long r = set_all ? ptrace(PTRACE_SETREGS, tid, 0, regs)
			 : ptrace(PTRACE_POKEUSER, tid, offsetof(struct user_regs_struct, rip),
				  regs->rip);
	if (r || ptrace(PTRACE_CONT, tid, 0, 0))
		return -errno;
	return wait_breakpoint(tid, regs, done_rip);
}

static long inject(pid_t tid, long nr, const uint64_t args[6], uint64_t rip, uint64_t done)
{
	struct user_regs_struct regs;
	if (ptrace(PTRACE_GETREGS, tid, 0, &regs))
		return -errno;
	regs.rax = nr;
	regs.rdi = args[0];
	regs.rsi = args[1];
	regs.rdx = args[2];
	regs.r10 = args[3];
	regs.r8 = args[4];
	regs.r9 = args[5];
	regs.rip = rip;
	/* A fault stop leaves orig_rax = -1; keep the kernel from treating
	 * this as a syscall to restart. */
	regs.orig_rax = -1;
	int e = stub_call(tid, &regs, true, done);
	return e ? e : (long)regs.rax;
}

long stub_syscall_inject(pid_t tid, long nr, const uint64_t args[6])
{
	return inject(tid, nr, args, STUB_ADDR_OF(stub_syscall), STUB_ADDR_OF(stub_syscall_done));
}

pid_t stub_clone_inject(pid_t tid)
{
	/* No stack: the child only ever runs stub_park and what its tracer
	 * injects.  No CLONE_PTRACE: the tracer is not the factory. */
	const uint64_t args[6] = {CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
				  CLONE_SYSVSEM};
	long r =
	    inject(tid, __NR_clone, args, STUB_ADDR_OF(stub_clone), STUB_ADDR_OF(stub_clone_done));
	return r > 0 ? (pid_t)r : (r ? (pid_t)r : -EIO);
}

int stub_seize(pid_t tid)
{
	if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) ||
	    ptrace(PTRACE_INTERRUPT, tid, 0, 0))
		return -errno;
	for (;;) {
		int status = stub_wait(tid);
		if (status < 0)
			return status;
		if (status >> 16 == PTRACE_EVENT_STOP) {
			/* The interrupt signal must get through; and the pause()
			 * it was stopped in must not be restarted (rip moved back)
			 * under whatever the tracer runs next. */
			uint64_t none = 0;
			if (ptrace(PTRACE_SETSIGMASK, tid, sizeof none, &none) ||
			    ptrace(PTRACE_POKEUSER, tid,
				   offsetof(struct user_regs_struct, orig_rax), -1L))
				return -errno;
			return 0;
		}
		/* A signal stop first (the interrupt raced with a host signal):
		 * drop the signal; the interrupt stop is still due. */
		if (ptrace(PTRACE_CONT, tid, 0, 0))
			return -errno;
	}
}

void stub_reap(pid_t tid)
{
	for (;;) {
		int status;
		pid_t r = waitpid(tid, &status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != tid || WIFEXITED(status) || WIFSIGNALED(status))
			return;
		/* Still stopped: a dying tracee does not stop, so let it go on. */
		ptrace(PTRACE_CONT, tid, 0, 0);
	}
}

void stub_thread_exit(pid_t tid)
{
	struct user_regs_struct regs;
	/* If the thread is not in a stop it is dying already (SIGKILL to its
	 * process), and only needs reaping. */
	if (!ptrace(PTRACE_GETREGS, tid, 0, &regs)) {
		regs.rax = __NR_exit;
		regs.rdi = 0;
		regs.orig_rax = -1;
		regs.rip = STUB_ADDR_OF(stub_syscall);
		if (!ptrace(PTRACE_SETREGS, tid, 0, &regs))
			ptrace(PTRACE_CONT, tid, 0, 0);
	}
	stub_reap(tid);
}

int stub_create(struct pf_as *as, int opsfd)
{
	uint64_t memfd = ptrace_memfd;
	memcpy(as->page + OPS_MEMFD, &memfd, sizeof memfd);
	write_filter(as->page);

	pid_t parent = getpid();
	pid_t pid = _Fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		stub_child(parent, opsfd);

	struct user_regs_struct regs;
	/* The stub reports the end of its setup with the int3 before stub_ready. */
	int e = wait_breakpoint(pid, &regs, STUB_ADDR_OF(stub_ready));
	if (!e && ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD))
		e = -errno;
	if (e) {
		log_warn("ptrace: stub %d failed to start: %s", pid, strerror(-e));
		stub_kill(pid);
		return e;
	}
	as->pid = pid;
	return 0;
}

void stub_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	for (;;) {
		int status;
		pid_t r = waitpid(pid, &status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != pid || WIFEXITED(status) || WIFSIGNALED(status))
			break;
	}
}
