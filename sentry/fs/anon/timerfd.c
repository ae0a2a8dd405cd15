/* timerfd: expirations are counted lazily from the clock when read or
 * polled; one sentry thread (started on first use) only wakes the file's
 * queue at the next expiry so that sleepers and pollers see it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/timerfd.h>

#include "sentry/fs/anon/anon_internal.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/poll.h"

#define NS 1000000000LL

struct timerfd {
	pthread_mutex_t lock;
	clockid_t clock;
	int64_t when;     /* next expiry on clock, ns; 0: disarmed */
	int64_t interval; /* ns; 0: one-shot */
	struct waitq wq;
	/* Guarded by tl_lock: the thread's list of timers to wake. */
	int64_t mono; /* `when` on CLOCK_MONOTONIC */
	bool queued;
	struct timerfd *next;
};

static pthread_mutex_t tl_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tl_cond;
static struct timerfd *tl_list;
static bool tl_started;

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * NS + ts.tv_nsec;
}

static void tl_unqueue_locked(struct timerfd *tf)
{
	if (!tf->queued)
		return;
	struct timerfd **pp = &tl_list;
	while (*pp != tf)
		pp = &(*pp)->next;
	*pp = tf->next;
	tf->queued = false;
}

static void *tl_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&tl_lock);
	for (;;) {
		int64_t now = now_ns(CLOCK_MONOTONIC), next = INT64_MAX;
		for (struct timerfd **pp = &tl_list; *pp;) {
			struct timerfd *tf = *pp;
			if (tf->mono <= now) {
				*pp = tf->next;
				tf->queued = false;
				waitq_wake(&tf->wq, POLLIN | POLLRDNORM);
				continue;
			}
			if (tf->mono < next)
				next = tf->mono;
			pp = &tf->next;
		}
		if (next == INT64_MAX) {
			pthread_cond_wait(&tl_cond, &tl_lock);
		} else {
			struct timespec dl = {.tv_sec = next / NS, .tv_nsec = next % NS};
			pthread_cond_timedwait(&tl_cond, &tl_lock, &dl);
		}
	}
	return NULL;
}

/* Makes the thread wake tf's queue at its next expiry.  tf->lock held. */
static void tl_queue(struct timerfd *tf)
{
	int64_t mono = tf->when;
	if (tf->clock != CLOCK_MONOTONIC)
		mono = tf->when - (now_ns(tf->clock) - now_ns(CLOCK_MONOTONIC));
	pthread_mutex_lock(&tl_lock);
	if (!tl_started) {
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&tl_cond, &ca);
		pthread_condattr_destroy(&ca);
		pthread_t th;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		tl_started = !pthread_create(&th, &at, tl_main, NULL);
		pthread_attr_destroy(&at);
	}
	tf->mono = mono;
	if (!tf->queued) {
		tf->next = tl_list;
		tl_list = tf;
		tf->queued = true;
	}
	pthread_cond_signal(&tl_cond);
	pthread_mutex_unlock(&tl_lock);
}

/* Expirations up to now, moving `when` past them.  tf->lock held. */
static uint64_t take_expiries(struct timerfd *tf)
{
	if (!tf->when)
		return 0;
	int64_t now = now_ns(tf->clock);
	if (now < tf->when)
		return 0;
	if (!tf->interval) {
		tf->when = 0;
		return 1;
	}
	uint64_t n = 1 + (uint64_t)(now - tf->when) / (uint64_t)tf->interval;
	tf->when += (int64_t)n * tf->interval;
	return n;
}

static bool expired(struct timerfd *tf)
{
	return tf->when && now_ns(tf->clock) >= tf->when;
}

static ssize_t tfd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct timerfd *tf = f->priv;
	uint64_t n;
	ssize_t r;
	(void)off;
	if (iov_total(iov, iovcnt) < sizeof n)
		return -EINVAL;
	pthread_mutex_lock(&tf->lock);
	for (;;) {
		n = take_expiries(tf);
		if (n) {
			if (tf->when)
				tl_queue(tf);
			r = sizeof n;
			break;
		}
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		if (tf->when)
			tl_queue(tf);
		if (anon_wait(&tf->wq, &tf->lock, task_current(), POLLIN, CLOCK_MONOTONIC, NULL) ==
		    -EINTR) {
			r = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&tf->lock);
	if (r > 0)
		iov_put(iov, iovcnt, &n, sizeof n);
	return r;
}

static uint32_t tfd_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	struct timerfd *tf = f->priv;
	uint32_t m = 0;
	pthread_mutex_lock(&tf->lock);
	poll_wait(pt, &tf->wq, events);
	if (expired(tf))
		m = POLLIN | POLLRDNORM;
	else if (tf->when && pt)
		tl_queue(tf); /* in case the thread woke early (clock skew) */
	pthread_mutex_unlock(&tf->lock);
	return m;
}

static void tfd_release(struct file *f)
{
	struct timerfd *tf = f->priv;
	pthread_mutex_lock(&tl_lock);
	tl_unqueue_locked(tf);
	pthread_mutex_unlock(&tl_lock);
	pthread_mutex_destroy(&tf->lock);
	free(tf);
}

static const struct file_ops timerfd_ops = {
    .read = tfd_read,
    .fstat = anon_fstat,
    .poll = tfd_poll,
    .release = tfd_release,
    .proc_name = "anon_inode:[timerfd]",
};

bool file_is_timerfd(const struct file *f) { return f->ops == &timerfd_ops; }

struct file *timerfd_new(clockid_t clock, int flags)
{
	struct timerfd *tf = calloc(1, sizeof *tf);
	if (!tf)
		return NULL;
	pthread_mutex_init(&tf->lock, NULL);
	waitq_init(&tf->wq);
	tf->clock = clock;
	struct file *f = file_new(&timerfd_ops, O_RDWR | (flags & O_NONBLOCK), NULL, tf);
	if (!f) {
		pthread_mutex_destroy(&tf->lock);
		free(tf);
	}
	return f;
}

/* Time to the next expiry and the interval.  tf->lock held. */
static void cur_value(struct timerfd *tf, int64_t *value, int64_t *interval)
{
	*interval = tf->interval;
	*value = 0;
	if (!tf->when)
		return;
	int64_t now = now_ns(tf->clock), when = tf->when;
	if (now >= when) {
		if (!tf->interval)
			return;
		when += (1 + (now - when) / tf->interval) * tf->interval;
	}
	*value = when - now;
}

void timerfd_file_settime(struct file *f, bool abstime, int64_t value, int64_t interval,
		     int64_t *old_value, int64_t *old_interval)
{
	struct timerfd *tf = f->priv;
	pthread_mutex_lock(&tf->lock);
	cur_value(tf, old_value, old_interval);
	tf->interval = value ? interval : 0;
	if (!value)
		tf->when = 0;
	else if (abstime)
		tf->when = value > 0 ? value : 1;
	else
		tf->when = now_ns(tf->clock) + value;
	if (tf->when) {
		tl_queue(tf);
	} else {
		pthread_mutex_lock(&tl_lock);
		tl_unqueue_locked(tf);
		pthread_mutex_unlock(&tl_lock);
	}
	pthread_mutex_unlock(&tf->lock);
	/* An already expired (absolute, past) value is readable at once. */
	waitq_wake(&tf->wq, POLLIN | POLLRDNORM);
}

void timerfd_file_gettime(struct file *f, int64_t *value, int64_t *interval)
{
	struct timerfd *tf = f->priv;
	pthread_mutex_lock(&tf->lock);
	cur_value(tf, value, interval);
	pthread_mutex_unlock(&tf->lock);
}
