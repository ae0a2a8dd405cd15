/* Clocks and sleeps: clock_gettime, gettimeofday, time, clock_getres,
 * nanosleep, clock_nanosleep. */
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

/* Host clocks the application may name; CPU-time clocks of the process and
 * thread are read from the sentry thread that runs the task (it is billed
 * for the syscall work; the stub's user time is not yet added). */
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
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		*out = CLOCK_THREAD_CPUTIME_ID;
		return 0;
	}
	return -EINVAL;
}

DEFINE_SYSCALL_SUP(clock_gettime, SUP_PARTIAL, R_INT, A_INT, A_PTR)
{
	clockid_t c;
	struct timespec ts;
	if (host_clock((long)(int)a[0], &c))
		return -EINVAL;
	clock_gettime(c, &ts);
	if (mm_copy_out(t->mm, a[1], &ts, sizeof ts))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(clock_getres, R_INT, A_INT, A_PTR)
{
	clockid_t c;
	struct timespec ts;
	if (host_clock((long)(int)a[0], &c))
		return -EINVAL;
	clock_getres(c, &ts);
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
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
		return -EINVAL;
	return 0;
}

/* Sleeps on the host clock.  Signals cannot interrupt the sleep until
 * signal delivery exists (next milestone); the host's EINTR from the
 * sentry's own signals is retried. */
static long sleep_on(struct task *t, clockid_t c, int flags, const struct timespec *req,
		     uint64_t rem_addr)
{
	struct timespec rem;
	int r;
	const struct timespec *left = req;
	struct timespec cur = *req;
	while ((r = clock_nanosleep(c, flags, left, &rem)) == EINTR) {
		if (!(flags & TIMER_ABSTIME)) {
			cur = rem;
			left = &cur;
		}
	}
	if (r)
		return -r;
	if (rem_addr && !(flags & TIMER_ABSTIME)) {
		memset(&rem, 0, sizeof rem);
		(void)mm_copy_out(t->mm, rem_addr, &rem, sizeof rem);
	}
	return 0;
}

DEFINE_SYSCALL(nanosleep, R_INT, A_PTR, A_PTR)
{
	struct timespec req;
	int r = read_timespec(t, a[0], &req);
	if (r)
		return r;
	return sleep_on(t, CLOCK_MONOTONIC, 0, &req, a[1]);
}

DEFINE_SYSCALL(clock_nanosleep, R_INT, A_INT, A_HEX, A_PTR, A_PTR)
{
	struct timespec req;
	clockid_t c;
	int clk = (int)a[0], r;
	if (clk == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	if (clk == CLOCK_PROCESS_CPUTIME_ID)
		return -ENOTSUP;
	if (host_clock(clk, &c))
		return -EINVAL;
	if (clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_REALTIME_COARSE ||
	    clk == CLOCK_MONOTONIC_COARSE)
		return -ENOTSUP;
	r = read_timespec(t, a[2], &req);
	if (r)
		return r;
	return sleep_on(t, c, (int)a[1] & TIMER_ABSTIME, &req, a[3]);
}
