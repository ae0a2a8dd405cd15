/* fork_loop: the cost of one process lifetime, fork + _exit + waitpid, N times. */
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
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
		perror("fork_loop: fork/waitpid");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	long long t0, t1;

	if (n <= 0) {
		fprintf(stderr, "usage: %s [ITERATIONS>0]\n", argv[0]);
		return 2;
	}
	/* One round first so the timed loop excludes first-touch costs. */
	if (one())
		return 1;
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (one())
			return 1;
	t1 = now_ns();
	printf("fork_ns %.1f\n", (double)(t1 - t0) / (double)n);
	return 0;
}
