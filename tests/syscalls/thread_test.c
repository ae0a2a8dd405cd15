/* thread_test: pthreads: mutexes, thread ids, join values, exit from a thread, tgkill, TLS, EINTR,
 * execve from a thread. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* argv[0] of this program, for re-executing it. */
static const char *self_path;

#define NTHREADS 100
#define NINCR 1000

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *incr_fn(void *arg)
{
	for (int i = 0; i < NINCR; i++) {
		pthread_mutex_lock(&counter_lock);
		/* A read, a yield now and then, a write: lost updates show without the lock. */
		long v = counter;
		if ((i & 63) == 0)
			sched_yield();
		counter = v + 1;
		pthread_mutex_unlock(&counter_lock);
	}
	return NULL;
}

TEST(mutex_counter)
{
	pthread_t th[NTHREADS];

	counter = 0;
	for (int i = 0; i < NTHREADS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, incr_fn, NULL), 0);
	for (int i = 0; i < NTHREADS; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	CHECK_EQ(counter, NTHREADS * NINCR);
}

struct ids {
	pid_t tid, pid;
};

static pthread_barrier_t ids_barrier;

static void *ids_fn(void *arg)
{
	struct ids *ids = arg;

	ids->tid = gettid();
	ids->pid = getpid();
	/* All alive at once, so no tid can have been reused. */
	pthread_barrier_wait(&ids_barrier);
	return NULL;
}

TEST(thread_ids)
{
	enum { N = 8 };
	pthread_t th[N];
	struct ids ids[N];

	CHECK_EQ(gettid(), getpid());
	CHECK_EQ(pthread_barrier_init(&ids_barrier, NULL, N), 0);
	for (int i = 0; i < N; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, ids_fn, &ids[i]), 0);
	for (int i = 0; i < N; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&ids_barrier);
	for (int i = 0; i < N; i++) {
		CHECK_EQ(ids[i].pid, getpid());
		CHECK(ids[i].tid != getpid());
		CHECK(ids[i].tid > 0);
		for (int j = 0; j < i; j++)
			CHECK(ids[i].tid != ids[j].tid);
	}
}

static void *ret_fn(void *arg)
{
	long v = (long)arg;

	if (v % 2)
		pthread_exit((void *)(v * 3));
	return (void *)(v * 3);
}

TEST(join_values)
{
	pthread_t th[10];
	void *ret;

	for (long i = 0; i < 10; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, ret_fn, (void *)i), 0);
	for (long i = 0; i < 10; i++) {
		CHECK_EQ(pthread_join(th[i], &ret), 0);
		CHECK_EQ((long)ret, i * 3);
	}
}

static void *exit_fn(void *arg) { exit(17); }

/* exit() in a thread is exit_group: the whole process ends with its code. */
TEST(exit_from_thread)
{
	int st;

	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		pthread_t th;

		if (pthread_create(&th, NULL, exit_fn, NULL) != 0)
			_exit(98);
		for (;;)
			pause();
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(st, 17 << 8); /* exited, status 17 (the raw word names a signal if not) */
}

static volatile pid_t handler_tid;
static int notify_pipe[2];

static void record_tid_handler(int sig)
{
	handler_tid = gettid();
	(void)!write(notify_pipe[1], "h", 1);
}

struct waiter_arg {
	int rfd;
	pid_t tid;
	ssize_t ret;
	int err;
	volatile int done;
	int ready[2];
};

static void *pipe_reader_fn(void *p)
{
	struct waiter_arg *w = p;
	char c;

	w->tid = gettid();
	(void)!write(w->ready[1], "r", 1);
	w->ret = read(w->rfd, &c, 1);
	w->err = errno;
	w->done = 1;
	return NULL;
}

/* tgkill runs the handler on the thread named, not on whichever is handy. */
TEST(tgkill_targets_thread)
{
	struct sigaction sa = {.sa_handler = record_tid_handler, .sa_flags = SA_RESTART};
	struct waiter_arg w = {0};
	int p[2];
	pthread_t th;
	char c;

	CHECK_OK(pipe(p));
	CHECK_OK(pipe(notify_pipe));
	CHECK_OK(pipe(w.ready));
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	w.rfd = p[0];
	handler_tid = 0;
	CHECK_EQ(pthread_create(&th, NULL, pipe_reader_fn, &w), 0);
	CHECK_EQ(read(w.ready[0], &c, 1), 1);
	CHECK_OK(syscall(SYS_tgkill, getpid(), w.tid, SIGUSR1));
	CHECK_EQ(read(notify_pipe[0], &c, 1), 1);
	CHECK_EQ(handler_tid, w.tid);
	/* SA_RESTART: the read went on after the handler, and gets the byte. */
	CHECK_EQ(write(p[1], "d", 1), 1);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(w.ret, 1);

	/* Errors: a tid outside the group, a bad signal. */
	CHECK_ERRNO(syscall(SYS_tgkill, getpid(), 0x3fffff00, SIGUSR1), ESRCH);
	CHECK_ERRNO(syscall(SYS_tgkill, getpid(), gettid(), 99), EINVAL);
	CHECK_ERRNO(syscall(SYS_tgkill, 0, gettid(), SIGUSR1), EINVAL);
	signal(SIGUSR1, SIG_DFL);
	close(p[0]);
	close(p[1]);
	close(notify_pipe[0]);
	close(notify_pipe[1]);
	close(w.ready[0]);
	close(w.ready[1]);
}

static __thread int tls_value = 1234;

static void *tls_fn(void *arg)
{
	long i = (long)arg;

	if (tls_value != 1234)
		return NULL;
	tls_value = (int)i;
	for (int k = 0; k < 20; k++)
		sched_yield();
	if (tls_value != (int)i)
		return NULL;
	return &tls_value;
}

TEST(tls_distinct)
{
	enum { N = 6 };
	pthread_t th[N];
	void *addr[N];

	tls_value = -1;
	for (long i = 0; i < N; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, tls_fn, (void *)i), 0);
	for (int i = 0; i < N; i++) {
		CHECK_EQ(pthread_join(th[i], &addr[i]), 0);
		/* NULL: the thread saw the initial value wrong or its value change. */
		CHECK(addr[i] != NULL);
		CHECK(addr[i] != (void *)&tls_value);
	}
	CHECK_EQ(tls_value, -1);
}

static volatile int eintr_handled;

static void count_handler(int sig) { eintr_handled++; }

/* A thread blocked in read() is woken by a signal without SA_RESTART: EINTR. */
TEST(read_interrupted_in_thread)
{
	struct sigaction sa = {.sa_handler = count_handler, .sa_flags = 0};
	struct waiter_arg w = {0};
	struct timespec ts = {0, 10 * 1000 * 1000};
	int p[2];
	pthread_t th;
	char c;

	CHECK_OK(pipe(p));
	CHECK_OK(pipe(w.ready));
	CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
	w.rfd = p[0];
	eintr_handled = 0;
	CHECK_EQ(pthread_create(&th, NULL, pipe_reader_fn, &w), 0);
	CHECK_EQ(read(w.ready[0], &c, 1), 1);
	/*
	 * Nothing is ever written, so read can only end by EINTR; a signal
	 * that lands before the thread is inside read() is simply sent again.
	 */
	while (!w.done) {
		CHECK_EQ(pthread_kill(th, SIGUSR2), 0);
		nanosleep(&ts, NULL);
	}
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(w.ret, -1);
	CHECK_EQ(w.err, EINTR);
	CHECK(eintr_handled >= 1);
	signal(SIGUSR2, SIG_DFL);
	close(p[0]);
	close(p[1]);
	close(w.ready[0]);
	close(w.ready[1]);
}

static char exec_pid_arg[32];

static void *exec_fn(void *arg)
{
	char *argv[] = {(char *)self_path, "--exec-stage2", exec_pid_arg, NULL};
	char *envp[] = {NULL};

	execve(self_path, argv, envp);
	_exit(96);
}

/* The image execve'd from a thread: same pid, and we are its only thread. */
static int exec_stage2(const char *old_pid)
{
	if (getpid() != atoi(old_pid))
		return 1;
	if (gettid() != getpid())
		return 2;
	return 42;
}

TEST(execve_from_thread)
{
	int st;

	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		pthread_t th;

		snprintf(exec_pid_arg, sizeof exec_pid_arg, "%d", (int)getpid());
		if (pthread_create(&th, NULL, exec_fn, NULL) != 0)
			_exit(98);
		for (;;)
			pause();
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 42);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--exec-stage2") == 0)
		return exec_stage2(argv[2]);
	self_path = argv[0];
	return RUN_TESTS(argc, argv, mutex_counter, thread_ids, join_values, exit_from_thread,
			 tgkill_targets_thread, tls_distinct, read_interrupted_in_thread,
			 execve_from_thread);
}
