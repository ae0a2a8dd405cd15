/* Signals inside the sentry: generation (to a thread, a process, a process
 * group), queueing, the per-task delivery check, default actions (terminate,
 * core, stop, continue, ignore), and signal frames on the application stack.
 *
 * Locking: everything here takes sighand->lock itself (see task.h for the
 * order); callers hold no sighand lock.  tasklist_lock may be held by the
 * caller of the *_locked forms only.
 */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct task;
struct thread_group;
struct k_sigaction;

#define SIGBIT(s) (1ULL << ((s)-1))
#define SIG_UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* Generation.  info may be NULL: then si_code is SI_KERNEL.  Returns 0,
 * or -EINVAL for a bad signal number.  Signal 0 only checks the target. */
int sig_send_task(struct task *t, int sig, const siginfo_t *info);       /* thread-directed */
int sig_send_tg(struct thread_group *tg, int sig, const siginfo_t *info); /* process-directed */
/* To every process of a process group; -ESRCH if there is none. */
int sig_send_pgrp(int pgid, int sig, const siginfo_t *info);
/* A synchronous fault: delivered even if blocked or ignored (the
 * disposition is reset to default then, as Linux's force_sig). */
void sig_force(struct task *t, int sig, const siginfo_t *info);

/* Takes the lowest pending signal of set, thread-directed before
 * process-directed (sigtimedwait).  Returns it, or 0.  sighand->lock held. */
int sig_dequeue_locked(struct task *t, uint64_t set, siginfo_t *out);

/* Whether t has a pending signal it does not block (for sleeps). */
bool sig_pending(struct task *t);

/* Called by the run loop when t->work is set, before t runs application
 * code again: handles group exit and stop, dequeues deliverable signals and
 * either applies the default action or sets up a handler frame.  A syscall
 * that returned a restart code is restarted or fails with EINTR here.
 * Returns false if t must leave its run loop (exit). */
bool sig_handle(struct task *t);

/* Signal frames (sentry/kernel/sigframe.c).  Builds an rt_sigframe (siginfo,
 * ucontext with the general registers, the signal mask `saved_mask`, the
 * altstack, and the full XSAVE state) on t's stack or alternate stack per
 * act, and points t's registers at the handler (rdi = sig, rsi = &info,
 * rdx = &uc, rsp = frame, return address = act->restorer).  0, or -EFAULT
 * when the frame cannot be written (the caller then forces SIGSEGV). */
int sigframe_setup(struct task *t, int sig, const siginfo_t *info,
		   const struct k_sigaction *act, uint64_t saved_mask);
/* rt_sigreturn: restores registers, FPU state, signal mask and altstack
 * from the frame at t's rsp.  Returns the restored rax (the value the
 * interrupted code sees), or -EFAULT when the frame is unreadable (the
 * caller then forces SIGSEGV). */
long sigframe_return(struct task *t, bool *ok);
