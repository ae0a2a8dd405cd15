/* exec_test: execve errors, then an execve of this very program that checks
 * what arrives on the other side (argv, envp, close-on-exec, handlers). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

static char *no_env[] = {NULL};

TEST(exec_errors)
{
	char *argv[] = {"x", NULL};
	CHECK_ERRNO(execve("/nonexistent/prog", argv, no_env), ENOENT);
	CHECK_ERRNO(execve("/etc/passwd", argv, no_env), EACCES);
	CHECK_ERRNO(execve("/etc", argv, no_env), EACCES);
	CHECK_ERRNO(execve("/etc/passwd/x", argv, no_env), ENOTDIR);
	CHECK_ERRNO(syscall(SYS_execve, (void *)1, argv, no_env), EFAULT);
	CHECK_ERRNO(syscall(SYS_execve, "/bin/true", (void *)1, no_env), EFAULT);
	CHECK_ERRNO(execveat(AT_FDCWD, "", argv, no_env, 0), ENOENT);
	CHECK_ERRNO(execveat(AT_FDCWD, "/bin/true", argv, no_env, 0x12345), EINVAL);
}

/* The second stage: runs after the exec, checks the new image's view. */
static int stage2(int argc, char **argv)
{
	int bad = 0;
	if (argc != 4 || strcmp(argv[2], "two words") || strcmp(argv[3], "") != 0)
		bad |= 1;
	if (!getenv("CVISOR_EXEC") || strcmp(getenv("CVISOR_EXEC"), "yes"))
		bad |= 2;
	/* fd 10 was close-on-exec, fd 11 was not. */
	if (fcntl(10, F_GETFD) != -1 || errno != EBADF)
		bad |= 4;
	if (fcntl(11, F_GETFD) != 0)
		bad |= 8;
	/* A caught signal reverts to SIG_DFL; an ignored one stays ignored. */
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	if (sa.sa_handler != SIG_DFL)
		bad |= 16;
	sigaction(SIGUSR2, NULL, &sa);
	if (sa.sa_handler != SIG_IGN)
		bad |= 32;
	/* Run through /proc/self/exe, the exe link still names the file
	 * itself (busybox re-runs itself that way and reads it back). */
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0 || !getenv("CVISOR_EXE_PATH") ||
	    strncmp(exe, getenv("CVISOR_EXE_PATH"), (size_t)n) || getenv("CVISOR_EXE_PATH")[n])
		bad |= 64;
	if (bad)
		printf("FAIL stage2: checks 0x%x\n", bad);
	else
		printf("ok   exec_self\n1 tests, 0 failed\n");
	return bad ? 1 : 0;
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "stage2"))
		return stage2(argc, argv);
	int r = RUN_TESTS(argc, argv, exec_errors);
	if (r)
		return r;
	int fd = open("/etc/passwd", O_RDONLY);
	if (dup3(fd, 10, O_CLOEXEC) != 10 || dup2(fd, 11) != 11)
		return 1;
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, SIG_IGN);
	char *nargv[] = {argv[0], "stage2", "two words", "", NULL};
	static char exe_env[4200] = "CVISOR_EXE_PATH=";
	ssize_t n = readlink("/proc/self/exe", exe_env + 16, sizeof exe_env - 17);
	if (n <= 0)
		return 1;
	char *nenv[] = {"CVISOR_EXEC=yes", exe_env, NULL};
	fflush(stdout);
	execve("/proc/self/exe", nargv, nenv);
	/* No /proc yet in the sandbox: fall back to argv[0]. */
	execve(argv[0], nargv, nenv);
	printf("FAIL exec_self: execve: %s\n", strerror(errno));
	return 1;
}
