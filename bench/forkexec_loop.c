/* forkexec_loop: the cost of starting a program, fork + execve(/bin/true) + waitpid, N times. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int one(void)
{
	static char *argv[] = {"true", NULL};
	static char *envp[] = {NULL};
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "forkexec_loop: fork, exec or wait of /bin/true failed\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200;
	long long t0, t1;

	if (n <= 0) {
		fprintf(stderr, "usage: %s [ITERATIONS>0]\n", argv[0]);
		return 2;
	}
	/* One round first: the page cache and the sandbox's dentries are warm. */
	if (one())
		return 1;
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (one())
			return 1;
	t1 = now_ns();
	printf("forkexec_ns %.1f\n", (double)(t1 - t0) / (double)n);
	return 0;
}
