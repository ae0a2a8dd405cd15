/* sched_test: scheduling policies and parameters, priority ranges, RR
 * interval, CPU affinity, getcpu, getpriority/setpriority, sched_yield. */
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define NO_PID 0x3ffff0 /* no such process */

static void set_policy(int policy, int prio)
{
	struct sched_param p = {.sched_priority = prio};
	CHECK_OK(sched_setscheduler(0, policy, &p));
	CHECK_EQ(sched_getscheduler(0), policy);
	CHECK_OK(sched_getparam(0, &p));
	CHECK_EQ(p.sched_priority, prio);
}

TEST(policy_round_trip)
{
	struct sched_param p;
	struct timespec ts;

	CHECK_EQ(sched_getscheduler(0), SCHED_OTHER);
	CHECK_OK(sched_getparam(0, &p));
	CHECK_EQ(p.sched_priority, 0);
	set_policy(SCHED_FIFO, 10);
	CHECK_OK(sched_rr_get_interval(0, &ts));
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 0);
	p.sched_priority = 20;
	CHECK_OK(sched_setparam(0, &p));
	CHECK_OK(sched_getparam(getpid(), &p));
	CHECK_EQ(p.sched_priority, 20);
	CHECK_EQ(sched_getscheduler(getpid()), SCHED_FIFO);
	set_policy(SCHED_RR, 5);
	CHECK_OK(sched_rr_get_interval(0, &ts));
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 100 * 1000000);
	/* The priority must fit the policy. */
	p.sched_priority = 0;
	CHECK_ERRNO(sched_setparam(0, &p), EINVAL);
	set_policy(SCHED_BATCH, 0);
	set_policy(SCHED_IDLE, 0);
	set_policy(SCHED_OTHER, 0);
}

TEST(reset_on_fork)
{
	struct sched_param p = {.sched_priority = 3};
	int status;

	CHECK_OK(sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &p));
	CHECK_EQ(sched_getscheduler(0), SCHED_FIFO | SCHED_RESET_ON_FORK);
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		struct sched_param c;
		int ok = sched_getscheduler(0) == SCHED_OTHER && sched_getparam(0, &c) == 0 &&
			 c.sched_priority == 0;
		_exit(ok ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	p.sched_priority = 0;
	CHECK_OK(sched_setscheduler(0, SCHED_OTHER, &p));
	CHECK_EQ(sched_getscheduler(0), SCHED_OTHER);
}

TEST(sched_errors)
{
	struct sched_param p = {.sched_priority = 1};
	struct timespec ts;

	CHECK_ERRNO(sched_setscheduler(0, SCHED_OTHER, &p), EINVAL);
	p.sched_priority = 0;
	CHECK_ERRNO(sched_setscheduler(0, SCHED_FIFO, &p), EINVAL);
	p.sched_priority = 100;
	CHECK_ERRNO(sched_setscheduler(0, SCHED_RR, &p), EINVAL);
	p.sched_priority = 0;
	CHECK_ERRNO(sched_setscheduler(0, 12345, &p), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_setscheduler, 0, -1, &p), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_setscheduler, -1, SCHED_OTHER, &p), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, (void *)1), EFAULT);
	CHECK_ERRNO(syscall(SYS_sched_setscheduler, NO_PID, SCHED_OTHER, &p), ESRCH);
	CHECK_ERRNO(syscall(SYS_sched_setparam, NO_PID, &p), ESRCH);
	CHECK_ERRNO(syscall(SYS_sched_getscheduler, -1), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_getscheduler, NO_PID), ESRCH);
	CHECK_ERRNO(syscall(SYS_sched_getparam, 0, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_getparam, -1, &p), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_getparam, NO_PID, &p), ESRCH);
	CHECK_ERRNO(syscall(SYS_sched_getparam, 0, (void *)1), EFAULT);
	CHECK_ERRNO(syscall(SYS_sched_rr_get_interval, -1, &ts), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_rr_get_interval, NO_PID, &ts), ESRCH);
	CHECK_ERRNO(syscall(SYS_sched_rr_get_interval, 0, (void *)1), EFAULT);
}

TEST(priority_ranges)
{
	CHECK_EQ(sched_get_priority_max(SCHED_FIFO), 99);
	CHECK_EQ(sched_get_priority_min(SCHED_FIFO), 1);
	CHECK_EQ(sched_get_priority_max(SCHED_RR), 99);
	CHECK_EQ(sched_get_priority_min(SCHED_RR), 1);
	CHECK_EQ(sched_get_priority_max(SCHED_OTHER), 0);
	CHECK_EQ(sched_get_priority_min(SCHED_OTHER), 0);
	CHECK_EQ(sched_get_priority_max(SCHED_BATCH), 0);
	CHECK_EQ(sched_get_priority_min(SCHED_IDLE), 0);
	CHECK_ERRNO(sched_get_priority_max(12345), EINVAL);
	CHECK_ERRNO(sched_get_priority_min(-1), EINVAL);
}

struct thread_arg {
	volatile int tid;
	volatile int done;
};

static void *idle_thread(void *p)
{
	struct thread_arg *a = p;
	a->tid = (int)syscall(SYS_gettid);
	while (!__atomic_load_n(&a->done, __ATOMIC_SEQ_CST))
		usleep(1000);
	return NULL;
}

TEST(affinity)
{
	cpu_set_t all, one, got;
	int n = get_nprocs();

	CHECK_OK(sched_getaffinity(0, sizeof all, &all));
	CHECK_EQ(CPU_COUNT(&all), n);
	/* The raw call returns the kernel mask's size: whole longs. */
	long sz = syscall(SYS_sched_getaffinity, 0, sizeof got, &got);
	CHECK(sz >= (long)sizeof(long) && sz <= (long)sizeof got && sz % sizeof(long) == 0);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	CHECK_OK(sched_setaffinity(0, sizeof one, &one));
	CHECK_OK(sched_getaffinity(0, sizeof got, &got));
	CHECK_EQ(CPU_COUNT(&got), 1);
	CHECK(CPU_ISSET(0, &got));
	unsigned cpu = 99, node = 99;
	CHECK_OK(syscall(SYS_getcpu, &cpu, &node, NULL));
	CHECK_EQ(cpu, 0);
	CHECK_EQ(node, 0);
	CHECK_OK(sched_setaffinity(0, sizeof all, &all));

	/* Per thread: a thread's mask is its own. */
	if (n >= 2) {
		struct thread_arg a = {0, 0};
		pthread_t th;
		CHECK_EQ(pthread_create(&th, NULL, idle_thread, &a), 0);
		while (!a.tid)
			sched_yield();
		CPU_ZERO(&one);
		CPU_SET(1, &one);
		CHECK_OK(sched_setaffinity(a.tid, sizeof one, &one));
		CHECK_OK(sched_getaffinity(a.tid, sizeof got, &got));
		CHECK_EQ(CPU_COUNT(&got), 1);
		CHECK(CPU_ISSET(1, &got));
		CHECK_OK(sched_getaffinity(0, sizeof got, &got));
		CHECK_EQ(CPU_COUNT(&got), n);
		__atomic_store_n(&a.done, 1, __ATOMIC_SEQ_CST);
		CHECK_EQ(pthread_join(th, NULL), 0);
	}

	CPU_ZERO(&one);
	CHECK_ERRNO(sched_setaffinity(0, sizeof one, &one), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, 4, &got), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, 12, &got), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_getaffinity, NO_PID, sizeof got, &got), ESRCH);
	CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, sizeof got, (void *)1), EFAULT);
	CHECK_ERRNO(syscall(SYS_sched_setaffinity, 0, sizeof got, (void *)1), EFAULT);
	CHECK_ERRNO(syscall(SYS_sched_setaffinity, NO_PID, sizeof all, &all), ESRCH);
}

TEST(getcpu_and_yield)
{
	unsigned cpu = 1000, node = 1000;
	CHECK_OK(syscall(SYS_getcpu, &cpu, &node, NULL));
	CHECK(cpu < (unsigned)get_nprocs());
	CHECK_EQ(node, 0);
	CHECK_OK(syscall(SYS_getcpu, NULL, NULL, NULL));
	CHECK_ERRNO(syscall(SYS_getcpu, (void *)1, NULL, NULL), EFAULT);
	CHECK_EQ(sched_yield(), 0);
}

TEST(nice_values)
{
	errno = 0;
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0);
	CHECK_EQ(errno, 0);
	/* The raw call answers 20 - nice. */
	CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0), 20);
	CHECK_OK(setpriority(PRIO_PROCESS, 0, 5));
	CHECK_EQ(getpriority(PRIO_PROCESS, getpid()), 5);
	CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0), 15);
	/* Out of range values are clamped. */
	CHECK_OK(setpriority(PRIO_PROCESS, 0, 100));
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 19);
	CHECK_OK(setpriority(PRIO_PROCESS, 0, -100));
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), -20);
	CHECK_OK(setpriority(PRIO_PROCESS, 0, 0));

	/* Nice is per thread. */
	struct thread_arg a = {0, 0};
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, idle_thread, &a), 0);
	while (!a.tid)
		sched_yield();
	CHECK_OK(setpriority(PRIO_PROCESS, a.tid, 10));
	CHECK_EQ(getpriority(PRIO_PROCESS, a.tid), 10);
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0);
	__atomic_store_n(&a.done, 1, __ATOMIC_SEQ_CST);
	CHECK_EQ(pthread_join(th, NULL), 0);

	errno = 0;
	getpriority(PRIO_USER, 0);
	CHECK_EQ(errno, 0);
	CHECK_ERRNO(getpriority(7, 0), EINVAL);
	CHECK_ERRNO(setpriority(7, 0, 0), EINVAL);
	CHECK_ERRNO(getpriority(PRIO_PROCESS, NO_PID), ESRCH);
	CHECK_ERRNO(setpriority(PRIO_PROCESS, NO_PID, 0), ESRCH);
	CHECK_ERRNO(getpriority(PRIO_PGRP, NO_PID), ESRCH);
}

TEST(nice_process_group)
{
	int status;
	/* In a child in its own process group, so nothing else is reniced. */
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		if (setpgid(0, 0) != 0)
			_exit(1);
		if (setpriority(PRIO_PGRP, 0, 3) != 0)
			_exit(2);
		errno = 0;
		if (getpriority(PRIO_PROCESS, 0) != 3 || getpriority(PRIO_PGRP, getpgrp()) != 3)
			_exit(3);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
}

TEST(unprivileged_limits)
{
	int status;
	/* Without CAP_SYS_NICE (and with zero RLIMIT_NICE/RTPRIO): no
	 * real-time policy, no lowering of nice. */
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		struct rlimit zero = {0, 0};
		struct sched_param p = {.sched_priority = 1};
		if (setrlimit(RLIMIT_NICE, &zero) || setrlimit(RLIMIT_RTPRIO, &zero))
			_exit(1);
		if (setresuid(65534, 65534, 65534))
			_exit(2);
		if (sched_setscheduler(0, SCHED_FIFO, &p) != -1 || errno != EPERM)
			_exit(3);
		if (setpriority(PRIO_PROCESS, 0, 5) != 0)
			_exit(4);
		if (setpriority(PRIO_PROCESS, 0, 2) != -1 || errno != EACCES)
			_exit(5);
		errno = 0;
		if (getpriority(PRIO_PROCESS, 0) != 5 || errno)
			_exit(6);
		/* Another user's process: EPERM. */
		if (setpriority(PRIO_PROCESS, getppid(), 5) != -1 || errno != EPERM)
			_exit(7);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	errno = 0;
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, policy_round_trip, reset_on_fork, sched_errors,
			 priority_ranges, affinity, getcpu_and_yield, nice_values,
			 nice_process_group, unprivileged_limits);
}
