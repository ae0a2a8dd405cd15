/* inotify instances: watches (fsnotify marks keyed by inode identity) and
 * the queue of struct inotify_event records that read(2) returns.
 *
 * Locking: the watch list and every mark field belong to fsn_lock
 * (sentry/vfs/fsnotify.h), under which the mark callbacks run and queue
 * events; in->lock guards the queue and nests inside fsn_lock, and the
 * instance's wait-queue lock inside that. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

#include "sentry/fs/anon/anon_internal.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/poll.h"

/* Linux's defaults for /proc/sys/fs/inotify/max_queued_events and
 * max_user_watches (per instance here). */
#define INOTIFY_MAX_EVENTS 16384
#define INOTIFY_MAX_WATCHES 8192

struct inev {
	struct inev *next;
	int wd;
	uint32_t mask, cookie;
	uint32_t len; /* name bytes in the record, padded; 0 without a name */
	char name[];
};

struct watch {
	struct fsn_mark mark; /* first: the callbacks get the watch */
	struct inotify *in;
	int wd;
	struct watch *next;
};

struct inotify {
	pthread_mutex_t lock;
	struct waitq wq;
	struct inev *head, **tail;
	int nevents;
	size_t nbytes; /* FIONREAD: bytes of every queued record */
	/* fsn_lock */
	struct watch *watches;
	int nwatches;
	int last_wd;
};

static const struct file_ops inotify_ops;

bool file_is_inotify(const struct file *f) { return f->ops == &inotify_ops; }

static size_t rec_size(const struct inev *e) { return sizeof(struct inotify_event) + e->len; }

static bool same_event(const struct inev *a, int wd, uint32_t mask, uint32_t cookie,
		       const char *name)
{
	if (a->wd != wd || a->mask != mask || a->cookie != cookie)
		return false;
	if (!name)
		return !a->len;
	return a->len && !strcmp(a->name, name);
}

/* Queues one event; an event identical to the last queued one merges with
 * it, and a full queue ends with one IN_Q_OVERFLOW (wd -1). */
static void queue_event(struct inotify *in, int wd, uint32_t mask, uint32_t cookie,
			const char *name)
{
	size_t nlen = name ? strlen(name) : 0;
	uint32_t len = nlen ? (uint32_t)((nlen + 1 + sizeof(struct inotify_event) - 1) &
					 ~(sizeof(struct inotify_event) - 1))
			    : 0;
	pthread_mutex_lock(&in->lock);
	struct inev *last = in->head ? (struct inev *)((char *)in->tail - offsetof(struct inev, next))
				     : NULL;
	if (in->nevents >= INOTIFY_MAX_EVENTS) {
		if (last && last->mask == IN_Q_OVERFLOW) {
			pthread_mutex_unlock(&in->lock);
			return;
		}
		wd = -1;
		mask = IN_Q_OVERFLOW;
		cookie = 0;
		name = NULL;
		len = 0;
	} else if (last && same_event(last, wd, mask, cookie, name)) {
		pthread_mutex_unlock(&in->lock);
		return;
	}
	struct inev *e = calloc(1, sizeof *e + len);
	if (!e) {
		pthread_mutex_unlock(&in->lock);
		return;
	}
	e->wd = wd;
	e->mask = mask;
	e->cookie = cookie;
	e->len = len;
	if (len)
		memcpy(e->name, name, nlen);
	*in->tail = e;
	in->tail = &e->next;
	in->nevents++;
	in->nbytes += rec_size(e);
	pthread_mutex_unlock(&in->lock);
	waitq_wake(&in->wq, POLLIN | POLLRDNORM);
}

static bool watch_event(struct fsn_mark *m, uint32_t mask, uint32_t cookie, const char *name)
{
	struct watch *w = (struct watch *)m;
	/* Only the bits inotify defines reach the application. */
	queue_event(w->in, w->wd, mask & (IN_ALL_EVENTS | IN_ISDIR), cookie, name);
	return m->mask & IN_ONESHOT;
}

static void watch_unlink(struct watch *w)
{
	struct watch **pp = &w->in->watches;
	while (*pp != w)
		pp = &(*pp)->next;
	*pp = w->next;
	w->in->nwatches--;
}

static void watch_gone(struct fsn_mark *m)
{
	struct watch *w = (struct watch *)m;
	queue_event(w->in, w->wd, IN_IGNORED, 0, NULL);
	watch_unlink(w);
	free(w);
}

int inotify_watch_add(struct file *f, const struct stat *st, uint32_t mask)
{
	struct inotify *in = f->priv;
	uint32_t want = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);
	int r;
	fsnotify_lock();
	struct watch *w = in->watches;
	while (w && (w->mark.dev != st->st_dev || w->mark.ino != st->st_ino))
		w = w->next;
	if (w) {
		if (mask & IN_MASK_CREATE) {
			r = -EEXIST;
		} else {
			w->mark.mask = (mask & IN_MASK_ADD) ? w->mark.mask | want : want;
			r = w->wd;
		}
	} else if (in->nwatches >= INOTIFY_MAX_WATCHES) {
		r = -ENOSPC;
	} else if (!(w = calloc(1, sizeof *w))) {
		r = -ENOMEM;
	} else {
		/* wds grow and are not reused soon, as Linux's cyclic idr. */
		if (++in->last_wd <= 0)
			in->last_wd = 1;
		w->in = in;
		w->wd = in->last_wd;
		w->mark.dev = st->st_dev;
		w->mark.ino = st->st_ino;
		w->mark.mask = want;
		w->mark.event = watch_event;
		w->mark.gone = watch_gone;
		w->next = in->watches;
		in->watches = w;
		in->nwatches++;
		fsnotify_mark_add(&w->mark);
		r = w->wd;
	}
	fsnotify_unlock();
	return r;
}

int inotify_watch_rm(struct file *f, int wd)
{
	struct inotify *in = f->priv;
	int r = -EINVAL;
	fsnotify_lock();
	for (struct watch *w = in->watches; w; w = w->next) {
		if (w->wd == wd) {
			fsnotify_mark_del(&w->mark);
			watch_gone(&w->mark);
			r = 0;
			break;
		}
	}
	fsnotify_unlock();
	return r;
}

static ssize_t in_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct inotify *in = f->priv;
	struct task *t = task_current();
	size_t cap = iov_total(iov, iovcnt), done = 0;
	ssize_t r = 0;
	(void)off;
	pthread_mutex_lock(&in->lock);
	while (!in->head) {
		if (f->flags & O_NONBLOCK) {
			pthread_mutex_unlock(&in->lock);
			return -EAGAIN;
		}
		if (anon_wait(&in->wq, &in->lock, t, POLLIN, CLOCK_MONOTONIC, NULL) == -EINTR) {
			pthread_mutex_unlock(&in->lock);
			return -ERESTARTSYS;
		}
	}
	char *buf = malloc(cap < 65536 ? cap : 65536);
	size_t bcap = cap < 65536 ? cap : 65536;
	while (in->head && buf) {
		struct inev *e = in->head;
		size_t sz = rec_size(e);
		if (done + sz > bcap)
			break;
		struct inotify_event rec = {.wd = e->wd, .mask = e->mask, .cookie = e->cookie,
					    .len = e->len};
		memcpy(buf + done, &rec, sizeof rec);
		memcpy(buf + done + sizeof rec, e->name, e->len);
		done += sz;
		in->head = e->next;
		if (!in->head)
			in->tail = &in->head;
		in->nevents--;
		in->nbytes -= sz;
		free(e);
	}
	pthread_mutex_unlock(&in->lock);
	if (!buf)
		return -ENOMEM;
	/* A buffer too small for the next event is the caller's error. */
	if (!done)
		r = -EINVAL;
	else
		r = (ssize_t)iov_put(iov, iovcnt, buf, done);
	free(buf);
	return r;
}

static uint32_t in_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	struct inotify *in = f->priv;
	pthread_mutex_lock(&in->lock);
	poll_wait(pt, &in->wq, events);
	uint32_t m = in->head ? POLLIN | POLLRDNORM : 0;
	pthread_mutex_unlock(&in->lock);
	return m;
}

static long in_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct inotify *in = f->priv;
	if (cmd != FIONREAD)
		return -ENOTTY;
	pthread_mutex_lock(&in->lock);
	int n = in->nbytes > INT_MAX ? INT_MAX : (int)in->nbytes;
	pthread_mutex_unlock(&in->lock);
	return mm_copy_out(t->mm, arg, &n, sizeof n) ? -EFAULT : 0;
}

static void in_release(struct file *f)
{
	struct inotify *in = f->priv;
	fsnotify_lock();
	while (in->watches) {
		struct watch *w = in->watches;
		in->watches = w->next;
		fsnotify_mark_del(&w->mark);
		free(w);
	}
	fsnotify_unlock();
	while (in->head) {
		struct inev *e = in->head;
		in->head = e->next;
		free(e);
	}
	pthread_mutex_destroy(&in->lock);
	free(in);
}

static const struct file_ops inotify_ops = {
    .read = in_read,
    .fstat = anon_fstat,
    .ioctl = in_ioctl,
    .poll = in_poll,
    .release = in_release,
    .proc_name = "anon_inode:inotify",
};

struct file *inotify_new(int flags)
{
	struct inotify *in = calloc(1, sizeof *in);
	if (!in)
		return NULL;
	pthread_mutex_init(&in->lock, NULL);
	waitq_init(&in->wq);
	in->tail = &in->head;
	struct file *f = file_new(&inotify_ops, O_RDONLY | (flags & O_NONBLOCK), NULL, in);
	if (!f) {
		pthread_mutex_destroy(&in->lock);
		free(in);
	}
	return f;
}
