/* pagefault_loop: the cost of first touching anonymous memory, per 4 KiB
 * page (a fresh mapping written one byte per page). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long pages = argc > 1 ? atol(argv[1]) : 16384;
	long long t0, t1;

	if (pages <= 0) {
		fprintf(stderr, "usage: %s [PAGES>0]\n", argv[0]);
		return 2;
	}
	volatile char *p = mmap(NULL, pages * 4096L, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	t0 = now_ns();
	for (long i = 0; i < pages; i++)
		p[i * 4096L] = 1;
	t1 = now_ns();
	printf("pagefault_ns %.1f\n", (double)(t1 - t0) / (double)pages);
	return 0;
}
