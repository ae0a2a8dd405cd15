/* Clocks and sleeps: clock_gettime, gettimeofday, time, clock_getres,
 * nanosleep, clock_nanosleep. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sentry/kernel/task.h"
#include "sentry/kernel/timers.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define NSEC 1000000000LL

/* Host clocks the application may name (CPU clocks are the sandbox's own:
 * timers_cpu_clock). */
static int host_clock(long clk, clockid_t *out)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		*out = (clockid_t)clk;
		return 0;
	case CLOCK_REALTIME_ALARM:
		*out = CLOCK_REALTIME;
		return 0;
	case CLOCK_BOOTTIME_ALARM:
		*out = CLOCK_BOOTTIME;
		return 0;
	}
	return -EINVAL;
}

DEFINE_SYSCALL(clock_gettime, R_INT, A_INT, A_PTR)
{
	clockid_t c, clk = (clockid_t)(int)a[0];
	struct timespec ts;
	if (timers_is_cpu_clock(clk)) {
		uint64_t ns;
		int r = timers_cpu_clock(t, clk, &ns);
		if (r)
			return r;
		ts.tv_sec = (time_t)(ns / NSEC);
		ts.tv_nsec = (long)(ns % NSEC);
	} else if (host_clock(clk, &c)) {
		return -EINVAL;
	} else {
		clock_gettime(c, &ts);
	}
	if (mm_copy_out(t->mm, a[1], &ts, sizeof ts))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(clock_getres, R_INT, A_INT, A_PTR)
{
	clockid_t c, clk = (clockid_t)(int)a[0];
	struct timespec ts = {0, 1};
	if (timers_is_cpu_clock(clk)) {
		uint64_t ns;
		int r = timers_cpu_clock(t, clk, &ns);
		if (r)
			return r;
	} else if (host_clock(clk, &c)) {
		return -EINVAL;
	} else {
		clock_getres(c, &ts);
	}
	if (a[1] && mm_copy_out(t->mm, a[1], &ts, sizeof ts))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(gettimeofday, R_INT, A_PTR, A_PTR)
{
	struct timeval tv;
	struct timezone tz = {0, 0};
	gettimeofday(&tv, NULL);
	if (a[0] && mm_copy_out(t->mm, a[0], &tv, sizeof tv))
		return -EFAULT;
	if (a[1] && mm_copy_out(t->mm, a[1], &tz, sizeof tz))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(time, R_INT, A_PTR)
{
	time_t now = time(NULL);
	if (a[0] && mm_copy_out(t->mm, a[0], &now, sizeof now))
		return -EFAULT;
	return now;
}

static int read_timespec(struct task *t, uint64_t addr, struct timespec *ts)
{
	if (mm_copy_in(t->mm, ts, addr, sizeof *ts))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC)
		return -EINVAL;
	return 0;
}

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static long sleep_restart(struct task *t);

/* Sleeps on the task's waiter until deadline (absolute, ns on clock c).
 * A relative sleep that a signal interrupts writes the time left to
 * rem_addr and asks to be restarted with the same deadline
 * (-ERESTART_RESTARTBLOCK: EINTR after a handler, transparently resumed
 * after a stop or an ignored signal); an absolute one is simply
 * re-issued (-ERESTARTNOHAND), as in Linux. */
static long sleep_until(struct task *t, clockid_t c, int64_t deadline, uint64_t rem_addr,
			bool abs)
{
	struct timespec dl = {deadline / NSEC, deadline % NSEC};
	int r;

	/* 0 is a stray wake (say a futex waker that lost a race): not ours. */
	while ((r = waiter_sleep(&t->waiter, c, &dl)) == 0)
		;
	if (r == -ETIMEDOUT)
		return 0;
	if (abs)
		return -ERESTARTNOHAND;
	int64_t left = deadline - now_ns(c);
	if (left <= 0)
		return 0;
	if (rem_addr) {
		struct timespec rem = {left / NSEC, left % NSEC};
		if (mm_copy_out(t->mm, rem_addr, &rem, sizeof rem))
			return -EFAULT;
	}
	t->restart.fn = sleep_restart;
	t->restart.a[0] = (uint64_t)c;
	t->restart.a[1] = (uint64_t)deadline;
	t->restart.a[2] = rem_addr;
	return -ERESTART_RESTARTBLOCK;
}

/* restart_syscall after an interrupted relative sleep. */
static long sleep_restart(struct task *t)
{
	return sleep_until(t, (clockid_t)t->restart.a[0], (int64_t)t->restart.a[1],
			   t->restart.a[2], false);
}

static int64_t deadline_of(clockid_t c, const struct timespec *req, bool abs)
{
	/* Far-future requests saturate instead of overflowing. */
	int64_t sec = req->tv_sec > INT64_MAX / NSEC / 4 ? INT64_MAX / NSEC / 4 : req->tv_sec;
	int64_t ns = sec * NSEC + req->tv_nsec;
	return abs ? ns : now_ns(c) + ns;
}

DEFINE_SYSCALL(nanosleep, R_INT, A_PTR, A_PTR)
{
	struct timespec req;
	int r = read_timespec(t, a[0], &req);
	if (r)
		return r;
	return sleep_until(t, CLOCK_MONOTONIC, deadline_of(CLOCK_MONOTONIC, &req, false), a[1],
			   false);
}

/* Sleeps on the process CPU clock are not supported (ENOTSUP). */
DEFINE_SYSCALL_SUP(clock_nanosleep, SUP_PARTIAL, R_INT, A_INT, A_HEX, A_PTR, A_PTR)
{
	struct timespec req;
	clockid_t c, clk = (clockid_t)(int)a[0];
	bool abs = a[1] & TIMER_ABSTIME;
	int r;

	if (timers_is_cpu_clock(clk)) {
		uint64_t ns;
		r = timers_cpu_clock(t, clk, &ns);
		if (r)
			return r;
		/* Linux: no sleeping on a thread's clock; process clocks are
		 * allowed there but not here. */
		return clk == CLOCK_THREAD_CPUTIME_ID || (clk < 0 && (clk & 4)) ? -EINVAL
										 : -ENOTSUP;
	}
	if (host_clock(clk, &c))
		return -EINVAL;
	if (clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_REALTIME_COARSE ||
	    clk == CLOCK_MONOTONIC_COARSE)
		return -ENOTSUP;
	r = read_timespec(t, a[2], &req);
	if (r)
		return r;
	return sleep_until(t, c, deadline_of(c, &req, abs), a[3], abs);
}
