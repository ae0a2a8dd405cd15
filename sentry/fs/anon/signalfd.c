/* signalfd: reads dequeue the caller's pending signals of the file's mask
 * as struct signalfd_siginfo records; readable while one is pending. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include "sentry/fs/anon/anon_internal.h"
#include "sentry/kernel/signal.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/poll.h"

struct signalfd {
	_Atomic uint64_t mask;
};

/* Everyone waiting for a signal to be queued (readers and pollers): the
 * signal code calls signalfd_notify() whenever a signal becomes pending,
 * whoever sent it (kill, a child's exit, a timer, a fault). */
static struct waitq sfd_wq = {.lock = PTHREAD_MUTEX_INITIALIZER,
			      .head = {.next = &sfd_wq.head, .prev = &sfd_wq.head}};

void signalfd_notify(void) { waitq_wake(&sfd_wq, ~0u); }

static void to_ssi(const siginfo_t *si, struct signalfd_siginfo *o)
{
	memset(o, 0, sizeof *o);
	o->ssi_signo = si->si_signo;
	o->ssi_errno = si->si_errno;
	o->ssi_code = si->si_code;
	switch (si->si_code) {
	case SI_USER:
	case SI_TKILL:
		o->ssi_pid = si->si_pid;
		o->ssi_uid = si->si_uid;
		return;
	case SI_TIMER:
		o->ssi_tid = si->si_timerid;
		o->ssi_overrun = si->si_overrun;
		o->ssi_int = si->si_int;
		o->ssi_ptr = (uint64_t)(uintptr_t)si->si_ptr;
		return;
	case SI_QUEUE:
	case SI_MESGQ:
		o->ssi_pid = si->si_pid;
		o->ssi_uid = si->si_uid;
		o->ssi_int = si->si_int;
		o->ssi_ptr = (uint64_t)(uintptr_t)si->si_ptr;
		return;
	}
	if (si->si_code <= 0)
		return;
	switch (si->si_signo) {
	case SIGCHLD:
		o->ssi_pid = si->si_pid;
		o->ssi_uid = si->si_uid;
		o->ssi_status = si->si_status;
		o->ssi_utime = si->si_utime;
		o->ssi_stime = si->si_stime;
		break;
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
		o->ssi_addr = (uint64_t)(uintptr_t)si->si_addr;
		break;
	case SIGPOLL:
		o->ssi_band = si->si_band;
		o->ssi_fd = si->si_fd;
		break;
	}
}

static int take(struct task *t, uint64_t mask, siginfo_t *si)
{
	struct sighand *sh = t->tg->sighand;
	pthread_mutex_lock(&sh->lock);
	int sig = sig_dequeue_locked(t, mask, si);
	pthread_mutex_unlock(&sh->lock);
	return sig;
}

static ssize_t sfd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct signalfd *s = f->priv;
	struct task *t = task_current();
	size_t cap = iov_total(iov, iovcnt) / sizeof(struct signalfd_siginfo);
	(void)off;
	if (!cap)
		return -EINVAL;
	struct signalfd_siginfo *buf = malloc(cap * sizeof *buf);
	if (!buf)
		return -ENOMEM;
	size_t n = 0;
	ssize_t r = 0;
	siginfo_t si;
	while (n < cap) {
		struct waitq_entry e;
		waitq_add(&sfd_wq, &e, &t->waiter, ~0u);
		int sig = take(t, atomic_load(&s->mask), &si);
		if (sig) {
			waitq_del(&sfd_wq, &e);
			to_ssi(&si, &buf[n++]);
			continue;
		}
		if (n || (f->flags & O_NONBLOCK)) {
			waitq_del(&sfd_wq, &e);
			r = n ? 0 : -EAGAIN;
			break;
		}
		int w = waiter_sleep(&t->waiter, CLOCK_MONOTONIC, NULL);
		waitq_del(&sfd_wq, &e);
		if (w == -EINTR) {
			r = -ERESTARTSYS;
			break;
		}
	}
	if (n) {
		iov_put(iov, iovcnt, buf, n * sizeof *buf);
		r = (ssize_t)(n * sizeof *buf);
	}
	free(buf);
	return r;
}

static uint32_t sfd_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	struct signalfd *s = f->priv;
	struct task *t = task_current();
	poll_wait(pt, &sfd_wq, events);
	if (!t)
		return 0;
	uint64_t mask = atomic_load(&s->mask);
	struct sighand *sh = t->tg->sighand;
	pthread_mutex_lock(&sh->lock);
	bool any = (t->pending.set | t->tg->shared_pending.set) & mask;
	pthread_mutex_unlock(&sh->lock);
	return any ? POLLIN | POLLRDNORM : 0;
}

static void sfd_release(struct file *f) { free(f->priv); }

static const struct file_ops signalfd_ops = {
    .read = sfd_read,
    .fstat = anon_fstat,
    .poll = sfd_poll,
    .release = sfd_release,
    .proc_name = "anon_inode:[signalfd]",
};

bool file_is_signalfd(const struct file *f) { return f->ops == &signalfd_ops; }

void signalfd_set_mask(struct file *f, uint64_t mask)
{
	struct signalfd *s = f->priv;
	atomic_store(&s->mask, mask & ~SIG_UNBLOCKABLE);
	signalfd_notify();
}

struct file *signalfd_new(uint64_t mask, int flags)
{
	struct signalfd *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	atomic_store(&s->mask, mask & ~SIG_UNBLOCKABLE);
	struct file *f = file_new(&signalfd_ops, O_RDWR | (flags & O_NONBLOCK), NULL, s);
	if (!f)
		free(s);
	return f;
}
