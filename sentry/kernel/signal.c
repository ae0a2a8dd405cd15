/* Signal generation, queueing and delivery decisions (see signal.h).
 * Frames are built in sigframe.c. */
#include "sentry/kernel/signal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/syscalls/syscalls.h"

#define STOP_SIGS (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))
#define DFL_IGNORED (SIGBIT(SIGCHLD) | SIGBIT(SIGURG) | SIGBIT(SIGWINCH) | SIGBIT(SIGCONT))
/* Delivered first, as Linux does, so a fault is handled before anything
 * queued earlier. */
#define SYNC_SIGS                                                                                  \
	(SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | SIGBIT(SIGFPE) |     \
	 SIGBIT(SIGSYS))

void task_kick(struct task *t)
{
	atomic_store(&t->work, true);
	waiter_interrupt(&t->waiter);
	if (atomic_load(&t->in_app) && t->ctx)
		pf->interrupt(t->ctx);
}

static bool ignored(struct sighand *sh, int sig)
{
	uint64_t h = sh->action[sig - 1].handler;
	return h == (uint64_t)SIG_IGN || (h == (uint64_t)SIG_DFL && (DFL_IGNORED & SIGBIT(sig)));
}

static void pending_add(struct sigpending *p, int sig, const siginfo_t *info)
{
	/* Standard signals do not queue: one pending instance at most. */
	if (sig < SIGRTMIN && (p->set & SIGBIT(sig)))
		return;
	p->set |= SIGBIT(sig);
	/* Whoever made it pending, signalfd readers and pollers (blocked
	 * signals wake no one else) learn it now. */
	signalfd_notify();
	struct sigqueue *q = calloc(1, sizeof *q);
	if (!q)
		return; /* delivered with a minimal siginfo */
	q->info = *info;
	*p->tail = q;
	p->tail = &q->next;
}

static void pending_take(struct sigpending *p, int sig, siginfo_t *out)
{
	struct sigqueue **pp, *q;
	bool more = false, found = false;
	for (pp = &p->head; (q = *pp);) {
		if (q->info.si_signo != sig) {
			pp = &q->next;
			continue;
		}
		if (found) {
			more = true;
			break;
		}
		found = true;
		*out = q->info;
		*pp = q->next;
		if (p->tail == &q->next)
			p->tail = pp;
		free(q);
	}
	if (!found) {
		memset(out, 0, sizeof *out);
		out->si_signo = sig;
		out->si_code = SI_KERNEL;
	}
	if (!more)
		p->set &= ~SIGBIT(sig);
}

int sig_dequeue_locked(struct task *t, uint64_t set, siginfo_t *out)
{
	struct sigpending *p = &t->pending;
	uint64_t hit = p->set & set;
	if (!hit) {
		p = &t->tg->shared_pending;
		hit = p->set & set;
	}
	if (!hit)
		return 0;
	int sig = __builtin_ctzll(hit) + 1;
	pending_take(p, sig, out);
	return sig;
}

static void pending_drop(struct sigpending *p, uint64_t mask)
{
	for (int s = 1; s <= 64; s++) {
		siginfo_t scratch;
		while (p->set & mask & SIGBIT(s))
			pending_take(p, s, &scratch);
	}
}

static void kick_all_locked(struct thread_group *tg, struct task *except)
{
	for (struct task *t = tg->threads; t; t = t->tg_next)
		if (t != except && !t->exiting)
			task_kick(t);
}

/* Starts a group exit (tasklist_lock and sighand->lock held). */
static void group_exit_locked(struct thread_group *tg, int status)
{
	if (tg->group_exit)
		return;
	tg->group_exit = true;
	tg->exit_status = status;
	tg->stopped = false;
	kick_all_locked(tg, NULL);
}

/* A thread that will take a process-directed signal now: the leader if it
 * does not block it, else any live thread that does not. */
static struct task *pick_thread(struct thread_group *tg, int sig)
{
	struct task *l = tg->leader;
	if (l && !l->exiting && !(l->sigmask & SIGBIT(sig)))
		return l;
	for (struct task *t = tg->threads; t; t = t->tg_next)
		if (!t->exiting && !(t->sigmask & SIGBIT(sig)))
			return t;
	return NULL;
}

static void fill_info(siginfo_t *out, int sig, const siginfo_t *info)
{
	if (info) {
		*out = *info;
		out->si_signo = sig;
	} else {
		memset(out, 0, sizeof *out);
		out->si_signo = sig;
		out->si_code = SI_KERNEL;
	}
}

/* The heart of generation (tasklist_lock and tg->sighand->lock held).
 * t is the target thread, or NULL for a process-directed signal. */
static int send_locked(struct task *t, struct thread_group *tg, int sig, const siginfo_t *info)
{
	struct sighand *sh = tg->sighand;
	siginfo_t si;

	if (sig < 0 || sig > 64)
		return -EINVAL;
	if (sig == 0)
		return 0;
	if (tg->zombie || tg->group_exit)
		return 0;
	fill_info(&si, sig, info);

	/* Stop and continue take effect at generation, as in Linux. */
	if (STOP_SIGS & SIGBIT(sig)) {
		pending_drop(&tg->shared_pending, SIGBIT(SIGCONT));
		for (struct task *x = tg->threads; x; x = x->tg_next)
			pending_drop(&x->pending, SIGBIT(SIGCONT));
	} else if (sig == SIGCONT) {
		pending_drop(&tg->shared_pending, STOP_SIGS);
		for (struct task *x = tg->threads; x; x = x->tg_next)
			pending_drop(&x->pending, STOP_SIGS);
		if (tg->stopped) {
			tg->stopped = false;
			tg->stop_report = false;
			tg->cont_report = true;
			sig_notify_parent_locked(tg, CLD_CONTINUED, SIGCONT);
			kick_all_locked(tg, NULL);
		}
	} else if (sig == SIGKILL) {
		group_exit_locked(tg, SIGKILL);
		return 0;
	}

	struct task *target = t ? t : pick_thread(tg, sig);
	/* sigtimedwait unblocks what it waits for; real_blocked keeps those
	 * signals from counting as ignored meanwhile. */
	struct task *who = target ? target : tg->leader;
	uint64_t blocked = who ? who->sigmask | who->real_blocked : 0;
	if (ignored(sh, sig) && !(blocked & SIGBIT(sig)))
		return 0;
	pending_add(t ? &t->pending : &tg->shared_pending, sig, &si);
	if (!target || (target->sigmask & SIGBIT(sig)))
		return 0;
	/* A fatal default action ends the whole group at once, even threads
	 * blocked in the sentry that would never look at the signal. */
	uint64_t h = sh->action[sig - 1].handler;
	if (h == (uint64_t)SIG_DFL && !(DFL_IGNORED & SIGBIT(sig)) && !(STOP_SIGS & SIGBIT(sig)) &&
	    !(SYNC_SIGS & SIGBIT(sig)) && !(target->real_blocked & SIGBIT(sig))) {
		group_exit_locked(tg, sig);
		return 0;
	}
	task_kick(target);
	return 0;
}

static void lock_sh(struct sighand *sh)
{
	pthread_mutex_lock(&sh->lock);
}

static void unlock_sh(struct sighand *sh)
{
	pthread_mutex_unlock(&sh->lock);
}

int sig_send_task(struct task *t, int sig, const siginfo_t *info)
{
	if (sig < 0 || sig > 64)
		return -EINVAL;
	pthread_mutex_lock(&tasklist_lock);
	struct sighand *sh = t->tg->sighand;
	if (t->exiting || !sh) {
		pthread_mutex_unlock(&tasklist_lock);
		return 0;
	}
	lock_sh(sh);
	int r = send_locked(t, t->tg, sig, info);
	unlock_sh(sh);
	pthread_mutex_unlock(&tasklist_lock);
	signalfd_notify();
	return r;
}

int sig_send_tg(struct thread_group *tg, int sig, const siginfo_t *info)
{
	if (sig < 0 || sig > 64)
		return -EINVAL;
	pthread_mutex_lock(&tasklist_lock);
	/* A caller may hold a reference to a process reaped since. */
	if (tg->reaped || !tg->sighand) {
		pthread_mutex_unlock(&tasklist_lock);
		return 0;
	}
	lock_sh(tg->sighand);
	int r = send_locked(NULL, tg, sig, info);
	unlock_sh(tg->sighand);
	pthread_mutex_unlock(&tasklist_lock);
	signalfd_notify();
	return r;
}

int sig_send_pgrp(int pgid, int sig, const siginfo_t *info)
{
	int found = 0, r = 0;
	if (sig < 0 || sig > 64)
		return -EINVAL;
	pthread_mutex_lock(&tasklist_lock);
	for (struct thread_group *tg = all_tgs; tg; tg = tg->all_next) {
		if (tg->pgid != pgid || tg->zombie || tg->reaped)
			continue;
		found++;
		lock_sh(tg->sighand);
		r = send_locked(NULL, tg, sig, info);
		unlock_sh(tg->sighand);
	}
	pthread_mutex_unlock(&tasklist_lock);
	signalfd_notify();
	return found ? r : -ESRCH;
}

void sig_force(struct task *t, int sig, const siginfo_t *info)
{
	pthread_mutex_lock(&tasklist_lock);
	struct sighand *sh = t->tg->sighand;
	lock_sh(sh);
	struct k_sigaction *a = &sh->action[sig - 1];
	/* Blocked or ignored: the fault cannot be handled, so it kills. */
	if (a->handler == (uint64_t)SIG_IGN || (t->sigmask & SIGBIT(sig))) {
		a->handler = (uint64_t)SIG_DFL;
		t->sigmask &= ~SIGBIT(sig);
	}
	siginfo_t si;
	fill_info(&si, sig, info);
	pending_add(&t->pending, sig, &si);
	atomic_store(&t->work, true);
	unlock_sh(sh);
	pthread_mutex_unlock(&tasklist_lock);
}

bool sig_pending(struct task *t)
{
	struct sighand *sh = t->tg->sighand;
	lock_sh(sh);
	bool r = ((t->pending.set | t->tg->shared_pending.set) & ~t->sigmask) || t->tg->group_exit ||
		 t->tg->stopped || t->exiting;
	unlock_sh(sh);
	return r;
}

void sig_notify_parent_locked(struct thread_group *child, int code, int status)
{
	struct thread_group *p = child->parent;
	if (!p)
		return;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_code = code;
	si.si_pid = child->tgid;
	si.si_uid = child->leader ? child->leader->cred.ruid : 0;
	si.si_status = status;
	si.si_utime = (long)(child->utime_ns / 10000000);
	si.si_stime = (long)(child->stime_ns / 10000000);
	bool exit = code == CLD_EXITED || code == CLD_KILLED || code == CLD_DUMPED;
	int sig = exit ? child->exit_signal : SIGCHLD;
	struct sighand *psh = p->sighand;
	bool relock = psh != child->sighand;
	if (relock)
		lock_sh(psh);
	if (sig > 0 && !(!exit && (psh->action[SIGCHLD - 1].flags & SA_NOCLDSTOP))) {
		si.si_signo = sig;
		send_locked(NULL, p, sig, &si);
	}
	if (relock)
		unlock_sh(psh);
	waitq_wake(&p->child_waitq, ~0u);
}

static int next_signal(uint64_t pending)
{
	uint64_t sync = pending & SYNC_SIGS;
	if (sync)
		pending = sync;
	return pending ? __builtin_ctzll(pending) + 1 : 0;
}

void syscall_restart_fixup(struct task *t)
{
	if (!t->restart_pending)
		return;
	t->restart_pending = false;
	struct user_regs_struct *r = &t->arch.regs;
	if ((long)r->rax == -ERESTART_RESTARTBLOCK)
		r->rax = __NR_restart_syscall;
	else
		r->rax = r->orig_rax;
	r->rip -= 2; /* the syscall instruction is two bytes */
}

/* A handler is about to run: a syscall it interrupted fails with EINTR or
 * is restarted, per SA_RESTART and the code. */
static void restart_for_handler(struct task *t, const struct k_sigaction *act)
{
	if (!t->restart_pending)
		return;
	long code = (long)t->arch.regs.rax;
	if (code == -ERESTARTNOINTR || (code == -ERESTARTSYS && (act->flags & SA_RESTART))) {
		syscall_restart_fixup(t);
		return;
	}
	t->restart_pending = false;
	t->arch.regs.rax = (uint64_t)-EINTR;
}

bool sig_handle(struct task *t)
{
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&tasklist_lock);
	struct sighand *sh = tg->sighand;
	lock_sh(sh);
	for (;;) {
		atomic_store(&t->work, false);
		if (tg->group_exit || t->exiting)
			goto leave;
		if (tg->stopped) {
			if (!t->stop_participated) {
				t->stop_participated = true;
				if (--tg->stop_count <= 0) {
					tg->stop_report = true;
					sig_notify_parent_locked(tg, CLD_STOPPED, tg->stop_sig);
				}
			}
			/* Sleep until SIGCONT or SIGKILL; either kicks us. */
			waiter_clear_interrupt(&t->waiter);
			unlock_sh(sh);
			pthread_mutex_unlock(&tasklist_lock);
			waiter_sleep(&t->waiter, CLOCK_MONOTONIC, NULL);
			pthread_mutex_lock(&tasklist_lock);
			lock_sh(sh);
			continue;
		}
		t->stop_participated = false;

		uint64_t mine = t->pending.set & ~t->sigmask;
		uint64_t shared = tg->shared_pending.set & ~t->sigmask;
		int sig = next_signal(mine) ?: next_signal(shared);
		if (!sig) {
			waiter_clear_interrupt(&t->waiter);
			if (t->restore_sigmask) {
				/* sigsuspend/ppoll's temporary mask ends here; it may
				 * uncover another pending signal. */
				t->restore_sigmask = false;
				t->sigmask = t->saved_sigmask;
				continue;
			}
			syscall_restart_fixup(t);
			unlock_sh(sh);
			pthread_mutex_unlock(&tasklist_lock);
			return true;
		}
		siginfo_t info;
		pending_take(next_signal(mine) ? &t->pending : &tg->shared_pending, sig, &info);
		struct k_sigaction act = sh->action[sig - 1];

		if (act.handler == (uint64_t)SIG_IGN)
			continue;
		if (act.handler == (uint64_t)SIG_DFL) {
			if (DFL_IGNORED & SIGBIT(sig))
				continue;
			if (STOP_SIGS & SIGBIT(sig)) {
				tg->stopped = true;
				tg->stop_sig = sig;
				tg->stop_count = tg->nr_threads;
				for (struct task *x = tg->threads; x; x = x->tg_next)
					x->stop_participated = false;
				kick_all_locked(tg, t);
				continue;
			}
			group_exit_locked(tg, sig);
			goto leave;
		}

		/* A handler runs. */
		restart_for_handler(t, &act);
		uint64_t saved = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
		t->restore_sigmask = false;
		uint64_t newmask = t->sigmask | act.mask;
		if (!(act.flags & SA_NODEFER))
			newmask |= SIGBIT(sig);
		if (act.flags & SA_RESETHAND)
			sh->action[sig - 1].handler = (uint64_t)SIG_DFL;
		unlock_sh(sh);
		pthread_mutex_unlock(&tasklist_lock);

		int r = sigframe_setup(t, sig, &info, &act, saved);

		pthread_mutex_lock(&tasklist_lock);
		lock_sh(sh);
		if (r) {
			/* No room for the frame: the task dies of SIGSEGV. */
			sh->action[SIGSEGV - 1].handler = (uint64_t)SIG_DFL;
			group_exit_locked(tg, SIGSEGV);
			goto leave;
		}
		t->sigmask = newmask & ~SIG_UNBLOCKABLE;
	}
leave:
	unlock_sh(sh);
	pthread_mutex_unlock(&tasklist_lock);
	return false;
}
