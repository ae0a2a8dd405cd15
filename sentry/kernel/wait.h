/* Blocking in the sentry: a task sleeps on its own waiter until a waker
 * wakes it, its deadline passes, or a signal interrupts it.
 *
 * Protocol (no lost wake-ups): the sleeper first makes itself findable
 * (enqueues on a futex bucket, a pipe's wait list...) under that object's
 * lock, re-checks its condition, drops the lock, then calls waiter_sleep().
 * A waker that finds it calls waiter_wake(); a wake that arrives before the
 * sleep is remembered.  waiter_interrupt() (signal delivery, group exit)
 * makes the current and every later sleep return -EINTR until
 * waiter_clear_interrupt().
 *
 * Lock order: waiter.lock is a leaf.
 */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	bool woken;
	bool interrupted;
	int efd; /* waiter_host_fd, -1 until first used */
};

void waiter_init(struct waiter *w);
void waiter_destroy(struct waiter *w);
/* Consumes a pending wake first.  deadline is absolute on clock (NULL:
 * none).  Returns 0 when woken, -ETIMEDOUT, or -EINTR. */
int waiter_sleep(struct waiter *w, clockid_t clock, const struct timespec *deadline);
void waiter_wake(struct waiter *w);
void waiter_interrupt(struct waiter *w);
void waiter_clear_interrupt(struct waiter *w);
/* Forgets a wake that was not slept on (the sleeper gave up first). */
void waiter_reset(struct waiter *w);

/* Wait queues: objects that tasks sleep on (a pipe's readers, a process's
 * wait4 callers, a file being polled) keep a waitq; sleepers add an entry
 * naming their waiter and the events they care about, re-check, sleep,
 * and remove the entry.  One waiter may sit on several queues (poll).
 * waitq.lock nests inside the owning object's lock and outside waiter.lock. */
struct waitq_entry {
	struct waiter *w;
	uint32_t events; /* poll bits the sleeper wants; ~0 for any */
	/* Called (under q->lock) instead of waking w when set: epoll marks
	 * its items ready this way.  NULL for entries added by waitq_add. */
	void (*fn)(struct waitq_entry *e, uint32_t events);
	struct waitq_entry *next, *prev;
};

struct waitq {
	pthread_mutex_t lock;
	struct waitq_entry head; /* circular list sentinel */
};

void waitq_init(struct waitq *q);
void waitq_add(struct waitq *q, struct waitq_entry *e, struct waiter *w, uint32_t events);
/* An entry whose wake-ups call fn(e, announced events) instead. */
void waitq_add_fn(struct waitq *q, struct waitq_entry *e,
		  void (*fn)(struct waitq_entry *e, uint32_t events), uint32_t events);
void waitq_del(struct waitq *q, struct waitq_entry *e);
/* Wakes every sleeper whose events intersect events (all for ~0). */
void waitq_wake(struct waitq *q, uint32_t events);

/* For sleeping on host fds as well: an eventfd that becomes readable when
 * the waiter is woken or interrupted.  poll it with the host fds; then call
 * waiter_host_done() to drain it.  Created on first use. */
int waiter_host_fd(struct waiter *w);
void waiter_host_done(struct waiter *w);

/* Converts a relative timeout on clock to an absolute deadline. */
void deadline_after(clockid_t clock, const struct timespec *rel, struct timespec *abs);
