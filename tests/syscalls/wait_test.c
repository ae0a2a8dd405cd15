/* wait_test: wait4 and waitid: statuses, WNOHANG, ECHILD, WNOWAIT, stop/continue reports,
 * subreapers, __WALL/__WCLONE. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* A failed check in a child reports its line and ends the child with 99. */
/* A child that blocks reading p[0] until the write end closes, then exits with code. */
static pid_t blocked_child(int p[2], int code)
{
	pid_t pid = fork();
	if (pid == 0) {
		char c;

		close(p[1]);
		while (read(p[0], &c, 1) != 0)
			;
		_exit(code);
	}
	return pid;
}

TEST(wait4_exit_codes)
{
	static const int codes[] = {0, 3, 200};
	struct rusage ru;
	int st;

	for (int i = 0; i < 3; i++) {
		pid_t pid = CHECK_OK(fork());
		if (pid == 0)
			_exit(codes[i]);
		memset(&ru, 0xff, sizeof ru);
		CHECK_EQ(wait4(pid, &st, 0, &ru), pid);
		CHECK(WIFEXITED(st));
		CHECK(!WIFSIGNALED(st));
		CHECK_EQ(WEXITSTATUS(st), codes[i]);
		/* The kernel filled the rusage: no field is left at all-ones. */
		CHECK(ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
		CHECK(ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000);
	}
	/* wait4 with a NULL status pointer still reaps. */
	pid_t pid = CHECK_OK(fork());
	if (pid == 0)
		_exit(1);
	CHECK_EQ(wait4(pid, NULL, 0, NULL), pid);
	CHECK_ERRNO(wait4(pid, NULL, 0, NULL), ECHILD);
}

TEST(wait4_signaled)
{
	int st;

	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		kill(getpid(), SIGTERM);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK(!WIFEXITED(st));
	CHECK_EQ(WTERMSIG(st), SIGTERM);
	CHECK(!WCOREDUMP(st));

	pid = CHECK_OK(fork());
	if (pid == 0) {
		struct rlimit no_core = {0, 0};

		/* No core file: the filesystem may be read-only, and it is litter. */
		setrlimit(RLIMIT_CORE, &no_core);
		*(volatile int *)8 = 1;
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGSEGV);
	/* WCOREDUMP depends on the container's core settings: not asserted. */

	pid = CHECK_OK(fork());
	if (pid == 0) {
		pause();
		_exit(0);
	}
	CHECK_OK(kill(pid, SIGKILL));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGKILL);
}

TEST(wnohang_while_running)
{
	int p[2], st = 12345;

	CHECK_OK(pipe(p));
	pid_t pid = CHECK_OK(blocked_child(p, 4));
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);
	CHECK_EQ(waitpid(-1, &st, WNOHANG), 0);
	CHECK_EQ(wait4(pid, &st, WNOHANG, NULL), 0);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 4);
}

TEST(echild_without_children)
{
	siginfo_t si;

	CHECK_ERRNO(waitpid(-1, NULL, 0), ECHILD);
	CHECK_ERRNO(waitpid(-1, NULL, WNOHANG), ECHILD);
	CHECK_ERRNO(waitpid(getpid(), NULL, 0), ECHILD);
	CHECK_ERRNO(waitpid(0, NULL, 0), ECHILD);
	CHECK_ERRNO(waitid(P_ALL, 0, &si, WEXITED), ECHILD);
	/* Bad options are EINVAL even without children. */
	CHECK_ERRNO(waitpid(-1, NULL, 0x800000 /* no such option */), EINVAL);
	CHECK_ERRNO(waitid(P_ALL, 0, &si, 0), EINVAL);
	CHECK_ERRNO(waitid(7, 0, &si, WEXITED), EINVAL);
}

TEST(waitid_siginfo_and_wnowait)
{
	siginfo_t si;

	pid_t pid = CHECK_OK(fork());
	if (pid == 0)
		_exit(5);
	/* WNOWAIT leaves the zombie for the next wait. */
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	CHECK_EQ(si.si_signo, SIGCHLD);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_uid, getuid());
	CHECK_EQ(si.si_status, 5);
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT));
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_status, 5);
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PID, pid, &si, WEXITED));
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 5);
	CHECK_ERRNO(waitid(P_PID, pid, &si, WEXITED), ECHILD);

	/* Killed: CLD_KILLED with the signal as status. */
	pid = CHECK_OK(fork());
	if (pid == 0) {
		pause();
		_exit(0);
	}
	CHECK_OK(kill(pid, SIGKILL));
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PID, pid, &si, WEXITED));
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_code, CLD_KILLED);
	CHECK_EQ(si.si_status, SIGKILL);
}

TEST(waitid_wnohang_running)
{
	int p[2];
	siginfo_t si;

	CHECK_OK(pipe(p));
	pid_t pid = CHECK_OK(blocked_child(p, 0));
	/* Nothing to report: 0, and si_pid zeroed. */
	memset(&si, 0x55, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOHANG), 0);
	CHECK_EQ(si.si_pid, 0);
	close(p[0]);
	close(p[1]);
	CHECK_OK(waitid(P_PID, pid, &si, WEXITED));
	CHECK_EQ(si.si_pid, pid);
}

TEST(waitid_p_pgid)
{
	int p[2];
	siginfo_t si;

	CHECK_OK(pipe(p));
	/* Two children in a new group, one outside it. */
	pid_t a = CHECK_OK(blocked_child(p, 11));
	CHECK_OK(setpgid(a, a));
	pid_t b = CHECK_OK(blocked_child(p, 12));
	CHECK_OK(setpgid(b, a));
	pid_t c = CHECK_OK(blocked_child(p, 13));
	close(p[0]);
	close(p[1]);

	int seen = 0;
	for (int i = 0; i < 2; i++) {
		memset(&si, 0, sizeof si);
		CHECK_OK(waitid(P_PGID, a, &si, WEXITED));
		CHECK(si.si_pid == a || si.si_pid == b);
		CHECK_EQ(si.si_status, si.si_pid == a ? 11 : 12);
		seen |= si.si_pid == a ? 1 : 2;
	}
	CHECK_EQ(seen, 3);
	CHECK_ERRNO(waitid(P_PGID, a, &si, WEXITED), ECHILD);
	/* waitpid(-pgid) is the same selection. */
	CHECK_ERRNO(waitpid(-a, NULL, 0), ECHILD);
	CHECK_OK(waitid(P_ALL, 0, &si, WEXITED));
	CHECK_EQ(si.si_pid, c);
	CHECK_EQ(si.si_status, 13);
}

TEST(stopped_and_continued)
{
	int p[2], st;
	siginfo_t si;

	CHECK_OK(pipe(p));
	pid_t pid = CHECK_OK(blocked_child(p, 0));

	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_EQ(WSTOPSIG(st), SIGSTOP);
	/* Reported once: nothing more to say while it stays stopped. */
	CHECK_EQ(waitpid(pid, &st, WUNTRACED | WNOHANG), 0);
	CHECK_OK(kill(pid, SIGCONT));
	CHECK_EQ(waitpid(pid, &st, WCONTINUED), pid);
	CHECK(WIFCONTINUED(st));
	CHECK(!WIFSTOPPED(st));
	CHECK(!WIFEXITED(st));

	/* The same through waitid, with SIGTSTP this time (not ignored: default stop). */
	CHECK_OK(kill(pid, SIGTSTP));
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PID, pid, &si, WSTOPPED));
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_code, CLD_STOPPED);
	CHECK_EQ(si.si_status, SIGTSTP);
	CHECK_OK(kill(pid, SIGCONT));
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PID, pid, &si, WCONTINUED));
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_code, CLD_CONTINUED);
	CHECK_EQ(si.si_status, SIGCONT);

	/* The child still works after being continued: it exits when told. */
	close(p[0]);
	close(p[1]);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

/* A grandchild whose parent dies is reparented to us, the subreaper. */
TEST(subreaper_adopts_orphans)
{
	int gp[2], go[2], ppid_pipe[2], hello[2];
	pid_t grandchild, ppid;
	int st, flag = -1;

	CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 1));
	CHECK_OK(prctl(PR_GET_CHILD_SUBREAPER, &flag));
	CHECK_EQ(flag, 1);
	CHECK_OK(pipe(gp));
	CHECK_OK(pipe(go));
	CHECK_OK(pipe(ppid_pipe));
	CHECK_OK(pipe(hello));
	pid_t child = CHECK_OK(fork());
	if (child == 0) {
		pid_t me = getpid();
		pid_t g = fork();
		CCHECK(g >= 0);
		if (g == 0) {
			char c;
			pid_t pp;

			CCHECK(getppid() == me);
			CCHECK(write(hello[1], "h", 1) == 1);
			/* Told to go once our parent has been reaped. */
			CCHECK(read(go[0], &c, 1) == 1);
			pp = getppid();
			CCHECK(write(ppid_pipe[1], &pp, sizeof pp) == sizeof pp);
			_exit(21);
		}
		/* Exit only after the grandchild has seen us as its parent. */
		char c;
		close(hello[1]);
		CCHECK(read(hello[0], &c, 1) == 1);
		CCHECK(write(gp[1], &g, sizeof g) == sizeof g);
		_exit(0);
	}
	/* Only the children hold these write ends: a dead child means end of file, not a hang. */
	close(gp[1]);
	close(ppid_pipe[1]);
	close(hello[0]);
	close(hello[1]);
	CHECK_EQ(read(gp[0], &grandchild, sizeof grandchild), sizeof grandchild);
	CHECK_EQ(waitpid(child, &st, 0), child);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ(write(go[1], "g", 1), 1);
	CHECK_EQ(read(ppid_pipe[0], &ppid, sizeof ppid), sizeof ppid);
	CHECK_EQ(ppid, getpid());
	CHECK_EQ(waitpid(grandchild, &st, 0), grandchild);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 21);
	CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 0));
	CHECK_OK(prctl(PR_GET_CHILD_SUBREAPER, &flag));
	CHECK_EQ(flag, 0);
	close(gp[0]);
	close(go[0]);
	close(go[1]);
	close(ppid_pipe[0]);
}

/* _exit is exit_group; the exit of the last thread alone must end the process the same way. */
TEST(exit_of_last_thread)
{
	int st;

	pid_t pid = CHECK_OK(fork());
	if (pid == 0)
		syscall(SYS_exit, 5);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 5);
}

static int clone_child_fn(void *arg) { return (int)(long)arg; }

/* A clone child with no exit signal is only seen by __WCLONE and __WALL. */
TEST(wall_and_wclone)
{
	size_t stack_len = 64 * 1024;
	char *stack =
	    mmap(NULL, stack_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int st;

	CHECK(stack != MAP_FAILED);
	pid_t pid = CHECK_OK(clone(clone_child_fn, stack + stack_len, 0, (void *)9L));
	CHECK_ERRNO(waitpid(pid, &st, 0), ECHILD);
	CHECK_ERRNO(waitpid(-1, &st, WNOHANG), ECHILD);
	CHECK_EQ(waitpid(pid, &st, __WCLONE), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 9);

	pid = CHECK_OK(clone(clone_child_fn, stack + stack_len, 0, (void *)10L));
	CHECK_EQ(waitpid(-1, &st, __WALL), pid);
	CHECK_EQ(WEXITSTATUS(st), 10);

	/* And __WCLONE does not see an ordinary (SIGCHLD) child. */
	pid = CHECK_OK(fork());
	if (pid == 0)
		_exit(2);
	CHECK_ERRNO(waitpid(pid, &st, __WCLONE), ECHILD);
	CHECK_EQ(waitpid(pid, &st, __WALL), pid);
	CHECK_EQ(WEXITSTATUS(st), 2);
	munmap(stack, stack_len);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, wait4_exit_codes, wait4_signaled, wnohang_while_running,
			 echild_without_children, waitid_siginfo_and_wnowait,
			 waitid_wnohang_running, waitid_p_pgid, stopped_and_continued,
			 exit_of_last_thread, subreaper_adopts_orphans, wall_and_wclone);
}
