/* time_test: clock_gettime, time, gettimeofday, clock_getres, nanosleep, clock_nanosleep. */
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* The raw syscall, so the sentry answers rather than a vDSO. */
static int64_t raw_now(clockid_t c)
{
	struct timespec ts;

	if (syscall(SYS_clock_gettime, c, &ts) != 0)
		return -1;
	return ns_of(&ts);
}

TEST(monotonic_non_decreasing)
{
	int64_t prev = raw_now(CLOCK_MONOTONIC);

	CHECK(prev > 0);
	for (int i = 0; i < 1000; i++) {
		struct timespec ts;
		int64_t now;
		if (i % 2) {
			now = raw_now(CLOCK_MONOTONIC);
		} else {
			CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &ts));
			now = ns_of(&ts);
			CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
		}
		CHECK(now >= prev);
		prev = now;
	}
	CHECK(raw_now(CLOCK_BOOTTIME) >= raw_now(CLOCK_MONOTONIC) - 1000000);
	CHECK(raw_now(CLOCK_MONOTONIC_COARSE) > 0);
	CHECK(raw_now(CLOCK_MONOTONIC_RAW) > 0);
	CHECK(raw_now(CLOCK_PROCESS_CPUTIME_ID) >= 0);
	CHECK(raw_now(CLOCK_THREAD_CPUTIME_ID) >= 0);
}

TEST(realtime_agrees)
{
	struct timespec ts;
	struct timeval tv;
	time_t t0, t1, traw;

	t0 = time(NULL);
	CHECK_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts));
	CHECK_OK(syscall(SYS_gettimeofday, &tv, NULL));
	traw = syscall(SYS_time, NULL);
	t1 = time(NULL);
	/* After 2020 and within a couple of seconds of each other. */
	CHECK(t0 > 1577836800);
	CHECK(ts.tv_sec >= t0 - 1 && ts.tv_sec <= t1 + 1);
	CHECK(tv.tv_sec >= t0 - 1 && tv.tv_sec <= t1 + 1);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	CHECK(traw >= t0 - 1 && traw <= t1 + 1);
	time_t out = 0;
	CHECK_EQ(syscall(SYS_time, &out), out);
	CHECK(out >= t0);
	CHECK(raw_now(CLOCK_REALTIME_COARSE) / 1000000000 >= t0 - 1);
	CHECK_OK(gettimeofday(&tv, NULL));
	CHECK(tv.tv_sec >= t0);
	CHECK_ERRNO(syscall(SYS_clock_gettime, CLOCK_REALTIME, (void *)1), EFAULT);
	CHECK_ERRNO(syscall(SYS_gettimeofday, (void *)1, NULL), EFAULT);
}

TEST(resolution)
{
	struct timespec res;

	CHECK_OK(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &res));
	CHECK_EQ(res.tv_sec, 0);
	CHECK(res.tv_nsec > 0 && res.tv_nsec <= 1000000);
	CHECK_OK(syscall(SYS_clock_getres, CLOCK_REALTIME, &res));
	CHECK(res.tv_nsec > 0 && res.tv_nsec <= 1000000);
	CHECK_OK(syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
	CHECK_OK(clock_getres(CLOCK_BOOTTIME, &res));
}

TEST(bad_clocks)
{
	struct timespec ts = {0, 0};

	CHECK_ERRNO(syscall(SYS_clock_gettime, 12345, &ts), EINVAL);
	CHECK_ERRNO(syscall(SYS_clock_gettime, -1, &ts), EINVAL);
	CHECK_ERRNO(syscall(SYS_clock_getres, 12345, &ts), EINVAL);
	CHECK_ERRNO(syscall(SYS_clock_nanosleep, 12345, 0, &ts, NULL), EINVAL);
}

TEST(nanosleep_duration)
{
	struct timespec req = {0, 10 * 1000 * 1000}, rem = {99, 99};
	int64_t t0 = raw_now(CLOCK_MONOTONIC);

	CHECK_OK(syscall(SYS_nanosleep, &req, &rem));
	int64_t slept = raw_now(CLOCK_MONOTONIC) - t0;
	CHECK(slept >= 10 * 1000 * 1000);
	CHECK(slept < 2000 * 1000 * 1000ll);
	/* A zero sleep returns at once. */
	req.tv_nsec = 0;
	CHECK_OK(nanosleep(&req, NULL));

	req.tv_nsec = 1000000000;
	CHECK_ERRNO(syscall(SYS_nanosleep, &req, NULL), EINVAL);
	req.tv_nsec = -1;
	CHECK_ERRNO(syscall(SYS_nanosleep, &req, NULL), EINVAL);
	req.tv_sec = -1;
	req.tv_nsec = 0;
	CHECK_ERRNO(syscall(SYS_nanosleep, &req, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_nanosleep, (void *)1, NULL), EFAULT);
}

TEST(clock_nanosleep_modes)
{
	struct timespec req = {0, 5 * 1000 * 1000}, abs;
	int64_t t0 = raw_now(CLOCK_MONOTONIC);

	CHECK_OK(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL));
	CHECK(raw_now(CLOCK_MONOTONIC) - t0 >= 5 * 1000 * 1000);

	/* Absolute: sleep until now + 10 ms. */
	CHECK_OK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &abs));
	int64_t target = ns_of(&abs) + 10 * 1000 * 1000;
	abs.tv_sec = target / 1000000000;
	abs.tv_nsec = target % 1000000000;
	CHECK_OK(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
	CHECK(raw_now(CLOCK_MONOTONIC) >= target);
	/* A time in the past returns at once. */
	abs.tv_sec = 1;
	abs.tv_nsec = 0;
	t0 = raw_now(CLOCK_MONOTONIC);
	CHECK_OK(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
	CHECK(raw_now(CLOCK_MONOTONIC) - t0 < 500 * 1000 * 1000);
	/* Realtime absolute sleeps work too. */
	CHECK_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &abs));
	target = ns_of(&abs) + 2 * 1000 * 1000;
	abs.tv_sec = target / 1000000000;
	abs.tv_nsec = target % 1000000000;
	CHECK_OK(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL));
	CHECK(raw_now(CLOCK_REALTIME) >= target);

	req.tv_nsec = 1000000000;
	CHECK_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL),
		    EINVAL);
	/* Sleeping on the thread's CPU clock: EINVAL on older kernels, ENOTSUP on newer. */
	req.tv_nsec = 1000;
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL), -1);
	CHECK(errno == EINVAL || errno == ENOTSUP);
	req.tv_nsec = 1000000000;
	/* glibc's wrapper returns the error instead of setting errno. */
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), EINVAL);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, monotonic_non_decreasing, realtime_agrees, resolution,
			 bad_clocks, nanosleep_duration, clock_nanosleep_modes);
}
