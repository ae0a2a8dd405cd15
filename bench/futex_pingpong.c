/* futex_pingpong: one round trip between two threads handing a turn word back and forth with
 * FUTEX_WAIT/WAKE. */
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int turn; /* 0: the main thread's turn, 1: the partner's */
static long rounds;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void wait_for(int mine)
{
	int v;

	/* Sleep while the word says it is the other side's turn. */
	while ((v = __atomic_load_n(&turn, __ATOMIC_ACQUIRE)) != mine)
		syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void hand_over(int to)
{
	__atomic_store_n(&turn, to, __ATOMIC_RELEASE);
	syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *partner(void *arg)
{
	(void)arg;
	for (long i = 0; i <= rounds; i++) {
		wait_for(1);
		hand_over(0);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	long long t0, t1;

	rounds = argc > 1 ? atol(argv[1]) : 10000;
	if (rounds <= 0) {
		fprintf(stderr, "usage: %s [ITERATIONS>0]\n", argv[0]);
		return 2;
	}
	if (pthread_create(&th, NULL, partner, NULL)) {
		fprintf(stderr, "futex_pingpong: pthread_create failed\n");
		return 1;
	}
	/* One round trip first, outside the timing. */
	hand_over(1);
	wait_for(0);
	t0 = now_ns();
	for (long i = 0; i < rounds; i++) {
		hand_over(1);
		wait_for(0);
	}
	t1 = now_ns();
	pthread_join(th, NULL);
	printf("futex_ns %.1f\n", (double)(t1 - t0) / (double)rounds);
	return 0;
}
