/* timerfd_create, timerfd_settime, timerfd_gettime. */
#include <errno.h>
#include <sys/timerfd.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

#define NS 1000000000LL

DEFINE_SYSCALL(timerfd_create, R_INT, A_INT, A_HEX)
{
	clockid_t clock = (clockid_t)a[0];
	int flags = (int)a[1];
	if (flags & ~(TFD_NONBLOCK | TFD_CLOEXEC))
		return -EINVAL;
	/* The _ALARM clocks cannot wake a sandbox from suspend: they behave
	 * as their plain clocks. */
	if (clock == CLOCK_REALTIME_ALARM)
		clock = CLOCK_REALTIME;
	else if (clock == CLOCK_BOOTTIME_ALARM)
		clock = CLOCK_BOOTTIME;
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
		return -EINVAL;
	struct file *f = timerfd_new(clock, flags);
	if (!f)
		return -ENOMEM;
	int fd = fd_install(t->files, f, flags & TFD_CLOEXEC, 0, nofile_limit(t));
	file_put(f);
	return fd;
}

static bool ts_ok(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NS;
}

static int64_t ts_ns(const struct timespec *ts)
{
	/* Far-future values saturate rather than wrap. */
	if (ts->tv_sec >= INT64_MAX / NS - 1)
		return INT64_MAX / 2;
	return ts->tv_sec * NS + ts->tv_nsec;
}

static void ns_ts(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = ns / NS;
	ts->tv_nsec = ns % NS;
}

/* The timerfd at fd (a reference), or -EBADF / -EINVAL. */
static long tfd_get(struct task *t, int fd, struct file **out)
{
	struct file *f = fget(t, fd);
	if (!f)
		return -EBADF;
	if (!file_is_timerfd(f)) {
		file_put(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

static long put_its(struct task *t, uint64_t uaddr, int64_t value, int64_t interval)
{
	struct itimerspec its;
	ns_ts(value, &its.it_value);
	ns_ts(interval, &its.it_interval);
	return mm_copy_out(t->mm, uaddr, &its, sizeof its) ? -EFAULT : 0;
}

/* TFD_TIMER_CANCEL_ON_SET is accepted but never reports ECANCELED: the
 * sandbox cannot set the realtime clock, and host clock steps are not
 * tracked. */
DEFINE_SYSCALL_SUP(timerfd_settime, SUP_PARTIAL, R_INT, A_FD, A_HEX, A_PTR, A_PTR)
{
	int flags = (int)a[1];
	struct itimerspec its;
	struct file *f;
	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (mm_copy_in(t->mm, &its, a[2], sizeof its))
		return -EFAULT;
	long r = tfd_get(t, (int)a[0], &f);
	if (r)
		return r;
	if (!ts_ok(&its.it_value) || !ts_ok(&its.it_interval)) {
		file_put(f);
		return -EINVAL;
	}
	int64_t ov, oi;
	timerfd_file_settime(f, flags & TFD_TIMER_ABSTIME, ts_ns(&its.it_value),
			     ts_ns(&its.it_interval), &ov, &oi);
	file_put(f);
	return a[3] ? put_its(t, a[3], ov, oi) : 0;
}

DEFINE_SYSCALL(timerfd_gettime, R_INT, A_FD, A_PTR)
{
	struct file *f;
	long r = tfd_get(t, (int)a[0], &f);
	if (r)
		return r;
	int64_t v, i;
	timerfd_file_gettime(f, &v, &i);
	file_put(f);
	return put_its(t, a[1], v, i);
}
