/* Timers of a process: ITIMER_REAL/VIRTUAL/PROF (alarm, setitimer), POSIX
 * timers (timer_create), and CPU-time accounting of tasks and processes.
 *
 * Wall-clock timers (ITIMER_REAL and POSIX timers on REALTIME, MONOTONIC,
 * BOOTTIME, TAI) sit in one heap served by a single sentry thread per
 * sandbox, started on first use, which sends the signals.  CPU-clock timers
 * (ITIMER_VIRTUAL, ITIMER_PROF, POSIX timers on the process or thread CPU
 * clock) are checked by timers_account_run on the task's own thread.
 *
 * CPU time with the ptrace platform: the application's user time is the
 * stub thread's, which the sentry cannot read cheaply, so it is approximated
 * by the wall time the task spent inside pf->run (preemption by the host
 * counts too).  System time is the sentry thread's own CPU clock (read only
 * after long stays in the sentry, so sleeps do not count) or the wall time
 * of short stays.
 *
 * Locking: timers_lock (internal) guards every struct itimers and the heap.
 * Order: tasklist_lock, then timers_lock, then sighand->lock (the overrun
 * count of a POSIX timer is kept under its process's sighand->lock, next
 * to the signal it belongs to).  No task_lookup and no signal is sent
 * under timers_lock.  Call every function here with no lock held, except
 * timers_exit.
 */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct task;
struct thread_group;
struct ktimer;
struct posix_timer;

/* A wall-clock timer in the heap (internal to timers.c). */
struct ktimer {
	int64_t when;     /* expiry on clock, ns */
	int64_t mono;     /* the same on CLOCK_MONOTONIC: heap key */
	int64_t interval; /* ns, 0: one-shot */
	clockid_t clock;
	int heap_idx;     /* -1: not armed */
	int firing;       /* signals being sent outside the lock */
	struct itimers *owner;
	void (*fire)(struct ktimer *k, uint64_t overruns);
};

/* Per-process timer state, hung off thread_group.itimers (allocated on
 * first use, freed by timers_exit).  Guarded by timers_lock. */
struct itimers {
	struct thread_group *tg;
	struct ktimer real;            /* ITIMER_REAL, alarm */
	uint64_t virt_left, virt_int;  /* ITIMER_VIRTUAL: user CPU ns left (0: off) */
	uint64_t prof_left, prof_int;  /* ITIMER_PROF: user+system CPU ns left */
	struct posix_timer *posix;     /* list, newest first */
	int nr_posix;
	int next_id;
	/* Nonzero when a CPU-clock timer is armed: timers_account_run looks. */
	int cpu_armed;
	int busy;  /* firings in flight */
	bool dead; /* the process exited while busy: the last firing frees */
};

/* A timer value in ns: value 0 means disarmed. */
struct timer_val {
	int64_t value, interval;
};

/* How a POSIX timer notifies (kernel struct sigevent, decoded). */
struct timer_event {
	int notify; /* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID (| SIGEV_SIGNAL) */
	int signo;
	uint64_t value; /* sigev_value */
	int tid;        /* SIGEV_THREAD_ID target */
};

/* ITIMER_REAL/VIRTUAL/PROF.  -EINVAL for another which. */
int timers_itimer_get(struct thread_group *tg, int which, struct timer_val *cur);
int timers_itimer_set(struct thread_group *tg, int which, const struct timer_val *val,
		      struct timer_val *old);

/* POSIX timers; ids are per process, from 0.  -EINVAL for unknown ids. */
int timers_posix_create(struct task *t, clockid_t clock, const struct timer_event *ev, int *id);
int timers_posix_settime(struct task *t, int id, bool abstime, const struct timer_val *val,
			 struct timer_val *old);
int timers_posix_gettime(struct task *t, int id, struct timer_val *cur);
int timers_posix_getoverrun(struct task *t, int id);
int timers_posix_delete(struct task *t, int id);
/* Undoes a create whose id could not be copied out. */
void timers_posix_undo(struct task *t, int id);

/* CPU clocks: CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID and the
 * encoded clocks of clock_getcpuclockid/pthread_getcpuclockid (negative
 * ids).  0 and the time in ns, -EINVAL for a bad id, -ESRCH. */
int timers_cpu_clock(struct task *t, clockid_t clock, uint64_t *ns);
/* Whether clock names a CPU clock (valid or not). */
static inline bool timers_is_cpu_clock(clockid_t clock)
{
	return clock < 0 || clock == CLOCK_PROCESS_CPUTIME_ID || clock == CLOCK_THREAD_CPUTIME_ID;
}
void timers_task_cputime(struct task *t, uint64_t *utime, uint64_t *stime);
void timers_tg_cputime(struct thread_group *tg, uint64_t *utime, uint64_t *stime);

/* Hooks for the task core. */

/* Run loop: after each pf->run, with the wall time spent in application
 * code (inside pf->run) and in the sentry since the previous pf->run
 * returned.  Charges the task and its process, and fires CPU timers. */
void timers_account_run(struct task *t, uint64_t ns_in_app, uint64_t ns_in_sentry);
/* clone: the child thread inherits scheduling attributes (unless
 * SCHED_RESET_ON_FORK) and starts with no CPU time.  A new process gets
 * tg->itimers = NULL: no timers, no alarm. */
void timers_task_fork(struct task *child, const struct task *parent);
/* execve (after the other threads are gone): POSIX timers are deleted,
 * itimers and alarm stay. */
void timers_exec(struct thread_group *tg);
/* The process has exited (all threads): cancels and frees everything.
 * Called with tasklist_lock held (the exception to the rule above); never
 * waits: a signal being sent right now pins tg (tg->refs) until it is
 * out, and the pin's release frees tg if the reap already dropped it. */
void timers_exit(struct thread_group *tg);
