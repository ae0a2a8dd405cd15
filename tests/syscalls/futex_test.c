/* futex_test: FUTEX_WAIT/WAKE errors and counts, requeue, WAKE_OP, bitsets, private vs shared
 * across fork. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static long futex(void *uaddr, int op, int val, const struct timespec *ts, void *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

/* FUTEX_REQUEUE and FUTEX_WAKE_OP pass a count, not a pointer, in the timeout slot. */
static long futex_n2(void *uaddr, int op, int val, long val2, void *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Whether task tid (of process pid) is asleep, from /proc: -1 when /proc
 * cannot tell (not mounted in this sandbox), else 0 or 1.
 */
static int proc_sleeping(pid_t pid, pid_t tid)
{
	char path[64], buf[256];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof buf, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

/*
 * Waits until every listed task sleeps (it announced itself just before
 * its futex call, so sleeping means inside it). Without /proc: a pause
 * long enough for a few syscalls, even sandboxed.
 */
static void wait_asleep(pid_t pid, const pid_t *tids, int n)
{
	for (int tries = 0; tries < 2000; tries++) {
		int all = 1;
		for (int i = 0; i < n; i++) {
			int s = proc_sleeping(pid, tids[i]);
			if (s < 0) {
				struct timespec ts = {0, 300 * 1000 * 1000};
				nanosleep(&ts, NULL);
				return;
			}
			all &= s;
		}
		if (all) {
			/* Asleep could still be a page fault on the way in: once more. */
			struct timespec ts = {0, 5 * 1000 * 1000};
			nanosleep(&ts, NULL);
			return;
		}
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

struct waiter {
	pthread_t th;
	int *word;
	int op;
	int expect;
	uint32_t bitset;
	volatile pid_t tid;
	volatile int started;
	volatile long ret;
	volatile int err;
	volatile int done;
};

static void *waiter_fn(void *p)
{
	struct waiter *w = p;

	w->tid = gettid();
	__atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
	w->ret = futex(w->word, w->op, w->expect, NULL, NULL, (int)w->bitset);
	w->err = errno;
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Starts n waiters on word and returns once they all sleep in the futex. */
static void start_waiters(struct waiter *w, int n, int *word, int op, uint32_t bitset)
{
	pid_t tids[16];

	for (int i = 0; i < n; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].word = word;
		w[i].op = op;
		w[i].expect = *word;
		w[i].bitset = bitset;
		if (pthread_create(&w[i].th, NULL, waiter_fn, &w[i]) != 0)
			abort();
	}
	for (int i = 0; i < n; i++) {
		while (!__atomic_load_n(&w[i].started, __ATOMIC_SEQ_CST))
			sched_yield();
		tids[i] = w[i].tid;
	}
	wait_asleep(getpid(), tids, n);
}

static int count_done(struct waiter *w, int n)
{
	int c = 0;
	for (int i = 0; i < n; i++)
		c += __atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST);
	return c;
}

static void join_all(struct waiter *w, int n)
{
	for (int i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);
}

TEST(wait_value_mismatch)
{
	int word = 1;

	CHECK_ERRNO(futex(&word, FUTEX_WAIT, 0, NULL, NULL, 0), EAGAIN);
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0), EAGAIN);
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, FUTEX_BITSET_MATCH_ANY),
		    EAGAIN);
	/* No one waits: a wake wakes no one. */
	CHECK_EQ(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0);
}

TEST(wait_timeout)
{
	int word = 0;
	struct timespec rel = {0, 20 * 1000 * 1000}, abs;
	long long t0 = now_ns();

	/* FUTEX_WAIT's timeout is relative... */
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0), ETIMEDOUT);
	CHECK(now_ns() - t0 >= 20 * 1000 * 1000);
	/* ...FUTEX_WAIT_BITSET's absolute, on CLOCK_MONOTONIC by default. */
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 20 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	t0 = now_ns();
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY),
		    ETIMEDOUT);
	CHECK(now_ns() - t0 >= 15 * 1000 * 1000);
	/* A deadline in the past times out at once. */
	abs.tv_sec -= 10;
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY),
		    ETIMEDOUT);
	struct timespec bad = {0, 1000000000};
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 0, &bad, NULL, 0), EINVAL);
	bad.tv_sec = -1;
	bad.tv_nsec = 0;
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 0, &bad, NULL, 0), EINVAL);
}

TEST(wake_counts)
{
	enum { N = 4 };
	struct waiter w[N];
	int word = 0;

	start_waiters(w, N, &word, FUTEX_WAIT_PRIVATE, 0);
	CHECK_EQ(count_done(w, N), 0);
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0), 2);
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 1);
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0);
	join_all(w, N);
	for (int i = 0; i < N; i++)
		CHECK_EQ(w[i].ret, 0);
}

TEST(requeue)
{
	enum { N = 3 };
	struct waiter w[N];
	int f1 = 0, f2 = 0;

	start_waiters(w, N, &f1, FUTEX_WAIT_PRIVATE, 0);
	/* Wake one, move one to f2: the result counts both. */
	CHECK_EQ(futex_n2(&f1, FUTEX_REQUEUE_PRIVATE, 1, 1, &f2, 0), 2);
	/* The requeued one now answers only to f2, the third still to f1. */
	CHECK_EQ(futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 1);
	CHECK_EQ(futex(&f2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 1);
	join_all(w, N);
	CHECK_EQ(count_done(w, N), N);

	/* CMP_REQUEUE checks *f1 first. */
	f1 = 5;
	start_waiters(w, N, &f1, FUTEX_WAIT_PRIVATE, 0);
	CHECK_ERRNO(futex_n2(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, INT_MAX, &f2, 6), EAGAIN);
	CHECK_EQ(count_done(w, N), 0);
	/* Wake none, requeue all. */
	CHECK_EQ(futex_n2(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 0, INT_MAX, &f2, 5), N);
	CHECK_EQ(futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0);
	CHECK_EQ(count_done(w, N), 0);
	CHECK_EQ(futex(&f2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), N);
	join_all(w, N);
	CHECK_ERRNO(futex_n2(&f1, FUTEX_CMP_REQUEUE_PRIVATE, -1, 1, &f2, 5), EINVAL);
}

#define OP(op, oparg, cmp, cmparg) FUTEX_OP((op), (oparg), (cmp), (cmparg))

TEST(wake_op)
{
	int f1 = 0, f2 = 0;

	/* The operation on *f2 happens whatever the comparison says. */
	CHECK_EQ(futex_n2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2,
			  OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 0)),
		 0);
	CHECK_EQ(f2, 7);
	CHECK_EQ(futex_n2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2,
			  OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0)),
		 0);
	CHECK_EQ(f2, 12);
	CHECK_EQ(futex_n2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2,
			  OP(FUTEX_OP_OR, 0x30, FUTEX_OP_CMP_EQ, 0)),
		 0);
	CHECK_EQ(f2, 0x3c);
	CHECK_EQ(futex_n2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2,
			  OP(FUTEX_OP_ANDN, 0x0c, FUTEX_OP_CMP_EQ, 0)),
		 0);
	CHECK_EQ(f2, 0x30);
	CHECK_EQ(futex_n2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2,
			  OP(FUTEX_OP_XOR, 0x11, FUTEX_OP_CMP_EQ, 0)),
		 0);
	CHECK_EQ(f2, 0x21);
	/* OPARG_SHIFT: the argument is 1 << oparg. */
	CHECK_EQ(futex_n2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2,
			  OP(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 10, FUTEX_OP_CMP_EQ, 0)),
		 0);
	CHECK_EQ(f2, 1024);
	CHECK_ERRNO(futex_n2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, OP(7, 0, FUTEX_OP_CMP_EQ, 0)),
		    ENOSYS);

	/* With waiters: f1's are woken always, f2's only if old *f2 compares. */
	enum { N = 2 };
	struct waiter a[N], b[N];
	f2 = 0;
	start_waiters(a, N, &f1, FUTEX_WAIT_PRIVATE, 0);
	start_waiters(b, N, &f2, FUTEX_WAIT_PRIVATE, 0);
	/* old 0, 0 == 1 is false: only one of f1's. */
	CHECK_EQ(futex_n2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2,
			  OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 1)),
		 1);
	CHECK_EQ(f2, 1);
	/* old 1, 1 == 1: one of each. */
	CHECK_EQ(futex_n2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2,
			  OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 1)),
		 2);
	CHECK_EQ(f2, 2);
	/* Comparisons: old 2 > 1 true, old 2 < 1 false (no f1 waiter left). */
	CHECK_EQ(futex_n2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2,
			  OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_LT, 1)),
		 0);
	CHECK_EQ(futex_n2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2,
			  OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_GT, 1)),
		 1);
	join_all(a, N);
	join_all(b, N);
	CHECK_EQ(count_done(a, N) + count_done(b, N), 2 * N);
}

TEST(bitset_selectivity)
{
	struct waiter w1, w2;
	int word = 0;

	start_waiters(&w1, 1, &word, FUTEX_WAIT_BITSET_PRIVATE, 0x1);
	start_waiters(&w2, 1, &word, FUTEX_WAIT_BITSET_PRIVATE, 0x2);
	/* Neither waits for bit 2 of 0x4. */
	CHECK_EQ(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x4), 0);
	CHECK_EQ(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x2), 1);
	pthread_join(w2.th, NULL);
	CHECK_EQ(w2.done, 1);
	CHECK_EQ(w1.done, 0);
	/* Plain FUTEX_WAKE matches any bitset. */
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 1);
	pthread_join(w1.th, NULL);
	CHECK_EQ(w1.ret, 0);
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0), EINVAL);
	CHECK_ERRNO(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0), EINVAL);
}

/*
 * A futex in a MAP_SHARED page is one futex for both processes, as a
 * shared futex only: a private wake names (our mm, address), which the
 * child's shared wait is not queued under.
 */
TEST(shared_across_fork)
{
	int *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	volatile int *word, *started;
	int st;

	CHECK(page != MAP_FAILED);
	word = &page[0];
	started = &page[16];
	*word = 0;
	*started = 0;
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		__atomic_store_n(started, 1, __ATOMIC_SEQ_CST);
		while (*word == 0)
			futex((int *)word, FUTEX_WAIT, 0, NULL, NULL, 0);
		_exit(*word);
	}
	while (!__atomic_load_n(started, __ATOMIC_SEQ_CST))
		sched_yield();
	wait_asleep(pid, &pid, 1);
	CHECK_EQ(futex((int *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0);
	*word = 7;
	CHECK_EQ(futex((int *)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 7);
	munmap(page, 4096);
}

TEST(bad_addresses)
{
	int words[2] = {0, 0};
	char *p = (char *)words;
	struct timespec ts = {0, 1000};

	CHECK_ERRNO(futex(p + 1, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0), EINVAL);
	CHECK_ERRNO(futex(p + 2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), EINVAL);
	CHECK_ERRNO(futex(p + 3, FUTEX_WAIT, 0, &ts, NULL, 0), EINVAL);

	/* An unmapped page: waiting reads the word, a shared wake looks the page up. */
	char *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(gone != MAP_FAILED);
	CHECK_OK(munmap(gone, 4096));
	CHECK_ERRNO(futex(gone, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0), EFAULT);
	CHECK_ERRNO(futex(gone, FUTEX_WAIT, 0, &ts, NULL, 0), EFAULT);
	CHECK_ERRNO(futex(gone, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
	CHECK_ERRNO(futex((void *)8, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0), EFAULT);
	/* A bad timeout pointer, and WAKE_OP on an unwritable second word. */
	CHECK_ERRNO(futex(&words[0], FUTEX_WAIT_PRIVATE, 0, (void *)8, NULL, 0), EFAULT);
	CHECK_ERRNO(futex_n2(&words[0], FUTEX_WAKE_OP_PRIVATE, 1, 1, gone,
			     OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)),
		    EFAULT);
	/* An unknown operation. */
	CHECK_ERRNO(futex(&words[0], 99, 0, NULL, NULL, 0), ENOSYS);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, wait_value_mismatch, wait_timeout, wake_counts, requeue,
			 wake_op, bitset_selectivity, shared_across_fork, bad_addresses);
}
