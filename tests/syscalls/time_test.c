/* time_test: clock_gettime (wall and CPU clocks), time, gettimeofday, clock_getres,
 * nanosleep and clock_nanosleep (durations, interruption, restart). */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
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

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* SIGALRM after ms, with a handler installed with flags. */
static void alarm_in(int ms, int flags)
{
	struct sigaction sa;
	struct itimerval v = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(SIGALRM, &sa, NULL));
	alarms = 0;
	CHECK_OK(setitimer(ITIMER_REAL, &v, NULL));
}

TEST(nanosleep_interrupted)
{
	/* A handler ends the sleep with EINTR and the time left, with or
	 * without SA_RESTART (signal(7): nanosleep is never restarted
	 * after a handler). */
	int flags[] = {0, SA_RESTART};
	for (int i = 0; i < 2; i++) {
		struct timespec req = {5, 0}, rem = {0, 0};
		int64_t t0 = raw_now(CLOCK_MONOTONIC);
		alarm_in(50, flags[i]);
		CHECK_ERRNO(syscall(SYS_nanosleep, &req, &rem), EINTR);
		CHECK_EQ(alarms, 1);
		CHECK(raw_now(CLOCK_MONOTONIC) - t0 >= 40 * 1000000);
		CHECK(ns_of(&rem) > 0 && ns_of(&rem) < 5 * 1000000000LL);
		/* rem is what was left: at least the 40 ms before the alarm
		 * were slept (a bound that holds however late we run after). */
		CHECK(ns_of(&rem) <= 5 * 1000000000LL - 40 * 1000000);
	}
	/* clock_nanosleep too; a NULL rem is fine. */
	struct timespec req = {5, 0};
	alarm_in(30, SA_RESTART);
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), EINTR);
	CHECK_EQ(alarms, 1);
	/* An absolute sleep returns EINTR and leaves rem alone. */
	struct timespec abs, rem = {77, 77};
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_sec += 5;
	alarm_in(30, 0);
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, &rem), EINTR);
	CHECK_EQ(rem.tv_sec, 77);
	CHECK_EQ(rem.tv_nsec, 77);
	signal(SIGALRM, SIG_DFL);
}

TEST(nanosleep_ignored_signal_no_eintr)
{
	/* A signal that runs no handler (ignored) does not end the sleep. */
	struct timespec req = {0, 150 * 1000000}, rem = {0, 0};
	struct itimerval v = {{0, 0}, {0, 30000}};
	signal(SIGALRM, SIG_IGN);
	CHECK_OK(setitimer(ITIMER_REAL, &v, NULL));
	int64_t t0 = raw_now(CLOCK_MONOTONIC);
	CHECK_OK(syscall(SYS_nanosleep, &req, &rem));
	CHECK(raw_now(CLOCK_MONOTONIC) - t0 >= 150 * 1000000);
	signal(SIGALRM, SIG_DFL);
}

TEST(nanosleep_restarts_after_stop)
{
	int fds[2], status;
	char c;

	/* A stopped and continued sleeper resumes its sleep transparently:
	 * the whole 300 ms pass and it returns 0. */
	CHECK_OK(pipe(fds));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		struct timespec req = {0, 300 * 1000000}, rem;
		close(fds[0]);
		int64_t t0 = raw_now(CLOCK_MONOTONIC);
		if (write(fds[1], "x", 1) != 1)
			_exit(3);
		long r = syscall(SYS_nanosleep, &req, &rem);
		if (r != 0)
			_exit(1);
		_exit(raw_now(CLOCK_MONOTONIC) - t0 >= 300 * 1000000 ? 0 : 2);
	}
	close(fds[1]);
	CHECK_EQ(read(fds[0], &c, 1), 1);
	close(fds[0]);
	struct timespec pause = {0, 50 * 1000000};
	nanosleep(&pause, NULL);
	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &status, WUNTRACED), pid);
	CHECK(WIFSTOPPED(status));
	nanosleep(&pause, NULL);
	CHECK_OK(kill(pid, SIGCONT));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

/* Burns ms of this process's CPU time (not wall time: on a busy machine
 * 200 ms of wall clock may be only a few ms on the CPU), giving up after
 * 30 s of wall clock. */
static void spin_cpu_ms(int ms)
{
	volatile uint64_t x = 0;
	int64_t end = raw_now(CLOCK_PROCESS_CPUTIME_ID) + (int64_t)ms * 1000000;
	int64_t give_up = raw_now(CLOCK_MONOTONIC) + 30 * 1000000000LL;
	while (raw_now(CLOCK_PROCESS_CPUTIME_ID) < end && raw_now(CLOCK_MONOTONIC) < give_up)
		for (int i = 0; i < 200000; i++)
			x += (uint64_t)i;
}

TEST(cpu_clocks)
{
	clockid_t pc, tc;
	struct timespec res;

	int64_t p0 = raw_now(CLOCK_PROCESS_CPUTIME_ID), t0 = raw_now(CLOCK_THREAD_CPUTIME_ID);
	spin_cpu_ms(100);
	int64_t p1 = raw_now(CLOCK_PROCESS_CPUTIME_ID), t1 = raw_now(CLOCK_THREAD_CPUTIME_ID);
	CHECK(p1 - p0 >= 50 * 1000000);
	CHECK(t1 - t0 >= 50 * 1000000);
	/* One thread: its clock cannot be ahead of the process's. */
	CHECK(t1 <= p1 + 1000000);
	/* The encoded clocks of clock_getcpuclockid and pthread_getcpuclockid. */
	CHECK_EQ(clock_getcpuclockid(0, &pc), 0);
	CHECK(raw_now(pc) >= p1);
	CHECK_EQ(clock_getcpuclockid(getpid(), &pc), 0);
	CHECK(raw_now(pc) >= p1);
	CHECK_EQ(pthread_getcpuclockid(pthread_self(), &tc), 0);
	CHECK(raw_now(tc) >= t1);
	CHECK_OK(syscall(SYS_clock_getres, CLOCK_PROCESS_CPUTIME_ID, &res));
	CHECK(res.tv_sec == 0 && res.tv_nsec > 0);
	/* A process that does not exist. */
	struct timespec ts;
	CHECK_ERRNO(syscall(SYS_clock_gettime, ~0x3ffff0 * 8 | 2, &ts), EINVAL);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, monotonic_non_decreasing, realtime_agrees, resolution,
			 bad_clocks, nanosleep_duration, clock_nanosleep_modes, nanosleep_interrupted,
			 nanosleep_ignored_signal_no_eintr, nanosleep_restarts_after_stop, cpu_clocks);
}
