/* Task sleeping and waking for every blocking syscall (see wait.h). */
#include "sentry/kernel/wait.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

void waiter_init(struct waiter *w)
{
	pthread_condattr_t a;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &a);
	pthread_condattr_destroy(&a);
	w->woken = w->interrupted = false;
	w->efd = -1;
}

void waiter_destroy(struct waiter *w)
{
	if (w->efd >= 0)
		close(w->efd);
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

/* Makes the host eventfd readable, for sleepers in host poll. */
static void poke(struct waiter *w)
{
	uint64_t one = 1;
	if (w->efd >= 0 && write(w->efd, &one, sizeof one) < 0)
		return; /* the counter is saturated: already readable */
}

int waiter_host_fd(struct waiter *w)
{
	pthread_mutex_lock(&w->lock);
	if (w->efd < 0)
		w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd >= 0 && (w->woken || w->interrupted))
		poke(w);
	int fd = w->efd;
	pthread_mutex_unlock(&w->lock);
	return fd;
}

void waiter_host_done(struct waiter *w)
{
	uint64_t v;
	pthread_mutex_lock(&w->lock);
	if (w->efd >= 0 && read(w->efd, &v, sizeof v) < 0)
		v = 0;
	/* Still pending: keep it readable for the next host poll. */
	if (w->efd >= 0 && (w->woken || w->interrupted))
		poke(w);
	pthread_mutex_unlock(&w->lock);
}

void waitq_init(struct waitq *q)
{
	pthread_mutex_init(&q->lock, NULL);
	q->head.next = q->head.prev = &q->head;
}

static void waitq_link(struct waitq *q, struct waitq_entry *e)
{
	pthread_mutex_lock(&q->lock);
	e->next = &q->head;
	e->prev = q->head.prev;
	q->head.prev->next = e;
	q->head.prev = e;
	pthread_mutex_unlock(&q->lock);
}

void waitq_add(struct waitq *q, struct waitq_entry *e, struct waiter *w, uint32_t events)
{
	e->w = w;
	e->fn = NULL;
	e->events = events;
	waitq_link(q, e);
}

void waitq_add_fn(struct waitq *q, struct waitq_entry *e,
		  void (*fn)(struct waitq_entry *e, uint32_t events), uint32_t events)
{
	e->w = NULL;
	e->fn = fn;
	e->events = events;
	waitq_link(q, e);
}

void waitq_del(struct waitq *q, struct waitq_entry *e)
{
	pthread_mutex_lock(&q->lock);
	if (e->next) {
		e->prev->next = e->next;
		e->next->prev = e->prev;
		e->next = e->prev = NULL;
	}
	pthread_mutex_unlock(&q->lock);
}

void waitq_wake(struct waitq *q, uint32_t events)
{
	pthread_mutex_lock(&q->lock);
	for (struct waitq_entry *e = q->head.next; e != &q->head; e = e->next)
		if (!(e->events & events))
			continue;
		else if (e->fn)
			e->fn(e, events);
		else if (e->w)
			waiter_wake(e->w);
	pthread_mutex_unlock(&q->lock);
}

void waiter_wake(struct waiter *w)
{
	pthread_mutex_lock(&w->lock);
	w->woken = true;
	pthread_cond_signal(&w->cond);
	poke(w);
	pthread_mutex_unlock(&w->lock);
}

void waiter_interrupt(struct waiter *w)
{
	pthread_mutex_lock(&w->lock);
	w->interrupted = true;
	pthread_cond_signal(&w->cond);
	poke(w);
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
