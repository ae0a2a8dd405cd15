/* clone_test: raw clone and clone3: thread flags with TLS and tid words, CLONE_PARENT, CLONE_VFORK,
 * invalid flag sets. */
#include <errno.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* A failed check in a child reports its line and ends the child with 99. */
/*
 * Children sharing our memory without a TLS of their own must not touch
 * errno or anything else in libc's thread area: they make syscalls here.
 */
static long raw3(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a), "S"(b), "d"(c)
		     : "rcx", "r11", "memory");
	return ret;
}

static long raw6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 asm("r10") = d;
	register long r8 asm("r8") = e;
	register long r9 asm("r9") = f;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
		     : "rcx", "r11", "memory");
	return ret;
}

#define STACK_LEN (256 * 1024)

static char *new_stack(void)
{
	char *s = mmap(NULL, STACK_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return s == MAP_FAILED ? NULL : s;
}

/* What the thread saw, written by it into our shared memory. */
static volatile long thr_tid, thr_pid, thr_fs0;

static int thread_fn(void *arg)
{
	long fs0;

	thr_tid = raw3(SYS_gettid, 0, 0, 0);
	thr_pid = raw3(SYS_getpid, 0, 0, 0);
	/* The word at %fs:0 is the TLS block's self pointer we planted. */
	asm volatile("mov %%fs:0, %0" : "=r"(fs0));
	thr_fs0 = fs0;
	return 0;
}

/* A fake TLS block: the first word points to itself, as on x86-64 glibc. */
static uint64_t fake_tls[512] __attribute__((aligned(64)));

TEST(clone_thread_flags)
{
	char *stack = new_stack();
	pid_t ptid = 0;
	volatile pid_t ctid = -1;
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		    CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;

	CHECK(stack != NULL);
	fake_tls[0] = (uint64_t)(uintptr_t)fake_tls;
	thr_tid = thr_pid = thr_fs0 = 0;
	pid_t tid = CHECK_OK(
	    clone(thread_fn, stack + STACK_LEN, flags, NULL, &ptid, fake_tls, (pid_t *)&ctid));
	CHECK(tid > 0);
	CHECK(tid != getpid());
	/* CLONE_PARENT_SETTID: written before clone returned. */
	CHECK_EQ(ptid, tid);
	/* CLONE_CHILD_CLEARTID: zeroed and woken (a shared futex) at thread exit. */
	for (;;) {
		pid_t v = ctid;
		if (v == 0)
			break;
		long r = syscall(SYS_futex, &ctid, FUTEX_WAIT, v, NULL, NULL, 0);
		CHECK(r == 0 || errno == EAGAIN || errno == EINTR);
	}
	CHECK_EQ(thr_tid, tid);
	CHECK_EQ(thr_pid, getpid());
	CHECK_EQ(thr_fs0, (long)(uintptr_t)fake_tls);
	/* A thread is not a child to wait for. */
	CHECK_ERRNO(waitpid(tid, NULL, __WALL | WNOHANG), ECHILD);
	munmap(stack, STACK_LEN);
}

static int parent_fn(void *arg)
{
	int *p = arg;
	pid_t pp = getppid();

	(void)!write(p[1], &pp, sizeof pp);
	return 0;
}

/* CLONE_PARENT: the new process is our sibling, the child of our parent. */
TEST(clone_parent)
{
	int p[2], st;
	pid_t me = getpid(), g, gp, cp;

	CHECK_OK(pipe(p));
	pid_t c = CHECK_OK(fork());
	if (c == 0) {
		char *stack = new_stack();
		CCHECK(stack != NULL);
		pid_t g = clone(parent_fn, stack + STACK_LEN, CLONE_PARENT | SIGCHLD, p);
		CCHECK(g > 0);
		pid_t pp = getppid();
		CCHECK(write(p[1], &g, sizeof g) == sizeof g);
		CCHECK(write(p[1], &pp, sizeof pp) == sizeof pp);
		/* Not ours to reap. */
		CCHECK(waitpid(g, NULL, __WALL) == -1 && errno == ECHILD);
		_exit(0);
	}
	close(p[1]);
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The grandchild may write before or after its parent's two words. */
	pid_t words[3];
	for (int i = 0; i < 3; i++)
		CHECK_EQ(read(p[0], &words[i], sizeof words[i]), sizeof words[i]);
	/* Whichever order: the grandchild saw us as its parent, as did the child. */
	if (words[0] == me) {
		gp = words[0];
		g = words[1];
		cp = words[2];
	} else {
		g = words[0];
		if (words[1] == me && words[2] == me) {
			gp = words[1];
			cp = words[2];
		} else {
			cp = words[1];
			gp = words[2];
		}
	}
	CHECK_EQ(cp, me);
	CHECK_EQ(gp, me);
	CHECK_EQ(waitpid(g, &st, 0), g);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	close(p[0]);
}

static volatile pid_t settid_word;

static int settid_fn(void *arg)
{
	/* Set before the child ran a single instruction. */
	return settid_word == raw3(SYS_gettid, 0, 0, 0) ? 0 : 1;
}

TEST(clone_child_settid)
{
	char *stack = new_stack();
	int st;

	CHECK(stack != NULL);
	/* A separate address space: only the child's copy changes. */
	settid_word = 0;
	pid_t pid = CHECK_OK(clone(settid_fn, stack + STACK_LEN, CLONE_CHILD_SETTID | SIGCHLD, NULL,
				   NULL, NULL, (pid_t *)&settid_word));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK_EQ(settid_word, 0);

	/* Shared memory: the parent sees it too. */
	pid = CHECK_OK(clone(settid_fn, stack + STACK_LEN, CLONE_VM | CLONE_CHILD_SETTID | SIGCHLD,
			     NULL, NULL, NULL, (pid_t *)&settid_word));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK_EQ(settid_word, pid);
	munmap(stack, STACK_LEN);
}

/*
 * clone3 with a new stack: the child comes back from the syscall on that
 * stack, where no C frame exists, so it calls fn from assembly and exits.
 * Registers other than rax, rcx and r11 survive the syscall in both.
 */
long clone3_run(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
asm(".text\n"
    ".globl clone3_run\n"
    "clone3_run:\n"
    "	mov %rdx, %r8\n"
    "	mov %rcx, %r9\n"
    "	mov $435, %eax\n"
    "	syscall\n"
    "	test %rax, %rax\n"
    "	jnz 1f\n"
    "	mov %r9, %rdi\n"
    "	call *%r8\n"
    "	mov %eax, %edi\n"
    "	mov $60, %eax\n"
    "	syscall\n"
    "	hlt\n"
    "1:	ret\n");

static volatile int vfork_marker;

static int vfork_exit_fn(void *arg)
{
	vfork_marker = 77;
	return 5;
}

static int vfork_exec_fn(void *arg)
{
	static char *argv[] = {"true", NULL};
	static char *envp[] = {NULL};

	vfork_marker = 1;
	raw3(SYS_execve, (long)"/bin/true", (long)argv, (long)envp);
	return 97;
}

/* posix_spawn's way: CLONE_VM|CLONE_VFORK, we resume after exit or exec. */
TEST(clone3_vfork)
{
	char *stack = new_stack();
	struct clone_args args;
	int st;

	CHECK(stack != NULL);
	memset(&args, 0, sizeof args);
	args.flags = CLONE_VM | CLONE_VFORK;
	args.exit_signal = SIGCHLD;
	args.stack = (uint64_t)(uintptr_t)stack;
	args.stack_size = STACK_LEN;

	vfork_marker = 0;
	long pid = clone3_run(&args, sizeof args, vfork_exit_fn, NULL);
	CHECK(pid > 0);
	CHECK_EQ(vfork_marker, 77);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 5);

	vfork_marker = 0;
	pid = clone3_run(&args, sizeof args, vfork_exec_fn, NULL);
	CHECK(pid > 0);
	CHECK_EQ(vfork_marker, 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	munmap(stack, STACK_LEN);
}

/*
 * Flag sets Linux refuses. None has CLONE_VM, so should one be accepted
 * by mistake the child, a copy of us, leaves at once and harms nothing.
 */
static long try_clone(unsigned long flags)
{
	long r = raw6(SYS_clone, flags, 0, 0, 0, 0, 0);
	if (r == 0)
		raw3(SYS_exit, 95, 0, 0);
	if (r > 0) {
		waitpid(r, NULL, __WALL);
		return r;
	}
	errno = -r;
	return -1;
}

static long try_clone3(struct clone_args *args, size_t size)
{
	long r = raw3(SYS_clone3, (long)args, size, 0);
	if (r == 0)
		raw3(SYS_exit, 95, 0, 0);
	if (r > 0) {
		waitpid(r, NULL, __WALL);
		return r;
	}
	errno = -r;
	return -1;
}

TEST(invalid_flags)
{
	struct clone_args args;

	CHECK_ERRNO(try_clone(CLONE_THREAD | SIGCHLD), EINVAL);
	CHECK_ERRNO(try_clone(CLONE_THREAD), EINVAL);
	CHECK_ERRNO(try_clone(CLONE_SIGHAND | SIGCHLD), EINVAL);
	CHECK_ERRNO(try_clone(CLONE_THREAD | CLONE_SIGHAND), EINVAL);
	CHECK_ERRNO(try_clone(CLONE_NEWNS | CLONE_FS | SIGCHLD), EINVAL);

	memset(&args, 0, sizeof args);
	args.exit_signal = SIGCHLD;
	/* Smaller than the first published struct (64 bytes). */
	CHECK_ERRNO(try_clone3(&args, 32), EINVAL);
	CHECK_ERRNO(try_clone3(&args, 0), EINVAL);
	CHECK_ERRNO(try_clone3((struct clone_args *)8, sizeof args), EFAULT);
	args.flags = CLONE_THREAD;
	CHECK_ERRNO(try_clone3(&args, sizeof args), EINVAL);
	args.flags = CLONE_SIGHAND;
	CHECK_ERRNO(try_clone3(&args, sizeof args), EINVAL);
	/* The exit signal is its own field in clone3, and must be a signal. */
	args.flags = 0;
	args.exit_signal = 65;
	CHECK_ERRNO(try_clone3(&args, sizeof args), EINVAL);
	args.exit_signal = SIGCHLD;
	args.flags = SIGCHLD;
	CHECK_ERRNO(try_clone3(&args, sizeof args), EINVAL);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, clone_thread_flags, clone_parent, clone_child_settid,
			 clone3_vfork, invalid_flags);
}
