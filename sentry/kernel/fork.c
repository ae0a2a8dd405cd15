/* fork, vfork and clone: a new task, sharing or copying its parent's
 * address space, files, filesystem context and signal handlers per the
 * clone flags, run on a sentry thread of its own. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/log.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/fork.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/kernel/timers.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define CLONE_NAMESPACES                                                                           \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 CLONE_NEWCGROUP)

#define CAP_SYS_ADMIN 21
#define CAP_SYS_RESOURCE 24

struct vfork_done {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

void vfork_complete(struct task *t)
{
	struct vfork_done *vd = t->vfork_done;
	if (!vd)
		return;
	t->vfork_done = NULL;
	pthread_mutex_lock(&vd->lock);
	vd->done = true;
	pthread_cond_signal(&vd->cond);
	pthread_mutex_unlock(&vd->lock);
}

long task_max_tasks;

/* Live tasks in the sandbox, for --max-tasks. */
static long tasks_total_locked(void)
{
	long n = 0;
	for (struct thread_group *tg = all_tgs; tg; tg = tg->all_next)
		for (struct task *t = tg->threads; t; t = t->tg_next)
			if (!t->exiting)
				n++;
	return n;
}

int tasks_of_uid_locked(uid_t uid)
{
	int n = 0;
	for (struct thread_group *tg = all_tgs; tg; tg = tg->all_next)
		for (struct task *t = tg->threads; t; t = t->tg_next)
			if (!t->exiting && t->cred.ruid == uid)
				n++;
	return n;
}

static int check_flags(struct task *parent, uint64_t flags, int exit_signal)
{
	static bool warned;
	if (flags & (CLONE_NAMESPACES | CLONE_NEWTIME | CLONE_PIDFD)) {
		/* Namespaces and pidfds inside the sandbox are not supported:
		 * the kernel-without-that-feature answer. */
		if (!warned) {
			warned = true;
			DEBUG("clone: unsupported flags 0x%lx: EINVAL", (unsigned long)flags);
		}
		return -EINVAL;
	}
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_PARENT) && parent->tg->tgid == 1)
		return -EINVAL;
	if (exit_signal < 0 || exit_signal > 64)
		return -EINVAL;
	if ((flags & CLONE_SETTLS) == 0)
		return 0;
	return 0;
}

static void copy_fpu(struct task *parent, struct task *child)
{
	if (!parent->arch.fpu_valid && parent->ctx && pf->fpu_fetch(parent->ctx, &parent->arch) == 0)
		parent->arch.fpu_valid = true;
	if (parent->arch.fpu_valid) {
		memcpy(child->arch.fpu, parent->arch.fpu, pf_fpu_size());
		child->arch.fpu_valid = true;
		child->arch.fpu_dirty = true;
	}
}

/* Drops what a child that never ran holds. */
static void child_abort(struct task *c, struct sighand *sh, bool own_sh)
{
	if (c->ctx)
		pf->ctx_free(c->ctx);
	mm_put(c->mm);
	fdtable_put(c->files);
	fs_ctx_put(c->fs);
	if (own_sh && sh)
		sighand_put(sh);
	pthread_mutex_lock(&tasklist_lock);
	task_put_locked(c);
	pthread_mutex_unlock(&tasklist_lock);
}

void tg_inherit_limits(struct thread_group *tg, struct thread_group *from)
{
	pthread_mutex_lock(&from->lock);
	memcpy(tg->rlimits, from->rlimits, sizeof tg->rlimits);
	tg->oom_score_adj = from->oom_score_adj;
	tg->oom_score_adj_min = from->oom_score_adj_min;
	pthread_mutex_unlock(&from->lock);
}

long task_clone(struct task *parent, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
		uint64_t tls, int exit_signal)
{
	int r = check_flags(parent, flags, exit_signal);
	if (r)
		return r;
	if ((flags & CLONE_SETTLS) && tls >= pf->max_addr)
		return -EPERM;

	struct task *c = task_alloc();
	if (!c)
		return -ENOMEM;
	struct thread_group *ptg = parent->tg;
	struct sighand *psh = ptg->sighand, *sh = NULL;
	bool own_sh = !(flags & CLONE_SIGHAND);

	c->cred = parent->cred;
	memcpy(c->comm, parent->comm, sizeof c->comm);
	memcpy(c->exe, parent->exe, sizeof c->exe);
	c->arch.regs = parent->arch.regs;
	c->arch.regs.rax = 0;
	c->arch.regs.orig_rax = (uint64_t)-1;
	if (stack)
		c->arch.regs.rsp = stack;
	if (flags & CLONE_SETTLS)
		c->arch.regs.fs_base = tls;
	copy_fpu(parent, c);
	/* A sibling sharing the address space must not share the alternate
	 * stack (Linux clears it for CLONE_VM without CLONE_VFORK). */
	if (!((flags & CLONE_VM) && !(flags & CLONE_VFORK)))
		c->altstack = (typeof(c->altstack)){parent->altstack.sp, parent->altstack.flags,
						     parent->altstack.size};
	c->robust_list = 0;
	c->timer_slack_ns = parent->timer_slack_ns;
	timers_task_fork(c, parent);

	r = -ENOMEM;
	c->mm = (flags & CLONE_VM) ? mm_get(parent->mm) : mm_fork(parent->mm);
	c->files = (flags & CLONE_FILES) ? fdtable_get(parent->files) : fdtable_dup(parent->files);
	c->fs = (flags & CLONE_FS) ? fs_ctx_get(parent->fs) : fs_ctx_dup(parent->fs);
	if (own_sh) {
		sh = sighand_alloc();
		if (sh) {
			pthread_mutex_lock(&psh->lock);
			memcpy(sh->action, psh->action, sizeof sh->action);
			pthread_mutex_unlock(&psh->lock);
		}
	} else {
		sh = psh;
	}
	c->ctx = pf->ctx_new();
	if (!c->mm || !c->files || !c->fs || !sh || !c->ctx) {
		child_abort(c, sh, own_sh);
		return r;
	}

	struct thread_group *tg = NULL;
	if (!(flags & CLONE_THREAD)) {
		tg = tg_alloc();
		if (!tg) {
			child_abort(c, sh, own_sh);
			return -ENOMEM;
		}
	}

	pthread_mutex_lock(&tasklist_lock);
	pthread_mutex_lock(&psh->lock);
	c->sigmask = parent->sigmask;
	bool dying = ptg->group_exit;
	pthread_mutex_unlock(&psh->lock);
	uint64_t nproc = ptg->rlimits[RLIMIT_NPROC].cur;
	bool privileged = parent->cred.cap_effective &
			  ((1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_SYS_RESOURCE));
	int tid = -EAGAIN;
	if (dying)
		tid = -ERESTARTNOINTR;
	else if (!privileged && parent->cred.ruid != 0 &&
		 (uint64_t)tasks_of_uid_locked(parent->cred.ruid) >= nproc)
		tid = -EAGAIN;
	else if (task_max_tasks > 0 && tasks_total_locked() >= task_max_tasks)
		tid = -EAGAIN; /* the pids cgroup limit, inside the sandbox */
	else
		tid = pid_alloc_locked();
	if (tid < 0) {
		pthread_mutex_unlock(&tasklist_lock);
		free(tg);
		child_abort(c, sh, own_sh);
		return tid;
	}
	c->tid = tid;
	if (flags & CLONE_THREAD) {
		c->tg = ptg;
		struct task **pp = &ptg->threads;
		while (*pp)
			pp = &(*pp)->tg_next;
		*pp = c;
		ptg->nr_threads++;
		if (!own_sh)
			psh->refs++;
	} else {
		tg->tgid = tid;
		tg->sighand = sh;
		if (!own_sh)
			sh->refs++;
		tg->leader = c;
		tg->threads = c;
		tg->nr_threads = 1;
		tg->parent = (flags & CLONE_PARENT) ? ptg->parent : ptg;
		if (tg->parent) {
			tg->sibling = tg->parent->children;
			tg->parent->children = tg;
		}
		tg->pgid = ptg->pgid;
		tg->sid = ptg->sid;
		tg->has_tty = ptg->has_tty;
		tg->exit_signal = exit_signal;
		tg_inherit_limits(tg, ptg);
		pthread_mutex_lock(&ptg->lock);
		memcpy(tg->comm, ptg->comm, sizeof tg->comm);
		pthread_mutex_unlock(&ptg->lock);
		tg->all_next = all_tgs;
		all_tgs = tg;
		c->tg = tg;
	}
	pid_insert_locked(c);
	c->refs++; /* ours until the thread is started */
	pthread_mutex_unlock(&tasklist_lock);

	if (flags & CLONE_PARENT_SETTID)
		(void)mm_copy_out(parent->mm, ptid, &tid, sizeof tid);
	if (flags & CLONE_CHILD_SETTID)
		(void)mm_copy_out(c->mm, ctid, &tid, sizeof tid);
	if (flags & CLONE_CHILD_CLEARTID)
		c->clear_child_tid = ctid;

	struct vfork_done vd = {.lock = PTHREAD_MUTEX_INITIALIZER,
				.cond = PTHREAD_COND_INITIALIZER};
	if (flags & CLONE_VFORK)
		c->vfork_done = &vd;
	if (task_start(c)) {
		/* No thread: the child dies before it ever ran. */
		log_warn("clone: cannot start a sentry thread for task %d", tid);
		c->exit_code = SIGKILL;
		task_exit_group(c, SIGKILL);
		task_exit_thread(c);
	}
	task_put(c);
	if (flags & CLONE_VFORK) {
		/* The parent sleeps until the child execs or exits; signals wait
		 * for it, as in Linux (only a fatal one could end the wait). */
		pthread_mutex_lock(&vd.lock);
		while (!vd.done)
			pthread_cond_wait(&vd.cond, &vd.lock);
		pthread_mutex_unlock(&vd.lock);
	}
	return tid;
}
