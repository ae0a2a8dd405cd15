/* eventfd: a 64-bit counter that write adds to and read takes (all of it,
 * or one in semaphore mode), blocking at zero and at the maximum. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "sentry/fs/anon/anon_internal.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/poll.h"

#define EFD_MAX UINT64_C(0xfffffffffffffffe)

struct eventfd {
	pthread_mutex_t lock;
	uint64_t count;
	bool semaphore;
	struct waitq wq;
};

static ssize_t efd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	ssize_t r;
	(void)off;
	if (iov_total(iov, iovcnt) < sizeof v)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	for (;;) {
		if (e->count) {
			v = e->semaphore ? 1 : e->count;
			e->count -= v;
			waitq_wake(&e->wq, POLLOUT | POLLWRNORM);
			r = sizeof v;
			break;
		}
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		if (anon_wait(&e->wq, &e->lock, task_current(), POLLIN, CLOCK_MONOTONIC, NULL) ==
		    -EINTR) {
			r = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&e->lock);
	if (r > 0)
		iov_put(iov, iovcnt, &v, sizeof v);
	return r;
}

static ssize_t efd_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	ssize_t r;
	(void)off;
	if (iov_total(iov, iovcnt) < sizeof v)
		return -EINVAL;
	iov_get(iov, iovcnt, &v, sizeof v);
	if (v == UINT64_MAX)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	for (;;) {
		if (EFD_MAX - e->count >= v) {
			e->count += v;
			if (v)
				waitq_wake(&e->wq, POLLIN | POLLRDNORM);
			r = sizeof v;
			break;
		}
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		if (anon_wait(&e->wq, &e->lock, task_current(), POLLOUT, CLOCK_MONOTONIC, NULL) ==
		    -EINTR) {
			r = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

static uint32_t efd_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	struct eventfd *e = f->priv;
	uint32_t m = 0;
	pthread_mutex_lock(&e->lock);
	poll_wait(pt, &e->wq, events);
	if (e->count)
		m |= POLLIN | POLLRDNORM;
	if (e->count < EFD_MAX)
		m |= POLLOUT | POLLWRNORM;
	pthread_mutex_unlock(&e->lock);
	return m;
}

static void efd_release(struct file *f)
{
	struct eventfd *e = f->priv;
	pthread_mutex_destroy(&e->lock);
	free(e);
}

static const struct file_ops eventfd_ops = {
    .read = efd_read,
    .write = efd_write,
    .fstat = anon_fstat,
    .poll = efd_poll,
    .release = efd_release,
    .proc_name = "anon_inode:[eventfd]",
};

struct file *eventfd_new(uint64_t initval, int flags)
{
	struct eventfd *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	pthread_mutex_init(&e->lock, NULL);
	waitq_init(&e->wq);
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	struct file *f = file_new(&eventfd_ops, O_RDWR | (flags & O_NONBLOCK), NULL, e);
	if (!f)
		efd_release(&(struct file){.priv = e});
	return f;
}
