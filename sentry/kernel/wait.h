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
#include <time.h>

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	bool woken;
	bool interrupted;
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

/* Converts a relative timeout on clock to an absolute deadline. */
void deadline_after(clockid_t clock, const struct timespec *rel, struct timespec *abs);
