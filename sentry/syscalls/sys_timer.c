/* Timers and process times: alarm, getitimer, setitimer, timer_create,
 * timer_settime, timer_gettime, timer_getoverrun, timer_delete, times,
 * getrusage. */
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "sentry/kernel/task.h"
#include "sentry/kernel/timers.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define NSEC 1000000000LL
#define TICK_NS 10000000LL /* USER_HZ is 100 */

static struct timeval ns_tv(int64_t ns)
{
	return (struct timeval){ns / NSEC, (ns % NSEC) / 1000};
}

static int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NSEC + ts->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
	return (struct timespec){ns / NSEC, ns % NSEC};
}

/* Seconds past this would overflow the ns arithmetic: clamp (years). */
#define MAX_SEC (INT64_MAX / NSEC / 4)

static bool tv_valid(const struct timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NSEC;
}

static int64_t clamp_sec_ns(int64_t sec, int64_t frac_ns)
{
	return sec > MAX_SEC ? MAX_SEC * NSEC : sec * NSEC + frac_ns;
}

DEFINE_SYSCALL(getitimer, R_INT, A_INT, A_PTR)
{
	struct timer_val cur;
	struct itimerval v;
	int r = timers_itimer_get(t->tg, (int)a[0], &cur);
	if (r)
		return r;
	v.it_value = ns_tv(cur.value);
	v.it_interval = ns_tv(cur.interval);
	if (mm_copy_out(t->mm, a[1], &v, sizeof v))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(setitimer, R_INT, A_INT, A_PTR, A_PTR)
{
	struct itimerval v;
	struct timer_val val = {0, 0}, old;
	int which = (int)a[0];

	/* A NULL new value disarms, as Linux still allows. */
	if (a[1]) {
		if (mm_copy_in(t->mm, &v, a[1], sizeof v))
			return -EFAULT;
		if (!tv_valid(&v.it_value) || !tv_valid(&v.it_interval))
			return -EINVAL;
		val.value = clamp_sec_ns(v.it_value.tv_sec, v.it_value.tv_usec * 1000);
		val.interval = clamp_sec_ns(v.it_interval.tv_sec, v.it_interval.tv_usec * 1000);
	}
	int r = timers_itimer_set(t->tg, which, &val, &old);
	if (r)
		return r;
	if (a[2]) {
		v.it_value = ns_tv(old.value);
		v.it_interval = ns_tv(old.interval);
		if (mm_copy_out(t->mm, a[2], &v, sizeof v))
			return -EFAULT;
	}
	return 0;
}

DEFINE_SYSCALL(alarm, R_INT, A_UINT)
{
	unsigned secs = (unsigned)a[0];
	struct timer_val val = {0, 0}, old;
	/* Linux caps at INT_MAX so the value stays positive. */
	if (secs > INT_MAX)
		secs = INT_MAX;
	val.value = (int64_t)secs * NSEC;
	timers_itimer_set(t->tg, ITIMER_REAL, &val, &old);
	/* Remaining seconds, rounded to nearest; never 0 for a pending alarm. */
	struct timeval tv = ns_tv(old.value);
	if ((!tv.tv_sec && tv.tv_usec) || tv.tv_usec >= 500000)
		tv.tv_sec++;
	return tv.tv_sec;
}

/* The kernel's struct sigevent (64 bytes). */
struct k_sigevent {
	uint64_t value;
	int32_t signo;
	int32_t notify;
	int32_t tid;
	int32_t pad[11];
};

DEFINE_SYSCALL(timer_create, R_INT, A_INT, A_PTR, A_PTR)
{
	struct k_sigevent kev;
	struct timer_event ev;
	int id, r;

	if (a[1]) {
		if (mm_copy_in(t->mm, &kev, a[1], sizeof kev))
			return -EFAULT;
		ev.notify = kev.notify;
		ev.signo = kev.signo;
		ev.value = kev.value;
		ev.tid = kev.tid;
	}
	r = timers_posix_create(t, (clockid_t)(int)a[0], a[1] ? &ev : NULL, &id);
	if (r)
		return r;
	if (mm_copy_out(t->mm, a[2], &id, sizeof id)) {
		timers_posix_undo(t, id);
		return -EFAULT;
	}
	return 0;
}

static int copy_out_itimerspec(struct task *t, uint64_t addr, const struct timer_val *v)
{
	struct itimerspec s = {ns_ts(v->interval), ns_ts(v->value)};
	return mm_copy_out(t->mm, addr, &s, sizeof s) ? -EFAULT : 0;
}

DEFINE_SYSCALL(timer_settime, R_INT, A_INT, A_HEX, A_PTR, A_PTR)
{
	struct itimerspec s;
	struct timer_val val, old;

	if (!a[2])
		return -EINVAL;
	if (mm_copy_in(t->mm, &s, a[2], sizeof s))
		return -EFAULT;
	if (!ts_valid(&s.it_value) || !ts_valid(&s.it_interval))
		return -EINVAL;
	val.value = clamp_sec_ns(s.it_value.tv_sec, s.it_value.tv_nsec);
	val.interval = clamp_sec_ns(s.it_interval.tv_sec, s.it_interval.tv_nsec);
	int r = timers_posix_settime(t, (int)a[0], a[1] & TIMER_ABSTIME, &val, &old);
	if (r)
		return r;
	if (a[3])
		return copy_out_itimerspec(t, a[3], &old);
	return 0;
}

DEFINE_SYSCALL(timer_gettime, R_INT, A_INT, A_PTR)
{
	struct timer_val cur;
	int r = timers_posix_gettime(t, (int)a[0], &cur);
	if (r)
		return r;
	return copy_out_itimerspec(t, a[1], &cur);
}

DEFINE_SYSCALL(timer_getoverrun, R_INT, A_INT)
{
	return timers_posix_getoverrun(t, (int)a[0]);
}

DEFINE_SYSCALL(timer_delete, R_INT, A_INT)
{
	return timers_posix_delete(t, (int)a[0]);
}

static clock_t ticks(uint64_t ns)
{
	return (clock_t)(ns / TICK_NS);
}

DEFINE_SYSCALL(times, R_INT, A_PTR)
{
	struct tms b;
	uint64_t u, s;
	struct timespec now;

	if (a[0]) {
		timers_tg_cputime(t->tg, &u, &s);
		b.tms_utime = ticks(u);
		b.tms_stime = ticks(s);
		pthread_mutex_lock(&t->tg->lock);
		b.tms_cutime = ticks(t->tg->cutime_ns);
		b.tms_cstime = ticks(t->tg->cstime_ns);
		pthread_mutex_unlock(&t->tg->lock);
		if (mm_copy_out(t->mm, a[0], &b, sizeof b))
			return -EFAULT;
	}
	/* Clock ticks since boot (the host's: the sandbox has no boot of its own). */
	clock_gettime(CLOCK_BOOTTIME, &now);
	return ticks((uint64_t)ts_ns(&now));
}

/* ru_utime/ru_stime and the maximum resident set; the other counters are
 * not kept and read 0. */
DEFINE_SYSCALL_SUP(getrusage, SUP_PARTIAL, R_INT, A_INT, A_PTR)
{
	struct rusage ru;
	uint64_t u = 0, s = 0;

	memset(&ru, 0, sizeof ru);
	switch ((int)a[0]) {
	case RUSAGE_SELF:
		timers_tg_cputime(t->tg, &u, &s);
		pthread_mutex_lock(&t->tg->lock);
		ru.ru_maxrss = t->tg->maxrss_kb;
		pthread_mutex_unlock(&t->tg->lock);
		break;
	case RUSAGE_CHILDREN:
		pthread_mutex_lock(&t->tg->lock);
		u = t->tg->cutime_ns;
		s = t->tg->cstime_ns;
		ru.ru_maxrss = t->tg->cmaxrss_kb;
		pthread_mutex_unlock(&t->tg->lock);
		break;
	case RUSAGE_THREAD:
		timers_task_cputime(t, &u, &s);
		pthread_mutex_lock(&t->tg->lock);
		ru.ru_maxrss = t->tg->maxrss_kb;
		pthread_mutex_unlock(&t->tg->lock);
		break;
	default:
		return -EINVAL;
	}
	ru.ru_utime = ns_tv((int64_t)u);
	ru.ru_stime = ns_tv((int64_t)s);
	if (mm_copy_out(t->mm, a[1], &ru, sizeof ru))
		return -EFAULT;
	return 0;
}

