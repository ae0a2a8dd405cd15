/* The poll interface of open files: one call reports readiness and
 * registers the poller on the file's wait queue (or names a host fd).
 *
 * file_ops.poll(f, pt, events) returns the POLL* bits that hold now.  When
 * pt is not NULL it also makes the caller wakeable by the next change:
 *  - a sentry file (pipe, eventfd...) calls poll_wait(pt, &obj->waitq, ev)
 *    with the queue its state changes are announced on;
 *  - a file backed by a host fd calls poll_host(pt, fd, ev) and returns 0:
 *    the poller asks the host with one poll() over every such fd plus
 *    waiter_host_fd(), so it sleeps on sentry queues and host fds at once.
 * A file without a poll op is always readable and writable (regular files),
 * as Linux's DEFAULT_POLLMASK.
 *
 * Protocol: poll_wait registers before the op reads its state (both under
 * the object's lock), so a change between the check and the sleep wakes the
 * waiter; the poller removes every registration with poll_table_release()
 * after the sleep, before the files can go away.
 *
 * Locking: poll_wait takes waitq.lock (nested inside the object's lock).
 */
#pragma once
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>

#include "sentry/kernel/wait.h"
#include "sentry/vfs/vfs.h"

#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

struct poll_reg {
	struct waitq *q;
	struct waitq_entry e;
	void *priv; /* pt->priv of a callback table (epoll's item) */
};

struct poll_table {
	struct waiter *w;	/* the sleeping task's waiter */
	struct poll_reg **regs; /* registrations (stable addresses: queues link to them) */
	int nregs, cap;
	int err; /* -ENOMEM when a registration could not be made */
	/* Set by a host-backed file's op for the file being polled now; the
	 * poller resets host_fd to -1 before each op call. */
	int host_fd;
	short host_events;
	/* Set instead of w by epoll: registrations call fn on a wake-up, and
	 * fn finds priv in the entry's poll_reg. */
	void (*fn)(struct waitq_entry *e, uint32_t events);
	void *priv;
};

static inline void poll_table_init(struct poll_table *pt, struct waiter *w)
{
	pt->w = w;
	pt->regs = NULL;
	pt->nregs = pt->cap = 0;
	pt->err = 0;
	pt->host_fd = -1;
	pt->host_events = 0;
	pt->fn = NULL;
	pt->priv = NULL;
}

/* Registers pt's waiter on q for events (POLLERR and POLLHUP always). */
static inline void poll_wait(struct poll_table *pt, struct waitq *q, uint32_t events)
{
	if (!pt || (!pt->w && !pt->fn))
		return;
	if (pt->nregs == pt->cap) {
		int cap = pt->cap ? pt->cap * 2 : 8;
		struct poll_reg **r = realloc(pt->regs, cap * sizeof *r);
		if (!r) {
			pt->err = -ENOMEM;
			return;
		}
		pt->regs = r;
		pt->cap = cap;
	}
	struct poll_reg *reg = malloc(sizeof *reg);
	if (!reg) {
		pt->err = -ENOMEM;
		return;
	}
	reg->q = q;
	reg->priv = pt->priv;
	if (pt->fn)
		waitq_add_fn(q, &reg->e, pt->fn, events | POLLERR | POLLHUP);
	else
		waitq_add(q, &reg->e, pt->w, events | POLLERR | POLLHUP);
	pt->regs[pt->nregs++] = reg;
}

/* Asks the poller to watch host fd for events (host poll() bits). */
static inline void poll_host(struct poll_table *pt, int fd, short events)
{
	if (!pt)
		return;
	pt->host_fd = fd;
	pt->host_events = events;
}

/* Removes every registration; pt can then be reused or dropped. */
static inline void poll_table_release(struct poll_table *pt)
{
	for (int i = 0; i < pt->nregs; i++) {
		waitq_del(pt->regs[i]->q, &pt->regs[i]->e);
		free(pt->regs[i]);
	}
	pt->nregs = 0;
}

static inline void poll_table_destroy(struct poll_table *pt)
{
	poll_table_release(pt);
	free(pt->regs);
	pt->regs = NULL;
	pt->cap = 0;
}

/* f's readiness for events (files without a poll op are always ready). */
static inline uint32_t vfs_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	if (pt)
		pt->host_fd = -1;
	if (!f->ops->poll)
		return DEFAULT_POLLMASK;
	return f->ops->poll(f, pt, events);
}
