/* Task sleeping and waking for every blocking syscall (see wait.h). */
#include "sentry/kernel/wait.h"

#include <errno.h>

void waiter_init(struct waiter *w)
{
	pthread_condattr_t a;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &a);
	pthread_condattr_destroy(&a);
	w->woken = w->interrupted = false;
}

void waiter_destroy(struct waiter *w)
{
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

static void ts_sub(struct timespec *a, const struct timespec *b)
{
	a->tv_sec -= b->tv_sec;
	a->tv_nsec -= b->tv_nsec;
	if (a->tv_nsec < 0) {
		a->tv_nsec += 1000000000L;
		a->tv_sec--;
	}
}

static void ts_add(struct timespec *a, const struct timespec *b)
{
	a->tv_sec += b->tv_sec;
	a->tv_nsec += b->tv_nsec;
	if (a->tv_nsec >= 1000000000L) {
		a->tv_nsec -= 1000000000L;
		a->tv_sec++;
	}
}

void deadline_after(clockid_t clock, const struct timespec *rel, struct timespec *abs)
{
	clock_gettime(clock, abs);
	ts_add(abs, rel);
}

/* The condition variable runs on CLOCK_MONOTONIC; a deadline on another
 * clock is converted (re-checked after each wake, so clock steps on
 * CLOCK_REALTIME only delay the timeout by one wait). */
static void to_monotonic(clockid_t clock, const struct timespec *deadline, struct timespec *out)
{
	struct timespec now, left;
	if (clock == CLOCK_MONOTONIC) {
		*out = *deadline;
		return;
	}
	clock_gettime(clock, &now);
	left = *deadline;
	ts_sub(&left, &now);
	clock_gettime(CLOCK_MONOTONIC, out);
	if (left.tv_sec >= 0)
		ts_add(out, &left);
}

static bool passed(clockid_t clock, const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(clock, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

int waiter_sleep(struct waiter *w, clockid_t clock, const struct timespec *deadline)
{
	int ret = 0;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		if (w->woken) {
			w->woken = false;
			break;
		}
		if (w->interrupted) {
			ret = -EINTR;
			break;
		}
		if (!deadline) {
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		if (passed(clock, deadline)) {
			ret = -ETIMEDOUT;
			break;
		}
		struct timespec mono;
		to_monotonic(clock, deadline, &mono);
		pthread_cond_timedwait(&w->cond, &w->lock, &mono);
	}
	pthread_mutex_unlock(&w->lock);
	return ret;
}

void waiter_wake(struct waiter *w)
{
	pthread_mutex_lock(&w->lock);
	w->woken = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void waiter_interrupt(struct waiter *w)
{
	pthread_mutex_lock(&w->lock);
	w->interrupted = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void waiter_clear_interrupt(struct waiter *w)
{
	pthread_mutex_lock(&w->lock);
	w->interrupted = false;
	pthread_mutex_unlock(&w->lock);
}

void waiter_reset(struct waiter *w)
{
	pthread_mutex_lock(&w->lock);
	w->woken = false;
	pthread_mutex_unlock(&w->lock);
}
