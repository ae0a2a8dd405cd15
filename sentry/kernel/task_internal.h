/* Helpers shared by the task core's files (pid.c, fork.c, exit.c,
 * signal.c, task.c); not an API for the rest of the sentry. */
#pragma once
#include "sentry/kernel/task.h"

extern struct thread_group *all_tgs; /* tasklist_lock */

struct task *task_alloc(void);
struct thread_group *tg_alloc(void);
struct sighand *sighand_alloc(void);
int pid_alloc_locked(void);
void pid_insert_locked(struct task *t);
void pid_remove_locked(struct task *t);
void task_put_locked(struct task *t);
/* fork.c: gives new process tg the resource limits and OOM score (and its
 * floor) of from, under from's lock. */
void tg_inherit_limits(struct thread_group *tg, struct thread_group *from);

/* exit.c */
/* Leaves the thread: releases what it holds, updates the tree, notifies
 * the parent when it was the process's last thread.  Called by the task's
 * own sentry thread once its run loop ends. */
void task_exit_thread(struct task *t);
/* Reaps a zombie child (wait4): frees it and folds its times into parent. */
void tg_reap_locked(struct thread_group *parent, struct thread_group *child);
void sighand_put(struct sighand *sh);
/* exec in a multi-threaded process: the other threads leave, and t becomes
 * the leader with the process's pid.  0 or -EINTR (the group is dying). */
int task_de_thread(struct task *t);

/* Set when init's thread group has exited (sentry.c waits on it). */
void sandbox_wait_init_exit(int *status);

/* signal.c */
/* Sends SIGCHLD-style notification of child's state change to its parent
 * (tasklist_lock held). */
void sig_notify_parent_locked(struct thread_group *child, int code, int status);
/* Resolves a restart code left by the last syscall, with no handler run. */
void syscall_restart_fixup(struct task *t);

/* Counts how many tasks run as real uid uid (RLIMIT_NPROC). */
int tasks_of_uid_locked(uid_t uid);
