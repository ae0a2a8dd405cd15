/* timer_test: alarm, setitimer/getitimer, POSIX timers (timer_create and
 * friends), times, getrusage. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t tv_ns(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * 1000000000 + (int64_t)tv->tv_usec * 1000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Burns CPU in application code for ms of wall time (a syscall only every
 * few million iterations, so the time is user time). */
static void spin_ms(int ms)
{
	volatile uint64_t x = 0;
	int64_t end = mono_ns() + (int64_t)ms * 1000000;
	while (mono_ns() < end)
		for (int i = 0; i < 2000000; i++)
			x += (uint64_t)i;
}

static volatile sig_atomic_t hits;
static volatile int last_code, last_overrun, last_timerid, last_tid;
static volatile uint64_t last_value;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	hits++;
	last_code = si->si_code;
	last_overrun = si->si_overrun;
	last_timerid = si->si_timerid;
	last_value = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
	last_tid = (int)syscall(SYS_gettid);
}

static void handle(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(sig, &sa, NULL));
	hits = 0;
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	CHECK_OK(sigprocmask(how, &s, NULL));
}

/* Waits for hits to reach n: the signal is blocked outside sigsuspend, so
 * none is lost between the check and the wait.  (A lost signal hangs the
 * test; the runner's timeout reports it.) */
static void wait_hits(int n)
{
	sigset_t none;
	sigemptyset(&none);
	while (hits < n)
		sigsuspend(&none);
}

static int timer_new(clockid_t clock, int notify, int sig, uint64_t value, int tid)
{
	struct sigevent sev;
	int id = -1;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = notify;
	sev.sigev_signo = sig;
	sev.sigev_value.sival_ptr = (void *)(uintptr_t)value;
	sev._sigev_un._tid = tid;
	if (syscall(SYS_timer_create, clock, &sev, &id) != 0)
		return -1;
	return id;
}

static long timer_set(int id, int flags, int64_t value_ns, int64_t interval_ns,
		      struct itimerspec *old)
{
	struct itimerspec s = {{interval_ns / 1000000000, interval_ns % 1000000000},
			       {value_ns / 1000000000, value_ns % 1000000000}};
	return syscall(SYS_timer_settime, id, flags, &s, old);
}

TEST(alarm_fires_once)
{
	handle(SIGALRM);
	block(SIGALRM, SIG_BLOCK);
	CHECK_EQ(alarm(5), 0);
	/* The previous alarm's remaining seconds, rounded. */
	CHECK_EQ(alarm(1), 5);
	int64_t t0 = mono_ns();
	wait_hits(1);
	CHECK_EQ(hits, 1);
	CHECK(mono_ns() - t0 >= 900 * 1000000LL);
	CHECK_EQ(last_code, SI_KERNEL);
	/* Nothing left: no second delivery, alarm(0) reports 0. */
	sleep_ms(50);
	sigset_t p;
	CHECK_OK(sigpending(&p));
	CHECK(!sigismember(&p, SIGALRM));
	CHECK_EQ(alarm(0), 0);
	/* alarm(0) cancels. */
	CHECK_EQ(alarm(3), 0);
	CHECK_EQ(alarm(0), 3);
	CHECK_EQ(alarm(0), 0);
	block(SIGALRM, SIG_UNBLOCK);
}

TEST(itimer_real_interval)
{
	struct itimerval v = {{0, 50000}, {0, 50000}}, cur, old;
	handle(SIGALRM);
	block(SIGALRM, SIG_BLOCK);
	int64_t t0 = mono_ns();
	CHECK_OK(setitimer(ITIMER_REAL, &v, NULL));
	CHECK_OK(getitimer(ITIMER_REAL, &cur));
	CHECK_EQ(tv_ns(&cur.it_interval), 50000000);
	CHECK(tv_ns(&cur.it_value) > 0 && tv_ns(&cur.it_value) <= 50000000);
	wait_hits(3);
	CHECK(hits >= 3);
	CHECK(mono_ns() - t0 >= 140 * 1000000LL);
	memset(&v, 0, sizeof v);
	CHECK_OK(setitimer(ITIMER_REAL, &v, &old));
	CHECK_EQ(tv_ns(&old.it_interval), 50000000);
	CHECK(tv_ns(&old.it_value) > 0 && tv_ns(&old.it_value) <= 50000000);
	CHECK_OK(getitimer(ITIMER_REAL, &cur));
	CHECK_EQ(tv_ns(&cur.it_value), 0);
	CHECK_EQ(tv_ns(&cur.it_interval), 0);
	/* Drain a signal that raced with the disarm. */
	struct timespec zero = {0, 0};
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	sigtimedwait(&s, NULL, &zero);
	block(SIGALRM, SIG_UNBLOCK);
}

TEST(getitimer_decreases)
{
	struct itimerval v = {{0, 0}, {10, 0}}, a, b, old;
	CHECK_OK(setitimer(ITIMER_REAL, &v, NULL));
	CHECK_OK(getitimer(ITIMER_REAL, &a));
	sleep_ms(20);
	CHECK_OK(getitimer(ITIMER_REAL, &b));
	CHECK(tv_ns(&a.it_value) <= 10 * 1000000000LL);
	CHECK(tv_ns(&a.it_value) > 9 * 1000000000LL);
	CHECK(tv_ns(&b.it_value) <= tv_ns(&a.it_value) - 20000000);
	CHECK_EQ(tv_ns(&b.it_interval), 0);
	memset(&v, 0, sizeof v);
	CHECK_OK(setitimer(ITIMER_REAL, &v, &old));
	CHECK(tv_ns(&old.it_value) > 0 && tv_ns(&old.it_value) <= tv_ns(&b.it_value));
	CHECK_EQ(alarm(0), 0);
	/* VIRTUAL and PROF keep what was set while nothing runs down. */
	struct itimerval pv = {{1, 0}, {100, 0}};
	CHECK_OK(setitimer(ITIMER_PROF, &pv, NULL));
	CHECK_OK(getitimer(ITIMER_PROF, &a));
	CHECK_EQ(tv_ns(&a.it_interval), 1000000000);
	/* Linux adds a tick to CPU itimer values. */
	CHECK(tv_ns(&a.it_value) > 90 * 1000000000LL && tv_ns(&a.it_value) <= 101 * 1000000000LL);
	memset(&pv, 0, sizeof pv);
	CHECK_OK(setitimer(ITIMER_PROF, &pv, NULL));
	CHECK_OK(getitimer(ITIMER_PROF, &a));
	CHECK_EQ(tv_ns(&a.it_value), 0);
}

TEST(itimer_errors)
{
	struct itimerval v = {{0, 0}, {0, 1000000}}, cur;
	CHECK_ERRNO(setitimer(5, &v, NULL), EINVAL);
	CHECK_ERRNO(getitimer(-1, &cur), EINVAL);
	CHECK_ERRNO(syscall(SYS_getitimer, ITIMER_REAL, (void *)1), EFAULT);
	CHECK_ERRNO(syscall(SYS_setitimer, ITIMER_REAL, (void *)1, NULL), EFAULT);
	v.it_value.tv_usec = -1;
	CHECK_ERRNO(setitimer(ITIMER_REAL, &v, NULL), EINVAL);
	v.it_value.tv_usec = 1000000;
	CHECK_ERRNO(setitimer(ITIMER_REAL, &v, NULL), EINVAL);
	v.it_value.tv_usec = 0;
	v.it_interval.tv_sec = -1;
	CHECK_ERRNO(setitimer(ITIMER_REAL, &v, NULL), EINVAL);
}

TEST(itimer_virtual_and_prof)
{
	struct itimerval v = {{0, 0}, {0, 20000}};
	handle(SIGVTALRM);
	CHECK_OK(setitimer(ITIMER_VIRTUAL, &v, NULL));
	for (int i = 0; i < 100 && !hits; i++)
		spin_ms(20);
	CHECK_EQ(hits, 1);
	handle(SIGPROF);
	CHECK_OK(setitimer(ITIMER_PROF, &v, NULL));
	for (int i = 0; i < 100 && !hits; i++)
		spin_ms(20);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_code, SI_KERNEL);
	struct itimerval cur;
	CHECK_OK(getitimer(ITIMER_PROF, &cur));
	CHECK_EQ(tv_ns(&cur.it_value), 0);
}

TEST(posix_timer_signal_info)
{
	int sig = SIGRTMIN + 1;
	handle(sig);
	block(sig, SIG_BLOCK);
	int id = timer_new(CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 0x1234abcd, 0);
	CHECK(id >= 0);
	CHECK_OK(timer_set(id, 0, 10000000, 0, NULL));
	wait_hits(1);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_code, SI_TIMER);
	CHECK_EQ(last_value, 0x1234abcd);
	CHECK_EQ(last_timerid, id);
	CHECK_EQ(last_overrun, 0);
	/* A one-shot timer that fired reads as disarmed. */
	struct itimerspec cur;
	CHECK_OK(syscall(SYS_timer_gettime, id, &cur));
	CHECK_EQ(cur.it_value.tv_sec, 0);
	CHECK_EQ(cur.it_value.tv_nsec, 0);
	CHECK_OK(syscall(SYS_timer_delete, id));
	block(sig, SIG_UNBLOCK);
}

TEST(posix_timer_default_event)
{
	int id = -1;
	siginfo_t si;
	sigset_t s;
	struct timespec limit = {5, 0};

	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	block(SIGALRM, SIG_BLOCK);
	/* No sigevent: SIGALRM to the process, the timer id as the value. */
	CHECK_OK(syscall(SYS_timer_create, CLOCK_REALTIME, NULL, &id));
	CHECK(id >= 0);
	CHECK_OK(timer_set(id, 0, 1000000, 0, NULL));
	CHECK_EQ(sigtimedwait(&s, &si, &limit), SIGALRM);
	CHECK_EQ(si.si_code, SI_TIMER);
	CHECK_EQ(si.si_value.sival_int, id);
	CHECK_OK(syscall(SYS_timer_delete, id));
	block(SIGALRM, SIG_UNBLOCK);
}

struct waiter_arg {
	int sig;
	int tid;
	int got;       /* signal taken by sigtimedwait, or -errno */
	int code;
	volatile int ready;
};

static void *thread_wait(void *p)
{
	struct waiter_arg *w = p;
	sigset_t s;
	siginfo_t si;
	struct timespec limit = {5, 0};
	sigemptyset(&s);
	sigaddset(&s, w->sig);
	w->tid = (int)syscall(SYS_gettid);
	__atomic_store_n(&w->ready, 1, __ATOMIC_SEQ_CST);
	int r = sigtimedwait(&s, &si, &limit);
	w->got = r < 0 ? -errno : r;
	w->code = si.si_code;
	return NULL;
}

TEST(posix_timer_thread_id)
{
	int sig = SIGRTMIN + 2;
	struct waiter_arg w = {.sig = sig};
	pthread_t th;
	sigset_t s;
	siginfo_t si;
	struct timespec short_wait = {0, 100 * 1000000};

	sigemptyset(&s);
	sigaddset(&s, sig);
	block(sig, SIG_BLOCK); /* the thread inherits the mask */
	CHECK_EQ(pthread_create(&th, NULL, thread_wait, &w), 0);
	while (!__atomic_load_n(&w.ready, __ATOMIC_SEQ_CST))
		sched_yield();
	/* Aimed at the new thread: the main thread does not see it. */
	int id = timer_new(CLOCK_MONOTONIC, SIGEV_THREAD_ID, sig, 7, w.tid);
	CHECK(id >= 0);
	CHECK_OK(timer_set(id, 0, 5000000, 0, NULL));
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(w.got, sig);
	CHECK_EQ(w.code, SI_TIMER);
	CHECK_ERRNO(sigtimedwait(&s, &si, &short_wait), EAGAIN);
	CHECK_OK(syscall(SYS_timer_delete, id));

	/* Aimed at the main thread. */
	id = timer_new(CLOCK_MONOTONIC, SIGEV_THREAD_ID, sig, 8, (int)syscall(SYS_gettid));
	CHECK(id >= 0);
	CHECK_OK(timer_set(id, 0, 1000000, 0, NULL));
	struct timespec limit = {5, 0};
	CHECK_EQ(sigtimedwait(&s, &si, &limit), sig);
	CHECK_EQ(si.si_code, SI_TIMER);
	CHECK_EQ(si.si_value.sival_int, 8);
	CHECK_OK(syscall(SYS_timer_delete, id));

	/* The thread has exited (and a tid outside the process is refused). */
	CHECK_EQ(timer_new(CLOCK_MONOTONIC, SIGEV_THREAD_ID, sig, 0, w.tid), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(timer_new(CLOCK_MONOTONIC, SIGEV_THREAD_ID, sig, 0, 0x3ffffff0), -1);
	CHECK_EQ(errno, EINVAL);
	block(sig, SIG_UNBLOCK);
}

TEST(posix_timer_overrun)
{
	int sig = SIGRTMIN + 3;
	sigset_t s;
	siginfo_t si;
	struct timespec limit = {5, 0};

	sigemptyset(&s);
	sigaddset(&s, sig);
	block(sig, SIG_BLOCK);
	int id = timer_new(CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 0, 0);
	CHECK(id >= 0);
	CHECK_OK(timer_set(id, 0, 5000000, 5000000, NULL));
	/* About 20 expirations while the first signal stays pending. */
	sleep_ms(100);
	CHECK_EQ(sigtimedwait(&s, &si, &limit), sig);
	CHECK_EQ(si.si_code, SI_TIMER);
	CHECK(si.si_overrun >= 5);
	/* timer_getoverrun reports the delivered signal's count. */
	CHECK_EQ(syscall(SYS_timer_getoverrun, id), si.si_overrun);
	struct itimerspec cur;
	CHECK_OK(syscall(SYS_timer_gettime, id, &cur));
	CHECK_EQ(cur.it_interval.tv_nsec, 5000000);
	CHECK(cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 5000000);
	CHECK_OK(syscall(SYS_timer_delete, id));
	struct timespec zero = {0, 0};
	sigtimedwait(&s, &si, &zero);
	block(sig, SIG_UNBLOCK);
}

TEST(posix_timer_abstime_past)
{
	int sig = SIGRTMIN + 4;
	sigset_t s;
	siginfo_t si;
	struct timespec limit = {5, 0};
	struct itimerspec old;

	sigemptyset(&s);
	sigaddset(&s, sig);
	block(sig, SIG_BLOCK);
	int id = timer_new(CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 5, 0);
	CHECK(id >= 0);
	/* One second after boot is long past: it fires at once. */
	int64_t t0 = mono_ns();
	CHECK_OK(timer_set(id, TIMER_ABSTIME, 1000000000, 0, &old));
	CHECK_EQ(old.it_value.tv_sec, 0);
	CHECK_EQ(old.it_value.tv_nsec, 0);
	CHECK_EQ(sigtimedwait(&s, &si, &limit), sig);
	CHECK(mono_ns() - t0 < 4000000000LL);
	CHECK_EQ(si.si_value.sival_int, 5);
	/* An absolute time ahead is reported relative. */
	CHECK_OK(timer_set(id, TIMER_ABSTIME, mono_ns() + 30 * 1000000000LL, 0, NULL));
	struct itimerspec cur;
	CHECK_OK(syscall(SYS_timer_gettime, id, &cur));
	CHECK(cur.it_value.tv_sec >= 28 && cur.it_value.tv_sec <= 30);
	/* The old value comes back when disarming. */
	CHECK_OK(timer_set(id, 0, 0, 0, &old));
	CHECK(old.it_value.tv_sec >= 28 && old.it_value.tv_sec <= 30);
	CHECK_OK(syscall(SYS_timer_gettime, id, &cur));
	CHECK_EQ(cur.it_value.tv_sec, 0);
	CHECK_OK(syscall(SYS_timer_delete, id));
	block(sig, SIG_UNBLOCK);
}

TEST(posix_timer_delete_stops)
{
	int sig = SIGRTMIN + 5;
	sigset_t s, p;
	siginfo_t si;
	struct timespec limit = {5, 0}, zero = {0, 0};

	sigemptyset(&s);
	sigaddset(&s, sig);
	block(sig, SIG_BLOCK);
	int id = timer_new(CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 0, 0);
	CHECK(id >= 0);
	CHECK_OK(timer_set(id, 0, 2000000, 2000000, NULL));
	CHECK_EQ(sigtimedwait(&s, &si, &limit), sig);
	CHECK_OK(syscall(SYS_timer_delete, id));
	sigtimedwait(&s, &si, &zero); /* one may have come before the delete */
	sleep_ms(30);
	CHECK_OK(sigpending(&p));
	CHECK(!sigismember(&p, sig));
	struct itimerspec cur;
	CHECK_ERRNO(syscall(SYS_timer_gettime, id, &cur), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_delete, id), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_getoverrun, id), EINVAL);
	block(sig, SIG_UNBLOCK);
}

TEST(posix_timer_sigev_none)
{
	int id = timer_new(CLOCK_REALTIME, SIGEV_NONE, 0, 0, 0);
	CHECK(id >= 0);
	CHECK_OK(timer_set(id, 0, 10 * 1000000000LL, 1000000000, NULL));
	struct itimerspec cur;
	CHECK_OK(syscall(SYS_timer_gettime, id, &cur));
	CHECK(cur.it_value.tv_sec >= 8 && cur.it_value.tv_sec <= 10);
	CHECK_EQ(cur.it_interval.tv_sec, 1);
	CHECK_OK(syscall(SYS_timer_delete, id));
}

TEST(posix_timer_cpu_clock)
{
	int sig = SIGRTMIN + 6;
	handle(sig);
	int id = timer_new(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, sig, 9, 0);
	CHECK(id >= 0);
	CHECK_OK(timer_set(id, 0, 20000000, 0, NULL));
	for (int i = 0; i < 100 && !hits; i++)
		spin_ms(20);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_code, SI_TIMER);
	CHECK_EQ(last_value, 9);
	CHECK_OK(syscall(SYS_timer_delete, id));
	id = timer_new(CLOCK_THREAD_CPUTIME_ID, SIGEV_NONE, 0, 0, 0);
	CHECK(id >= 0);
	CHECK_OK(syscall(SYS_timer_delete, id));
}

TEST(posix_timer_errors)
{
	int id = 0;
	struct sigevent sev;
	struct itimerspec v;

	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	CHECK_ERRNO(syscall(SYS_timer_create, 12345, &sev, &id), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_create, CLOCK_MONOTONIC, (void *)1, &id), EFAULT);
	sev.sigev_notify = 99;
	CHECK_ERRNO(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id), EINVAL);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = 0;
	CHECK_ERRNO(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id), EINVAL);
	sev.sigev_signo = 65;
	CHECK_ERRNO(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id), EINVAL);

	id = timer_new(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0);
	CHECK(id >= 0);
	memset(&v, 0, sizeof v);
	v.it_value.tv_nsec = 1000000000;
	CHECK_ERRNO(syscall(SYS_timer_settime, id, 0, &v, NULL), EINVAL);
	v.it_value.tv_nsec = 0;
	v.it_interval.tv_sec = -1;
	CHECK_ERRNO(syscall(SYS_timer_settime, id, 0, &v, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_settime, id, 0, NULL, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_settime, id, 0, (void *)1, NULL), EFAULT);
	CHECK_ERRNO(syscall(SYS_timer_gettime, id, (void *)1), EFAULT);
	memset(&v, 0, sizeof v);
	CHECK_ERRNO(syscall(SYS_timer_settime, id + 1000, 0, &v, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_gettime, -1, &v), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_getoverrun, id + 1000), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_delete, id + 1000), EINVAL);
	CHECK_EQ(syscall(SYS_timer_getoverrun, id), 0);
	CHECK_OK(syscall(SYS_timer_delete, id));
}

TEST(times_and_rusage)
{
	struct tms a, b;
	struct rusage r0, r1, rt;
	clock_t c0 = times(&a);

	CHECK(c0 != (clock_t)-1 && c0 > 0);
	CHECK_OK(getrusage(RUSAGE_SELF, &r0));
	spin_ms(300);
	clock_t c1 = times(&b);
	CHECK(c1 >= c0 + 25);
	CHECK_OK(getrusage(RUSAGE_SELF, &r1));
	CHECK_OK(getrusage(RUSAGE_THREAD, &rt));
	/* Most of 300 ms of spinning is user time. */
	CHECK(b.tms_utime - a.tms_utime >= 10);
	CHECK(tv_ns(&r1.ru_utime) - tv_ns(&r0.ru_utime) >= 100000000);
	CHECK(tv_ns(&rt.ru_utime) >= 100000000);
	CHECK(tv_ns(&rt.ru_utime) <= tv_ns(&r1.ru_utime) + 20000000);
	CHECK(r1.ru_stime.tv_usec >= 0 && r1.ru_stime.tv_usec < 1000000);
	CHECK_ERRNO(getrusage(5, &r0), EINVAL);
	CHECK_ERRNO(syscall(SYS_getrusage, RUSAGE_SELF, (void *)1), EFAULT);
	CHECK_ERRNO(syscall(SYS_times, (void *)1), EFAULT);
	CHECK(syscall(SYS_times, NULL) >= c1);
}

TEST(rusage_children)
{
	struct rusage c0, c1;
	struct tms t;
	int status;

	CHECK_OK(getrusage(RUSAGE_CHILDREN, &c0));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		spin_ms(200);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK_OK(getrusage(RUSAGE_CHILDREN, &c1));
	CHECK(tv_ns(&c1.ru_utime) - tv_ns(&c0.ru_utime) >= 50000000);
	times(&t);
	CHECK(t.tms_cutime >= 5);
}

TEST(fork_child_has_no_alarm)
{
	int status;
	CHECK_EQ(alarm(100), 0);
	pid_t pid = CHECK_OK(fork());
	if (pid == 0)
		_exit(alarm(0) == 0 ? 0 : 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK(alarm(0) >= 99);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, alarm_fires_once, itimer_real_interval, getitimer_decreases,
			 itimer_errors, itimer_virtual_and_prof, posix_timer_signal_info,
			 posix_timer_default_event, posix_timer_thread_id, posix_timer_overrun,
			 posix_timer_abstime_past, posix_timer_delete_stops, posix_timer_sigev_none,
			 posix_timer_cpu_clock, posix_timer_errors, times_and_rusage,
			 rusage_children, fork_child_has_no_alarm);
}
