/* getpid_loop: the cost of one trivial syscall, syscall(SYS_getpid) N times. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	long long t0, t1;

	if (n <= 0) {
		fprintf(stderr, "usage: %s [ITERATIONS>0]\n", argv[0]);
		return 2;
	}
	/* One call first so the timed loop excludes first-touch costs. */
	syscall(SYS_getpid);
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid);
	t1 = now_ns();
	printf("getpid_ns %.1f\n", (double)(t1 - t0) / (double)n);
	return 0;
}
