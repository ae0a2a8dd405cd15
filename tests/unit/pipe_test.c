/* Tests of sentry/fs/pipe with fake tasks on plain threads: the slot ring,
 * packets, blocking ends woken and interrupted, poll registration, FIFO
 * opens, SIGPIPE, capacity changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/poll.h"
#include "sentry/vfs/vfs.h"

/* The waiter is used as is; the rest of the kernel is faked below. */
#include "sentry/kernel/wait.c"

/* ---- fakes ---- */

static __thread struct task *cur;
static int sigs_sent, last_sig;

struct task *task_current(void) { return cur; }

int sig_send_task(struct task *t, int sig, const siginfo_t *info)
{
	__atomic_add_fetch(&sigs_sent, 1, __ATOMIC_SEQ_CST);
	last_sig = sig;
	return 0;
}

bool sig_pending(struct task *t) { return false; }

int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	memcpy((void *)(uintptr_t)dst, src, n);
	return 0;
}

struct file *file_new(const struct file_ops *ops, int flags, struct dentry *d, void *priv)
{
	struct file *f = calloc(1, sizeof *f);
	f->refs = 1;
	f->ops = ops;
	pthread_mutex_init(&f->lock, NULL);
	f->flags = flags;
	f->priv = priv;
	return f;
}

void file_put(struct file *f)
{
	if (f && !__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL)) {
		f->ops->release(f);
		free(f);
	}
}

static struct task *task_new(void)
{
	struct task *t = calloc(1, sizeof *t);
	waiter_init(&t->waiter);
	t->cred.cap_effective = 0;
	return t;
}

static void task_free(struct task *t)
{
	waiter_destroy(&t->waiter);
	free(t);
}

static ssize_t rd(struct file *f, void *buf, size_t n)
{
	struct iovec v = {buf, n};
	return f->ops->read(f, &v, 1, -1);
}

static ssize_t wr(struct file *f, const void *buf, size_t n)
{
	struct iovec v = {(void *)buf, n};
	return f->ops->write(f, &v, 1, -1);
}

static int setup(void **state)
{
	cur = task_new();
	sigs_sent = 0;
	return 0;
}

static int teardown(void **state)
{
	task_free(cur);
	cur = NULL;
	return 0;
}

/* ---- tests ---- */

static void test_basic_and_eof(void **state)
{
	struct file *r, *w;
	char buf[32] = {0};
	assert_int_equal(pipe_create(cur, 0, &r, &w), 0);
	assert_true(file_is_pipe(r));
	assert_int_equal(wr(w, "hello", 5), 5);
	assert_int_equal(wr(w, " world", 6), 6);
	assert_int_equal(rd(r, buf, sizeof buf), 11);
	assert_string_equal(buf, "hello world");
	struct iovec v = {buf, 1};
	assert_int_equal(r->ops->read(r, &v, 1, 0), -ESPIPE);
	file_put(w);
	assert_int_equal(rd(r, buf, sizeof buf), 0);
	file_put(r);
}

static void test_nonblock_fill(void **state)
{
	struct file *r, *w;
	static char big[70000];
	assert_int_equal(pipe_create(cur, O_NONBLOCK, &r, &w), 0);
	assert_int_equal(rd(r, big, 1), -EAGAIN);
	/* Non-atomic writes are partial when the ring fills. */
	assert_int_equal(wr(w, big, sizeof big), 65536);
	assert_int_equal(wr(w, big, 1), -EAGAIN);
	assert_int_equal(rd(r, big, 100), 100);
	/* One slot is not free yet (100 bytes gone from the first page). */
	assert_int_equal(wr(w, big, 1), -EAGAIN);
	assert_int_equal(rd(r, big, 3996), 3996);
	/* An atomic write needs the whole of it to fit. */
	assert_int_equal(wr(w, big, 4096), 4096);
	assert_int_equal(wr(w, big, 1), -EAGAIN);
	file_put(r);
	/* No reader: EPIPE and SIGPIPE to the writer. */
	assert_int_equal(wr(w, big, 1), -EPIPE);
	assert_int_equal(sigs_sent, 1);
	assert_int_equal(last_sig, SIGPIPE);
	file_put(w);
}

static void test_merge_atomic(void **state)
{
	struct file *r, *w;
	char buf[8192];
	assert_int_equal(pipe_create(cur, O_NONBLOCK, &r, &w), 0);
	assert_int_equal(pipe_fcntl(w, cur, F_SETPIPE_SZ, 4096), 4096);
	assert_int_equal(wr(w, buf, 4000), 4000);
	/* 96 bytes merge into the last page; 97 do not fit atomically. */
	assert_int_equal(wr(w, buf, 97), -EAGAIN);
	assert_int_equal(wr(w, buf, 96), 96);
	assert_int_equal(pipe_fcntl(w, cur, F_GETPIPE_SZ, 0), 4096);
	assert_int_equal(pipe_fcntl(w, cur, F_SETPIPE_SZ, 8192), 8192);
	assert_int_equal(wr(w, buf, 5000), 4096);
	assert_int_equal(pipe_fcntl(w, cur, F_SETPIPE_SZ, 4096), -EBUSY);
	assert_int_equal(pipe_fcntl(w, cur, F_SETPIPE_SZ, 2 << 20), -EPERM);
	cur->cred.cap_effective = 1ULL << 24;
	assert_int_equal(pipe_fcntl(w, cur, F_SETPIPE_SZ, 2 << 20), 2 << 20);
	assert_int_equal(pipe_fcntl(w, cur, F_SETPIPE_SZ, 0x80000001u), -EINVAL);
	assert_int_equal(rd(r, buf, sizeof buf), 8192);
	file_put(r);
	file_put(w);
}

static void test_packets(void **state)
{
	struct file *r, *w;
	char buf[9000];
	assert_int_equal(pipe_create(cur, O_DIRECT | O_NONBLOCK, &r, &w), 0);
	assert_int_equal(wr(w, "abc", 3), 3);
	assert_int_equal(wr(w, "defg", 4), 4);
	assert_int_equal(rd(r, buf, sizeof buf), 3);
	assert_int_equal(rd(r, buf, 2), 2);
	assert_memory_equal(buf, "de", 2);
	assert_int_equal(rd(r, buf, sizeof buf), -EAGAIN);
	assert_int_equal(wr(w, buf, 9000), 9000);
	assert_int_equal(rd(r, buf, sizeof buf), 4096);
	assert_int_equal(rd(r, buf, sizeof buf), 4096);
	assert_int_equal(rd(r, buf, sizeof buf), 808);
	file_put(r);
	file_put(w);
}

struct reader_arg {
	struct file *f;
	struct task *t;
	ssize_t ret;
	char buf[16];
};

static void *reader_thread(void *p)
{
	struct reader_arg *a = p;
	cur = a->t;
	a->ret = rd(a->f, a->buf, sizeof a->buf);
	return NULL;
}

static void test_blocking_wake_and_interrupt(void **state)
{
	struct file *r, *w;
	struct reader_arg a = {0};
	pthread_t th;
	assert_int_equal(pipe_create(cur, 0, &r, &w), 0);
	a.f = r;
	a.t = task_new();
	pthread_create(&th, NULL, reader_thread, &a);
	usleep(20000);
	assert_int_equal(wr(w, "xyz", 3), 3);
	pthread_join(th, NULL);
	assert_int_equal(a.ret, 3);
	assert_memory_equal(a.buf, "xyz", 3);

	/* A signal (waiter_interrupt) ends the sleep with the restart code. */
	pthread_create(&th, NULL, reader_thread, &a);
	usleep(20000);
	waiter_interrupt(&a.t->waiter);
	pthread_join(th, NULL);
	assert_int_equal(a.ret, -ERESTARTSYS);
	waiter_clear_interrupt(&a.t->waiter);

	/* The last writer leaving wakes a blocked reader with EOF. */
	pthread_create(&th, NULL, reader_thread, &a);
	usleep(20000);
	file_put(w);
	pthread_join(th, NULL);
	assert_int_equal(a.ret, 0);
	task_free(a.t);
	file_put(r);
}

static void test_poll_registration(void **state)
{
	struct file *r, *w;
	struct poll_table pt;
	assert_int_equal(pipe_create(cur, 0, &r, &w), 0);
	poll_table_init(&pt, &cur->waiter);
	assert_int_equal(vfs_poll(r, &pt, POLLIN), 0);
	assert_int_equal(vfs_poll(w, &pt, POLLOUT), POLLOUT | POLLWRNORM);
	assert_int_equal(pt.nregs, 2);
	assert_int_equal(pt.host_fd, -1);
	waiter_reset(&cur->waiter);
	assert_int_equal(wr(w, "a", 1), 1);
	/* The write woke the registered waiter. */
	struct timespec zero = {0, 0};
	assert_int_equal(waiter_sleep(&cur->waiter, CLOCK_MONOTONIC, &zero), 0);
	poll_table_release(&pt);
	assert_int_equal(vfs_poll(r, NULL, POLLIN), POLLIN | POLLRDNORM);
	file_put(w);
	assert_int_equal(vfs_poll(r, NULL, POLLIN), POLLIN | POLLRDNORM | POLLHUP);
	poll_table_destroy(&pt);
	file_put(r);
}

struct opener_arg {
	struct pipe *p;
	struct task *t;
	int flags, ret;
	struct file *f;
};

static void *opener_thread(void *p)
{
	struct opener_arg *a = p;
	cur = a->t;
	a->ret = pipe_open_fifo(a->t, a->p, a->flags, &a->f);
	return NULL;
}

static void test_fifo_open(void **state)
{
	struct pipe *p = pipe_new();
	struct file *f, *g;
	assert_int_equal(pipe_open_fifo(cur, p, O_WRONLY | O_NONBLOCK, &f), -ENXIO);
	/* A non-blocking reader opens at once and sees no hang-up yet. */
	assert_int_equal(pipe_open_fifo(cur, p, O_RDONLY | O_NONBLOCK, &f), 0);
	assert_int_equal(vfs_poll(f, NULL, POLLIN), 0);
	assert_int_equal(pipe_open_fifo(cur, p, O_WRONLY | O_NONBLOCK, &g), 0);
	file_put(g);
	assert_int_equal(vfs_poll(f, NULL, POLLIN), POLLHUP);
	file_put(f);

	/* A blocking reader waits for a writer. */
	struct opener_arg a = {.p = p, .t = task_new(), .flags = O_RDONLY};
	pthread_t th;
	pthread_create(&th, NULL, opener_thread, &a);
	usleep(20000);
	assert_int_equal(pipe_open_fifo(cur, p, O_WRONLY, &g), 0);
	pthread_join(th, NULL);
	assert_int_equal(a.ret, 0);
	assert_int_equal(wr(g, "q", 1), 1);
	char c;
	assert_int_equal(rd(a.f, &c, 1), 1);
	file_put(a.f);
	file_put(g);

	/* Interrupted while waiting: the restart code, nothing left open. */
	a.flags = O_WRONLY;
	pthread_create(&th, NULL, opener_thread, &a);
	usleep(20000);
	waiter_interrupt(&a.t->waiter);
	pthread_join(th, NULL);
	assert_int_equal(a.ret, -ERESTARTSYS);
	assert_int_equal(pipe_open_fifo(cur, p, O_WRONLY | O_NONBLOCK, &g), -ENXIO);
	/* O_RDWR never waits. */
	assert_int_equal(pipe_open_fifo(cur, p, O_RDWR, &f), 0);
	assert_int_equal(wr(f, "z", 1), 1);
	assert_int_equal(rd(f, &c, 1), 1);
	file_put(f);
	task_free(a.t);
	pipe_put(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_basic_and_eof, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nonblock_fill, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_merge_atomic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_packets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_blocking_wake_and_interrupt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_poll_registration, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fifo_open, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
