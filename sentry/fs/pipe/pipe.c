/* Pipe ends as open files: blocking read/write on the task's waiter, EOF,
 * EPIPE with SIGPIPE, poll, FIONREAD, fstat, F_{GET,SET}PIPE_SZ, pipe2()
 * ends and FIFO opens. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include "sentry/fs/pipe/pipe_internal.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/poll.h"

#define CAP_SYS_RESOURCE_BIT (1ULL << 24)
/* pipefs's device number as Linux reports it (an anonymous device). */
#define PIPEFS_DEV makedev(0, 14)

#define EV_READ (POLLIN | POLLRDNORM)
#define EV_WRITE (POLLOUT | POLLWRNORM)

static const struct file_ops pipe_ops;

/* Sleeps t until something is announced on p's queue for events.  Called
 * and returns with p->lock held; 0 or -EINTR. */
static int pipe_wait(struct pipe *p, struct task *t, uint32_t events)
{
	struct waitq_entry e;
	waitq_add(&p->wq, &e, &t->waiter, events);
	pthread_mutex_unlock(&p->lock);
	int r = waiter_sleep(&t->waiter, CLOCK_MONOTONIC, NULL);
	waitq_del(&p->wq, &e);
	pthread_mutex_lock(&p->lock);
	return r == -EINTR ? -EINTR : 0;
}

/* Reads (consumes) or, with peek, copies the pipe's bytes: blocks while it
 * is empty and has writers, unless nonblock. */
static ssize_t pipe_read_how(struct file *f, const struct iovec *iov, int iovcnt, bool nonblock,
			     bool peek)
{
	struct pipe *p = PIPE_OF(f);
	struct iov_cur c = {.iov = iov, .cnt = iovcnt};
	size_t want = iov_total(iov, iovcnt);
	ssize_t ret;

	if (!want)
		return 0;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (p->nbytes && peek) {
			ret = (ssize_t)pipe_peek_bytes(p, &c, want);
			break;
		}
		if (p->nbytes) {
			ret = (ssize_t)pipe_take(p, &c, want);
			waitq_wake(&p->wq, EV_WRITE);
			break;
		}
		if (!p->writers) {
			ret = 0;
			break;
		}
		if (nonblock || (f->flags & O_NONBLOCK)) {
			ret = -EAGAIN;
			break;
		}
		if (pipe_wait(p, task_current(), EV_READ | POLLHUP)) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static ssize_t pipe_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	if (off >= 0)
		return -ESPIPE;
	return pipe_read_how(f, iov, iovcnt, false, false);
}

static ssize_t pipe_write_how(struct file *f, const struct iovec *iov, int iovcnt, bool nonblock)
{
	struct pipe *p = PIPE_OF(f);
	struct task *t = task_current();
	struct iov_cur c = {.iov = iov, .cnt = iovcnt};
	size_t total = iov_total(iov, iovcnt), done = 0;
	bool atomic = total <= PIPE_BUF, sigpipe = false;
	ssize_t ret = 0;

	if (!total)
		return 0;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (!p->readers) {
			/* Linux signals even after a partial write. */
			sigpipe = true;
			ret = done ? (ssize_t)done : -EPIPE;
			break;
		}
		size_t k = pipe_put_bytes(p, &c, total - done, atomic, f->flags & O_DIRECT);
		if (k) {
			done += k;
			waitq_wake(&p->wq, EV_READ);
		}
		if (done == total) {
			ret = (ssize_t)done;
			break;
		}
		if (!pipe_full(p)) {
			/* Room but no page: out of memory, not a full pipe. */
			ret = done ? (ssize_t)done : -ENOMEM;
			break;
		}
		if (nonblock || (f->flags & O_NONBLOCK)) {
			ret = done ? (ssize_t)done : -EAGAIN;
			break;
		}
		if (pipe_wait(p, t, EV_WRITE | POLLERR)) {
			ret = done ? (ssize_t)done : -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (sigpipe && t)
		sig_send_task(t, SIGPIPE, NULL);
	return ret;
}

static ssize_t pipe_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	if (off >= 0)
		return -ESPIPE;
	return pipe_write_how(f, iov, iovcnt, false);
}

ssize_t pipe_splice_read(struct file *f, const struct iovec *iov, int iovcnt, bool nonblock,
			 bool peek)
{
	return pipe_read_how(f, iov, iovcnt, nonblock, peek);
}

ssize_t pipe_splice_write(struct file *f, const struct iovec *iov, int iovcnt, bool nonblock)
{
	return pipe_write_how(f, iov, iovcnt, nonblock);
}

bool pipe_same(const struct file *a, const struct file *b) { return PIPE_OF(a) == PIPE_OF(b); }

long pipe_wait_room(struct file *f, bool nonblock)
{
	struct pipe *p = PIPE_OF(f);
	struct task *t = task_current();
	long ret;
	bool sigpipe = false;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (!p->readers) {
			sigpipe = true;
			ret = -EPIPE;
			break;
		}
		if (!pipe_full(p)) {
			ret = (long)(p->nslots - p->nused) * PIPE_PAGE;
			break;
		}
		if (nonblock || (f->flags & O_NONBLOCK)) {
			ret = -EAGAIN;
			break;
		}
		if (pipe_wait(p, t, EV_WRITE | POLLERR)) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (sigpipe && t)
		sig_send_task(t, SIGPIPE, NULL);
	return ret;
}

static uint32_t pipe_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	struct pipe_end *end = f->priv;
	struct pipe *p = end->p;
	int acc = f->flags & O_ACCMODE;
	uint32_t mask = 0;

	pthread_mutex_lock(&p->lock);
	poll_wait(pt, &p->wq, events);
	if (acc != O_WRONLY) {
		if (p->nbytes)
			mask |= EV_READ;
		if (!p->writers && end->w_seen != p->w_counter)
			mask |= POLLHUP;
	}
	if (acc != O_RDONLY) {
		if (!pipe_full(p))
			mask |= EV_WRITE;
		if (!p->readers)
			mask |= POLLERR;
	}
	pthread_mutex_unlock(&p->lock);
	return mask;
}

static long pipe_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct pipe *p = PIPE_OF(f);
	if (cmd != FIONREAD)
		return -ENOTTY;
	pthread_mutex_lock(&p->lock);
	int n = p->nbytes > INT_MAX ? INT_MAX : (int)p->nbytes;
	pthread_mutex_unlock(&p->lock);
	return mm_copy_out(t->mm, arg, &n, sizeof n) ? -EFAULT : 0;
}

static int pipe_fstat(struct file *f, struct stat *st)
{
	struct pipe *p = PIPE_OF(f);
	memset(st, 0, sizeof *st);
	st->st_dev = PIPEFS_DEV;
	st->st_ino = p->ino;
	st->st_mode = S_IFIFO | 0600;
	st->st_nlink = 1;
	st->st_uid = p->uid;
	st->st_gid = p->gid;
	st->st_blksize = PIPE_PAGE;
	st->st_atim = st->st_mtim = st->st_ctim = p->ctime;
	return 0;
}

static void pipe_release(struct file *f)
{
	struct pipe_end *end = f->priv;
	struct pipe *p = end->p;
	int acc = f->flags & O_ACCMODE;
	uint32_t ev = 0;

	pthread_mutex_lock(&p->lock);
	if (acc != O_WRONLY && !--p->readers)
		ev |= POLLERR | EV_WRITE;
	if (acc != O_RDONLY && !--p->writers)
		ev |= POLLHUP | EV_READ;
	if (ev)
		waitq_wake(&p->wq, ev);
	pthread_mutex_unlock(&p->lock);
	free(end);
	pipe_put(p);
}

static const struct file_ops pipe_ops = {
    .read = pipe_read,
    .write = pipe_write,
    .fstat = pipe_fstat,
    .ioctl = pipe_ioctl,
    .poll = pipe_poll,
    .release = pipe_release,
};

bool file_is_pipe(const struct file *f) { return f->ops == &pipe_ops; }

/* A file for one end of p; the caller has counted it in readers/writers
 * and the file takes a new reference on p. */
static struct file *end_new(struct pipe *p, int flags)
{
	struct pipe_end *end = malloc(sizeof *end);
	if (!end)
		return NULL;
	end->p = p;
	end->w_seen = 0;
	struct file *f = file_new(&pipe_ops, flags, NULL, end);
	if (!f) {
		free(end);
		return NULL;
	}
	pipe_get(p);
	return f;
}

static void set_owner(struct pipe *p, struct task *t)
{
	if (t) {
		p->uid = t->cred.euid;
		p->gid = t->cred.egid;
	}
}

int pipe_create(struct task *t, int flags, struct file **rd, struct file **wr)
{
	int sf = flags & (O_NONBLOCK | O_DIRECT);
	struct pipe *p = pipe_new();
	if (!p)
		return -ENOMEM;
	set_owner(p, t);
	/* Counted first: a half-made pair released on failure undoes them. */
	p->readers = p->writers = 1;
	p->r_counter = p->w_counter = 1;
	*rd = end_new(p, O_RDONLY | sf);
	*wr = *rd ? end_new(p, O_WRONLY | sf) : NULL;
	if (!*wr) {
		if (*rd) {
			p->writers = 0;
			file_put(*rd);
		}
		pipe_put(p);
		return -ENOMEM;
	}
	pipe_put(p);
	return 0;
}

int pipe_open_fifo(struct task *t, struct pipe *p, int flags, struct file **out)
{
	int acc = flags & O_ACCMODE;
	int sf = flags & (O_NONBLOCK | O_DIRECT);
	struct file *f;
	int r = 0;

	if (acc == O_ACCMODE)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	if (acc == O_WRONLY && (flags & O_NONBLOCK) && !p->readers) {
		pthread_mutex_unlock(&p->lock);
		return -ENXIO;
	}
	if (acc != O_WRONLY) {
		p->readers++;
		p->r_counter++;
	}
	if (acc != O_RDONLY) {
		p->writers++;
		p->w_counter++;
	}
	waitq_wake(&p->wq, ~0u);
	unsigned w_seen = p->w_counter;
	if (!(flags & O_NONBLOCK) && acc != O_RDWR) {
		/* Wait for the other side to open (it may already have come and
		 * gone: the counters say an open happened). */
		unsigned *ctr = acc == O_RDONLY ? &p->w_counter : &p->r_counter;
		int *live = acc == O_RDONLY ? &p->writers : &p->readers;
		unsigned start = *ctr;
		while (!*live && *ctr == start) {
			if (pipe_wait(p, t, ~0u)) {
				r = -ERESTARTSYS;
				break;
			}
		}
		if (r) {
			if (acc == O_RDONLY && !--p->readers)
				waitq_wake(&p->wq, POLLERR | EV_WRITE);
			if (acc == O_WRONLY && !--p->writers)
				waitq_wake(&p->wq, POLLHUP | EV_READ);
			pthread_mutex_unlock(&p->lock);
			return r;
		}
	}
	pthread_mutex_unlock(&p->lock);
	f = end_new(p, acc | sf);
	if (!f) {
		/* Undo the count as a release would. */
		pthread_mutex_lock(&p->lock);
		if (acc != O_WRONLY && !--p->readers)
			waitq_wake(&p->wq, POLLERR | EV_WRITE);
		if (acc != O_RDONLY && !--p->writers)
			waitq_wake(&p->wq, POLLHUP | EV_READ);
		pthread_mutex_unlock(&p->lock);
		return -ENOMEM;
	}
	/* A reader that opened before any writer sees no hang-up until a
	 * writer has come and gone. */
	((struct pipe_end *)f->priv)->w_seen = w_seen;
	*out = f;
	return 0;
}

long pipe_fcntl(struct file *f, struct task *t, int cmd, uint64_t arg)
{
	if (!file_is_pipe(f))
		return -EBADF;
	struct pipe *p = PIPE_OF(f);
	long r;
	if (cmd == F_GETPIPE_SZ) {
		pthread_mutex_lock(&p->lock);
		r = (long)p->nslots * PIPE_PAGE;
		pthread_mutex_unlock(&p->lock);
		return r;
	}
	if (cmd != F_SETPIPE_SZ)
		return -EINVAL;
	/* Linux takes the size as an unsigned int and rounds it up to a
	 * power-of-two number of pages (at least one). */
	uint64_t size = (unsigned)arg;
	if (size > (1ULL << 31))
		return -EINVAL;
	uint64_t pages = (size + PIPE_PAGE - 1) / PIPE_PAGE, n = 1;
	while (n < pages)
		n <<= 1;
	size = n * PIPE_PAGE;
	if (size > PIPE_MAX_SIZE && !(t->cred.cap_effective & CAP_SYS_RESOURCE_BIT))
		return -EPERM;
	pthread_mutex_lock(&p->lock);
	r = pipe_resize(p, (unsigned)n);
	if (!r) {
		r = (long)size;
		waitq_wake(&p->wq, EV_WRITE);
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}
