/* Signal syscalls: dispositions, masks, the alternate stack, sending
 * (kill, tkill, tgkill, sigqueue), waiting (sigsuspend, sigtimedwait,
 * pause) and returning from handlers. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

#include "sentry/kernel/cred.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define DFL_IGNORED (SIGBIT(SIGCHLD) | SIGBIT(SIGURG) | SIGBIT(SIGWINCH) | SIGBIT(SIGCONT))

/* Anything pending that the new mask lets through must be looked at before
 * the task returns to the application (sighand->lock held). */
static void recheck_pending(struct task *t)
{
	if ((t->pending.set | t->tg->shared_pending.set) & ~t->sigmask)
		atomic_store(&t->work, true);
}

DEFINE_SYSCALL(rt_sigaction, R_INT, A_SIG, A_PTR, A_PTR, A_UINT)
{
	int sig = (int)a[0];
	struct k_sigaction act, old;

	if (a[3] != 8)
		return -EINVAL;
	if (sig < 1 || sig > 64)
		return -EINVAL;
	if (a[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (a[1] && mm_copy_in(t->mm, &act, a[1], sizeof act))
		return -EFAULT;
	struct sighand *sh = t->tg->sighand;
	pthread_mutex_lock(&tasklist_lock);
	pthread_mutex_lock(&sh->lock);
	old = sh->action[sig - 1];
	if (a[1]) {
		act.mask &= ~SIG_UNBLOCKABLE;
		sh->action[sig - 1] = act;
		/* Setting an ignoring disposition discards what is pending. */
		bool ign = act.handler == (uint64_t)SIG_IGN ||
			   (act.handler == (uint64_t)SIG_DFL && (DFL_IGNORED & SIGBIT(sig)));
		if (ign) {
			t->tg->shared_pending.set &= ~SIGBIT(sig);
			for (struct task *x = t->tg->threads; x; x = x->tg_next)
				x->pending.set &= ~SIGBIT(sig);
		}
	}
	pthread_mutex_unlock(&sh->lock);
	pthread_mutex_unlock(&tasklist_lock);
	if (a[2] && mm_copy_out(t->mm, a[2], &old, sizeof old))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(rt_sigprocmask, R_INT, A_INT, A_PTR, A_PTR, A_UINT)
{
	int how = (int)a[0];
	uint64_t set = 0, old;

	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
			return -EINVAL;
		if (mm_copy_in(t->mm, &set, a[1], sizeof set))
			return -EFAULT;
	}
	struct sighand *sh = t->tg->sighand;
	pthread_mutex_lock(&sh->lock);
	old = t->sigmask;
	if (a[1]) {
		if (how == SIG_BLOCK)
			t->sigmask |= set;
		else if (how == SIG_UNBLOCK)
			t->sigmask &= ~set;
		else
			t->sigmask = set;
		t->sigmask &= ~SIG_UNBLOCKABLE;
		recheck_pending(t);
	}
	pthread_mutex_unlock(&sh->lock);
	if (a[2] && mm_copy_out(t->mm, a[2], &old, sizeof old))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(rt_sigpending, R_INT, A_PTR, A_UINT)
{
	if (a[1] > 8)
		return -EINVAL;
	struct sighand *sh = t->tg->sighand;
	pthread_mutex_lock(&sh->lock);
	uint64_t pending = (t->pending.set | t->tg->shared_pending.set) & t->sigmask;
	pthread_mutex_unlock(&sh->lock);
	if (mm_copy_out(t->mm, a[0], &pending, a[1]))
		return -EFAULT;
	return 0;
}

/* ---- sending ---- */

static void user_info(struct task *t, int sig, int code, siginfo_t *si)
{
	memset(si, 0, sizeof *si);
	si->si_signo = sig;
	si->si_code = code;
	si->si_pid = t->tg->tgid;
	si->si_uid = t->cred.ruid;
}

static bool may_signal(struct task *t, struct task *target)
{
	return cred_may_signal(&t->cred, &target->cred);
}

/* The sandbox's init only gets signals it has a handler for when they come
 * from inside, as a pid namespace's init (SIGKILL and SIGSTOP included);
 * a blocked signal is queued all the same (sigwait may take it). */
static bool init_protected(struct thread_group *tg, int sig)
{
	if (tg->tgid != 1 || sig == 0)
		return false;
	struct sighand *sh = tg->sighand;
	pthread_mutex_lock(&sh->lock);
	bool dfl = sh->action[sig - 1].handler == (uint64_t)SIG_DFL;
	bool blocked = tg->leader && (tg->leader->sigmask & SIGBIT(sig));
	pthread_mutex_unlock(&sh->lock);
	return dfl && !blocked;
}

static long kill_one(struct task *t, int pid, int sig, const siginfo_t *si)
{
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *tg = tg_lookup_locked(pid);
	if (!tg) {
		pthread_mutex_unlock(&tasklist_lock);
		return -ESRCH;
	}
	struct task *target = tg->leader;
	bool ok = may_signal(t, target) ||
		  (sig == SIGCONT && tg->sid == t->tg->sid);
	tg->refs++;
	pthread_mutex_unlock(&tasklist_lock);
	long r = -EPERM;
	if (ok)
		r = init_protected(tg, sig) ? 0 : sig_send_tg(tg, sig, si);
	pthread_mutex_lock(&tasklist_lock);
	if (--tg->refs == 0)
		free(tg);
	pthread_mutex_unlock(&tasklist_lock);
	return r;
}

/* Every process but init and the caller (kill(-1, sig)). */
static long kill_all(struct task *t, int sig, const siginfo_t *si)
{
	int pids[4096], n = 0;
	pthread_mutex_lock(&tasklist_lock);
	for (struct thread_group *tg = all_tgs; tg && n < 4096; tg = tg->all_next)
		if (tg->tgid != 1 && tg != t->tg && !tg->zombie)
			pids[n++] = tg->tgid;
	pthread_mutex_unlock(&tasklist_lock);
	long r = -ESRCH;
	for (int i = 0; i < n; i++) {
		long k = kill_one(t, pids[i], sig, si);
		if (k == 0 || r == -ESRCH)
			r = k;
	}
	return r;
}

DEFINE_SYSCALL(kill, R_INT, A_INT, A_SIG)
{
	int pid = (int)a[0], sig = (int)a[1];
	siginfo_t si;
	if (sig < 0 || sig > 64)
		return -EINVAL;
	user_info(t, sig, SI_USER, &si);
	if (pid > 0)
		return kill_one(t, pid, sig, &si);
	if (pid == -1)
		return kill_all(t, sig, &si);
	if (pid == INT32_MIN)
		return -ESRCH;
	int pgid;
	if (pid == 0) {
		pthread_mutex_lock(&tasklist_lock);
		pgid = t->tg->pgid;
		pthread_mutex_unlock(&tasklist_lock);
	} else {
		pgid = -pid;
	}
	return sig_send_pgrp(pgid, sig, &si);
}

static long thread_kill(struct task *t, int tgid, int tid, int sig, const siginfo_t *si)
{
	if (tid <= 0 || (tgid != -1 && tgid <= 0) || sig < 0 || sig > 64)
		return -EINVAL;
	struct task *target = task_lookup(tid);
	if (!target || target->exiting || (tgid != -1 && target->tg->tgid != tgid)) {
		task_put(target);
		return -ESRCH;
	}
	long r = -EPERM;
	pthread_mutex_lock(&tasklist_lock);
	bool ok = may_signal(t, target);
	pthread_mutex_unlock(&tasklist_lock);
	if (ok)
		r = init_protected(target->tg, sig) ? 0 : sig_send_task(target, sig, si);
	task_put(target);
	return r;
}

DEFINE_SYSCALL(tkill, R_INT, A_INT, A_SIG)
{
	siginfo_t si;
	user_info(t, (int)a[1], SI_TKILL, &si);
	return thread_kill(t, -1, (int)a[0], (int)a[1], &si);
}

DEFINE_SYSCALL(tgkill, R_INT, A_INT, A_INT, A_SIG)
{
	siginfo_t si;
	user_info(t, (int)a[2], SI_TKILL, &si);
	return thread_kill(t, (int)a[0], (int)a[1], (int)a[2], &si);
}

/* sigqueue's siginfo comes from the application; it may not pose as the
 * kernel or kill(2) when aimed at another process. */
static long queue_info(struct task *t, int pid, int sig, uint64_t uinfo, siginfo_t *si)
{
	if (mm_copy_in(t->mm, si, uinfo, sizeof *si))
		return -EFAULT;
	if ((si->si_code >= 0 || si->si_code == SI_TKILL) && pid != t->tg->tgid)
		return -EPERM;
	si->si_signo = sig;
	return 0;
}

DEFINE_SYSCALL(rt_sigqueueinfo, R_INT, A_INT, A_SIG, A_PTR)
{
	siginfo_t si;
	int pid = (int)a[0], sig = (int)a[1];
	if (sig < 0 || sig > 64)
		return -EINVAL;
	long r = queue_info(t, pid, sig, a[2], &si);
	return r ? r : kill_one(t, pid, sig, &si);
}

DEFINE_SYSCALL(rt_tgsigqueueinfo, R_INT, A_INT, A_INT, A_SIG, A_PTR)
{
	siginfo_t si;
	int tgid = (int)a[0], sig = (int)a[2];
	if (sig < 0 || sig > 64)
		return -EINVAL;
	long r = queue_info(t, tgid, sig, a[3], &si);
	return r ? r : thread_kill(t, tgid, (int)a[1], sig, &si);
}

/* ---- waiting for signals ---- */

/* Sleeps until a signal is deliverable (or the group exits). */
static void sleep_for_signal(struct task *t)
{
	while (!sig_pending(t))
		waiter_sleep(&t->waiter, CLOCK_MONOTONIC, NULL);
}

DEFINE_SYSCALL(pause, R_INT)
{
	sleep_for_signal(t);
	return -ERESTARTNOHAND;
}

DEFINE_SYSCALL(rt_sigsuspend, R_INT, A_PTR, A_UINT)
{
	uint64_t mask;
	if (a[1] != 8)
		return -EINVAL;
	if (mm_copy_in(t->mm, &mask, a[0], sizeof mask))
		return -EFAULT;
	struct sighand *sh = t->tg->sighand;
	pthread_mutex_lock(&sh->lock);
	t->saved_sigmask = t->sigmask;
	t->restore_sigmask = true;
	t->sigmask = mask & ~SIG_UNBLOCKABLE;
	pthread_mutex_unlock(&sh->lock);
	sleep_for_signal(t);
	return -ERESTARTNOHAND;
}

DEFINE_SYSCALL(rt_sigtimedwait, R_INT, A_PTR, A_PTR, A_PTR, A_UINT)
{
	uint64_t set;
	struct timespec ts, deadline;
	siginfo_t si;
	bool timed = a[2] != 0;

	if (a[3] != 8)
		return -EINVAL;
	if (mm_copy_in(t->mm, &set, a[0], sizeof set))
		return -EFAULT;
	set &= ~SIG_UNBLOCKABLE;
	if (timed) {
		if (mm_copy_in(t->mm, &ts, a[2], sizeof ts))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		deadline_after(CLOCK_MONOTONIC, &ts, &deadline);
	}
	struct sighand *sh = t->tg->sighand;
	int sig = 0;
	pthread_mutex_lock(&sh->lock);
	sig = sig_dequeue_locked(t, set, &si);
	if (!sig && !(timed && ts.tv_sec == 0 && ts.tv_nsec == 0)) {
		/* Let the awaited signals reach this thread while it sleeps,
		 * without their default action killing it (real_blocked). */
		uint64_t saved = t->sigmask;
		t->real_blocked = saved;
		t->sigmask &= ~set;
		for (;;) {
			pthread_mutex_unlock(&sh->lock);
			int r = waiter_sleep(&t->waiter, CLOCK_MONOTONIC, timed ? &deadline : NULL);
			pthread_mutex_lock(&sh->lock);
			sig = sig_dequeue_locked(t, set, &si);
			if (sig || r == -ETIMEDOUT)
				break;
			if (r == -EINTR &&
			    (((t->pending.set | t->tg->shared_pending.set) & ~saved) ||
			     t->tg->group_exit || t->tg->stopped))
				break;
			waiter_clear_interrupt(&t->waiter);
		}
		t->sigmask = saved;
		t->real_blocked = 0;
		recheck_pending(t);
	}
	pthread_mutex_unlock(&sh->lock);
	if (!sig)
		return timed && !sig_pending(t) ? -EAGAIN : -EINTR;
	if (a[1] && mm_copy_out(t->mm, a[1], &si, sizeof si))
		return -EFAULT;
	return sig;
}

DEFINE_SYSCALL(rt_sigreturn, R_INT)
{
	bool ok;
	long rax = sigframe_return(t, &ok);
	if (!ok) {
		sig_force(t, SIGSEGV, NULL);
		return (long)t->arch.regs.rax;
	}
	return rax;
}

DEFINE_SYSCALL(restart_syscall, R_INT)
{
	long (*fn)(struct task *) = t->restart.fn;
	t->restart.fn = NULL;
	return fn ? fn(t) : -EINTR;
}

struct k_stack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};

#define MINSIGSTKSZ_LINUX 2048

static bool on_altstack(struct task *t)
{
	uint64_t sp = t->arch.regs.rsp;
	return t->altstack.size && sp > t->altstack.sp && sp - t->altstack.sp <= t->altstack.size;
}

DEFINE_SYSCALL(sigaltstack, R_INT, A_PTR, A_PTR)
{
	struct k_stack ss, old = {0};

	old.sp = t->altstack.sp;
	old.size = t->altstack.size;
	old.flags = on_altstack(t) ? SS_ONSTACK
				   : (t->altstack.size ? (int)t->altstack.flags : SS_DISABLE);
	if (a[0]) {
		if (mm_copy_in(t->mm, &ss, a[0], sizeof ss))
			return -EFAULT;
		if (on_altstack(t))
			return -EPERM;
		int mode = ss.flags & ~SS_AUTODISARM;
		if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			t->altstack.sp = 0;
			t->altstack.size = 0;
			t->altstack.flags = 0;
		} else {
			if (ss.size < MINSIGSTKSZ_LINUX)
				return -ENOMEM;
			t->altstack.sp = ss.sp;
			t->altstack.size = ss.size;
			t->altstack.flags = ss.flags & SS_AUTODISARM;
		}
	}
	if (a[1] && mm_copy_out(t->mm, a[1], &old, sizeof old))
		return -EFAULT;
	return 0;
}
