/* Tasks (application threads), thread groups (processes), the process tree,
 * sessions and process groups, credentials.
 *
 * Every task is run by its own sentry thread (task_run), which drives the
 * task's platform context.  Fields marked (own) are touched only by that
 * thread; the rest say which lock guards them.
 *
 * Lock order (outer first):
 *   tasklist_lock  (pid table, parent/child links, thread lists, pgrp/session,
 *                   exit and reap transitions)
 *   sighand->lock  (dispositions, pending signals, sigmask, group stop/exit
 *                   state of every thread group sharing the sighand)
 *   futex bucket locks, mm->lock, memory-file lock, fdtable.lock, fs->lock,
 *   dentry/file locks, the gofer connection lock, waiter.lock (a leaf)
 * No lock is held across a sleep (waiter_sleep) or a platform run.
 */
#pragma once
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/platform.h"
#include "sentry/kernel/wait.h"

struct mm;
struct fdtable;
struct fs_ctx;
struct itimers;

struct cred {
	uid_t ruid, euid, suid, fsuid;
	gid_t rgid, egid, sgid, fsgid;
	int ngroups;
	gid_t groups[65536 / 64]; /* NGROUPS_MAX is 65536; 1024 is plenty here */
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding, cap_ambient;
	bool keep_caps;      /* PR_SET_KEEPCAPS */
	bool no_new_privs;   /* PR_SET_NO_NEW_PRIVS */
	unsigned securebits;
};

/* Signal dispositions as the application set them (rt_sigaction layout). */
struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/* A queued signal: siginfo as the application will see it. */
struct sigqueue {
	struct sigqueue *next;
	siginfo_t info;
};

/* Pending signals: a bit per signal plus the queued siginfos (standard
 * signals queue at most once; real-time signals queue every instance). */
struct sigpending {
	uint64_t set;
	struct sigqueue *head, **tail;
};

/* Dispositions, shared by CLONE_SIGHAND.  lock also guards every pending
 * set, sigmask and stop/exit flag of the threads using it. */
struct sighand {
	pthread_mutex_t lock;
	int refs;
	struct k_sigaction action[64];
};

struct rlimit_pair {
	uint64_t cur, max;
};

struct thread_group {
	int tgid;
	struct sighand *sighand;
	struct task *leader;

	/* tasklist_lock */
	struct task *threads;          /* list through task->tg_next */
	int nr_threads;                /* live (not yet exited) threads */
	struct thread_group *parent;   /* the process that will wait for us */
	struct thread_group *children; /* list through sibling */
	struct thread_group *sibling;
	int pgid, sid;
	bool zombie;                   /* every thread exited; waiting to be reaped */
	bool reaped;
	bool subreaper;                /* PR_SET_CHILD_SUBREAPER */
	int exit_signal;               /* sent to parent at exit (SIGCHLD usually) */
	int refs;                      /* references beyond the tree (tasklist_lock) */

	/* sighand->lock */
	struct sigpending shared_pending;
	bool group_exit;    /* exit_group or a fatal signal: every thread leaves */
	int exit_status;    /* wait status: (code << 8), or signal | 0x80 (core) */
	bool stopped;       /* group stop in effect */
	int stop_sig;
	int stop_count;     /* threads still to take part in the stop */
	/* Unreported state changes for wait(WUNTRACED/WCONTINUED). */
	bool stop_report, cont_report;
	int notify_count;

	/* Wakes threads of this process blocked in wait4/waitid. */
	struct waitq child_waitq;
	struct thread_group *all_next; /* every process (tasklist_lock) */
	bool did_exec;                 /* setpgid on a child that exec'd: EACCES */

	pthread_mutex_t lock; /* rlimits, itimers, rusage, comm of the process */
	struct rlimit_pair rlimits[16];
	struct itimers *itimers;   /* sentry/kernel/timers.c */
	/* CPU time of every thread, living or exited: added atomically by
	 * timers_account_run (not under lock). */
	uint64_t utime_ns, stime_ns;
	uint64_t cutime_ns, cstime_ns;       /* of reaped children */
	long maxrss_kb, cmaxrss_kb;
	/* The controlling terminal's foreground process group (session leader's
	 * group only; 0 when the session has no terminal). */
	int tty_fg_pgid;
	bool has_tty;
	char comm[16]; /* kept for the group's leader; see task->comm */
	/* PR_SET_DUMPABLE 0 or a credential change (sys_prctl.c, cred.c);
	 * exec clears it.  Zero: dumpable, Linux's default. */
	bool not_dumpable;
	/* /proc/PID/oom_score_adj and the floor below which lowering it
	 * needs CAP_SYS_RESOURCE (tg->lock; inherited by fork). */
	short oom_score_adj, oom_score_adj_min;
};

struct task {
	int tid;
	struct thread_group *tg;
	struct mm *mm;            /* own (changes on exec) */
	struct fdtable *files;    /* own */
	struct fs_ctx *fs;        /* own */
	struct cred cred;         /* own (other threads read a copy under tasklist_lock) */

	struct arch_state arch;   /* own */
	struct pf_ctx *ctx;       /* own */
	pthread_t thread;

	/* Every blocking syscall of this task sleeps here (wait.h). */
	struct waiter waiter;

	/* sighand->lock */
	uint64_t sigmask;
	uint64_t saved_sigmask;   /* restored after sigsuspend/pselect's handler */
	uint64_t real_blocked;    /* the mask before sigtimedwait unblocked its set */
	bool restore_sigmask;
	struct sigpending pending;
	bool exiting;             /* this thread has left (or is leaving) its loop */
	bool stop_participated;

	/* Set (atomically) when something must be looked at before the task
	 * next runs application code: a signal, a group exit, a stop. */
	atomic_bool work;

	/* own */
	struct {
		uint64_t sp, flags, size;
	} altstack;
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_len;
	int pdeath_signal;
	uint64_t timer_slack_ns;  /* PR_SET_TIMERSLACK; 0: the default 50 us */
	/* Restart state for ERESTART_RESTARTBLOCK (nanosleep, clock_nanosleep). */
	struct {
		long (*fn)(struct task *t);
		uint64_t a[4];
	} restart;
	struct vfork_done *vfork_done; /* signalled at exec or exit (CLONE_VFORK) */

	/* Scheduling attributes (sentry/syscalls/sys_sched.c), guarded by
	 * tasklist_lock, and CPU time (sentry/kernel/timers.c: the times are
	 * added atomically by the task's own thread).  All zero is a valid
	 * start (SCHED_OTHER, nice 0, every CPU); clone copies them with
	 * timers_task_fork (timers.h). */
	struct task_sched {
		int policy;         /* SCHED_OTHER, _FIFO, _RR, _BATCH, _IDLE */
		int rt_priority;    /* 1..99 for FIFO/RR, else 0 */
		int nice;           /* -20..19 */
		bool reset_on_fork; /* SCHED_RESET_ON_FORK */
		uint64_t affinity;  /* CPU mask; 0: never set (every CPU) */
		uint64_t utime_ns, stime_ns;
		uint64_t cpu_base, cpu_credited; /* (own) timers_account_run */
	} sched;

	/* tasklist_lock */
	struct task *tg_next;     /* threads of tg */
	struct task *hash_next;   /* pid table chain */
	int refs;
	bool in_table;
	int exit_code;            /* this thread's own exit(2) status word */
	uint64_t fault_retry_addr; /* a maybe-stale fault retried once (mm_fault -EAGAIN) */

	/* Set while the task is inside pf->run, so a kick knows to interrupt
	 * application code (seq_cst with work: one of the two always sees the
	 * other). */
	atomic_bool in_app;
	/* The syscall just handled returned a restart code that the run loop
	 * must resolve (restart or EINTR) before the task runs again. */
	bool restart_pending;

	char comm[16];
	/* Executable path (for /proc/self/exe, AT_EXECFN). */
	char exe[4096];
	/* CLOCK_MONOTONIC at creation, for /proc's starttime (set once). */
	uint64_t start_ns;
};

extern pthread_mutex_t tasklist_lock;

/* The task run by the calling sentry thread. */
struct task *task_current(void);
void task_set_current(struct task *t);

/* pid table (tasklist_lock held by the caller for the *_locked forms). */
struct task *task_lookup_locked(int tid);
struct thread_group *tg_lookup_locked(int tgid);
/* A counted reference to the task with that tid in the sandbox, or NULL. */
struct task *task_lookup(int tid);
void task_put(struct task *t);

/* Creates the sandbox's init process (pid 1) with fresh tables; the caller
 * fills files, fs, mm (via the loader) and starts it with task_start. */
struct task *task_new_init(void);
/* Runs t on a new sentry thread (or the calling one for init: task_run). */
int task_start(struct task *t);

/* Runs t on the calling thread until t exits.  Returns the exit status of
 * init's thread group when t is init's last thread, else -1. */
int task_run(struct task *t);

/* Ends the thread group with a wait status (exit_group / fatal signal). */
void task_exit_group(struct task *t, int status);

/* Marks t as having work (signal, exit, stop) and gets it to look: wakes it
 * from a sentry sleep or interrupts its application code. */
void task_kick(struct task *t);
