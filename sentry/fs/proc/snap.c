/* Snapshots of a task for /proc: copied under tasklist_lock (and the
 * sighand and thread-group locks), so the generators format them with no
 * lock held and may read application memory through the mm reference. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>

#include "sentry/fs/proc/internal.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/mm/mm.h"

const char *proc_state_name(char state)
{
	switch (state) {
	case 'R':
		return "R (running)";
	case 'T':
		return "T (stopped)";
	case 'Z':
		return "Z (zombie)";
	case 'X':
		return "X (dead)";
	default:
		return "S (sleeping)";
	}
}

/* The task a node stands for: its thread, or the process's leader (which
 * stays in the pid table until the process is reaped). */
static struct task *node_task_locked(const struct proc_node *n)
{
	struct thread_group *tg = tg_lookup_locked(n->tgid);
	if (!tg)
		return NULL;
	struct task *t = task_lookup_locked(n->tid ? n->tid : n->tgid);
	return t && t->tg == tg ? t : NULL;
}

int proc_snap_take(const struct proc_node *n, int want, struct proc_snap **out)
{
	struct proc_snap *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	struct task *self = task_current();

	pthread_mutex_lock(&tasklist_lock);
	struct task *t = node_task_locked(n);
	if (!t) {
		pthread_mutex_unlock(&tasklist_lock);
		free(s);
		return -ENOENT;
	}
	struct thread_group *tg = t->tg;
	s->tgid = tg->tgid;
	s->tid = t->tid;
	s->ppid = tg->parent ? tg->parent->tgid : 0;
	s->pgid = tg->pgid;
	s->sid = tg->sid;
	s->nr_threads = tg->nr_threads;
	s->exit_signal = tg->exit_signal;
	s->zombie = tg->zombie;
	s->cred = t->cred;
	s->nice = t->sched.nice;
	s->policy = t->sched.policy;
	s->rt_priority = t->sched.rt_priority;
	s->start_ns = t->start_ns;
	/* The session's terminal (held by its leader's group). */
	s->tpgid = -1;
	struct thread_group *leader = tg_lookup_locked(tg->sid);
	if (tg->has_tty && leader && leader->has_tty) {
		s->tty_nr = (int)((minor(proc_tty_rdev) & 0xff) | (major(proc_tty_rdev) << 8) |
				  ((minor(proc_tty_rdev) & ~0xffu) << 12));
		s->tpgid = leader->tty_fg_pgid ? leader->tty_fg_pgid : -1;
	}
	memcpy(s->exe, t->exe, sizeof s->exe);
	s->exe[sizeof s->exe - 1] = '\0';
	/* Other tasks' tables are taken while the task cannot be freed; its
	 * sentry thread clears them (under tasklist_lock) when it exits. */
	if ((want & SNAP_MM) && t->mm)
		s->mm = mm_get(t->mm);
	if ((want & SNAP_FS) && t->fs)
		s->fs = fs_ctx_get(t->fs);
	if ((want & SNAP_FILES) && t->files)
		s->files = fdtable_get(t->files);

	bool stopped = false;
	if (tg->sighand) {
		struct sighand *sh = tg->sighand;
		pthread_mutex_lock(&sh->lock);
		s->sigpnd = t->pending.set;
		s->shdpnd = tg->shared_pending.set;
		s->sigblk = t->sigmask;
		for (int i = 0; i < 64; i++) {
			uint64_t h = sh->action[i].handler;
			if (h == (uint64_t)(uintptr_t)SIG_IGN)
				s->sigign |= 1ULL << i;
			else if (h != (uint64_t)(uintptr_t)SIG_DFL)
				s->sigcgt |= 1ULL << i;
		}
		stopped = tg->stopped;
		s->exit_status = tg->exit_status;
		pthread_mutex_unlock(&sh->lock);
	}
	if (tg->zombie)
		s->state = 'Z';
	else if (stopped)
		s->state = 'T';
	else if (t == self || atomic_load(&t->in_app))
		s->state = 'R';
	else
		s->state = 'S';

	/* tg->lock (inside tasklist_lock, as fork takes it) also guards the
	 * names prctl(PR_SET_NAME) and exec write. */
	pthread_mutex_lock(&tg->lock);
	memcpy(s->comm, t->comm, sizeof s->comm);
	s->comm[sizeof s->comm - 1] = '\0';
	s->utime_ns = tg->utime_ns;
	s->stime_ns = tg->stime_ns;
	s->cutime_ns = tg->cutime_ns;
	s->cstime_ns = tg->cstime_ns;
	s->rlim_sigpending = tg->rlimits[RLIMIT_SIGPENDING].cur;
	s->rlim_rss = tg->rlimits[RLIMIT_RSS].cur;
	memcpy(s->rlim, tg->rlimits, sizeof s->rlim);
	s->oom_score_adj = tg->oom_score_adj;
	pthread_mutex_unlock(&tg->lock);
	pthread_mutex_unlock(&tasklist_lock);
	*out = s;
	return 0;
}

void proc_snap_put(struct proc_snap *s)
{
	if (!s)
		return;
	if (s->mm)
		mm_put(s->mm);
	if (s->fs)
		fs_ctx_put(s->fs);
	if (s->files)
		fdtable_put(s->files);
	free(s);
}
