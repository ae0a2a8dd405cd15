/* The physical limit of the ptrace platform: one PTRACE_SYSEMU round trip
 * with GETREGS + SETREGS per stop, tracer and tracee pinned to one CPU.
 * Prints "sysemu_roundtrip_ns N", the median of several runs. */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNS 7
#define ITERS 20000

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* The tracee: getpid forever, straight from registers (no libc between). */
static void __attribute__((noreturn)) tracee(void)
{
	if (ptrace(PTRACE_TRACEME, 0, 0, 0))
		_exit(1);
	raise(SIGSTOP);
	for (;;)
		__asm__ volatile("mov $39, %%eax; syscall" ::: "rax", "rcx", "r11", "memory");
}

static void stop(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status))
		die("waitpid");
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	/* The child inherits the mask: both on the same CPU. */
	if (sched_setaffinity(0, sizeof set, &set))
		die("sched_setaffinity");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		tracee();
	stop(pid);
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD);

	double ns[RUNS];
	struct user_regs_struct regs;
	for (int r = 0; r < RUNS; r++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < ITERS; i++) {
			if (ptrace(PTRACE_SYSEMU, pid, 0, 0))
				die("PTRACE_SYSEMU");
			stop(pid);
			if (ptrace(PTRACE_GETREGS, pid, 0, &regs))
				die("PTRACE_GETREGS");
			regs.rax = pid;
			if (ptrace(PTRACE_SETREGS, pid, 0, &regs))
				die("PTRACE_SETREGS");
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns[r] = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / ITERS;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
	qsort(ns, RUNS, sizeof ns[0], cmp);
	printf("sysemu_roundtrip_ns %.0f\n", ns[RUNS / 2]);
	return 0;
}
