/* epoll instances: an interest list of (fd, file) items, each hooked on its
 * file's wait queue by a callback that marks it ready; epoll_wait re-polls
 * only the ready items (level-triggered ones stay ready while they hold,
 * edge-triggered and one-shot ones wait for the next wake-up).  Host-backed
 * files (stdio) cannot call back: they are polled on every scan and slept
 * on with one host poll, as poll() does.
 *
 * Items hold no reference on their file: as in Linux, an item lives as
 * long as its (file, fd) pair's file does, whatever happens to the fd, and
 * goes when the file's last reference does (file_epoll_release, called by
 * file_put before the file's release).  Each file lists its items
 * (f->epitems) for that.
 *
 * Locking: ep->mtx guards the item list and is held while files are polled
 * (an inner epoll's mtx nests inside its outer's); ep->lock guards the
 * ready flags and event masks and is taken by the wake callbacks under the
 * watched file's waitq.lock, so it must never be held while polling.
 * files_lock (a leaf after ep->mtx) guards every file's item list.  No
 * file reference is dropped while an ep->mtx is held: the last put would
 * come back here for it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "sentry/fs/anon/anon_internal.h"
#include "sentry/kernel/signal.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/poll.h"

#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
/* Linux's EP_MAX_NESTS: deeper chains of epolls are refused with ELOOP. */
#define EP_MAX_NESTS 4

struct epitem {
	struct epoll *ep;
	int fd;
	struct file *file; /* no reference: the file's release removes the item */
	struct epitem *fnext, **fprev; /* the file's item list (files_lock) */
	uint32_t events;   /* ep->lock; only EP_PRIVATE_BITS once a one-shot fired */
	uint64_t data;
	bool ready; /* ep->lock */
	bool host;  /* host-backed: polled on every scan */
	int host_fd;
	struct poll_table pt; /* the callback registrations on the file */
	struct epitem *next;
};

struct epoll {
	int refs; /* the epoll file's, and releases of watched files in flight */
	pthread_mutex_t mtx;
	pthread_mutex_t lock;
	struct waitq wq; /* epoll_wait sleepers, pollers, outer epolls */
	struct epitem *items, **tail;
};

static const struct file_ops epoll_ops;
/* Serializes adding epolls to epolls, so the loop check sees a stable graph. */
static pthread_mutex_t nest_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;

bool file_is_epoll(const struct file *f) { return f->ops == &epoll_ops; }

static void item_wake(struct waitq_entry *e, uint32_t events)
{
	struct epitem *it = ((struct poll_reg *)((char *)e - offsetof(struct poll_reg, e)))->priv;
	struct epoll *ep = it->ep;
	pthread_mutex_lock(&ep->lock);
	uint32_t want = it->events & ~EP_PRIVATE_BITS;
	bool hit = want && (events & (want | POLLERR | POLLHUP));
	if (hit)
		it->ready = true;
	pthread_mutex_unlock(&ep->lock);
	if (hit)
		waitq_wake(&ep->wq, POLLIN | POLLRDNORM);
}

/* The item's readiness now, without registering. */
static uint32_t item_poll(struct epitem *it, uint32_t want)
{
	struct poll_table tmp;
	poll_table_init(&tmp, NULL);
	uint32_t m = vfs_poll(it->file, &tmp, want);
	if (tmp.host_fd >= 0) {
		struct pollfd p = {.fd = tmp.host_fd, .events = (short)want};
		m = poll(&p, 1, 0) > 0 ? (uint16_t)p.revents : 0;
		if (m & POLLNVAL)
			m = POLLERR;
	}
	return m & (want | POLLERR | POLLHUP);
}

static void ep_put(struct epoll *ep)
{
	if (__atomic_sub_fetch(&ep->refs, 1, __ATOMIC_ACQ_REL))
		return;
	pthread_mutex_destroy(&ep->mtx);
	pthread_mutex_destroy(&ep->lock);
	free(ep);
}

/* Takes it off its file's list.  files_lock held. */
static void item_file_unlink(struct epitem *it)
{
	if (!it->fprev)
		return;
	*it->fprev = it->fnext;
	if (it->fnext)
		it->fnext->fprev = it->fprev;
	it->fprev = NULL;
}

/* ep->mtx held (or the item was never published). */
static void item_free(struct epitem *it)
{
	pthread_mutex_lock(&files_lock);
	item_file_unlink(it);
	pthread_mutex_unlock(&files_lock);
	poll_table_destroy(&it->pt);
	free(it);
}

static void item_unlink(struct epoll *ep, struct epitem *it)
{
	struct epitem **pp = &ep->items;
	while (*pp != it)
		pp = &(*pp)->next;
	*pp = it->next;
	if (ep->tail == &it->next)
		ep->tail = pp;
}

/* A scan that stopped at *pp (maxevents reached) starts the next one
 * there, so that a small maxevents still serves every ready item in turn. */
static void ep_rotate(struct epoll *ep, struct epitem **pp)
{
	if (!*pp || pp == &ep->items)
		return;
	struct epitem *first = ep->items;
	ep->items = *pp;
	*ep->tail = first;
	ep->tail = pp;
	*pp = NULL;
}

/* Collects up to max events (out NULL: only tells whether any is ready).
 * hosts/nh: host items' fds to sleep on.  ep->mtx held. */
static int ep_scan(struct epoll *ep, struct epoll_event *out, int max, struct pollfd **hosts,
		   int *nh)
{
	struct epitem **pp = &ep->items;
	int n = 0;
	while (*pp && n < max) {
		struct epitem *it = *pp;
		pp = &it->next;
		pthread_mutex_lock(&ep->lock);
		uint32_t evs = it->events;
		bool rdy = it->ready;
		if (out)
			it->ready = false;
		pthread_mutex_unlock(&ep->lock);
		uint32_t want = evs & ~EP_PRIVATE_BITS;
		if (!want || (!rdy && !it->host))
			continue;
		if (it->host && hosts) {
			struct pollfd *h = realloc(*hosts, (*nh + 2) * sizeof *h);
			if (h) {
				*hosts = h;
				h[(*nh)++] = (struct pollfd){.fd = it->host_fd, .events = (short)want};
			}
		}
		uint32_t m = item_poll(it, want);
		if (!m)
			continue;
		if (!out)
			return 1;
		out[n++] = (struct epoll_event){.events = m, .data.u64 = it->data};
		pthread_mutex_lock(&ep->lock);
		if (evs & EPOLLONESHOT)
			it->events &= EP_PRIVATE_BITS;
		else if (!(evs & EPOLLET))
			it->ready = true;
		pthread_mutex_unlock(&ep->lock);
	}
	if (out)
		ep_rotate(ep, pp);
	return n;
}

static uint32_t ep_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	struct epoll *ep = f->priv;
	poll_wait(pt, &ep->wq, events);
	pthread_mutex_lock(&ep->mtx);
	int n = ep_scan(ep, NULL, 1, NULL, NULL);
	pthread_mutex_unlock(&ep->mtx);
	return n ? POLLIN | POLLRDNORM : 0;
}

static void ep_release(struct file *f)
{
	struct epoll *ep = f->priv;
	pthread_mutex_lock(&ep->mtx);
	struct epitem *it = ep->items, *next;
	for (; it; it = next) {
		next = it->next;
		item_free(it);
	}
	ep->items = NULL;
	ep->tail = &ep->items;
	pthread_mutex_unlock(&ep->mtx);
	ep_put(ep);
}

/* f's last reference went: its items leave every epoll.  An epoll found
 * through f's list is pinned (refs) before its mtx is taken, since that
 * lock comes before files_lock. */
static void ep_file_release(struct file *f)
{
	for (;;) {
		pthread_mutex_lock(&files_lock);
		struct epitem *first = f->epitems;
		if (!first) {
			pthread_mutex_unlock(&files_lock);
			return;
		}
		struct epoll *ep = first->ep;
		__atomic_add_fetch(&ep->refs, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&files_lock);

		pthread_mutex_lock(&ep->mtx);
		struct epitem *gone = NULL;
		pthread_mutex_lock(&files_lock);
		for (struct epitem *it = f->epitems, *nx; it; it = nx) {
			nx = it->fnext;
			if (it->ep != ep)
				continue;
			item_file_unlink(it);
			it->fnext = gone;
			gone = it;
		}
		pthread_mutex_unlock(&files_lock);
		while (gone) {
			struct epitem *it = gone;
			gone = it->fnext;
			item_unlink(ep, it);
			item_free(it);
		}
		pthread_mutex_unlock(&ep->mtx);
		ep_put(ep);
	}
}

static const struct file_ops epoll_ops = {
    .fstat = anon_fstat,
    .poll = ep_poll,
    .release = ep_release,
    .proc_name = "anon_inode:[eventpoll]",
};

struct file *epoll_new(int flags)
{
	struct epoll *ep = calloc(1, sizeof *ep);
	if (!ep)
		return NULL;
	ep->refs = 1;
	pthread_mutex_init(&ep->mtx, NULL);
	pthread_mutex_init(&ep->lock, NULL);
	waitq_init(&ep->wq);
	ep->tail = &ep->items;
	file_epoll_release = ep_file_release;
	struct file *f = file_new(&epoll_ops, O_RDWR | (flags & O_NONBLOCK), NULL, ep);
	if (!f)
		ep_release(&(struct file){.priv = ep});
	return f;
}

/* Items are keyed by (fd, file), as Linux's: a closed fd whose file lives
 * on in a dup keeps its item, and the fd number may be registered again
 * for the file it names now. */
static struct epitem *item_find(struct epoll *ep, int fd, struct file *f)
{
	for (struct epitem *it = ep->items; it; it = it->next)
		if (it->fd == fd && it->file == f)
			return it;
	return NULL;
}

/* Whether `to` is reachable from `from` through nested epolls, or the
 * chain is too deep.  nest_lock held. */
static bool ep_loops(struct epoll *from, struct epoll *to, int depth)
{
	if (from == to || depth > EP_MAX_NESTS)
		return true;
	bool r = false;
	pthread_mutex_lock(&from->mtx);
	for (struct epitem *it = from->items; it && !r; it = it->next)
		if (file_is_epoll(it->file))
			r = ep_loops(it->file->priv, to, depth + 1);
	pthread_mutex_unlock(&from->mtx);
	return r;
}

static int ep_add(struct epoll *ep, int fd, struct file *target, uint32_t events, uint64_t data)
{
	if (item_find(ep, fd, target))
		return -EEXIST;
	struct epitem *it = calloc(1, sizeof *it);
	if (!it)
		return -ENOMEM;
	it->ep = ep;
	it->fd = fd;
	it->file = target;
	it->events = events;
	it->data = data;
	it->host_fd = -1;
	poll_table_init(&it->pt, NULL);
	it->pt.fn = item_wake;
	it->pt.priv = it;
	uint32_t want = (events & ~EP_PRIVATE_BITS) | POLLERR | POLLHUP;
	uint32_t m = vfs_poll(target, &it->pt, want) & want;
	if (it->pt.err) {
		int e = it->pt.err;
		item_free(it);
		return e;
	}
	if (it->pt.host_fd >= 0) {
		it->host = true;
		it->host_fd = it->pt.host_fd;
	}
	it->next = NULL;
	*ep->tail = it;
	ep->tail = &it->next;
	pthread_mutex_lock(&files_lock);
	struct epitem **head = (struct epitem **)&target->epitems;
	it->fnext = *head;
	if (it->fnext)
		it->fnext->fprev = &it->fnext;
	it->fprev = head;
	__atomic_store_n(head, it, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&files_lock);
	if (m) {
		pthread_mutex_lock(&ep->lock);
		it->ready = true;
		pthread_mutex_unlock(&ep->lock);
		waitq_wake(&ep->wq, POLLIN | POLLRDNORM);
	}
	return 0;
}

static int ep_mod(struct epoll *ep, int fd, struct file *target, uint32_t events, uint64_t data)
{
	struct epitem *it = item_find(ep, fd, target);
	if (!it)
		return -ENOENT;
	if (it->events & EPOLLEXCLUSIVE)
		return -EINVAL;
	pthread_mutex_lock(&ep->lock);
	it->events = events;
	it->data = data;
	pthread_mutex_unlock(&ep->lock);
	uint32_t want = (events & ~EP_PRIVATE_BITS) | POLLERR | POLLHUP;
	if (!it->host && item_poll(it, want)) {
		pthread_mutex_lock(&ep->lock);
		it->ready = true;
		pthread_mutex_unlock(&ep->lock);
		waitq_wake(&ep->wq, POLLIN | POLLRDNORM);
	}
	return 0;
}

int epoll_ctl_file(struct file *epf, int op, int fd, struct file *target, uint32_t events,
		   uint64_t data)
{
	if (!file_is_epoll(epf) || epf == target)
		return -EINVAL;
	if (!target->ops->poll)
		return -EPERM;
	/* Host-backed regular files and directories poll too, but Linux
	 * refuses them as it refuses every file without a poll method. */
	struct stat st;
	if (target->ops->fstat && !target->ops->fstat(target, &st) &&
	    (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return -EPERM;
	if (op != EPOLL_CTL_DEL && (events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD)
			return -EINVAL;
		if ((events & ~(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET |
				EPOLLEXCLUSIVE | EPOLLRDNORM | EPOLLWRNORM)) ||
		    file_is_epoll(target))
			return -EINVAL;
	}
	struct epoll *ep = epf->priv;
	bool nested = op == EPOLL_CTL_ADD && file_is_epoll(target);
	int r;
	if (nested) {
		pthread_mutex_lock(&nest_lock);
		if (ep_loops(target->priv, ep, 1)) {
			pthread_mutex_unlock(&nest_lock);
			return -ELOOP;
		}
	}
	pthread_mutex_lock(&ep->mtx);
	switch (op) {
	case EPOLL_CTL_ADD:
		r = ep_add(ep, fd, target, events, data);
		break;
	case EPOLL_CTL_MOD:
		r = ep_mod(ep, fd, target, events, data);
		break;
	case EPOLL_CTL_DEL: {
		struct epitem *it = item_find(ep, fd, target);
		r = -ENOENT;
		if (it) {
			item_unlink(ep, it);
			item_free(it);
			r = 0;
		}
		break;
	}
	default:
		r = -EINVAL;
	}
	pthread_mutex_unlock(&ep->mtx);
	if (nested)
		pthread_mutex_unlock(&nest_lock);
	return r;
}

static bool ts_passed(const struct timespec *dl)
{
	if (!dl)
		return false;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > dl->tv_sec || (now.tv_sec == dl->tv_sec && now.tv_nsec >= dl->tv_nsec);
}

static int ms_left(const struct timespec *dl)
{
	if (!dl)
		return -1;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ns = (dl->tv_sec - now.tv_sec) * 1000000000LL + (dl->tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	int64_t ms = (ns + 999999) / 1000000;
	return ms > 1000000000 ? 1000000000 : (int)ms;
}

long epoll_wait_file(struct task *t, struct file *epf, struct epoll_event *out, int max,
		     const struct timespec *deadline)
{
	static const struct timespec zero;
	struct epoll *ep = epf->priv;
	struct waiter *w = &t->waiter;
	struct pollfd *hosts = NULL;
	bool expired = ts_passed(deadline);
	long r;
	for (;;) {
		struct waitq_entry we;
		int nh = 0;
		waitq_add(&ep->wq, &we, w, ~0u);
		pthread_mutex_lock(&ep->mtx);
		int n = ep_scan(ep, out, max, &hosts, &nh);
		pthread_mutex_unlock(&ep->mtx);
		if (n || expired) {
			waitq_del(&ep->wq, &we);
			r = n;
			break;
		}
		if (sig_pending(t)) {
			waitq_del(&ep->wq, &we);
			r = -EINTR;
			break;
		}
		int s;
		if (nh) {
			hosts[nh] = (struct pollfd){.fd = waiter_host_fd(w), .events = POLLIN};
			poll(hosts, nh + 1, ms_left(deadline));
			waiter_host_done(w);
			s = ts_passed(deadline) ? -ETIMEDOUT : waiter_sleep(w, CLOCK_MONOTONIC, &zero);
		} else {
			s = waiter_sleep(w, CLOCK_MONOTONIC, deadline);
		}
		waitq_del(&ep->wq, &we);
		if (s == -EINTR) {
			r = -EINTR;
			break;
		}
		if (s == -ETIMEDOUT && ts_passed(deadline))
			expired = true;
	}
	free(hosts);
	return r;
}
