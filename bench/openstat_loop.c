/* openstat_loop: the cost of open + fstat + close of /etc/passwd, N times. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int once(void)
{
	struct stat st;
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	return close(fd);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	long long t0, t1;

	if (n <= 0) {
		fprintf(stderr, "usage: %s [ITERATIONS>0]\n", argv[0]);
		return 2;
	}
	if (once() < 0) {
		perror("/etc/passwd");
		return 1;
	}
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (once() < 0) {
			perror("/etc/passwd");
			return 1;
		}
	t1 = now_ns();
	printf("openfstatclose_ns %.1f\n", (double)(t1 - t0) / (double)n);
	return 0;
}
