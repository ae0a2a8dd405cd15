/* timerfd: expiry counts over intervals, settime/gettime, absolute times
 * in the past, nonblocking reads, poll and epoll readiness, bad input. */
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>

#include "testlib.h"

#define MS 1000000L

TEST(intervals)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	CHECK(fd >= 0);
	struct itimerspec its = {.it_value = {0, 10 * MS}, .it_interval = {0, 10 * MS}};
	CHECK_OK(timerfd_settime(fd, 0, &its, NULL));
	usleep(45000);
	uint64_t n = 0;
	CHECK_EQ(read(fd, &n, 8), 8);
	CHECK(n >= 3);
	/* Blocking read waits for the next expiry. */
	CHECK_EQ(read(fd, &n, 8), 8);
	CHECK(n >= 1);
	close(fd);
}

TEST(settime_gettime)
{
	int fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	struct itimerspec cur, old;
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK_EQ(cur.it_value.tv_sec, 0);
	CHECK_EQ(cur.it_value.tv_nsec, 0);
	uint64_t n;
	CHECK_ERRNO(read(fd, &n, 8), EAGAIN);
	struct itimerspec its = {.it_value = {100, 0}, .it_interval = {2, 500}};
	CHECK_OK(timerfd_settime(fd, 0, &its, &old));
	CHECK_EQ(old.it_value.tv_sec, 0);
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK(cur.it_value.tv_sec >= 98 && cur.it_value.tv_sec <= 100);
	CHECK_EQ(cur.it_interval.tv_sec, 2);
	CHECK_EQ(cur.it_interval.tv_nsec, 500);
	CHECK_ERRNO(read(fd, &n, 8), EAGAIN);
	struct itimerspec zero = {0};
	CHECK_OK(timerfd_settime(fd, 0, &zero, &old));
	CHECK(old.it_value.tv_sec >= 98);
	CHECK_EQ(old.it_interval.tv_sec, 2);
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK_EQ(cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
	close(fd);
}

TEST(abstime_past)
{
	int fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
	CHECK(fd >= 0);
	struct timespec now;
	clock_gettime(CLOCK_BOOTTIME, &now);
	struct itimerspec its = {.it_value = {now.tv_sec - 1, 0}};
	CHECK_OK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	CHECK_EQ(poll(&p, 1, 0), 1);
	uint64_t n = 0;
	CHECK_EQ(read(fd, &n, 8), 8);
	CHECK_EQ(n, 1);
	CHECK_ERRNO(read(fd, &n, 8), EAGAIN);
	CHECK_EQ(poll(&p, 1, 0), 0);
	close(fd);
}

TEST(poll_wakes)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	CHECK(fd >= 0);
	struct itimerspec its = {.it_value = {0, 20 * MS}};
	CHECK_OK(timerfd_settime(fd, 0, &its, NULL));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK_EQ(p.revents, POLLIN);
	uint64_t n = 0;
	CHECK_EQ(read(fd, &n, 8), 8);
	CHECK_EQ(n, 1);
	int ep = epoll_create1(0);
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = 3};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e));
	CHECK_OK(timerfd_settime(fd, 0, &its, NULL));
	CHECK_EQ(epoll_wait(ep, &e, 1, 5000), 1);
	CHECK_EQ(e.data.u64, 3);
	close(ep);
	close(fd);
}

TEST(errors)
{
	CHECK_ERRNO(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
	CHECK_ERRNO(timerfd_create(CLOCK_MONOTONIC, 0x1234), EINVAL);
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec bad = {.it_value = {0, 1000000000L}};
	CHECK_ERRNO(timerfd_settime(fd, 0, &bad, NULL), EINVAL);
	struct itimerspec ok = {0};
	CHECK_ERRNO(timerfd_settime(fd, 0x80, &ok, NULL), EINVAL);
	CHECK_ERRNO(timerfd_settime(0, 0, &ok, NULL), EINVAL);
	CHECK_ERRNO(timerfd_settime(999, 0, &ok, NULL), EBADF);
	uint64_t n;
	CHECK_ERRNO(read(fd, &n, 4), EINVAL);
	close(fd);
}

#ifndef TFD_TIMER_CANCEL_ON_SET
#define TFD_TIMER_CANCEL_ON_SET (1 << 1)
#endif

/* TFD_TIMER_CANCEL_ON_SET is accepted with any clock and mode (it only
 * acts on absolute CLOCK_REALTIME timers); such a timer still expires. */
TEST(cancel_on_set)
{
	struct itimerspec far = {.it_value = {100000, 0}}, cur;
	int m = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
	CHECK_OK(timerfd_settime(m, TFD_TIMER_CANCEL_ON_SET, &far, NULL));
	CHECK_OK(timerfd_settime(m, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &far, NULL));
	CHECK_ERRNO(timerfd_settime(m, TFD_TIMER_CANCEL_ON_SET | 4, &far, NULL), EINVAL);
	close(m);
	int r = CHECK_OK(timerfd_create(CLOCK_REALTIME, 0));
	CHECK_OK(timerfd_settime(r, TFD_TIMER_CANCEL_ON_SET, &far, NULL));
	struct timespec now;
	CHECK_OK(clock_gettime(CLOCK_REALTIME, &now));
	struct itimerspec soon = {.it_value = {now.tv_sec, now.tv_nsec}};
	soon.it_value.tv_nsec += 20000000;
	if (soon.it_value.tv_nsec >= 1000000000L) {
		soon.it_value.tv_sec++;
		soon.it_value.tv_nsec -= 1000000000L;
	}
	CHECK_OK(timerfd_settime(r, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &soon, NULL));
	CHECK_OK(timerfd_gettime(r, &cur));
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 20000000);
	uint64_t n = 0;
	CHECK_EQ(read(r, &n, sizeof n), (ssize_t)sizeof n);
	CHECK_EQ(n, 1);
	close(r);
}

int main(int argc, char **argv)
{
	RUN_TESTS(argc, argv, intervals, settime_gettime, abstime_past, poll_wakes, errors,
		  cancel_on_set);
}
